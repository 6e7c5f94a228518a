// The training loop, top to bottom: for each epoch, shuffle, plan each batch's random views,
// take an EAC (or baseline) step, then evaluate on the test split and decay the learning rate.
// Pure engine code: no DOM, runs in a browser worker and in Node. Never uses
// requestAnimationFrame/tf.nextFrame, so training continues in background tabs.
import { Rng } from './rng.ts';
import { createModel, describeResNet, disposeModel, modelFromValues, readValues, type Model } from './resnet.ts';
import { checkpointMismatch, CHECKPOINT_VERSION, type TrainCheckpoint } from './checkpoint.ts';
import { Adam, ADAM_DEFAULTS, exponentialLr } from './optim.ts';
import { ImagePipeline, PIPELINE_DEFAULTS, planViews } from './augment.ts';
import { trainStep } from './step.ts';
import { predict, report } from './evaluate.ts';
import { accuracy, memorisation } from './metrics.ts';
import { summarizeRun, type EpochMetrics, type RunResult, type RunSummary, type StepLog, type TrainProgress } from './run-types.ts';
import { validateTrainConfig, type TrainConfig } from './config.ts';
import { TrainError } from './errors.ts';
import { NUM_CLASSES, type Dataset, type Split } from './dataset.ts';

export interface TrainOptions {
  /** Start from these weights (e.g. pretrained); default: a fresh model drawn from the seed. */
  model?: Model;
  logSteps?: boolean;
  signal?: AbortSignal;
  onStep?: (p: TrainProgress) => void;
  onEpoch?: (e: EpochMetrics) => void;
  /** Receives the final parameters and buffers (engine layout) before the model is freed. */
  keepModel?: (values: Map<string, Float32Array>) => void;
  now?: () => number;
  /** Continue a run from this checkpoint (its weights, optimiser, random stream, metrics). */
  resume?: TrainCheckpoint;
  /** Receives the run's state after every evaluated epoch; awaited (e.g. written to storage). */
  onCheckpoint?: (ckpt: TrainCheckpoint) => Promise<void> | void;
  /** Awaited before every step: a pause holds the run here, between two steps. */
  gate?: () => Promise<void>;
  /**
   * Looks at the model between epochs without changing it (e.g. attention maps): called with
   * epoch 0 before the first step of a fresh run, then after each epoch's evaluation.
   */
  inspect?: (model: Model, pipeline: ImagePipeline, epoch: number) => Promise<void>;
}

