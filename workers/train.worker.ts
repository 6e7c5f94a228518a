// The training worker: owns the TensorFlow.js backend and the training loop, so the page stays
// responsive and training goes on in a hidden tab (nothing here waits on animation frames). It
// picks its backend as soon as it starts (and tells the page which, and why), then runs one run
// per `start` message: loads the data and weights from the caches, trains, sends steps, epochs and
// attention maps, and stores a checkpoint after every epoch so the run can resume exactly.
// Talks only through src/worker/protocol.ts.
import { tf } from '../src/engine/tf.ts';
import { backendsAfter, NoBackendError, selectBackend, type BackendSelection } from '../src/worker/backend.ts';
import { STEP_MESSAGE_INTERVAL_MS, type DataOptions, type ErrorKind, type FromWorker, type StartMessage, type ToWorker } from '../src/worker/protocol.ts';
import { train, type RunResult, type RunSummary, type StepLog } from '../src/engine/trainer.ts';
import { meanOfLast } from '../src/engine/metrics.ts';
import { defaultTrainConfig, validateTrainConfig, type TrainConfig } from '../src/engine/config.ts';
import { AttentionProbe, chooseAttentionSamples, type AttentionFrame } from '../src/engine/attention.ts';
import { modelFromValues, type Model } from '../src/engine/resnet.ts';
import type { TrainCheckpoint } from '../src/engine/checkpoint.ts';
import { generateDemoDataset } from '../src/data/demo.ts';
import { withSymmetricNoise } from '../src/data/noise.ts';
import type { Dataset } from '../src/data/types.ts';
import { loadCachedDataset } from '../src/storage/dataset-cache.ts';
import { loadCachedWeights } from '../src/storage/weights-cache.ts';
import { exportModelSafetensors } from '../src/weights/export.ts';
import {
  appendEpoch, checkpointBytes, getRun, loadAttention, loadCheckpoint, runLockName, saveCheckpoint, saveRun,
  type AttentionHistory, type RunRecord, type RunRequest,
} from '../src/storage/run-store.ts';
import { announceRun } from '../src/storage/run-channel.ts';

interface WorkerScope {
  postMessage(message: FromWorker, transfer?: Transferable[]): void;
  onmessage: ((ev: MessageEvent<ToWorker>) => void) | null;
}
const scope = self as unknown as WorkerScope;
const post = (m: FromWorker): void => scope.postMessage(m);

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

// ---------------------------------------------------------------------------------------------
// Backend, and what can go wrong with a GPU

/** Set when the GPU device is lost or runs out of memory: the active run stops with this reason. */
class GpuFault extends Error {
  constructor(readonly kind: 'device-lost' | 'out-of-memory', message: string) {
    super(message);
  }
}

interface GpuDeviceLike {
  lost: Promise<{ reason?: string; message?: string }>;
  addEventListener(type: 'uncapturederror', cb: (ev: { error?: { constructor?: { name?: string }; message?: string } }) => void): void;
  destroy(): void;
}

const webgpuDevice = (): GpuDeviceLike | null => (tf.getBackend() === 'webgpu' ? ((tf.backend() as unknown as { device?: GpuDeviceLike }).device ?? null) : null);

function watchGpu(sel: BackendSelection): void {
  const device = sel.name === 'webgpu' ? webgpuDevice() : null;
  if (!device) return;
  void device.lost.then((info) => {
    const why = info?.message || info?.reason || 'unknown reason';
    fault(new GpuFault('device-lost', `the GPU device was lost (${why}); the run can resume from its last checkpoint`));
  });
  device.addEventListener('uncapturederror', (ev) => {
    const name = ev.error?.constructor?.name ?? '';
    if (/OutOfMemory/i.test(name) || /out of memory/i.test(ev.error?.message ?? '')) {
      fault(new GpuFault('out-of-memory', 'the GPU ran out of memory: lower the batch size or the input size'));
    }
  });
}

/** Waits a moment for a pending `device.lost` to settle (no wait off WebGPU). */
async function gpuSettled(): Promise<void> {
  const device = webgpuDevice();
  if (device) await Promise.race([device.lost, new Promise((r) => setTimeout(r, 1000))]);
}

function announce(sel: BackendSelection): BackendSelection {
  watchGpu(sel);
  post({ type: 'backend', name: sel.name, adapter: sel.adapter, reason: sel.reason, attempts: sel.attempts, versions: { tfjs: tf.version_core } });
  return sel;
}

