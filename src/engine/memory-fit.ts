// Will a training step fit the device, and if not, which batch size does? Worked out from the
// step plan (src/engine/step-plan.ts: what the explicit engine holds at its peak) before anything
// is allocated, so the lab and the CLI refuse a run up front instead of failing mid-epoch.
// No TensorFlow.js.
import type { Method } from './config.ts';
import { describeResNet, type Arch } from './resnet-layout.ts';
import { stepMemoryPlan } from './step-plan.ts';
import { StepTooLargeError } from './errors.ts';
import { bytesText } from './format.ts';

/** What the device lets a step hold, as far as a program can know it. */
export interface DeviceMemory {
  /** The backend it describes, for messages: "the wasm backend's 4 GiB heap". */
  what: string;
  /** All the memory a step may use (the wasm heap); null: not visible (a GPU's memory). */
  totalBytes: number | null;
  /** The largest single buffer (WebGPU's maxBufferSize / maxStorageBufferBindingSize); null: no limit known. */
  maxBufferBytes: number | null;
  /** The plan's device class: filter gradients are planned differently on GPUs. */
  device: 'gpu' | 'cpu';
}

export interface StepShape {
  arch: Arch;
  width: number;
  size: number;
  batchSize: number;
  method: Method;
  /** EAC: pass 1 recomputed (step.ts): one pass's activations alive at a time. */
  recompute?: boolean;
}

interface MemoryFit {
  /** Everything the step holds at its peak (with headroom). */
  needBytes: number;
  /** Its largest single tensor. */
  largestBufferBytes: number;
  fits: boolean;
  /** Why it does not fit (null when it fits). */
  reason: string | null;
  /** The largest batch size (≤ the asked one) that fits; null: not even batch 1. */
  largestBatch: number | null;
}

/** The wasm backend's heap: 32-bit addresses. */
export const WASM_HEAP_BYTES = 4 * 2 ** 30;
/**
 * The plan against measured peaks: ResNet-18 112 px batch 32 on wasm peaked at 0.80 GiB against
 * 0.74 planned (docs/step-engine.md); ResNet-50 224 px at 5.11 against 6.08. The runtime, the data
 * pipeline and the evaluation batch come on top.
 */
const HEADROOM = 1.15;
const RUNTIME_BYTES = 64 * 2 ** 20;

export function stepNeed(s: StepShape, device: 'gpu' | 'cpu'): { needBytes: number; largestBufferBytes: number } {
  const spec = describeResNet({ arch: s.arch, width: s.width, numClasses: 7 });
  const plan = stepMemoryPlan(spec, s.batchSize, s.size, s.method, device, s.recompute === true);
  return { needBytes: Math.ceil(plan.totalPeakBytes * HEADROOM) + RUNTIME_BYTES, largestBufferBytes: plan.largestActivationBytes };
}

const gib = (b: number) => bytesText(b, 'binary');

function whyNot(s: StepShape, mem: DeviceMemory): string | null {
  const { needBytes, largestBufferBytes } = stepNeed(s, mem.device);
  if (mem.totalBytes !== null && needBytes > mem.totalBytes) return `needs about ${gib(needBytes)}, more than ${mem.what}`;
  if (mem.maxBufferBytes !== null && largestBufferBytes > mem.maxBufferBytes)
    return `its largest tensor is ${gib(largestBufferBytes)}, more than the ${gib(mem.maxBufferBytes)} one buffer may hold on ${mem.what}`;
  return null;
}

/** The largest value in [lo, hi] for which `fits` holds (fits is monotone decreasing), or null; by bisection. */
export function largestFitting(lo: number, hi: number, fits: (x: number) => boolean): number | null {
  if (!fits(lo)) return null;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (fits(mid)) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

export function memoryFit(s: StepShape, mem: DeviceMemory): MemoryFit {
  const { needBytes, largestBufferBytes } = stepNeed(s, mem.device);
  const reason = whyNot(s, mem);
  if (reason === null) return { needBytes, largestBufferBytes, fits: true, reason: null, largestBatch: s.batchSize };
  // The need grows with the batch: the largest smaller batch that fits.
  const largestBatch = largestFitting(1, s.batchSize - 1, (b) => whyNot({ ...s, batchSize: b }, mem) === null);
  return { needBytes, largestBufferBytes, fits: false, reason, largestBatch };
}

const ARCH_TEXT: Record<Arch, string> = { resnet18: 'ResNet-18', resnet50: 'ResNet-50' };

/** Throws StepTooLargeError (one line, with the batch that fits) when the step cannot fit `mem`. */
export function assertStepFits(s: StepShape, mem: DeviceMemory | null): void {
  if (!mem) return;
  const fit = memoryFit(s, mem);
  if (fit.fits) return;
  const step = `a training step of ${ARCH_TEXT[s.arch]} width ${s.width} at ${s.size} px, batch ${s.batchSize} (${s.method === 'eac' ? 'EAC' : 'baseline'})`;
  const way =
    fit.largestBatch !== null
      ? `batch ${fit.largestBatch} fits`
      : 'not even batch 1 fits: lower the input size or the width, or use another backend';
  throw new StepTooLargeError(`${step} ${fit.reason}: ${way}`, fit.largestBatch);
}
