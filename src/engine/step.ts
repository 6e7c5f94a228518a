// One optimiser step of EAC (or of the cross-entropy baseline), as the official train loop does
// it: two separate training-mode passes, loss, backward, Adam step; BatchNorm running statistics
// move once per pass.
import { tf, type Scalar, type Tensor, type Tensor1D, type Tensor2D, type Tensor4D } from './tf.ts';
import { applyBatchStats, type Model } from './resnet.ts';
import type { BatchStats } from './layers.ts';
import type { Adam, AdamScalars } from './optim.ts';
import type { Method } from './config.ts';
import type { Kernels } from './kernel-table.ts';
import { backwardPass, disposePass, forwardPass, type TrainForward } from './backprop/resnet.ts';
import { eacHead } from './backprop/eac-head.ts';
import { GradAccumulator } from './backprop/grads.ts';

export interface StepInputs {
  x1: Tensor4D;
  /** View 2; unused (may be null) for the baseline. */
  x2: Tensor4D | null;
  labels: Int32Array;
  /** The same labels already made a tensor (int32), as the step program feeds them; else made from `labels`. */
  labelsTensor?: Tensor1D;
}

/** Gradients and loss parts of one step, before any update. The caller owns every tensor. */
export interface StepGradients {
  loss: Scalar;
  ce: Scalar;
  consistency: Scalar;
  logits1: Tensor2D;
  /** In `model.trainable` order. */
  grads: Tensor[];
  /** Batch statistics of pass 1 then pass 2, for the running averages. */
  batchStats: BatchStats[];
}

/** How a step spends memory: decided once per run, at plan time (the results are the same bit for bit). */
export interface StepMemoryOptions {
  /**
   * EAC only: run pass 1's forward without keeping anything for its backward, and again, keeping,
   * after pass 2's backward. Only one pass's saved activations are ever alive (about half the
   * step's peak) for one more forward (about a sixth more work).
   */
  recomputePass1?: boolean;
}

/**
 * Gradients and loss parts of one step, from the layers' own backward functions (each frees what it
 * saved as soon as it is used). The autodiff tape this replaced is a test reference now
 * (tests/reference/tape-step.ts).
 */
export function computeGradients(
  model: Model,
  inputs: StepInputs,
  method: Method,
  lam: number,
  kernels: Kernels,
  memory: StepMemoryOptions = {},
): StepGradients {
  if (method === 'eac' && !inputs.x2) throw new Error('EAC needs view 2');
  const recompute = method === 'eac' && memory.recomputePass1 === true;
  const batchStats: BatchStats[] = [];
  const again: BatchStats[] = [];
  const grads = new GradAccumulator();
  const passes: TrainForward[] = [];
  try {
    // Two separate passes (not one concatenated batch): BatchNorm statistics per view.
    passes.push(forwardPass(model, inputs.x1, batchStats, kernels, !recompute));
    if (method === 'eac') passes.push(forwardPass(model, inputs.x2!, batchStats, kernels));
    const [p1, p2] = passes;
    const fcWeight = model.vars.get('fc.weight') as unknown as Tensor2D;
    const labels = inputs.labelsTensor ?? inputs.labels;
    const head = eacHead(p1.features, p2?.features ?? null, fcWeight, model.vars.get('fc.bias') as Tensor, labels, lam);
    grads.add('fc.weight', head.dFcWeight);
    grads.add('fc.bias', head.dFcBias);
    if (p2) {
      passes.pop();
      backwardPass(model, p2.saved, head.dF2!, grads);
    }
    // The same pass again (same weights, same kernels: the same features bit for bit), now keeping
    // what its backward needs; its batch statistics were recorded the first time (these ones the
    // fused backward still reads, so they go after it).
    if (recompute) {
      passes.pop();
      disposePass(p1.saved);
      passes.push(forwardPass(model, inputs.x1, again, kernels));
    }
    const pass1 = passes.pop()!;
    backwardPass(model, pass1.saved, head.dF1, grads);
    tf.dispose(again.flatMap((s) => [s.mean, s.variance]));
    return {
      loss: head.loss,
      ce: head.ce,
      consistency: head.consistency,
      logits1: head.logits1,
      grads: grads.take(model.trainableNames),
      batchStats,
    };
  } catch (e) {
    for (const p of passes) disposePass(p.saved);
    grads.dispose();
    for (const s of [...batchStats, ...again]) tf.dispose([s.mean, s.variance]);
    throw e;
  }
}

