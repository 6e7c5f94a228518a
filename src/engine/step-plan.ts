// What one training step of the explicit engine (src/engine/backprop) holds in memory, computed
// from the architecture alone: the activations each pass saves for its backward, one layer's
// backward temporaries, and the parameters, gradients and Adam moments. No TensorFlow.js: the
// page, the CLI's --plan and the tests can all ask what fits before anything runs.
import { filterGradPlan, type DeviceClass } from './conv.ts';
import { poolOutSize } from './layers.ts';
import { listParams, type ConvSpec, type ResNetSpec } from './resnet-layout.ts';
import type { Method } from './config.ts';

const F32 = 4;

export interface StepMemoryPlan {
  /** Saved for the backward by one training pass (activations and per-channel vectors). */
  savedBytesPerPass: number;
  passes: number;
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

export function stepMemoryPlan(spec: ResNetSpec, batch: number, size: number, method: Method, device: DeviceClass = 'gpu'): StepMemoryPlan {
  const bytes = (a: Act) => batch * a.h * a.w * a.c * F32;
  let saved = 0;
  let largest = 0;
  let layerTemp = 0;
  const note = (a: Act) => {
    largest = Math.max(largest, bytes(a));
  };
  // conv → BN: BN keeps x − μ (the conv output's size) and three per-channel vectors.
  const convBn = (input: Act, c: ConvSpec, inputGradient: boolean, carry: number): Act => {
    const out = convOut(input, c);
    saved += bytes(out) + 3 * c.cout * F32;
    note(out);
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
    // BN backward: dy plus five activation-sized temporaries; then dy', the filter gradient's
    // temporaries and the input gradient (with a dilated copy of dy' for strided convs).
    const inputGrad = inputGradient ? bytes(input) + (c.stride > 1 ? 2 * c.stride * c.stride * bytes(out) : 0) : 0;
    layerTemp = Math.max(layerTemp, carry + 6 * bytes(out) + Math.max(filter.peakTempBytes, inputGrad) + bytes(input));
    return out;
  };
  const stemOut = convBn({ h: size, w: size, c: 3 }, spec.stem, false, 0);
  const p = spec.pool;
  const pooled: Act = {
    h: poolOutSize(stemOut.h, p.k, p.stride, p.pad, p.ceil),
    w: poolOutSize(stemOut.w, p.k, p.stride, p.pad, p.ceil),
    c: stemOut.c,
  };
  saved += bytes(stemOut) + bytes(pooled); // the stem ReLU's output (pool input) and the pool's output
  // Max pool backward: the padded input, the phase grids and the interleaved result (each about
  // the pool input's size), plus a few pool-output-sized tensors per tap.
  layerTemp = Math.max(layerTemp, 4 * bytes(stemOut) + 6 * bytes(pooled));
  let h = pooled;
  for (const block of spec.blocks) {
    let out = h;
    const outAct = convOut(convOut(h, block.convs[0].conv), block.convs[block.convs.length - 1].conv);
    // While the main path's backward runs, the block keeps dSum and the block input's gradient.
    const carry = 2 * bytes({ ...outAct, c: block.convs[block.convs.length - 1].conv.cout });
    block.convs.forEach(({ conv }, i) => {
      out = convBn(out, conv, true, carry);
      if (i < block.convs.length - 1) saved += bytes(out); // ReLU output (the next conv's input)
    });
    if (block.downsample) convBn(h, block.downsample.conv, true, carry);
    saved += bytes(out); // the block's output after the residual ReLU
    h = out;
  }
  const params = listParams(spec);
  const size4 = (s: number[]) => s.reduce((a, b) => a * b, 1) * F32;
  const paramBytes = params.filter((q) => q.trainable).reduce((a, q) => a + size4(q.shape), 0);
  const bufferBytes = params.filter((q) => !q.trainable).reduce((a, q) => a + size4(q.shape), 0);
  const passes = method === 'eac' ? 2 : 1;
  const inputBytes = 2 * batch * size * size * 3 * F32;
  const stateBytes = 3 * paramBytes + bufferBytes;
  const stepPeakBytes = passes * saved + paramBytes + layerTemp;
  return {
    savedBytesPerPass: saved,
    passes,
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
  const convs: ConvSpec[] = [spec.stem];
  for (const b of spec.blocks) {
    for (const { conv } of b.convs) convs.push(conv);
    if (b.downsample) convs.push(b.downsample.conv);
  }
  const perPass = convs.reduce((a, c) => a + 30 + 7 * c.k * c.k, 0) + 20 * spec.blocks.length + 100;
  return (method === 'eac' ? 2 : 1) * perPass + 100;
}
