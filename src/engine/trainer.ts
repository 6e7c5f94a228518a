// The training loop, top to bottom: for each epoch, shuffle, plan each batch's random views,
// take an EAC (or baseline) step, then evaluate on the test split and decay the learning rate.
// Pure engine code: no DOM, runs in a browser worker and in Node. Never uses
// requestAnimationFrame/tf.nextFrame, so training continues in background tabs.
import { Rng } from './rng.ts';
import { balancedOrder } from './sampler.ts';
import { tf } from './tf.ts';
import { stepEtaSeconds, type RateStart } from './progress.ts';
import { createModel, describeResNet, disposeModel, modelFromValues, readValues, type Model } from './resnet.ts';
import { checkpointMismatch, partialMismatch, CHECKPOINT_VERSION, type EpochProgress, type TrainCheckpoint } from './checkpoint.ts';
import { Adam, ADAM_DEFAULTS, exponentialLr } from './optim.ts';
import { kernelsFor } from './kernel-table.ts';
import { ImagePipeline, PIPELINE_DEFAULTS, planViews } from './augment.ts';
import { readStep, type EncodedStep } from './step.ts';
import { StepProgram } from './step-program/step-program.ts';
import { predict, report } from './evaluate.ts';
import { accuracy, memorisation, trainConfusion } from './metrics.ts';
import {
  summarizeRun,
  type EpochMetrics,
  type RunResult,
  type RunSummary,
  type StepLog,
  type TrainProgress,
  type UnfinishedEpoch,
} from './run-types.ts';
import { validateTrainConfig, type TrainConfig } from './config.ts';
import { TrainError } from './errors.ts';
import { classesOf, type Dataset, type Split } from './dataset.ts';

export interface TrainOptions {
  /** Start from these weights (e.g. pretrained); default: a fresh model drawn from the seed. */
  model?: Model;
  logSteps?: boolean;
  signal?: AbortSignal;
  onStep?: (p: TrainProgress) => void;
  /** After each evaluation batch at an epoch's end: test images predicted so far, of all. */
  onEvalProgress?: (epoch: number, done: number, total: number) => void;
  onEpoch?: (e: EpochMetrics) => void;
  /** Receives the final parameters and buffers (engine layout) before the model is freed. */
  keepModel?: (values: Map<string, Float32Array>) => void;
  now?: () => number;
  /** Continue a run from this checkpoint (its weights, optimiser, random stream, metrics). */
  resume?: TrainCheckpoint;
  /** Receives the run's state after every evaluated epoch; awaited (e.g. written to storage). */
  onCheckpoint?: (ckpt: TrainCheckpoint) => Promise<void> | void;
  /**
   * Also checkpoint within epochs (a checkpoint with `partial` set): after every step whose number
   * is a multiple of `steps`, and/or once `seconds` have passed since the last checkpoint; and where
   * the run is cancelled, so that a stopped run resumes where it stopped.
   */
  checkpointEvery?: CheckpointCadence;
  /**
   * Whether a checkpoint is asked for now, whatever the cadence (e.g. the page is being hidden):
   * read after each step (within epochs, with checkpointEvery set); true once per ask.
   */
  checkpointAsked?: () => boolean;
  /** Awaited before every step: a pause holds the run here, between two steps. */
  gate?: () => Promise<void>;
  /** Whether a pause is asked for: the step in flight is read first, so the paused run shows it. */
  paused?: () => boolean;
  /** Encode each step before reading the previous one back (default true; false: one step at a time). */
  pipelined?: boolean;
  /**
   * EAC: recompute pass 1's forward after pass 2's backward, so one pass's activations are alive
   * at a time (about half the step's memory, about a sixth more work; the same results bit for
   * bit). Not part of the run's config: a way to run it, like the backend.
   */
  recomputePass1?: boolean;
  /**
   * Looks at the model between epochs without changing it (e.g. attention maps): called with
   * epoch 0 before the first step of a fresh run, then after each epoch's evaluation.
   */
  inspect?: (model: Model, pipeline: ImagePipeline, epoch: number) => Promise<void>;
}

/**
 * When to checkpoint within an epoch: every `steps` steps, and/or once `seconds` have passed (the
 * most time a crash can lose). With `costShare`, sooner where checkpoints are cheap: once the
 * time since the last one is `1/costShare` times what that one took to write (so checkpoints
 * cost about that share of the run), but never sooner than `minSeconds` (the first one then, to
 * measure the cost).
 */
export interface CheckpointCadence {
  steps?: number;
  seconds?: number;
  costShare?: number;
  minSeconds?: number;
}

