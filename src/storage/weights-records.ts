// The page-safe half of the weights cache (src/storage/weights-cache.ts has the other): the
// records, their listing, rename and delete, the content hash, the storage estimate and the
// persistence request. Nothing here imports the engine, so the page can use it without loading
// TensorFlow.js (the engine's ResNet module does).
//
// Layout: IndexedDB through idb-keyval, its own database. Each import is keyed by the SHA-256 of
// the file's bytes; two idb keys per import: `meta:<hash>` (a small WeightsRecord, listed without
// touching the tensors) and `tensors:<hash>` (a Blob holding a safetensors file of the
// engine-layout float32 values).
import { createStore, delMany, getMany, keys, update, type UseStore } from 'idb-keyval';
import type { Arch } from '../engine/resnet.ts';
import type { DetectedArch } from '../weights/keymap.ts';
import type { WeightFormat } from '../weights/read.ts';
import { sha256Hex } from './sha256.ts';
import { CONFIG_LIMITS } from '../engine/limits.ts';
import { escapeControls } from '../engine/bounded-json.ts';

const WEIGHTS_DB_NAME = 'eac-weights';
const WEIGHTS_STORE_NAME = 'weights';
export const META = 'meta:';
export const TENSORS = 'tensors:';
/** Marks the tensors blob's layout, so a future change of layout is detected instead of misread. */
export const TENSORS_LAYOUT = 'eac-engine-layout-v1';
export const MAX_NAME_LENGTH = 200;

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

type WeightsCacheErrorKind = 'quota' | 'missing' | 'corrupt' | 'storage' | 'input';

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

interface NodeHash {
  update(data: Uint8Array): NodeHash;
  digest(encoding: 'hex'): string;
}

/** Node's own crypto module where there is one (process.getBuiltinModule: no import for bundlers to follow). */
function nodeCrypto(): { createHash(algorithm: 'sha256'): NodeHash } | null {
  const p = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  return (p?.getBuiltinModule?.('node:crypto') as { createHash(algorithm: 'sha256'): NodeHash } | undefined) ?? null;
}

/**
 * SHA-256 of the bytes, as lowercase hex, hashed in place: node:crypto in Node (native), hash-wasm
 * elsewhere. Not crypto.subtle.digest: it copies its input first (the Web Crypto rule) and the
 * copy lives until the next garbage collection, a 165 MB file held twice while it is parsed.
 */
export async function hashBytes(bytes: Uint8Array): Promise<string> {
  const node = nodeCrypto();
  if (node) return node.createHash('sha256').update(bytes).digest('hex');
  return sha256Hex(bytes);
}

/**
 * Why a stored value is not a weights record (null: it is one): every field a list, a run or the
 * loader reads, checked (IndexedDB outlives the code that wrote it, and can be edited).
 */
export function weightsRecordProblem(v: unknown): string | null {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'not an object';
  const r = v as Record<string, unknown>;
  for (const k of ['key', 'name', 'sourceFile', 'layout', 'importedAt'])
    if (typeof r[k] !== 'string' || (r[k] as string).length > 4096) return `${k} is not a string`;
  for (const k of ['bytes', 'storedBytes']) if (!Number.isSafeInteger(r[k]) || (r[k] as number) < 0) return `${k} is not a count`;
  if (r.format !== 'pickle' && r.format !== 'torch-zip' && r.format !== 'safetensors') return 'format is not a weight format';
  if (r.arch !== 'resnet18' && r.arch !== 'resnet50') return 'arch is not resnet18 or resnet50';
  const [lo, hi] = CONFIG_LIMITS.width;
  if (!Number.isSafeInteger(r.width) || (r.width as number) < lo || (r.width as number) > hi)
    return `width is not an integer in [${lo}, ${hi}]`;
  if (
    r.headClasses !== null &&
    !(Number.isSafeInteger(r.headClasses) && (r.headClasses as number) >= 1 && (r.headClasses as number) <= 1e6)
  )
    return 'headClasses is not a class count';
  if (r.head !== 'loaded' && r.head !== 'initialised') return 'head is not loaded or initialised';
  if (typeof r.report !== 'object' || r.report === null) return 'report is not an object';
  return null;
}

/** Every readable cached weights record, newest first; a damaged one is left out with a warning. */
export async function listCachedWeights(store: UseStore = weightsStore()): Promise<WeightsRecord[]> {
  const metaKeys = (await keys(store)).filter((k): k is string => typeof k === 'string' && k.startsWith(META));
  const values = await getMany<unknown>(metaKeys, store);
  const records: WeightsRecord[] = [];
  values.forEach((v, i) => {
    if (v === undefined) return;
    const why = weightsRecordProblem(v);
    if (why) console.warn(`[eac] cached weights ${escapeControls(metaKeys[i].slice(META.length, 80))} are left out: ${why}`);
    else records.push(v as WeightsRecord);
  });
  return records.sort((a, b) => b.importedAt.localeCompare(a.importedAt) || a.name.localeCompare(b.name));
}

/** The record of an import with this content hash, if cached (and whole). */
export async function findCachedWeights(hash: string, store: UseStore = weightsStore()): Promise<WeightsRecord | undefined> {
  const [meta, tensors] = await getMany<unknown>([META + hash, TENSORS + hash], store);
  if (!meta) return undefined;
  if (!(tensors instanceof Blob) || weightsRecordProblem(meta)) {
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
  if (clean.length > MAX_NAME_LENGTH)
    throw new WeightsCacheError(`a name is at most ${MAX_NAME_LENGTH} characters (this one has ${clean.length})`, 'input');
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

/** True for a quota failure however the browser reports it (the request, or the aborted transaction). */
export function isQuotaError(e: unknown, depth = 0): boolean {
  if (!e || typeof e !== 'object' || depth > 4) return false;
  const x = e as { name?: unknown; code?: unknown; message?: unknown; cause?: unknown; error?: unknown; inner?: unknown };
  if (x.name === 'QuotaExceededError' || x.code === 22) return true;
  if (
    (x.name === 'AbortError' || x.name === 'UnknownError') &&
    typeof x.message === 'string' &&
    /quota|disk is full|no space/i.test(x.message)
  )
    return true;
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
  if (typeof storage?.persist !== 'function')
    return {
      persisted: false,
      supported: false,
      message: 'this browser cannot keep storage persistently; it may evict the cache when space runs low',
    };
  try {
    if (await storage.persisted?.())
      return { persisted: true, supported: true, message: 'storage is persistent: the browser will not evict the cache on its own' };
    const granted = await storage.persist();
    return granted
      ? { persisted: true, supported: true, message: 'storage is persistent: the browser will not evict the cache on its own' }
      : {
          persisted: false,
          supported: true,
          message:
            'the browser declined persistent storage; it may evict the cache when space runs low (bookmarking the page or installing it often helps)',
        };
  } catch (e) {
    return {
      persisted: false,
      supported: true,
      message: `persistent storage request failed: ${e instanceof Error ? e.message : String(e)}`,
    };
  }
}
