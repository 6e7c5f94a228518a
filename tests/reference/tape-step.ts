// The reference the explicit backward (src/engine/backprop/) replaced: the EAC step's gradients
// from tfjs's autodiff tape over the forward of resnet.ts and the losses of loss.ts. Kept for the
// tests (and only there): it holds every saved tensor and intermediate gradient until the
// backward ends, which is what the explicit engine's memory budget is checked against.
import { tf, type Scalar, type Tensor1D, type Tensor2D, type Tensor4D } from '../../src/engine/tf.ts';
import { forward, type ConvFn, type Model } from '../../src/engine/resnet.ts';
import { conv2d } from '../../src/engine/conv.ts';
import { kernelsFor } from '../../src/engine/kernel-table.ts';
import { attentionMaps, crossEntropy, flipWidth } from '../../src/engine/loss.ts';
import type { BatchStats } from '../../src/engine/layers.ts';
import type { Method } from '../../src/engine/config.ts';
import type { StepGradients, StepInputs } from '../../src/engine/step.ts';

/** MSE over all N·h·w·K elements between view 1's maps and view 2's maps mirrored back. */
function consistencyLoss(hm1: Tensor4D, hm2: Tensor4D): Scalar {
  return tf.mean(tf.square(tf.sub(hm1, flipWidth(hm2)))) as Scalar;
}

/** What `computeGradients` returns, from the tape. The caller owns every tensor. */
export function tapeGradients(model: Model, inputs: StepInputs, method: Method, lam: number): StepGradients {
  const batchStats: BatchStats[] = [];
  // conv.ts's conv2d: a gradient on every backend (wasm has no Conv2DBackpropFilter).
  const kernels = kernelsFor(tf.getBackend());
  const conv: ConvFn = (x, w, c, inputGradient) => conv2d(x, w, c.stride, c.pad, kernels, { inputGradient });
  let ce: Scalar | null = null;
  let consistency: Scalar | null = null;
  let logits1: Tensor2D | null = null;
  const labels = tf.tensor1d(inputs.labels, 'int32') as Tensor1D;
  const fcWeight = model.vars.get('fc.weight') as unknown as Tensor2D;
  const { value, grads } = tf.variableGrads(() => {
    const o1 = forward(model, inputs.x1, true, batchStats, conv);
    const ceT = crossEntropy(o1.logits, labels);
    let loss: Scalar = ceT;
    let cons: Scalar;
    if (method === 'eac') {
      if (!inputs.x2) throw new Error('EAC needs view 2');
      // Two separate passes (not one concatenated batch): BatchNorm statistics per view.
      const o2 = forward(model, inputs.x2, true, batchStats, conv);
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
