// One training run in the worker, from its start (or resume) message to its last message: load
// its data and weights, store its record, train with the engine (steps, epochs, attention frames,
// a checkpoint after every epoch), and end as done, stopped or failed, with the record saying so.
// A GPU backend that cannot run the engine is replaced by the next backend and the run restarts.
// Everything it talks to is passed in (RunSessionDeps), so it runs in Node tests.
import { assertStepFits } from '../../engine/memory-fit.ts';
import { estimateRun, longRunOf, runFixes, type RunPace } from '../../engine/run-estimate.ts';
import { getCachedDatasetInfo } from '../../storage/dataset-cache.ts';
import { deviceMemoryOf } from '../device-memory.ts';
import { StepTooLargeError } from '../../engine/errors.ts';
import { currentDeviceMemory } from '../device-memory.ts';
import { tf } from '../../engine/tf.ts';
import { train, type CheckpointCadence } from '../../engine/trainer.ts';
import { defaultTrainConfig, validateTrainConfig } from '../../engine/config.ts';
import { TrainError } from '../../engine/errors.ts';
import { AttentionProbe, chooseAttentionSamples } from '../../engine/attention.ts';
import { progressAt, throttle } from '../../engine/progress.ts';
import { summarizeRun, type EpochMetrics, type RunResult, type StepLog, type TrainProgress } from '../../engine/run-types.ts';
import type { TrainCheckpoint } from '../../engine/checkpoint.ts';
import type { Model } from '../../engine/resnet.ts';
import type { ImagePipeline } from '../../engine/augment.ts';
import type { RunRequest } from '../../engine/run-request.ts';
import { classesOf, type Dataset } from '../../engine/dataset.ts';
import {
  appendEpoch,
  checkpointBytes,
  getRun,
  loadAttention,
  loadCheckpoint,
  runLockName,
  saveCheckpoint,
  saveRun,
  type AttentionHistory,
  type RunBackend,
  type RunRecord,
} from '../../storage/run-store.ts';
import { announceRun } from '../../storage/run-channel.ts';
import {
  isBackendPreference,
  STEP_MESSAGE_INTERVAL_MS,
  type BackendPreference,
  type BeginMessage,
  type FromWorker,
  type ProbeReport,
  type ProbeShape,
  type LongRunNotice,
  type RunRefusal,
} from '../protocol.ts';
import type { BackendChoice } from './backend-fallback.ts';
import type { GpuFault } from './gpu-faults.ts';
import { labelsHash, pretrainedModel, type RunDataLoader } from './run-data.ts';
import { errorKind, errorText, failureMessage } from './run-errors.ts';

/**
 * How often a run also checkpoints within an epoch (and where it is stopped): as soon as the time
 * since the last checkpoint is 50× what that one took (checkpoints cost about 2% of the run), but
 * not sooner than every 5 s, and at least every 120 s (the most a crash or a reload can lose).
 */
export const CHECKPOINT_EVERY: CheckpointCadence = { seconds: 120, costShare: 0.02, minSeconds: 5 };

export interface RunSessionDeps {
  post(m: FromWorker): void;
  /** Within-epoch checkpoints (default CHECKPOINT_EVERY). */
  checkpointEvery?: CheckpointCadence;
  backends: BackendChoice;
  data: Pick<RunDataLoader, 'load'>;
  /** Resolves once a pending GPU device loss (if any) has settled: a lost device also fails the step in flight. */
  gpuSettled(): Promise<void>;
  /** A run whose measured remaining time passes this is flagged (default LONG_RUN_SECONDS). */
  longRunSeconds?: number;
  /** Web Locks, where the platform has them: the run's lock tells other tabs that it is alive. */
  locks?: { request(name: string, opts: { ifAvailable: boolean }, cb: (lock: unknown) => Promise<void>): Promise<void> };
}

/** Where a run begins: the request, and for a resumed run its record, checkpoint and attention history. */
interface Beginning {
  request: RunRequest;
  record: RunRecord | null;
  ckpt: TrainCheckpoint | null;
  history: AttentionHistory | null;
  /** The backend the user asked for (a resumed run: what it was started with). */
  backend: BackendPreference;
}

const preferenceOf = (v: unknown): BackendPreference => (isBackendPreference(v) ? v : 'auto');

/** What the probe times: the run's own model and batch. */
function probeShapeOf(config: RunRequest['config']): ProbeShape {
  return { arch: config.arch, width: config.width, size: config.size, batchSize: config.batchSize, method: config.method };
}

