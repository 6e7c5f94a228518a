// Evaluation figures as pure functions of predictions and labels.

export function accuracy(preds: ArrayLike<number>, labels: ArrayLike<number>): number {
  if (preds.length !== labels.length) throw new Error('accuracy: length mismatch');
  if (preds.length === 0) return 0;
  let ok = 0;
  for (let i = 0; i < preds.length; i++) if (preds[i] === labels[i]) ok++;
  return ok / preds.length;
}

/** confusion[true][pred] counts. */
export function confusionMatrix(preds: ArrayLike<number>, labels: ArrayLike<number>, numClasses: number): number[][] {
  const m = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  for (let i = 0; i < preds.length; i++) m[labels[i]][preds[i]] += 1;
  return m;
}

/**
 * The most classes for which a run keeps the training confusion matrices of every epoch: two K×K
 * count tables per epoch (noisy and true labels) are 20,000 numbers at 100 classes (CIFAR-100),
 * but 2,000,000 at 1,000; above this the epoch records carry none.
 */
export const TRAIN_CONFUSION_MAX_CLASSES = 100;

/**
 * An epoch's training predictions (view 1's, before each update) against the labels the model
 * trained on and against the true ones: confusion[label][pred] each. Null above
 * TRAIN_CONFUSION_MAX_CLASSES.
 */
export function trainConfusion(
  preds: ArrayLike<number>,
  noisyLabels: ArrayLike<number>,
  cleanLabels: ArrayLike<number>,
  numClasses: number,
): { noisy: number[][]; clean: number[][] } | null {
  if (numClasses > TRAIN_CONFUSION_MAX_CLASSES) return null;
  return { noisy: confusionMatrix(preds, noisyLabels, numClasses), clean: confusionMatrix(preds, cleanLabels, numClasses) };
}

/** Recall per true class (null for a class with no samples). */
export function perClassAccuracy(confusion: number[][]): (number | null)[] {
  return confusion.map((row, k) => {
    const total = row.reduce((a, b) => a + b, 0);
    return total === 0 ? null : row[k] / total;
  });
}

/** The paper's figure: the mean test accuracy of the last 5 epochs (fewer if fewer were run). */
export function meanOfLast(values: readonly number[], count = 5): number | null {
  if (values.length === 0) return null;
  const tail = values.slice(-count);
  return tail.reduce((a, b) => a + b, 0) / tail.length;
}

/**
 * Memorisation on label-flipped samples: of the samples whose training label differs from the
 * clean one, the share predicted as the noisy label and as the true label.
 */
export function memorisation(
  preds: ArrayLike<number>,
  noisyLabels: ArrayLike<number>,
  cleanLabels: ArrayLike<number>,
): { flipped: number; predictedNoisy: number | null; predictedClean: number | null } {
  let flipped = 0;
  let noisy = 0;
  let clean = 0;
  for (let i = 0; i < preds.length; i++) {
    if (noisyLabels[i] === cleanLabels[i]) continue;
    flipped++;
    if (preds[i] === noisyLabels[i]) noisy++;
    else if (preds[i] === cleanLabels[i]) clean++;
  }
  return flipped === 0
    ? { flipped, predictedNoisy: null, predictedClean: null }
    : { flipped, predictedNoisy: noisy / flipped, predictedClean: clean / flipped };
}