export function stepsPerEpoch(trainSize: number, batchSize: number): number {
  return Math.ceil(trainSize / batchSize); // the last partial batch is kept
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

export async function train(dataset: Dataset, config: TrainConfig, opts: TrainOptions = {}): Promise<RunResult> {
  validateTrainConfig(config);
  const resume = opts.resume;
  if (resume) {
    const why = checkpointMismatch(resume, config);
    if (why) throw new TrainError('config', `cannot resume: ${why}`);
    if (opts.model) throw new TrainError('config', 'cannot resume: a checkpoint brings its own weights (drop the model option)');
  }
  const now = opts.now ?? (() => performance.now());
  const rng = new Rng(config.seed);
  // The model is drawn from its own stream so that the data path does not depend on the model size.
  const modelRng = rng.fork();
  const dataRng = resume ? Rng.fromState(resume.rng) : rng.fork();
  const ownsModel = !opts.model;
  const modelConfig = { arch: config.arch, width: config.width, numClasses: NUM_CLASSES };
  const model = resume ? modelFromValues(describeResNet(modelConfig), resume.values) : (opts.model ?? createModel(modelConfig, modelRng));
  const optimizer = new Adam(model.trainable, { ...ADAM_DEFAULTS, lr: config.lr, weightDecay: config.weightDecay });
  if (resume) optimizer.setState(resume.optimizer);
  const pipeline = new ImagePipeline({ ...PIPELINE_DEFAULTS, size: config.size, augment: config.augment, erasing: config.erasing });
  const { train: split, test } = dataset;
  const n = split.labels.length;
  if (n === 0) throw new TrainError('data', 'the training split is empty');
  const perEpoch = stepsPerEpoch(n, config.batchSize);
  const totalSteps = Math.min(perEpoch * config.epochs, config.maxSteps ?? Infinity);

  const epochs: EpochMetrics[] = resume ? [...resume.epochs] : [];
  const steps: StepLog[] = resume && opts.logSteps ? [...resume.steps] : [];
  let step = resume ? resume.step : 0;
  let stoppedBy: RunSummary['stoppedBy'] = 'completed';
  // A resumed run counts the time it had already trained.
  const runStart = now() - (resume ? resume.seconds * 1000 : 0);
  let imagesSeen = resume ? resume.imagesSeen : 0;

  try {
    if (!resume) await opts.inspect?.(model, pipeline, 0);
    for (let epoch = (resume ? resume.epoch : 0) + 1; epoch <= config.epochs; epoch++) {
      const lr = exponentialLr(config.lr, config.gamma, epoch);
      optimizer.lr = lr;
      const order = config.shuffle ? dataRng.permutation(n) : Int32Array.from({ length: n }, (_, i) => i);
      const epochStart = now();
      let sumLoss = 0,
        sumCe = 0,
        sumCons = 0,
        stepsDone = 0;
      const seen: number[] = [];
      const seenPreds: number[] = [];
      for (let s = 0; s < perEpoch; s++) {
        if (opts.gate) await opts.gate();
        await letEventsIn();
        if (opts.signal?.aborted) {
          stoppedBy = 'cancelled';
          break;
        }
        if (step >= totalSteps) {
          stoppedBy = 'max-steps';
          break;
        }
        const idx = order.subarray(s * config.batchSize, Math.min(n, (s + 1) * config.batchSize));
        const labels = Int32Array.from(idx, (i) => split.labels[i]);
        const plan = planViews(dataRng, gatherImages(split, idx), idx.length, split.height, split.width, pipeline.cfg);
        const { x1, x2 } = pipeline.buildViews(plan, config.method === 'eac');
        const r = await trainStep(model, optimizer, { x1, x2, labels }, config.method, config.lam);
        x1.dispose();
        x2?.dispose();
        if (!Number.isFinite(r.loss))
          throw new TrainError('nan', `the loss became ${r.loss} at step ${step + 1} (epoch ${epoch}); lower the learning rate`);
        step++;
        stepsDone++;
        imagesSeen += idx.length;
        sumLoss += r.loss;
        sumCe += r.ce;
        sumCons += r.consistency;
        for (let i = 0; i < idx.length; i++) {
          seen.push(idx[i]);
          seenPreds.push(r.preds[i]);
        }
        const log: StepLog = { step, epoch, loss: r.loss, ce: r.ce, consistency: r.consistency };
        if (opts.logSteps) steps.push(log);
        const elapsed = (now() - runStart) / 1000;
        const ips = imagesSeen / Math.max(elapsed, 1e-9);
        opts.onStep?.({
          epoch,
          epochs: config.epochs,
          step,
          stepInEpoch: s + 1,
          stepsPerEpoch: perEpoch,
          totalSteps,
          imagesPerSecond: ips,
          etaSeconds: step > 0 ? (elapsed / step) * (totalSteps - step) : null,
          last: log,
        });
      }
      // A cancelled epoch is not evaluated: the user asked to stop now.
      if (stepsDone === 0 || stoppedBy === 'cancelled') break;
      const trainSeconds = (now() - epochStart) / 1000;
      const noisy = seen.map((i) => split.labels[i]);
      const clean = seen.map((i) => split.cleanLabels[i]);
      const testPred = await predict(model, pipeline, test, config.evalBatchSize, opts.signal);
      const testReport = report(testPred.preds, test.cleanLabels, testPred.numClasses);
      const metrics: EpochMetrics = {
        epoch,
        steps: stepsDone,
        loss: sumLoss / stepsDone,
        ce: sumCe / stepsDone,
        consistency: sumCons / stepsDone,
        trainAccNoisy: accuracy(seenPreds, noisy),
        trainAccClean: accuracy(seenPreds, clean),
        memorisation: memorisation(seenPreds, noisy, clean),
        testAcc: testReport.accuracy,
        test: testReport,
        lr,
        seconds: (now() - epochStart) / 1000,
        imagesPerSecond: seen.length / Math.max(trainSeconds, 1e-9),
      };
      epochs.push(metrics);
      opts.onEpoch?.(metrics);
      await opts.inspect?.(model, pipeline, epoch);
      // A checkpoint only at a whole epoch: the epoch's shuffle order is not part of the state.
      if (opts.onCheckpoint && stoppedBy === 'completed') {
        await opts.onCheckpoint({
          version: CHECKPOINT_VERSION,
          config,
          epoch,
          step,
          values: await readValues(model),
          optimizer: await optimizer.getState(),
          rng: dataRng.getState(),
          epochs: [...epochs],
          steps: [...steps],
          imagesSeen,
          seconds: (now() - runStart) / 1000,
        });
      }
      if (stoppedBy !== 'completed') break;
    }
    if (opts.keepModel) opts.keepModel(await readValues(model));
  } finally {
    optimizer.dispose();
    pipeline.dispose();
    if (ownsModel) disposeModel(model);
  }
  return {
    config,
    epochs,
    steps,
    summary: summarizeRun(
      epochs.map((e) => e.testAcc),
      step,
      (now() - runStart) / 1000,
      stoppedBy,
    ),
  };
}
