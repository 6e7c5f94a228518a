// Progress of long work (reading a dataset, importing weights, drawing an embedding), the one shape
// every worker posts and every store keeps, and the one throttle that decides when to post it.

export interface Progress {
  done: number;
  total: number;
  /** What is being done, for people ("reading RAF-DB basic from the dataset cache"). */
  detail: string;
  /** Units of `done` per second, once measurable (null: not yet). */
  perSecond: number | null;
  /** Seconds left at the current rate (null: unknown). */
  etaSeconds: number | null;
}

/** A Progress at `done` of `total`, with the rate and ETA measured since `startedMs`. */
export function progressAt(done: number, total: number, detail: string, startedMs: number, nowMs: number): Progress {
  const seconds = (nowMs - startedMs) / 1000;
  const perSecond = seconds > 0 && done > 0 ? done / seconds : null;
  return { done, total, detail, perSecond, etaSeconds: perSecond ? Math.max(0, total - done) / perSecond : null };
}

/**
 * Lets a report through at most once per `intervalMs` (and always when `force`, e.g. the first or
 * the last one), so a worker posts a few messages a second however fast its loop runs.
 */
export function throttle(intervalMs: number, now: () => number = () => performance.now()): (force?: boolean) => boolean {
  let last = -Infinity;
  return (force = false) => {
    const t = now();
    if (!force && t - last < intervalMs) return false;
    last = t;
    return true;
  };
}
