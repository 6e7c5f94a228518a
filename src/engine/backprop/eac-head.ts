// The head and the EAC objective, forward and backward in one go (no tape): global average pool,
// the fc layer and cross-entropy on view 1; class attention maps of both views from the fc weight,
// DETACHED (no gradient reaches the weight through the maps); the consistency MSE between view 1's
// maps and view 2's mirrored back. The loss values come from the same ops as loss.ts's.
import { tf, type Scalar, type Tensor, type Tensor1D, type Tensor2D, type Tensor4D } from '../tf.ts';
import { crossEntropy, flipWidth } from '../loss.ts';
import { globalAvgPool, linear } from '../layers.ts';

interface HeadResult {
  loss: Scalar;
  ce: Scalar;
  consistency: Scalar;
  logits1: Tensor2D;
  /** dL/dF for each view's last feature map (dF2 null without view 2). */
  dF1: Tensor4D;
  dF2: Tensor4D | null;
  dFcWeight: Tensor2D;
  dFcBias: Tensor1D;
}

/** tf.tidy for an object of tensors (which may hold nulls: tidy's types do not allow them). */
function tidyObject<T>(f: () => T): T {
  return tf.tidy(f as unknown as () => tf.TensorContainer) as unknown as T;
}

/** hm[n,h,w,k] = Σ_c F[n,h,w,c]·W[c,k] (what loss.ts's attentionMaps computes). */
function maps(f: Tensor4D, w: Tensor2D): Tensor4D {
  const [n, h, wd, c] = f.shape;
  return tf.reshape(tf.matMul(tf.reshape(f, [n * h * wd, c]), w), [n, h, wd, w.shape[1]]);
}

/** dF = dhm·Wᵀ, per pixel. */
function mapsBackward(dhm: Tensor4D, w: Tensor2D, c: number): Tensor4D {
  const [n, h, wd, k] = dhm.shape;
  return tf.reshape(tf.matMul(tf.reshape(dhm, [n * h * wd, k]), w, false, true), [n, h, wd, c]);
}

/**
 * Loss parts and the gradients of the head. `f2` null: the cross-entropy baseline (consistency 0).
 * Reads f1/f2, frees nothing of the caller's.
 */
export function eacHead(f1: Tensor4D, f2: Tensor4D | null, w: Tensor2D, b: Tensor, labels: Int32Array | Tensor1D, lam: number): HeadResult {
  return tidyObject((): HeadResult => {
    const [n, h, wd, c] = f1.shape;
    const k = w.shape[1];
    const labelsT = labels instanceof Int32Array ? tf.tensor1d(labels, 'int32') : labels;
    const pooled = globalAvgPool(f1);
    const logits1 = linear(pooled, w, b);
    const ce = crossEntropy(logits1, labelsT);
    // d(mean over n of −log softmax[label])/dlogits = (softmax − onehot)/N.
    const dLogits = tf.div(tf.sub(tf.softmax(logits1), tf.oneHot(labelsT, k)), n) as Tensor2D;
    const dFcWeight = tf.matMul(pooled, dLogits, true, false) as Tensor2D;
    const dFcBias = tf.sum(dLogits, 0) as Tensor1D;
    // Mean-pool backward: dF = dpooled/(h·w) at every pixel.
    const dPool = tf.reshape(tf.div(tf.matMul(dLogits, w, false, true), h * wd), [n, 1, 1, c]) as Tensor4D;
    if (f2 === null) {
      return {
        loss: ce,
        ce,
        consistency: tf.scalar(0),
        logits1,
        dF1: tf.broadcastTo(dPool, [n, h, wd, c]) as Tensor4D,
        dF2: null,
        dFcWeight,
        dFcBias,
      };
    }
    const diff = tf.sub(maps(f1, w), flipWidth(maps(f2, w))) as Tensor4D;
    const consistency = tf.mean(tf.square(diff)) as Scalar;
    const loss = tf.add(ce, tf.mul(consistency, lam)) as Scalar;
    // d(λ·mean(diff²))/dhm1 = 2λ·diff/size; hm2 enters mirrored and with a minus sign.
    const dHm1 = tf.mul(diff, (2 * lam) / diff.size) as Tensor4D;
    const dHm2 = tf.neg(flipWidth(dHm1)) as Tensor4D;
    const dF1 = tf.add(mapsBackward(dHm1, w, c), dPool) as Tensor4D;
    const dF2 = mapsBackward(dHm2, w, c);
    return { loss, ce, consistency, logits1, dF1, dF2, dFcWeight, dFcBias };
  });
}
