// The first step's watchdog: a run whose first step has not come within a bound after the worker
// began it (firstStepBoundMs: ten times its estimate, 1 to 5 minutes) is stopped with a reason.
// The estimate: a fix's own, else the probe's warm-up of the same model on the same backend.
// Timers and the stop are passed in, so it runs in Node tests with fake timers.
import { firstStepBoundMs } from '../../engine/run-limits.ts';
import type { BackendName, ProbeReport } from '../../worker/protocol.ts';

/** The model a run trains (the form's settings). */
interface ModelOf {
  arch: string;
  width: number;
  size: number;
  batchSize: number;
}

/** The first step's estimate (ms): the fix's, else the probe's warm-up of this model on `backend`; null: none. */
export function firstStepEstimateMs(
  fixEstimateMs: number | null,
  probe: ProbeReport | null,
  model: ModelOf | null,
  backend: BackendName | null,
): number | null {
  if (fixEstimateMs !== null) return fixEstimateMs;
  if (!probe || !model) return null;
  const p = probe.shape;
  if (p.arch !== model.arch || p.width !== model.width || p.size !== model.size || p.batchSize !== model.batchSize) return null;
  return probe.entries.find((e) => e.name === backend && e.outcome === 'measured')?.warmupMs ?? null;
}

export interface FirstStepWatchDeps {
  setTimer(fn: () => void, ms: number): unknown;
  clearTimer(timer: unknown): void;
  /** The bound passed for run `runId` without a first step (the caller checks the run is still waiting). */
  onTimeout(runId: number, boundMs: number): void;
}

export class FirstStepWatch {
  private timer: unknown = null;

  constructor(private readonly deps: FirstStepWatchDeps) {}

  /** The run began its first step: stops it after the bound unless cleared first; returns the bound. */
  arm(runId: number, estimateMs: number | null): number {
    this.clear();
    const boundMs = firstStepBoundMs(estimateMs);
    this.timer = this.deps.setTimer(() => {
      this.timer = null;
      this.deps.onTimeout(runId, boundMs);
    }, boundMs);
    return boundMs;
  }

  /** A step arrived, or the run ended: no stop. */
  clear(): void {
    if (this.timer !== null) this.deps.clearTimer(this.timer);
    this.timer = null;
  }
}
