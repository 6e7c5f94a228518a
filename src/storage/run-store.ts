// The runs the lab has trained, in IndexedDB (idb-keyval, store "eac-runs"): one small record per
// run (what was asked, metrics so far, status) and, under their own keys, the run's last epoch
// checkpoint (weights, optimiser, random stream: src/engine/checkpoint.ts) and its attention-panel
// history. The training worker writes them; the page reads them to list runs and to resume one
// after a reload, a crash or a lost GPU device. Works in a worker and in the page (no DOM).
import { createStore, del, delMany, get, getMany, keys, promisifyRequest, set, update, type UseStore } from 'idb-keyval';
import { joinCheckpoint, MAX_PARTS, splitCheckpoint } from './checkpoint-parts.ts';
import type { TrainCheckpoint } from '../engine/checkpoint.ts';
import type { AttentionFrame, AttentionViews } from '../engine/attention.ts';
import { readCheckpointState } from '../engine/checkpoint-check.ts';
import { readAttentionHistory } from '../engine/attention-check.ts';
import { escapeControls } from '../engine/bounded-json.ts';
import { checkRunRecord } from './run-record-check.ts';
import type { RunRecord } from './run-record.ts';
import type { EpochMetrics } from '../engine/run-types.ts';
import { bytesText } from '../engine/format.ts';

export type { RunBackend, RunRecord, RunStatus } from './run-record.ts';

export interface AttentionHistory {
  views: AttentionViews;
  frames: AttentionFrame[];
}

export class RunStoreError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RunStoreError';
  }
}

let store: UseStore | null = null;
const runs = (): UseStore => (store ??= createStore('eac-runs', 'runs'));

const recordKey = (key: string) => `run:${key}`;
const checkpointKey = (key: string) => `ckpt:${key}`;
const attentionKey = (key: string) => `attn:${key}`;
const partKey = (key: string, i: number) => `ckpt-part:${key}:${i}`;

/** The Web Lock a worker holds while it trains a run (so other tabs and reloads can tell it is alive). */
export const runLockName = (key: string) => `eac-run:${key}`;

/** A new run key: time plus randomness, unique across tabs. */
export function newRunKey(now = Date.now()): string {
  const rand = Math.floor(Math.random() * 0x100000000)
    .toString(16)
    .padStart(8, '0');
  return `${now.toString(36)}-${rand}`;
}

/** Bytes of the typed arrays in a checkpoint (what it costs in storage). */
export function checkpointBytes(c: TrainCheckpoint): number {
  let n = 0;
  for (const v of c.values.values()) n += v.byteLength;
  for (const a of [...c.optimizer.m, ...c.optimizer.v]) n += a.byteLength;
  return n;
}

function isQuotaError(e: unknown): boolean {
  const name = (e as { name?: string } | null)?.name;
  const inner = e as { inner?: { name?: string }; error?: { name?: string } } | null;
  return (
    name === 'QuotaExceededError' ||
    inner?.inner?.name === 'QuotaExceededError' ||
    inner?.error?.name === 'QuotaExceededError' ||
    /quota/i.test(String((e as Error)?.message ?? ''))
  );
}

async function storageLine(): Promise<string> {
  const est = await (globalThis.navigator as Navigator | undefined)?.storage?.estimate?.().catch(() => null);
  if (!est?.quota) return '';
  return ` (the browser allows ${bytesText(est.quota)} for this site, ${bytesText(est.usage ?? 0)} in use)`;
}