function noBackend(e: unknown): null {
  post({ type: 'error', runId: null, message: e instanceof NoBackendError ? e.message : `backend selection failed: ${errorText(e)}` });
  return null;
}

/** The backend in use (null: none could start). Chosen as soon as the worker starts. */
let backend: Promise<BackendSelection | null> = selectBackend().then(announce, noBackend);

/** Out-of-memory, however the backend words it (WASM aborts, WebGL/WebGPU allocation failures). */
function isOutOfMemory(e: unknown): boolean {
  return /out of memory|Aborted\(\)|OOM|failed to allocate|allocation failed|exceeds the (max|maximum)/i.test(errorText(e));
}

function classify(e: unknown): ErrorKind {
  if (e instanceof GpuFault) return e.kind;
  const text = errorText(e);
  if (/^the loss became/.test(text)) return 'nan';
  if (/^invalid configuration|^cannot resume/.test(text)) return 'config';
  if (/split is empty|dataset|label/i.test(text)) return 'data';
  if (isOutOfMemory(e)) return 'out-of-memory';
  return 'other';
}

/**
 * Whether an error thrown by a training run on `sel` means the backend itself cannot run the
 * engine (a GPU shader that does not compile) rather than a problem of the run.
 */
function isBackendFailure(sel: BackendSelection, e: unknown): boolean {
  if (sel.name !== 'webgpu' && sel.name !== 'webgl') return false;
  return classify(e) === 'other';
}

/** Gives up on `sel` after it failed while training, and moves to the next backend that starts. */
function fallBack(sel: BackendSelection, e: unknown): Promise<BackendSelection | null> {
  const detail = `failed while training (${errorText(e).split('\n')[0].slice(0, 200)})`;
  const earlier = [...sel.attempts.filter((a) => !a.ok), { name: sel.name, ok: false, detail }];
  backend = selectBackend(backendsAfter(sel.name), earlier).then(announce, noBackend);
  return backend;
}

// ---------------------------------------------------------------------------------------------
// Data and weights

/** The last dataset loaded, kept between runs on the same data. */
let cached: { key: string; dataset: Dataset } | null = null;

function dataKey(opts: DataOptions): string {
  return opts.kind === 'demo' ? `demo:${opts.seed}:${opts.trainCount}:${opts.testCount}` : `cached:${opts.key}:${opts.labelFile ?? ''}`;
}

async function loadBaseData(runId: number, opts: DataOptions): Promise<Dataset> {
  const key = dataKey(opts);
  if (cached?.key === key) return cached.dataset;
  cached = null; // free the old images first
  let last = 0;
  const report = (done: number, total: number, detail: string) => {
    const t = performance.now();
    if (t - last < STEP_MESSAGE_INTERVAL_MS && done !== total) return;
    last = t;
    post({ type: 'progress', runId, phase: 'data', done, total, detail });
  };
  let dataset: Dataset;
  if (opts.kind === 'demo') {
    const detail = `drawing ${opts.trainCount} + ${opts.testCount} demo faces`;
    report(0, opts.trainCount + opts.testCount, detail);
    dataset = generateDemoDataset({ seed: opts.seed, trainCount: opts.trainCount, testCount: opts.testCount }, (d, t) => report(d, t, detail));
  } else {
    const detail = `reading ${opts.name} from the dataset cache`;
    report(0, 1, detail);
    dataset = (await loadCachedDataset(opts.key, opts.labelFile, (p) => report(p.doneBytes, p.totalBytes, detail))).dataset;
  }
  cached = { key, dataset };
  return dataset;
}

async function loadData(runId: number, opts: DataOptions): Promise<{ dataset: Dataset; flipped: number }> {
  const base = await loadBaseData(runId, opts);
  const fromFile = base.train.labels.reduce((n, l, i) => n + (l !== base.train.cleanLabels[i] ? 1 : 0), 0);
  if (!(opts.noiseRate > 0)) return { dataset: base, flipped: fromFile };
  const noisy = withSymmetricNoise(base, opts.noiseRate, opts.noiseSeed);
  const flipped = noisy.dataset.train.labels.reduce((n, l, i) => n + (l !== base.train.cleanLabels[i] ? 1 : 0), 0);
  return { dataset: noisy.dataset, flipped };
}

