// A run made elsewhere joins a sweep's table (the scale-out path: several machines, one run each,
// one table). The run is matched to its cell by method, noise rate and seed, and must share every
// setting the sweep fixes; anything else is refused with a one-line reason.
import type { TrainConfig } from '../config.ts';
import { summarizeRun, type RunSummary } from '../run-types.ts';
import { SweepError } from './errors.ts';
import { reduceSweep } from './reducer.ts';
import { AXIS_FIELDS, cellId, cellName, expandGrid } from './spec.ts';
import type { SweepState } from './state.ts';
import { arr, configFields, num, obj, oneOf, runSummary } from './validate.ts';

/** What a sweep needs to know of a run, whichever tool made it. */
export interface SweepRunInput {
  config: TrainConfig;
  noiseRate: number;
  data: { kind: 'demo' | 'raf-db'; trainCount: number | null; testCount: number | null };
  summary: RunSummary;
}

/** Most epochs a run file may list (the CLI caps --epochs at 100000). */
const MAX_EPOCHS = 100_000;

/**
 * The run of `eac train --out FILE` (src/cli/train.ts). Its summary is recomputed from its epochs'
 * test accuracies, the one way the project computes it (summarizeRun), so a hand-edited summary
 * cannot enter the table.
 */
export function runFromTrainJson(doc: unknown, label = 'run'): SweepRunInput {
  const o = obj(doc, label, {
    required: ['config', 'epochs', 'summary', 'data', 'noise'],
    optional: ['steps', 'unfinishedEpoch', 'backend', 'adapter'],
  });
  const config = configFields(o.config, `${label}.config`, true) as TrainConfig;
  const epochs = arr(o.epochs, `${label}.epochs`, MAX_EPOCHS);
  const accs = epochs.map((e, i) => {
    const where = `${label}.epochs[${i}]`;
    if (typeof e !== 'object' || e === null) throw new SweepError(`${where}: expected an object`);
    return num((e as { testAcc?: unknown }).testAcc, `${where}.testAcc`, (x) => x >= 0 && x <= 1, 'an accuracy in [0, 1]');
  });
  const given = runSummary(o.summary, `${label}.summary`);
  const summary = summarizeRun(accs, given.steps, given.seconds, given.stoppedBy);
  if (summary.testAccLast5 !== given.testAccLast5)
    throw new SweepError(`${label}: its summary (${given.testAccLast5}) is not the mean of its last 5 epochs (${summary.testAccLast5})`);
  const d = o.data as Record<string, unknown> | null;
  const kind = oneOf(d?.kind, `${label}.data.kind`, ['demo', 'raf-db'] as const);
  const count = (k: string) => (typeof d?.[k] === 'number' ? (d[k] as number) : null);
  let noiseRate = 0;
  if (o.noise !== null) {
    const n = o.noise as Record<string, unknown>;
    noiseRate = num(typeof n === 'object' ? n.rate : undefined, `${label}.noise.rate`, (x) => x >= 0 && x <= 1, 'a rate in [0, 1]');
  }
  return { config, noiseRate, data: { kind, trainCount: count('train'), testCount: count('test') }, summary };
}

const show = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));

/** The cell this run fills; a one-line SweepError if it belongs to no cell or differs in a shared setting. */
export function matchRun(state: SweepState, run: SweepRunInput): string {
  const { spec } = state;
  for (const [k, want] of Object.entries(spec.config) as [keyof TrainConfig, unknown][]) {
    if (AXIS_FIELDS.includes(k)) continue;
    if (run.config[k] !== want) throw new SweepError(`the run's ${k} is ${show(run.config[k])}, the sweep's ${show(want)}`);
  }
  const d = spec.data;
  const runKind = run.data.kind === 'demo' ? 'demo' : 'a RAF-DB folder';
  const sweepKind = d.kind === 'demo' ? 'demo' : 'a RAF-DB folder';
  if (runKind !== sweepKind) throw new SweepError(`the run trained on ${runKind}, the sweep on ${sweepKind}`);
  if (d.kind === 'demo') {
    if (run.data.trainCount !== d.trainCount || run.data.testCount !== d.testCount)
      throw new SweepError(
        `the run's demo dataset has ${run.data.trainCount} train / ${run.data.testCount} test images, the sweep's ${d.trainCount} / ${d.testCount}`,
      );
  }
  const id = cellId(run.config.method, run.noiseRate, run.config.seed);
  if (!expandGrid(spec).some((c) => c.id === id))
    throw new SweepError(`the sweep has no cell ${cellName(run.config.method, run.noiseRate, run.config.seed)}`);
  return id;
}

/** The sweep with the run in its cell (done, imported); a one-line SweepError when it cannot join. */
export function importRun(state: SweepState, run: SweepRunInput, opts: { runId: string; at: number }): SweepState {
  const id = matchRun(state, run);
  if (run.summary.stoppedBy === 'cancelled') throw new SweepError(`the run was cancelled before its end: it cannot fill ${id}`);
  const c = state.cells[id];
  if (c.status === 'done') throw new SweepError(`${id} already has a result (requeue it to replace it)`);
  if (c.status === 'running') throw new SweepError(`${id} is running here`);
  return reduceSweep(state, { type: 'import', cellId: id, runId: opts.runId, summary: run.summary, at: opts.at });
}
