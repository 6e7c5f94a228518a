// `eac sweep`'s flags as a sweep spec, the flag a resumed sweep differs in, and each cell's
// `eac train` arguments (a new run, or a resumed one from the cell's checkpoint file).
import path from 'node:path';
import { choice, int, num, RANGES, UsageError, type Flags } from './args.ts';
import { configFromFlags } from './train.ts';
import { BACKENDS, type BackendName } from './node-backends.ts';
import type { TrainConfig } from '../engine/config.ts';
import {
  AXIS_FIELDS,
  HYPER_AXES,
  SWEEP_LIMITS,
  SWEEP_METHODS,
  checkSpecAxes,
  type HyperAxis,
  type SweepAxes,
  type SweepCell,
  type SweepSpec,
} from '../engine/sweep/index.ts';

/** The paper's noise rates, when --noise is not given. */
const DEFAULT_NOISE = [0, 0.1, 0.2, 0.3];
/** The demo dataset's size when --demo-train / --demo-test are not given (src/data/demo.ts). */
const DEMO_DEFAULT = { train: 3000, test: 1000 };

/** A comma-separated flag, each item read by `item` (which names the flag in its errors). */
function list<T>(v: Flags, flag: string, fallback: T[], item: (one: Flags) => T): T[] {
  const raw = v[flag];
  if (raw === undefined) return fallback;
  if (typeof raw !== 'string' || raw.trim() === '') throw new UsageError(`--${flag} needs a comma-separated list`);
  const parts = raw.split(',').map((s) => s.trim());
  if (parts.length > 64) throw new UsageError(`--${flag}: at most 64 values, got ${parts.length}`);
  return parts.map((p) => item({ [flag]: p }));
}

/** Flags that define what a sweep computes: a rerun that gives any of them must give the same. */
export const SPEC_FLAGS = [
  'methods',
  'noise',
  'seeds',
  'demo',
  'data',
  'labels',
  'demo-train',
  'demo-test',
  'train-count',
  'test-count',
  'weights',
  'arch',
  'width',
  'lam',
  'epochs',
  'max-steps',
  'batch-size',
  'lr',
  'weight-decay',
  'gamma',
  'size',
  'augment',
  'erasing',
  'no-shuffle',
  'sampler',
  'layout',
] as const;

/** The flag of each hyperparameter axis: a comma-separated list of values makes it an axis. */
export const AXIS_FLAG: Record<HyperAxis, string> = {
  lr: 'lr',
  lam: 'lam',
  arch: 'arch',
  width: 'width',
  batchSize: 'batch-size',
  erasing: 'erasing',
};

/**
 * The axes the flags list (--lr 1e-4,2e-4: two values) and the flags with each list cut to its
 * first value (the shared configuration's, which each cell's own value replaces). Every value is
 * read by eac train's own rule for its flag.
 */
export function axesFromFlags(v: Flags): { axes: SweepAxes; first: Flags } {
  const first: Flags = { ...v };
  const lists: [HyperAxis, string[]][] = [];
  for (const k of HYPER_AXES) {
    const f = AXIS_FLAG[k];
    const raw = v[f];
    if (typeof raw !== 'string' || !raw.includes(',')) continue;
    const parts = raw.split(',').map((p) => p.trim());
    if (parts.length > SWEEP_LIMITS.axisValues)
      throw new UsageError(`--${f}: at most ${SWEEP_LIMITS.axisValues} values, got ${parts.length}`);
    first[f] = parts[0];
    lists.push([k, parts]);
  }
  const axes: SweepAxes = {};
  for (const [k, parts] of lists) {
    const values = parts.map((p) => configFromFlags({ ...first, [AXIS_FLAG[k]]: p })[k]);
    (axes as Record<string, unknown[]>)[k] = values;
  }
  return { axes, first };
}

