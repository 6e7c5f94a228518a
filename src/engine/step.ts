// One optimiser step of EAC (or of the cross-entropy baseline), as the official train loop does
// it: two separate training-mode passes, loss, backward, Adam step; BatchNorm running statistics
// move once per pass.
import { tf, type Scalar, type Tensor, type Tensor1D, type Tensor2D, type Tensor4D } from './tf.ts';
import { applyBatchStats, forward, type Model } from './resnet.ts';
import { attentionMaps, consistencyLoss, crossEntropy } from './loss.ts';
import type { BatchStats } from './layers.ts';
import type { Adam } from './optim.ts';
import type { Method } from './config.ts';

export interface StepInputs {
  x1: Tensor4D;
  /** View 2; unused (may be null) for the baseline. */
  x2: Tensor4D | null;
  labels: Int32Array;
}

/** Gradients and loss parts of one step, before any update. The caller owns every tensor. */
export interface StepGradients {
  loss: Scalar;
  ce: Scalar;
  consistency: Scalar;
  logits1: Tensor2D;
  /** In `model.trainable` order. */
  grads: Tensor[];
  /** Batch statistics of pass 1 then pass 2, for the running averages. */
  batchStats: BatchStats[];
}

export function computeGradients(model: Model, inputs: StepInputs, method: Method, lam: number): StepGradients {
  const batchStats: BatchStats[] = [];
  let ce: Scalar | null = null;
  let consistency: Scalar | null = null;
  let logits1: Tensor2D | null = null;
  const labels = tf.tensor1d(inputs.labels, 'int32') as Tensor1D;
  const fcWeight = model.vars.get('fc.weight') as unknown as Tensor2D;
  const { value, grads } = tf.variableGrads(() => {
    const o1 = forward(model, inputs.x1, true, batchStats);
    const ceT = crossEntropy(o1.logits, labels);
    let loss: Scalar = ceT;
    let cons: Scalar;
    if (method === 'eac') {
      if (!inputs.x2) throw new Error('EAC needs view 2');
      // Two separate passes (not one concatenated batch): BatchNorm statistics per view.
      const o2 = forward(model, inputs.x2, true, batchStats);
      cons = consistencyLoss(attentionMaps(o1.features, fcWeight), attentionMaps(o2.features, fcWeight));
      loss = tf.add(ceT, tf.mul(cons, lam)) as Scalar;
    } else {
      cons = tf.scalar(0);
    }
    ce = tf.keep(ceT);
    consistency = tf.keep(cons);
    logits1 = tf.keep(o1.logits);
    return loss;
  }, model.trainable);
  labels.dispose();
  const ordered = model.trainable.map((v, i) => {
    const g = grads[v.name];
    if (!g) throw new Error(`no gradient for ${model.trainableNames[i]}`);
    return g;
  });
  return { loss: value, ce: ce!, consistency: consistency!, logits1: logits1!, grads: ordered, batchStats };
}

export interface StepResult {
  loss: number;
  ce: number;
  consistency: number;
  /** argmax of view 1's logits (before the update), per sample. */
  preds: Int32Array;
}

/** computeGradients → Adam update → running statistics; reads back only a few numbers. */
export async function trainStep(model: Model, optimizer: Adam, inputs: StepInputs, method: Method, lam: number): Promise<StepResult> {
  const g = computeGradients(model, inputs, method, lam);
  const packed = tf.tidy(() => tf.concat([tf.stack([g.loss, g.ce, g.consistency]), tf.cast(tf.argMax(g.logits1, 1), 'float32')]));
  optimizer.apply(g.grads);
  applyBatchStats(model, g.batchStats);
  tf.dispose([g.loss, g.ce, g.consistency, g.logits1, ...g.grads]);
  const values = (await packed.data()) as Float32Array;
  packed.dispose();
  const n = inputs.labels.length;
  return { loss: values[0], ce: values[1], consistency: values[2], preds: Int32Array.from(values.subarray(3, 3 + n)) };
}
