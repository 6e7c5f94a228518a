// A stored run record (src/storage/run-store.ts) read back as untrusted: IndexedDB outlives the
// code that wrote it, and anyone with the page's devtools (or a damaged profile) can change it.
// Every field is checked by the run JSON's rules (src/engine/run-check.ts); a flaw is a one-line
// reason naming the record and the field. The run store lists what reads and reports the rest;
// the page's import reads the all-runs export's records the same way. No DOM.
import { readConfig, readEpochList, readSummary } from '../engine/run-check.ts';
import { readDataOptions } from '../engine/sweep/sweep-json.ts';
import { bool, fail, int, num, oneOf, str } from '../engine/sweep/validate.ts';
import { CONFIG_LIMITS } from '../engine/limits.ts';
import { classesProblem } from '../engine/dataset.ts';
import type { RunBackend, RunRecord } from './run-record.ts';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
/** Text of a record: a line, at most this long (an error message may be long, but not megabytes). */
const TEXT_MAX = 4000;
const LINE = /^[^\r\n]*$/;

function object(v: unknown, where: string, required: readonly string[]): Obj {
  if (!isObj(v)) fail(where, 'expected an object');
  for (const k of required) if (!Object.hasOwn(v, k)) fail(where, `missing field ${k}`);
  return v;
}

const text = (v: unknown, where: string, max = TEXT_MAX) => str(v, where, max);
const textOrNull = (v: unknown, where: string, max = TEXT_MAX) => (v === null ? null : text(v, where, max));

function readBackend(v: unknown, where: string): RunBackend {
  const o = object(v, where, ['name', 'preference', 'reason', 'probe']);
  return {
    name: text(o.name, `${where}.name`, 100),
    preference: text(o.preference, `${where}.preference`, 100),
    reason: text(o.reason, `${where}.reason`),
    probe: textOrNull(o.probe, `${where}.probe`),
  };
}

/** A stored run record, every field checked; throws a one-line error naming the field. */
export function readRunRecord(v: unknown, where: string): RunRecord {
  const o = object(v, where, [
    'key',
    'name',
    'createdAt',
    'updatedAt',
    'status',
    'request',
    'epochs',
    'checkpointEpoch',
    'summary',
    'error',
  ]);
  const rq = object(o.request, `${where}.request`, ['config', 'data', 'weights', 'attention']);
  const att = object(rq.attention, `${where}.request.attention`, ['count', 'seed']);
  let weights: RunRecord['request']['weights'] = null;
  if (rq.weights !== null) {
    const w = object(rq.weights, `${where}.request.weights`, ['key', 'name']);
    weights = { key: text(w.key, `${where}.request.weights.key`), name: text(w.name, `${where}.request.weights.name`) };
  }
  const data = readDataOptions(rq.data, `${where}.request.data`);
  if (data.kind === 'folder') fail(`${where}.request.data.kind`, 'a folder is not stored with a run');
  const r: RunRecord = {
    key: str(o.key, `${where}.key`, 200, /^[A-Za-z0-9:._-]+$/),
    name: str(o.name, `${where}.name`, 1000, LINE),
    createdAt: text(o.createdAt, `${where}.createdAt`, 100),
    updatedAt: text(o.updatedAt, `${where}.updatedAt`, 100),
    status: oneOf(o.status, `${where}.status`, ['running', 'paused', 'done', 'stopped', 'error'] as const),
    request: {
      config: readConfig(rq.config, `${where}.request.config`),
      data,
      weights,
      attention: {
        count: int(att.count, `${where}.request.attention.count`, 0, 16),
        seed: int(att.seed, `${where}.request.attention.seed`, ...CONFIG_LIMITS.seed),
        ...(att.indices === undefined
          ? {}
          : {
              indices: (Array.isArray(att.indices) && att.indices.length <= 1000
                ? att.indices
                : fail(`${where}.request.attention.indices`, 'expected at most 1000 indices')
              ).map((x, i) => int(x, `${where}.request.attention.indices[${i}]`, 0, 2 ** 31 - 1)),
            }),
      },
    },
    epochs: readEpochList(o.epochs, `${where}.epochs`, true),
    checkpointEpoch: o.checkpointEpoch === null ? null : int(o.checkpointEpoch, `${where}.checkpointEpoch`, 0, CONFIG_LIMITS.epochs[1]),
    summary: o.summary === null ? null : readSummary(o.summary, `${where}.summary`),
    error: textOrNull(o.error, `${where}.error`),
  };
  if (o.checkpointStep !== undefined) r.checkpointStep = int(o.checkpointStep, `${where}.checkpointStep`, 0, CONFIG_LIMITS.steps[1]);
  if (o.checkpointPartial !== undefined) r.checkpointPartial = bool(o.checkpointPartial, `${where}.checkpointPartial`);
  if (o.labelNoise !== undefined)
    r.labelNoise = o.labelNoise === null ? null : num(o.labelNoise, `${where}.labelNoise`, (x) => x >= 0 && x <= 1, 'a rate in [0, 1]');
  if (o.backend !== undefined) r.backend = readBackend(o.backend, `${where}.backend`);
  if (o.classes !== undefined) {
    const why = classesProblem(o.classes);
    if (why) fail(`${where}.classes`, why);
    r.classes = [...(o.classes as string[])];
  }
  if (o.imported !== undefined) {
    const m = object(o.imported, `${where}.imported`, ['file', 'format', 'at', 'fingerprint']);
    r.imported = {
      file: text(m.file, `${where}.imported.file`, 1000),
      format: text(m.format, `${where}.imported.format`, 100),
      at: text(m.at, `${where}.imported.at`, 100),
      fingerprint: text(m.fingerprint, `${where}.imported.fingerprint`, 100),
    };
  }
  return r;
}

/** A stored value as a run record, or the one-line reason it is not one. */
export function checkRunRecord(v: unknown, where: string): RunRecord | string {
  try {
    return readRunRecord(v, where);
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}