/** Whether a checkpoint is due by time: `elapsedMs` since the last one, which took `lastCostMs` to write (null: none yet). */
export function checkpointDueByTime(every: CheckpointCadence, elapsedMs: number, lastCostMs: number | null): boolean {
  const bound = every.seconds !== undefined ? every.seconds * 1000 : Number.POSITIVE_INFINITY;
  if (elapsedMs >= bound) return true;
  if (every.costShare === undefined || every.costShare <= 0) return false;
  // Before the first checkpoint its cost is unknown: the first comes after minSeconds and measures it.
  return elapsedMs >= Math.max((every.minSeconds ?? 1) * 1000, (lastCostMs ?? 0) / every.costShare);
}

export function stepsPerEpoch(trainSize: number, batchSize: number): number {
  return Math.ceil(trainSize / batchSize); // the last partial batch is kept
}

/** A step encoded but not yet read back: its batch position and size. */
interface InFlight {
  encoded: EncodedStep;
  s: number;
  size: number;
}

/** Copies the images of `indices` out of a split (uint8 NHWC). */
export function gatherImages(split: Split, indices: ArrayLike<number>): Uint8Array {
  const per = split.height * split.width * 3;
  const out = new Uint8Array(indices.length * per);
  for (let i = 0; i < indices.length; i++) out.set(split.images.subarray(indices[i] * per, (indices[i] + 1) * per), i * per);
  return out;
}

/** The longest the loop runs without letting timers, messages and signals (Ctrl-C, stop) in. */
const YIELD_EVERY_MS = 100;
let lastYield = 0;

/**
 * On CPU backends (wasm, cpu) a step's reads resolve as microtasks, so the loop would never give
 * the event loop a turn: a stop message or Ctrl-C would wait for the end of the run. A macrotask
 * break at most every YIELD_EVERY_MS lets them in (not requestAnimationFrame: it stops in hidden tabs).
 */
async function letEventsIn(): Promise<void> {
  const t = performance.now();
  if (t - lastYield < YIELD_EVERY_MS) return;
  await new Promise<void>((resolve) => setTimeout(resolve, 0));
  lastYield = performance.now();
}

/** An epoch in progress: its order, how far it got, and its running sums (one place, so a checkpoint can copy it). */
interface EpochState {
  order: Int32Array;
  position: number;
  loss: number;
  ce: number;
  consistency: number;
  seenPreds: number[];
  /** now() at the epoch's start, moved back by the time a resumed epoch had already trained. */
  start: number;
}

function epochProgress(e: EpochState, now: number): EpochProgress {
  return {
    order: e.order.slice(),
    position: e.position,
    loss: e.loss,
    ce: e.ce,
    consistency: e.consistency,
    seenPreds: Int32Array.from(e.seenPreds),
    seconds: (now - e.start) / 1000,
  };
}

function unfinished(epoch: number, e: EpochState, split: Split): UnfinishedEpoch {
  const seen = Array.from(e.order.subarray(0, e.seenPreds.length));
  return {
    epoch,
    steps: e.position,
    loss: e.loss / e.position,
    ce: e.ce / e.position,
    consistency: e.consistency / e.position,
    trainAccNoisy: accuracy(
      e.seenPreds,
      seen.map((i) => split.labels[i]),
    ),
    trainAccClean: accuracy(
      e.seenPreds,
      seen.map((i) => split.cleanLabels[i]),
    ),
  };
}

/** Refuses what a run cannot start from: a checkpoint of another run or dataset, a model of another head. */
function checkStart(dataset: Dataset, config: TrainConfig, opts: TrainOptions): void {
  const { resume, model } = opts;
  const classes = classesOf(dataset);
  if (resume) {
    const n = dataset.train.labels.length;
    const why =
      checkpointMismatch(resume, config) ?? (resume.partial ? partialMismatch(resume.partial, n, config.batchSize, config.sampler) : null);
    if (why) throw new TrainError('config', `cannot resume: ${why}`);
    if (model) throw new TrainError('config', 'cannot resume: a checkpoint brings its own weights (drop the model option)');
    if (classesOf(resume).join('\n') !== classes.join('\n'))
      throw new TrainError(
        'config',
        `cannot resume: the checkpoint's ${classesOf(resume).length} classes are not the dataset's ${classes.length} (${classes.slice(0, 3).join(', ')}…)`,
      );
  }
  const layoutOf = (c: { arch: string; layout?: string }) => (c.arch === 'resnet50' ? (c.layout ?? 'caffe') : 'one');
  if (model && layoutOf(model.spec.config) !== layoutOf(config))
    throw new TrainError(
      'config',
      `invalid configuration: the weights are a ResNet-50 in the ${model.spec.config.layout ?? 'caffe'} layout, the run asks for the ${config.layout} layout (set it to ${model.spec.config.layout ?? 'caffe'})`,
    );
  if (model && model.spec.config.numClasses !== classes.length)
    throw new TrainError(
      'config',
      `invalid configuration: the model has ${model.spec.config.numClasses} outputs, the dataset ${classes.length} classes`,
    );
}

