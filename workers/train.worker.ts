// The training worker: owns the TensorFlow.js backend and the training loop, so the page stays
// responsive and training goes on in a hidden tab (nothing here waits on animation frames). A thin
// switch over src/worker/protocol.ts: the backend is chosen as soon as the worker starts
// (src/worker/train/backend-fallback.ts), each run is a RunSession (run-session.ts), and GPU
// faults (gpu-faults.ts) stop the active run.
import { tf } from '../src/engine/tf.ts';
import { NoBackendError, selectBackend, type BackendSelection } from '../src/worker/backend.ts';
import type { FromWorker, ToWorker } from '../src/worker/protocol.ts';
import { BackendChoice } from '../src/worker/train/backend-fallback.ts';
import { gpuSettled, watchGpu, type GpuDeviceLike } from '../src/worker/train/gpu-faults.ts';
import { RunDataLoader } from '../src/worker/train/run-data.ts';
import { exportRunLabels } from '../src/worker/train/labels-export.ts';
import { errorText } from '../src/worker/train/run-errors.ts';
import { RunSession } from '../src/worker/train/run-session.ts';
import { currentDeviceMemory } from '../src/worker/device-memory.ts';
import { assertStepFits } from '../src/engine/memory-fit.ts';
import { exportStoredModel } from '../src/worker/train/model-export.ts';
import { probeBackends, type Started } from '../src/worker/train/backend-probe.ts';
import { benchmarkSteps } from '../src/engine/bench.ts';
import { loadProbe, saveProbe } from '../src/storage/probe-cache.ts';
import type { BackendName, ProbeReport, ProbeShape } from '../src/worker/protocol.ts';

interface WorkerScope {
  postMessage(message: FromWorker, transfer?: Transferable[]): void;
  onmessage: ((ev: MessageEvent<ToWorker>) => void) | null;
}
const scope = self as unknown as WorkerScope;
const post = (m: FromWorker): void => scope.postMessage(m);

const webgpuDevice = (): GpuDeviceLike | null =>
  tf.getBackend() === 'webgpu' ? ((tf.backend() as unknown as { device?: GpuDeviceLike }).device ?? null) : null;

let active: RunSession | null = null;

function announce(sel: BackendSelection): void {
  const device = sel.name === 'webgpu' ? webgpuDevice() : null;
  if (device) watchGpu(device, (f) => active?.fault(f));
  post({
    type: 'backend',
    name: sel.name,
    adapter: sel.adapter,
    reason: sel.reason,
    attempts: sel.attempts,
    versions: { tfjs: tf.version_core },
    memory: currentDeviceMemory(sel.name),
  });
}

/** Starts `name` alone for the probe (TensorFlow.js stays on it). */
async function startAlone(name: BackendName): Promise<Started> {
  try {
    const sel = await selectBackend([name]);
    return { name, ok: true, adapter: sel.adapter };
  } catch (e) {
    const detail = e instanceof NoBackendError ? (e.attempts.at(-1)?.detail ?? e.message) : errorText(e);
    return { name, ok: false, detail };
  }
}

/** The probe's timed steps: the engine's benchmark (random inputs, each step read back) on the current backend. */
async function timeSteps(shape: ProbeShape, steps: number, after: (ms: number, warmup: boolean) => void): Promise<number[]> {
  // A step this backend cannot hold is not tried (on wasm it would abort the module): the probe
  // records why, and the run is refused with the batch size that fits.
  assertStepFits(shape, currentDeviceMemory(tf.getBackend() as BackendName));
  const r = await benchmarkSteps({ ...shape, steps, warmup: 1 }, (_i, warmup, ms) => after(ms, warmup));
  return r.stepMs;
}

function probe(
  shape: ProbeShape,
  onProgress: (index: number, total: number, name: BackendName) => void,
  signal?: AbortSignal,
): Promise<ProbeReport> {
  return probeBackends(
    shape,
    {
      start: startAlone,
      time: timeSteps,
      now: () => performance.now(),
      load: async (key) => (await loadProbe(key)) as ProbeReport | null,
      save: (report) => saveProbe(report.key, report),
      onProgress,
    },
    signal,
  );
}

/** The probe of an idle worker (after the page loads): a run's start interrupts it between two steps. */
let idleProbe: AbortController | null = null;

function probeWhileIdle(shape: ProbeShape): void {
  if (active) return;
  idleProbe?.abort();
  const ctl = new AbortController();
  idleProbe = ctl;
  void backends
    .settle('auto', shape, () => undefined, ctl.signal)
    .then(({ report }) => {
      if (report && !ctl.signal.aborted) post({ type: 'probe', runId: null, report });
    });
}

const backends = new BackendChoice({
  select: selectBackend,
  probe,
  announce,
  none: (e) =>
    post({ type: 'error', runId: null, message: e instanceof NoBackendError ? e.message : `backend selection failed: ${errorText(e)}` }),
});
const data = new RunDataLoader();
const locks = (globalThis.navigator as (Navigator & { locks?: LockManager }) | undefined)?.locks;

async function begin(msg: Extract<ToWorker, { type: 'start' | 'resume' }>): Promise<void> {
  if (active) {
    post({ type: 'error', runId: msg.runId, message: `run ${active.runId} is still in progress; stop it first`, kind: 'config' });
    return;
  }
  const session = new RunSession(msg.runId, msg, { post, backends, data, gpuSettled: () => gpuSettled(webgpuDevice()), locks });
  active = session;
  try {
    await session.run();
  } finally {
    active = null;
  }
}

scope.onmessage = (ev) => {
  const msg = ev.data;
  switch (msg.type) {
    case 'probe-backends':
      probeWhileIdle(msg.shape);
      break;
    case 'start':
    case 'resume':
      idleProbe?.abort();
      idleProbe = null;
      void begin(msg);
      break;
    case 'stop':
      if (active?.runId !== msg.runId) break;
      active.stop();
      // Before its first step a GPU may be compiling for minutes: lose the device, so that no more
      // work reaches the GPU and the step in flight fails now (the page replaces this worker).
      if (!active.stepped) webgpuDevice()?.destroy();
      break;
    case 'pause':
      if (active?.runId === msg.runId) active.setPaused(msg.paused);
      break;
    case 'checkpoint-now':
      if (active?.runId === msg.runId) active.checkpointNow();
      break;
    case 'export-model':
      void exportStoredModel(msg.runKey).then((m) => scope.postMessage(m, m.bytes ? [m.bytes.buffer] : []));
      break;
    case 'export-labels':
      void exportRunLabels(msg.runKey, data).then((m) => scope.postMessage(m));
      break;
    case 'lose-device':
      // A test hook (src/ui/debug-hooks.ts): a production build folds the condition and drops the call.
      if (import.meta.env.DEV || import.meta.env.MODE === 'test') webgpuDevice()?.destroy();
      break;
    case 'prefer-backend':
      if (active) break;
      if (msg.preference !== 'auto') {
        idleProbe?.abort();
        idleProbe = null;
      }
      void backends.prefer(msg.preference);
      break;
  }
};
