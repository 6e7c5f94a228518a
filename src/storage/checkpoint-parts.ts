// A checkpoint split for IndexedDB: Chromium refuses one stored value of more than ~133 MB (its IPC
// message cap), and a width-64 ResNet-18's checkpoint (weights and Adam's two moments) is 134 MB,
// a ResNet-50's 282 MB. So the arrays go into parts of at most PART_BYTES each, beside a small
// head that names how many parts there are; all are written in one transaction. Pure: no DOM.
import type { TrainCheckpoint } from '../engine/checkpoint.ts';

/** Bytes of arrays per stored part: well under Chromium's per-value cap. */
export const PART_BYTES = 32 << 20;
/** Parts a checkpoint may have (a ResNet-50's 282 MB takes 9): a head claiming more is damaged. */
export const MAX_PARTS = 256;

type Slot = ['values', string] | ['m' | 'v', number];

export interface CheckpointPart {
  arrays: [Slot, Float32Array][];
}

export interface CheckpointHead extends Omit<TrainCheckpoint, 'values' | 'optimizer'> {
  optimizer: { step: number; lr: number };
  parts: number;
}

/** The head and the parts of a checkpoint, each part at most `partBytes` of arrays (or one larger array). */
export function splitCheckpoint(c: TrainCheckpoint, partBytes = PART_BYTES): { head: CheckpointHead; parts: CheckpointPart[] } {
  const parts: CheckpointPart[] = [];
  let cur: CheckpointPart = { arrays: [] };
  let bytes = 0;
  const add = (slot: Slot, a: Float32Array) => {
    if (bytes > 0 && bytes + a.byteLength > partBytes) {
      parts.push(cur);
      cur = { arrays: [] };
      bytes = 0;
    }
    cur.arrays.push([slot, a]);
    bytes += a.byteLength;
  };
  for (const [k, v] of c.values) add(['values', k], v);
  c.optimizer.m.forEach((a, i) => add(['m', i], a));
  c.optimizer.v.forEach((a, i) => add(['v', i], a));
  if (cur.arrays.length) parts.push(cur);
  const { values: _values, optimizer, ...rest } = c;
  return { head: { ...rest, optimizer: { step: optimizer.step, lr: optimizer.lr }, parts: parts.length }, parts };
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The checkpoint a head and its parts make, as untrusted data for readCheckpointState to check:
 * a slot that is malformed, repeated or out of range is a one-line error here.
 */
export function joinCheckpoint(head: unknown, parts: unknown[]): unknown {
  if (!isObj(head) || !isObj(head.optimizer)) throw new Error('its head is not an object');
  const values = new Map<string, unknown>();
  const m: unknown[] = [];
  const v: unknown[] = [];
  parts.forEach((p, i) => {
    if (!isObj(p) || !Array.isArray(p.arrays)) throw new Error(`part ${i} is missing or malformed`);
    for (const entry of p.arrays as unknown[]) {
      if (!Array.isArray(entry) || entry.length !== 2 || !Array.isArray(entry[0])) throw new Error(`part ${i} holds a malformed entry`);
      const [[kind, key], a] = entry as [[unknown, unknown], unknown];
      if (kind === 'values' && typeof key === 'string' && !values.has(key)) values.set(key, a);
      else if ((kind === 'm' || kind === 'v') && Number.isSafeInteger(key) && (key as number) >= 0 && (key as number) < 100_000) {
        const list = kind === 'm' ? m : v;
        if (list[key as number] !== undefined) throw new Error(`part ${i} repeats ${kind}[${key}]`);
        list[key as number] = a;
      } else
        throw new Error(
          `part ${i} holds an entry ${String(kind).slice(0, 20)}:${String(key).slice(0, 40)} that is not part of a checkpoint`,
        );
    }
  });
  const { parts: _parts, ...rest } = head;
  return { ...rest, values, optimizer: { ...head.optimizer, m: Array.from(m), v: Array.from(v) } };
}
