// The whole sweep's ETA: the cells left times a cell's duration, learned from the cells that
// finished here (imported runs ran elsewhere and say nothing of this machine), or, before any
// has, from the running cell's own pace.
import type { CellProgress, SweepState } from './state.ts';

function fraction(p: CellProgress | null): number {
  return p && p.totalSteps > 0 ? Math.min(1, Math.max(0, p.step / p.totalSteps)) : 0;
}

/** Seconds a whole cell takes, by its progress so far; null before its first step. */
function projected(p: CellProgress | null): number | null {
  const f = fraction(p);
  return p && f > 0 && p.seconds > 0 ? p.seconds / f : null;
}

/**
 * Seconds until every pending, resumable and running cell is done, with `parallel` cells running
 * at once (the CLI's --jobs); 0 when nothing is left; null when nothing has measured a cell yet.
 */
export function sweepEta(state: SweepState, parallel = 1): number | null {
  const finished: number[] = [];
  const paces: number[] = [];
  for (const id of state.order) {
    const c = state.cells[id];
    if (c.status === 'done' && !c.imported && Number.isFinite(c.summary.seconds) && c.summary.seconds > 0) finished.push(c.summary.seconds);
    if (c.status === 'running' || c.status === 'resumable') {
      const p = projected(c.progress);
      if (p !== null) paces.push(p);
    }
  }
  const perCell = finished.length ? finished.reduce((a, b) => a + b, 0) / finished.length : paces.length ? Math.max(...paces) : null;
  let work = 0;
  let open = 0;
  for (const id of state.order) {
    const c = state.cells[id];
    if (c.status === 'pending') {
      if (perCell === null) return null;
      work += perCell;
      open++;
    } else if (c.status === 'running' || c.status === 'resumable') {
      const own = projected(c.progress);
      const whole = own ?? perCell;
      if (whole === null) return null;
      work += whole * (1 - fraction(c.progress));
      open++;
    }
  }
  if (open === 0) return 0;
  return work / Math.max(1, Math.min(Math.floor(parallel), open));
}
