// What a training step needs in memory, worked out from the network's layout before anything is
// allocated, against what the backend can hold: a configuration that cannot fit is refused up
// front with the flags to lower, instead of failing after the dataset is loaded and the model built.
import os from 'node:os';
import { describeResNet, type Arch } from '../engine/resnet-layout.ts';
import type { Method } from '../engine/config.ts';
import type { BackendName } from './node-backends.ts';

export interface StepShape {
  arch: Arch;
  width: number;
  size: number;
  batchSize: number;
  method: Method;
}

/** Output elements of every conv of the network for one image at `size` px (what the backward pass keeps). */
export function activationsPerImage(arch: Arch, width: number, size: number): number {
  const spec = describeResNet({ arch, width, numClasses: 7 });
  const out = (h: number, k: number, s: number, p: number) => Math.floor((h + 2 * p - k) / s) + 1;
  let h = out(size, spec.stem.k, spec.stem.stride, spec.stem.pad);
  let total = spec.stem.cout * h * h;
  h = spec.pool.ceil
    ? Math.ceil((h + 2 * spec.pool.pad - spec.pool.k) / spec.pool.stride) + 1
    : out(h, spec.pool.k, spec.pool.stride, spec.pool.pad);
  for (const b of spec.blocks) {
    let hb = h;
    for (const { conv } of b.convs) {
      hb = out(hb, conv.k, conv.stride, conv.pad);
      total += conv.cout * hb * hb;
    }
    if (b.downsample) total += b.downsample.conv.cout * hb * hb;
    h = hb;
  }
  return total;
}

export function parameterCount(arch: Arch, width: number): number {
  const spec = describeResNet({ arch, width, numClasses: 7 });
  let n = spec.stem.k * spec.stem.k * spec.stem.cin * spec.stem.cout;
  for (const b of spec.blocks)
    for (const { conv } of [...b.convs, ...(b.downsample ? [b.downsample] : [])])
      n += conv.k * conv.k * conv.cin * conv.cout + 4 * conv.cout;
  return n + spec.featureChannels * 7 + 7;
}

/**
 * Bytes of backend memory per conv-output element in one pass: the float32 output, the BatchNorm
 * and ReLU outputs the backward pass keeps, their gradients, im2col buffers (ResNet-18's 3×3 convs
 * need more) and the allocator's slack. Measured on the wasm backend with
 * scripts/measure/step-memory.ts (peak heap over one step: resnet18 181-187, resnet50 95-102),
 * taken a little low so that a configuration that fits is never refused.
 */
export const BYTES_PER_ACTIVATION: Record<Arch, number> = { resnet18: 170, resnet50: 90 };
/** Parameters, gradients, Adam's two moments and update temporaries. */
const BYTES_PER_PARAMETER = 24;
/** The runtime, the pipeline's buffers and the evaluation batch. */
const BASE_BYTES = 64 * 2 ** 20;

export function stepBytes(s: StepShape): number {
  const passes = s.method === 'eac' ? 2 : 1;
  return (
    BASE_BYTES +
    parameterCount(s.arch, s.width) * BYTES_PER_PARAMETER +
    passes * s.batchSize * activationsPerImage(s.arch, s.width, s.size) * BYTES_PER_ACTIVATION[s.arch]
  );
}

/** What a backend can hold: wasm's heap is 32-bit (4 GiB); cpu keeps tensors in the process's memory (calibrated on wasm only, so all of it). null: unknown (WebGPU). */
export function backendCapacity(backend: BackendName): { bytes: number; what: string } | null {
  if (backend === 'wasm') return { bytes: 4 * 2 ** 30, what: "the wasm backend's 4 GiB heap" };
  if (backend === 'cpu') return { bytes: os.totalmem(), what: `this machine's ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB of memory` };
  return null;
}

/** The largest value in [lo, hi] for which `fits` holds (fits is monotone decreasing), or null. */
function largest(lo: number, hi: number, fits: (x: number) => boolean): number | null {
  if (!fits(lo)) return null;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (fits(mid)) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

const gib = (b: number) => `${(b / 2 ** 30).toFixed(1)} GiB`;

/**
 * When not even one image per batch fits, lowering --batch-size alone cannot help: the size or
 * the width must come down with it (each at batch 1, the largest that fits).
 */
function batchOneAdvice(s: StepShape, fits: (o: Partial<StepShape>) => boolean): string {
  const size = largest(32, s.size, (z) => fits({ batchSize: 1, size: z }));
  const width = largest(1, s.width, (w) => fits({ batchSize: 1, width: w }));
  const combos = [size !== null ? `--batch-size 1 --size ${size}` : null, width !== null ? `--batch-size 1 --width ${width}` : null].filter(
    Boolean,
  );
  return combos.length
    ? `not even a batch of 1 fits; use ${combos.join(', or ')}`
    : 'not even a batch of 1 at 32px and width 1 fits this backend';
}

/** Null when the step fits the backend (or its capacity is unknown); else the one-line reason with the flags to lower. */
export function memoryRefusal(s: StepShape, backend: BackendName): string | null {
  const cap = backendCapacity(backend);
  if (!cap) return null;
  const need = stepBytes(s);
  if (need <= cap.bytes) return null;
  const fits = (o: Partial<StepShape>) => stepBytes({ ...s, ...o }) <= cap.bytes;
  const batch = largest(1, s.batchSize, (b) => fits({ batchSize: b }));
  const size = largest(32, s.size, (z) => fits({ size: z }));
  const options = [
    batch !== null ? `--batch-size ${batch}` : null,
    size !== null ? `--size ${size}` : null,
    s.arch === 'resnet50' && fits({ arch: 'resnet18' }) ? '--arch resnet18' : null,
  ].filter(Boolean);
  const lower = options.length ? `lower one: ${options.join(', or ')}` : batchOneAdvice(s, fits);
  const cpu = backendCapacity('cpu');
  const others = [backend === 'wasm' && cpu && need <= cpu.bytes ? 'cpu' : null, 'webgpu'].filter(Boolean);
  const other = ` (or use --backend ${others.join(' or ')})`;
  return `a training step of ${s.arch} width ${s.width} at ${s.size}px, batch ${s.batchSize} (${s.method}) needs about ${gib(need)}, more than ${cap.what}: ${lower}${other}`;
}

export const OOM_PREFIX = 'out of memory on this backend';

export type OomShape = Pick<StepShape, 'batchSize' | 'size' | 'width'>;

/** What to lower after the backend ran out of memory mid-run; the shape unknown, the usual two flags. */
export function oomAdvice(shape: OomShape | null): string {
  if (!shape) return 'lower --batch-size or --size';
  if (shape.batchSize > 1)
    return `lower --batch-size (now ${shape.batchSize}; try ${Math.floor(shape.batchSize / 2)}) or --size (now ${shape.size})`;
  return `not even a batch of 1 fits: lower --size (now ${shape.size}) or --width (now ${shape.width})`;
}

/** Backend messages that mean the memory ran out (wasm aborts, WebGPU allocation failures). */
export function isOutOfMemory(msg: string): boolean {
  return /^Aborted\(/.test(msg) || /out of memory|OOM|Failed to allocate|memory access out of bounds/i.test(msg);
}

/** The error a run's out-of-memory failure becomes: the backend's words, then advice for this shape. */
export function withOomAdvice(e: unknown, shape: OomShape): unknown {
  const msg = (e as Error)?.message?.split('\n')[0] ?? String(e);
  return isOutOfMemory(msg) && !msg.startsWith(OOM_PREFIX) ? new Error(`${OOM_PREFIX} (${msg}): ${oomAdvice(shape)}`) : e;
}
