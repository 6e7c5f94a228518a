// The EAC objective: cross-entropy on view 1 plus λ times the consistency between view 1's
// attention maps and view 2's maps mirrored back.
import { tf, type Scalar, type Tensor, type Tensor1D, type Tensor2D, type Tensor4D } from './tf.ts';
import { detach } from './layers.ts';

/**
 * Class attention maps (CAM) for all classes: hm[n,h,w,k] = Σ_c W[c,k]·F[n,h,w,c], with the head
 * weight DETACHED, so no gradient reaches W through the maps (the backbone still gets one).
 * NHWC here; PyTorch's N×K×h×w holds the same numbers.
 */
export function attentionMaps(features: Tensor4D, fcWeight: Tensor2D): Tensor4D {
  const [n, h, w, c] = features.shape;
  const k = fcWeight.shape[1];
  // reshape + matMul rather than einsum: tf.einsum has no gradient.
  const flat = tf.reshape(features, [n * h * w, c]);
  return tf.reshape(tf.matMul(flat, detach(fcWeight) as Tensor2D), [n, h, w, k]);
}

/** Mirrors maps along their width axis (the official grid_sample with a negated x grid is an exact mirror). */
export function flipWidth(x: Tensor4D): Tensor4D {
  return tf.reverse(x, 2); // tf.image.flipLeftRight has no gradient
}

/** Mean cross-entropy of logits (N×K) against integer labels, as nn.CrossEntropyLoss(). */
export function crossEntropy(logits: Tensor2D, labels: Tensor1D): Scalar {
  const k = logits.shape[1];
  const oneHot = tf.oneHot(tf.cast(labels, 'int32') as Tensor1D, k);
  return tf.neg(tf.mean(tf.sum(tf.mul(oneHot, tf.logSoftmax(logits)), 1))) as Scalar;
}

/** MSE over all N·h·w·K elements between view 1's maps and view 2's maps mirrored back. */
export function consistencyLoss(hm1: Tensor4D, hm2: Tensor4D): Scalar {
  return tf.mean(tf.square(tf.sub(hm1, flipWidth(hm2)))) as Scalar;
}

export interface LossParts {
  loss: Scalar;
  ce: Scalar;
  consistency: Scalar;
}

export function eacLoss(logits1: Tensor2D, labels: Tensor1D, hm1: Tensor4D, hm2: Tensor4D, lam: number): LossParts {
  const ce = crossEntropy(logits1, labels);
  const consistency = consistencyLoss(hm1, hm2);
  return { loss: tf.add(ce, tf.mul(consistency, lam)) as Scalar, ce, consistency };
}

export function argmax(logits: Tensor): Tensor {
  return tf.argMax(logits, 1);
}
