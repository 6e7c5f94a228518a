// The backend probe's results per device and model shape (IndexedDB, idb-keyval store
// "eac-probe"), so that a reload trains at once on the backend measured before. The values are
// the training worker's probe reports; this layer keeps them as opaque records with a version,
// and a record of another version reads as absent (the probe then runs again).
import { createStore, get, set, type UseStore } from 'idb-keyval';

/** Bumped when what a probe measures changes (its steps, or the engine's kernels): older results are ignored. */
const PROBE_CACHE_VERSION = 1;

let store: UseStore | null = null;
const probes = (): UseStore => (store ??= createStore('eac-probe', 'probes'));

interface Stored {
  version: number;
  value: unknown;
}

/** The stored value under `key`, or null (none, another version, or IndexedDB unavailable). */
export async function loadProbe(key: string): Promise<unknown> {
  if (typeof indexedDB === 'undefined') return null;
  const s = (await get<Stored>(key, probes())) ?? null;
  return s && s.version === PROBE_CACHE_VERSION ? s.value : null;
}

export async function saveProbe(key: string, value: unknown): Promise<void> {
  if (typeof indexedDB === 'undefined') return;
  await set(key, { version: PROBE_CACHE_VERSION, value } satisfies Stored, probes());
}
