// Where the dataset cache keeps its records in IndexedDB (store "eac-datasets"): the keys of one
// dataset's records, reading and writing them, and the refusal when the browser's quota is short.
// The layout itself is described in dataset-cache.ts.
import { createStore, promisifyRequest, type UseStore } from 'idb-keyval';
import { DatasetCacheQuotaError } from './errors.ts';
import { opfsPixelFiles, type PixelFiles } from './pixel-files.ts';
import { bytesText } from '../../engine/format.ts';

interface StorageEstimateLike {
  usage?: number;
  quota?: number;
}

let store: UseStore | null = null;
let estimateFn: (() => Promise<StorageEstimateLike>) | null = null;
/** undefined: not looked up yet (OPFS where this context has it). */
let files: PixelFiles | null | undefined;

export function db(): UseStore {
  store ??= createStore('eac-datasets', 'datasets');
  return store;
}

/** Where new datasets' pixels go: files (OPFS) where this context writes them, else null (IndexedDB chunks). */
export function pixelFiles(): PixelFiles | null {
  if (files === undefined) files = opfsPixelFiles();
  return files;
}

/**
 * Replaces the IndexedDB store, the storage estimate and the pixel files (tests: fake-indexeddb, a
 * small quota, files in memory; `pixelFiles: null` keeps pixels in IndexedDB chunks).
 */
export function configureDatasetCache(opts: {
  store?: UseStore | null;
  estimate?: (() => Promise<StorageEstimateLike>) | null;
  pixelFiles?: PixelFiles | null;
}): void {
  if (opts.store !== undefined) store = opts.store;
  if (opts.estimate !== undefined) estimateFn = opts.estimate;
  if (opts.pixelFiles !== undefined) files = opts.pixelFiles;
}

export async function estimate(): Promise<StorageEstimateLike | null> {
  try {
    if (estimateFn) return await estimateFn();
    const storage = (globalThis as { navigator?: { storage?: { estimate?: () => Promise<StorageEstimateLike> } } }).navigator?.storage;
    return storage?.estimate ? await storage.estimate() : null;
  } catch {
    return null;
  }
}

export const metaKey = (key: string) => `meta/${key}`;
export const indexKey = (key: string) => `index/${key}`;
export const pendingKey = (key: string) => `pending/${key}`;
export const chunkKey = (key: string, split: 'train' | 'test', i: number) => `chunk/${key}/${split}/${i}`;
export const prefixRange = (prefix: string) => IDBKeyRange.bound(prefix, prefix + '\uffff');

export function getValue<T>(k: string): Promise<T | undefined> {
  return db()('readonly', (s) => promisifyRequest(s.get(k) as IDBRequest<T | undefined>));
}

export function putValue(k: string, value: unknown): Promise<void> {
  return db()('readwrite', (s) => {
    s.put(value, k);
    return promisifyRequest(s.transaction);
  });
}

/** Deletes every record of a dataset (meta first, so it leaves the list at once). */
export async function deleteAll(key: string): Promise<void> {
  await db()('readwrite', (s) => {
    s.delete(metaKey(key));
    s.delete(indexKey(key));
    s.delete(prefixRange(`chunk/${key}/`));
    s.delete(pendingKey(key));
    return promisifyRequest(s.transaction);
  });
}

export function isQuotaError(e: unknown): boolean {
  const name = (e as { name?: string } | null)?.name;
  return name === 'QuotaExceededError' || /quota/i.test(String((e as Error | null)?.message ?? ''));
}

export async function quotaError(needed: number, cause?: unknown): Promise<DatasetCacheQuotaError> {
  const est = await estimate();
  const available = est?.quota !== undefined && est.usage !== undefined ? Math.max(0, est.quota - est.usage) : null;
  const room =
    available === null
      ? 'the browser did not say how much is free'
      : `the browser allows about ${bytesText(available)} more for this site (${bytesText(est!.usage!)} used of ${bytesText(est!.quota!)})`;
  const why = cause ? ` (${(cause as Error).message ?? String(cause)})` : '';
  return new DatasetCacheQuotaError(
    `cannot cache the dataset: it needs about ${bytesText(needed)}, but ${room}${why}. Delete cached datasets you no longer need, or free disk space, then try again; nothing was stored.`,
    needed,
    available,
  );
}