/**
 * An epoch from its start, nothing summed yet: its order by the run's sampler (sampler.ts), the
 * data stream's shuffle (or file order), or the balanced draw of (seed, epoch).
 */
function freshEpoch(config: TrainConfig, dataRng: Rng, labels: Int32Array, epoch: number, nowMs: number): EpochState {
  const n = labels.length;
  const order =
    config.sampler === 'balanced'
      ? balancedOrder(labels, config.seed, epoch)
      : config.shuffle
        ? dataRng.permutation(n)
        : Int32Array.from({ length: n }, (_, i) => i);
  return { order, position: 0, loss: 0, ce: 0, consistency: 0, seenPreds: [], start: nowMs };
}

/** An epoch a checkpoint was taken within, where it stopped. */
function carriedEpoch(c: EpochProgress, nowMs: number): EpochState {
  return {
    order: c.order.slice(),
    position: c.position,
    loss: c.loss,
    ce: c.ce,
    consistency: c.consistency,
    seenPreds: Array.from(c.seenPreds),
    start: nowMs - c.seconds * 1000,
  };
}

/** An evaluated epoch's figures: its mean losses, train accuracy against both labels, memorisation, the test report. */
function epochMetrics(
  epoch: number,
  e: EpochState,
  split: Split,
  test: EpochMetrics['test'],
  lr: number,
  time: { seconds: number; trainSeconds: number },
): EpochMetrics {
  const seen = e.order.subarray(0, e.seenPreds.length);
  const noisy = Array.from(seen, (i) => split.labels[i]);
  const clean = Array.from(seen, (i) => split.cleanLabels[i]);
  const confusion = trainConfusion(e.seenPreds, noisy, clean, test.confusion.length);
  return {
    epoch,
    steps: e.position,
    loss: e.loss / e.position,
    ce: e.ce / e.position,
    consistency: e.consistency / e.position,
    trainAccNoisy: accuracy(e.seenPreds, noisy),
    trainAccClean: accuracy(e.seenPreds, clean),
    memorisation: memorisation(e.seenPreds, noisy, clean),
    ...(confusion ? { trainConfusion: confusion } : {}),
    testAcc: test.accuracy,
    test,
    lr,
    seconds: time.seconds,
    imagesPerSecond: seen.length / Math.max(time.trainSeconds, 1e-9),
  };
}

