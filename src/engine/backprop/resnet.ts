// The ResNets' training pass and its backward, walking the one list of layers of resnet-graph.ts
// forwards and then backwards, without the autodiff tape. Each layer's forward keeps only what its
// backward needs (conv: its input, which is a ReLU's or the pool's output anyway; BatchNorm: its
// saved state; max pool: nothing of its own), and the backward frees each saved tensor as soon as
// its last user has run, so the live memory is the saved activations of the passes plus one
// layer's temporaries.
//
// The ReLU's mask: on the stock-op row the masked gradient dy·[y > 0] is made once, where the
// ReLU's layer runs backward, and the ReLU's output freed before the BatchNorm backward. On the
// fused row it is never made: the BatchNorm kernels and the residual add (a + dy·[y > 0]) read dy
// and y directly, so a residual's gradient waits as an unmasked (dy, y) term until it is used.
import { tf, type Tensor4D } from '../tf.ts';
import { explicitPad } from '../conv-plan.ts';
import { conv2dFilterGrad } from '../conv-filter-grad.ts';
import { conv2dInputGrad } from '../conv-input-grad.ts';
import type { BatchStats } from '../layers.ts';
import { bnParams, type Model } from '../resnet.ts';
import { resnetGraph, keptForBackward, type ConvBnLayer, type PassGraph } from '../resnet-graph.ts';
import type { Kernels } from '../kernel-table.ts';
import { addBnParamGrads, addMaskedGradient, bnReluBackward, bnReluForward, disposeBnReluSaved, type BnReluSaved } from './bn-relu.ts';
import { maxPoolBackward, maxPoolForward } from './maxpool.ts';
import { reluBackward } from './relu.ts';
import type { GradAccumulator } from './grads.ts';

interface PassSaved {
  /** The kernel row the pass ran with (its backward runs with it too). */
  kernels: Kernels;
  graph: PassGraph;
  /** Activations kept for the backward, by number (null where freed or never kept; 0, the image, is borrowed). */
  acts: (Tensor4D | null)[];
  /** Each conv-BN layer's BatchNorm state, by layer index. */
  bn: (BnReluSaved | null)[];
}

export interface TrainForward {
  /** The last feature map (also held by `saved`, do not free it). */
  features: Tensor4D;
  saved: PassSaved;
}

const weight = (model: Model, l: ConvBnLayer) => model.vars.get(`${l.conv.name}.weight`) as unknown as Tensor4D;

/** How many later layers read each activation in the forward (to free a shortcut's output after its add). */
function readers(graph: PassGraph): number[] {
  const n = new Array<number>(graph.count).fill(0);
  for (const l of graph.layers) {
    n[l.input]++;
    if (l.kind === 'conv-bn' && l.residual !== null) n[l.residual]++;
  }
  return n;
}

/**
 * One training-mode pass; BatchNorm's batch statistics are appended to `record` in layer order.
 * Everything returned is owned by `saved` (free it with backwardPass or disposePass). With
 * `keep` false nothing is kept for a backward: every activation but the features, and every
 * BatchNorm state, is freed as soon as the pass is past it (a pass to be recomputed later).
 */
export function forwardPass(model: Model, x: Tensor4D, record: BatchStats[], kernels: Kernels, keep = true): TrainForward {
  const graph = resnetGraph(model.spec);
  const acts: (Tensor4D | null)[] = new Array(graph.count).fill(null);
  const bn: (BnReluSaved | null)[] = new Array(graph.layers.length).fill(null);
  const left = readers(graph);
  acts[0] = x;
  const saved: PassSaved = { kernels, graph, acts, bn };
  try {
    graph.layers.forEach((l, i) => {
      const input = acts[l.input]!;
      if (l.kind === 'max-pool') {
        acts[l.output] = maxPoolForward(input, l.pool, kernels.maxPool);
      } else {
        const z = tf.conv2d(input, weight(model, l), l.conv.stride, explicitPad(l.conv.pad));
        const [n, h, w] = z.shape;
        const residual = l.residual === null ? null : acts[l.residual]!;
        const f = bnReluForward(z, bnParams(model, l.bn), kernels.bnRelu, l.relu, residual);
        acts[l.output] = f.y;
        if (keep) bn[i] = f.saved;
        else disposeBnReluSaved(f.saved);
        record.push({ name: l.bn, mean: f.mean, variance: f.variance, count: n * h * w });
        if (l.residual !== null) release(l.residual);
      }
      release(l.input);
    });
  } catch (e) {
    disposePass(saved);
    throw e;
  }
  return { features: acts[graph.features]!, saved };

  // An activation the backward does not need (a shortcut's output) goes once its last reader has run.
  function release(a: number): void {
    if (--left[a] === 0 && a !== 0 && a !== graph.features && !(keep && keptForBackward(graph, a))) {
      acts[a]!.dispose();
      acts[a] = null;
    }
  }
}

/** One part of an activation's gradient: a tensor, or dy·[y > 0] not yet made (fused row). */
type Term = { dy: Tensor4D; mask: Tensor4D | null };

/** Tensors shared between terms and activations, freed at their last release. */
class Shared {
  private readonly refs = new Map<Tensor4D, number>();
  hold(t: Tensor4D): Tensor4D {
    this.refs.set(t, (this.refs.get(t) ?? 0) + 1);
    return t;
  }
  release(t: Tensor4D): void {
    const n = (this.refs.get(t) ?? 1) - 1;
    if (n > 0) this.refs.set(t, n);
    else {
      this.refs.delete(t);
      t.dispose();
    }
  }
  disposeAll(): void {
    for (const t of this.refs.keys()) if (!t.isDisposed) t.dispose();
    this.refs.clear();
  }
}