export interface StepResult {
  loss: number;
  ce: number;
  consistency: number;
  /** argmax of view 1's logits (before the update), per sample. */
  preds: Int32Array;
}

/** One step's numbers, still on the device: [loss, ce, consistency, argmax per sample…]. */
export interface EncodedStep {
  packed: Tensor;
  batch: number;
}

/**
 * computeGradients → Adam update → running statistics, with nothing read back: on WebGPU this
 * only encodes the work. The caller reads the result with `readStep`.
 */
export function encodeStep(
  model: Model,
  optimizer: Adam,
  inputs: StepInputs,
  method: Method,
  lam: number,
  kernels: Kernels,
  memory: StepMemoryOptions = {},
): EncodedStep {
  const feeds = stepFeeds(optimizer, inputs.labels);
  try {
    const packed = stepBody(model, optimizer, { ...inputs, labelsTensor: feeds.labels }, feeds, method, lam, kernels, memory);
    return { packed, batch: inputs.labels.length };
  } finally {
    disposeFeeds(feeds);
  }
}

/** What a step reads besides its views and the state: the labels, and Adam's step scalars. */
interface StepFeeds {
  labels: Tensor1D;
  scalars: AdamScalars;
  /** The scalars as a float32 tensor where Adam reads them on the device (else null). */
  adam: Tensor1D | null;
}

/** Counts Adam's step and makes the step's feeds (the caller disposes the tensors). */
export function stepFeeds(optimizer: Adam, labels: Int32Array): StepFeeds {
  const scalars = optimizer.nextStep();
  return {
    labels: tf.tensor1d(labels, 'int32'),
    scalars,
    adam: optimizer.scalarsOnDevice ? tf.tensor1d(adamScalarValues(scalars)) : null,
  };
}

export function disposeFeeds(feeds: StepFeeds): void {
  tf.dispose([feeds.labels, ...(feeds.adam ? [feeds.adam] : [])]);
}

/** Adam's step scalars as the float32 values the device reads: [√(1 − β2^t), lr / (1 − β1^t)]. */
export function adamScalarValues(s: AdamScalars): Float32Array {
  return Float32Array.of(s.bc2Sqrt, s.stepSize);
}

/**
 * The step itself, from its inputs and feeds to its packed result: everything a step program
 * records and replays. Returns [loss, ce, consistency, argmax per sample…].
 */
export function stepBody(
  model: Model,
  optimizer: Adam,
  inputs: StepInputs,
  feeds: StepFeeds,
  method: Method,
  lam: number,
  kernels: Kernels,
  memory: StepMemoryOptions = {},
): Tensor {
  const g = computeGradients(model, inputs, method, lam, kernels, memory);
  const packed = tf.tidy(() => tf.concat([tf.stack([g.loss, g.ce, g.consistency]), tf.cast(tf.argMax(g.logits1, 1), 'float32')]));
  optimizer.apply(g.grads, feeds.scalars, feeds.adam);
  applyBatchStats(model, g.batchStats, kernels.runningStats);
  tf.dispose([g.loss, g.ce, g.consistency, g.logits1, ...g.grads]);
  return packed;
}

/** Reads an encoded step's few numbers back and frees them. */
export async function readStep(e: EncodedStep): Promise<StepResult> {
  const values = (await e.packed.data()) as Float32Array;
  e.packed.dispose();
  return { loss: values[0], ce: values[1], consistency: values[2], preds: Int32Array.from(values.subarray(3, 3 + e.batch)) };
}

/** computeGradients → Adam update → running statistics; reads back only a few numbers. */
export async function trainStep(
  model: Model,
  optimizer: Adam,
  inputs: StepInputs,
  method: Method,
  lam: number,
  kernels: Kernels,
): Promise<StepResult> {
  return readStep(encodeStep(model, optimizer, inputs, method, lam, kernels));
}
