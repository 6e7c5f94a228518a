// Evaluation: eval-mode forward passes over a split (resize + normalise only), in batches.
import { tf } from './tf.ts';
import { forward, type Model } from './resnet.ts';
import { accuracy, confusionMatrix, perClassAccuracy } from './metrics.ts';
import type { ImagePipeline } from './augment.ts';
import type { Split } from './dataset.ts';

interface Predictions {
  preds: Int32Array;
  /** N×K logits, row-major. */
  logits: Float32Array;
  numClasses: number;
}

export async function predict(
  model: Model,
  pipeline: ImagePipeline,
  split: Split,
  batchSize: number,
  signal?: AbortSignal,
  /** After each batch: images predicted so far, of all (long test sets show progress). */
  onProgress?: (done: number, total: number) => void,
): Promise<Predictions> {
  const n = split.labels.length;
  const k = model.spec.config.numClasses;
  const per = split.height * split.width * 3;
  const logits = new Float32Array(n * k);
  const preds = new Int32Array(n);
  for (let start = 0; start < n; start += batchSize) {
    signal?.throwIfAborted();
    const count = Math.min(batchSize, n - start);
    const out = tf.tidy(() => {
      const x = pipeline.normalizeBytes(split.images.subarray(start * per, (start + count) * per), count, split.height, split.width);
      return forward(model, x, false).logits;
    });
    const values = (await out.data()) as Float32Array;
    out.dispose();
    logits.set(values, start * k);
    for (let i = 0; i < count; i++) {
      let best = 0;
      for (let c = 1; c < k; c++) if (values[i * k + c] > values[i * k + best]) best = c;
      preds[start + i] = best;
    }
    onProgress?.(start + count, n);
  }
  return { preds, logits, numClasses: k };
}

export interface EvalReport {
  accuracy: number;
  perClassAccuracy: (number | null)[];
  confusion: number[][];
}

export function report(preds: Int32Array, labels: Int32Array, numClasses: number): EvalReport {
  const confusion = confusionMatrix(preds, labels, numClasses);
  return { accuracy: accuracy(preds, labels), perClassAccuracy: perClassAccuracy(confusion), confusion };
}