async function labelsHash(labels: Int32Array): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', labels.slice().buffer as ArrayBuffer);
  return Array.from(new Uint8Array(digest).subarray(0, 8), (b) => b.toString(16).padStart(2, '0')).join('');
}

async function pretrainedModel(request: RunRequest): Promise<Model | undefined> {
  if (!request.weights) return undefined;
  const w = await loadCachedWeights(request.weights.key, request.config.seed);
  const { arch, width } = w.spec.config;
  if (arch !== request.config.arch || width !== request.config.width) {
    throw new Error(`invalid configuration: the weights "${request.weights.name}" are a ${arch} of width ${width}, the run asks for a ${request.config.arch} of width ${request.config.width}`);
  }
  return modelFromValues(w.spec, w.values);
}

// ---------------------------------------------------------------------------------------------
// Runs

interface ActiveRun {
  runId: number;
  controller: AbortController;
  paused: boolean;
  /** Resolves the pause gate when the run is let go on. */
  release: (() => void) | null;
  fault: GpuFault | null;
  /** Sends the step losses not yet posted. */
  flush: () => void;
}
let active: ActiveRun | null = null;

function fault(f: GpuFault): void {
  if (!active || active.fault) return;
  active.fault = f;
  active.release?.();
  active.controller.abort(f);
}

function setPaused(run: ActiveRun, paused: boolean): void {
  if (run.paused === paused) return;
  run.paused = paused;
  if (!paused) {
    run.release?.();
    run.release = null;
  }
  post({ type: 'paused', runId: run.runId, paused, holding: false });
}

/** The trainer's gate: holds the loop between two steps while the run is paused. */
function gate(run: ActiveRun): Promise<void> {
  if (!run.paused) return Promise.resolve();
  run.flush();
  post({ type: 'paused', runId: run.runId, paused: true, holding: true });
  return new Promise<void>((resolve) => {
    run.release = resolve;
  });
}

function memoryNow(): { bytes: number; tensors: number; gpuBytes: number | null } {
  const m = tf.memory() as ReturnType<typeof tf.memory> & { numBytesInGPU?: number };
  return { bytes: m.numBytes, tensors: m.numTensors, gpuBytes: m.numBytesInGPU ?? null };
}

/** The request of a new run (from the message) or of a resumed one (from the run store). */
async function runRequest(msg: StartMessage): Promise<{ request: RunRequest; record: RunRecord | null; ckpt: TrainCheckpoint | null; attention: AttentionHistory | null }> {
  if (msg.resume) {
    const record = await getRun(msg.runKey);
    if (!record) throw new Error(`cannot resume: no stored run ${msg.runKey}`);
    const ckpt = await loadCheckpoint(msg.runKey);
    if (!ckpt) throw new Error('cannot resume: the run has no checkpoint yet (it stopped before its first epoch ended)');
    return { request: record.request, record, ckpt, attention: await loadAttention(msg.runKey) };
  }
  const config: TrainConfig = { ...defaultTrainConfig(msg.config.arch), ...msg.config };
  validateTrainConfig(config);
  const attention = msg.attention ?? { count: 8, seed: config.seed };
  return { request: { config, data: msg.data, weights: msg.weights ?? null, attention }, record: null, ckpt: null, attention: null };
}

async function run(msg: StartMessage): Promise<void> {
  const { runId } = msg;
  if (active) {
    post({ type: 'error', runId, message: `run ${active.runId} is still in progress; stop it first`, kind: 'config' });
    return;
  }
  const me: ActiveRun = { runId, controller: new AbortController(), paused: false, release: null, fault: null, flush: () => undefined };
  active = me;
  const locks = (globalThis.navigator as Navigator | undefined)?.locks;
  try {
    // The run's Web Lock tells other tabs (and this tab after a reload) that the run is alive.
    if (locks) await locks.request(runLockName(msg.runKey), { ifAvailable: true }, async (lock) => {
      if (!lock) throw new Error('invalid configuration: this run is already training in another tab');
      await runLocked(msg, me);
    });
    else await runLocked(msg, me);
  } catch (e) {
    post({ type: 'error', runId, message: errorText(e), kind: classify(e) });
  } finally {
    active = null;
  }
}

