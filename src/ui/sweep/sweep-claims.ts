// A sweep spread over open tabs, pure: which cell a tab may claim, and what claiming it means for
// the queue. Each tab that trains a cell holds a Web Lock named after it (cellLockName); the lock
// is the mutual exclusion (a tab claims a cell only once it holds its lock, and only then writes
// `start`), and the set of held lock names is what tells a live tab's running cell from one whose
// tab closed or crashed: a running cell with no holder is free again, and resumes from its
// checkpoint in whichever tab claims it next. The impure side (sweep-driver.ts) queries the locks,
// takes them and writes the events these functions return.
import { cellConfig, cellData, reduceSweep, sweepCells, type SweepEvent, type SweepState } from '../../engine/sweep/index.ts';
import type { DriverAction } from './sweep-decisions.ts';
import { sweepLockName } from '../../storage/sweep-store.ts';

/** The Web Lock a tab holds while it trains this cell of a spread sweep. */
export const cellLockName = (sweepId: string, cellId: string) => `${sweepLockName(sweepId)}:cell:${cellId}`;

/** The cells of this sweep whose lock is held (by any tab), from the origin's held lock names. */
export function heldCells(sweepId: string, heldNames: Iterable<string>): Set<string> {
  const prefix = `${sweepLockName(sweepId)}:cell:`;
  const out = new Set<string>();
  for (const name of heldNames) if (name.startsWith(prefix)) out.add(name.slice(prefix.length));
  return out;
}

/**
 * The cells a tab may try to claim, best first, given the cells whose lock some tab holds: the
 * queue's own order (nextCell's): interrupted runs first (a resumable cell, or a running one whose
 * tab is gone), then pending cells in run order. Empty while paused, or for a CLI folder sweep.
 */
export function claimOrder(state: SweepState, held: ReadonlySet<string>): string[] {
  if (state.paused || state.spec.data.kind === 'folder') return [];
  const interrupted: string[] = [];
  const pending: string[] = [];
  for (const id of state.order) {
    if (held.has(id)) continue;
    const s = state.cells[id].status;
    if (s === 'resumable' || s === 'running') interrupted.push(id);
    else if (s === 'pending') pending.push(id);
  }
  return [...interrupted, ...pending];
}

/**
 * The events that hand a cell to the tab that now holds its lock (inside the store's transaction,
 * on the stored queue): none for a pending or resumable cell, `interrupt` for a running one (its
 * tab is gone: it becomes resumable from its checkpoint, or pending without one). null: the cell
 * is no longer open (done, skipped… meanwhile): the tab releases the lock and tries the next.
 */
function claimEvents(state: SweepState, cellId: string): SweepEvent[] | null {
  const c = Object.hasOwn(state.cells, cellId) ? state.cells[cellId] : undefined;
  if (!c || state.paused) return null;
  if (c.status === 'pending' || c.status === 'resumable') return [];
  if (c.status === 'running') return [{ type: 'interrupt', cellId }];
  return null;
}

/** Tabs training this sweep now: one per held cell lock (a tab trains one cell at a time). */
export const spreadTabs = (sweepId: string, heldNames: Iterable<string>): number => heldCells(sweepId, heldNames).size;

/** The claim applied to a stored queue: the queue after it, or null when the cell is not open. */
function applyClaim(state: SweepState, cellId: string): SweepState | null {
  const events = claimEvents(state, cellId);
  return events ? events.reduce(reduceSweep, state) : null;
}

/** What the tab does with the cell it claimed: resume its run from the checkpoint, or start one. */
export function claimedAction(state: SweepState, cellId: string): DriverAction {
  const c = state.cells[cellId];
  const cell = sweepCells(state).find((x) => x.id === cellId);
  if (!cell || (c.status !== 'pending' && c.status !== 'resumable')) return { type: 'wait' };
  if (c.status === 'resumable') return { type: 'resume', cell, runKey: c.runId };
  const data = cellData(state.spec, cell);
  if (data.kind === 'folder') return { type: 'wait' };
  return { type: 'start', cell, config: cellConfig(state.spec, cell), data };
}

/** The impure parts of a claim, given to claimNext (Web Locks and IndexedDB in the lab, fakes in tests). */
export interface ClaimPorts {
  /** The origin's held lock names now. */
  held(): Promise<Iterable<string>>;
  /** Takes the lock if no one holds it: resolves to its release, or null. */
  tryLock(name: string): Promise<(() => void) | null>;
  /** Changes the stored queue in one transaction; resolves to the stored queue after it. */
  update(fn: (s: SweepState) => SweepState): Promise<SweepState>;
}

interface Claim {
  cellId: string;
  release: () => void;
  /** The stored queue after the claim. */
  state: SweepState;
}

/**
 * Claims the next free cell of a spread sweep: in claimOrder, takes the first cell lock that is
 * free, then hands the cell over in the store (applyClaim); a cell that closed meanwhile gives its
 * lock back and the next is tried. null: nothing to claim now.
 */
export async function claimNext(state: SweepState, ports: ClaimPorts): Promise<Claim | null> {
  const held = heldCells(state.id, await ports.held());
  for (const cellId of claimOrder(state, held)) {
    const release = await ports.tryLock(cellLockName(state.id, cellId));
    if (!release) continue;
    let open = false;
    try {
      const stored = await ports.update((s) => {
        const next = applyClaim(s, cellId);
        open = next !== null;
        return next ?? s;
      });
      if (open) return { cellId, release, state: stored };
    } catch (e) {
      release();
      throw e;
    }
    release();
  }
  return null;
}

/**
 * What a tab that takes over a sweep writes first: with no cell lock held, no run of it is alive
 * (the one-tab case: `reloaded`, as always); with some held (tabs still training cells of a sweep
 * that was spread), only the running cells without a holder are interrupted.
 */
export function takeoverEvents(state: SweepState, held: ReadonlySet<string>): SweepEvent[] {
  if (held.size === 0) return [{ type: 'reloaded' }];
  return state.order.filter((id) => state.cells[id].status === 'running' && !held.has(id)).map((cellId) => ({ type: 'interrupt', cellId }));
}