export async function train(dataset: Dataset, config: TrainConfig, opts: TrainOptions = {}): Promise<RunResult> {
  validateTrainConfig(config);
  const resume = opts.resume;
  const { train: split, test } = dataset;
  const n = split.labels.length;
  checkStart(dataset, config, opts);
  const now = opts.now ?? (() => performance.now());
  const rng = new Rng(config.seed);
  // The model is drawn from its own stream so that the data path does not depend on the model size.
  const modelRng = rng.fork();
  const dataRng = resume ? Rng.fromState(resume.rng) : rng.fork();
  const ownsModel = !opts.model;
  // The head has one output per class of the dataset.
  const modelConfig = { arch: config.arch, layout: config.layout, width: config.width, numClasses: classesOf(dataset).length };
  const model = resume ? modelFromValues(describeResNet(modelConfig), resume.values) : (opts.model ?? createModel(modelConfig, modelRng));
  // Which implementation of each layer runs here: decided once, for the whole run (kernel-table.ts).
  const kernels = kernelsFor(tf.getBackend());
  const optimizer = new Adam(model.trainable, { ...ADAM_DEFAULTS, lr: config.lr, weightDecay: config.weightDecay }, kernels.adam);
  if (resume) optimizer.setState(resume.optimizer);
  const pipeline = new ImagePipeline({ ...PIPELINE_DEFAULTS, size: config.size, augment: config.augment, erasing: config.erasing });
  // On WebGPU, steps after the first two of an epoch replay a recorded program (step-program/).
  const program = new StepProgram(model, optimizer, config.method, config.lam, kernels, {
    memory: { recomputePass1: opts.recomputePass1 },
  });
  const onGpu = ['webgpu', 'webgl'].includes(tf.getBackend());
  if (n === 0) throw new TrainError('data', 'the training split is empty');
  const perEpoch = stepsPerEpoch(n, config.batchSize);
  const totalSteps = Math.min(perEpoch * config.epochs, config.maxSteps ?? Infinity);

  const epochs: EpochMetrics[] = resume ? [...resume.epochs] : [];
  const steps: StepLog[] = resume && opts.logSteps ? [...resume.steps] : [];
  let step = resume ? resume.step : 0;
  let stoppedBy: RunSummary['stoppedBy'] = 'completed';
  let unfinishedEpoch: UnfinishedEpoch | null = null;
  // A resumed run counts the time it had already trained.
  const runStart = now() - (resume ? resume.seconds * 1000 : 0);
  let imagesSeen = resume ? resume.imagesSeen : 0;
  const every = opts.onCheckpoint ? opts.checkpointEvery : undefined;
  let etaStart: RateStart | null = null;
  let lastCheckpointStep = step;
  let lastCheckpointAt = now();
  /** What the last checkpoint took to gather and write (the cadence's cost-based part). */
  let lastCheckpointCostMs: number | null = null;

  const checkpoint = async (epoch: number, partial: EpochState | null): Promise<void> => {
    const t0 = now();
    lastCheckpointStep = step;
    await opts.onCheckpoint!({
      version: CHECKPOINT_VERSION,
      config,
      ...(dataset.classes ? { classes: dataset.classes } : {}),
      epoch,
      step,
      values: await readValues(model),
      optimizer: await optimizer.getState(),
      rng: dataRng.getState(),
      epochs: [...epochs],
      steps: [...steps],
      imagesSeen,
      seconds: (now() - runStart) / 1000,
      partial: partial && epochProgress(partial, now()),
    });
    lastCheckpointAt = now();
    lastCheckpointCostMs = lastCheckpointAt - t0;
  };
  const dueWithinEpoch = (at: number): boolean =>
    !!every &&
    at > lastCheckpointStep &&
    (opts.checkpointAsked?.() === true ||
      (every.steps !== undefined && at % every.steps === 0) ||
      checkpointDueByTime(every, now() - lastCheckpointAt, lastCheckpointCostMs));

  try {
    if (!resume) await opts.inspect?.(model, pipeline, 0);
    for (let epoch = (resume ? resume.epoch : 0) + 1; epoch <= config.epochs; epoch++) {
      const lr = exponentialLr(config.lr, config.gamma, epoch);
      optimizer.lr = lr;
      const carried = resume?.partial && epoch === resume.epoch + 1 ? resume.partial : null;
      const e = carried ? carriedEpoch(carried, now()) : freshEpoch(config, dataRng, split.labels, epoch, now());
      // Pipelined by one step: step s is encoded (on WebGPU: queued for the GPU) before step
      // s − 1's numbers are read back, so the GPU is not idle while JavaScript encodes the next
      // step. The order of the work is unchanged, so the numbers are too. Whatever must see a
      // settled state (a checkpoint, a pause, a stop, the epoch's end) first reads the pending step.
      let inFlight: InFlight | null = null;
      // JavaScript time of a step (encode or replay: a moving average, so that the first, recorded
      // steps fade), and the epoch's steps so far.
      let javascriptMs: number | null = null;
      let timedSteps = 0;
      const epochStart = performance.now();
      const finish = async (p: InFlight): Promise<void> => {
        const r = await readStep(p.encoded);
        // The NaN check stops the run at the step that produced it (the next one may be queued).
        if (!Number.isFinite(r.loss))
          throw new TrainError('nan', `the loss became ${r.loss} at step ${step + 1} (epoch ${epoch}); lower the learning rate`);
        step++;
        e.position = p.s + 1;
        imagesSeen += p.size;
        e.loss += r.loss;
        e.ce += r.ce;
        e.consistency += r.consistency;
        for (let i = 0; i < p.size; i++) e.seenPreds.push(r.preds[i]);
        // The ETA is timed from this start's first step on (that step carries the compiling).
        etaStart ??= { done: step, atMs: now() };
        const log: StepLog = { step, epoch, loss: r.loss, ce: r.ce, consistency: r.consistency };
        if (opts.logSteps) steps.push(log);
        const elapsed = (now() - runStart) / 1000;
        const ips = imagesSeen / Math.max(elapsed, 1e-9);
        const wall = performance.now() - epochStart;
        opts.onStep?.({
          timing: {
            stepsPerSecond: (1000 * timedSteps) / Math.max(wall, 1e-9),
            stepMs: wall / Math.max(timedSteps, 1),
            javascriptMs: javascriptMs ?? 0,
            how: program.report.lastReplayed ? 'replayed' : 'ops',
            gpu: onGpu,
            notReplayed: program.report.notReplayed,
          },
          epoch,
          epochs: config.epochs,
          step,
          stepInEpoch: p.s + 1,
          stepsPerEpoch: perEpoch,
          totalSteps,
          imagesPerSecond: ips,
          etaSeconds: stepEtaSeconds(etaStart, step, totalSteps, now()),
          last: log,
        });
      };
      const settle = async (): Promise<void> => {
        const p = inFlight;
        inFlight = null;
        if (p) await finish(p);
      };
      try {
        for (let s = e.position; s < perEpoch; s++) {
          if (opts.signal?.aborted || opts.paused?.()) await settle();
          if (opts.gate) await opts.gate();
          await letEventsIn();
          if (opts.signal?.aborted) {
            await settle();
            stoppedBy = 'cancelled';
            break;
          }
          if (step + (inFlight ? 1 : 0) >= totalSteps) {
            stoppedBy = 'max-steps';
            break;
          }
          const idx = e.order.subarray(s * config.batchSize, Math.min(n, (s + 1) * config.batchSize));
          const labels = Int32Array.from(idx, (i) => split.labels[i]);
          const plan = planViews(dataRng, gatherImages(split, idx), idx.length, split.height, split.width, pipeline.cfg);
          const { x1, x2 } = pipeline.buildViews(plan, config.method === 'eac');
          const t0 = performance.now();
          const encoded = program.encode({ x1, x2, labels });
          const js = performance.now() - t0;
          javascriptMs = javascriptMs === null ? js : 0.7 * javascriptMs + 0.3 * js;
          timedSteps++;
          x1.dispose();
          x2?.dispose();
          const previous = inFlight;
          inFlight = { encoded, s, size: idx.length };
          if (previous) await finish(previous);
          if (opts.pipelined === false) await settle();
          // The epoch's last step is followed by its evaluation and epoch checkpoint anyway.
          const atStep = step + (inFlight ? 1 : 0);
          if (s + 1 < perEpoch && atStep < totalSteps && dueWithinEpoch(atStep)) {
            await settle();
            await checkpoint(epoch - 1, e);
          }
        }
        await settle();
        // A stop asked for while the epoch's last steps were read back: the epoch is not evaluated.
        if (opts.signal?.aborted && stoppedBy === 'completed') stoppedBy = 'cancelled';
      } finally {
        // A step left queued by an error (a NaN read back, a lost device) is let go.
        (inFlight as InFlight | null)?.encoded.packed.dispose();
      }
      // The evaluation and what follows run through tfjs: the plan's buffers go first.
      program.release();
      if (e.position === 0) break;
      // A cancelled epoch is not evaluated (the user asked to stop now); its steps are reported.
      const trainSeconds = (now() - e.start) / 1000;
      let testPred: Awaited<ReturnType<typeof predict>> | null = null;
      if (stoppedBy !== 'cancelled') {
        try {
          const onEval = opts.onEvalProgress;
          testPred = await predict(
            model,
            pipeline,
            test,
            config.evalBatchSize,
            opts.signal,
            onEval && ((done, total) => onEval(epoch, done, total)),
          );
        } catch (err) {
          if (!opts.signal?.aborted) throw err;
          stoppedBy = 'cancelled';
        }
      }
      if (!testPred) {
        unfinishedEpoch = unfinished(epoch, e, split);
        if (every && step > lastCheckpointStep) await checkpoint(epoch - 1, e);
        break;
      }
      const metrics = epochMetrics(epoch, e, split, report(testPred.preds, test.cleanLabels, testPred.numClasses), lr, {
        seconds: (now() - e.start) / 1000,
        trainSeconds,
      });
      epochs.push(metrics);
      opts.onEpoch?.(metrics);
      await opts.inspect?.(model, pipeline, epoch);
      if (opts.onCheckpoint && stoppedBy === 'completed') await checkpoint(epoch, null);
      if (stoppedBy !== 'completed') break;
    }
    if (opts.keepModel) opts.keepModel(await readValues(model));
  } finally {
    program.dispose();
    optimizer.dispose();
    pipeline.dispose();
    if (ownsModel) disposeModel(model);
  }
  const summary = summarizeRun(
    epochs.map((m) => m.testAcc),
    step,
    (now() - runStart) / 1000,
    stoppedBy,
  );
  return { config, ...(dataset.classes ? { classes: dataset.classes } : {}), epochs, steps, summary, unfinishedEpoch };
}
