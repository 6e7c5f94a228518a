// A pool of JPEG decoder workers: decode(bytes) sends the bytes (transferred) to the least busy
// worker and resolves with its pixels, so several JPEGs decode at once while readRafDb takes the
// results in file order. Workers come from a factory, so Node tests drive it with fakes.
import { JpegError, type DecodedImage } from '../data/jpeg.ts';
import type { FromDecodeWorker, ToDecodeWorker } from './jpeg-decode-protocol.ts';

/** What the pool needs of a Worker. */
export interface DecodeWorkerLike {
  postMessage(message: ToDecodeWorker, transfer: Transferable[]): void;
  onmessage: ((ev: MessageEvent<FromDecodeWorker>) => void) | null;
  onerror: ((ev: ErrorEvent) => void) | null;
  terminate(): void;
}

/** Jobs queued at one worker: two, so it never idles for a round trip between them. */
const PER_WORKER = 2;
/** The most decoder workers: beyond this, reading the files is the bottleneck. */
const MAX_DECODE_WORKERS = 8;

/** Below this many logical cores the ingest worker decodes itself (`decodePoolSize` is 0). */
const MIN_POOL_CORES = 4;

/**
 * Decoder workers for a machine with `cores` logical cores: one core left to the ingest worker and
 * one to the browser process, which does the file reads. Below MIN_POOL_CORES none: a 100×100
 * JPEG decodes in 0.15 ms, less than a round trip to a worker and back costs, and on the 2-core
 * test VM a pool of 1 made the read + decode slower (12.0 s against 9.1 s in the ingest worker,
 * docs/ingest-throughput.md).
 */
export function decodePoolSize(cores: number | undefined): number {
  const n = Math.floor(cores ?? 0);
  if (!Number.isFinite(n) || n < MIN_POOL_CORES) return 0;
  return Math.min(MAX_DECODE_WORKERS, n - 2);
}

interface Job {
  resolve: (img: DecodedImage) => void;
  reject: (e: unknown) => void;
}

interface Slot {
  worker: DecodeWorkerLike;
  jobs: Map<number, Job>;
}

/** The bytes' own ArrayBuffer when they span it (transferable as is), else a copy. */
function ownBuffer(bytes: Uint8Array): Uint8Array {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer
    ? bytes
    : bytes.slice();
}

export class DecodePool {
  private readonly slots: Slot[] = [];
  private readonly waiting: { bytes: Uint8Array; job: Job }[] = [];
  private nextId = 1;
  private closedWith: unknown = null;

  constructor(
    private readonly create: () => DecodeWorkerLike,
    readonly size: number,
  ) {
    for (let i = 0; i < size; i++) this.slots.push(this.start());
  }

  /** Decodes one JPEG in a worker; the bytes' buffer is transferred (unusable here afterwards). */
  decode(bytes: Uint8Array): Promise<DecodedImage> {
    if (this.closedWith !== null) return Promise.reject(this.closedWith);
    return new Promise<DecodedImage>((resolve, reject) => {
      this.waiting.push({ bytes: ownBuffer(bytes), job: { resolve, reject } });
      this.pump();
    });
  }

  /** Terminates every worker and rejects what is pending with `reason`; later decodes reject too. */
  close(reason: unknown = new Error('the JPEG decoder pool is closed')): void {
    if (this.closedWith !== null) return;
    this.closedWith = reason;
    for (const slot of this.slots) {
      slot.worker.terminate();
      for (const job of slot.jobs.values()) job.reject(reason);
      slot.jobs.clear();
    }
    for (const w of this.waiting.splice(0)) w.job.reject(reason);
  }

  private start(): Slot {
    const slot: Slot = { worker: this.create(), jobs: new Map() };
    slot.worker.onmessage = (ev) => {
      const m = ev.data;
      const job = slot.jobs.get(m.id);
      if (!job) return;
      slot.jobs.delete(m.id);
      if (m.type === 'decoded') job.resolve({ width: m.width, height: m.height, rgb: m.rgb });
      else job.reject(m.jpeg ? new JpegError(m.reason) : new Error(m.reason));
      this.pump();
    };
    // A worker that died (out of memory, a bad build) fails its own jobs and is replaced.
    slot.worker.onerror = (ev) => {
      ev.preventDefault?.();
      const error = new Error(`the JPEG decoder worker failed: ${ev.message || 'no message'}`);
      slot.worker.terminate();
      for (const job of slot.jobs.values()) job.reject(error);
      slot.jobs.clear();
      if (this.closedWith !== null) return;
      const i = this.slots.indexOf(slot);
      if (i >= 0) this.slots[i] = this.start();
      this.pump();
    };
    return slot;
  }

  private pump(): void {
    while (this.waiting.length && this.closedWith === null) {
      let best: Slot | null = null;
      for (const s of this.slots) if (s.jobs.size < PER_WORKER && (!best || s.jobs.size < best.jobs.size)) best = s;
      if (!best) return;
      const { bytes, job } = this.waiting.shift() as { bytes: Uint8Array; job: Job };
      const id = this.nextId++;
      best.jobs.set(id, job);
      best.worker.postMessage({ type: 'decode', id, bytes }, [bytes.buffer as ArrayBuffer]);
    }
  }
}
