// The ResNets' training pass and its backward, layer by layer, without the autodiff tape. Each
// layer's forward keeps only what its backward needs (conv: its input, which is the previous
// ReLU's output anyway; BatchNorm: x − μ and 1/σ; ReLU: its output; max pool: nothing of its
// own), and the backward frees each saved tensor as soon as it has used it, so the live memory
// is the saved activations of the passes plus one layer's temporaries.
import { tf, type Tensor, type Tensor4D } from '../tf.ts';
import { conv2dFilterGrad, conv2dInputGrad } from '../conv.ts';
import type { BatchStats } from '../layers.ts';
import { bnParams, type Model } from '../resnet.ts';
import type { ConvSpec } from '../resnet-layout.ts';
import type { Kernels } from '../kernel-table.ts';
import { addBnParamGrads, addMaskedGradient, bnReluBackward, bnReluForward, disposeBnReluSaved, type BnReluSaved } from './bn-relu.ts';
import { maxPoolBackward, maxPoolForward } from './maxpool.ts';
import { reluBackward } from './relu.ts';
import type { GradAccumulator } from './grads.ts';

/** conv → BatchNorm (→ ReLU): the conv's input is borrowed (its producer frees it), the BN's saved state is owned. */
interface ConvBnSaved {
  conv: ConvSpec;
  bn: string;
  input: Tensor4D;
  bnSaved: BnReluSaved;
}

interface BlockSaved {
  /** The block's input (owned by whatever produced it). */
  input: Tensor4D;
  /** Main path: conv-BN units and, between them, the ReLU outputs (owned here). */
  units: ConvBnSaved[];
  reluOuts: Tensor4D[];
  downsample: ConvBnSaved | null;
  /** relu(main + residual): the block's output, owned here (the next block borrows it). */
  output: Tensor4D;
}

export interface PassSaved {
  /** The kernel row the pass ran with (its backward runs with it too). */
  kernels: Kernels;
  stem: ConvBnSaved;
  /** The stem ReLU's output: max pool's input. */
  stemOut: Tensor4D;
  /** Max pool's output: the first block's input. */
  pooled: Tensor4D;
  blocks: BlockSaved[];
}

export interface TrainForward {
  /** The last feature map (the last block's output: also held by `saved`, do not free it). */
  features: Tensor4D;
  saved: PassSaved;
}

const weight = (model: Model, c: ConvSpec) => model.vars.get(`${c.name}.weight`) as unknown as Tensor4D;
const explicitPad = (pad: number) =>
  pad === 0
    ? ('valid' as const)
    : ([
        [0, 0],
        [pad, pad],
        [pad, pad],
        [0, 0],
      ] as [[number, number], [number, number], [number, number], [number, number]]);

interface ConvBnOut {
  y: Tensor4D;
  saved: ConvBnSaved;
  stats: BatchStats;
}

/** conv → BN [+ residual] [→ ReLU]; the batch statistics are returned for the caller to record in layer order. */
function convBnForward(
  model: Model,
  x: Tensor4D,
  conv: ConvSpec,
  bn: string,
  k: Kernels,
  relu: boolean,
  residual: Tensor4D | null,
): ConvBnOut {
  const z = tf.conv2d(x, weight(model, conv), conv.stride, explicitPad(conv.pad));
  const [n, h, w] = z.shape;
  const f = bnReluForward(z, bnParams(model, bn), k.bnRelu, relu, residual);
  return {
    y: f.y,
    saved: { conv, bn, input: x, bnSaved: f.saved },
    stats: { name: bn, mean: f.mean, variance: f.variance, count: n * h * w },
  };
}

/**
 * One training-mode pass; BatchNorm's batch statistics are appended to `record` in layer order.
 * Everything returned is owned by `saved` (free it with backwardPass or disposePass).
 */
export function forwardPass(model: Model, x: Tensor4D, record: BatchStats[], kernels: Kernels): TrainForward {
  const { spec } = model;
  const stem = convBnForward(model, x, spec.stem, 'bn1', kernels, true, null);
  record.push(stem.stats);
  const stemOut = stem.y;
  const pooled = maxPoolForward(stemOut, spec.pool, kernels.maxPool);
  let h = pooled;
  const blocks: BlockSaved[] = [];
  for (const block of spec.blocks) {
    const units: ConvBnSaved[] = [];
    const reluOuts: Tensor4D[] = [];
    const last = block.convs.length - 1;
    let out = h;
    for (let i = 0; i < last; i++) {
      const { conv, bn } = block.convs[i];
      const u = convBnForward(model, out, conv, bn, kernels, true, null);
      record.push(u.stats);
      units.push(u.saved);
      out = u.y;
      reluOuts.push(out);
    }
    // The shortcut first, so that the last unit adds it and applies the ReLU in the same pass;
    // its statistics are still recorded after the main path's (the tape's layer order).
    const d = block.downsample ? convBnForward(model, h, block.downsample.conv, block.downsample.bn, kernels, false, null) : null;
    const u = convBnForward(model, out, block.convs[last].conv, block.convs[last].bn, kernels, true, d ? d.y : h);
    record.push(u.stats);
    units.push(u.saved);
    if (d) {
      record.push(d.stats);
      d.y.dispose();
    }
    blocks.push({ input: h, units, reluOuts, downsample: d ? d.saved : null, output: u.y });
    h = u.y;
  }
  return { features: h, saved: { kernels, stem: stem.saved, stemOut, pooled, blocks } };
}

