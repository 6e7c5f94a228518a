// `eac train`: a full training run, headless, on the same engine as the lab.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { choice, int, num, parse, RANGES, readFileBytes, UsageError, type Flags } from './args.ts';
import { loadDataset, type DataChoice } from './data.ts';
import { checkDataFolder, classCountFlag, ferPlusClassesFlag } from './dataset.ts';
import { checkDistinct, checkWritable, emitJson, formatSeconds, printable, progress, writeFileAtomic } from './output.ts';
import { BACKENDS, setupBackend, type BackendName } from './node-backends.ts';
import { chooseRecompute, memoryRefusal, withOomAdvice } from './memory.ts';
import { evalProgressReporter } from './eval-progress.ts';
import { datasetFingerprint, encodeCheckpoint, readCheckpointFile, type CliRun } from './checkpoint-file.ts';
import { checkpointSecondsOk, CONFIG_LIMITS, defaultTrainConfig, type TrainConfig } from '../engine/config.ts';
import { coarseMapsWarning, mapSideFor } from '../engine/coarse-maps.ts';
import { ARCHS, modelFromValues, type Model } from '../engine/resnet.ts';
import { LAYOUTS, withClassHead } from '../engine/resnet-layout.ts';
import { classesOf } from '../engine/dataset.ts';
import { Rng } from '../engine/rng.ts';
import { train } from '../engine/trainer.ts';
import { SAMPLERS } from '../engine/sampler.ts';
import type { RunResult, TrainProgress } from '../engine/run-types.ts';
import type { TrainCheckpoint } from '../engine/checkpoint.ts';
import { exportModelSafetensors } from '../weights/export.ts';
import { loadWeights } from '../weights/load.ts';
import { NOISE_KINDS } from '../data/noise.ts';
import { bytesText } from '../engine/format.ts';

export const TRAIN_HELP = `eac train [options]
  --demo | --data DIR        the built-in demo dataset, or a folder: RAF-DB, IDX files (MNIST,
                             Fashion-MNIST) or CIFAR-10/100 binary batches (found by their files)
  --labels FILE_OR_NAME      training label file (RAF-DB)
  --noise RATE               seeded label noise, e.g. 0.3: each training label moves, with that
                             chance, to another class (uniformly for symmetric noise): the share flipped varies and is reported
  --noise-kind symmetric|asymmetric  symmetric (default): to any other class alike; asymmetric:
                             to one fixed class (CIFAR-10's truck→automobile, bird→airplane,
                             deer→horse, cat↔dog; elsewhere class c → c + 1)
  --train-count N --test-count N  use N images of a folder dataset's split, balanced over classes
  --ferplus-classes 8|7      FERPlus: FER+'s 8 classes (default) or the 7 basic ones (no contempt)
  --affectnet-classes 8|7    AffectNet: its 8 classes (default) or the 7 basic ones (no contempt)
  --arch resnet18|resnet50   backbone (default resnet50)
  --layout caffe|torchvision ResNet-50's layout: caffe (default), the face weights' (stride on the
                             first 1x1 conv of a block); torchvision, ImageNet weights' (stride on
                             the 3x3). With --weights, the file's layout is detected (an 8631-way
                             VGGFace2 head, official EAC keys or a resnet50_ft/vggface2/caffe name:
                             caffe; else torchvision) unless --layout says it
  --width N                  backbone width (default 64, the real network)
  --weights FILE             pretrained weights (default: random init)
  --method eac|baseline      (default eac)
  --lam X                    consistency weight λ (default 5)
  --epochs N                 (default 60)
  --max-steps N              stop after N optimiser steps
  --batch-size N             (default 32)
  --lr X                     (default 1e-4; resnet18 2e-4)
  --weight-decay X           (default 1e-4)
  --gamma X                  ExponentialLR factor per epoch (default 0.9)
  --size N                   input size (default 224)
  --seed N                   (default 0)
  --augment full|none        none: no pixel noise, no erasing, view 2 = mirror of view 1
  --erasing independent|mirrored
  --no-shuffle
  --sampler shuffle|balanced  shuffle (default): each training image once an epoch; balanced: as
                             many draws with replacement, each class (by its training label) equally
                             likely, as PyTorch's WeightedRandomSampler(1/class count) for AffectNet
  --backend cpu|wasm|webgpu  (default wasm)
  --recompute                EAC: recompute pass 1's forward after pass 2's backward: one pass's
                             activations alive at a time (about half the memory, a sixth more work,
                             the same results bit for bit); chosen by itself when only it fits
  --demo-train N --demo-test N   demo dataset size (default 3000 / 1000)
  --json                     print the result JSON on stdout
  --out FILE                 write the result JSON to FILE
  --save FILE                save the trained model as safetensors (PyTorch key names)
  --log-steps                include every step's loss in the JSON
  --checkpoint FILE          keep the run's whole state in FILE: after every epoch, every
                             --checkpoint-every-s S seconds (default 300) or --checkpoint-every-steps N
                             steps within an epoch, and where Ctrl-C stops it
  --resume FILE              continue the run of a checkpoint exactly where it stopped (its data and
                             settings; --json, --out, --save, --checkpoint*, --backend may change).
                             It writes its JSON and model where --out and --save say, else beside
                             FILE (NAME.json, NAME.safetensors) if the run wrote them; never to
                             paths stored in FILE
A run stopped by Ctrl-C writes what it did (model, JSON, checkpoint) and exits with status 130.`;

