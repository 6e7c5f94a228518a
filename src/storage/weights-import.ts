// One weights import, start to end, for the weights worker (and Node tests): read the file in
// chunks (progress in bytes, MB/s, ETA) and hash it as it comes, look it up in the cache (a file
// imported before ends here), parse it, map its keys to the engine's model, store it. Cancellable
// between chunks and stages through an AbortSignal; a cancelled import stores nothing. Pure: Blob,
// IndexedDB; no DOM. Memory: the file's bytes, then the file's bytes and the engine's values (the
// parsed tensors are views of the file, each let go once mapped), then the values and the blob.
import type { UseStore } from 'idb-keyval';
import type { Arch } from '../engine/resnet-layout.ts';
import { readWeightFile, WeightFileError, type WeightFile } from '../weights/read.ts';
import { layoutFromMetadata } from '../weights/load.ts';
import { weightFileSizeRefusal } from '../weights/tensor.ts';
import { mapWeights, WeightsRefusedError, type KeyReport } from '../weights/keymap.ts';
import { SafetensorsError } from '../weights/safetensors.ts';
import { createSha256, type Sha256 } from './sha256.ts';
import { findCachedWeights, storeWeights, WeightsCacheError, weightsStore, type WeightsRecord } from './weights-cache.ts';
import { STAGE_LABELS, type ImportErrorKind, type ImportStage } from './import-stages.ts';
import { progressAt, throttle, type Progress } from '../engine/progress.ts';
import { bytesText } from '../engine/format.ts';
import { abortError } from '../data/folder.ts';

/** Bytes of the file read (and hashed) so far; past reading, the whole file with no rate. */
export interface ImportProgress extends Progress {
  stage: ImportStage;
}

interface ImportResult {
  record: WeightsRecord;
  cached: boolean;
  report: KeyReport | null;
  timings: Partial<Record<ImportStage, number>>;
  totalMs: number;
}

interface ImportOptions {
  arch?: Arch | null;
  signal?: AbortSignal;
  /** Called at each stage and, while reading, at most every `progressIntervalMs`. */
  onProgress?: (p: ImportProgress) => void;
  progressIntervalMs?: number;
  store?: UseStore;
}

/** Lets queued messages (a cancel) in: stream reads can resolve back to back as microtasks. */
const yieldToEvents = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

function checkAbort(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortError(signal);
}

/**
 * The whole file, read chunk by chunk into one buffer of its size, and hashed (SHA-256) chunk by
 * chunk as it comes: its bytes are never handed to crypto.subtle.digest, which would copy them
 * (the file twice in memory) and, in Chromium, keep them alive until a garbage collection.
 */
async function readChunked(
  file: Blob,
  name: string,
  opts: ImportOptions,
  report: (p: ImportProgress) => void,
): Promise<{ bytes: Uint8Array; hasher: Sha256 }> {
  const total = file.size;
  const interval = opts.progressIntervalMs ?? 100;
  const bytes = new Uint8Array(total);
  const hasher = await createSha256();
  const reader = file.stream().getReader();
  const start = performance.now();
  const due = throttle(interval);
  let loaded = 0;
  const progress = (now: number): ImportProgress => ({ stage: 'read', ...progressAt(loaded, total, `reading ${name}`, start, now) });
  try {
    report(progress(start));
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (loaded + value.length > total)
        throw new ImportReadError(`${name} grew while it was read (more than its ${total} bytes); choose it again`);
      bytes.set(value, loaded);
      hasher.update(value);
      loaded += value.length;
      if (due()) {
        report(progress(performance.now()));
        await yieldToEvents();
      }
      checkAbort(opts.signal);
    }
  } catch (e) {
    reader.cancel().catch(() => undefined);
    throw e;
  }
  if (loaded !== total)
    throw new ImportReadError(`${name} has ${loaded} bytes but was announced with ${total} (changed while it was read?); choose it again`);
  report(progress(performance.now()));
  return { bytes, hasher };
}

