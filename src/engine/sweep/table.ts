// The sweep's table, as the paper lays it out: a row per method, a column per noise rate; each
// cell the mean and sample standard deviation over seeds of the runs' paper metric (mean test
// accuracy of the last 5 epochs, RunSummary.testAccLast5), with the paper's number beside it.
import type { Method } from '../config.ts';
import type { Arch } from '../resnet-layout.ts';
import { paperAccuracy, PAPER_RESULTS } from './paper.ts';
import { expandGrid } from './spec.ts';
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
  cells: TableCell[];
}

export interface SweepTable {
  noiseRates: number[];
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
  const seedRank = new Map(spec.seeds.map((s, i) => [s, i]));
  const rows = spec.methods.map((method) => ({
    method,
    cells: spec.noiseRates.map((noiseRate): TableCell => {
      const runs = grid
        .filter((c) => c.method === method && c.noiseRate === noiseRate)
        .sort((a, b) => seedRank.get(a.seed)! - seedRank.get(b.seed)!)
        .map((c) => state.cells[c.id]);
      const values: number[] = [];
      for (const c of runs) if (c.status === 'done' && c.summary.testAccLast5 !== null) values.push(c.summary.testAccLast5);
      const p = paperAccuracy(paperArch, method, noiseRate);
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
  }));
  return { noiseRates: spec.noiseRates.slice(), rows, paperArch };
}
