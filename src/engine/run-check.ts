// What a run measured, read back from a file or a store that anyone may have edited: the run JSON
// of `eac train --out` (imported by `eac sweep --import` and the page's Compare import), a sweep
// folder's cell JSON, a checkpoint's metrics and the page's stored run records. One reader for all
// of them, by the rules of the flags the values came from (CONFIG_LIMITS): every number finite and
// in range, every field named in a one-line error (`run.epochs[3].testAcc: expected an accuracy in
// [0, 1], got 1.5`). Pure: no DOM, no Node.
import type { TrainConfig } from './config.ts';
import { CONFIG_LIMITS } from './limits.ts';
import { classesProblem, MAX_CLASSES } from './dataset.ts';
import type { EvalReport } from './evaluate.ts';
import { TRAIN_CONFUSION_MAX_CLASSES } from './metrics.ts';
import type { EpochMetrics, RunSummary, StepLog, UnfinishedEpoch } from './run-types.ts';
import { arr, configFields, fail, int, num, obj, oneOf, runSummary, str, type Obj } from './sweep/validate.ts';

const EPOCHS_MAX = CONFIG_LIMITS.epochs[1];
const STEPS_MAX = CONFIG_LIMITS.steps[1];
/** Images in a dataset (RAF-DB has 15,339): a count beyond this is not one. */
export const IMAGES_MAX = 2 ** 31 - 1;
/** Logged steps a run may carry (--log-steps of the longest run the flags allow is far less in practice). */
const STEP_LOGS_MAX = 2_000_000;

const ACC = (x: number) => x >= 0 && x <= 1;
const acc = (v: unknown, where: string) => num(v, where, ACC, 'an accuracy in [0, 1]');
const accOrNull = (v: unknown, where: string) => (v === null ? null : acc(v, where));
const loss = (v: unknown, where: string) => num(v, where, (x) => x >= 0, 'a finite loss ≥ 0');
const nonNegative = (v: unknown, where: string) => num(v, where, (x) => x >= 0, 'a finite number ≥ 0');
const count = (v: unknown, where: string) => int(v, where, 0, IMAGES_MAX);

/** An object whose listed fields are checked; fields it does not list are left out (not refused). */
function fields(v: unknown, where: string, required: readonly string[]): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(where, 'expected an object');
  const o = v as Obj;
  for (const k of required) if (!Object.hasOwn(o, k)) fail(where, `missing field ${k}`);
  return o;
}

export function readEvalReport(v: unknown, where: string): EvalReport {
  const o = fields(v, where, ['accuracy', 'perClassAccuracy', 'confusion']);
  const perClassAccuracy = arr(o.perClassAccuracy, `${where}.perClassAccuracy`, MAX_CLASSES).map((x, i) =>
    accOrNull(x, `${where}.perClassAccuracy[${i}]`),
  );
  return {
    accuracy: acc(o.accuracy, `${where}.accuracy`),
    perClassAccuracy,
    confusion: countRows(o.confusion, `${where}.confusion`),
  };
}

/** Rows of counts, one per class at most (a matrix by class: confusion, label transitions). */
function countRows(v: unknown, where: string): number[][] {
  return arr(v, where, MAX_CLASSES).map((row, i) =>
    arr(row, `${where}[${i}]`, MAX_CLASSES).map((x, j) => count(x, `${where}[${i}][${j}]`)),
  );
}

/** A run's or checkpoint's class names: absent (RAF-DB's seven) or a valid list. */
export function readClasses(v: unknown, where: string): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  const why = classesProblem(v);
  if (why) fail(where, why);
  return v as string[];
}

/**
 * An epoch's mean loss. `diverged`: the lab's own records and exports may hold a diverged loss
 * (NaN in IndexedDB, null in their JSON), read as NaN; a run JSON or a checkpoint may not (the
 * trainer stops at a non-finite loss).
 */
const epochLoss = (v: unknown, where: string, diverged: boolean) =>
  diverged && (v === null || Number.isNaN(v)) ? Number.NaN : loss(v, where);

/** The figures an unfinished epoch and a whole one share. */
function epochHead(o: Obj, where: string, diverged = false): UnfinishedEpoch {
  return {
    epoch: int(o.epoch, `${where}.epoch`, 1, EPOCHS_MAX),
    steps: int(o.steps, `${where}.steps`, 0, STEPS_MAX),
    loss: epochLoss(o.loss, `${where}.loss`, diverged),
    ce: epochLoss(o.ce, `${where}.ce`, diverged),
    consistency: epochLoss(o.consistency, `${where}.consistency`, diverged),
    trainAccNoisy: acc(o.trainAccNoisy, `${where}.trainAccNoisy`),
    trainAccClean: acc(o.trainAccClean, `${where}.trainAccClean`),
  };
}

const EPOCH_FIELDS = [
  'epoch',
  'steps',
  'loss',
  'ce',
  'consistency',
  'trainAccNoisy',
  'trainAccClean',
  'memorisation',
  'testAcc',
  'test',
  'lr',
  'seconds',
  'imagesPerSecond',
] as const;

