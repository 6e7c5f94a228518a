// Golden checks of the engine against PyTorch fixtures (tools/golden/generate.py). Pure: the
// caller passes the fixture bytes, so the same checks run under Node (cpu/wasm/webgpu) and in
// headless Chromium on WebGPU.
import { tf, type Tensor2D, type Tensor4D } from '../../src/engine/tf.ts';
import {
  describeResNet,
  forward,
  listParams,
  modelFromValues,
  applyBatchStats,
  disposeModel,
  type Model,
} from '../../src/engine/resnet.ts';
import { attentionMaps } from '../../src/engine/loss.ts';
import { computeGradients } from '../../src/engine/step.ts';
import { Adam } from '../../src/engine/optim.ts';
import { kernelsFor } from '../../src/engine/kernel-table.ts';
import { readSafetensors, toFloat32, type SafeTensor } from '../../src/weights/safetensors.ts';
import { engineToTorch, nchwToNhwc, torchToEngine } from '../../src/weights/torch-layout.ts';

export interface GoldenMeta {
  arch: 'resnet50' | 'resnet18';
  /** ResNet-50's layout (absent: the Caffe layout). */
  layout?: 'caffe' | 'torchvision';
  width: number;
  inputSize: number;
  batch: number;
  lam: number;
  lr: number;
  weightDecay: number;
  betas: [number, number];
  eps: number;
  keys: string[];
  buffers: string[];
  /** PyTorch's own float32 error against the float64 reference, per fixture tensor. */
  torchF32RelError: Record<string, number>;
}

export interface CheckResult {
  name: string;
  /** max |engine − reference| / max |reference| over the tensor. */
  relError: number;
  tolerance: number;
  /** PyTorch float32's own error on the same tensor. */
  torchF32RelError: number;
  ok: boolean;
  /** Parameters after Adam steps: agreement measured in units of the learning rate. */
  adam?: { fractionOff: number; maxOffInLr: number };
}

/** Elements whose Adam result differs by more than 1% of lr, and the largest difference in lr. */
export function adamAgreement(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  lr: number,
): { fractionOff: number; maxOffInLr: number } {
  let off = 0;
  let max = 0;
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(actual[i] - expected[i]) / lr;
    if (!(d <= 0.01)) off++;
    if (!(d <= max)) max = d;
  }
  return { fractionOff: off / Math.max(1, expected.length), maxOffInLr: max };
}

/** At most this share of a tensor's elements may differ by more than 1% of lr after the Adam steps. */
export const ADAM_MAX_FRACTION_OFF = 0.005;

/** The error measure used by every golden check: max abs error relative to the tensor's scale. */
export function relError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) return Infinity;
  let maxErr = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(actual[i] - expected[i]);
    if (!(d <= maxErr)) maxErr = d; // NaN propagates as a failure
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  return maxErr / Math.max(scale, 1e-12);
}

/**
 * Tolerance floors for float32 results against the float64 reference. A tensor's tolerance is the
 * larger of its floor and TORCH_FACTOR × PyTorch's own float32 error on that same tensor: deep,
 * narrow nets with batch-4 BatchNorm (and Adam's m/√v after them) amplify rounding, and PyTorch
 * in float32 is held to the same standard.
 */
export const TOL = { forward: 2e-5, loss: 2e-5, grad: 2e-4, buffers: 2e-5, adam: 2e-4, buffersAfterAdam: 5e-4 };
export const TORCH_FACTOR = 4;

export class Golden {
  readonly tensors: Map<string, SafeTensor>;
  constructor(
    bytes: Uint8Array,
    readonly meta: GoldenMeta,
  ) {
    this.tensors = readSafetensors(bytes).tensors;
  }
  get(name: string): Float32Array {
    const t = this.tensors.get(name);
    if (!t) throw new Error(`fixture has no tensor ${name}`);
    return toFloat32(t);
  }
  shape(name: string): number[] {
    return this.tensors.get(name)!.shape;
  }
  /** An input batch in NHWC. */
  input(name: string): Tensor4D {
    const { data, shape } = nchwToNhwc(this.get(name), this.shape(name));
    return tf.tensor4d(data, shape as [number, number, number, number]);
  }
  /** A map fixture (N×K×h×w) in the engine's NHWC layout. */
  nhwc(name: string): Float32Array {
    return nchwToNhwc(this.get(name), this.shape(name)).data;
  }
  labels(name: string): Int32Array {
    return Int32Array.from(this.get(name));
  }
  /** The fixture's model, its parameters loaded from the `prefix.*` tensors (PyTorch layout). */
  model(prefix = 'param'): Model {
    const spec = describeResNet({ arch: this.meta.arch, layout: this.meta.layout, width: this.meta.width, numClasses: 7 });
    const values = new Map<string, Float32Array>();
    for (const p of listParams(spec)) {
      const name = `${prefix}.${p.name}`;
      values.set(p.name, torchToEngine(p.name, this.get(name), this.shape(name)).data);
    }
    return modelFromValues(spec, values);
  }
}

