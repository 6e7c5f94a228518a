// Training-mode BatchNorm2d (NHWC) without the autodiff tape: the forward returns what its
// backward needs (the centred input and 1/σ), the backward frees them as soon as it has used them.
import { tf, type Tensor, type Tensor1D, type Tensor4D } from '../tf.ts';
import { BN_EPS, type BatchNormParams } from '../layers.ts';

export interface BnSaved {
  /** x − mean, the size of the activation. */
  centered: Tensor4D;
  /** 1/√(var + ε), per channel. */
  invStd: Tensor1D;
}

interface BnForward {
  y: Tensor4D;
  saved: BnSaved;
  /** Biased batch statistics, for the running averages (the caller owns them). */
  mean: Tensor1D;
  variance: Tensor1D;
}

/** The same ops, in the same order, as layers.ts's batchNorm: identical values. */
export function bnForward(x: Tensor4D, p: BatchNormParams): BnForward {
  return tf.tidy(() => {
    const mean = tf.mean(x, [0, 1, 2]) as Tensor1D;
    const centered = tf.sub(x, mean) as Tensor4D;
    const variance = tf.mean(tf.square(centered), [0, 1, 2]) as Tensor1D;
    const invStd = tf.rsqrt(tf.add(variance, BN_EPS)) as Tensor1D;
    const scale = tf.mul(p.gamma, invStd);
    const y = tf.add(tf.mul(centered, scale), p.beta) as Tensor4D;
    return { y, saved: { centered, invStd }, mean, variance };
  });
}

interface BnGrads {
  dx: Tensor4D;
  dGamma: Tensor1D;
  dBeta: Tensor1D;
}

/**
 * With x̂ = (x − μ)/σ over the M = N·H·W values of a channel:
 * dβ = Σ dy, dγ = Σ dy·x̂, dx = (γ/σ)·(dy − dβ/M − x̂·dγ/M). Frees `saved`.
 */
export function bnBackward(dy: Tensor4D, saved: BnSaved, gamma: Tensor): BnGrads {
  const out = tf.tidy(() => {
    const [n, h, w] = dy.shape;
    const m = n * h * w;
    const { centered, invStd } = saved;
    const dBeta = tf.sum(dy, [0, 1, 2]) as Tensor1D;
    const dyCenteredSum = tf.sum(tf.mul(dy, centered), [0, 1, 2]);
    const dGamma = tf.mul(dyCenteredSum, invStd) as Tensor1D;
    // x̂·dγ/M = centered·(invStd·dγ/M)
    const k = tf.mul(tf.mul(invStd, dGamma), 1 / m);
    const inner = tf.sub(tf.sub(dy, tf.mul(dBeta, 1 / m)), tf.mul(centered, k));
    const dx = tf.mul(inner, tf.mul(gamma, invStd)) as Tensor4D;
    return { dx, dGamma, dBeta };
  });
  saved.centered.dispose();
  saved.invStd.dispose();
  return out;
}