export function specFromFlags(v: Flags): SweepSpec {
  const methods = list(v, 'methods', [...SWEEP_METHODS], (o) => choice(o, 'methods', SWEEP_METHODS, 'eac'));
  const noiseRates = list(v, 'noise', DEFAULT_NOISE, (o) => num(o, 'noise', 0, (x) => x >= 0 && x < 1, 'rates in [0, 1)'));
  const seeds = list(v, 'seeds', [0], (o) => int(o, 'seeds', 0, RANGES.seed));
  const { axes, first } = axesFromFlags(v);
  const full = configFromFlags(first);
  const config: Partial<TrainConfig> = { ...full };
  for (const k of AXIS_FIELDS) delete config[k];
  if (v.demo && v.data) throw new UsageError('give either --demo or --data, not both');
  if (!v.demo && !v.data) throw new UsageError('no dataset: give --demo (the built-in dataset) or --data DIR (a RAF-DB folder)');
  if (v.labels !== undefined && !v.data) throw new UsageError('--labels: label files come with RAF-DB folders (give --data DIR)');
  const spec: SweepSpec = {
    methods,
    noiseRates,
    seeds,
    config: { ...config, arch: full.arch },
    data: v.demo
      ? {
          kind: 'demo',
          seed: 0,
          trainCount: int(v, 'demo-train', DEMO_DEFAULT.train, RANGES.demoCount),
          testCount: int(v, 'demo-test', DEMO_DEFAULT.test, RANGES.demoCount),
          noiseRate: 0,
          noiseSeed: 0,
        }
      : {
          kind: 'folder',
          dir: path.resolve(v.data as string),
          labelFile: (v.labels as string | undefined) ?? null,
          trainCount: v['train-count'] === undefined ? null : int(v, 'train-count', 0, RANGES.demoCount),
          testCount: v['test-count'] === undefined ? null : int(v, 'test-count', 0, RANGES.demoCount),
          noiseRate: 0,
          noiseSeed: 0,
        },
    weights: v.weights === undefined ? null : { key: path.resolve(v.weights as string), name: path.basename(v.weights as string) },
  };
  if (Object.keys(axes).length) spec.axes = axes;
  try {
    checkSpecAxes(spec);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  return spec;
}

const CONFIG_FLAG: Record<keyof TrainConfig, string> = {
  arch: '--arch',
  width: '--width',
  method: '--methods',
  lam: '--lam',
  epochs: '--epochs',
  maxSteps: '--max-steps',
  batchSize: '--batch-size',
  lr: '--lr',
  weightDecay: '--weight-decay',
  gamma: '--gamma',
  size: '--size',
  seed: '--seeds',
  augment: '--augment',
  erasing: '--erasing',
  shuffle: '--no-shuffle',
  sampler: '--sampler',
  layout: '--layout',
  evalBatchSize: 'the evaluation batch size',
};

const DATA_KIND = {
  demo: 'the demo dataset (--demo)',
  folder: 'a RAF-DB folder (--data)',
  cached: "a dataset of the lab's cache",
} as const;

const text = (x: unknown) => (x === undefined ? 'unset' : Array.isArray(x) ? x.join(',') : x === null ? 'none' : String(x));

/** The first setting in which `asked` differs from the sweep `stored`, as "--flag: a (the sweep) vs b (asked)"; null when equal. */
export function specDifference(stored: SweepSpec, asked: SweepSpec): string | null {
  const diff = (flag: string, a: unknown, b: unknown) =>
    JSON.stringify(a ?? null) === JSON.stringify(b ?? null) ? null : `${flag} is ${text(b)}, the sweep's is ${text(a)}`;
  const found =
    diff('--methods', stored.methods, asked.methods) ??
    diff('--noise', stored.noiseRates, asked.noiseRates) ??
    diff('--seeds', stored.seeds, asked.seeds) ??
    diff('the dataset', DATA_KIND[stored.data.kind], DATA_KIND[asked.data.kind]) ??
    diff('--data', stored.data.kind === 'folder' && stored.data.dir, asked.data.kind === 'folder' && asked.data.dir) ??
    diff('--labels', 'labelFile' in stored.data && stored.data.labelFile, 'labelFile' in asked.data && asked.data.labelFile) ??
    diff('--demo-train', stored.data.kind === 'demo' && stored.data.trainCount, asked.data.kind === 'demo' && asked.data.trainCount) ??
    diff('--demo-test', stored.data.kind === 'demo' && stored.data.testCount, asked.data.kind === 'demo' && asked.data.testCount) ??
    diff('--train-count', stored.data.kind === 'folder' && stored.data.trainCount, asked.data.kind === 'folder' && asked.data.trainCount) ??
    diff('--test-count', stored.data.kind === 'folder' && stored.data.testCount, asked.data.kind === 'folder' && asked.data.testCount) ??
    diff('--weights', stored.weights?.key, asked.weights?.key) ??
    HYPER_AXES.map((k) => diff(`--${AXIS_FLAG[k]}`, stored.axes?.[k] ?? stored.config[k], asked.axes?.[k] ?? asked.config[k])).find(
      (d) => d !== null,
    ) ??
    null;
  if (found) return found;
  const keys = new Set([...Object.keys(stored.config), ...Object.keys(asked.config)]) as Set<keyof TrainConfig>;
  for (const k of keys) {
    // No flag sets it: a sweep made in the lab may differ there, and eac train would run its own default.
    if (k === 'evalBatchSize') continue;
    // A sweep from before the sampler and the layout were settings shuffled, in the Caffe layout.
    const added = { sampler: 'shuffle', layout: 'caffe' } as Partial<Record<keyof TrainConfig, unknown>>;
    const [a, b] = [stored.config[k] ?? added[k], asked.config[k] ?? added[k]];
    const d = diff(CONFIG_FLAG[k] ?? k, a, b);
    if (d) return d;
  }
  return null;
}

/** The flags that make `spec` (for a rerun: the flags it gives are laid over these). */
function specFlags(spec: SweepSpec): Flags {
  const c = spec.config;
  const f: Flags = {
    methods: spec.methods.join(','),
    noise: spec.noiseRates.join(','),
    seeds: spec.seeds.join(','),
  };
  const set = (flag: string, value: unknown) => {
    if (value !== undefined && value !== null) f[flag] = String(value);
  };
  if (spec.data.kind === 'demo') {
    f.demo = true;
    set('demo-train', spec.data.trainCount);
    set('demo-test', spec.data.testCount);
  } else if (spec.data.kind === 'folder') {
    set('data', spec.data.dir);
    set('labels', spec.data.labelFile);
    set('train-count', spec.data.trainCount);
    set('test-count', spec.data.testCount);
  }
  set('weights', spec.weights?.key);
  set('arch', c.arch);
  set('width', c.width);
  set('lam', c.lam);
  set('epochs', c.epochs);
  set('max-steps', c.maxSteps);
  set('batch-size', c.batchSize);
  set('lr', c.lr);
  set('weight-decay', c.weightDecay);
  set('gamma', c.gamma);
  set('size', c.size);
  set('augment', c.augment);
  set('erasing', c.erasing);
  if (c.sampler === 'balanced') set('sampler', c.sampler);
  if (c.layout === 'torchvision') set('layout', c.layout);
  if (c.shuffle === false) f['no-shuffle'] = true;
  for (const k of HYPER_AXES) if (spec.axes?.[k]) f[AXIS_FLAG[k]] = (spec.axes[k] as unknown[]).join(',');
  return f;
}

/** The settings a rerun asks for: the sweep's own, with the settings flags it gives instead. */
export function rerunFlags(stored: SweepSpec, given: Flags): Flags {
  const base = specFlags(stored);
  // A dataset given on the rerun replaces the sweep's, not joins it.
  if (given.demo) for (const k of ['data', 'labels', 'train-count', 'test-count']) delete base[k];
  if (given.data !== undefined) for (const k of ['demo', 'demo-train', 'demo-test']) delete base[k];
  const f: Flags = { ...base };
  for (const k of SPEC_FLAGS) if (given[k] !== undefined) f[k] = given[k];
  return f;
}

/** Where a cell's files live in the out dir. */
export function cellFiles(dir: string, cellId: string): { run: string; checkpoint: string } {
  return { run: path.join(dir, `${cellId}.json`), checkpoint: path.join(dir, `${cellId}.ckpt`) };
}

/** What the cells' runs may do differently from the sweep's first run: how they compute and checkpoint. */
export interface RunChoices {
  backend: BackendName;
  logSteps: boolean;
  every: string[];
}

export function runChoices(v: Flags): RunChoices {
  const every: string[] = [];
  for (const f of ['checkpoint-every-s', 'checkpoint-every-steps']) if (v[f] !== undefined) every.push(`--${f}`, String(v[f]));
  return { backend: choice(v, 'backend', BACKENDS, 'wasm'), logSteps: !!v['log-steps'], every };
}

/** `eac train` arguments for a cell: a new run writing its JSON and checkpoint into the out dir. */
export function newRunArgs(spec: SweepSpec, cell: SweepCell, dir: string, run: RunChoices): string[] {
  const c = { ...spec.config, ...cell.params };
  const files = cellFiles(dir, cell.id);
  const a: string[] = [];
  const flag = (name: string, value: unknown) => value !== undefined && value !== null && a.push(`--${name}`, String(value));
  if (spec.data.kind === 'demo') a.push('--demo', '--demo-train', String(spec.data.trainCount), '--demo-test', String(spec.data.testCount));
  else if (spec.data.kind === 'folder') {
    a.push('--data', spec.data.dir);
    flag('labels', spec.data.labelFile);
    flag('train-count', spec.data.trainCount);
    flag('test-count', spec.data.testCount);
  } else throw new UsageError('a sweep of the lab’s cached dataset runs in the lab, not in eac');
  if (cell.noiseRate > 0) flag('noise', cell.noiseRate);
  flag('weights', spec.weights?.key);
  flag('arch', c.arch);
  flag('width', c.width);
  flag('method', cell.method);
  flag('seed', cell.seed);
  flag('lam', c.lam);
  flag('epochs', c.epochs);
  flag('max-steps', c.maxSteps);
  flag('batch-size', c.batchSize);
  flag('lr', c.lr);
  flag('weight-decay', c.weightDecay);
  flag('gamma', c.gamma);
  flag('size', c.size);
  flag('augment', c.augment);
  flag('erasing', c.erasing);
  if (c.sampler === 'balanced') flag('sampler', c.sampler);
  if (c.layout === 'torchvision') flag('layout', c.layout);
  if (c.shuffle === false) a.push('--no-shuffle');
  a.push('--backend', run.backend, '--out', files.run, '--checkpoint', files.checkpoint, ...run.every);
  if (run.logSteps) a.push('--log-steps');
  return a;
}

/**
 * `eac train` arguments that continue a cell's run from its checkpoint file, writing its JSON where
 * the sweep reads it (never where the checkpoint file says).
 */
export function resumeRunArgs(cell: SweepCell, dir: string, run: RunChoices): string[] {
  const files = cellFiles(dir, cell.id);
  return ['--resume', files.checkpoint, '--out', files.run, '--backend', run.backend, ...run.every];
}
