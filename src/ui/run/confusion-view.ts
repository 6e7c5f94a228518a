// Which confusion matrix the Confusion panel shows for an epoch, and how a cell is shaded: pure
// functions of an epoch record (the panel and the unit tests read them).
import type { EpochMetrics } from '../../engine/run-types.ts';
import { TRAIN_CONFUSION_MAX_CLASSES } from '../../engine/metrics.ts';

/** The training predictions against the noisy labels trained on, against the true ones, or the test split's. */
export type ConfusionLabels = 'noisy' | 'clean' | 'test';

export const CONFUSION_LABELS: Record<ConfusionLabels, { button: string; rows: string }> = {
  noisy: { button: 'Train · noisy labels', rows: 'the (noisy) label trained on' },
  clean: { button: 'Train · true labels', rows: 'the true label' },
  test: { button: 'Test', rows: 'the test label' },
};

/** An epoch's table of `labels`, or why there is none (a run from before they were kept, or too many classes). */
export function confusionOf(e: EpochMetrics, labels: ConfusionLabels): { matrix: number[][] } | { missing: string } {
  if (labels === 'test') return { matrix: e.test.confusion };
  if (e.trainConfusion) return { matrix: e.trainConfusion[labels] };
  return e.test.confusion.length > TRAIN_CONFUSION_MAX_CLASSES
    ? { missing: `Training confusion is kept for at most ${TRAIN_CONFUSION_MAX_CLASSES} classes; this run has ${e.test.confusion.length}.` }
    : { missing: 'This epoch kept no training confusion (a run from before the lab kept it).' };
}

/** Each cell's share of its row (its label's samples), 0 in an empty row. */
export function rowShares(m: number[][]): number[][] {
  return m.map((row) => {
    const total = row.reduce((a, b) => a + b, 0);
    return row.map((n) => (total === 0 ? 0 : n / total));
  });
}

/** The share of all samples on the diagonal (the accuracy the table says), null when it counts none. */
export function diagonalShare(m: number[][]): number | null {
  let total = 0;
  let hit = 0;
  m.forEach((row, i) =>
    row.forEach((n, j) => {
      total += n;
      if (i === j) hit += n;
    }),
  );
  return total === 0 ? null : hit / total;
}
