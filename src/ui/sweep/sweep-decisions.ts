// The sweep driver's decisions, pure: which queue events the lab's current run means (its status,
// progress and checkpoints, seen as the store changes), and what the driver does next (start a
// cell, resume one from its checkpoint, stop a run the user skipped, or wait). The impure side
// (sweep-driver.ts) only subscribes, calls these, and carries the answers out.
import type { ConfigRequest, DataOptions } from '../../engine/run-request.ts';
import {
  cellConfig,
  cellData,
  nextCell,
  type CellState,
  type SweepCell,
  type SweepEvent,
  type SweepState,
} from '../../engine/sweep/index.ts';
import { isRunning, type RunState } from '../current-run-store.ts';
import { DEFAULT_SETTINGS, type Settings } from '../settings.ts';

/** What the driver needs to know of the lab's current run. */
export type LabRun = Pick<
  RunState,
  'status' | 'runKey' | 'progress' | 'summary' | 'error' | 'errorKind' | 'checkpointEpoch' | 'checkpointStep'
>;

export type DriverAction =
  | { type: 'wait' }
  | { type: 'start'; cell: SweepCell; config: ConfigRequest; data: DataOptions }
  | { type: 'resume'; cell: SweepCell; runKey: string }
  /** The lab trains a run of this sweep whose cell was skipped or cancelled: stop it. */
  | { type: 'stop'; runKey: string };

/** The sweep's cell whose run has this key, if it is open (running or resumable). */
export function cellOfRun(state: SweepState, runKey: string | null): { id: string; cell: CellState } | null {
  if (!runKey) return null;
  for (const id of state.order) {
    const c = state.cells[id];
    if ((c.status === 'running' || c.status === 'resumable') && c.runId === runKey) return { id, cell: c };
  }
  return null;
}

/** The cell ids that ever ran under this key and are now closed by the user (skipped, cancelled). */
function closedByUser(state: SweepState, runKey: string, runKeys: ReadonlyMap<string, string>): boolean {
  const id = runKeys.get(runKey);
  if (!id) return false;
  const c = state.cells[id];
  return c !== undefined && (c.status === 'skipped' || c.status === 'cancelled');
}

/**
 * What the driver does now. `busy`: the lab trains a run (a sweep cell's or the user's own: then
 * the sweep waits). `runKeys` maps the run keys this sweep started to their cells, so a run whose
 * cell the user skipped is stopped.
 */
export function decide(state: SweepState, lab: LabRun, runKeys: ReadonlyMap<string, string>): DriverAction {
  if (isRunning(lab.status)) {
    if (lab.status !== 'stopping' && lab.runKey && closedByUser(state, lab.runKey, runKeys)) return { type: 'stop', runKey: lab.runKey };
    return { type: 'wait' };
  }
  const next = nextCell(state);
  if (!next) return { type: 'wait' };
  if (next.resume) return { type: 'resume', cell: next.cell, runKey: next.resume.runId };
  const data = cellData(state.spec, next.cell);
  // A folder on disk is the CLI's (an imported sweep file): the lab cannot train it.
  if (data.kind === 'folder') return { type: 'wait' };
  return { type: 'start', cell: next.cell, config: cellConfig(state.spec, next.cell), data };
}

/** Why a sweep cannot run in this lab, or null (an imported CLI sweep trains on a folder by path). */
export function cannotRunHere(state: SweepState): string | null {
  return state.spec.data.kind === 'folder' ? 'this sweep trains on a folder on disk: run it with eac sweep, or import its runs' : null;
}

/**
 * The queue events one change of the lab's run means for this sweep: `prev` → `run`, at `now`.
 * `base` is the training seconds the cell had before this attempt (a resumed run's earlier ones).
 */
export function eventsOf(state: SweepState, prev: LabRun, run: LabRun, now: number, base: number): SweepEvent[] {
  const found = cellOfRun(state, run.runKey);
  if (!found) return [];
  const { id, cell } = found;
  const out: SweepEvent[] = [];
  const alive = isRunning(run.status);
  if (cell.status === 'resumable') {
    // The lab continues the run on its own (a lost GPU device): the cell runs again.
    if (alive) out.push({ type: 'start', cellId: id, runId: cell.runId, at: now });
    else return out;
  }
  const startedAt = cell.status === 'running' ? cell.startedAt : now;
  if (run.progress && run.progress !== prev.progress && run.progress.phase !== 'data')
    out.push({
      type: 'progress',
      cellId: id,
      step: run.progress.step,
      totalSteps: run.progress.totalSteps,
      seconds: base + Math.max(0, now - startedAt) / 1000,
    });
  if (run.checkpointEpoch !== null && (run.checkpointEpoch !== prev.checkpointEpoch || run.checkpointStep !== prev.checkpointStep))
    out.push({ type: 'checkpoint', cellId: id, epoch: run.checkpointEpoch, step: run.checkpointStep ?? 0, at: now });
  if (run.status === prev.status && run.runKey === prev.runKey) return out;
  if (run.status === 'done' && run.summary) out.push({ type: 'finish', cellId: id, summary: run.summary, at: now });
  else if (run.status === 'stopped') {
    // The user stopped the run from the run bar: the cell keeps its checkpoint, and the sweep
    // pauses rather than resuming it at once against the user's wish.
    if (run.summary) out.push({ type: 'finish', cellId: id, summary: run.summary, at: now });
    else out.push({ type: 'interrupt', cellId: id });
    out.push({ type: 'pause' });
  } else if (run.status === 'error') {
    if (run.errorKind === 'device-lost') out.push({ type: 'interrupt', cellId: id });
    else out.push({ type: 'fail', cellId: id, reason: run.error ?? 'the run failed' });
  }
  return out;
}

/** The form's settings of a cell's run (for the run bar and panels while it trains). */
export function settingsOfCell(state: SweepState, cell: SweepCell, attentionCount: number): Settings {
  const c = cellConfig(state.spec, cell);
  const d = cellData(state.spec, cell);
  const pick = <K extends keyof Settings>(k: K, v: unknown): Settings[K] => (v === undefined ? DEFAULT_SETTINGS[k] : (v as Settings[K]));
  return {
    arch: c.arch,
    layout: pick('layout', c.layout),
    width: pick('width', c.width),
    method: cell.method,
    lam: pick('lam', c.lam),
    noiseRate: cell.noiseRate,
    noiseKind: 'noiseKind' in d && d.noiseKind ? d.noiseKind : 'symmetric',
    noiseSeed: d.noiseSeed,
    epochs: pick('epochs', c.epochs),
    batchSize: pick('batchSize', c.batchSize),
    lr: pick('lr', c.lr),
    size: pick('size', c.size),
    erasing: pick('erasing', c.erasing),
    seed: cell.seed,
    sampler: pick('sampler', c.sampler),
    trainCount: d.kind === 'demo' ? d.trainCount : DEFAULT_SETTINGS.trainCount,
    testCount: d.kind === 'demo' ? d.testCount : DEFAULT_SETTINGS.testCount,
    attentionCount,
  };
}

/**
 * The runs a queue change abandons: a cell whose run died before its first checkpoint goes back to
 * the queue and starts afresh under a new run, so the dead run (no checkpoint, no epoch) would only
 * stay in the run list as an "interrupted" copy beside the new one (issue 23). Pure.
 */
export function abandonedRuns(before: SweepState, after: SweepState): string[] {
  const out: string[] = [];
  for (const id of after.order) {
    const was = before.cells[id];
    if (was?.status === 'running' && after.cells[id]?.status === 'pending') out.push(was.runId);
  }
  return out;
}
