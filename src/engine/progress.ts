// Progress of long work (reading a dataset, importing weights, drawing an embedding), the one shape
// every worker posts and every store keeps, and the one throttle that decides when to post it.
import { bytesOfText, countText } from './format.ts';

export interface Progress {
  done: number;
  total: number;
  /** What is being done, for people ("reading RAF-DB basic from the dataset cache"). */
  detail: string;
  /** Units of `done` per second, once measurable (null: not yet). */
  perSecond: number | null;
  /** Seconds left at the current rate (null: unknown). */
  etaSeconds: number | null;
  /** 'bytes': `done` and `total` count bytes (shown as "120 MB / 460 MB"); absent: items. */
  unit?: 'bytes';
}

/** A Progress at `done` of `total`, with the rate and ETA measured since `startedMs`. */
export function progressAt(done: number, total: number, detail: string, startedMs: number, nowMs: number, unit?: 'bytes'): Progress {
  const seconds = (nowMs - startedMs) / 1000;
  const perSecond = seconds > 0 && done > 0 ? done / seconds : null;
  const p: Progress = { done, total, detail, perSecond, etaSeconds: perSecond ? Math.max(0, total - done) / perSecond : null };
  if (unit) p.unit = unit;
  return p;
}

/**
 * A progress for people: "reading RAF-DB basic from the dataset cache: 120 MB / 460 MB",
 * "drawing 480 + 120 demo faces: 1,200 / 1,500"; only the detail while the total is not known (0).
 */
export function progressFigures(p: Pick<Progress, 'done' | 'total' | 'detail' | 'unit'>): string {
  if (!(p.total > 0)) return `${p.detail}…`;
  const figures = p.unit === 'bytes' ? bytesOfText(p.done, p.total) : `${countText(p.done)} / ${countText(p.total)}`;
  return `${p.detail}: ${figures}`;
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

/** Where a rate starts being measured: the first report after the warm-up (compiling, loading). */
export interface RateStart {
  done: number;
  atMs: number;
}

/**
 * A Progress whose rate and ETA leave the warm-up out: measured from `start`, the first report with
 * some work done (the first batch or step carries the compiling and loading, often many times a
 * steady one), and unknown (null: "measuring…") until `minUnits` more are done after it.
 */
export function progressSince(start: RateStart | null, done: number, total: number, detail: string, nowMs: number, minUnits = 1): Progress {
  const units = start ? done - start.done : 0;
  const seconds = start ? (nowMs - start.atMs) / 1000 : 0;
  const perSecond = start && units >= minUnits && seconds > 0 ? units / seconds : null;
  return { done, total, detail, perSecond, etaSeconds: perSecond ? Math.max(0, total - done) / perSecond : null };
}

/** Fewer steps than this after the first are too few to time a run (the first carries the compiling). */
export const ETA_MIN_STEPS = 3;

/**
 * A run's ETA from its measured step time: the steps since `start` (the first step of this start or
 * resume, which carries the compiling), at least ETA_MIN_STEPS of them, else null ("measuring…").
 */
export function stepEtaSeconds(start: RateStart | null, step: number, totalSteps: number, nowMs: number): number | null {
  return progressSince(start, step, totalSteps, '', nowMs, ETA_MIN_STEPS).etaSeconds;
}
