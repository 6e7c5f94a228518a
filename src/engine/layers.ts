// The building blocks of the ResNets with PyTorch's exact semantics, written only with ops whose
// gradients exist on every tfjs backend (cpu, wasm, webgl, webgpu).
import { tf, type Tensor, type Tensor2D, type Tensor4D, type Variable } from './tf.ts';
import { stridedView } from './strided.ts';
import { fusedRunningStat } from './fused/kernels.ts';
import type { Kernels } from './kernel-table.ts';

export const BN_EPS = 1e-5;
const BN_MOMENTUM = 0.1;

export interface BatchNormParams {
  gamma: Variable;
  beta: Variable;
  runningMean: Variable;
  runningVar: Variable;
}

/** Batch statistics of one training-mode BatchNorm call, for the running-average update. */
export interface BatchStats {
  name: string;
  mean: Tensor;
  variance: Tensor; // biased (what normalisation uses)
  count: number; // N·H·W, for the unbiased correction
}

/**
 * BatchNorm2d on NHWC. Training mode normalises with the biased batch variance and records the
 * batch statistics (kept alive with tf.keep) so the caller can update the running averages
 * after the gradient tape closes; eval mode uses the running statistics.
 */
export function batchNorm(x: Tensor4D, p: BatchNormParams, training: boolean, record: BatchStats[] | null, name: string): Tensor4D {
  if (!training) {
    const scale = tf.mul(p.gamma, tf.rsqrt(tf.add(p.runningVar, BN_EPS)));
    const shift = tf.sub(p.beta, tf.mul(p.runningMean, scale));
    return tf.add(tf.mul(x, scale), shift);
  }
  const mean = tf.mean(x, [0, 1, 2]);
  const centered = tf.sub(x, mean);
  const variance = tf.mean(tf.square(centered), [0, 1, 2]);
  if (record) {
    const [n, h, w] = x.shape;
    record.push({ name, mean: tf.keep(mean), variance: tf.keep(variance), count: n * h * w });
  }
  const scale = tf.mul(p.gamma, tf.rsqrt(tf.add(variance, BN_EPS)));
  return tf.add(tf.mul(centered, scale), p.beta);
}

/**
 * PyTorch's running-statistics update: running = (1−m)·running + m·batch, with the UNBIASED
 * batch variance (count/(count−1)) for running_var; several batches (the passes of a step) are
 * applied in order.
 */
export function updateRunningStats(
  p: BatchNormParams,
  stats: BatchStats | BatchStats[],
  impl: Kernels['runningStats'],
  momentum = BN_MOMENTUM,
): void {
  const list = Array.isArray(stats) ? stats : [stats];
  const correction = (s: BatchStats) => (s.count > 1 ? s.count / (s.count - 1) : 1);
  if (impl === 'fused') {
    // One pass per statistic for two batches instead of four kernels per batch (same formula and rounding order).
    for (let i = 0; i < list.length; ) {
      const n = i + 1 < list.length && list[i + 1].count === list[i].count ? 2 : 1;
      const group = list.slice(i, i + n);
      tf.tidy(() => {
        p.runningMean.assign(
          fusedRunningStat(
            p.runningMean,
            group.map((s) => s.mean),
            momentum,
            1,
          ),
        );
        p.runningVar.assign(
          fusedRunningStat(
            p.runningVar,
            group.map((s) => s.variance),
            momentum,
            correction(group[0]),
          ),
        );
      });
      i += n;
    }
    return;
  }
  for (const s of list) {
    tf.tidy(() => {
      const unbiased = s.count > 1 ? tf.mul(s.variance, correction(s)) : s.variance;
      p.runningMean.assign(tf.add(tf.mul(p.runningMean, 1 - momentum), tf.mul(s.mean, momentum)));
      p.runningVar.assign(tf.add(tf.mul(p.runningVar, 1 - momentum), tf.mul(unbiased, momentum)));
    });
  }
}

/** Output length of PyTorch's MaxPool2d along one axis. */
export function poolOutSize(size: number, k: number, s: number, pad: number, ceilMode: boolean): number {
  const span = size + 2 * pad - k;
  let out = (ceilMode ? Math.ceil(span / s) : Math.floor(span / s)) + 1;
  // PyTorch: in ceil mode the last window must start inside the input or the left padding.
  if (ceilMode && (out - 1) * s >= size + pad) out -= 1;
  return out;
}

/**
 * A max pool's input padded with −∞: `pad` before, and after it room for window offset up to k−1
 * plus oh·s rows (and columns), so every window view is a plain reshape-slice. Used by the pool's
 * forward and by its explicit backward (backprop/maxpool.ts), which recomputes the same views.
 */
export function padForPool(x: Tensor4D, k: number, s: number, pad: number, ceilMode: boolean): { xp: Tensor4D; oh: number; ow: number } {
  const [, h, w] = x.shape;
  const oh = poolOutSize(h, k, s, pad, ceilMode);
  const ow = poolOutSize(w, k, s, pad, ceilMode);
  const padBottom = Math.max(0, k - 1 + oh * s - h - pad);
  const padRight = Math.max(0, k - 1 + ow * s - w - pad);
  const xp = tf.pad(
    x,
    [
      [0, 0],
      [pad, padBottom],
      [pad, padRight],
      [0, 0],
    ],
    -Infinity,
  ) as Tensor4D;
  return { xp, oh, ow };
}

/**
 * MaxPool2d (square kernel k, stride s, padding pad, optional ceil mode) as the maximum of the
 * k·k strided window views. Ties send the gradient to the first maximum in row-major window
 * order, as PyTorch does (tf.maximum routes a tie to its first argument). Built from
 * pad/slice/reshape/maximum so that it has a gradient on every backend (WASM has no MaxPoolGrad).
 */
export function maxPool(x: Tensor4D, k: number, s: number, pad: number, ceilMode: boolean): Tensor4D {
  return tf.tidy(() => {
    const n = x.shape[0];
    const { xp, oh, ow } = padForPool(x, k, s, pad, ceilMode);
    let out: Tensor4D | null = null;
    for (let di = 0; di < k; di++) {
      for (let dj = 0; dj < k; dj++) {
        const view = stridedView(xp, 0, n, di, dj, oh, ow, s);
        out = out === null ? view : (tf.maximum(out, view) as Tensor4D);
      }
    }
    return out as Tensor4D;
  });
}

export function globalAvgPool(x: Tensor4D): Tensor2D {
  return tf.mean(x, [1, 2]) as Tensor2D;
}

/** y = x·W + b with W stored [in, out] (PyTorch's fc.weight transposed). */
export function linear(x: Tensor2D, weight: Tensor2D, bias: Tensor): Tensor2D {
  return tf.add(tf.matMul(x, weight), bias) as Tensor2D;
}

/** The identity whose gradient is zero: PyTorch's `.detach()`. */
export const detach = tf.customGrad(((x: Tensor) => ({
  value: tf.clone(x),
  gradFunc: (dy: Tensor) => tf.zerosLike(dy),
})) as unknown as Parameters<typeof tf.customGrad>[0]) as (x: Tensor) => Tensor;
