// The training worker: owns the TensorFlow.js backend and the training loop, so the page stays
// responsive. It picks its backend as soon as it starts (and tells the page which, and why), then
// runs one training run per `start` message. Talks only through src/worker/protocol.ts.
import { backendsAfter, NoBackendError, selectBackend, type BackendSelection } from '../src/worker/backend.ts';
import { STEP_MESSAGE_INTERVAL_MS, type DataOptions, type FromWorker, type StartMessage, type ToWorker } from '../src/worker/protocol.ts';
import { train, type RunResult, type RunSummary, type StepLog } from '../src/engine/trainer.ts';
import { meanOfLast } from '../src/engine/metrics.ts';
import { defaultTrainConfig, validateTrainConfig, type TrainConfig } from '../src/engine/config.ts';
import { generateDemoDataset } from '../src/data/demo.ts';
import { withSymmetricNoise } from '../src/data/noise.ts';
import type { Dataset } from '../src/data/types.ts';

interface WorkerScope {
  postMessage(message: FromWorker): void;
  onmessage: ((ev: MessageEvent<ToWorker>) => void) | null;
}
const scope = self as unknown as WorkerScope;
const post = (m: FromWorker): void => scope.postMessage(m);

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function announce(sel: BackendSelection): BackendSelection {
  post({ type: 'backend', name: sel.name, adapter: sel.adapter, reason: sel.reason, attempts: sel.attempts });
  return sel;
}

function noBackend(e: unknown): null {
  post({ type: 'error', runId: null, message: e instanceof NoBackendError ? e.message : `backend selection failed: ${errorText(e)}` });
  return null;
}

/** The backend in use (null: none could start). Chosen as soon as the worker starts. */
let backend: Promise<BackendSelection | null> = selectBackend().then(announce, noBackend);

/**
 * Whether an error thrown by a training run on `sel` means the backend itself cannot run the
 * engine (a GPU shader that does not compile, a lost device, ...) rather than a problem of the run.
 */
function isBackendFailure(sel: BackendSelection, e: unknown): boolean {
  if (sel.name !== 'webgpu' && sel.name !== 'webgl') return false;
  const text = errorText(e);
  return !/^invalid configuration|the loss became|split is empty/.test(text);
}

/** Gives up on `sel` after it failed while training, and moves to the next backend that starts. */
function fallBack(sel: BackendSelection, e: unknown): Promise<BackendSelection | null> {
  const detail = `failed while training (${errorText(e).split('\n')[0].slice(0, 200)})`;
  const earlier = [...sel.attempts.filter((a) => !a.ok), { name: sel.name, ok: false, detail }];
  backend = selectBackend(backendsAfter(sel.name), earlier).then(announce, noBackend);
  return backend;
}

/** The generated demo images, kept between runs with the same seed and sizes. */
let cached: { key: string; dataset: Dataset } | null = null;
let active: { runId: number; controller: AbortController } | null = null;

function loadData(runId: number, opts: DataOptions): { dataset: Dataset; flipped: number } {
  const key = `${opts.kind}:${opts.seed}:${opts.trainCount}:${opts.testCount}`;
  if (!cached || cached.key !== key) {
    cached = null; // free the old images before drawing new ones
    let last = 0;
    const detail = `drawing ${opts.trainCount} + ${opts.testCount} demo faces`;
    post({ type: 'progress', runId, phase: 'data', done: 0, total: opts.trainCount + opts.testCount, detail });
    const dataset = generateDemoDataset({ seed: opts.seed, trainCount: opts.trainCount, testCount: opts.testCount }, (done, total) => {
      const t = performance.now();
      if (t - last < STEP_MESSAGE_INTERVAL_MS && done !== total) return;
      last = t;
      post({ type: 'progress', runId, phase: 'data', done, total, detail });
    });
    cached = { key, dataset };
  }
  if (!(opts.noiseRate > 0)) return { dataset: cached.dataset, flipped: 0 };
  const noisy = withSymmetricNoise(cached.dataset, opts.noiseRate, opts.noiseSeed);
  return { dataset: noisy.dataset, flipped: noisy.report.changed };
}

async function run(msg: StartMessage): Promise<void> {
  const { runId } = msg;
  if (active) {
    post({ type: 'error', runId, message: `run ${active.runId} is still in progress; stop it first` });
    return;
  }
  const controller = new AbortController();
  active = { runId, controller };
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
  try {
    let sel = await backend;
    if (!sel) throw new Error('no TensorFlow.js backend is available (see the backend panel)');
    const config: TrainConfig = { ...defaultTrainConfig(msg.config.arch), ...msg.config };
    validateTrainConfig(config);
    const { dataset, flipped } = loadData(runId, msg.data);
    if (controller.signal.aborted) throw controller.signal.reason;
    let result: RunResult;
    for (;;) {
      // (Re)starting from scratch: the page clears what an earlier attempt had shown.
      post({ type: 'started', runId, config, data: msg.data, flippedLabels: flipped, trainCount: dataset.train.labels.length, testCount: dataset.test.labels.length });
      pending = [];
      testAccs.length = 0;
      steps = 0;
      try {
        result = await train(dataset, config, {
          signal: controller.signal,
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
              totalSteps: p.totalSteps, imagesPerSecond: p.imagesPerSecond, etaSeconds: p.etaSeconds,
            });
          },
          onEpoch: (metrics) => {
            testAccs.push(metrics.testAcc);
            flush();
            post({ type: 'epoch', runId, metrics });
          },
        });
        break;
      } catch (e) {
        if (controller.signal.aborted || !isBackendFailure(sel, e)) throw e;
        console.warn(`[eac] the ${sel.name} backend failed while training; falling back`, e);
        sel = await fallBack(sel, e);
        if (!sel) throw e;
      }
    }
    flush();
    post({ type: 'done', runId, summary: result.summary });
  } catch (e) {
    flush();
    if (controller.signal.aborted) {
      // Stopped during evaluation or data generation: the trainer threw an AbortError.
      const summary: RunSummary = {
        testAccLast5: meanOfLast(testAccs, 5),
        finalTestAcc: testAccs.length ? testAccs[testAccs.length - 1] : null,
        bestTestAcc: testAccs.length ? Math.max(...testAccs) : null,
        epochs: testAccs.length, steps, seconds: (performance.now() - started) / 1000, stoppedBy: 'cancelled',
      };
      post({ type: 'done', runId, summary });
    } else {
      post({ type: 'error', runId, message: errorText(e) });
    }
  } finally {
    active = null;
  }
}

scope.onmessage = (ev) => {
  const msg = ev.data;
  switch (msg.type) {
    case 'start':
      void run(msg);
      break;
    case 'stop':
      if (active && active.runId === msg.runId) active.controller.abort();
      break;
  }
};
