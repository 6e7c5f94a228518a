// What one training step of the explicit engine (src/engine/backprop) holds in memory, computed
// from the architecture alone: the activations each pass saves for its backward, one layer's
// backward temporaries, and the parameters, gradients and Adam moments. No TensorFlow.js: the
// page, the CLI's --plan and the tests can all ask what fits before anything runs.
import { filterGradPlan, type DeviceClass } from './conv-plan.ts';
import { poolOutSize } from './layers.ts';
import { listParams, type ConvSpec, type ResNetSpec } from './resnet-layout.ts';
import { resnetGraph, type PassGraph } from './resnet-graph.ts';
import type { Method } from './config.ts';

const F32 = 4;

interface StepMemoryPlan {
  /** Saved for the backward by one training pass (activations and per-channel vectors). */
  savedBytesPerPass: number;
  passes: number;
  /** Passes whose saved activations are alive at once: 1 where pass 1 is recomputed (step.ts), else `passes`. */
  keptPasses: number;
  /** The largest single activation of a pass. */
  largestActivationBytes: number;
  /** Upper estimate of one layer's backward temporaries (the largest over the layers). */
  layerTempBytes: number;
  /** Trainable parameters (the gradients are as large). */
  paramBytes: number;
  /** Parameters, BatchNorm buffers and Adam's two moments: alive across steps. */
  stateBytes: number;
  /** The two input batches. */
  inputBytes: number;
  /** What a step adds on top of state + inputs at its peak: saved + gradients + one layer's temporaries. */
  stepPeakBytes: number;
  /** stateBytes + inputBytes + stepPeakBytes. */
  totalPeakBytes: number;
}

interface Act {
  h: number;
  w: number;
  c: number;
}

const convOut = (a: Act, c: ConvSpec): Act => ({
  h: Math.floor((a.h + 2 * c.pad - c.k) / c.stride) + 1,
  w: Math.floor((a.w + 2 * c.pad - c.k) / c.stride) + 1,
  c: c.cout,
});

/** Every activation's height, width and channels for an input of size × size. */
function activationShapes(graph: PassGraph, size: number): Act[] {
  const acts: Act[] = [{ h: size, w: size, c: 3 }];
  for (const l of graph.layers) {
    const a = acts[l.input];
    if (l.kind === 'conv-bn') acts[l.output] = convOut(a, l.conv);
    else {
      const p = l.pool;
      acts[l.output] = { h: poolOutSize(a.h, p.k, p.stride, p.pad, p.ceil), w: poolOutSize(a.w, p.k, p.stride, p.pad, p.ceil), c: a.c };
    }
  }
  return acts;
}

export function stepMemoryPlan(
  spec: ResNetSpec,
  batch: number,
  size: number,
  method: Method,
  device: DeviceClass = 'gpu',
  recomputePass1 = false,
): StepMemoryPlan {
  const bytes = (a: Act) => batch * a.h * a.w * a.c * F32;
  const graph = resnetGraph(spec);
  const acts = activationShapes(graph, size);
  let saved = 0;
  let largest = 0;
  let layerTemp = 0;
  for (const l of graph.layers) {
    const input = acts[l.input];
    const out = acts[l.output];
    if (l.kind === 'max-pool') {
      saved += bytes(out); // the pool's output: the first block's input
      // Max pool backward: the padded input, the phase grids and the interleaved result (each about
      // the pool input's size), plus a few pool-output-sized tensors per tap.
      layerTemp = Math.max(layerTemp, 4 * bytes(input) + 6 * bytes(out));
      continue;
    }
    const c = l.conv;
    // conv → BN: BN keeps x − μ (the conv output's size) and three per-channel vectors; a ReLU's
    // output is kept too (its mask, and the next conv's input).
    saved += bytes(out) + 3 * c.cout * F32 + (l.relu ? bytes(out) : 0);
    largest = Math.max(largest, bytes(out));
    const filter = filterGradPlan(
      {
        batch,
        inHeight: input.h,
        inWidth: input.w,
        inChannels: c.cin,
        outChannels: c.cout,
        kernelHeight: c.k,
        stride: c.stride,
        pad: c.pad,
      },
      // Patches read in place (WebGPU's kernel) or gathered by rows (wasm); WebGL's per-tap slices are not planned.
      { device, patchKernel: true },
    );
    // While a block's layers run backward, the block keeps its output's gradient and its input's.
    const carry = l.blockOutput === null ? 0 : 2 * bytes(acts[l.blockOutput]);
    // BN backward: dy plus five activation-sized temporaries; then dy', the filter gradient's
    // temporaries and the input gradient (with a dilated copy of dy' for strided convs).
    const inputGrad = l.inputGradient ? bytes(input) + (c.stride > 1 ? 2 * c.stride * c.stride * bytes(out) : 0) : 0;
    layerTemp = Math.max(layerTemp, carry + 6 * bytes(out) + Math.max(filter.peakTempBytes, inputGrad) + bytes(input));
  }
  const params = listParams(spec);
  const size4 = (s: number[]) => s.reduce((a, b) => a * b, 1) * F32;
  const paramBytes = params.filter((q) => q.trainable).reduce((a, q) => a + size4(q.shape), 0);
  const bufferBytes = params.filter((q) => !q.trainable).reduce((a, q) => a + size4(q.shape), 0);
  const passes = method === 'eac' ? 2 : 1;
  const inputBytes = 2 * batch * size * size * 3 * F32;
  const stateBytes = 3 * paramBytes + bufferBytes;
  // Recomputing pass 1: its features wait (for the head) while pass 2's activations are kept, then
  // pass 1's activations are kept again once pass 2's are freed.
  const keptPasses = recomputePass1 && passes === 2 ? 1 : passes;
  const waiting = keptPasses < passes ? bytes(acts[graph.features]) : 0;
  const stepPeakBytes = keptPasses * saved + waiting + paramBytes + layerTemp;
  return {
    savedBytesPerPass: saved,
    passes,
    keptPasses,
    largestActivationBytes: largest,
    layerTempBytes: layerTemp,
    paramBytes,
    stateBytes,
    inputBytes,
    stepPeakBytes,
    totalPeakBytes: stateBytes + inputBytes + stepPeakBytes,
  };
}

/**
 * The kernel allowance of one computeGradients call (cpu/wasm kernels; Adam not included): per
 * pass, 30 kernels per conv-BN unit (conv, BatchNorm forward and backward, ReLU, input gradient)
 * plus 7 per filter tap (the filter gradient's per-tap or im2col slices and matmuls), 20 per
 * residual block, 100 for the stem's pool and the head; 100 for the loss. A tape-recorded step
 * (BatchNorm as composite ops, every op's gradient separately) needs about 25% more.
 */
export function stepKernelBudget(spec: ResNetSpec, method: Method): number {
  const layers = resnetGraph(spec).layers;
  const convs = layers.flatMap((l) => (l.kind === 'conv-bn' ? [l.conv] : []));
  const blocks = new Set(layers.flatMap((l) => (l.kind === 'conv-bn' && l.blockOutput !== null ? [l.blockOutput] : []))).size;
  const perPass = convs.reduce((a, c) => a + 30 + 7 * c.k * c.k, 0) + 20 * blocks + 100;
  return (method === 'eac' ? 2 : 1) * perPass + 100;
}
