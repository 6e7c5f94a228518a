// The comparison view's figures, as pure functions of stored run records: a stable colour per run,
// a run's method, noise rate and setup, the paper-style table (mean test accuracy of the last 5
// epochs per method × noise rate, with the paper's RAF-DB ResNet-50 numbers beside), the overlaid
// curves, and a read-only lab state of a stored run. No React, no DOM, no TensorFlow.js.
import type { EpochMetrics } from '../../engine/run-types.ts';
import type { AttentionHistory, RunRecord } from '../../storage/run-store.ts';
import type { StepLog } from '../../engine/run-types.ts';
import { meanOfLast } from '../../engine/metrics.ts';
import type { RunState } from '../current-run-store.ts';
import { settingsOfRun } from '../settings.ts';
import { PAPER_NOISE_RATES, paperAccuracy } from '../../engine/sweep/paper.ts';

// ---------------------------------------------------------------------------------------------
// Colour

/** Distinct on white and for common colour-vision deficiencies (Tableau 10, cyan, olive, grey). */
export const RUN_PALETTE = [
  '#4e79a7',
  '#f28e2b',
  '#e15759',
  '#76b7b2',
  '#59a14f',
  '#d4a017',
  '#b07aa1',
  '#ff9da7',
  '#9c755f',
  '#17becf',
  '#bcbd22',
  '#555555',
] as const;

/** FNV-1a of a string (32 bits). */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** A run's own colour, from its key alone. */
export function runColor(key: string): string {
  return RUN_PALETTE[hashString(key) % RUN_PALETTE.length];
}

/**
 * Colours of all stored runs: each run's own colour, unless an older run already has it, then the
 * next free one. Every tab sees the same runs, so every tab gives a run the same colour; two runs
 * share a colour only beyond the palette's size.
 */
