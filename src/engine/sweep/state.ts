// A sweep's queue as plain JSON-serialisable data: the spec, the run order, and each cell's state.
// The lab keeps it in IndexedDB, the CLI as sweep.json in its out dir; both change it only through
// the reducer (reducer.ts) so that a reload or a crash finds it consistent.
import type { RunSummary } from '../run-types.ts';
import { expandGrid, type SweepCell, type SweepSpec } from './spec.ts';

export const SWEEP_STATE_VERSION = 1;

/** The last checkpoint a cell's run saved (its data live with the run: the run store, or the CLI's checkpoint file). */
export interface CheckpointMark {
  /** Optimiser steps done at the checkpoint. */
  step: number;
  /** Finished epochs at the checkpoint. */
  epoch: number;
  /** When it was saved (ms since 1970). */
  at: number;
}

/** How far a cell's run is: for the ETA. `seconds` is its training time so far, over every attempt. */
export interface CellProgress {
  step: number;
  totalSteps: number;
  seconds: number;
}

export type CellState =
  | { status: 'pending' }
  | { status: 'running'; runId: string; startedAt: number; checkpoint: CheckpointMark | null; progress: CellProgress | null }
  /** Stopped before its end (a reload, a crash, Ctrl-C, a pause): continues from its checkpoint. */
  | { status: 'resumable'; runId: string; checkpoint: CheckpointMark; progress: CellProgress | null }
  /** `imported`: the run was made elsewhere and joined by its JSON. */
  | { status: 'done'; runId: string; summary: RunSummary; finishedAt: number; imported: boolean }
  /** `reason` is one line. */
  | { status: 'failed'; runId: string | null; reason: string }
  | { status: 'skipped' }
  | { status: 'cancelled' };

type CellStatus = CellState['status'];
const CELL_STATUSES: readonly CellStatus[] = ['pending', 'running', 'resumable', 'done', 'failed', 'skipped', 'cancelled'];

export interface SweepState {
  version: typeof SWEEP_STATE_VERSION;
  /** Stable, file-name safe. */
  id: string;
  /** Shown to the user. */
  name: string;
  /** ms since 1970. */
  createdAt: number;
  spec: SweepSpec;
  /** Every cell id exactly once, in run order. */
  order: string[];
  cells: Record<string, CellState>;
  /** No new cell starts while paused (the running one may finish or be interrupted). */
  paused: boolean;
}

/** A new sweep: every cell pending, in the grid's order. Throws a one-line SweepError for a bad spec. */
export function createSweep(spec: SweepSpec, opts: { id: string; name: string; createdAt: number }): SweepState {
  const grid = expandGrid(spec);
  const cells: Record<string, CellState> = {};
  for (const c of grid) cells[c.id] = { status: 'pending' };
  return {
    version: SWEEP_STATE_VERSION,
    id: opts.id,
    name: opts.name,
    createdAt: opts.createdAt,
    spec,
    order: grid.map((c) => c.id),
    cells,
    paused: false,
  };
}

/** The sweep's cells in run order, each with its state. */
export function sweepCells(state: SweepState): (SweepCell & { state: CellState })[] {
  const byId = new Map(expandGrid(state.spec).map((c) => [c.id, c]));
  return state.order.map((id) => ({ ...byId.get(id)!, state: state.cells[id] }));
}

type SweepCounts = Record<CellStatus, number> & { total: number };

export function sweepCounts(state: SweepState): SweepCounts {
  const n = Object.fromEntries(CELL_STATUSES.map((s) => [s, 0])) as Record<CellStatus, number>;
  for (const id of state.order) n[state.cells[id].status]++;
  return { ...n, total: state.order.length };
}

/** Nothing left to run: every cell is done, failed, skipped or cancelled. */
export function sweepFinished(state: SweepState): boolean {
  const n = sweepCounts(state);
  return n.pending + n.running + n.resumable === 0;
}
