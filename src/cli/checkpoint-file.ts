// `eac train --checkpoint FILE`: a training checkpoint (src/engine/checkpoint.ts) on disk, with the
// command's own settings (dataset, outputs, backend) so that `eac train --resume FILE` alone
// continues the run. Layout: 8 magic bytes, the JSON header's length (u32 LE), the JSON header,
// then the arrays' raw little-endian bytes at the offsets the header gives. Numbers in the header
// round-trip exactly (JSON keeps every finite double; NaN, ±Infinity and -0 are spelled out).
// Reading trusts nothing: regular files only, sizes capped, every offset and shape checked.
import { readRegularFile } from './read-file.ts';
import { RANGES } from './args.ts';
import { printable } from './output.ts';
import { jsonBoundsExceeded, jsonErrorText } from '../engine/bounded-json.ts';
import { createHash } from 'node:crypto';
import { CHECKPOINT_VERSION, type EpochProgress, type TrainCheckpoint } from '../engine/checkpoint.ts';
import { describeResNet, listParams } from '../engine/resnet-layout.ts';
import { checkpointSecondsOk, CONFIG_LIMITS } from '../engine/config.ts';
import { readClasses, readConfig } from '../engine/run-check.ts';
import { readCheckpointState } from '../engine/checkpoint-check.ts';
import { classesOf, type Dataset } from '../engine/dataset.ts';
import type { NoiseKind } from '../data/noise.ts';

const MAGIC = 'EACCKPT\n';
/** A name from the file, cut for a message (escaped with the rest of it). */
const trim = (s: string) => (s.length > 100 ? `${s.slice(0, 100)}…` : s);
/**
 * Every step of 60 epochs of a 300,000-image dataset (--log-steps) is ~50 MB of header: a header
 * beyond this is not a checkpoint. Parsed in well under a second.
 */
const MAX_HEADER_BYTES = 64 * 2 ** 20;
/** A ResNet-50 checkpoint has ~650 arrays. */
const MAX_ARRAYS = 4096;
/**
 * The header nests 5 levels deep, and holds an object per logged step and epoch: beyond these it
 * is not a checkpoint (checked on the bytes, before anything is parsed).
 */
const MAX_DEPTH = 16;
const HEADER_BOUNDS = { maxDepth: MAX_DEPTH, maxContainers: 2_000_000 };
/** A ResNet-50 checkpoint (weights and both Adam moments) is about 0.3 GB; leave room for wider nets. */
const MAX_CHECKPOINT_BYTES = 2 * 2 ** 30 - 1;

/** The `eac train` settings a resumed run reuses (paths absolute, so it resumes from any folder). */
export interface CliRun {
  data: {
    demo: boolean;
    dataDir: string | null;
    labels: string | null;
    noise: number | null;
    demoTrain: number | null;
    demoTest: number | null;
    /** Absent in checkpoints made before these existed: symmetric, whole splits. */
    noiseKind?: NoiseKind;
    trainCount?: number | null;
    testCount?: number | null;
    /** FERPlus's class count (absent or null: 8, or not FERPlus). */
    ferPlusClasses?: 7 | 8 | null;
    affectNetClasses?: 7 | 8 | null;
  };
  backend: string;
  out: string | null;
  save: string | null;
  json: boolean;
  logSteps: boolean;
  every: { steps?: number; seconds?: number };
  /** sha256 of the dataset the run trains on: a resumed run must see the same images and labels. */
  datasetSha256: string;
}

interface ArrayRef {
  name: string;
  dtype: 'f32' | 'i32';
  offset: number;
  length: number;
}

export class CheckpointFileError extends Error {}

/** sha256 over both splits' images and labels (what training and evaluation read). */
export function datasetFingerprint(d: Dataset): string {
  const h = createHash('sha256');
  for (const s of [d.train, d.test]) {
    h.update(`${s.labels.length} ${s.height} ${s.width};`);
    for (const a of [s.images, s.labels, s.cleanLabels]) h.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  }
  return h.digest('hex');
}

const replacer = (_k: string, v: unknown) =>
  typeof v === 'number' && (!Number.isFinite(v) || Object.is(v, -0)) ? { $float: Object.is(v, -0) ? '-0' : String(v) } : v;