/** A square count table of `k` classes (a confusion matrix), each row `k` long. */
function squareCounts(v: unknown, where: string, k: number): number[][] {
  const rows = countRows(v, where);
  if (rows.length !== k) fail(where, `${rows.length} rows, the run has ${k} classes`);
  rows.forEach((row, i) => row.length !== k && fail(`${where}[${i}]`, `${row.length} entries, the run has ${k} classes`));
  return rows;
}

const total = (m: number[][]) => m.reduce((n, row) => n + row.reduce((a, b) => a + b, 0), 0);

/**
 * An epoch's training confusion matrices (optional: older runs and runs of more than
 * TRAIN_CONFUSION_MAX_CLASSES classes have none): both `k`×`k`, counting the same predictions.
 */
function readTrainConfusion(v: unknown, where: string, k: number): EpochMetrics['trainConfusion'] {
  if (v === undefined || v === null) return undefined;
  const o = fields(v, where, ['noisy', 'clean']);
  if (k > TRAIN_CONFUSION_MAX_CLASSES) fail(where, `kept for at most ${TRAIN_CONFUSION_MAX_CLASSES} classes, the run has ${k}`);
  const noisy = squareCounts(o.noisy, `${where}.noisy`, k);
  const clean = squareCounts(o.clean, `${where}.clean`, k);
  const [a, b] = [total(noisy), total(clean)];
  if (a !== b) fail(where, `the noisy table counts ${a} predictions, the clean one ${b}`);
  if (a > IMAGES_MAX) fail(where, `counts ${a} predictions, more than ${IMAGES_MAX}`);
  return { noisy, clean };
}

function readEpochMetrics(v: unknown, where: string, diverged = false): EpochMetrics {
  const o = fields(v, where, EPOCH_FIELDS);
  const m = fields(o.memorisation, `${where}.memorisation`, ['flipped', 'predictedNoisy', 'predictedClean']);
  // In the order of the fields, so that the first bad one is named.
  const head = epochHead(o, where, diverged);
  const memorisation = {
    flipped: count(m.flipped, `${where}.memorisation.flipped`),
    predictedNoisy: accOrNull(m.predictedNoisy, `${where}.memorisation.predictedNoisy`),
    predictedClean: accOrNull(m.predictedClean, `${where}.memorisation.predictedClean`),
  };
  const testAcc = acc(o.testAcc, `${where}.testAcc`);
  const test = readEvalReport(o.test, `${where}.test`);
  const trainConfusion = readTrainConfusion(o.trainConfusion, `${where}.trainConfusion`, test.confusion.length);
  return {
    ...head,
    memorisation,
    ...(trainConfusion ? { trainConfusion } : {}),
    testAcc,
    test,
    // The learning rate decays by gamma each epoch, down to 0 after very many.
    lr: nonNegative(o.lr, `${where}.lr`),
    seconds: nonNegative(o.seconds, `${where}.seconds`),
    imagesPerSecond: nonNegative(o.imagesPerSecond, `${where}.imagesPerSecond`),
  };
}

/** A run's epochs: at most the flags' epochs, numbered upwards. */
export function readEpochList(v: unknown, where: string, diverged = false): EpochMetrics[] {
  const epochs = arr(v, where, EPOCHS_MAX).map((e, i) => readEpochMetrics(e, `${where}[${i}]`, diverged));
  for (let i = 1; i < epochs.length; i++)
    if (epochs[i].epoch <= epochs[i - 1].epoch) fail(`${where}[${i}].epoch`, `epoch ${epochs[i].epoch} after epoch ${epochs[i - 1].epoch}`);
  return epochs;
}

function readUnfinishedEpoch(v: unknown, where: string): UnfinishedEpoch | null {
  return v === null
    ? null
    : epochHead(fields(v, where, ['epoch', 'steps', 'loss', 'ce', 'consistency', 'trainAccNoisy', 'trainAccClean']), where);
}

function readStepLog(v: unknown, where: string): StepLog {
  const o = fields(v, where, ['step', 'epoch', 'loss', 'ce', 'consistency']);
  return {
    step: int(o.step, `${where}.step`, 1, STEPS_MAX),
    epoch: int(o.epoch, `${where}.epoch`, 1, EPOCHS_MAX),
    loss: loss(o.loss, `${where}.loss`),
    ce: loss(o.ce, `${where}.ce`),
    consistency: loss(o.consistency, `${where}.consistency`),
  };
}

export const readStepLogs = (v: unknown, where: string): StepLog[] =>
  arr(v, where, STEP_LOGS_MAX).map((s, i) => readStepLog(s, `${where}[${i}]`));

export const readConfig = (v: unknown, where: string): TrainConfig => configFields(v, where, true) as TrainConfig;

export const readSummary = (v: unknown, where: string): RunSummary => runSummary(v, where);

