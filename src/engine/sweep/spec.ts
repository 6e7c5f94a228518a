// A sweep's definition and the grid it expands to: every method × noise rate × seed, each cell
// with a stable id (a file name in the CLI's out dir, a key in the lab's store) and a readable name.
// Pure and tfjs-free: the page imports it.
import type { Method, TrainConfig } from '../config.ts';
import type { ConfigRequest, DataOptions, WeightsChoice } from '../run-request.ts';
import { SweepError } from './errors.ts';

export const SWEEP_METHODS: readonly Method[] = ['baseline', 'eac'];

/** Caps that keep a hostile or mistyped spec from asking for millions of runs. */
export const SWEEP_LIMITS = { methods: 2, noiseRates: 32, seeds: 64, cells: 1024 } as const;

/** A RAF-DB folder on disk, by path: the CLI's `--data DIR` (the lab's folders are `cached`). */
interface FolderDataOptions {
  kind: 'folder';
  dir: string;
  /** A training label file of EmoLabel/ by name; null: the clean labels. */
  labelFile: string | null;
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
}

export interface SweepCell {
  /** Stable and file-name safe, e.g. `eac-noise0.2-seed1`. */
  id: string;
  method: Method;
  noiseRate: number;
  seed: number;
  /** e.g. "EAC, noise 20%, seed 1". */
  name: string;
}

export function methodLabel(m: Method): string {
  return m === 'eac' ? 'EAC' : 'Baseline';
}

/** 0.2 → "20%", 0.125 → "12.5%": the rate as people write it. */
export function formatNoise(rate: number): string {
  return `${Number((rate * 100).toFixed(2))}%`;
}

export function cellId(method: Method, noiseRate: number, seed: number): string {
  return `${method}-noise${noiseRate}-seed${seed}`;
}

export function cellName(method: Method, noiseRate: number, seed: number): string {
  return `${methodLabel(method)}, noise ${formatNoise(noiseRate)}, seed ${seed}`;
}

/** Throws a one-line SweepError for a spec that cannot make a grid. */
export function checkSpecAxes(spec: Pick<SweepSpec, 'methods' | 'noiseRates' | 'seeds'>): void {
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
  const cells = methods.length * noiseRates.length * seeds.length;
  if (cells > SWEEP_LIMITS.cells) bad(`at most ${SWEEP_LIMITS.cells} cells, got ${cells}`);
}

/** The grid in its default run order: seed by seed, so a partial sweep already fills every cell of the table once. */
export function expandGrid(spec: Pick<SweepSpec, 'methods' | 'noiseRates' | 'seeds'>): SweepCell[] {
  checkSpecAxes(spec);
  const cells: SweepCell[] = [];
  for (const seed of spec.seeds)
    for (const method of spec.methods)
      for (const noiseRate of spec.noiseRates)
        cells.push({ id: cellId(method, noiseRate, seed), method, noiseRate, seed, name: cellName(method, noiseRate, seed) });
  return cells;
}

/** The configuration a cell's run is asked for (the worker or the CLI resolves it over the defaults). */
export function cellConfig(spec: SweepSpec, cell: SweepCell): ConfigRequest {
  return { ...spec.config, method: cell.method, seed: cell.seed };
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
