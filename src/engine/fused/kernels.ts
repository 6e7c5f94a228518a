// The fused WGSL programs (programs.ts) as tfjs kernels of the 'webgpu' backend, so that they run
// through the engine like any op (tidy scopes, memory accounting, the meter's kernel counts) and
// share the backend's device and buffers. Which layers use them is the kernel table's choice
// (../kernel-table.ts): WebGPU's row; the other backends keep the stock-op formulas.
import { tf, type Tensor, type Tensor1D, type Tensor2D, type Tensor4D } from '../tf.ts';
import {
  adamProgram,
  addMaskedProgram,
  bnApplyProgram,
  bnGradInputProgram,
  bnGradReduceProgram,
  bnMeanProgram,
  bnVarianceProgram,
  runningStatProgram,
  convPatchesProgram,
  sumLeadingProgram,
  type WebGpuProgram,
} from './programs.ts';

type Uniform = { type: 'int32' | 'float32'; data: number[] };
type TensorInfo = { dataId: object; shape: number[]; dtype: string };
interface WebGpuBackendLike {
  runWebGPUProgram(program: WebGpuProgram, inputs: TensorInfo[], dtype: 'float32', uniforms?: Uniform[]): TensorInfo;
}

// One entry per scalar: the backend lays a multi-value entry out as a vector (8- or 16-byte aligned).
const int = (...data: number[]): Uniform[] => data.map((d) => ({ type: 'int32', data: [d] }));
const float = (...data: number[]): Uniform[] => data.map((d) => ({ type: 'float32', data: [d] }));

type Attrs = Record<string, number | boolean>;
type Build = (inputs: TensorInfo[], attrs: Attrs) => { program: WebGpuProgram; uniforms: Uniform[] };

function register(name: string, order: string[], build: Build): void {
  if (tf.getKernel(name, 'webgpu')) return;
  tf.registerKernel({
    kernelName: name,
    backendName: 'webgpu',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const list = order.filter((k) => inputs[k] !== undefined).map((k) => inputs[k] as unknown as TensorInfo);
      const { program, uniforms } = build(list, attrs as unknown as Attrs);
      return (backend as unknown as WebGpuBackendLike).runWebGPUProgram(program, list, 'float32', uniforms) as never;
    },
  });
}

const channels = (t: TensorInfo) => t.shape[t.shape.length - 1];
const rows = (t: TensorInfo) => t.shape.reduce((a, b) => a * b, 1) / channels(t);

register('EacBnMean', ['x'], ([x]) => ({ program: bnMeanProgram(channels(x)), uniforms: int(rows(x), channels(x)) }));
register('EacBnVariance', ['x', 'mean'], ([x]) => ({
  program: bnVarianceProgram(channels(x)),
  uniforms: int(rows(x), channels(x)),
}));
register('EacBnApply', ['x', 'mean', 'variance', 'gamma', 'beta', 'residual'], (ins, a) => ({
  program: bnApplyProgram(ins[0].shape, !!a.relu, ins.length === 6),
  uniforms: int(channels(ins[0])),
}));
register('EacBnGradReduce', ['dy', 'y', 'x', 'mean', 'variance'], (ins) => ({
  program: bnGradReduceProgram(channels(ins[0]), ins.length === 5),
  uniforms: int(rows(ins[0]), channels(ins[0])),
}));
register('EacBnGradInput', ['dy', 'y', 'x', 'mean', 'variance', 'gamma', 'grads'], (ins) => ({
  program: bnGradInputProgram(ins[0].shape, ins.length === 7),
  uniforms: [...int(channels(ins[0])), ...float(Math.fround(1 / rows(ins[0])))],
}));
register('EacAddMasked', ['a', 'dy', 'y'], (ins) => ({ program: addMaskedProgram(ins[0].shape), uniforms: [] }));
register('EacRunningStat', ['running', 'batch0', 'batch1'], (ins, a) => ({
  program: runningStatProgram(ins[0].shape[0], ins.length - 1),
  uniforms: float(a.keep as number, a.correction as number, a.momentum as number),
}));

register('EacSumLeading', ['x'], ([x]) => ({ program: sumLeadingProgram(x.shape.slice(1).reduce((a, b) => a * b, 1)), uniforms: [] }));
register('EacConvPatches', ['x'], (_, a) => ({
  program: convPatchesProgram([
    a.batch,
    a.outHeight,
    a.outWidth,
    (a.tapRows as number) * (a.tapCols as number) * (a.channels as number),
  ] as number[]),
  uniforms: int(a.b0 as number, a.i0 as number, a.j0 as number, a.tapCols as number, a.stride as number, a.pad as number),
}));

