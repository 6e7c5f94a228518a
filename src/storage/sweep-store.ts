// The lab's sweeps, in IndexedDB (idb-keyval, store "eac-sweeps"): one record per sweep, holding
// its queue (SweepState, src/engine/sweep/) and what every cell's run shares beyond the spec (the
// backbone weights, the attention panel's sample count). The page's sweep driver changes a record
// only through the queue's reducer, in one transaction per change, so a reload or a crash finds
// it consistent. Records are checked on the way out: one that does not read back as a sweep is
// reported and left out, never acted on.
import { createStore, del, get, getMany, keys, update, type UseStore } from 'idb-keyval';
import type { WeightsChoice } from '../engine/run-request.ts';
import { readSweep, SWEEP_JSON_FORMAT, type SweepState } from '../engine/sweep/index.ts';

export interface SweepRecord {
  state: SweepState;
  /** Pretrained weights every cell's run starts from; null: random init. */
  weights: WeightsChoice | null;
  /** Samples in each run's attention panel. */
  attentionCount: number;
  /** ms since 1970. */
  updatedAt: number;
  /** Spread over open tabs: every open lab tab may train one of its cells at a time. Absent: off. */
  spread?: boolean;
}

export class SweepStoreError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SweepStoreError';
  }
}

let store: UseStore | null = null;
const sweeps = (): UseStore => (store ??= createStore('eac-sweeps', 'sweeps'));
const recordKey = (id: string) => `sweep:${id}`;

/** A stored value as a record, or the one-line reason it is not one. */
export function checkRecord(v: unknown, label: string): SweepRecord | string {
  const r = v as Partial<SweepRecord> | null;
  if (typeof r !== 'object' || r === null) return `${label}: not a sweep record`;
  try {
    const state = readSweep({ format: SWEEP_JSON_FORMAT, ...(r.state as object) }, label);
    const weights = r.weights ?? null;
    if (weights !== null && (typeof weights.key !== 'string' || typeof weights.name !== 'string')) return `${label}: bad weights choice`;
    const count = Number.isInteger(r.attentionCount) && r.attentionCount! >= 0 && r.attentionCount! <= 16 ? r.attentionCount! : 0;
    return {
      state,
      weights,
      attentionCount: count,
      updatedAt: typeof r.updatedAt === 'number' ? r.updatedAt : state.createdAt,
      spread: r.spread === true,
    };
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

function wrap(what: string, e: unknown): SweepStoreError {
  if (e instanceof SweepStoreError) return e;
  return new SweepStoreError(`could not save the ${what}: ${e instanceof Error ? e.message : String(e)}`);
}

/** Stores a new sweep; refuses an id already stored (an imported sweep file twice). */
export async function addSweep(record: SweepRecord): Promise<SweepRecord> {
  const id = record.state.id;
  let next: SweepRecord | undefined;
  try {
    await update(
      recordKey(id),
      (old: SweepRecord | undefined) => {
        if (old) throw new SweepStoreError(`a sweep with the id ${id} is already stored`);
        next = { ...record, updatedAt: Date.now() };
        return next;
      },
      sweeps(),
    );
  } catch (e) {
    throw wrap(`sweep ${id}`, e);
  }
  return next!;
}

/** Replaces a stored sweep's record in one transaction (read, change, write); returns what was stored. */
async function changeRecord(id: string, fn: (old: SweepRecord) => SweepRecord): Promise<SweepRecord> {
  let out: SweepRecord | undefined;
  try {
    await update(
      recordKey(id),
      (old: SweepRecord | undefined) => {
        if (!old) throw new SweepStoreError(`no stored sweep ${id} (deleted in another tab?)`);
        out = fn(old);
        return out;
      },
      sweeps(),
    );
  } catch (e) {
    throw wrap(`sweep ${id}`, e);
  }
  return out!;
}

/**
 * Changes a stored sweep's queue in one transaction (read, reduce, write): a change made
 * meanwhile (another tab importing a run into it) is never undone. `fn` returning its argument
 * writes nothing. Returns the stored record after the change.
 */
export function updateSweep(id: string, fn: (state: SweepState) => SweepState): Promise<SweepRecord> {
  return changeRecord(id, (old) => {
    const state = fn(old.state);
    return state === old.state ? old : { ...old, state, updatedAt: Date.now() };
  });
}

/** Turns spreading a stored sweep over open tabs on or off (its queue unchanged). */
export function setSweepSpread(id: string, spread: boolean): Promise<SweepRecord> {
  return changeRecord(id, (old) => ({ ...old, spread, updatedAt: Date.now() }));
}

export async function getSweep(id: string): Promise<SweepRecord | null> {
  const v = await get(recordKey(id), sweeps());
  if (v === undefined) return null;
  const r = checkRecord(v, `stored sweep ${id}`);
  if (typeof r === 'string') throw new SweepStoreError(r);
  return r;
}

/** Every readable stored sweep, newest first, and a one-line reason for each record that is not. */
export async function listSweeps(): Promise<{ sweeps: SweepRecord[]; problems: string[] }> {
  const all = (await keys(sweeps())).filter((k): k is string => typeof k === 'string' && k.startsWith('sweep:'));
  const values = await getMany(all, sweeps());
  const out: SweepRecord[] = [];
  const problems: string[] = [];
  values.forEach((v, i) => {
    if (v === undefined) return;
    const r = checkRecord(v, `stored sweep ${all[i].slice('sweep:'.length)}`);
    if (typeof r === 'string') problems.push(r);
    else out.push(r);
  });
  out.sort((a, b) => b.state.createdAt - a.state.createdAt);
  return { sweeps: out, problems };
}

export async function deleteSweep(id: string): Promise<void> {
  await del(recordKey(id), sweeps());
}

/** The Web Lock a tab holds while it drives a sweep (so a second tab or a reload does not run it twice). */
export const sweepLockName = (id: string) => `eac-sweep:${id}`;
