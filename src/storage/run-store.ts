// The runs the lab has trained, in IndexedDB (idb-keyval, store "eac-runs"): one small record per
// run (what was asked, metrics so far, status) and, under their own keys, the run's last epoch
// checkpoint (weights, optimiser, random stream: src/engine/checkpoint.ts) and its attention-panel
// history. The training worker writes them; the page reads them to list runs and to resume one
// after a reload, a crash or a lost GPU device. Works in a worker and in the page (no DOM).
import { createStore, del, get, getMany, keys, set, type UseStore } from 'idb-keyval';
import type { TrainCheckpoint } from '../engine/checkpoint.ts';
import type { TrainConfig } from '../engine/config.ts';
import type { EpochMetrics, RunSummary } from '../engine/trainer.ts';
import type { AttentionFrame, AttentionViews } from '../engine/attention.ts';
import type { AttentionOptions, DataOptions, WeightsChoice } from '../worker/protocol.ts';

export type RunStatus = 'running' | 'paused' | 'done' | 'stopped' | 'error';

export interface RunRequest {
  config: TrainConfig;
  data: DataOptions;
  weights: WeightsChoice | null;
  attention: AttentionOptions;
}

export interface RunRecord {
  key: string;
  name: string;
  createdAt: string;
  updatedAt: string;
  /** As last written by the worker; 'running'/'paused' with no worker holding the run's lock means interrupted. */
  status: RunStatus;
  request: RunRequest;
  epochs: EpochMetrics[];
  /** The epoch of the stored checkpoint (null: none yet). */
  checkpointEpoch: number | null;
  summary: RunSummary | null;
  error: string | null;
}

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

/** The Web Lock a worker holds while it trains a run (so other tabs and reloads can tell it is alive). */
export const runLockName = (key: string) => `eac-run:${key}`;

/** A new run key: time plus randomness, unique across tabs. */
export function newRunKey(now = Date.now()): string {
  const rand = Math.floor(Math.random() * 0x100000000).toString(16).padStart(8, '0');
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
  const inner = (e as { inner?: { name?: string }; error?: { name?: string } } | null);
  return name === 'QuotaExceededError' || inner?.inner?.name === 'QuotaExceededError' || inner?.error?.name === 'QuotaExceededError' || /quota/i.test(String((e as Error)?.message ?? ''));
}

async function storageLine(): Promise<string> {
  const est = await (globalThis.navigator as Navigator | undefined)?.storage?.estimate?.().catch(() => null);
  if (!est?.quota) return '';
  const mb = (b: number) => (b / 1e6).toFixed(0);
  return ` (the browser allows ${mb(est.quota)} MB for this site, ${mb(est.usage ?? 0)} MB in use)`;
}

async function put(key: string, value: unknown, what: string, bytes: number): Promise<void> {
  try {
    await set(key, value, runs());
  } catch (e) {
    if (isQuotaError(e)) {
      throw new RunStoreError(`not enough storage to save the ${what}: it needs about ${(bytes / 1e6).toFixed(1)} MB${await storageLine()}; free space by deleting old runs, datasets or weights`);
    }
    throw new RunStoreError(`could not save the ${what}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

export async function saveRun(record: RunRecord): Promise<void> {
  await put(recordKey(record.key), { ...record, updatedAt: new Date().toISOString() }, 'run record', 1e5);
}

export async function getRun(key: string): Promise<RunRecord | null> {
  return ((await get(recordKey(key), runs())) as RunRecord | undefined) ?? null;
}

/** Every stored run, newest first. */
export async function listRuns(): Promise<RunRecord[]> {
  const all = (await keys(runs())).filter((k): k is string => typeof k === 'string' && k.startsWith('run:'));
  const records = (await getMany(all, runs())) as (RunRecord | undefined)[];
  return records.filter((r): r is RunRecord => !!r).sort((a, b) => b.createdAt.localeCompare(a.createdAt));
}

export async function deleteRun(key: string): Promise<void> {
  await del(checkpointKey(key), runs());
  await del(attentionKey(key), runs());
  await del(recordKey(key), runs());
}

/**
 * Stores an epoch's checkpoint and attention history, then the record pointing at it. If the
 * checkpoint does not fit, the previous one stays (one key is overwritten in one transaction).
 */
export async function saveCheckpoint(record: RunRecord, ckpt: TrainCheckpoint, attention: AttentionHistory | null): Promise<RunRecord> {
  await put(checkpointKey(record.key), ckpt, `checkpoint of epoch ${ckpt.epoch}`, checkpointBytes(ckpt));
  if (attention) await put(attentionKey(record.key), attention, 'attention history', 0);
  const next: RunRecord = { ...record, epochs: ckpt.epochs, checkpointEpoch: ckpt.epoch };
  await saveRun(next);
  return next;
}

export async function loadCheckpoint(key: string): Promise<TrainCheckpoint | null> {
  return ((await get(checkpointKey(key), runs())) as TrainCheckpoint | undefined) ?? null;
}

export async function loadAttention(key: string): Promise<AttentionHistory | null> {
  return ((await get(attentionKey(key), runs())) as AttentionHistory | undefined) ?? null;
}

/** Names of the runs some worker (in any tab) is training now, from the Web Locks they hold. */
export async function liveRunKeys(): Promise<Set<string>> {
  const locks = (globalThis.navigator as Navigator | undefined)?.locks;
  if (!locks) return new Set();
  const snapshot = await locks.query();
  const held = snapshot.held ?? [];
  return new Set(held.map((l) => l.name ?? '').filter((n) => n.startsWith('eac-run:')).map((n) => n.slice('eac-run:'.length)));
}

/** A run whose record says it trains, but no worker holds it: a reload, crash or lost device stopped it. */
export function isInterrupted(r: RunRecord, live: Set<string>): boolean {
  return (r.status === 'running' || r.status === 'paused') && !live.has(r.key);
}