async function runLocked(msg: StartMessage, me: ActiveRun): Promise<void> {
  const { runId, runKey } = msg;
  const { signal } = me.controller;
  let record: RunRecord | null = null;
  let steps = 0;
  const testAccs: number[] = [];
  const started = performance.now();
  let pending: StepLog[] = [];
  let lastFlush = 0;
  const flush = (): void => {
    if (pending.length === 0) return;
    post({ type: 'step', runId, points: pending });
    pending = [];
  };
  me.flush = flush;
  let probe: AttentionProbe | null = null;
  try {
    let sel = await backend;
    if (!sel) throw new Error('no TensorFlow.js backend is available (see the backend panel)');
    const req = await runRequest(msg);
    const { request, ckpt } = req;
    const config = request.config;
    const { dataset, flipped } = await loadData(runId, request.data);
    signal.throwIfAborted();
    const hash = await labelsHash(dataset.train.labels);
    const now = new Date().toISOString();
    record = req.record
      ? { ...req.record, status: 'running', error: null }
      : { key: runKey, name: `${config.method === 'eac' ? 'EAC' : 'Baseline'} ${config.arch} · ${dataset.name}`, createdAt: now, updatedAt: now, status: 'running', request, epochs: [], checkpointEpoch: null, summary: null, error: null };
    await saveRun(record);
    announceRun({ type: 'run-started', key: runKey });
    // Picked samples past the end of the training split are dropped (none left: drawn by the seed).
    const picked = request.attention.indices?.filter((i) => i >= 0 && i < dataset.train.labels.length) ?? [];
    const attentionIdx = picked.length ? picked : chooseAttentionSamples(dataset.train, request.attention.count, request.attention.seed);
    let history: AttentionHistory | null = req.attention;
    let result: RunResult;
    for (;;) {
      // (Re)starting: the page clears what an earlier attempt had shown and shows the history.
      post({
        type: 'started', runId, config, data: request.data, flippedLabels: flipped, trainCount: dataset.train.labels.length, testCount: dataset.test.labels.length,
        runKey, resumedFrom: ckpt?.epoch ?? 0, history: { epochs: ckpt?.epochs ?? [], steps: ckpt?.steps ?? [] }, labelsHash: hash,
      });
      if (history) {
        post({ type: 'attention-views', runId, views: history.views });
        for (const frame of history.frames) post({ type: 'attention', runId, frame });
      }
      pending = [];
      testAccs.splice(0, testAccs.length, ...(ckpt?.epochs.map((e) => e.testAcc) ?? []));
      steps = ckpt?.step ?? 0;
      try {
        const model = ckpt ? undefined : await pretrainedModel(request);
        result = await train(dataset, config, {
          model,
          resume: ckpt ?? undefined,
          logSteps: true,
          signal,
          gate: () => gate(me),
          inspect: async (m, pipeline, epoch) => {
            if (!probe) {
              probe = await AttentionProbe.create(m, pipeline, dataset.train, attentionIdx, request.attention.seed);
              if (!history) {
                history = { views: probe.views, frames: [] };
                post({ type: 'attention-views', runId, views: probe.views });
              }
            }
            const frame: AttentionFrame = await probe.measure(m, epoch);
            history!.frames = history!.frames.filter((f) => f.epoch !== epoch).concat([frame]);
            post({ type: 'attention', runId, frame });
          },
          onCheckpoint: async (c) => {
            record = await saveCheckpoint(record!, c, history);
            post({ type: 'checkpoint', runId, epoch: c.epoch, bytes: checkpointBytes(c) });
            announceRun({ type: 'run-epoch', key: runKey, epoch: c.epoch });
          },
          onStep: (p) => {
            steps = p.step;
            pending.push(p.last);
            const endOfEpoch = p.stepInEpoch === p.stepsPerEpoch || p.step === p.totalSteps;
            const t = performance.now();
            if (!endOfEpoch && t - lastFlush < STEP_MESSAGE_INTERVAL_MS) return;
            lastFlush = t;
            flush();
            post({
              type: 'progress', runId, phase: endOfEpoch ? 'evaluate' : 'train',
              epoch: p.epoch, epochs: p.epochs, step: p.step, stepInEpoch: p.stepInEpoch, stepsPerEpoch: p.stepsPerEpoch,
              totalSteps: p.totalSteps, imagesPerSecond: p.imagesPerSecond, etaSeconds: p.etaSeconds, memory: memoryNow(), paused: me.paused,
            });
          },
          onEpoch: (metrics) => {
            testAccs.push(metrics.testAcc);
            flush();
            post({ type: 'epoch', runId, metrics });
            // Other tabs' comparisons see the epoch now, before its checkpoint is written.
            void appendEpoch(runKey, metrics).then(() => announceRun({ type: 'run-epoch', key: runKey, epoch: metrics.epoch }), () => undefined);
          },
        });
        break;
      } catch (e) {
        // A lost device also fails the step in flight, sometimes before `device.lost` settles.
        await gpuSettled();
        if (me.fault || signal.aborted || ckpt || !isBackendFailure(sel, e)) throw e;
        console.warn(`[eac] the ${sel.name} backend failed while training; falling back`, e);
        sel = await fallBack(sel, e);
        if (!sel) throw e;
      } finally {
        (probe as AttentionProbe | null)?.dispose();
        probe = null;
      }
    }
    flush();
    record = { ...record, status: result.summary.stoppedBy === 'cancelled' ? 'stopped' : 'done', summary: result.summary, epochs: result.epochs };
    await saveRun(record);
    announceRun({ type: 'run-done', key: runKey, status: record.status });
    post({ type: 'done', runId, summary: result.summary });
  } catch (e) {
    flush();
    const reason = me.fault ?? e;
    if (signal.aborted && !me.fault) {
      // Stopped during evaluation or data loading: the trainer threw an AbortError.
      const summary: RunSummary = {
        testAccLast5: meanOfLast(testAccs, 5),
        finalTestAcc: testAccs.length ? testAccs[testAccs.length - 1] : null,
        bestTestAcc: testAccs.length ? Math.max(...testAccs) : null,
        epochs: testAccs.length, steps, seconds: (performance.now() - started) / 1000, stoppedBy: 'cancelled',
      };
      if (record) await saveRun({ ...record, status: 'stopped', summary }).catch(() => undefined);
      announceRun({ type: 'run-done', key: runKey, status: 'stopped' });
      post({ type: 'done', runId, summary });
      return;
    }
    const kind = classify(reason);
    const lastGood = (record as RunRecord | null)?.checkpointEpoch ?? null;
    let message = errorText(reason);
    if (kind === 'out-of-memory' && !(reason instanceof GpuFault)) message = `out of memory on this backend (${message.split('\n')[0].slice(0, 160)}): lower the batch size or the input size`;
    if (kind === 'nan' && lastGood !== null) message += `; the last good checkpoint (epoch ${lastGood}) is kept`;
    // A lost device leaves the run resumable: its record stays 'running' until resumed.
    if (record && kind !== 'device-lost') await saveRun({ ...record, status: 'error', error: message }).catch(() => undefined);
    announceRun({ type: 'run-done', key: runKey, status: kind === 'device-lost' ? 'interrupted' : 'error' });
    post({ type: 'error', runId, message, kind, checkpointEpoch: lastGood });
  }
}