export function runColors(records: readonly Pick<RunRecord, 'key' | 'createdAt'>[]): Map<string, string> {
  const out = new Map<string, string>();
  const used = new Set<number>();
  const ordered = records.slice().sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.key.localeCompare(b.key));
  for (const r of ordered) {
    if (used.size === RUN_PALETTE.length) used.clear();
    let i = hashString(r.key) % RUN_PALETTE.length;
    while (used.has(i)) i = (i + 1) % RUN_PALETTE.length;
    used.add(i);
    out.set(r.key, RUN_PALETTE[i]);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// What a run is

export type MethodId = 'baseline' | 'eac';

export function methodOf(r: RunRecord): MethodId {
  return r.request.config.method === 'baseline' ? 'baseline' : 'eac';
}

/**
 * The run's label noise: measured (imports that reported it), else the seeded rate, else the rate
 * a RAF-DB noise file's name states (noise01.txt … noise03.txt: 10 … 30%).
 */
export function noiseRateOf(r: RunRecord): number {
  if (typeof r.labelNoise === 'number' && Number.isFinite(r.labelNoise)) return r.labelNoise;
  const d = r.request.data;
  if (d.noiseRate > 0) return d.noiseRate;
  if (d.kind === 'cached' && d.labelFile) {
    const m = /noise[_-]?0*(\d+)/i.exec(d.labelFile);
    if (m) {
      const n = Number(m[1]);
      return n < 10 ? n / 10 : n / 100;
    }
  }
  return 0;
}

/** The table's column of a noise rate: whole percent (10.11% measured goes with 10%). */
export function noiseColumn(rate: number): number {
  return Math.round(rate * 100);
}

/**
 * Runs compare in one table only if they share data, backbone, input size and planned epochs (a
 * 2-epoch and a 3-epoch run's last-5 means are not the same figure; runs stopped early stay with
 * their plan, the cell says how far each got).
 */
function setupOf(r: RunRecord): { id: string; label: string } {
  const c = r.request.config;
  const d = r.request.data;
  const data = d.kind === 'demo' ? `demo faces ${d.trainCount}/${d.testCount}` : d.name;
  const dataId = d.kind === 'demo' ? `demo:${d.seed}:${d.trainCount}:${d.testCount}` : `cached:${d.key}`;
  return {
    id: `${dataId}|${c.arch}|${c.width}|${c.size}|${c.epochs}`,
    label: `${data} · ${c.arch === 'resnet50' ? 'ResNet-50' : 'ResNet-18'} width ${c.width} · ${c.size} px · ${c.epochs} epoch${c.epochs === 1 ? '' : 's'}`,
  };
}

export const testAccs = (r: RunRecord): number[] => r.epochs.map((e) => e.testAcc);

/** The paper's figure for one run: mean test accuracy of its last 5 recorded epochs. */
export function lastFiveMean(r: RunRecord): number | null {
  return meanOfLast(testAccs(r), 5);
}

// ---------------------------------------------------------------------------------------------
// The table

/** The paper's RAF-DB ResNet-50 (face-pretrained) test accuracy for a column (noise in percent), as a fraction. */
export function paperFraction(method: MethodId, column: number): number | null {
  const p = paperAccuracy('resnet50', method, column / 100);
  return p === null ? null : p / 100;
}
/** The paper's noise columns, in percent. */
const PAPER_COLUMNS = PAPER_NOISE_RATES.map((r) => Math.round(r * 100));

export interface TableCell {
  /** Mean over the cell's runs of each run's last-5 mean. */
  mean: number;
  runs: number;
  keys: string[];
  /** Epochs recorded, per run (same order as keys), and planned. */
  epochsDone: number[];
  epochsPlanned: number[];
}

export interface ComparisonTable {
  setup: string;
  label: string;
  /** Noise columns in percent, the paper's four always, others as runs bring them. */
  columns: number[];
  cells: Record<MethodId, Record<number, TableCell>>;
}

export const METHODS: readonly MethodId[] = ['baseline', 'eac'];

/** One table per setup (runs without a finished epoch are left out), most runs first. */
export function comparisonTables(records: readonly RunRecord[]): ComparisonTable[] {
  const bySetup = new Map<string, { label: string; runs: RunRecord[] }>();
  for (const r of records) {
    if (lastFiveMean(r) === null) continue;
    const s = setupOf(r);
    const g = bySetup.get(s.id) ?? { label: s.label, runs: [] };
    g.runs.push(r);
    bySetup.set(s.id, g);
  }
  const tables: ComparisonTable[] = [];
  for (const [setup, g] of bySetup) {
    const cols = new Set<number>(PAPER_COLUMNS);
    const cells: ComparisonTable['cells'] = { baseline: {}, eac: {} };
    const members: Record<MethodId, Record<number, RunRecord[]>> = { baseline: {}, eac: {} };
    for (const r of g.runs) {
      const col = noiseColumn(noiseRateOf(r));
      cols.add(col);
      (members[methodOf(r)][col] ??= []).push(r);
    }
    for (const m of METHODS) {
      for (const [col, runs] of Object.entries(members[m])) {
        const means = runs.map((r) => lastFiveMean(r) as number);
        cells[m][Number(col)] = {
          mean: means.reduce((a, b) => a + b, 0) / means.length,
          runs: runs.length,
          keys: runs.map((r) => r.key),
          epochsDone: runs.map((r) => r.epochs.length),
          epochsPlanned: runs.map((r) => r.request.config.epochs),
        };
      }
    }
    tables.push({ setup, label: g.label, columns: [...cols].sort((a, b) => a - b), cells });
  }
  return tables.sort((a, b) => count(b) - count(a));
}

const count = (t: ComparisonTable) => METHODS.reduce((n, m) => n + Object.values(t.cells[m]).reduce((k, c) => k + c.runs, 0), 0);

/** "2/2 epochs" for one run; "3 runs, 5–10 epochs" for several. */
export function cellEpochsText(c: TableCell): string {
  if (c.runs === 1) return `${c.epochsDone[0]}/${c.epochsPlanned[0]} epochs`;
  const lo = Math.min(...c.epochsDone);
  const hi = Math.max(...c.epochsDone);
  return `${c.runs} runs, ${lo === hi ? lo : `${lo}–${hi}`} epochs`;
}

// ---------------------------------------------------------------------------------------------
// Curves

export interface Metric {
  id: string;
  title: string;
  pick: (e: EpochMetrics) => number | null;
  /** Only meaningful for runs with flipped labels. */
  noisyOnly?: boolean;
}

export const METRICS: readonly Metric[] = [
  { id: 'test', title: 'Test accuracy', pick: (e) => e.testAcc },
  { id: 'train-noisy', title: 'Train accuracy vs training (noisy) labels', pick: (e) => e.trainAccNoisy },
  { id: 'train-clean', title: 'Train accuracy vs clean labels', pick: (e) => e.trainAccClean },
  {
    id: 'memorised',
    title: 'Memorisation: flipped samples predicted as their noisy label',
    pick: (e) => e.memorisation.predictedNoisy,
    noisyOnly: true,
  },
];

/** Rows for a recharts LineChart: one per epoch, one column `s<i>` per run (null where it has none), and `<prefix><i>` for a second figure. */
export function overlayRows(
  records: readonly RunRecord[],
  pick: (e: EpochMetrics) => number | null,
  more?: { prefix: string; pick: (e: EpochMetrics) => number | null },
): Record<string, number | null>[] {
  const byEpoch = new Map<number, Record<string, number | null>>();
  const val = (v: number | null) => (typeof v === 'number' && Number.isFinite(v) ? v : null);
  records.forEach((r, i) => {
    for (const e of r.epochs) {
      const row = byEpoch.get(e.epoch) ?? { epoch: e.epoch };
      row[`s${i}`] = val(pick(e));
      if (more) row[`${more.prefix}${i}`] = val(more.pick(e));
      byEpoch.set(e.epoch, row);
    }
  });
  return [...byEpoch.values()].sort((a, b) => (a.epoch as number) - (b.epoch as number));
}

// ---------------------------------------------------------------------------------------------
// A stored run, shown read-only by the lab's charts and attention panel

export function runStateOfRecord(r: RunRecord, steps: StepLog[], attention: AttentionHistory | null): RunState {
  const { config, data } = r.request;
  const last = r.epochs[r.epochs.length - 1];
  const testCount = last ? last.test.confusion.reduce((n, row) => n + row.reduce((a, b) => a + b, 0), 0) : 0;
  const status = r.status === 'done' ? 'done' : r.status === 'error' ? 'error' : 'stopped';
  return {
    id: 0,
    status,
    settings: settingsOfRun(config, data, r.request.attention.count),
    progress: null,
    steps,
    epochs: r.epochs,
    summary: r.summary,
    error: r.error,
    errorKind: r.error ? 'other' : null,
    startedAt: Date.parse(r.createdAt) || null,
    runKey: r.key,
    paused: false,
    holding: false,
    checkpointEpoch: r.checkpointEpoch,
    checkpointStep: r.checkpointStep ?? null,
    checkpointPartial: r.checkpointPartial ?? false,
    started: {
      config,
      data,
      weights: r.request.weights ?? null,
      flippedLabels: last?.memorisation.flipped ?? 0,
      trainCount: data.kind === 'demo' ? data.trainCount : 0,
      testCount: data.kind === 'demo' ? data.testCount : testCount,
      runKey: r.key,
      resumedFrom: 0,
      history: { epochs: r.epochs, steps },
      labelsHash: '',
    },
    attention: attention
      ? { views: attention.views, frames: attention.frames.slice().sort((a, b) => a.epoch - b.epoch) }
      : { views: null, frames: [] },
  };
}

// ---------------------------------------------------------------------------------------------
// The next comparison tab

/** The noise rates the paper compares, in order. */
const NOISE_STEPS = PAPER_NOISE_RATES;

/** The next of the paper's noise rates after `rate` (wrapping round), for a "next noise rate" tab. */
export function nextNoiseRate(rate: number): number {
  const i = NOISE_STEPS.findIndex((r) => r > rate + 1e-9);
  return i < 0 ? NOISE_STEPS[0] : NOISE_STEPS[i];
}

export const otherMethod = (m: string): MethodId => (m === 'baseline' ? 'eac' : 'baseline');