/** Runs one write of the store; its failure is one RunStoreError, saying how much room it needed when the quota is the reason. */
async function storeWrite(what: string, bytes: number, write: () => Promise<unknown>): Promise<void> {
  try {
    await write();
  } catch (e) {
    if (isQuotaError(e)) {
      throw new RunStoreError(
        `not enough storage to save the ${what}: it needs about ${bytesText(bytes)}${await storageLine()}; free space by deleting old runs, datasets or weights`,
      );
    }
    throw new RunStoreError(`could not save the ${what}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

const put = (key: string, value: unknown, what: string, bytes: number): Promise<void> =>
  storeWrite(what, bytes, () => set(key, value, runs()));

/**
 * Changes a stored record in one transaction (idb-keyval `update`: read, modify, write), so that
 * concurrent writers (a worker's epochs, a page renaming the run, another tab) never undo each
 * other's fields, as separate get-then-set calls would.
 */
async function modify(key: string, what: string, fn: (old: RunRecord | undefined) => RunRecord): Promise<RunRecord> {
  let next: RunRecord | undefined;
  try {
    await update(recordKey(key), (old: RunRecord | undefined) => (next = { ...fn(old), updatedAt: new Date().toISOString() }), runs());
  } catch (e) {
    if (e instanceof RunStoreError) throw e;
    if (isQuotaError(e))
      throw new RunStoreError(
        `not enough storage to save the ${what}${await storageLine()}; free space by deleting old runs, datasets or weights`,
      );
    throw new RunStoreError(`could not save the ${what}: ${e instanceof Error ? e.message : String(e)}`);
  }
  return next!;
}

/**
 * Writes the worker's view of a run. The name stays as stored (the user may rename a run while it
 * trains), and so do epochs stored after the record's last one (appendEpoch runs ahead of the
 * checkpoint the worker's copy comes from).
 */
export async function saveRun(record: RunRecord): Promise<void> {
  await modify(record.key, 'run record', (old) => {
    const last = record.epochs.length ? record.epochs[record.epochs.length - 1].epoch : 0;
    const newer = old ? old.epochs.filter((e) => e.epoch > last) : [];
    return { ...record, name: old?.name ?? record.name, epochs: newer.length ? record.epochs.concat(newer) : record.epochs };
  });
}

/**
 * Records that a run was stopped by the user when its worker could not say so itself (it was
 * terminated because the stop took too long): otherwise the run would read as interrupted later.
 */
export async function markStopped(key: string): Promise<void> {
  await modify(key, 'stopped status', (old) => {
    if (!old) throw new RunStoreError(`no stored run ${key} (deleted?)`);
    return old.status === 'running' || old.status === 'paused' ? { ...old, status: 'stopped' } : old;
  });
}

/** Adds (or replaces) one epoch's metrics as soon as they are measured, before the checkpoint is written. */
export async function appendEpoch(key: string, metrics: EpochMetrics): Promise<RunRecord> {
  return modify(key, `metrics of epoch ${metrics.epoch}`, (old) => {
    if (!old) throw new RunStoreError(`no stored run ${key} (deleted?)`);
    // A resumed run redoes the epochs after its checkpoint: later ones are replaced, not repeated.
    return { ...old, epochs: old.epochs.filter((e) => e.epoch < metrics.epoch).concat([metrics]) };
  });
}

export async function renameRun(key: string, name: string): Promise<RunRecord> {
  const clean = name.trim();
  if (!clean) throw new RunStoreError('a run needs a name');
  if (clean.length > 200) throw new RunStoreError('a run name has at most 200 characters');
  return modify(key, 'new name', (old) => {
    if (!old) throw new RunStoreError(`no stored run ${key} (deleted in another tab?)`);
    return { ...old, name: clean };
  });
}

/** Stores runs read from a file under fresh keys (they have no checkpoint); never overwrites a stored run. */
export async function storeImportedRuns(records: readonly RunRecord[]): Promise<RunRecord[]> {
  const out: RunRecord[] = [];
  for (const r of records) {
    out.push(
      await modify(r.key, `imported run "${r.name}"`, (old) => {
        if (old) throw new RunStoreError(`a run with the key ${r.key} is already stored`);
        return { ...r, checkpointEpoch: null };
      }),
    );
  }
  return out;
}

/** The record stored under `key`, checked, or the one-line reason it is not one (a record may not claim another run's key). */
function checkStoredRun(v: unknown, key: string): RunRecord | string {
  const label = `stored run ${escapeControls(key.slice(0, 100))}`;
  const r = checkRunRecord(v, label);
  if (typeof r !== 'string' && r.key !== key)
    return `${label}.key: ${JSON.stringify(r.key)}, stored under ${JSON.stringify(escapeControls(key.slice(0, 100)))}`;
  return r;
}

/** A stored run; a record that does not read back as one (damaged, or edited) is a one-line RunStoreError naming the field. */
export async function getRun(key: string): Promise<RunRecord | null> {
  const v = await get(recordKey(key), runs());
  if (v === undefined) return null;
  const r = checkStoredRun(v, key);
  if (typeof r === 'string') throw new RunStoreError(r);
  return r;
}

/**
 * Every readable stored run, newest first, and a one-line reason for each record that is not one
 * (it is left out, never acted on; the others all come).
 */
export async function readRuns(): Promise<{ runs: RunRecord[]; problems: string[] }> {
  const all = (await keys(runs())).filter((k): k is string => typeof k === 'string' && k.startsWith('run:'));
  const values = await getMany(all, runs());
  const out: RunRecord[] = [];
  const problems: string[] = [];
  values.forEach((v, i) => {
    if (v === undefined) return;
    const r = checkStoredRun(v, all[i].slice('run:'.length));
    if (typeof r === 'string') problems.push(r);
    else out.push(r);
  });
  out.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  return { runs: out, problems };
}

/** Every readable stored run, newest first (damaged records are left out, with a console warning). */
export async function listRuns(): Promise<RunRecord[]> {
  const { runs: out, problems } = await readRuns();
  for (const p of problems) console.warn(`[eac] a stored run is left out: ${p}`);
  return out;
}

/** The parts a stored checkpoint head names (none for a checkpoint stored whole, as before parts existed). */
async function storedPartCount(key: string): Promise<number> {
  const head = (await get(checkpointKey(key), runs())) as { parts?: unknown } | undefined;
  const n = head?.parts;
  return Number.isSafeInteger(n) && (n as number) > 0 ? Math.min(n as number, MAX_PARTS) : 0;
}

export async function deleteRun(key: string): Promise<void> {
  const parts = await storedPartCount(key);
  if (parts)
    await delMany(
      Array.from({ length: parts }, (_, i) => partKey(key, i)),
      runs(),
    );
  await del(checkpointKey(key), runs());
  await del(attentionKey(key), runs());
  await del(recordKey(key), runs());
}

/**
 * Stores an epoch's checkpoint and attention history, then the record pointing at it. If the
 * checkpoint does not fit, the previous one stays (one key is overwritten in one transaction).
 */
export async function saveCheckpoint(record: RunRecord, ckpt: TrainCheckpoint, attention: AttentionHistory | null): Promise<RunRecord> {
  await putCheckpoint(record.key, ckpt);
  if (attention) await put(attentionKey(record.key), attention, 'attention history', 0);
  const next: RunRecord = {
    ...record,
    epochs: ckpt.epochs,
    checkpointEpoch: ckpt.epoch,
    checkpointStep: ckpt.step,
    checkpointPartial: !!ckpt.partial,
  };
  await saveRun(next);
  return next;
}

/** The checkpoint as a head and parts (checkpoint-parts.ts), in one transaction: a reader sees the old one or the new one. */
async function putCheckpoint(key: string, ckpt: TrainCheckpoint): Promise<void> {
  const { head, parts } = splitCheckpoint(ckpt);
  const stale = await storedPartCount(key);
  await storeWrite(`checkpoint of epoch ${ckpt.epoch}`, checkpointBytes(ckpt), () =>
    runs()('readwrite', (s) => {
      parts.forEach((p, i) => s.put(p, partKey(key, i)));
      for (let i = parts.length; i < stale; i++) s.delete(partKey(key, i));
      s.put(head, checkpointKey(key));
      return promisifyRequest(s.transaction);
    }),
  );
}

/** A run's stored checkpoint, every field checked: a damaged one is a one-line RunStoreError, never resumed from. */
export async function loadCheckpoint(key: string): Promise<TrainCheckpoint | null> {
  const head = await get(checkpointKey(key), runs());
  if (head === undefined) return null;
  const where = `stored checkpoint of run ${escapeControls(key.slice(0, 100))}`;
  try {
    let v: unknown = head;
    const n = (head as { parts?: unknown } | null)?.parts;
    if (n !== undefined) {
      if (!Number.isSafeInteger(n) || (n as number) < 1 || (n as number) > MAX_PARTS)
        throw new Error(`${where}: parts is not a count in [1, ${MAX_PARTS}]`);
      const parts = await getMany(
        Array.from({ length: n as number }, (_, i) => partKey(key, i)),
        runs(),
      );
      try {
        v = joinCheckpoint(head, parts);
      } catch (e) {
        throw new Error(`${where}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    return readCheckpointState(v, where);
  } catch (e) {
    throw new RunStoreError(e instanceof Error ? e.message : String(e));
  }
}

/** A run's stored attention history, every field checked: a damaged one is a one-line RunStoreError, never drawn. */
export async function loadAttention(key: string): Promise<AttentionHistory | null> {
  const v = await get(attentionKey(key), runs());
  if (v === undefined) return null;
  try {
    return readAttentionHistory(v, `stored attention history of run ${escapeControls(key.slice(0, 100))}`);
  } catch (e) {
    throw new RunStoreError(e instanceof Error ? e.message : String(e));
  }
}

/** Names of the runs some worker (in any tab) is training now, from the Web Locks they hold. */
export async function liveRunKeys(): Promise<Set<string>> {
  const locks = (globalThis.navigator as Navigator | undefined)?.locks;
  if (!locks) return new Set();
  const snapshot = await locks.query();
  const held = snapshot.held ?? [];
  return new Set(
    held
      .map((l) => l.name ?? '')
      .filter((n) => n.startsWith('eac-run:'))
      .map((n) => n.slice('eac-run:'.length)),
  );
}

/** A run whose record says it trains, but no worker holds it: a reload, crash or lost device stopped it. */
export function isInterrupted(r: RunRecord, live: Set<string>): boolean {
  return (r.status === 'running' || r.status === 'paused') && !live.has(r.key);
}
