// A sweep's definition and the grid it expands to: every method × noise rate × seed × the values
// of its hyperparameter axes (lr, λ, backbone, width, batch size, erasing mode), each cell with a
// stable id (a file name in the CLI's out dir, a key in the lab's store) and a readable name.
// Pure and tfjs-free: the page imports it.
import type { Method, TrainConfig } from '../config.ts';
import type { Arch } from '../resnet-layout.ts';
import type { ErasingMode } from '../augment.ts';
import type { ConfigRequest, DataOptions, WeightsChoice } from '../run-request.ts';
import { SweepError } from './errors.ts';

export const SWEEP_METHODS: readonly Method[] = ['baseline', 'eac'];

/** Caps that keep a hostile or mistyped spec from asking for millions of runs. */
export const SWEEP_LIMITS = { methods: 2, noiseRates: 32, seeds: 64, axisValues: 64, cells: 1024 } as const;

/** The settings a sweep may list several values of, besides methods, noise rates and seeds; in grid order. */
export const HYPER_AXES = ['lr', 'lam', 'arch', 'width', 'batchSize', 'erasing'] as const;
export type HyperAxis = (typeof HYPER_AXES)[number];
/** Each listed axis: its values in table order, each at most once. */
export type SweepAxes = { [K in HyperAxis]?: TrainConfig[K][] };
/** A cell's values of the sweep's hyperparameter axes (empty for a sweep without any). */
export type CellParams = { [K in HyperAxis]?: TrainConfig[K] };
/** Every axis a table can be laid out by (seeds are averaged over). */
export const TABLE_AXES = ['method', 'noise', ...HYPER_AXES] as const;
export type TableAxis = (typeof TABLE_AXES)[number];

const ARCHES: readonly Arch[] = ['resnet18', 'resnet50'];
const ERASING: readonly ErasingMode[] = ['independent', 'mirrored'];
/** Short tags of each axis in cell ids: `eac-noise0.2-seed1-lr0.001-lam3`. */
const AXIS_TAG: Record<HyperAxis, string> = { lr: 'lr', lam: 'lam', arch: '', width: 'w', batchSize: 'bs', erasing: 'erasing-' };
const ARCH_NAME: Record<Arch, string> = { resnet18: 'ResNet-18', resnet50: 'ResNet-50' };

/** An axis's value as people write it ("lr 0.001", "λ 3", "ResNet-50", "batch 64"). */
export function axisValueLabel(axis: TableAxis, v: unknown): string {
  switch (axis) {
    case 'method':
      return methodLabel(v as Method);
    case 'noise':
      return formatNoise(v as number);
    case 'lr':
      return `lr ${v}`;
    case 'lam':
      return `λ ${v}`;
    case 'arch':
      return ARCH_NAME[v as Arch] ?? String(v);
    case 'width':
      return `width ${v}`;
    case 'batchSize':
      return `batch ${v}`;
    case 'erasing':
      return `erasing ${v}`;
  }
}

/** "lr 0.001, λ 3" (empty for no axes). */
export function paramsLabel(params: CellParams): string {
  return HYPER_AXES.filter((k) => params[k] !== undefined)
    .map((k) => axisValueLabel(k, params[k]))
    .join(', ');
}

/** The hyperparameter axes a spec lists (in grid order). */
export function specAxes(spec: Pick<SweepSpec, 'axes'>): HyperAxis[] {
  return HYPER_AXES.filter((k) => spec.axes?.[k] !== undefined);
}

/** A RAF-DB folder on disk, by path: the CLI's `--data DIR` (the lab's folders are `cached`). */
interface FolderDataOptions {
  kind: 'folder';
  dir: string;
  /** A training label file of EmoLabel/ by name; null: the clean labels. */
  labelFile: string | null;
  /** `eac train --train-count/--test-count`: a class-balanced slice of each split; absent or null: all of it. */
  trainCount?: number | null;
  testCount?: number | null;
  noiseRate: number;
  noiseSeed: number;
}
export type SweepData = DataOptions | FolderDataOptions;

