// The per-epoch charts' data (accuracy, memorisation, learning rate), from the run's EpochMetrics.
// Pure (no DOM, no React).
import type { EpochMetrics } from '../../engine/run-types.ts';

interface AccuracyRow {
  epoch: number;
  trainNoisy: number;
  trainClean: number;
  test: number;
}

interface MemorisationRow {
  epoch: number;
  /** Of the label-flipped training samples, the share predicted as their (wrong) training label… */
  noisy: number | null;
  /** …and as their true label. */
  clean: number | null;
  flipped: number;
}

export function accuracyRows(epochs: readonly EpochMetrics[]): AccuracyRow[] {
  return epochs.map((e) => ({ epoch: e.epoch, trainNoisy: e.trainAccNoisy, trainClean: e.trainAccClean, test: e.testAcc }));
}

export function memorisationRows(epochs: readonly EpochMetrics[]): MemorisationRow[] {
  return epochs.map((e) => ({
    epoch: e.epoch,
    noisy: e.memorisation.predictedNoisy,
    clean: e.memorisation.predictedClean,
    flipped: e.memorisation.flipped,
  }));
}

/**
 * Whether the run trains on flipped labels: known from the worker's `started` answer before the
 * first epoch ends, else from the epochs themselves; null while neither has arrived.
 */
export function isNoisyRun(flippedLabels: number | null | undefined, epochs: readonly EpochMetrics[]): boolean | null {
  if (typeof flippedLabels === 'number') return flippedLabels > 0;
  if (epochs.length > 0) return epochs[epochs.length - 1].memorisation.flipped > 0;
  return null;
}

interface LrScheduleRow {
  epoch: number;
  /** The rate the schedule gives this epoch (ExponentialLR: lr0·γ^(epoch−1), by repeated multiplication as the engine does). */
  planned: number;
  /** The rate the worker reported for the epoch, once it has finished. */
  actual: number | null;
}

/**
 * The whole run's planned learning rates, with the reported ones filled in: the chart shows where
 * the run is headed from its first step. Without a configuration, only the reported rates.
 */
export function lrScheduleRows(
  epochs: readonly EpochMetrics[],
  plan: { lr: number; gamma: number; epochs: number } | null,
): LrScheduleRow[] {
  const reported = new Map(epochs.map((e) => [e.epoch, e.lr] as const));
  const last = Math.max(plan?.epochs ?? 0, ...epochs.map((e) => e.epoch));
  const rows: LrScheduleRow[] = [];
  let lr = plan?.lr ?? NaN;
  for (let e = 1; e <= last; e++) {
    if (e > 1) lr *= plan?.gamma ?? NaN;
    const actual = reported.get(e) ?? null;
    if (!plan && actual === null) continue;
    rows.push({ epoch: e, planned: plan ? lr : (actual as number), actual });
  }
  return rows;
}