/**
 * dL/d(conv input) (null for the image) after adding the conv's and BN's parameter gradients;
 * `reluOut` masks dy on the fused path (the ReLU after the BN), null where dy is already masked.
 */
function convBnBackward(
  model: Model,
  dy: Tensor4D,
  reluOut: Tensor4D | null,
  s: ConvBnSaved,
  grads: GradAccumulator,
  inputGradient: boolean,
  k: Kernels,
): Tensor4D | null {
  const p = bnParams(model, s.bn);
  const b = bnReluBackward(dy, reluOut, s.bnSaved, p.gamma);
  addBnParamGrads(grads, s.bn, b.params);
  const w = weight(model, s.conv);
  const dw = conv2dFilterGrad(s.input, b.dx, w.shape, s.conv.stride, s.conv.pad, k);
  grads.add(`${s.conv.name}.weight`, dw);
  const dx = inputGradient ? conv2dInputGrad(b.dx, w, s.input.shape, s.conv.stride, s.conv.pad, k) : null;
  b.dx.dispose();
  return dx;
}

const sumInto = (a: Tensor4D, b: Tensor4D): Tensor4D => {
  const s = tf.add(a, b) as Tensor4D;
  a.dispose();
  b.dispose();
  return s;
};

/**
 * The backward of one pass from dL/d(features); frees every tensor the pass saved (including
 * the features) and `dFeatures`. The stock-op path materialises each ReLU's masked gradient once
 * and frees the ReLU's output before the BN backward (as before the fused kernels); the fused
 * path hands the ReLU outputs to the BN backward as masks instead.
 */
export function backwardPass(model: Model, saved: PassSaved, dFeatures: Tensor4D, grads: GradAccumulator): void {
  const { spec } = model;
  const k = saved.kernels;
  const fused = k.bnRelu === 'fused';
  let dh = dFeatures;
  for (let bi = saved.blocks.length - 1; bi >= 0; bi--) {
    const b = saved.blocks[bi];
    // dL/d(main + residual): masked here on the stock path, inside the BN kernels when fused.
    const dSum = fused ? dh : reluBackward(dh, b.output);
    const sumMask = fused ? b.output : null;
    if (!fused) {
      dh.dispose();
      b.output.dispose();
    }
    // Main path, last unit first.
    let d = dSum;
    let mask = sumMask;
    for (let ui = b.units.length - 1; ui >= 0; ui--) {
      const dIn = convBnBackward(model, d, mask, b.units[ui], grads, true, k)!;
      if (d !== dSum) d.dispose();
      if (mask && mask !== sumMask) mask.dispose();
      d = dIn;
      mask = null;
      if (ui > 0) {
        const r = b.reluOuts[ui - 1];
        if (fused) mask = r;
        else {
          const dr = reluBackward(d, r);
          d.dispose();
          r.dispose();
          d = dr;
        }
      }
    }
    if (b.downsample) {
      const dResidual = convBnBackward(model, dSum, sumMask, b.downsample, grads, true, k)!;
      dSum.dispose();
      dh = sumInto(d, dResidual);
    } else if (fused) {
      dh = addMaskedGradient(d, dSum, b.output, 'fused');
      d.dispose();
      dSum.dispose();
    } else {
      dh = sumInto(d, dSum);
    }
    if (fused) b.output.dispose();
  }
  const dStemOut = maxPoolBackward(dh, saved.stemOut, saved.pooled, spec.pool, k.maxPoolGrad);
  dh.dispose();
  saved.pooled.dispose();
  // The image needs no gradient.
  if (fused) {
    convBnBackward(model, dStemOut, saved.stemOut, saved.stem, grads, false, k);
    dStemOut.dispose();
    saved.stemOut.dispose();
  } else {
    const dStem = reluBackward(dStemOut, saved.stemOut);
    dStemOut.dispose();
    saved.stemOut.dispose();
    convBnBackward(model, dStem, null, saved.stem, grads, false, k);
    dStem.dispose();
  }
}

/** Frees a pass's saved tensors without a backward (error paths). */
export function disposePass(saved: PassSaved): void {
  disposeBnReluSaved(saved.stem.bnSaved);
  const t: Tensor[] = [saved.stemOut, saved.pooled];
  for (const b of saved.blocks) {
    for (const u of b.units) disposeBnReluSaved(u.bnSaved);
    if (b.downsample) disposeBnReluSaved(b.downsample.bnSaved);
    t.push(...b.reluOuts, b.output);
  }
  for (const x of t) if (!x.isDisposed) x.dispose();
}