async function beginning(msg: BeginMessage): Promise<Beginning> {
  if (msg.type === 'resume') {
    const record = await getRun(msg.runKey);
    if (!record) throw new TrainError('config', `cannot resume: no stored run ${msg.runKey}`);
    const ckpt = await loadCheckpoint(msg.runKey);
    if (!ckpt) throw new TrainError('config', 'cannot resume: the run has no checkpoint yet (it stopped before its first epoch ended)');
    return {
      request: record.request,
      record,
      ckpt,
      // A damaged attention history (checked on load) is not resumed: the panel's maps start again
      // from this point; the checkpoint, which the run needs, was checked and loaded above.
      history: await loadAttention(msg.runKey).catch(() => null),
      backend: preferenceOf(record.backend?.preference),
    };
  }
  const config = { ...defaultTrainConfig(msg.config.arch), ...msg.config };
  validateTrainConfig(config);
  const attention = msg.attention ?? { count: 8, seed: config.seed };
  return {
    request: { config, data: msg.data, weights: msg.weights ?? null, attention },
    record: null,
    ckpt: null,
    history: null,
    backend: preferenceOf(msg.backend),
  };
}

function memoryNow(): { bytes: number; tensors: number; gpuBytes: number | null } {
  const m = tf.memory() as ReturnType<typeof tf.memory> & { numBytesInGPU?: number };
  return { bytes: m.numBytes, tensors: m.numTensors, gpuBytes: m.numBytesInGPU ?? null };
}

/** Auto refused the run before it started (no fast backend can hold it): the run bar shows why, with fixes. */
export class RunRefusedError extends TrainError {
  constructor(readonly refusal: RunRefusal) {
    super('config', refusal.reason);
    this.name = 'RunRefusedError';
  }
}

/**
 * The refusal of a run Auto will not train (the probe's rule 6), with the time it would take on
 * the backend that refused it for memory and the fixes that fit; null when the probe has none.
 */
export function refusalOf(report: ProbeReport, config: RunRequest['config'], trainCount: number, demoData: boolean): RunRefusal | null {
  if (!report.refusal) return null;
  const tooLarge = report.entries.find((e) => e.outcome === 'too-large' && e.reference);
  const speed = tooLarge?.reference;
  const memory = tooLarge ? deviceMemoryOf(tooLarge.name, null) : null;
  if (!tooLarge || !speed || !memory) return null;
  const asked = {
    arch: config.arch,
    width: config.width,
    size: config.size,
    batchSize: config.batchSize,
    method: config.method,
    epochs: config.epochs,
  };
  return {
    reason: report.refusal,
    backend: tooLarge.name,
    speed,
    asked: estimateRun(asked, trainCount, speed),
    trainCount,
    fixes: runFixes(asked, { trainCount, demo: demoData }, memory, speed),
  };
}

/** The training images a run's data options give, without loading them (null: unknown). */
async function trainCountOf(data: RunRequest['data']): Promise<number | null> {
  if (data.kind === 'demo') return data.trainCount;
  return (await getCachedDatasetInfo(data.key).catch(() => null))?.train ?? null;
}

/** One run: its state while it trains, and the handlers the trainer calls. */
export class RunSession {
  readonly controller = new AbortController();
  private paused = false;
  /** The page asked for a checkpoint after the current step (it is being hidden or unloaded). */
  private checkpointAsked = false;
  /** Resolves the pause gate when the run is let go on. */
  private release: (() => void) | null = null;
  private gpuFault: GpuFault | null = null;
  private record: RunRecord | null = null;
  /** Step losses not yet posted. */
  private pending: StepLog[] = [];
  private readonly postNow = throttle(STEP_MESSAGE_INTERVAL_MS);
  private testAccs: number[] = [];
  private steps = 0;
  private stepsTaken = 0;
  /** Flags a run whose measured pace passes LONG_RUN_SECONDS; null once flagged (once a run). */
  private longRun: ((pace: RunPace) => LongRunNotice | null) | null = null;
  private readonly started = performance.now();

  constructor(
    readonly runId: number,
    private readonly msg: BeginMessage,
    private readonly deps: RunSessionDeps,
  ) {}

  stop(): void {
    this.controller.abort();
    this.release?.();
  }

  /** Checkpoints after the current step, whatever the cadence (once per ask). */
  checkpointNow(): void {
    this.checkpointAsked = true;
  }

  /** Whether a training step has ended in this session (a stop before it may have to lose the GPU device). */
  get stepped(): boolean {
    return this.stepsTaken > 0;
  }

  /** Stops the run with a GPU fault (the first one counts; none after a stop: a stop may destroy the device). */
  fault(f: GpuFault): void {
    if (this.gpuFault || this.controller.signal.aborted) return;
    this.gpuFault = f;
    this.release?.();
    this.controller.abort(f);
  }