/**
 * The replacer's spelled-out floats back to numbers, in place (a walk, not JSON.parse's reviver:
 * that costs a call per value, ~25 s for a 40 MB header). Its recursion is bounded by the header's
 * depth, checked on the bytes before parsing.
 */
function restoreFloats(v: unknown): unknown {
  if (!v || typeof v !== 'object') return v;
  if (!Array.isArray(v) && Object.hasOwn(v, '$float') && Object.keys(v).length === 1) {
    const f = (v as { $float: unknown }).$float;
    if (f === '-0') return -0;
    if (f === 'NaN' || f === 'Infinity' || f === '-Infinity') return Number(f);
    return v;
  }
  const o = v as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    const x = o[k];
    if (x && typeof x === 'object') o[k] = restoreFloats(x);
  }
  return v;
}

export function encodeCheckpoint(c: TrainCheckpoint, run: CliRun): Uint8Array {
  const arrays: ArrayRef[] = [];
  const chunks: Uint8Array[] = [];
  let offset = 0;
  const add = (name: string, a: Float32Array | Int32Array) => {
    arrays.push({ name, dtype: a instanceof Float32Array ? 'f32' : 'i32', offset, length: a.length });
    chunks.push(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
    offset += a.byteLength;
  };
  for (const [k, v] of c.values) add(`values/${k}`, v);
  c.optimizer.m.forEach((a, i) => add(`adam.m/${i}`, a));
  c.optimizer.v.forEach((a, i) => add(`adam.v/${i}`, a));
  let partial: Omit<EpochProgress, 'order' | 'seenPreds'> | null = null;
  if (c.partial) {
    const { order, seenPreds, ...rest } = c.partial;
    add('partial.order', order);
    add('partial.seenPreds', seenPreds);
    partial = rest;
  }
  const header = {
    format: 'eac-train-checkpoint',
    run,
    checkpoint: {
      version: c.version,
      config: c.config,
      classes: c.classes,
      epoch: c.epoch,
      step: c.step,
      rng: c.rng,
      epochs: c.epochs,
      steps: c.steps,
      imagesSeen: c.imagesSeen,
      seconds: c.seconds,
      optimizer: { step: c.optimizer.step, lr: c.optimizer.lr, count: c.optimizer.m.length },
      partial,
    },
    arrays,
  };
  const json = new TextEncoder().encode(JSON.stringify(header, replacer));
  const out = new Uint8Array(12 + json.length + offset);
  out.set(new TextEncoder().encode(MAGIC), 0);
  new DataView(out.buffer).setUint32(8, json.length, true);
  out.set(json, 12);
  let at = 12 + json.length;
  for (const ch of chunks) {
    out.set(ch, at);
    at += ch.length;
  }
  return out;
}

/** Reads a checkpoint file; any defect is a CheckpointFileError naming it. */
export function readCheckpointFile(file: string): { checkpoint: TrainCheckpoint; run: CliRun } {
  let bytes: Uint8Array;
  try {
    bytes = readRegularFile(file, {
      checkSize(size) {
        if (size > MAX_CHECKPOINT_BYTES)
          throw new CheckpointFileError(`${file} has ${size} bytes, more than a checkpoint can (${MAX_CHECKPOINT_BYTES})`);
      },
      notRegular: (message) => new CheckpointFileError(`${file} is ${message}`),
    });
  } catch (e) {
    if (e instanceof CheckpointFileError) throw e;
    throw new CheckpointFileError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return decodeCheckpoint(bytes);
}

export function decodeCheckpoint(bytes: Uint8Array): { checkpoint: TrainCheckpoint; run: CliRun } {
  // Whatever of the file a reason quotes is escaped: one line, no terminal control.
  const bad = (why: string) => new CheckpointFileError(`not a valid eac checkpoint: ${printable(why, 400)}`);
  if (bytes.length < 12 || new TextDecoder().decode(bytes.subarray(0, 8)) !== MAGIC)
    throw bad('it does not start with the checkpoint signature');
  const hlen = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(8, true);
  if (hlen > MAX_HEADER_BYTES || 12 + hlen > bytes.length)
    throw bad(`its header claims ${hlen} bytes, the file has ${bytes.length - 12} after the signature`);
  const headerBytes = bytes.subarray(12, 12 + hlen);
  // Bounded on the bytes before even decoding them.
  const over = jsonBoundsExceeded(headerBytes, HEADER_BOUNDS);
  if (over) throw bad(`its header: ${over}`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(headerBytes);
  } catch {
    throw bad('its header is not UTF-8');
  }
  let header: { format?: unknown; run?: CliRun; checkpoint?: Record<string, unknown>; arrays?: unknown };
  try {
    header = JSON.parse(text);
  } catch (e) {
    throw bad(`its header is not JSON (${jsonErrorText(e)})`);
  }
  restoreFloats(header);
  if (!header || typeof header !== 'object' || header.format !== 'eac-train-checkpoint')
    throw bad('its header is not an eac training checkpoint');
  const h = header.checkpoint;
  const run = header.run;
  if (!h || typeof h !== 'object' || !run || typeof run !== 'object' || !Array.isArray(header.arrays))
    throw bad('its header lacks the checkpoint or run settings');
  const data = bytes.subarray(12 + hlen);
  // Entries inside the payload, apart from each other, each read at most once (`take` copies it
  // then): the arrays can add up to no more than the file.
  const refs = new Map<string, ArrayRef>();
  if ((header.arrays as unknown[]).length > MAX_ARRAYS) throw bad(`its header lists more than ${MAX_ARRAYS} arrays`);
  for (const r of header.arrays as ArrayRef[]) {
    if (
      !r ||
      typeof r.name !== 'string' ||
      (r.dtype !== 'f32' && r.dtype !== 'i32') ||
      !Number.isSafeInteger(r.offset) ||
      !Number.isSafeInteger(r.length) ||
      r.offset < 0 ||
      r.length < 0
    )
      throw bad('an array entry of its header is malformed');
    if (r.offset + 4 * r.length > data.length) throw bad(`array ${trim(r.name)} runs past the end of the file (truncated?)`);
    if (refs.has(r.name)) throw bad(`array ${trim(r.name)} appears twice`);
    refs.set(r.name, r);
  }
  const byOffset = [...refs.values()].sort((a, b) => a.offset - b.offset);
  for (let i = 1; i < byOffset.length; i++) {
    const [a, b] = [byOffset[i - 1], byOffset[i]];
    if (a.offset + 4 * a.length > b.offset) throw bad(`arrays ${trim(a.name)} and ${trim(b.name)} overlap`);
  }
  const taken = new Set<string>();
  const take = <T extends Float32Array | Int32Array>(name: string, kind: 'f32' | 'i32'): T => {
    const r = refs.get(name);
    if (!r || r.dtype !== kind) throw bad(`it lacks the ${kind} array ${name}`);
    if (taken.has(name)) throw bad(`array ${name} is read twice`);
    taken.add(name);
    const copy = data.slice(r.offset, r.offset + 4 * r.length);
    return (kind === 'f32' ? new Float32Array(copy.buffer) : new Int32Array(copy.buffer)) as T;
  };

  // The arrays the configuration's model has, then the whole state by the one reader the page's
  // stored checkpoints go through too (src/engine/checkpoint-check.ts): every weight and moment
  // finite, variances and second moments ≥ 0, lengths the model's, every figure by its flag's range.
  let config: TrainCheckpoint['config'];
  try {
    config = readConfig(h.config, 'checkpoint.config');
  } catch (e) {
    throw bad((e as Error).message);
  }
  let classes: string[] | undefined;
  try {
    classes = readClasses(h.classes, 'checkpoint.classes');
  } catch (e) {
    throw bad((e as Error).message);
  }
  const params = listParams(
    describeResNet({ arch: config.arch, layout: config.layout, width: config.width, numClasses: classesOf({ classes }).length }),
  );
  const opt = h.optimizer as { step: unknown; lr: unknown; count: unknown } | undefined;
  // Adam keeps one m and one v per trainable parameter, in the model's parameter order.
  const trainable = params.filter((p) => p.trainable).length;
  if (!opt || typeof opt !== 'object' || opt.count !== trainable)
    throw bad(`its optimiser state has ${String(opt?.count).slice(0, 20)} moments, the model ${trainable} trainable parameters`);
  const values = new Map(params.map((p) => [p.name, take<Float32Array>(`values/${p.name}`, 'f32')]));
  const moments = (kind: 'm' | 'v') => Array.from({ length: trainable }, (_, i) => take<Float32Array>(`adam.${kind}/${i}`, 'f32'));
  const m = moments('m');
  const v = moments('v');
  const p = h.partial as Record<string, unknown> | null | undefined;
  const partial =
    p && typeof p === 'object'
      ? { ...p, order: take<Int32Array>('partial.order', 'i32'), seenPreds: take<Int32Array>('partial.seenPreds', 'i32') }
      : p;
  if (h.version !== 1 && h.version !== CHECKPOINT_VERSION)
    throw bad(`checkpoint version ${String(h.version).slice(0, 20)} (expected ${CHECKPOINT_VERSION})`);
  let checkpoint: TrainCheckpoint;
  try {
    checkpoint = readCheckpointState({ ...h, config, values, optimizer: { step: opt.step, lr: opt.lr, m, v }, partial }, 'checkpoint');
  } catch (e) {
    throw bad((e as Error).message);
  }
  if (typeof run.datasetSha256 !== 'string' || !run.data || typeof run.data !== 'object' || typeof run.backend !== 'string')
    throw bad('its run settings are malformed');
  checkRun(run, bad);
  const unused = [...refs.keys()].find((k) => !taken.has(k));
  if (unused !== undefined) throw bad(`array ${trim(unused)} is not part of a checkpoint`);
  return { checkpoint, run };
}

/** The run settings stored beside the checkpoint, by the rules of the flags they came from. */
function checkRun(run: CliRun, bad: (why: string) => Error): void {
  const d = run.data;
  const { min, max } = RANGES.demoCount;
  const count = (x: unknown, what: string) => {
    if (x !== null && (!Number.isSafeInteger(x) || (x as number) < min || (x as number) > max))
      throw bad(`its ${what} is not an integer in [${min}, ${max}]`);
  };
  count(d.demoTrain, 'demo training count');
  count(d.demoTest, 'demo test count');
  count(d.trainCount ?? null, 'training count');
  count(d.testCount ?? null, 'test count');
  if (d.noiseKind !== undefined && d.noiseKind !== 'symmetric' && d.noiseKind !== 'asymmetric')
    throw bad('its noise kind is not symmetric or asymmetric');
  if (d.ferPlusClasses !== undefined && d.ferPlusClasses !== null && d.ferPlusClasses !== 7 && d.ferPlusClasses !== 8)
    throw bad('its FERPlus class count is not 7 or 8');
  if (d.affectNetClasses !== undefined && d.affectNetClasses !== null && d.affectNetClasses !== 7 && d.affectNetClasses !== 8)
    throw bad('its AffectNet class count is not 7 or 8');
  // As --noise: a rate in [0, 1].
  if (d.noise !== null && !(typeof d.noise === 'number' && d.noise >= 0 && d.noise <= 1)) throw bad('its noise rate is not in [0, 1]');
  for (const [k, x] of [
    ['data folder', d.dataDir],
    ['label file', d.labels],
    ['JSON output', run.out],
    ['model output', run.save],
  ] as const)
    if (x !== null && (typeof x !== 'string' || x.length > 4096)) throw bad(`its ${k} is not a path`);
  const every = run.every;
  if (!every || typeof every !== 'object') throw bad('its checkpoint cadence is malformed');
  if (
    every.steps !== undefined &&
    !(Number.isSafeInteger(every.steps) && every.steps >= RANGES.steps.min && every.steps <= RANGES.steps.max)
  )
    throw bad(
      `its checkpoint cadence in steps is not an integer in [${RANGES.steps.min}, ${RANGES.steps.max}] (as --checkpoint-every-steps)`,
    );
  if (every.seconds !== undefined && !checkpointSecondsOk(every.seconds))
    throw bad(`its checkpoint cadence in seconds is not in (0, ${CONFIG_LIMITS.checkpointSeconds[1]}] (as --checkpoint-every-s)`);
}