register('EacAdam', ['p', 'g', 'm', 'v', 'scalars'], (ins, a) => ({
  program: adamProgram(ins[0].shape[0], !!a.decay),
  uniforms: [
    ...int(ins[0].shape[0]),
    ...float(a.wd as number, a.b1 as number, 1 - (a.b1 as number), a.b2 as number, 1 - (a.b2 as number)),
    ...float(a.eps as number),
  ],
}));

const run = <T extends Tensor>(name: string, inputs: Record<string, Tensor | null>, attrs: Attrs = {}): T => {
  const named: Record<string, Tensor> = {};
  for (const [k, v] of Object.entries(inputs)) if (v) named[k] = v;
  return tf.engine().runKernel(name, named, attrs) as T;
};

/** Training BatchNorm's batch statistics: mean and biased variance per channel (two reductions). */
export function fusedBnStats(x: Tensor4D): { mean: Tensor1D; variance: Tensor1D } {
  const mean = run<Tensor1D>('EacBnMean', { x });
  return { mean, variance: run<Tensor1D>('EacBnVariance', { x, mean }) };
}

/** Normalise + affine [+ residual] [+ ReLU] in one pass. */
export function fusedBnApply(
  x: Tensor4D,
  s: { mean: Tensor1D; variance: Tensor1D },
  gamma: Tensor,
  beta: Tensor,
  relu: boolean,
  residual: Tensor4D | null,
): Tensor4D {
  return run('EacBnApply', { x, mean: s.mean, variance: s.variance, gamma, beta, residual }, { relu });
}

/**
 * BatchNorm's backward with the following ReLU's mask (y: that ReLU's output, or null): [dβ; dγ]
 * as one [2, C] reduction, then dx in one pass.
 */
export function fusedBnBackward(
  dy: Tensor4D,
  y: Tensor4D | null,
  x: Tensor4D,
  s: { mean: Tensor1D; variance: Tensor1D },
  gamma: Tensor,
): { dx: Tensor4D; params: Tensor2D } {
  const params = run<Tensor2D>('EacBnGradReduce', { dy, y, x, mean: s.mean, variance: s.variance });
  const dx = run<Tensor4D>('EacBnGradInput', { dy, y, x, mean: s.mean, variance: s.variance, gamma, grads: params });
  return { dx, params };
}

/** a + dy·[y > 0] in one pass. */
export function fusedAddMasked(a: Tensor4D, dy: Tensor4D, y: Tensor4D): Tensor4D {
  return run('EacAddMasked', { a, dy, y });
}

/** running·(1 − momentum) + (batch·correction)·momentum for each batch in turn (one or two), in one pass. */
export function fusedRunningStat(running: Tensor, batches: Tensor[], momentum: number, correction: number): Tensor {
  if (batches.length < 1 || batches.length > 2) throw new Error(`fusedRunningStat: ${batches.length} batches (1 or 2)`);
  return run('EacRunningStat', { running, batch0: batches[0], batch1: batches[1] ?? null }, { keep: 1 - momentum, correction, momentum });
}

/** Σ over the leading axis of [S, …] → […]. */
export function fusedSumLeading(x: Tensor): Tensor {
  const out = run<Tensor>('EacSumLeading', { x });
  return out;
}

interface PatchRequest {
  /** First image and number of images. */
  b0: number;
  batch: number;
  /** First tap (row i0, column j0) and the block of taps (tapRows × tapCols). */
  i0: number;
  j0: number;
  tapRows: number;
  tapCols: number;
  stride: number;
  pad: number;
  outHeight: number;
  outWidth: number;
}

/** Convolution patches of x (NHWC) read in place: [batch, outHeight, outWidth, tapRows·tapCols·C], zeros outside x. */
export function fusedConvPatches(x: Tensor4D, q: PatchRequest): Tensor4D {
  return run('EacConvPatches', { x }, { ...q, channels: x.shape[3] });
}

interface AdamConstants {
  weightDecay: number;
  beta1: number;
  beta2: number;
  eps: number;
}

/**
 * One Adam step of flat vectors p, g, m, v ([n] each) in one pass: [p'; m'; v'] as one [3n] vector.
 * `scalars` = [√(1 − β2^t), lr / (1 − β1^t)], step t's bias corrections: a tensor, not uniforms,
 * so that a replayed step program only writes them (its uniforms are fixed once).
 */
export function fusedAdam(p: Tensor1D, g: Tensor1D, m: Tensor1D, v: Tensor1D, scalars: Tensor1D, c: AdamConstants): Tensor1D {
  return run('EacAdam', { p, g, m, v, scalars }, { decay: c.weightDecay !== 0, wd: c.weightDecay, b1: c.beta1, b2: c.beta2, eps: c.eps });
}