/** Where `eac train` took its images (src/cli/data.ts): the demo's counts by --demo-train/--demo-test's rules. */
/** Where a run's images came from: the demo, a RAF-DB folder, or an array dataset's files. */
export const DATA_KINDS = [
  'demo',
  'raf-db',
  'idx',
  'cifar-10',
  'cifar-100',
  'image-folder',
  'tiny-imagenet',
  'ferplus',
  'affectnet',
] as const;
export type DataKind = (typeof DATA_KINDS)[number];

interface TrainRunSource {
  kind: DataKind;
  train: number;
  test: number;
  dir: string | null;
  root: string | null;
  labels: string | null;
  /** A noisy label file's measured rate (null: clean labels, or not said). */
  labelNoiseRate: number | null;
}

const path = (v: unknown, where: string) => (v === null || v === undefined ? null : str(v, where, 4096));

function readTrainRunSource(v: unknown, where: string): TrainRunSource {
  const o = fields(v, where, ['kind', 'train', 'test']);
  const kind = oneOf(o.kind, `${where}.kind`, DATA_KINDS);
  const [lo, hi] = kind === 'demo' ? CONFIG_LIMITS.demoCount : [1, IMAGES_MAX];
  for (const k of ['missingImages', 'unreadableImages', 'badLines']) if (o[k] !== undefined) count(o[k], `${where}.${k}`);
  let labelNoiseRate: number | null = null;
  if (o.labelNoise !== undefined && o.labelNoise !== null) {
    const n = fields(o.labelNoise, `${where}.labelNoise`, ['rate']);
    labelNoiseRate = num(n.rate, `${where}.labelNoise.rate`, ACC, 'a rate in [0, 1]');
    if (n.changed !== undefined) count(n.changed, `${where}.labelNoise.changed`);
  }
  return {
    kind,
    train: int(o.train, `${where}.train`, lo, hi),
    test: int(o.test, `${where}.test`, lo, hi),
    dir: path(o.dir, `${where}.dir`),
    root: path(o.root, `${where}.root`),
    labels: path(o.labels, `${where}.labels`),
    labelNoiseRate,
  };
}

/** The seeded label noise `eac train --noise` reports (src/data/noise.ts), by the flag's rules. */
interface TrainRunNoise {
  rate: number;
  seed: number;
  changed: number;
  actualRate: number;
}

function readTrainRunNoise(v: unknown, where: string): TrainRunNoise | null {
  if (v === null) return null;
  const o = fields(v, where, ['rate', 'seed', 'changed', 'actualRate']);
  if (o.transition !== undefined) countRows(o.transition, `${where}.transition`);
  return {
    rate: num(o.rate, `${where}.rate`, ACC, 'a rate in [0, 1]'),
    seed: int(o.seed, `${where}.seed`, ...CONFIG_LIMITS.seed),
    changed: count(o.changed, `${where}.changed`),
    actualRate: num(o.actualRate, `${where}.actualRate`, ACC, 'a rate in [0, 1]'),
  };
}

/** The run JSON of `eac train --out FILE` (src/cli/train.ts), every field checked. */
interface TrainRunJson {
  config: TrainConfig;
  epochs: EpochMetrics[];
  steps: StepLog[];
  summary: RunSummary;
  unfinishedEpoch: UnfinishedEpoch | null;
  data: TrainRunSource;
  noise: TrainRunNoise | null;
  backend: string | null;
  /** The dataset's class names; absent: RAF-DB's seven. */
  classes?: string[];
}

export function readTrainRunJson(doc: unknown, label = 'run'): TrainRunJson {
  const o = obj(doc, label, {
    required: ['config', 'epochs', 'summary', 'data', 'noise'],
    optional: ['steps', 'unfinishedEpoch', 'backend', 'adapter', 'classes'],
  });
  const epochs = readEpochList(o.epochs, `${label}.epochs`);
  const summary = readSummary(o.summary, `${label}.summary`);
  if (summary.epochs !== epochs.length)
    fail(`${label}.summary.epochs`, `${summary.epochs}, but the run lists ${epochs.length} evaluated epochs`);
  for (const [k, v] of [
    ['backend', o.backend],
    ['adapter', o.adapter],
  ] as const)
    if (v !== undefined && v !== null) str(v, `${label}.${k}`, 400);
  return {
    config: readConfig(o.config, `${label}.config`),
    epochs,
    steps: o.steps === undefined ? [] : readStepLogs(o.steps, `${label}.steps`),
    summary,
    unfinishedEpoch: o.unfinishedEpoch === undefined ? null : readUnfinishedEpoch(o.unfinishedEpoch, `${label}.unfinishedEpoch`),
    data: readTrainRunSource(o.data, `${label}.data`),
    noise: readTrainRunNoise(o.noise, `${label}.noise`),
    backend: typeof o.backend === 'string' ? o.backend : null,
    classes: readClasses(o.classes, `${label}.classes`),
  };
}
