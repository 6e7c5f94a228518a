// Training BatchNorm followed (optionally) by a residual add and a ReLU, forward and backward, on
// one of two paths, the kernel table's `bnRelu` (../kernel-table.ts): the fused WGSL kernels on WebGPU
// (../fused/), or the stock ops of batchnorm.ts/relu.ts (cpu, wasm, webgl), whose values the
// golden tests pin. The fused forward keeps the BN input and the batch statistics; the stock one
// keeps x − μ and 1/σ. Either way the backward frees what the forward kept for it.
import { tf, type Tensor, type Tensor1D, type Tensor2D, type Tensor4D } from '../tf.ts';
import type { BatchNormParams } from '../layers.ts';
import type { Kernels } from '../kernel-table.ts';
import { fusedAddMasked, fusedBnApply, fusedBnBackward, fusedBnStats } from '../fused/kernels.ts';
import { bnBackward, bnForward, type BnSaved } from './batchnorm.ts';
import type { GradAccumulator } from './grads.ts';
import { reluBackward } from './relu.ts';

export type BnReluSaved =
  | { kind: 'ops'; saved: BnSaved }
  /** mean and variance are the batch statistics handed to the caller's record: borrowed, not freed here. */
  | { kind: 'fused'; x: Tensor4D; mean: Tensor1D; variance: Tensor1D };

interface BnReluForward {
  y: Tensor4D;
  saved: BnReluSaved;
  /** Biased batch statistics, for the running averages (the caller owns them). */
  mean: Tensor1D;
  variance: Tensor1D;
}

/** [relu](batchNorm(x) [+ residual]). Takes ownership of x; the residual is only read. */
export function bnReluForward(
  x: Tensor4D,
  p: BatchNormParams,
  impl: Kernels['bnRelu'],
  relu: boolean,
  residual: Tensor4D | null,
): BnReluForward {
  if (impl === 'fused') {
    const s = fusedBnStats(x);
    const y = fusedBnApply(x, s, p.gamma, p.beta, relu, residual);
    return { y, saved: { kind: 'fused', x, ...s }, ...s };
  }
  const f = bnForward(x, p);
  x.dispose();
  let y = f.y;
  if (residual) {
    const sum = tf.add(y, residual) as Tensor4D;
    y.dispose();
    y = sum;
  }
  if (relu) {
    const r = tf.relu(y) as Tensor4D;
    y.dispose();
    y = r;
  }
  return { y, saved: { kind: 'ops', saved: f.saved }, mean: f.mean, variance: f.variance };
}

interface BnReluGrads {
  dx: Tensor4D;
  /** [dβ; dγ]: one [2, C] tensor where one kernel writes both (fused), else the two vectors. */
  params: { packed: Tensor2D } | { dBeta: Tensor1D; dGamma: Tensor1D };
}

/**
 * The backward from dL/d(output): `reluOut` is the ReLU's output when the forward had one (its
 * mask), else null. Frees what `saved` owns; dy and reluOut are only read.
 */
export function bnReluBackward(dy: Tensor4D, reluOut: Tensor4D | null, saved: BnReluSaved, gamma: Tensor): BnReluGrads {
  if (saved.kind === 'fused') {
    const g = fusedBnBackward(dy, reluOut, saved.x, saved, gamma);
    saved.x.dispose();
    return { dx: g.dx, params: { packed: g.params } };
  }
  const masked = reluOut ? reluBackward(dy, reluOut) : dy;
  const g = bnBackward(masked, saved.saved, gamma);
  if (masked !== dy) masked.dispose();
  return { dx: g.dx, params: { dBeta: g.dBeta, dGamma: g.dGamma } };
}

/** Hands BatchNorm `bn`'s parameter gradients to the accumulator (which takes them). */
export function addBnParamGrads(grads: GradAccumulator, bn: string, params: BnReluGrads['params']): void {
  if ('packed' in params) grads.addRows([`${bn}.bias`, `${bn}.weight`], params.packed);
  else {
    grads.add(`${bn}.weight`, params.dGamma);
    grads.add(`${bn}.bias`, params.dBeta);
  }
}

/** a + dy·[y > 0] (a residual block's input gradient through the identity shortcut); only reads. */
export function addMaskedGradient(a: Tensor4D, dy: Tensor4D, y: Tensor4D, impl: Kernels['bnRelu']): Tensor4D {
  if (impl === 'fused') return fusedAddMasked(a, dy, y);
  return tf.tidy(() => tf.add(a, reluBackward(dy, y)) as Tensor4D);
}

/** Frees what `saved` owns (error paths). */
export function disposeBnReluSaved(saved: BnReluSaved): void {
  const own = saved.kind === 'fused' ? [saved.x] : [saved.saved.centered, saved.saved.invStd];
  for (const t of own) if (!t.isDisposed) t.dispose();
}
