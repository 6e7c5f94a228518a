// The browser cache of imported weights (IndexedDB through idb-keyval, its own database). Each
// import is keyed by the SHA-256 of the file's bytes, so importing the same file again is a hash
// and a lookup. Two idb keys per import: `meta:<hash>` (a small WeightsRecord, listed without
// touching the tensors) and `tensors:<hash>` (a Blob holding a safetensors file of the
// engine-layout float32 values, so a later load never re-parses the pickle). Both are written in
// one transaction; whatever goes wrong, nothing half-written is left behind.
//
// Pure: no React, no DOM beyond what a worker has (IndexedDB, Blob, crypto.subtle, navigator.storage).
import { createStore, delMany, get, getMany, keys, setMany, update, type UseStore } from 'idb-keyval';
import { describeResNet, initialValue, listParams, type Arch, type ResNetSpec } from '../engine/resnet.ts';
import { Rng } from '../engine/rng.ts';
import { NUM_CLASSES } from '../data/types.ts';
import { readSafetensors } from '../weights/safetensors.ts';
import type { DetectedArch, KeyReport } from '../weights/keymap.ts';
import type { WeightFormat } from '../weights/read.ts';

export const WEIGHTS_DB_NAME = 'eac-weights';
export const WEIGHTS_STORE_NAME = 'weights';
const META = 'meta:';
const TENSORS = 'tensors:';
/** Marks the tensors blob's layout, so a future change of layout is detected instead of misread. */
const TENSORS_LAYOUT = 'eac-engine-layout-v1';
const MAX_NAME_LENGTH = 200;

export interface WeightsReportSummary {
  missing: number;
  unexpected: number;
  mismatched: number;
  notes: string[];
  archReason: string;
}

export interface WeightsRecord {
  /** SHA-256 of the imported file's bytes, hex. */
  key: string;
  /** Display name (editable); the file name at first. */
  name: string;
  sourceFile: string;
  /** Size of the imported file. */
  bytes: number;
  /** Size of the cached tensors (engine-layout float32, the head included). */
  storedBytes: number;
  format: WeightFormat;
  /** The engine architecture (what a run's config.arch must be). */
  arch: Arch;
  /** The network the file describes (the ResNet-50 layouts differ). */
  layout: DetectedArch;
  width: number;
  /** The file's head size (null: no head). */
  headClasses: number | null;
  /** 'loaded': the file's 7-way head is cached; 'initialised': a fresh head is drawn per run seed. */
  head: 'loaded' | 'initialised';
  report: WeightsReportSummary;
  /** ISO date. */
  importedAt: string;
}

export interface CachedWeights {
  spec: ResNetSpec;
  /** Engine-layout values by engine key, complete for `spec`. */
  values: Map<string, Float32Array>;
  record: WeightsRecord;
}

export type WeightsCacheErrorKind = 'quota' | 'missing' | 'corrupt' | 'storage' | 'input';

export class WeightsCacheError extends Error {
  constructor(
    message: string,
    readonly kind: WeightsCacheErrorKind,
    /** For 'quota': bytes the write needed and bytes the browser said were free (null: unknown). */
    readonly neededBytes: number | null = null,
    readonly availableBytes: number | null = null,
  ) {
    super(message);
    this.name = 'WeightsCacheError';
  }
}

let defaultStore: UseStore | null = null;

/** The cache's store, opened on first use (importing this module opens nothing). */
export function weightsStore(): UseStore {
  defaultStore ??= createStore(WEIGHTS_DB_NAME, WEIGHTS_STORE_NAME);
  return defaultStore;
}

const mb = (bytes: number) => (bytes / 1e6).toFixed(1);

