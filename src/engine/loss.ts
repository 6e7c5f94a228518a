// The EAC objective's parts: cross-entropy on view 1, and the class attention maps whose
// consistency (view 1's against view 2's mirrored back) it adds with weight λ. The step computes
// the loss and its gradient in backprop/eac-head.ts from these.
import { tf, type Scalar, type Tensor1D, type Tensor2D, type Tensor4D } from './tf.ts';
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