  setPaused(paused: boolean): void {
    if (this.paused === paused) return;
    this.paused = paused;
    // A paused run is checkpointed as it stops (a tab left paused, then closed, loses nothing).
    if (paused) this.checkpointAsked = true;
    if (!paused) {
      this.release?.();
      this.release = null;
    }
    this.deps.post({ type: 'paused', runId: this.runId, paused, holding: false });
  }

  /** Runs to the end, holding the run's Web Lock; never throws (a failure is posted). */
  async run(): Promise<void> {
    try {
      const { locks } = this.deps;
      if (!locks) return await this.runLocked();
      await locks.request(runLockName(this.msg.runKey), { ifAvailable: true }, async (lock) => {
        if (!lock) throw new TrainError('config', 'invalid configuration: this run is already training in another tab');
        await this.runLocked();
      });
    } catch (e) {
      this.flush();
      this.deps.post({ type: 'error', runId: this.runId, message: errorText(e), kind: errorKind(e), notStarted: this.record === null });
    }
  }

  private async runLocked(): Promise<void> {
    try {
      const result = await this.trainWithFallback();
      this.flush();
      const status = result.summary.stoppedBy === 'cancelled' ? 'stopped' : 'done';
      this.record = { ...this.record!, status, summary: result.summary, epochs: result.epochs };
      await saveRun(this.record);
      announceRun({ type: 'run-done', key: this.msg.runKey, status });
      this.deps.post({ type: 'done', runId: this.runId, summary: result.summary });
    } catch (e) {
      this.flush();
      if (this.controller.signal.aborted && !this.gpuFault) await this.endStopped();
      else await this.endFailed(this.gpuFault ?? e);
    }
  }

  /** Stopped during evaluation or data loading: the trainer threw an AbortError. */
  private async endStopped(): Promise<void> {
    const summary = summarizeRun(this.testAccs, this.steps, (performance.now() - this.started) / 1000, 'cancelled');
    if (this.record) await saveRun({ ...this.record, status: 'stopped', summary }).catch(() => undefined);
    announceRun({ type: 'run-done', key: this.msg.runKey, status: 'stopped' });
    this.deps.post({ type: 'done', runId: this.runId, summary });
  }

  private async endFailed(reason: unknown): Promise<void> {
    const kind = errorKind(reason);
    const lastGood = this.record?.checkpointEpoch ?? null;
    const message = failureMessage(reason, kind, lastGood);
    // A lost device leaves the run resumable: its record stays 'running' until resumed.
    if (this.record && kind !== 'device-lost') await saveRun({ ...this.record, status: 'error', error: message }).catch(() => undefined);
    announceRun({ type: 'run-done', key: this.msg.runKey, status: kind === 'device-lost' ? 'interrupted' : 'error' });
    const fitBatch = reason instanceof StepTooLargeError ? reason.fitBatch : undefined;
    const refusal = reason instanceof RunRefusedError ? reason.refusal : undefined;
    // No record yet: nothing was trained or stored, the run never started.
    const notStarted = this.record === null;
    this.deps.post({ type: 'error', runId: this.runId, message, kind, checkpointEpoch: lastGood, fitBatch, notStarted, refusal });
  }

