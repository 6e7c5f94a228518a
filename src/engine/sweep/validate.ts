// Strict readers for the sweep's JSON: every field checked for kind and range, unknown fields
// refused, sizes capped. A file from disk or another machine is untrusted: any flaw is a one-line
// SweepError that names the path of the bad field.
import type { TrainConfig } from '../config.ts';
import { CONFIG_LIMITS } from '../limits.ts';
import type { RunSummary } from '../run-types.ts';
import { SweepError } from './errors.ts';
import { SAMPLERS } from '../sampler.ts';
import { LAYOUTS } from '../resnet-layout.ts';

export type Obj = Record<string, unknown>;

export function fail(where: string, msg: string): never {
  throw new SweepError(`${where}: ${msg}`);
}

const show = (v: unknown) => {
  const s =
    typeof v === 'string'
      ? JSON.stringify(v)
      : Array.isArray(v)
        ? 'an array'
        : v === null
          ? 'null'
          : typeof v === 'object'
            ? 'an object'
            : String(v);
  return s.length > 60 ? s.slice(0, 60) + '…' : s;
};

export function obj(v: unknown, where: string, keys: { required: readonly string[]; optional?: readonly string[] }): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(where, `expected an object, got ${show(v)}`);
  const o = v as Obj;
  const allowed = new Set([...keys.required, ...(keys.optional ?? [])]);
  for (const k of Object.keys(o)) if (!allowed.has(k)) fail(where, `unknown field ${JSON.stringify(k.slice(0, 40))}`);
  for (const k of keys.required) if (!Object.hasOwn(o, k)) fail(where, `missing field ${k}`);
  return o;
}

export function num(v: unknown, where: string, check: (x: number) => boolean = () => true, what = 'a number'): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || !check(v)) fail(where, `expected ${what}, got ${show(v)}`);
  return v;
}

export const int = (v: unknown, where: string, min = 0, max = Number.MAX_SAFE_INTEGER) =>
  num(v, where, (x) => Number.isInteger(x) && x >= min && x <= max, `an integer in [${min}, ${max}]`);

export function str(v: unknown, where: string, max = 200, pattern?: RegExp): string {
  if (typeof v !== 'string' || v.length > max || (pattern && !pattern.test(v)))
    fail(where, `expected ${pattern ? 'a valid name' : 'a string'} of at most ${max} characters, got ${show(v)}`);
  return v;
}

export function bool(v: unknown, where: string): boolean {
  if (typeof v !== 'boolean') fail(where, `expected true or false, got ${show(v)}`);
  return v;
}

export function oneOf<T extends string>(v: unknown, where: string, allowed: readonly T[]): T {
  if (!allowed.includes(v as T)) fail(where, `expected one of ${allowed.join(', ')}, got ${show(v)}`);
  return v as T;
}

export function arr(v: unknown, where: string, max: number): unknown[] {
  if (!Array.isArray(v)) fail(where, `expected an array, got ${show(v)}`);
  if (v.length > max) fail(where, `at most ${max} entries, got ${v.length}`);
  return v;
}

const nullable = <T>(v: unknown, read: (v: unknown) => T): T | null => (v === null ? null : read(v));

/** How each TrainConfig field is checked (a Record over its keys, so a new field cannot be forgotten). */
const CONFIG_FIELDS: Record<keyof TrainConfig, (v: unknown, where: string) => unknown> = {
  arch: (v, w) => oneOf(v, w, ['resnet50', 'resnet18'] as const),
  layout: (v, w) => oneOf(v, w, LAYOUTS),
  width: (v, w) => int(v, w, ...CONFIG_LIMITS.width),
  method: (v, w) => oneOf(v, w, ['eac', 'baseline'] as const),
  lam: (v, w) => num(v, w, (x) => x >= 0, 'a number ≥ 0'),
  epochs: (v, w) => int(v, w, ...CONFIG_LIMITS.epochs),
  maxSteps: (v, w) => nullable(v, (x) => int(x, w, ...CONFIG_LIMITS.steps)),
  batchSize: (v, w) => int(v, w, ...CONFIG_LIMITS.batchSize),
  lr: (v, w) => num(v, w, (x) => x > 0, 'a number > 0'),
  weightDecay: (v, w) => num(v, w, (x) => x >= 0, 'a number ≥ 0'),
  gamma: (v, w) => num(v, w, (x) => x > 0 && x <= 1, 'a number in (0, 1]'),
  size: (v, w) => int(v, w, ...CONFIG_LIMITS.size),
  seed: (v, w) => int(v, w, ...CONFIG_LIMITS.seed),
  augment: (v, w) => oneOf(v, w, ['full', 'none'] as const),
  erasing: (v, w) => oneOf(v, w, ['independent', 'mirrored'] as const),
  shuffle: (v, w) => bool(v, w),
  sampler: (v, w) => oneOf(v, w, SAMPLERS),
  evalBatchSize: (v, w) => int(v, w, ...CONFIG_LIMITS.batchSize),
};
/** One configuration field's value, checked by the same rule as in a whole configuration. */
export function configField<K extends keyof TrainConfig>(k: K, v: unknown, where: string): TrainConfig[K] {
  return CONFIG_FIELDS[k](v, where) as TrainConfig[K];
}

export const CONFIG_KEYS = Object.keys(CONFIG_FIELDS) as (keyof TrainConfig)[];

/** Fields added after runs were first saved: a whole configuration without one reads as this value. */
const CONFIG_ADDED: Partial<TrainConfig> = { sampler: 'shuffle', layout: 'caffe' };

/** A configuration's fields: all of them (`full`), or any subset with `arch` (a ConfigRequest). */
export function configFields(v: unknown, where: string, full: boolean): Partial<TrainConfig> {
  const added = Object.keys(CONFIG_ADDED);
  const o = obj(
    v,
    where,
    full ? { required: CONFIG_KEYS.filter((k) => !added.includes(k)), optional: added } : { required: ['arch'], optional: CONFIG_KEYS },
  );
  const out: Obj = {};
  // In the file's order, so that a sweep read and written again is the same text.
  for (const k of Object.keys(o) as (keyof TrainConfig)[]) out[k] = CONFIG_FIELDS[k](o[k], `${where}.${k}`);
  if (full) for (const [k, d] of Object.entries(CONFIG_ADDED)) if (!Object.hasOwn(o, k)) out[k] = d;
  return out as Partial<TrainConfig>;
}

const ACC = (x: number) => x >= 0 && x <= 1;

export function runSummary(v: unknown, where: string): RunSummary {
  const o = obj(v, where, { required: ['testAccLast5', 'finalTestAcc', 'bestTestAcc', 'epochs', 'steps', 'seconds', 'stoppedBy'] });
  const acc = (k: string) => nullable(o[k], (x) => num(x, `${where}.${k}`, ACC, 'an accuracy in [0, 1]'));
  return {
    testAccLast5: acc('testAccLast5'),
    finalTestAcc: acc('finalTestAcc'),
    bestTestAcc: acc('bestTestAcc'),
    epochs: int(o.epochs, `${where}.epochs`, 0, CONFIG_LIMITS.epochs[1]),
    steps: int(o.steps, `${where}.steps`, 0, CONFIG_LIMITS.steps[1]),
    seconds: num(o.seconds, `${where}.seconds`, (x) => x >= 0, 'a number ≥ 0'),
    stoppedBy: oneOf(o.stoppedBy, `${where}.stoppedBy`, ['completed', 'max-steps', 'cancelled'] as const),
  };
}
