// A run made elsewhere joins a sweep's table (the scale-out path: several machines, one run each,
// one table). The run is matched to its cell by method, noise rate and seed, and must share every
// setting the sweep fixes; anything else is refused with a one-line reason.
import type { TrainConfig } from '../config.ts';
import { summarizeRun, type RunSummary } from '../run-types.ts';
import { SweepError } from './errors.ts';
import { reduceSweep } from './reducer.ts';
import { AXIS_FIELDS, cellId, cellName, expandGrid, specAxes, type CellParams } from './spec.ts';
import type { SweepState } from './state.ts';
import { readTrainRunJson, type DataKind } from '../run-check.ts';

/** What a sweep needs to know of a run, whichever tool made it. */
interface SweepRunInput {
  config: TrainConfig;
  noiseRate: number;
  data: { kind: DataKind; trainCount: number | null; testCount: number | null };
  summary: RunSummary;
}

/**
 * The run of `eac train --out FILE` (src/cli/train.ts), every field checked by the flags' rules
 * (readTrainRunJson). Its summary is recomputed from its epochs' test accuracies, the one way the
 * project computes it (summarizeRun), so a hand-edited summary cannot enter the table.
 */
export function runFromTrainJson(doc: unknown, label = 'run'): SweepRunInput {
  const run = readTrainRunJson(doc, label);
  const given = run.summary;
  const summary = summarizeRun(
    run.epochs.map((e) => e.testAcc),
    given.steps,
    given.seconds,
    given.stoppedBy,
  );
  if (summary.testAccLast5 !== given.testAccLast5)
    throw new SweepError(`${label}: its summary (${given.testAccLast5}) is not the mean of its last 5 epochs (${summary.testAccLast5})`);
  return {
    config: run.config,
    noiseRate: run.noise?.rate ?? 0,
    data: { kind: run.data.kind, trainCount: run.data.train, testCount: run.data.test },
    summary,
  };
}

const show = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));

/** The cell this run fills; a one-line SweepError if it belongs to no cell or differs in a shared setting. */
export function matchRun(state: SweepState, run: SweepRunInput): string {
  const { spec } = state;
  const axes = specAxes(spec);
  for (const [k, want] of Object.entries(spec.config) as [keyof TrainConfig, unknown][]) {
    if (AXIS_FIELDS.includes(k) || (axes as string[]).includes(k)) continue;
    if (run.config[k] !== want) throw new SweepError(`the run's ${k} is ${show(run.config[k])}, the sweep's ${show(want)}`);
  }
  const d = spec.data;
  // A folder run (RAF-DB or any other format eac train reads) joins a --data sweep; which folder is
  // the user's to say (runs made elsewhere have other paths), its slice is checked.
  const runKind =
    run.data.kind === 'demo' ? 'demo' : run.data.kind === 'raf-db' ? 'a RAF-DB folder' : `a folder of format ${run.data.kind}`;
  const sweepKind = d.kind === 'demo' ? 'demo' : 'a folder dataset';
  if ((run.data.kind === 'demo') !== (d.kind === 'demo')) throw new SweepError(`the run trained on ${runKind}, the sweep on ${sweepKind}`);
  if (d.kind === 'folder' && (d.trainCount ?? null) !== null && run.data.trainCount !== d.trainCount)
    throw new SweepError(`the run trained on ${run.data.trainCount} images, the sweep on ${d.trainCount} (--train-count)`);
  if (d.kind === 'folder' && (d.testCount ?? null) !== null && run.data.testCount !== d.testCount)
    throw new SweepError(`the run tested on ${run.data.testCount} images, the sweep on ${d.testCount} (--test-count)`);
  if (d.kind === 'demo') {
    if (run.data.trainCount !== d.trainCount || run.data.testCount !== d.testCount)
      throw new SweepError(
        `the run's demo dataset has ${run.data.trainCount} train / ${run.data.testCount} test images, the sweep's ${d.trainCount} / ${d.testCount}`,
      );
  }
  const params: CellParams = Object.fromEntries(axes.map((k) => [k, run.config[k]]));
  const id = cellId(run.config.method, run.noiseRate, run.config.seed, params);
  if (!expandGrid(spec).some((c) => c.id === id))
    throw new SweepError(`the sweep has no cell ${cellName(run.config.method, run.noiseRate, run.config.seed, params)}`);
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