  private async trainWithFallback(): Promise<RunResult> {
    const { runId } = this;
    const { signal } = this.controller;
    this.deps.post({ type: 'first-step', runId, phase: 'backend', at: Date.now() });
    let sel = await this.deps.backends.get();
    if (!sel) throw new Error('no TensorFlow.js backend is available (see the backend panel)');
    const begin = await beginning(this.msg);
    const { request, ckpt } = begin;
    const settled = await this.deps.backends.settle(begin.backend, probeShapeOf(request.config), (index, total, backend) =>
      this.deps.post({ type: 'first-step', runId, phase: 'probe', index, total, backend, at: Date.now() }),
    );
    if (settled.report) this.deps.post({ type: 'probe', runId, report: settled.report });
    if (!settled.sel) throw new Error('no TensorFlow.js backend is available (see the backend panel)');
    // Auto never trains on a software GPU: refused here, before any data is loaded, with fixes.
    if (begin.backend === 'auto' && settled.report?.refusal) {
      const trainCount = await trainCountOf(request.data);
      const refusal = trainCount === null ? null : refusalOf(settled.report, request.config, trainCount, request.data.kind === 'demo');
      throw refusal ? new RunRefusedError(refusal) : new TrainError('config', settled.report.refusal);
    }
    sel = settled.sel;
    if (this.msg.type === 'start' && this.msg.backendReason && sel.name === begin.backend) sel = { ...sel, reason: this.msg.backendReason };
    signal.throwIfAborted();
    // Before the data load: a step the device cannot hold is refused now, with the batch that fits.
    const { arch, width, size, batchSize, method } = request.config;
    assertStepFits({ arch, width, size, batchSize, method }, currentDeviceMemory(sel.name));
    const postData = throttle(STEP_MESSAGE_INTERVAL_MS);
    const loadStart = performance.now();
    const { dataset, flipped } = await this.deps.data.load(request.data, (done, total, detail, unit) => {
      if (postData(done === 0 || done === total))
        this.deps.post({ type: 'progress', runId, phase: 'data', ...progressAt(done, total, detail, loadStart, performance.now(), unit) });
    });
    signal.throwIfAborted();
    const hash = await labelsHash(dataset.train.labels);
    this.record = await this.storeStart(begin, dataset, {
      name: sel.name,
      preference: begin.backend,
      reason: sel.reason,
      probe: settled.report?.summary ?? null,
    });
    const attentionIdx = attentionSamples(request, dataset);
    let history = begin.history;
    for (;;) {
      // (Re)starting: the page clears what an earlier attempt had shown and shows the history.
      this.deps.post({
        type: 'started',
        runId,
        config: request.config,
        data: request.data,
        weights: request.weights,
        flippedLabels: flipped,
        trainCount: dataset.train.labels.length,
        testCount: dataset.test.labels.length,
        runKey: this.msg.runKey,
        resumedFrom: ckpt?.epoch ?? 0,
        history: { epochs: ckpt?.epochs ?? [], steps: ckpt?.steps ?? [] },
        labelsHash: hash,
        ...(dataset.classes ? { classes: dataset.classes } : {}),
      });
      if (history) {
        this.deps.post({ type: 'attention-views', runId, views: history.views });
        for (const frame of history.frames) this.deps.post({ type: 'attention', runId, frame });
      }
      this.deps.post({ type: 'first-step', runId, phase: 'first-step', backend: sel.name, at: Date.now() });
      this.pending = [];
      this.testAccs = ckpt?.epochs.map((e) => e.testAcc) ?? [];
      this.steps = ckpt?.step ?? 0;
      const shape = { arch, width, size, batchSize, method, epochs: request.config.epochs };
      const data = { trainCount: dataset.train.labels.length, demo: request.data.kind === 'demo' };
      const backendName = sel.name;
      this.longRun = (pace) => {
        const long = longRunOf(shape, data, currentDeviceMemory(backendName), pace, this.deps.longRunSeconds);
        return long && { ...long, backend: backendName };
      };
      const attention = new AttentionPanelFeed(runId, dataset, attentionIdx, request.attention.seed, history, (m) => this.deps.post(m));
      try {
        return await train(dataset, request.config, {
          model: ckpt ? undefined : await pretrainedModel(request, classesOf(dataset).length),
          resume: ckpt ?? undefined,
          logSteps: true,
          signal,
          gate: () => this.gate(),
          paused: () => this.paused,
          inspect: (m, pipeline, epoch) => attention.measure(m, pipeline, epoch),
          onCheckpoint: (c) => this.onCheckpoint(c, attention.history),
          checkpointEvery: this.deps.checkpointEvery ?? CHECKPOINT_EVERY,
          checkpointAsked: () => {
            const asked = this.checkpointAsked;
            this.checkpointAsked = false;
            return asked;
          },
          onStep: (p) => this.onStep(p),
          onEpoch: (metrics) => this.onEpoch(metrics),
        });
      } catch (e) {
        await this.deps.gpuSettled();
        if (this.gpuFault || signal.aborted || ckpt || !this.deps.backends.isBackendFailure(sel, e)) throw e;
        console.warn(`[eac] the ${sel.name} backend failed while training; falling back`, e);
        sel = await this.deps.backends.fallBack(sel, e);
        if (!sel) throw e;
        const backend = { name: sel.name, preference: begin.backend, reason: sel.reason, probe: settled.report?.summary ?? null };
        this.record = { ...this.record, backend };
        await saveRun(this.record);
      } finally {
        history = attention.history;
        attention.dispose();
      }
    }
  }