/**
 * The backward of one pass from dL/d(features); frees every tensor the pass saved (including the
 * features) and `dFeatures`.
 */
export function backwardPass(model: Model, saved: PassSaved, dFeatures: Tensor4D, grads: GradAccumulator): void {
  const { graph, acts, kernels: k } = saved;
  const fused = k.bnRelu === 'fused';
  const shared = new Shared();
  // Kept activations are held once by the pass; a term that masks with one holds it again.
  for (let a = 1; a < graph.count; a++) if (acts[a]) shared.hold(acts[a]!);
  const terms: Term[][] = Array.from({ length: graph.count }, () => []);
  terms[graph.features].push({ dy: shared.hold(dFeatures), mask: null });

  /** The terms of activation a as one gradient: two parts added (a pending mask applied by the fused add), or the one part. */
  const resolve = (a: number): Term => {
    const list = terms[a];
    terms[a] = [];
    if (list.length === 1) return list[0];
    // Every activation of these ResNets has at most two readers: a main path and a shortcut.
    const plain = list.filter((t) => !t.mask);
    const masked = list.filter((t) => t.mask);
    if (list.length !== 2 || plain.length === 0)
      throw new Error(`activation ${a}: ${plain.length} plain and ${masked.length} masked gradient terms`);
    const [p, q] = [plain[0], masked[0] ?? plain[1]];
    let sum: Tensor4D;
    if (q.mask)
      sum = fused ? addMaskedGradient(p.dy, q.dy, q.mask, 'fused') : (tf.tidy(() => tf.add(p.dy, reluBackward(q.dy, q.mask!))) as Tensor4D);
    else sum = tf.add(p.dy, q.dy) as Tensor4D;
    for (const t of [p, q]) {
      shared.release(t.dy);
      if (t.mask) shared.release(t.mask);
    }
    return { dy: shared.hold(sum), mask: null };
  };

  /** A term with its mask applied (where the layer needs the gradient itself). */
  const masked = (t: Term): Tensor4D => {
    if (!t.mask) return t.dy;
    const g = shared.hold(reluBackward(t.dy, t.mask));
    shared.release(t.dy);
    shared.release(t.mask);
    return g;
  };

  const releaseAct = (a: number) => {
    if (a !== 0 && acts[a]) {
      shared.release(acts[a]!);
      acts[a] = null;
    }
  };

  try {
    for (let i = graph.layers.length - 1; i >= 0; i--) {
      const l = graph.layers[i];
      const d = resolve(l.output);
      if (l.kind === 'max-pool') {
        const dy = masked(d);
        const dx = maxPoolBackward(dy, acts[l.input]!, acts[l.output]!, l.pool, k.maxPoolGrad);
        shared.release(dy);
        releaseAct(l.output);
        terms[l.input].push({ dy: shared.hold(dx), mask: null });
        continue;
      }
      // dy and the mask its BatchNorm backward applies: the ReLU's output on the fused row, the
      // pending mask of a shortcut's term, or none (masked here on the stock-op row).
      let dy = d.dy;
      let mask = d.mask;
      if (l.relu) {
        dy = masked(d);
        mask = null;
        const y = acts[l.output]!;
        if (fused) mask = shared.hold(y);
        else {
          const g = shared.hold(reluBackward(dy, y));
          shared.release(dy);
          dy = g;
        }
        releaseAct(l.output);
      }
      // The shortcut's gradient is the same (masked) gradient: shared, not copied.
      if (l.residual !== null) terms[l.residual].push({ dy: shared.hold(dy), mask: mask && shared.hold(mask) });
      const dx = convBnBackward(model, l, acts[l.input]!, saved.bn[i]!, dy, mask, grads, k);
      saved.bn[i] = null;
      shared.release(dy);
      if (mask) shared.release(mask);
      if (dx) terms[l.input].push({ dy: shared.hold(dx), mask: null });
    }
    for (const t of terms.flat()) {
      shared.release(t.dy);
      if (t.mask) shared.release(t.mask);
    }
  } catch (e) {
    shared.disposeAll();
    disposePass(saved);
    throw e;
  }
}

/** dL/d(conv input) (null for the image) after adding the conv's and BN's parameter gradients; `mask` is the ReLU's output where dy is not yet masked. */
function convBnBackward(
  model: Model,
  l: ConvBnLayer,
  x: Tensor4D,
  bnSaved: BnReluSaved,
  dy: Tensor4D,
  mask: Tensor4D | null,
  grads: GradAccumulator,
  k: Kernels,
): Tensor4D | null {
  const b = bnReluBackward(dy, mask, bnSaved, bnParams(model, l.bn).gamma);
  addBnParamGrads(grads, l.bn, b.params);
  const w = weight(model, l);
  // The conv's input is a kept activation (or the image): read, not freed here.
  const dw = conv2dFilterGrad(x, b.dx, w.shape, l.conv.stride, l.conv.pad, k);
  grads.add(`${l.conv.name}.weight`, dw);
  const dx = l.inputGradient ? conv2dInputGrad(b.dx, w, x.shape, l.conv.stride, l.conv.pad, k) : null;
  b.dx.dispose();
  return dx;
}

/** Frees a pass's saved tensors without a backward (error paths). */
export function disposePass(saved: PassSaved): void {
  for (const b of saved.bn) if (b) disposeBnReluSaved(b);
  saved.bn.fill(null);
  saved.acts.forEach((t, a) => {
    if (a !== 0 && t && !t.isDisposed) t.dispose();
  });
  saved.acts.fill(null);
}
