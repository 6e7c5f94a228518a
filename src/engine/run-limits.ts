// The limits of a run that the page, the probe and the estimates share: the input sizes a fix may
// step down to, the stand-in model the probe times when a run does not fit a backend, and how long
// a first step may take. No imports of TensorFlow.js: the page uses these without the engine.
import type { Method } from './config.ts';
import type { Arch } from './resnet-layout.ts';

/** A model and batch, as the probe times them. */
export interface ProbeModel {
  arch: Arch;
  width: number;
  size: number;
  batchSize: number;
  method: Method;
}

/** Input sizes a fix may step down to; 96 px keeps EAC's attention maps at 3×3, the smallest the lab does not warn about. */
export const FIX_SIZES: readonly number[] = [224, 160, 112, 96];

/**
 * What the probe times in place of a run that does not fit the backend, to estimate the fixes
 * from: the cheapest fix's model (ResNet-18 at the smallest fix size), at a small batch so that
 * it takes seconds.
 */
export function standInShape(asked: ProbeModel): ProbeModel {
  return {
    arch: 'resnet18',
    width: asked.width,
    size: Math.min(asked.size, FIX_SIZES[FIX_SIZES.length - 1]),
    batchSize: Math.min(asked.batchSize, 8),
    method: asked.method,
  };
}

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
