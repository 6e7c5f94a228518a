// The queue's state machine: one pure function from (state, event) to the next state. An event
// that does not apply to a cell's current state (a late message from a run the user already
// skipped, a finish for a cell that is not running) returns the same state object, unchanged, so
// the lab's asynchronous messages and the CLI's child processes can never corrupt the queue.
import type { RunSummary } from '../run-types.ts';
import type { CellState, CheckpointMark, CellProgress, SweepState } from './state.ts';
import { expandGrid, type SweepCell } from './spec.ts';
import { escapeControls } from '../bounded-json.ts';

export type SweepEvent =
  /** A cell's run starts (or, for a resumable cell, continues from its checkpoint). */
  | { type: 'start'; cellId: string; runId: string; at: number }
  | ({ type: 'progress'; cellId: string } & CellProgress)
  | ({ type: 'checkpoint'; cellId: string } & CheckpointMark)
  /** The run ended. A summary with stoppedBy 'cancelled' is no result: the cell is interrupted instead. */
  | { type: 'finish'; cellId: string; summary: RunSummary; at: number }
  /** The run stopped before its end (Ctrl-C, a pause that stops the run, the tab closing). */
  | { type: 'interrupt'; cellId: string }
  | { type: 'fail'; cellId: string; reason: string }
  | { type: 'skip'; cellId: string }
  /** One cell, or (without cellId) every cell not yet finished. */
  | { type: 'cancel'; cellId?: string }
  /** A failed, skipped or cancelled cell goes back to the queue. */
  | { type: 'requeue'; cellId: string }
  | { type: 'pause' }
  | { type: 'resume' }
  /** The new run order: a permutation of the cell ids. */
  | { type: 'reorder'; order: string[] }
  /** The state was read back after a reload or crash: no run of it is alive any more. */
  | { type: 'reloaded' }
  /** A run made elsewhere fills a cell (see merge.ts for matching it). */
  | { type: 'import'; cellId: string; runId: string; summary: RunSummary; at: number };

/** Longest failure reason kept (one line). */
export const REASON_MAX = 300;

export function oneLine(reason: string): string {
  // A stored reason is shown in terminals and pages: control characters from a file are escaped.
  const line = escapeControls(String(reason).split(/\r?\n/)[0].trim()) || 'unknown error';
  return line.length > REASON_MAX ? line.slice(0, REASON_MAX - 1) + '…' : line;
}

/** A run that stopped: resumable from its checkpoint when it has one, otherwise back to pending. */
function stopped(c: CellState): CellState {
  if (c.status !== 'running') return c;
  return c.checkpoint ? { status: 'resumable', runId: c.runId, checkpoint: c.checkpoint, progress: c.progress } : { status: 'pending' };
}

const OPEN = new Set<CellState['status']>(['pending', 'running', 'resumable']);

function withCell(state: SweepState, id: string, next: CellState | null): SweepState {
  if (next === null || next === state.cells[id]) return state;
  return { ...state, cells: { ...state.cells, [id]: next } };
}

