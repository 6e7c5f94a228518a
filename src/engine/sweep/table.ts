// The sweep's table, as the paper lays it out: a row per method, a column per noise rate; each
// cell the mean and sample standard deviation over seeds of the runs' paper metric (mean test
// accuracy of the last 5 epochs, RunSummary.testAccLast5), with the paper's number beside it.
import type { Method } from '../config.ts';
import type { Arch } from '../resnet-layout.ts';
import { paperAccuracy, PAPER_RESULTS } from './paper.ts';
import {
  axisCombos,
  axisValueLabel,
  cellAxisValue,
  cellId,
  expandGrid,
  HYPER_AXES,
  paramsLabel,
  specAxes,
  type CellParams,
  type HyperAxis,
  type SweepCell,
  type TableAxis,
} from './spec.ts';
import type { SweepState } from './state.ts';

export interface TableCell {
  method: Method;
  noiseRate: number;
  /** Each finished run's testAccLast5 (a fraction), in seed order. */
  values: number[];
  /** Runs planned for this cell (the sweep's seeds). */
  planned: number;
  n: number;
  /** Fractions; null without runs (std: with fewer than 2). */
  mean: number | null;
  std: number | null;
  /** The paper's accuracy as a fraction; null where it reports none. */
  paper: number | null;
}

interface TableRow {
  method: Method;
  /** The row's values of the sweep's hyperparameter axes ({} without axes): a row per method × combination. */
  params: CellParams;
  cells: TableCell[];
}

export interface SweepTable {
  noiseRates: number[];
  /** The sweep's hyperparameter axes, in grid order (none for the paper's table). */
  axes: HyperAxis[];
  rows: TableRow[];
  /** The architecture of the paper's numbers shown (see paperArchFor). */
  paperArch: Arch;
}

export function mean(xs: readonly number[]): number | null {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null;
}

/** Sample standard deviation (n − 1 in the denominator), as papers report over seeds; null below 2 values. */
export function sampleStd(xs: readonly number[]): number | null {
  if (xs.length < 2) return null;
  const m = mean(xs)!;
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) * (x - m), 0) / (xs.length - 1));
}

/**
 * The paper's architecture to compare a sweep of `arch` with: its own where the paper reports
 * every method of the sweep for it, else the paper's main table (ResNet-50).
 */
function paperArchFor(arch: Arch | undefined, methods: readonly Method[]): Arch {
  const hasAll = (a: Arch) => methods.every((m) => PAPER_RESULTS.some((r) => r.arch === a && r.method === m));
  return arch && hasAll(arch) ? arch : 'resnet50';
}

export function sweepTable(state: SweepState): SweepTable {
  const { spec } = state;
  const paperArch = paperArchFor(spec.config.arch, spec.methods);
  const grid = expandGrid(spec);
  const axes = specAxes(spec);
  const byId = new Map(grid.map((c) => [c.id, c]));
  const rows = spec.methods.flatMap((method) =>
    axisCombos(spec).map((params) => ({
      method,
      params,
      cells: spec.noiseRates.map((noiseRate): TableCell => {
        const runs = spec.seeds.map((seed) => byId.get(cellId(method, noiseRate, seed, params))!).map((c) => state.cells[c.id]);
        const values: number[] = [];
        for (const c of runs) if (c.status === 'done' && c.summary.testAccLast5 !== null) values.push(c.summary.testAccLast5);
        // The paper's numbers are for its own settings: shown beside a sweep without axes only.
        const p = axes.length ? null : paperAccuracy(paperArch, method, noiseRate);
        return {
          method,
          noiseRate,
          values,
          planned: runs.length,
          n: values.length,
          mean: mean(values),
          std: sampleStd(values),
          paper: p === null ? null : p / 100,
        };
      }),
    })),
  );
  return { noiseRates: spec.noiseRates.slice(), axes, rows, paperArch };
}

/** A row's name: "EAC", or "EAC, lr 0.001, λ 3" in a sweep with axes. */
export function rowLabel(row: TableRow): string {
  const p = paramsLabel(row.params);
  return `${axisValueLabel('method', row.method)}${p ? `, ${p}` : ''}`;
}

export interface PivotCell {
  /** Each finished run's testAccLast5 (a fraction), in grid order. */
  values: number[];
  planned: number;
  n: number;
  mean: number | null;
  std: number | null;
}

export interface PivotTable {
  /** The axis of the rows, then the other axes with several values, folded into the rows. */
  rowAxes: TableAxis[];
  colAxis: TableAxis;
  cols: { value: unknown; label: string }[];
  rows: { label: string; key: unknown[]; cells: PivotCell[] }[];
}

/** An axis's values in the spec's order. */
export function axisValues(spec: SweepState['spec'], axis: TableAxis): unknown[] {
  if (axis === 'method') return spec.methods.slice();
  if (axis === 'noise') return spec.noiseRates.slice();
  return (spec.axes?.[axis] as unknown[] | undefined)?.slice() ?? [spec.config[axis]];
}

/**
 * The sweep's results laid out by any two axes: a row per value of `rows` (with every other axis
 * that has several values folded in, so that nothing but seeds is averaged), a column per value of
 * `cols`; each cell the mean and sample std over seeds of testAccLast5.
 */
export function pivotTable(state: SweepState, rows: TableAxis, cols: TableAxis): PivotTable {
  if (rows === cols) throw new Error(`a table needs two different axes, got ${rows} twice`);
  const { spec } = state;
  const multi = (['method', 'noise', ...HYPER_AXES] as TableAxis[]).filter(
    (a) => a !== rows && a !== cols && axisValues(spec, a).length > 1,
  );
  const rowAxes = [rows, ...multi];
  const colValues = axisValues(spec, cols);
  const grid = expandGrid(spec);
  const axisValue = (c: SweepCell, a: TableAxis) => cellAxisValue(c, a) ?? spec.config[a as HyperAxis] ?? null;
  const keyOf = (c: SweepCell) => JSON.stringify(rowAxes.map((a) => axisValue(c, a)));
  // Rows in the axes' own orders: the product of their values, row axis outermost.
  let keys: unknown[][] = [[]];
  for (const a of rowAxes) keys = keys.flatMap((k) => axisValues(spec, a).map((v) => [...k, v]));
  const out: PivotTable['rows'] = keys.map((key) => ({
    key,
    label: key.map((v, i) => axisValueLabel(rowAxes[i], v)).join(', '),
    cells: colValues.map((cv): PivotCell => {
      const runs = grid.filter((c) => keyOf(c) === JSON.stringify(key.map((v) => v ?? null)) && axisValue(c, cols) === (cv ?? null));
      const values: number[] = [];
      for (const c of runs) {
        const st = state.cells[c.id];
        if (st.status === 'done' && st.summary.testAccLast5 !== null) values.push(st.summary.testAccLast5);
      }
      return { values, planned: runs.length, n: values.length, mean: mean(values), std: sampleStd(values) };
    }),
  }));
  return { rowAxes, colAxis: cols, cols: colValues.map((v) => ({ value: v, label: axisValueLabel(cols, v) })), rows: out };
}