export const TRAIN_OPTIONS = {
  demo: { type: 'boolean' },
  data: { type: 'string' },
  labels: { type: 'string' },
  noise: { type: 'string' },
  'noise-kind': { type: 'string' },
  'train-count': { type: 'string' },
  'test-count': { type: 'string' },
  'ferplus-classes': { type: 'string' },
  'affectnet-classes': { type: 'string' },
  arch: { type: 'string' },
  layout: { type: 'string' },
  width: { type: 'string' },
  weights: { type: 'string' },
  method: { type: 'string' },
  lam: { type: 'string' },
  epochs: { type: 'string' },
  'max-steps': { type: 'string' },
  'batch-size': { type: 'string' },
  lr: { type: 'string' },
  'weight-decay': { type: 'string' },
  gamma: { type: 'string' },
  size: { type: 'string' },
  seed: { type: 'string' },
  augment: { type: 'string' },
  erasing: { type: 'string' },
  'no-shuffle': { type: 'boolean' },
  sampler: { type: 'string' },
  backend: { type: 'string' },
  'demo-train': { type: 'string' },
  'demo-test': { type: 'string' },
  json: { type: 'boolean' },
  out: { type: 'string' },
  save: { type: 'string' },
  'log-steps': { type: 'boolean' },
  recompute: { type: 'boolean' },
  checkpoint: { type: 'string' },
  'checkpoint-every-s': { type: 'string' },
  'checkpoint-every-steps': { type: 'string' },
  resume: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

const OPTIONS = TRAIN_OPTIONS;

/** What a resumed run may change: where results go and what computes them, never what is computed. */
const RESUME_MAY_CHANGE = new Set([
  'resume',
  'json',
  'out',
  'save',
  'checkpoint',
  'checkpoint-every-s',
  'checkpoint-every-steps',
  'backend',
  'recompute',
  'help',
]);

/** Seconds between checkpoints within an epoch when --checkpoint comes without a cadence. */
const DEFAULT_CHECKPOINT_SECONDS = 300;

/** Everything a run needs, from the flags (a new run) or from a checkpoint file (a resumed one). */
interface RunPlan {
  config: TrainConfig;
  data: DataChoice;
  backend: BackendName;
  out?: string;
  save?: string;
  json: boolean;
  logSteps: boolean;
  /** Recompute pass 1 (how the step runs, not what it computes: a resume may change it). */
  recompute: boolean;
  checkpoint: { file: string; every: { steps?: number; seconds?: number } } | null;
  resume: { file: string; checkpoint: TrainCheckpoint; datasetSha256: string } | null;
  /** Flags the user gave for the model (a new run only). */
  weights?: string;
  explicitArch: boolean;
  explicitLayout?: boolean;
  explicitWidth: boolean;
  explicitLr: boolean;
}

const abs = (p: string | undefined) => (p === undefined ? undefined : path.resolve(p));

function checkpointChoice(v: Flags, fallback: CliRun['every'] | null, fallbackFile: string | null): RunPlan['checkpoint'] {
  const file = (v.checkpoint as string | undefined) ?? fallbackFile;
  const s =
    v['checkpoint-every-s'] === undefined
      ? undefined
      : num(v, 'checkpoint-every-s', 0, checkpointSecondsOk, `a number of seconds in (0, ${CONFIG_LIMITS.checkpointSeconds[1]}]`);
  const n = v['checkpoint-every-steps'] === undefined ? undefined : int(v, 'checkpoint-every-steps', 0, RANGES.steps);
  if (!file) {
    if (s !== undefined || n !== undefined)
      throw new UsageError(`--checkpoint-every-${s !== undefined ? 's' : 'steps'} needs --checkpoint FILE`);
    return null;
  }
  const every =
    s === undefined && n === undefined
      ? (fallback ?? { seconds: DEFAULT_CHECKPOINT_SECONDS })
      : { ...(s !== undefined ? { seconds: s } : {}), ...(n !== undefined ? { steps: n } : {}) };
  return { file: path.resolve(file), every };
}

/** The run's configuration from the flags, over the defaults of its architecture (eac sweep shares it). */
export function configFromFlags(v: Flags): TrainConfig {
  const arch = choice(v, 'arch', ARCHS, 'resnet50');
  const d = defaultTrainConfig(arch);
  return {
    ...d,
    layout: choice(v, 'layout', LAYOUTS, d.layout),
    width: int(v, 'width', d.width, RANGES.width),
    method: choice(v, 'method', ['eac', 'baseline'] as const, d.method),
    lam: num(v, 'lam', d.lam, (x) => x >= 0 && x <= 1e6, 'a number in [0, 1000000]'),
    epochs: int(v, 'epochs', d.epochs, RANGES.epochs),
    maxSteps: v['max-steps'] === undefined ? null : int(v, 'max-steps', 0, RANGES.steps),
    batchSize: int(v, 'batch-size', d.batchSize, RANGES.batchSize),
    lr: num(v, 'lr', d.lr, (x) => x > 0 && x <= 10, 'a number in (0, 10]'),
    weightDecay: num(v, 'weight-decay', d.weightDecay, (x) => x >= 0 && x <= 10, 'a number in [0, 10]'),
    gamma: num(v, 'gamma', d.gamma, (x) => x > 0 && x <= 1, 'a number in (0, 1]'),
    size: int(v, 'size', d.size, RANGES.size),
    seed: int(v, 'seed', d.seed, RANGES.seed),
    augment: choice(v, 'augment', ['full', 'none'] as const, d.augment),
    erasing: choice(v, 'erasing', ['independent', 'mirrored'] as const, d.erasing),
    shuffle: !v['no-shuffle'],
    sampler: choice(v, 'sampler', SAMPLERS, d.sampler),
  };
}

function planFromFlags(v: Flags): RunPlan {
  const config = configFromFlags(v);
  const labels = v.labels as string | undefined;
  return {
    config,
    data: {
      demo: !!v.demo,
      dataDir: abs(v.data as string | undefined),
      // A label file given as a path is kept absolute; a bare name is looked up in the folder.
      labels: labels !== undefined && existsSync(labels) ? path.resolve(labels) : labels,
      noise: v.noise === undefined ? null : num(v, 'noise', 0, (x) => x >= 0 && x <= 1, 'a rate in [0, 1]'),
      seed: config.seed,
      demoTrain: v['demo-train'] === undefined ? undefined : int(v, 'demo-train', 0, RANGES.demoCount),
      demoTest: v['demo-test'] === undefined ? undefined : int(v, 'demo-test', 0, RANGES.demoCount),
      noiseKind: choice(v, 'noise-kind', NOISE_KINDS, 'symmetric'),
      trainCount: v['train-count'] === undefined ? undefined : int(v, 'train-count', 0, RANGES.demoCount),
      testCount: v['test-count'] === undefined ? undefined : int(v, 'test-count', 0, RANGES.demoCount),
      ferPlusClasses: ferPlusClassesFlag(v['ferplus-classes'] as string | undefined),
      affectNetClasses: classCountFlag(v['affectnet-classes'] as string | undefined, '--affectnet-classes', "AffectNet's"),
    },
    backend: choice(v, 'backend', BACKENDS, 'wasm'),
    out: v.out as string | undefined,
    save: v.save as string | undefined,
    json: !!v.json,
    logSteps: !!v['log-steps'],
    recompute: !!v.recompute,
    checkpoint: checkpointChoice(v, null, null),
    resume: null,
    weights: v.weights as string | undefined,
    explicitArch: v.arch !== undefined,
    explicitLayout: v.layout !== undefined,
    explicitWidth: v.width !== undefined,
    explicitLr: v.lr !== undefined,
  };
}

function planFromCheckpoint(v: Flags, file: string): RunPlan {
  const fixed = Object.keys(v).filter((k) => v[k] !== undefined && !RESUME_MAY_CHANGE.has(k));
  if (fixed.length) throw new UsageError(`--resume continues the run with the settings it was started with: drop --${fixed[0]}`);
  let read: ReturnType<typeof readCheckpointFile>;
  try {
    read = readCheckpointFile(file);
  } catch (e) {
    throw new UsageError(`--resume: ${(e as Error).message}`);
  }
  const { checkpoint, run } = read;
  const d = run.data;
  return {
    config: checkpoint.config,
    data: {
      demo: d.demo,
      dataDir: d.dataDir ?? undefined,
      labels: d.labels ?? undefined,
      noise: d.noise,
      seed: checkpoint.config.seed,
      demoTrain: d.demoTrain ?? undefined,
      demoTest: d.demoTest ?? undefined,
      noiseKind: d.noiseKind ?? 'symmetric',
      trainCount: d.trainCount ?? undefined,
      testCount: d.testCount ?? undefined,
      ferPlusClasses: d.ferPlusClasses ?? undefined,
      affectNetClasses: d.affectNetClasses ?? undefined,
    },
    backend: choice(v, 'backend', BACKENDS, choice({ backend: run.backend }, 'backend', BACKENDS, 'wasm')),
    ...resumedOutputs(v, file, run),
    json: !!v.json || run.json,
    logSteps: run.logSteps,
    recompute: !!v.recompute,
    // A resumed run keeps checkpointing into the file it resumed from, at the same cadence.
    checkpoint: checkpointChoice(v, run.every, path.resolve(file)),
    resume: { file, checkpoint, datasetSha256: run.datasetSha256 },
    explicitArch: true,
    explicitWidth: true,
    explicitLr: true,
  };
}

/**
 * Where a resumed run writes its JSON and model: where the command line says, else beside its
 * checkpoint (NAME.json, NAME.safetensors) where the run wrote them. The paths stored in the
 * checkpoint are never used: a checkpoint from elsewhere must not choose what is overwritten.
 */
function resumedOutputs(v: Flags, file: string, run: Pick<CliRun, 'out' | 'save'>): { out?: string; save?: string } {
  const base = path.join(path.dirname(file), path.parse(file).name);
  const out = (v.out as string | undefined) ?? (run.out ? `${base}.json` : undefined);
  const save = (v.save as string | undefined) ?? (run.save ? `${base}.safetensors` : undefined);
  for (const [flag, chosen, stored] of [
    ['out', out, run.out],
    ['save', save, run.save],
  ] as const)
    if (chosen && stored && path.resolve(chosen) !== path.resolve(stored))
      progress(
        `--resume: the ${flag === 'out' ? 'JSON' : 'model'} goes to ${chosen} (the checkpoint's run wrote ${printable(stored)}; --${flag} chooses)`,
      );
  return { out, save };
}

/** Output paths are proven writable before the dataset is read or a step is taken. */
function checkOutputs(p: RunPlan): void {
  checkDistinct([
    ['out', p.out],
    ['save', p.save],
    ['checkpoint', p.checkpoint?.file],
  ]);
  if (p.out) checkWritable('out', p.out);
  if (p.save) checkWritable('save', p.save);
  if (p.checkpoint) checkWritable('checkpoint', p.checkpoint.file);
}

function loadInitialWeights(p: RunPlan): ReturnType<typeof loadWeights> {
  const file = p.weights!;
  let bytes: Uint8Array;
  try {
    bytes = readFileBytes(file);
  } catch (e) {
    throw new UsageError(`--weights: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const w = loadWeights(bytes, {
    arch: p.explicitArch ? p.config.arch : undefined,
    // --layout tells the importer; without it the file's layout is detected (keymap.ts).
    layout: p.explicitLayout ? p.config.layout : undefined,
    fileName: file,
    seed: p.config.seed,
  });
  if (p.explicitWidth && w.spec.config.width !== p.config.width)
    throw new UsageError(`--width ${p.config.width}: the weights have width ${w.spec.config.width}`);
  p.config.arch = w.spec.config.arch;
  p.config.width = w.spec.config.width;
  p.config.layout = w.spec.config.layout ?? 'caffe';
  if (!p.explicitLr) p.config.lr = defaultTrainConfig(p.config.arch).lr;
  progress(
    `weights: ${w.format}, ${w.report.arch} width ${p.config.width}, head ${w.report.head}${w.report.unexpected.length ? `, ${w.report.unexpected.length} unexpected keys ignored` : ''}`,
  );
  for (const n of w.report.notes) progress(`weights: ${n}`);
  return w;
}

function cliRun(p: RunPlan, datasetSha256: string): CliRun {
  const d = p.data;
  return {
    data: {
      demo: d.demo,
      dataDir: d.dataDir ?? null,
      labels: d.labels ?? null,
      noise: d.noise,
      demoTrain: d.demoTrain ?? null,
      demoTest: d.demoTest ?? null,
      noiseKind: d.noiseKind,
      trainCount: d.trainCount ?? null,
      testCount: d.testCount ?? null,
      ferPlusClasses: d.ferPlusClasses ?? null,
      affectNetClasses: d.affectNetClasses ?? null,
    },
    backend: p.backend,
    out: abs(p.out) ?? null,
    save: abs(p.save) ?? null,
    json: p.json,
    logSteps: p.logSteps,
    every: p.checkpoint?.every ?? {},
    datasetSha256,
  };
}

/** What `eac sweep` watches of a run it starts (a run of its own has none of these). */
export interface TrainHooks {
  /** Stops the run as Ctrl-C does; given, the run leaves SIGINT to the caller. */
  signal?: AbortSignal;
  /** Every step; given, it replaces the run's own progress line. */
  onStep?: (p: TrainProgress) => void;
  /** After each checkpoint file is written. */
  onCheckpoint?: (c: { step: number; epoch: number }) => void;
}

export async function trainCommand(argv: string[], hooks: TrainHooks = {}): Promise<number> {
  const v = parse(argv, OPTIONS);
  if (v.help) {
    process.stdout.write(TRAIN_HELP + '\n');
    return 0;
  }
  const plan = v.resume !== undefined ? planFromCheckpoint(v, v.resume as string) : planFromFlags(v);
  const { config } = plan;
  // The flags' own mistakes first (same words as the dataset loader), then what they ask of the machine.
  if (!plan.data.demo && !plan.data.dataDir)
    throw new UsageError('no dataset: give --demo (the built-in dataset) or --data DIR (a RAF-DB folder)');
  checkOutputs(plan);
  if (plan.data.dataDir) await checkDataFolder(plan.data.dataDir, '--data');
  const loaded = plan.weights !== undefined ? loadInitialWeights(plan) : undefined;
  // An EAC step that fits only recomputing pass 1 does so by itself; what cannot fit even then is refused.
  const memory = chooseRecompute({ ...config, recompute: plan.recompute }, plan.backend);
  const tooBig = memoryRefusal({ ...config, recompute: config.method === 'eac' }, plan.backend);
  if (tooBig) throw new UsageError(tooBig);
  if (memory.because) progress(`memory: ${memory.because}: pass 1 is recomputed`);

  const { dataset, noise, source } = await loadDataset(plan.data);
  const sha = datasetFingerprint(dataset);
  if (plan.resume && plan.resume.datasetSha256 !== sha)
    throw new UsageError(`--resume: the dataset is not the one the run trained on (its images or labels changed since the checkpoint)`);
  const backend = await setupBackend(plan.backend);
  const fitted = loaded && withClassHead(loaded.spec, loaded.values, classesOf(dataset).length, new Rng(config.seed));
  if (fitted?.headRedrawn) progress(`the weights' head is drawn afresh for the dataset's ${classesOf(dataset).length} classes`);
  const model: Model | undefined = fitted && modelFromValues(fitted.spec, fitted.values);
  progress(
    `backend ${backend.backend}${backend.adapter ? ` (${backend.adapter})` : ''}; ${config.arch} width ${config.width} at ${config.size}px, ${config.method}, batch ${config.batchSize}`,
  );
  // As the page does: with maps of 2×2 cells or fewer, EAC's consistency says little about where the network looks.
  const side = mapSideFor(config.size);
  const coarse = config.method === 'eac' ? coarseMapsWarning(side, side) : null;
  if (coarse) progress(`note: ${coarse} (EAC then mostly asks the two views' class scores to agree.)`);
  if (plan.resume) {
    const c = plan.resume.checkpoint;
    progress(
      `resuming from ${plan.resume.file}: step ${c.step}, ${c.partial ? `epoch ${c.epoch + 1} at step ${c.partial.position}` : `after epoch ${c.epoch}`}`,
    );
  }
  const controller = new AbortController();
  const onSigint = () => {
    progress('interrupted: finishing the current step, then stopping');
    controller.abort();
  };
  // A sweep's Ctrl-C may come while the data and backend were set up: the run then stops at once.
  if (hooks.signal?.aborted) controller.abort();
  else if (hooks.signal) hooks.signal.addEventListener('abort', () => controller.abort(), { once: true });
  else process.once('SIGINT', onSigint);
  // The first step is always shown (then one line every 2 s), however soon after start-up it comes.
  let lastPrint = -Infinity;
  let evalEpoch = -1;
  let evalReport: ((done: number, total: number) => void) | null = null;
  let savedModel: Map<string, Float32Array> | null = null;
  const run = cliRun(plan, sha);
  const ckptFile = plan.checkpoint?.file;
  let result: RunResult;
  try {
    result = await train(dataset, config, {
      model,
      resume: plan.resume?.checkpoint,
      logSteps: plan.logSteps,
      recomputePass1: memory.recompute,
      signal: controller.signal,
      keepModel: plan.save
        ? (values) => {
            savedModel = values;
          }
        : undefined,
      checkpointEvery: plan.checkpoint?.every,
      onCheckpoint: ckptFile
        ? (c) => {
            const t0 = performance.now();
            const bytes = encodeCheckpoint(c, run);
            writeFileAtomic(ckptFile, bytes);
            const where = c.partial ? `epoch ${c.epoch + 1} step ${c.partial.position}` : `end of epoch ${c.epoch}`;
            progress(
              `checkpoint: step ${c.step} (${where}) written to ${ckptFile} (${bytesText(bytes.length)}, ${((performance.now() - t0) / 1000).toFixed(1)}s)`,
            );
            hooks.onCheckpoint?.({ step: c.step, epoch: c.epoch });
          }
        : undefined,
      onStep: (p) => {
        if (hooks.onStep) return hooks.onStep(p);
        const t = performance.now();
        if (t - lastPrint < 2000 && p.step !== p.totalSteps) return;
        lastPrint = t;
        progress(
          `epoch ${p.epoch}/${p.epochs} step ${p.stepInEpoch}/${p.stepsPerEpoch} loss ${p.last.loss.toFixed(4)} (ce ${p.last.ce.toFixed(4)}, cons ${p.last.consistency.toFixed(4)}) ${p.imagesPerSecond.toFixed(1)} img/s ETA ${formatSeconds(p.etaSeconds)}`,
        );
      },
      // A long test set's evaluation at each epoch's end shows progress (a short one stays quiet).
      onEvalProgress: (epoch, done, total) => {
        if (hooks.onStep) return;
        if (evalEpoch !== epoch) {
          evalEpoch = epoch;
          evalReport = evalProgressReporter((line) => progress(`epoch ${epoch} ${line}`), undefined, 2000, true);
        }
        evalReport?.(done, total);
      },
      onEpoch: (e) =>
        progress(
          `epoch ${e.epoch}: loss ${e.loss.toFixed(4)} train acc ${(e.trainAccNoisy * 100).toFixed(2)}% (clean ${(e.trainAccClean * 100).toFixed(2)}%) test acc ${(e.testAcc * 100).toFixed(2)}% lr ${e.lr.toExponential(3)} ${e.seconds.toFixed(1)}s`,
        ),
    });
  } catch (e) {
    throw withOomAdvice(e, config);
  } finally {
    process.off('SIGINT', onSigint);
  }
  const { summary } = result;
  // Stopped before its first step: nothing was trained, so nothing is written (a 0-step run JSON
  // would read as a result, and a sweep would keep it as its cell's).
  const untrained = summary.stoppedBy === 'cancelled' && summary.steps === 0;
  if (untrained) {
    progress(
      `cancelled before the first step: nothing trained, nothing written${ckptFile && existsSync(ckptFile) ? `; continue with: eac train --resume ${printable(ckptFile)}` : ''}`,
    );
    return 130;
  }
  if (plan.save && savedModel) {
    // The model's metadata says how far it trained, as the JSON does.
    const meta = {
      seed: String(config.seed),
      method: config.method,
      steps: String(summary.steps),
      stoppedBy: summary.stoppedBy,
      classes: JSON.stringify(classesOf(dataset)),
    };
    writeFileAtomic(plan.save, exportModelSafetensors(config.arch, config.width, savedModel, meta, config.layout));
    progress(`model saved to ${plan.save} (after step ${summary.steps}${summary.stoppedBy === 'cancelled' ? ', cancelled' : ''})`);
  }
  const out = { ...result, data: source, noise, backend: backend.backend, adapter: backend.adapter };
  emitJson(out, { json: plan.json, out: plan.out });
  if (summary.stoppedBy === 'cancelled') {
    const u = result.unfinishedEpoch;
    progress(
      // Only a checkpoint that exists is named (one may not have been written yet).
      `cancelled after step ${summary.steps}${u ? ` (epoch ${u.epoch} unfinished: ${u.steps} steps, not evaluated; reported as unfinishedEpoch)` : ''}${ckptFile && existsSync(ckptFile) ? `; continue with: eac train --resume ${printable(ckptFile)}` : ''}`,
    );
    return 130;
  }
  if (!plan.json && !plan.out)
    progress(
      `done: test accuracy (mean of last 5 epochs) ${summary.testAccLast5 === null ? 'n/a' : (summary.testAccLast5 * 100).toFixed(2) + '%'}`,
    );
  return 0;
}