function cellTransition(c: CellState, e: Exclude<SweepEvent, { type: 'pause' | 'resume' | 'reorder' | 'reloaded' }>): CellState | null {
  switch (e.type) {
    case 'start':
      if (c.status === 'pending') return { status: 'running', runId: e.runId, startedAt: e.at, checkpoint: null, progress: null };
      if (c.status === 'resumable')
        return {
          status: 'running',
          runId: e.runId,
          startedAt: e.at,
          // Another run id means a fresh run: the old checkpoint is not its own.
          checkpoint: e.runId === c.runId ? c.checkpoint : null,
          progress: e.runId === c.runId ? c.progress : null,
        };
      return null;
    case 'progress':
      if (c.status !== 'running') return null;
      return { ...c, progress: { step: e.step, totalSteps: e.totalSteps, seconds: e.seconds } };
    case 'checkpoint':
      if (c.status !== 'running') return null;
      return { ...c, checkpoint: { step: e.step, epoch: e.epoch, at: e.at } };
    case 'finish':
      if (c.status !== 'running') return null;
      if (e.summary.stoppedBy === 'cancelled') return stopped(c);
      return { status: 'done', runId: c.runId, summary: e.summary, finishedAt: e.at, imported: false };
    case 'interrupt':
      return c.status === 'running' ? stopped(c) : null;
    case 'fail':
      if (!OPEN.has(c.status)) return null;
      return { status: 'failed', runId: c.status === 'pending' ? null : (c as { runId: string }).runId, reason: oneLine(e.reason) };
    case 'skip':
      return OPEN.has(c.status) ? { status: 'skipped' } : null;
    case 'cancel':
      return OPEN.has(c.status) ? { status: 'cancelled' } : null;
    case 'requeue':
      return c.status === 'failed' || c.status === 'skipped' || c.status === 'cancelled' ? { status: 'pending' } : null;
    case 'import':
      // A running cell's own run is on its way; a done cell keeps its result (requeue it first to replace it).
      if (c.status === 'running' || c.status === 'done') return null;
      return { status: 'done', runId: e.runId, summary: e.summary, finishedAt: e.at, imported: true };
  }
}

function isPermutation(order: readonly string[], of: readonly string[]): boolean {
  if (!Array.isArray(order) || order.length !== of.length) return false;
  const want = new Set(of);
  const seen = new Set<string>();
  for (const id of order) {
    if (typeof id !== 'string' || !want.has(id) || seen.has(id)) return false;
    seen.add(id);
  }
  return true;
}

export function reduceSweep(state: SweepState, e: SweepEvent): SweepState {
  if (e.type === 'cancel' && e.cellId === undefined) {
    let next = state;
    for (const id of state.order) next = withCell(next, id, cellTransition(state.cells[id], e));
    return next;
  }
  switch (e.type) {
    case 'pause':
      return state.paused ? state : { ...state, paused: true };
    case 'resume':
      return state.paused ? { ...state, paused: false } : state;
    case 'reorder':
      if (!isPermutation(e.order, state.order) || e.order.every((id, i) => id === state.order[i])) return state;
      return { ...state, order: e.order.slice() };
    case 'reloaded': {
      let next = state;
      for (const id of state.order) next = withCell(next, id, stopped(state.cells[id]));
      return next;
    }
    default: {
      const c = Object.hasOwn(state.cells, e.cellId!) ? state.cells[e.cellId!] : undefined;
      if (!c) return state;
      return withCell(state, e.cellId!, cellTransition(c, e));
    }
  }
}

/** Moves one cell to a new place in the run order (for a `reorder` event). */
export function moveCell(order: readonly string[], cellId: string, toIndex: number): string[] {
  const from = order.indexOf(cellId);
  if (from < 0) return order.slice();
  const rest = order.filter((id) => id !== cellId);
  const at = Math.max(0, Math.min(rest.length, Math.trunc(toIndex)));
  return [...rest.slice(0, at), cellId, ...rest.slice(at)];
}

export interface NextCell {
  cell: SweepCell;
  /** Continue this run from its checkpoint; null: a new run. */
  resume: { runId: string; checkpoint: CheckpointMark } | null;
}

/**
 * The cell to run next, or null (paused, or nothing left). An interrupted run comes first, so
 * that work already done is finished before new work starts; then pending cells in run order.
 */
export function nextCell(state: SweepState): NextCell | null {
  if (state.paused) return null;
  const byId = new Map(expandGrid(state.spec).map((c) => [c.id, c]));
  for (const id of state.order) {
    const c = state.cells[id];
    if (c.status === 'resumable') return { cell: byId.get(id)!, resume: { runId: c.runId, checkpoint: c.checkpoint } };
  }
  for (const id of state.order) if (state.cells[id].status === 'pending') return { cell: byId.get(id)!, resume: null };
  return null;
}
