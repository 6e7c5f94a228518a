// What a training step needs in memory, worked out from the network's layout before anything is
// allocated, against what the backend can hold: a configuration that cannot fit is refused up
// front with the flags to lower, instead of failing after the dataset is loaded and the model built.
import os from 'node:os';
import { largestFitting, stepNeed, type StepShape } from '../engine/memory-fit.ts';
import type { BackendName } from './node-backends.ts';
import { bytesText } from '../engine/format.ts';

export type { StepShape };

/**
 * The step's peak, from the explicit engine's plan (src/engine/memory-fit.ts, the lab's check
 * too); the wasm and cpu backends plan filter gradients as CPUs do.
 */
function stepBytes(s: StepShape): number {
  return stepNeed(s, 'cpu').needBytes;
}

/** What a backend can hold: wasm's heap is 32-bit (4 GiB); cpu keeps tensors in the process's memory (calibrated on wasm only, so all of it). null: unknown (WebGPU). */
function backendCapacity(backend: BackendName): { bytes: number; what: string } | null {
  if (backend === 'wasm') return { bytes: 4 * 2 ** 30, what: "the wasm backend's 4 GiB heap" };
  if (backend === 'cpu') return { bytes: os.totalmem(), what: `this machine's ${bytesText(os.totalmem(), 'binary')} of memory` };
  return null;
}

const gib = (b: number) => bytesText(b, 'binary');

/**
 * When not even one image per batch fits, lowering --batch-size alone cannot help: the size or
 * the width must come down with it (each at batch 1, the largest that fits).
 */
function batchOneAdvice(s: StepShape, fits: (o: Partial<StepShape>) => boolean): string {
  const size = largestFitting(32, s.size, (z) => fits({ batchSize: 1, size: z }));
  const width = largestFitting(1, s.width, (w) => fits({ batchSize: 1, width: w }));
  const combos = [size !== null ? `--batch-size 1 --size ${size}` : null, width !== null ? `--batch-size 1 --width ${width}` : null].filter(
    Boolean,
  );
  return combos.length
    ? `not even a batch of 1 fits; use ${combos.join(', or ')}`
    : 'not even a batch of 1 at 32px and width 1 fits this backend';
}

/**
 * Whether the step recomputes pass 1: as asked, or by itself where an EAC step fits the backend
 * only that way (the same results, a sixth more work).
 */
export function chooseRecompute(s: StepShape, backend: BackendName): { recompute: boolean; because: string | null } {
  const cap = backendCapacity(backend);
  if (s.recompute || s.method !== 'eac' || !cap || stepBytes(s) <= cap.bytes)
    return { recompute: !!s.recompute && s.method === 'eac', because: null };
  const need = stepBytes({ ...s, recompute: true });
  if (need > cap.bytes) return { recompute: false, because: null };
  return {
    recompute: true,
    because: `the step needs about ${gib(stepBytes(s))}, more than ${cap.what}; recomputing pass 1 it needs ${gib(need)} (the same results, about a sixth more work)`,
  };
}

/** Null when the step fits the backend (or its capacity is unknown); else the one-line reason with the flags to lower. */
export function memoryRefusal(s: StepShape, backend: BackendName): string | null {
  const cap = backendCapacity(backend);
  if (!cap) return null;
  const need = stepBytes(s);
  if (need <= cap.bytes) return null;
  const fits = (o: Partial<StepShape>) => stepBytes({ ...s, ...o }) <= cap.bytes;
  const batch = largestFitting(1, s.batchSize, (b) => fits({ batchSize: b }));
  const size = largestFitting(32, s.size, (z) => fits({ size: z }));
  const options = [
    batch !== null ? `--batch-size ${batch}` : null,
    size !== null ? `--size ${size}` : null,
    s.arch === 'resnet50' && fits({ arch: 'resnet18' }) ? '--arch resnet18' : null,
  ].filter(Boolean);
  const lower = options.length ? `lower one: ${options.join(', or ')}` : batchOneAdvice(s, fits);
  const cpu = backendCapacity('cpu');
  const others = [backend === 'wasm' && cpu && need <= cpu.bytes ? 'cpu' : null, 'webgpu'].filter(Boolean);
  const other = ` (or use --backend ${others.join(' or ')})`;
  const how = s.recompute && s.method === 'eac' ? ', pass 1 recomputed,' : '';
  return `a training step of ${s.arch} width ${s.width} at ${s.size}px, batch ${s.batchSize} (${s.method})${how} needs about ${gib(need)}, more than ${cap.what}: ${lower}${other}`;
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