  /** The run's record as it starts: a resumed run's record marked running again, or a new one. */
  private async storeStart(begin: Beginning, dataset: Dataset, backend: RunBackend): Promise<RunRecord> {
    const { config } = begin.request;
    const now = new Date().toISOString();
    const record: RunRecord = begin.record
      ? { ...begin.record, status: 'running', error: null, backend }
      : {
          key: this.msg.runKey,
          name: `${config.method === 'eac' ? 'EAC' : 'Baseline'} ${config.arch} · ${dataset.name}`,
          createdAt: now,
          updatedAt: now,
          status: 'running',
          request: begin.request,
          epochs: [],
          checkpointEpoch: null,
          summary: null,
          error: null,
          backend,
          ...(dataset.classes ? { classes: dataset.classes } : {}),
        };
    await saveRun(record);
    announceRun({ type: 'run-started', key: this.msg.runKey });
    return record;
  }

  /** The trainer's gate: holds the loop between two steps while the run is paused. */
  private gate(): Promise<void> {
    if (!this.paused) return Promise.resolve();
    this.flush();
    this.deps.post({ type: 'paused', runId: this.runId, paused: true, holding: true });
    return new Promise<void>((resolve) => {
      this.release = resolve;
    });
  }

  private flush(): void {
    if (this.pending.length === 0) return;
    this.deps.post({ type: 'step', runId: this.runId, points: this.pending });
    this.pending = [];
  }

  private onStep(p: TrainProgress): void {
    this.steps = p.step;
    this.stepsTaken++;
    this.pending.push(p.last);
    // Once a run, as soon as its own steps say it will take days: the run bar says so, with fixes.
    const long = this.longRun?.(p);
    if (long) {
      this.longRun = null;
      this.deps.post({ type: 'long-run', runId: this.runId, long });
    }
    const endOfEpoch = p.stepInEpoch === p.stepsPerEpoch || p.step === p.totalSteps;
    if (!this.postNow(endOfEpoch)) return;
    this.flush();
    this.deps.post({
      type: 'progress',
      runId: this.runId,
      phase: endOfEpoch ? 'evaluate' : 'train',
      epoch: p.epoch,
      epochs: p.epochs,
      step: p.step,
      stepInEpoch: p.stepInEpoch,
      stepsPerEpoch: p.stepsPerEpoch,
      totalSteps: p.totalSteps,
      imagesPerSecond: p.imagesPerSecond,
      etaSeconds: p.etaSeconds,
      timing: p.timing,
      memory: memoryNow(),
      paused: this.paused,
    });
  }

  private onEpoch(metrics: EpochMetrics): void {
    this.testAccs.push(metrics.testAcc);
    this.flush();
    this.deps.post({ type: 'epoch', runId: this.runId, metrics });
    // Other tabs' comparisons see the epoch now, before its checkpoint is written.
    const key = this.msg.runKey;
    void appendEpoch(key, metrics).then(
      () => announceRun({ type: 'run-epoch', key, epoch: metrics.epoch }),
      () => undefined,
    );
  }

  private async onCheckpoint(c: TrainCheckpoint, history: AttentionHistory | null): Promise<void> {
    this.record = await saveCheckpoint(this.record!, c, history);
    this.deps.post({
      type: 'checkpoint',
      runId: this.runId,
      epoch: c.epoch,
      step: c.step,
      partial: !!c.partial,
      bytes: checkpointBytes(c),
    });
    announceRun({ type: 'run-epoch', key: this.msg.runKey, epoch: c.epoch });
  }
}

/** The attention panel's samples: the picked ones still inside the training split, or drawn by the seed. */
function attentionSamples(request: RunRequest, dataset: Dataset): number[] {
  const picked = request.attention.indices?.filter((i) => i >= 0 && i < dataset.train.labels.length) ?? [];
  return picked.length ? picked : chooseAttentionSamples(dataset.train, request.attention.count, request.attention.seed);
}

/** Measures the attention panel's maps after each epoch and posts them, keeping the run's history. */
class AttentionPanelFeed {
  private probe: AttentionProbe | null = null;

  constructor(
    private readonly runId: number,
    private readonly dataset: Dataset,
    private readonly indices: number[],
    private readonly seed: number,
    public history: AttentionHistory | null,
    private readonly post: (m: FromWorker) => void,
  ) {}

  async measure(model: Model, pipeline: ImagePipeline, epoch: number): Promise<void> {
    if (!this.probe) {
      this.probe = await AttentionProbe.create(model, pipeline, this.dataset.train, this.indices, this.seed, this.dataset.classes);
      if (!this.history) {
        this.history = { views: this.probe.views, frames: [] };
        this.post({ type: 'attention-views', runId: this.runId, views: this.probe.views });
      }
    }
    const frame = await this.probe.measure(model, epoch);
    this.history!.frames = this.history!.frames.filter((f) => f.epoch !== epoch).concat([frame]);
    this.post({ type: 'attention', runId: this.runId, frame });
  }

  dispose(): void {
    this.probe?.dispose();
    this.probe = null;
  }
}