export interface SweepSpec {
  /** In table order; each at most once. */
  methods: Method[];
  /** Label-noise rates in [0, 1), in table order; each at most once. */
  noiseRates: number[];
  /** Training seeds; each at most once. */
  seeds: number[];
  /**
   * The settings every cell shares: the architecture and the fields over the engine's defaults,
   * without `method` and `seed` (the grid's axes). Store the fully resolved configuration when
   * there is one (the CLI does): imported runs are matched on every field given here.
   */
  config: ConfigRequest;
  /** The data every cell shares; each cell sets its own `noiseRate` and `noiseSeed`. */
  data: SweepData;
  /** Pretrained weights every cell starts from (the CLI: key = the file's absolute path); absent or null: random init. */
  weights?: WeightsChoice | null;
  /**
   * Hyperparameter axes: each cell runs with one value of each (over `config`'s). Absent (sweeps
   * made before axes existed) or empty: the grid is methods × noise rates × seeds.
   */
  axes?: SweepAxes;
}

export interface SweepCell {
  /** Stable and file-name safe, e.g. `eac-noise0.2-seed1`. */
  id: string;
  method: Method;
  noiseRate: number;
  seed: number;
  /** Its values of the sweep's hyperparameter axes. */
  params: CellParams;
  /** e.g. "EAC, noise 20%, seed 1" (", lr 0.001" with axes). */
  name: string;
}

export function methodLabel(m: Method): string {
  return m === 'eac' ? 'EAC' : 'Baseline';
}

/** 0.2 → "20%", 0.125 → "12.5%": the rate as people write it. */
export function formatNoise(rate: number): string {
  return `${Number((rate * 100).toFixed(2))}%`;
}

/** The axes' part of a cell id: "-lr0.001-lam3" ("" without axes). */
export function paramsId(params: CellParams): string {
  return HYPER_AXES.filter((k) => params[k] !== undefined)
    .map((k) => `-${AXIS_TAG[k]}${params[k]}`)
    .join('');
}

export function cellId(method: Method, noiseRate: number, seed: number, params: CellParams = {}): string {
  return `${method}-noise${noiseRate}-seed${seed}${paramsId(params)}`;
}

export function cellName(method: Method, noiseRate: number, seed: number, params: CellParams = {}): string {
  const p = paramsLabel(params);
  return `${methodLabel(method)}, noise ${formatNoise(noiseRate)}, seed ${seed}${p ? `, ${p}` : ''}`;
}

/** Whether `v` may be a value of `axis` (the CLI's flags and the sweep file check more closely). */
function axisValueOk(axis: HyperAxis, v: unknown): boolean {
  const pos = (x: unknown) => typeof x === 'number' && Number.isFinite(x) && x > 0;
  switch (axis) {
    case 'lr':
      return pos(v);
    case 'lam':
      return typeof v === 'number' && Number.isFinite(v) && v >= 0;
    case 'width':
    case 'batchSize':
      return pos(v) && Number.isInteger(v);
    case 'arch':
      return ARCHES.includes(v as Arch);
    case 'erasing':
      return ERASING.includes(v as ErasingMode);
  }
}