/** tf.tidy for a function returning a (nested) object of tensors. */
function tidyAll<T>(f: () => T): T {
  return tf.tidy(f as unknown as () => tf.TensorContainer) as unknown as T;
}

async function values(t: tf.Tensor): Promise<Float32Array> {
  return (await t.data()) as Float32Array;
}

/** Reads a model variable back in PyTorch layout. */
async function torchValue(model: Model, name: string): Promise<Float32Array> {
  const v = model.vars.get(name)!;
  return engineToTorch(name, await values(v), v.shape).data;
}

export async function runGoldenChecks(g: Golden): Promise<CheckResult[]> {
  const tensorsBefore = tf.memory().numTensors;
  const results: CheckResult[] = [];
  const kernels = kernelsFor(tf.getBackend());
  const check = (name: string, actual: ArrayLike<number>, expected: ArrayLike<number>, floor: number, fixtureName: string) => {
    const relErr = relError(actual, expected);
    const torchErr = g.meta.torchF32RelError?.[fixtureName];
    if (torchErr === undefined) throw new Error(`fixture has no torchF32RelError for ${fixtureName} (regenerate the fixtures)`);
    const tolerance = Math.max(floor, TORCH_FACTOR * torchErr);
    results.push({ name, relError: relErr, tolerance, torchF32RelError: torchErr, ok: relErr <= tolerance });
  };
  const arch = g.meta.layout ? `${g.meta.arch} (${g.meta.layout})` : g.meta.arch;

  // 1. Eval-mode forward: logits, pooled features and maps.
  {
    const model = g.model();
    const x1 = g.input('input.x1');
    // tidy: forward's intermediate activations are freed, only what is returned stays.
    const { out, hm } = tidyAll(() => {
      const o = forward(model, x1, false);
      return { out: o, hm: attentionMaps(o.features, model.vars.get('fc.weight') as unknown as Tensor2D) };
    });
    check(`${arch} eval logits`, await values(out.logits), g.get('eval.logits'), TOL.forward, 'eval.logits');
    check(`${arch} eval pooled features`, await values(out.pooled), g.get('eval.features_pooled'), TOL.forward, 'eval.features_pooled');
    check(`${arch} eval attention maps`, await values(hm), g.nhwc('eval.hm'), TOL.forward, 'eval.hm');
    tf.dispose([x1, out.features, out.pooled, out.logits, hm]);
    disposeModel(model);
  }

  // 2-4. Training-mode passes: logits, maps, loss parts, all gradients, running statistics.
  {
    const model = g.model();
    const x1 = g.input('input.x1');
    const x2 = g.input('input.x2');
    const labels = g.labels('input.labels');
    // The maps of each training pass (forward again without recording statistics).
    const fcW = model.vars.get('fc.weight') as unknown as Tensor2D;
    const { o1, o2, hm1, hm2 } = tidyAll(() => {
      const a = forward(model, x1, true);
      const b = forward(model, x2, true);
      return { o1: a, o2: b, hm1: attentionMaps(a.features, fcW), hm2: attentionMaps(b.features, fcW) };
    });
    check(`${arch} train logits (view 1)`, await values(o1.logits), g.get('train.logits1'), TOL.forward, 'train.logits1');
    check(`${arch} train logits (view 2)`, await values(o2.logits), g.get('train.logits2'), TOL.forward, 'train.logits2');
    check(`${arch} train maps (view 1)`, await values(hm1), g.nhwc('train.hm1'), TOL.forward, 'train.hm1');
    check(`${arch} train maps (view 2)`, await values(hm2), g.nhwc('train.hm2'), TOL.forward, 'train.hm2');
    tf.dispose([o1.features, o1.pooled, o1.logits, o2.features, o2.pooled, o2.logits, hm1, hm2]);

    const sg = computeGradients(model, { x1, x2, labels }, 'eac', g.meta.lam, kernels);
    check(`${arch} loss`, await values(sg.loss), g.get('train.loss'), TOL.loss, 'train.loss');
    check(`${arch} loss: cross-entropy part`, await values(sg.ce), g.get('train.ce'), TOL.loss, 'train.ce');
    check(`${arch} loss: consistency part`, await values(sg.consistency), g.get('train.consistency'), TOL.loss, 'train.consistency');
    for (let i = 0; i < model.trainable.length; i++) {
      const name = model.trainableNames[i];
      const v = model.trainable[i];
      const grad = engineToTorch(name, await values(sg.grads[i]), v.shape).data;
      check(`${arch} gradient ${name}`, grad, g.get(`grad.${name}`), TOL.grad, `grad.${name}`);
    }
    applyBatchStats(model, sg.batchStats, kernels.runningStats);
    for (const b of g.meta.buffers)
      check(
        `${arch} BN buffer after one step's two passes: ${b}`,
        await torchValue(model, b),
        g.get(`bn1step.${b}`),
        TOL.buffers,
        `bn1step.${b}`,
      );
    tf.dispose([sg.loss, sg.ce, sg.consistency, sg.logits1, ...sg.grads, x1, x2]);
    disposeModel(model);
  }

  // 5. Baseline: cross-entropy on view 1 only, one pass.
  {
    const model = g.model();
    const x1 = g.input('input.x1');
    const sg = computeGradients(model, { x1, x2: null, labels: g.labels('input.labels') }, 'baseline', g.meta.lam, kernels);
    check(`${arch} baseline cross-entropy`, await values(sg.ce), g.get('baseline.ce'), TOL.loss, 'baseline.ce');
    for (let i = 0; i < model.trainable.length; i++) {
      const name = model.trainableNames[i];
      check(
        `${arch} baseline gradient ${name}`,
        engineToTorch(name, await values(sg.grads[i]), model.trainable[i].shape).data,
        g.get(`baseline_grad.${name}`),
        TOL.grad,
        `baseline_grad.${name}`,
      );
    }
    tf.dispose([sg.loss, sg.ce, sg.consistency, sg.logits1, ...sg.grads, x1]);
    applyBatchStats(model, sg.batchStats, kernels.runningStats);
    disposeModel(model);
  }

  // 6. Two full EAC steps with Adam (coupled weight decay): parameters and running statistics.
  {
    const model = g.model();
    const opt = new Adam(
      model.trainable,
      {
        lr: g.meta.lr,
        beta1: g.meta.betas[0],
        beta2: g.meta.betas[1],
        eps: g.meta.eps,
        weightDecay: g.meta.weightDecay,
      },
      kernels.adam,
    );
    for (const prefix of ['input', 'input2']) {
      const x1 = g.input(`${prefix}.x1`);
      const x2 = g.input(`${prefix}.x2`);
      const sg = computeGradients(model, { x1, x2, labels: g.labels(`${prefix}.labels`) }, 'eac', g.meta.lam, kernels);
      opt.apply(sg.grads);
      applyBatchStats(model, sg.batchStats, kernels.runningStats);
      tf.dispose([sg.loss, sg.ce, sg.consistency, sg.logits1, ...sg.grads, x1, x2]);
    }
    for (const name of model.trainableNames) {
      const actual = await torchValue(model, name);
      const expected = g.get(`adam2.${name}`);
      const a = adamAgreement(actual, expected, g.meta.lr);
      // Adam's m/√v is ±1 for a near-zero gradient whatever its size, so an element whose
      // gradient is within float32 noise of zero may legitimately step the other way: allow a
      // few such elements (each at most one lr per step), never a systematic difference.
      const ok = a.fractionOff <= ADAM_MAX_FRACTION_OFF && a.maxOffInLr <= 2 * 2;
      results.push({
        name: `${arch} parameter after 2 Adam steps: ${name}`,
        relError: relError(actual, expected),
        tolerance: TOL.adam,
        torchF32RelError: g.meta.torchF32RelError[`adam2.${name}`] ?? 0,
        ok,
        adam: a,
      });
    }
    // Step 2's statistics come from step 1's parameters, which may carry the few Adam sign
    // flips allowed above (about one lr on an element): hence a looser floor here.
    for (const b of g.meta.buffers)
      check(
        `${arch} BN buffer after 2 steps: ${b}`,
        await torchValue(model, b),
        g.get(`adam2buf.${b}`),
        TOL.buffersAfterAdam,
        `adam2buf.${b}`,
      );
    opt.dispose();
    disposeModel(model);
  }
  // The checks themselves must not leak either: everything they made is freed.
  const leaked = tf.memory().numTensors - tensorsBefore;
  results.push({
    name: `${arch} tensors left after the checks: ${leaked}`,
    relError: leaked,
    tolerance: 0,
    torchF32RelError: 0,
    ok: leaked === 0,
  });
  return results;
}
