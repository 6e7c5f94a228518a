// The ResNets' training pass and its backward, layer by layer, without the autodiff tape. Each
// layer's forward keeps only what its backward needs (conv: its input, which is the previous
// ReLU's output anyway; BatchNorm: x − μ and 1/σ; ReLU: its output; max pool: nothing of its
// own), and the backward frees each saved tensor as soon as it has used it, so the live memory
// is the saved activations of the passes plus one layer's temporaries.
import { tf, type Tensor, type Tensor4D } from '../tf.ts';
import { conv2dFilterGrad, conv2dInputGrad } from '../conv.ts';
import { maxPool, type BatchNormParams, type BatchStats } from '../layers.ts';
import type { Model } from '../resnet.ts';
import type { ConvSpec } from '../resnet-layout.ts';
import { bnBackward, bnForward, type BnSaved } from './batchnorm.ts';
import { maxPoolBackward } from './maxpool.ts';
import { reluBackward } from './relu.ts';
import type { GradAccumulator } from './grads.ts';

/** conv → BatchNorm: the conv's input is borrowed (its producer frees it), x − μ and 1/σ are owned. */
interface ConvBnSaved {
  conv: ConvSpec;
  bn: string;
  input: Tensor4D;
  bnSaved: BnSaved;
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

function bnParams(model: Model, name: string): BatchNormParams {
  const get = (k: string) => {
    const v = model.vars.get(`${name}.${k}`);
    if (!v) throw new Error(`missing ${name}.${k}`);
    return v;
  };
  return { gamma: get('weight'), beta: get('bias'), runningMean: get('running_mean'), runningVar: get('running_var') };
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

function convBnForward(model: Model, x: Tensor4D, conv: ConvSpec, bn: string, record: BatchStats[]): { y: Tensor4D; saved: ConvBnSaved } {
  const z = tf.conv2d(x, weight(model, conv), conv.stride, explicitPad(conv.pad));
  const [n, h, w] = z.shape;
  const f = bnForward(z, bnParams(model, bn));
  z.dispose();
  record.push({ name: bn, mean: f.mean, variance: f.variance, count: n * h * w });
  return { y: f.y, saved: { conv, bn, input: x, bnSaved: f.saved } };
}

const relu = (x: Tensor4D): Tensor4D => {
  const y = tf.relu(x) as Tensor4D;
  x.dispose();
  return y;
};

/**
 * One training-mode pass; BatchNorm's batch statistics are appended to `record` in layer order.
 * Everything returned is owned by `saved` (free it with backwardPass or disposePass).
 */
export function forwardPass(model: Model, x: Tensor4D, record: BatchStats[]): TrainForward {
  const { spec } = model;
  const stem = convBnForward(model, x, spec.stem, 'bn1', record);
  const stemOut = relu(stem.y);
  const pooled = maxPool(stemOut, spec.pool.k, spec.pool.stride, spec.pool.pad, spec.pool.ceil);
  let h = pooled;
  const blocks: BlockSaved[] = [];
  for (const block of spec.blocks) {
    const units: ConvBnSaved[] = [];
    const reluOuts: Tensor4D[] = [];
    let out = h;
    block.convs.forEach(({ conv, bn }, i) => {
      const u = convBnForward(model, out, conv, bn, record);
      units.push(u.saved);
      out = u.y;
      if (i < block.convs.length - 1) {
        out = relu(out);
        reluOuts.push(out);
      }
    });
    let downsample: ConvBnSaved | null = null;
    let residual = h;
    if (block.downsample) {
      const d = convBnForward(model, h, block.downsample.conv, block.downsample.bn, record);
      downsample = d.saved;
      residual = d.y;
    }
    const sum = tf.add(out, residual) as Tensor4D;
    out.dispose();
    if (residual !== h) residual.dispose();
    const output = relu(sum);
    blocks.push({ input: h, units, reluOuts, downsample, output });
    h = output;
  }
  return { features: h, saved: { stem: stem.saved, stemOut, pooled, blocks } };
}

/** dL/d(conv input) (null for the image) after adding the conv's and BN's parameter gradients. */
function convBnBackward(model: Model, dy: Tensor4D, s: ConvBnSaved, grads: GradAccumulator, inputGradient: boolean): Tensor4D | null {
  const p = bnParams(model, s.bn);
  const b = bnBackward(dy, s.bnSaved, p.gamma);
  grads.add(`${s.bn}.weight`, b.dGamma);
  grads.add(`${s.bn}.bias`, b.dBeta);
  const w = weight(model, s.conv);
  const dw = conv2dFilterGrad(s.input, b.dx, w.shape, s.conv.stride, s.conv.pad);
  grads.add(`${s.conv.name}.weight`, dw);
  const dx = inputGradient ? conv2dInputGrad(b.dx, w, s.input.shape, s.conv.stride, s.conv.pad) : null;
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
 * the features) and `dFeatures`.
 */
export function backwardPass(model: Model, saved: PassSaved, dFeatures: Tensor4D, grads: GradAccumulator): void {
  const { spec } = model;
  let dh = dFeatures;
  for (let bi = saved.blocks.length - 1; bi >= 0; bi--) {
    const b = saved.blocks[bi];
    const dSum = reluBackward(dh, b.output);
    dh.dispose();
    b.output.dispose();
    // Main path, last unit first.
    let d = dSum;
    for (let ui = b.units.length - 1; ui >= 0; ui--) {
      const dIn = convBnBackward(model, d, b.units[ui], grads, true)!;
      if (d !== dSum) d.dispose();
      d = dIn;
      if (ui > 0) {
        const r = b.reluOuts[ui - 1];
        const dr = reluBackward(d, r);
        d.dispose();
        r.dispose();
        d = dr;
      }
    }
    const dResidual = b.downsample ? convBnBackward(model, dSum, b.downsample, grads, true)! : dSum;
    if (dResidual !== dSum) dSum.dispose();
    dh = sumInto(d, dResidual);
  }
  const dStemOut = maxPoolBackward(dh, saved.stemOut, saved.pooled, spec.pool);
  dh.dispose();
  saved.pooled.dispose();
  const dStem = reluBackward(dStemOut, saved.stemOut);
  dStemOut.dispose();
  saved.stemOut.dispose();
  // The image needs no gradient.
  convBnBackward(model, dStem, saved.stem, grads, false);
  dStem.dispose();
}

/** Frees a pass's saved tensors without a backward (error paths). */
export function disposePass(saved: PassSaved): void {
  const t: Tensor[] = [saved.stem.bnSaved.centered, saved.stem.bnSaved.invStd, saved.stemOut, saved.pooled];
  for (const b of saved.blocks) {
    for (const u of b.units) t.push(u.bnSaved.centered, u.bnSaved.invStd);
    if (b.downsample) t.push(b.downsample.bnSaved.centered, b.downsample.bnSaved.invStd);
    t.push(...b.reluOuts, b.output);
  }
  for (const x of t) if (!x.isDisposed) x.dispose();
}