/** Throws a one-line SweepError for a spec that cannot make a grid. */
export function checkSpecAxes(spec: Pick<SweepSpec, 'methods' | 'noiseRates' | 'seeds' | 'axes'>): void {
  const bad = (msg: string): never => {
    throw new SweepError(`invalid sweep: ${msg}`);
  };
  const { methods, noiseRates, seeds } = spec;
  if (!Array.isArray(methods) || methods.length === 0) bad('no methods');
  if (!Array.isArray(noiseRates) || noiseRates.length === 0) bad('no noise rates');
  if (!Array.isArray(seeds) || seeds.length === 0) bad('no seeds');
  if (noiseRates.length > SWEEP_LIMITS.noiseRates) bad(`at most ${SWEEP_LIMITS.noiseRates} noise rates, got ${noiseRates.length}`);
  if (seeds.length > SWEEP_LIMITS.seeds) bad(`at most ${SWEEP_LIMITS.seeds} seeds, got ${seeds.length}`);
  for (const m of methods) if (!SWEEP_METHODS.includes(m)) bad(`method must be baseline or eac, got ${JSON.stringify(m)}`);
  for (const r of noiseRates)
    if (typeof r !== 'number' || !(r >= 0 && r < 1)) bad(`noise rate must be a number in [0, 1), got ${JSON.stringify(r)}`);
  for (const s of seeds)
    if (typeof s !== 'number' || !Number.isInteger(s) || s < 0 || s > 0xffffffff)
      bad(`seed must be an integer in [0, 4294967295], got ${JSON.stringify(s)}`);
  const dup = <T>(xs: readonly T[]) => xs.find((x, i) => xs.indexOf(x) !== i);
  const d = dup(methods) ?? dup(noiseRates) ?? dup(seeds);
  if (d !== undefined) bad(`${JSON.stringify(d)} is listed twice`);
  let combos = 1;
  for (const k of specAxes(spec)) {
    const xs = spec.axes![k] as unknown[];
    if (!Array.isArray(xs) || xs.length === 0) bad(`no values of ${k}`);
    if (xs.length > SWEEP_LIMITS.axisValues) bad(`at most ${SWEEP_LIMITS.axisValues} values of ${k}, got ${xs.length}`);
    for (const x of xs) if (!axisValueOk(k, x)) bad(`${JSON.stringify(x)} is not a value of ${k}`);
    const dx = dup(xs);
    if (dx !== undefined) bad(`${k} ${JSON.stringify(dx)} is listed twice`);
    combos *= xs.length;
  }
  const cells = methods.length * noiseRates.length * seeds.length * combos;
  if (cells > SWEEP_LIMITS.cells) bad(`at most ${SWEEP_LIMITS.cells} cells, got ${cells}`);
}

/** Every combination of the axes' values (the product, the first axis outermost); [{}] without axes. */
export function axisCombos(spec: Pick<SweepSpec, 'axes'>): CellParams[] {
  let combos: CellParams[] = [{}];
  for (const k of specAxes(spec)) {
    const next: CellParams[] = [];
    for (const c of combos) for (const v of spec.axes![k] as unknown[]) next.push({ ...c, [k]: v });
    combos = next;
  }
  return combos;
}

/**
 * The grid in its default run order: seed by seed, so a partial sweep already fills every cell of
 * the table once; within a seed, method, noise rate, then the axes' product.
 */
export function expandGrid(spec: Pick<SweepSpec, 'methods' | 'noiseRates' | 'seeds' | 'axes'>): SweepCell[] {
  checkSpecAxes(spec);
  const combos = axisCombos(spec);
  const cells: SweepCell[] = [];
  for (const seed of spec.seeds)
    for (const method of spec.methods)
      for (const noiseRate of spec.noiseRates)
        for (const params of combos)
          cells.push({
            id: cellId(method, noiseRate, seed, params),
            method,
            noiseRate,
            seed,
            params,
            name: cellName(method, noiseRate, seed, params),
          });
  return cells;
}

/** The cell's value of a table axis. */
export function cellAxisValue(cell: SweepCell, axis: TableAxis): unknown {
  return axis === 'method' ? cell.method : axis === 'noise' ? cell.noiseRate : cell.params[axis];
}

/** The configuration a cell's run is asked for (the worker or the CLI resolves it over the defaults). */
export function cellConfig(spec: SweepSpec, cell: SweepCell): ConfigRequest {
  return { ...spec.config, ...cell.params, method: cell.method, seed: cell.seed };
}

/**
 * A cell's data: the shared data at the cell's noise rate, the noise drawn with the cell's seed
 * (as `eac train --noise R --seed S` does, so runs from the lab and the CLI meet in one table).
 */
export function cellData(spec: SweepSpec, cell: SweepCell): SweepData {
  return { ...spec.data, noiseRate: cell.noiseRate, noiseSeed: cell.seed };
}

/** The fields of TrainConfig that a sweep's shared settings may not set: the grid's axes. */
export const AXIS_FIELDS: readonly (keyof TrainConfig)[] = ['method', 'seed'];