/** SHA-256 of the bytes, as lowercase hex. */
export async function hashBytes(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

export async function listCachedWeights(store: UseStore = weightsStore()): Promise<WeightsRecord[]> {
  const metaKeys = (await keys(store)).filter((k): k is string => typeof k === 'string' && k.startsWith(META));
  const records = (await getMany<WeightsRecord | undefined>(metaKeys, store)).filter((r): r is WeightsRecord => !!r);
  return records.sort((a, b) => b.importedAt.localeCompare(a.importedAt) || a.name.localeCompare(b.name));
}

/** The record of an import with this content hash, if cached (and whole). */
export async function findCachedWeights(hash: string, store: UseStore = weightsStore()): Promise<WeightsRecord | undefined> {
  const [meta, tensors] = await getMany<unknown>([META + hash, TENSORS + hash], store);
  if (!meta) return undefined;
  if (!(tensors instanceof Blob)) {
    // Cannot happen through storeWeights (one transaction); heal it rather than offer a dead entry.
    await delMany([META + hash, TENSORS + hash], store).catch(() => undefined);
    return undefined;
  }
  return meta as WeightsRecord;
}

export async function deleteCachedWeights(key: string, store: UseStore = weightsStore()): Promise<void> {
  await delMany([META + key, TENSORS + key], store);
}

export async function renameCachedWeights(key: string, name: string, store: UseStore = weightsStore()): Promise<WeightsRecord> {
  const clean = name.trim();
  if (!clean) throw new WeightsCacheError('a name cannot be empty', 'input');
  if (clean.length > MAX_NAME_LENGTH) throw new WeightsCacheError(`a name is at most ${MAX_NAME_LENGTH} characters (this one has ${clean.length})`, 'input');
  let renamed: WeightsRecord | undefined;
  // One readwrite transaction: a rename never races a delete into resurrecting a record.
  await update<WeightsRecord | undefined>(META + key, (r) => (renamed = r ? { ...r, name: clean } : undefined), store);
  if (!renamed) {
    await delMany([META + key], store).catch(() => undefined);
    throw new WeightsCacheError(`no cached weights with key ${key.slice(0, 12)}… (deleted meanwhile?)`, 'missing');
  }
  return renamed;
}

/** Removes tensors blobs whose record is missing (an import killed mid-write by a closed tab). */
export async function pruneOrphanTensors(store: UseStore = weightsStore()): Promise<number> {
  const all = new Set((await keys(store)).map(String));
  const orphans = [...all].filter((k) => k.startsWith(TENSORS) && !all.has(META + k.slice(TENSORS.length)));
  if (orphans.length) await delMany(orphans, store);
  return orphans.length;
}

export interface StoreWeightsInput {
  /** hashBytes() of the file. */
  hash: string;
  sourceFile: string;
  /** Size of the file. */
  bytes: number;
  format: WeightFormat;
  /** Display name; default the file name. */
  name?: string;
  spec: ResNetSpec;
  values: Map<string, Float32Array>;
  report: KeyReport;
}

export interface StoreOptions {
  store?: UseStore;
  /** Aborted before or during the write: nothing stays stored, and the abort reason is thrown. */
  signal?: AbortSignal;
}

/** The safetensors bytes of engine-layout values, as a Blob made of the arrays (no big concatenation). */
export function encodeTensorsBlob(spec: ResNetSpec, values: Map<string, Float32Array>): Blob {
  const header: Record<string, unknown> = {
    __metadata__: { layout: TENSORS_LAYOUT, arch: spec.config.arch, width: String(spec.config.width) },
  };
  const parts: Float32Array[] = [];
  let offset = 0;
  for (const p of listParams(spec)) {
    const v = values.get(p.name);
    const count = p.shape.reduce((a, b) => a * b, 1);
    if (!v || v.length !== count) throw new WeightsCacheError(`cannot cache ${p.name}: ${v ? `${v.length} values` : 'no values'} for shape [${p.shape.join(', ')}]`, 'input');
    header[p.name] = { dtype: 'F32', shape: p.shape, data_offsets: [offset, offset + 4 * count] };
    parts.push(v);
    offset += 4 * count;
  }
  let json = JSON.stringify(header);
  // Pad so the data starts 8-aligned: loading can then view the floats without copying them.
  json += ' '.repeat((8 - ((8 + json.length) % 8)) % 8);
  const headerBytes = new TextEncoder().encode(json);
  const len = new Uint8Array(8);
  new DataView(len.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  return new Blob([len, headerBytes, ...(parts as Float32Array<ArrayBuffer>[])]);
}

function summarise(r: KeyReport): WeightsReportSummary {
  return { missing: r.missing.length, unexpected: r.unexpected.length, mismatched: r.mismatched.length, notes: [...r.notes], archReason: r.archReason };
}

/** True for a quota failure however the browser reports it (the request, or the aborted transaction). */
export function isQuotaError(e: unknown, depth = 0): boolean {
  if (!e || typeof e !== 'object' || depth > 4) return false;
  const x = e as { name?: unknown; code?: unknown; message?: unknown; cause?: unknown; error?: unknown; inner?: unknown };
  if (x.name === 'QuotaExceededError' || x.code === 22) return true;
  if ((x.name === 'AbortError' || x.name === 'UnknownError') && typeof x.message === 'string' && /quota|disk is full|no space/i.test(x.message)) return true;
  return [x.cause, x.error, x.inner].some((inner) => inner !== e && isQuotaError(inner, depth + 1));
}

export interface StorageStatus {
  /** Bytes the origin uses and may use, as navigator.storage.estimate() says (null: unknown). */
  usage: number | null;
  quota: number | null;
  /** null: the browser cannot tell. */
  persisted: boolean | null;
}

export async function storageStatus(): Promise<StorageStatus> {
  const storage = (globalThis.navigator as Navigator | undefined)?.storage;
  let usage: number | null = null;
  let quota: number | null = null;
  let persisted: boolean | null = null;
  try {
    const est = await storage?.estimate?.();
    usage = est?.usage ?? null;
    quota = est?.quota ?? null;
  } catch {
    // Unknown is an answer.
  }
  try {
    // navigator.storage.persisted is a page API; workers may lack it.
    persisted = typeof storage?.persisted === 'function' ? await storage.persisted() : null;
  } catch {
    persisted = null;
  }
  return { usage, quota, persisted };
}

/** Asks the browser to keep the cache under storage pressure (page side). */
export async function requestPersistentStorage(): Promise<{ persisted: boolean; supported: boolean; message: string }> {
  const storage = (globalThis.navigator as Navigator | undefined)?.storage;
  if (typeof storage?.persist !== 'function') return { persisted: false, supported: false, message: 'this browser cannot keep storage persistently; it may evict the cache when space runs low' };
  try {
    if (await storage.persisted?.()) return { persisted: true, supported: true, message: 'storage is persistent: the browser will not evict the cache on its own' };
    const granted = await storage.persist();
    return granted
      ? { persisted: true, supported: true, message: 'storage is persistent: the browser will not evict the cache on its own' }
      : { persisted: false, supported: true, message: 'the browser declined persistent storage; it may evict the cache when space runs low (bookmarking the page or installing it often helps)' };
  } catch (e) {
    return { persisted: false, supported: true, message: `persistent storage request failed: ${e instanceof Error ? e.message : String(e)}` };
  }
}

async function quotaError(name: string, needed: number): Promise<WeightsCacheError> {
  const { usage, quota } = await storageStatus();
  const available = usage !== null && quota !== null ? Math.max(0, quota - usage) : null;
  const space = available !== null
    ? `${mb(available)} MB are available (${mb(usage!)} MB of ${mb(quota!)} MB used)`
    : 'the browser does not say how much is available';
  return new WeightsCacheError(
    `not enough browser storage to cache "${name}": it needs ${mb(needed)} MB and ${space}. ` +
      'Delete cached weights or datasets you no longer need, or free disk space, then import again; the cache was left as it was.',
    'quota', needed, available,
  );
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('cancelled', 'AbortError');
}

/**
 * Caches converted weights under their file's hash and returns the record. If that hash is
 * already cached the old record is returned untouched. Tensors and metadata go in one
 * transaction (tensors first); on any failure both keys are removed again, so no half record
 * stays and older entries are never touched. A quota failure becomes a WeightsCacheError naming
 * the MB needed and available.
 */
export async function storeWeights(input: StoreWeightsInput, opts: StoreOptions = {}): Promise<WeightsRecord> {
  const store = opts.store ?? weightsStore();
  const { signal } = opts;
  const existing = await findCachedWeights(input.hash, store);
  if (existing) return existing;
  if (signal?.aborted) throw abortReason(signal);
  const blob = encodeTensorsBlob(input.spec, input.values);
  const { report } = input;
  const record: WeightsRecord = {
    key: input.hash,
    name: (input.name ?? input.sourceFile).trim().slice(0, MAX_NAME_LENGTH) || input.sourceFile,
    sourceFile: input.sourceFile,
    bytes: input.bytes,
    storedBytes: blob.size,
    format: input.format,
    arch: input.spec.config.arch,
    layout: report.arch ?? (input.spec.config.arch === 'resnet18' ? 'resnet18' : 'resnet50-caffe'),
    width: input.spec.config.width,
    headClasses: report.headClasses,
    head: report.head,
    report: summarise(report),
    importedAt: new Date().toISOString(),
  };
  const keysWritten = [TENSORS + input.hash, META + input.hash];
  const undo = () => delMany(keysWritten, store).catch(() => undefined);
  try {
    await setMany([[keysWritten[0], blob], [keysWritten[1], record]], store);
  } catch (e) {
    await undo();
    if (isQuotaError(e)) throw await quotaError(record.name, blob.size);
    throw new WeightsCacheError(`could not cache "${record.name}" in the browser: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`, 'storage');
  }
  if (signal?.aborted) {
    await undo();
    throw abortReason(signal);
  }
  return record;
}

/** Engine shapes for the record's architecture. */
function specOf(record: WeightsRecord): ResNetSpec {
  return describeResNet({ arch: record.arch, width: record.width, numClasses: NUM_CLASSES });
}

/**
 * The cached weights for a run. A head cached as 'initialised' is drawn again from `seed`, as
 * mapWeights does (nn.Linear's uniform ±1/sqrt(fan_in), fc.weight then fc.bias from a fresh
 * Rng(seed)), so a run here starts from the same head as the CLI with the same seed.
 */
export async function loadCachedWeights(key: string, seed: number, store: UseStore = weightsStore()): Promise<CachedWeights> {
  const [meta, blob] = await getMany<unknown>([META + key, TENSORS + key], store);
  const short = `${key.slice(0, 12)}…`;
  if (!meta) throw new WeightsCacheError(`the cached weights ${short} are no longer in this browser's cache (deleted, or the browser evicted them); import the file again`, 'missing');
  const record = meta as WeightsRecord;
  if (!(blob instanceof Blob)) throw new WeightsCacheError(`the cached weights "${record.name}" lost their tensors; delete the entry and import ${record.sourceFile} again`, 'missing');
  const bytes = new Uint8Array(await blob.arrayBuffer());
  const corrupt = (why: string) => new WeightsCacheError(`the cached weights "${record.name}" are damaged (${why}); delete the entry and import ${record.sourceFile} again`, 'corrupt');
  let parsed: ReturnType<typeof readSafetensors>;
  try {
    parsed = readSafetensors(bytes);
  } catch (e) {
    throw corrupt(e instanceof Error ? e.message : String(e));
  }
  if (parsed.metadata.layout !== TENSORS_LAYOUT) throw corrupt(`unknown layout ${String(parsed.metadata.layout)}`);
  const spec = specOf(record);
  const values = new Map<string, Float32Array>();
  for (const p of listParams(spec)) {
    const t = parsed.tensors.get(p.name);
    if (!t) throw corrupt(`no ${p.name}`);
    if (t.dtype !== 'F32' || t.shape.join('x') !== p.shape.join('x')) throw corrupt(`${p.name} is ${t.dtype} [${t.shape.join(', ')}], expected F32 [${p.shape.join(', ')}]`);
    const n = t.bytes.byteLength / 4;
    // A view when aligned (always, as written by encodeTensorsBlob): no second copy of the weights.
    values.set(p.name, t.bytes.byteOffset % 4 === 0 ? new Float32Array(t.bytes.buffer, t.bytes.byteOffset, n) : new Float32Array(t.bytes.slice().buffer));
  }
  if (record.head === 'initialised') {
    const rng = new Rng(seed);
    for (const p of listParams(spec)) if (p.kind === 'fc.weight' || p.kind === 'fc.bias') values.set(p.name, initialValue(p, rng));
  }
  return { spec, values, record };
}

/** The record alone (for the page's selection), or undefined. */
export async function getCachedRecord(key: string, store: UseStore = weightsStore()): Promise<WeightsRecord | undefined> {
  return get<WeightsRecord>(META + key, store);
}