// ---------------------------------------------------------------------------------------------
// Export

async function exportModel(runKey: string): Promise<void> {
  const fileName = `eac-${runKey}.safetensors`;
  try {
    const [record, ckpt] = await Promise.all([getRun(runKey), loadCheckpoint(runKey)]);
    if (!record || !ckpt) throw new Error('this run has no stored checkpoint to export yet (one is written at the end of every epoch)');
    const { arch, width } = ckpt.config;
    const bytes = exportModelSafetensors(arch, width, ckpt.values, { epoch: String(ckpt.epoch), run: record.name });
    scope.postMessage({ type: 'model-export', runKey, fileName, bytes, error: null }, [bytes.buffer]);
  } catch (e) {
    post({ type: 'model-export', runKey, fileName, bytes: null, error: errorText(e) });
  }
}

scope.onmessage = (ev) => {
  const msg = ev.data;
  switch (msg.type) {
    case 'start':
      void run(msg);
      break;
    case 'stop':
      if (active && active.runId === msg.runId) {
        active.controller.abort();
        active.release?.();
      }
      break;
    case 'pause':
      if (active && active.runId === msg.runId) setPaused(active, msg.paused);
      break;
    case 'export-model':
      void exportModel(msg.runKey);
      break;
    case 'lose-device':
      webgpuDevice()?.destroy();
      break;
  }
};
