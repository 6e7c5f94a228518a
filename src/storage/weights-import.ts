// One weights import, start to end, for the weights worker (and Node tests): read the file in
// chunks (progress in bytes, MB/s, ETA), hash it, look it up in the cache (a file imported before
// ends here), parse it, map its keys to the engine's model, store it. Cancellable between chunks
// and stages through an AbortSignal; a cancelled import stores nothing. Pure: Blob, crypto.subtle,
// IndexedDB; no DOM.
import type { UseStore } from 'idb-keyval';
import type { Arch } from '../engine/resnet-layout.ts';
import { readWeightFile, WeightFileError, type WeightFile } from '../weights/read.ts';
import { mapWeights, WeightsRefusedError, type KeyReport } from '../weights/keymap.ts';
import { SafetensorsError } from '../weights/safetensors.ts';
import { findCachedWeights, hashBytes, storeWeights, WeightsCacheError, weightsStore, type WeightsRecord } from './weights-cache.ts';
import type { ImportErrorKind, ImportStage } from '../worker/weights-protocol.ts';

export interface ImportProgress {
  stage: ImportStage;
  loaded: number;
  total: number;
  bytesPerSecond: number | null;
  etaSeconds: number | null;
}

export interface ImportResult {
  record: WeightsRecord;
  cached: boolean;
  report: KeyReport | null;
  timings: Partial<Record<ImportStage, number>>;
  totalMs: number;
}

export interface ImportOptions {
  arch?: Arch | null;
  signal?: AbortSignal;
  /** Called at each stage and, while reading, at most every `progressIntervalMs`. */
  onProgress?: (p: ImportProgress) => void;
  progressIntervalMs?: number;
  store?: UseStore;
}

const mb = (bytes: number) => (bytes / 1e6).toFixed(1);

/** Lets queued messages (a cancel) in: stream reads can resolve back to back as microtasks. */
const yieldToEvents = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

function checkAbort(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw signal.reason ?? new DOMException('cancelled', 'AbortError');
}

/** The whole file, read chunk by chunk into one buffer of its size. */
async function readChunked(file: Blob, name: string, opts: ImportOptions, report: (p: ImportProgress) => void): Promise<Uint8Array> {
  const total = file.size;
  const interval = opts.progressIntervalMs ?? 100;
  const bytes = new Uint8Array(total);
  const reader = file.stream().getReader();
  const start = performance.now();
  let last = start;
  let loaded = 0;
  const progress = (now: number): ImportProgress => {
    const secs = (now - start) / 1000;
    const rate = secs > 0.05 && loaded > 0 ? loaded / secs : null;
    return { stage: 'read', loaded, total, bytesPerSecond: rate, etaSeconds: rate ? (total - loaded) / rate : null };
  };
  try {
    report(progress(start));
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (loaded + value.length > total) throw new ImportReadError(`${name} grew while it was read (more than its ${total} bytes); choose it again`);
      bytes.set(value, loaded);
      loaded += value.length;
      const now = performance.now();
      if (now - last >= interval) {
        last = now;
        report(progress(now));
        await yieldToEvents();
      }
      checkAbort(opts.signal);
    }
  } catch (e) {
    reader.cancel().catch(() => undefined);
    throw e;
  }
  if (loaded !== total) throw new ImportReadError(`${name} has ${loaded} bytes but was announced with ${total} (changed while it was read?); choose it again`);
  report(progress(performance.now()));
  return bytes;
}

class ImportReadError extends Error {}

/** Imports one weight file into the cache. */
export async function importWeightsFile(file: Blob, name: string, opts: ImportOptions = {}): Promise<ImportResult> {
  const store = opts.store ?? weightsStore();
  const t0 = performance.now();
  const timings: Partial<Record<ImportStage, number>> = {};
  const report = (p: ImportProgress) => opts.onProgress?.(p);
  const total = file.size;
  let stageStart = t0;
  const enter = async (stage: ImportStage) => {
    checkAbort(opts.signal);
    report({ stage, loaded: total, total, bytesPerSecond: null, etaSeconds: null });
    await yieldToEvents();
    checkAbort(opts.signal);
    stageStart = performance.now();
  };
  const leave = (stage: ImportStage) => {
    timings[stage] = performance.now() - stageStart;
  };

  let bytes: Uint8Array | null = null;
  try {
    bytes = await readChunked(file, name, opts, report);
  } catch (e) {
    if (opts.signal?.aborted) throw opts.signal.reason ?? e;
    if (e instanceof ImportReadError) throw e;
    throw new ImportReadError(`could not read ${name}: ${e instanceof Error ? e.message : String(e)} (was the file moved or changed?)`);
  }
  timings.read = performance.now() - t0;

  await enter('hash');
  const hash = await hashBytes(bytes);
  leave('hash');

  await enter('lookup');
  const existing = await findCachedWeights(hash, store);
  leave('lookup');
  if (existing) return { record: existing, cached: true, report: null, timings, totalMs: performance.now() - t0 };

  await enter('parse');
  // Parsing copies nothing: the tensors are views of the file's bytes, decoded when mapped.
  let parsed: WeightFile | null = readWeightFile(bytes, name);
  const format = parsed.format;
  // From here on only the tensors hold the file's bytes: they go when the last tensor is mapped.
  bytes = null;
  leave('parse');

  await enter('map');
  // Each tensor is converted to the engine's layout and let go (the dropped head never decoded),
  // so the file's bytes, and nothing else of the file, sit beside the engine's values.
  const mapped = mapWeights(parsed.tensors, { arch: opts.arch ?? undefined, fileName: name, seed: 0, release: true });
  parsed = null;
  leave('map');

  await enter('store');
  const record = await storeWeights(
    { hash, sourceFile: name, bytes: total, format, spec: mapped.spec, values: mapped.values, report: mapped.report },
    { store, signal: opts.signal },
  );
  leave('store');
  return { record, cached: false, report: mapped.report, timings, totalMs: performance.now() - t0 };
}

/** What the page is told about a failed import; refusals keep the readers' own wording. */
export function describeImportError(e: unknown, name: string, size: number): { kind: ImportErrorKind; message: string } {
  const text = e instanceof Error ? e.message : String(e);
  if (e instanceof WeightFileError || e instanceof WeightsRefusedError || e instanceof SafetensorsError) return { kind: 'refused', message: text };
  if (e instanceof WeightsCacheError) return { kind: e.kind === 'quota' ? 'quota' : 'storage', message: text };
  if (e instanceof ImportReadError) return { kind: 'read', message: text };
  if (e instanceof RangeError && /allocat|memory|too large|Invalid typed array length|Array buffer/i.test(text)) {
    return { kind: 'memory', message: `not enough memory to import ${name} (${mb(size)} MB): ${text}. Close other tabs, or use a machine with more memory.` };
  }
  return { kind: 'internal', message: `import of ${name} failed: ${text}` };
}