class ImportReadError extends Error {}

/**
 * Gives an ArrayBuffer's memory back now: ArrayBuffer.prototype.transfer(0) detaches it, and its
 * bytes are freed unless a Web API still holds them (crypto.subtle.digest does, until a garbage
 * collection; TextDecoder does not). Without transfer (Node 20) the collector frees it later.
 * Every view of it reads as empty afterwards.
 */
function freeNow(buffer: ArrayBufferLike): void {
  const b = buffer as ArrayBuffer & { transfer?: (length: number) => ArrayBuffer; detached?: boolean };
  if (typeof b.transfer === 'function' && !b.detached && !(typeof SharedArrayBuffer !== 'undefined' && buffer instanceof SharedArrayBuffer))
    b.transfer(0);
}

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
    report({ stage, done: total, total, detail: STAGE_LABELS[stage], perSecond: null, etaSeconds: null });
    await yieldToEvents();
    checkAbort(opts.signal);
    stageStart = performance.now();
  };
  const leave = (stage: ImportStage) => {
    timings[stage] = performance.now() - stageStart;
  };

  // The same refusal as `eac weights inspect`, before a buffer of the file's size is made.
  const tooLarge = weightFileSizeRefusal(total);
  if (tooLarge) throw new WeightFileError(`${name}: ${tooLarge}`);
  let bytes: Uint8Array | null = null;
  let hasher: Sha256;
  try {
    ({ bytes, hasher } = await readChunked(file, name, opts, report));
  } catch (e) {
    if (opts.signal?.aborted) throw opts.signal.reason ?? e;
    if (e instanceof ImportReadError) throw e;
    throw new ImportReadError(`could not read ${name}: ${e instanceof Error ? e.message : String(e)} (was the file moved or changed?)`);
  }
  timings.read = performance.now() - t0;

  await enter('hash');
  // The same key as hashBytes(file bytes); hashed while reading, only finished here.
  const hash = hasher.hex();
  leave('hash');

  await enter('lookup');
  const existing = await findCachedWeights(hash, store);
  leave('lookup');
  if (existing) return { record: existing, cached: true, report: null, timings, totalMs: performance.now() - t0 };

  await enter('parse');
  // Parsing copies nothing: the tensors are views of the file's bytes, decoded when mapped.
  const fileBuffer = bytes.buffer;
  let parsed: WeightFile | null = readWeightFile(bytes, name);
  const format = parsed.format;
  // From here on only the tensors hold the file's bytes.
  bytes = null;
  leave('parse');

  await enter('map');
  // Each tensor is converted to the engine's layout and let go (the dropped head never decoded),
  // so the file's bytes, and nothing else of the file, sit beside the engine's values.
  const mapped = mapWeights(
    parsed.tensors,
    layoutFromMetadata(parsed.metadata, { arch: opts.arch ?? undefined, fileName: name, seed: 0, release: true }),
  );
  parsed = null;
  // The engine's values are arrays of their own: the file's memory can go now, before the blob for
  // IndexedDB is made, rather than at some later garbage collection.
  freeNow(fileBuffer);
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
  if (e instanceof WeightFileError || e instanceof WeightsRefusedError || e instanceof SafetensorsError)
    return { kind: 'refused', message: text };
  if (e instanceof WeightsCacheError) return { kind: e.kind === 'quota' ? 'quota' : 'storage', message: text };
  if (e instanceof ImportReadError) return { kind: 'read', message: text };
  if (e instanceof RangeError && /allocat|memory|too large|Invalid typed array length|Array buffer/i.test(text)) {
    return {
      kind: 'memory',
      message: `not enough memory to import ${name} (${bytesText(size)}): ${text}. Close other tabs, or use a machine with more memory.`,
    };
  }
  return { kind: 'internal', message: `import of ${name} failed: ${text}` };
}
