// How long a run's first step may take before the lab stops it with a reason (a GPU emulated in
// software can compile for many minutes). No imports: the page uses it without loading the engine.

/** The bound when nothing was measured, and the most any first step is given. */
export const FIRST_STEP_BOUND_MS = 5 * 60_000;

/**
 * How long the first step may take before the run is stopped: ten times the estimate (at least a
 * minute, at most the fixed bound), or the fixed bound when nothing was measured.
 */
export function firstStepBoundMs(estimateMs: number | null): number {
  if (estimateMs === null || !Number.isFinite(estimateMs) || estimateMs <= 0) return FIRST_STEP_BOUND_MS;
  return Math.min(FIRST_STEP_BOUND_MS, Math.max(60_000, 10 * estimateMs));
}
