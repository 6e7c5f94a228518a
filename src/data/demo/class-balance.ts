// How many faces of each class the demo draws: RAF-DB basic's class counts, scaled.
import { FaceRng } from './face-random.ts';

/** RAF-DB basic train counts per class (Surprise, Fear, Disgust, Happiness, Sadness, Anger, Neutral). */
export const RAFDB_TRAIN_COUNTS = [1290, 281, 717, 4772, 1982, 705, 2524] as const;
/** RAF-DB basic test counts per class. */
export const RAFDB_TEST_COUNTS = [329, 74, 160, 1185, 478, 162, 680] as const;

/** Splits `total` in proportion to `ratio` (largest remainder, ties to the lower class index). */
export function proportionalCounts(total: number, ratio: readonly number[]): number[] {
  const sum = ratio.reduce((a, b) => a + b, 0);
  const counts = ratio.map((r) => Math.floor((total * r) / sum));
  let left = total - counts.reduce((a, b) => a + b, 0);
  const order = ratio.map((r, i) => ({ i, rem: (total * r) % sum })).sort((a, b) => b.rem - a.rem || a.i - b.i);
  for (let k = 0; left > 0; k = (k + 1) % order.length, left--) counts[order[k].i]++;
  return counts;
}

/** Labels for one split: exact proportional counts, shuffled deterministically by the seed. */
export function splitLabels(total: number, ratio: readonly number[], seed: number): Int32Array {
  const counts = proportionalCounts(total, ratio);
  const labels = new Int32Array(total);
  let k = 0;
  for (let c = 0; c < counts.length; c++) for (let j = 0; j < counts[c]; j++) labels[k++] = c;
  const rng = new FaceRng(seed);
  for (let i = total - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = labels[i];
    labels[i] = labels[j];
    labels[j] = t;
  }
  return labels;
}
