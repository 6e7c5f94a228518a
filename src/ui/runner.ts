// The page's side of the training worker: creates it, forwards its messages to the store, and
// turns the user's actions (train, pause, stop, resume a stored run, export a model) into
// messages. Components call these functions; they never touch the worker themselves. When the
// GPU device is lost, the worker (and its TensorFlow.js) is replaced and the run resumed from its
// last checkpoint. The worker's lifecycle (start, errors, terminate, kill timer) is a WorkerHost.
import type { FromWorker, ToWorker } from '../worker/protocol.ts';
import type { AttentionOptions, ConfigRequest, DataOptions, WeightsChoice } from '../engine/run-request.ts';
import type { Settings } from './settings.ts';
import { attentionOptionsOf, configRequestOf, dataOptionsOf, parseAttentionPick, parseSettings } from './settings.ts';
import { isRunning, useLab } from './store.ts';
import { useData } from './data-store.ts';
import { useWeights } from './weights-store.ts';
import { isInterrupted, listRuns, liveRunKeys, newRunKey, type RunRecord } from '../storage/run-store.ts';
import { downloadBlob } from './export/download.ts';
import { WorkerHost } from './worker-host.ts';

/** How long a stop may take before the worker is terminated (a step on a slow backend can be long). */
const STOP_GRACE_MS = 30_000;
/** Automatic resumes after lost GPU devices, per run, before asking the user. */
const MAX_AUTO_RESUMES = 2;

let nextRunId = 1;
const autoResumes = new Map<string, number>();

// A failed worker is reported, not terminated.
const host = new WorkerHost<ToWorker, FromWorker>({
  create: () => new Worker(new URL('../../workers/train.worker.ts', import.meta.url), { type: 'module', name: 'eac-train' }),
  label: 'training',
  onMessage,
  onError: (message) => useLab.getState().workerFailed(message),
  onMessageError: (message) => useLab.getState().workerFailed(message),
});

function send(msg: ToWorker): void {
  host.send(msg);
}

/**
 * Step points and progress arrive several times a second; each store update re-renders the
 * progress panel and the loss chart. They are held for at most this long and applied together,
 * so the page renders once per batch. Any other message applies the held ones first.
 */
const BATCH_MS = 250;
let held: FromWorker[] = [];
let heldTimer: ReturnType<typeof setTimeout> | null = null;

function applyHeld(): void {
  if (heldTimer !== null) clearTimeout(heldTimer);
  heldTimer = null;
  const msgs = held;
  held = [];
  if (msgs.length) useLab.getState().receiveAll(msgs);
}

function onMessage(msg: FromWorker): void {
  if (msg.type === 'step' || msg.type === 'progress') {
    held.push(msg);
    heldTimer ??= setTimeout(applyHeld, BATCH_MS);
    return;
  }
  applyHeld();
  const lab = useLab.getState();
  if (msg.type === 'model-export') {
    if (msg.bytes) downloadBlob(new Blob([msg.bytes as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' }), msg.fileName);
    else lab.setExportError(msg.error);
    return;
  }
  if ((msg.type === 'done' || msg.type === 'error') && msg.runId === lab.run.id) host.cancelKill();
  lab.receive(msg);
  if (msg.type === 'error' && msg.runId === lab.run.id && msg.kind === 'device-lost') recoverFromDeviceLoss();
  if (msg.type === 'checkpoint' || msg.type === 'done' || msg.type === 'error' || msg.type === 'started') void refreshStoredRuns();
}

/** Starts the worker (it picks its backend at once). Safe to call repeatedly. */
export function ensureWorker(): Worker {
  return host.ensure();
}

/** Replaces the worker: a fresh TensorFlow.js and backend (after a lost device or a hung stop). */
function restartWorker(): void {
  applyHeld();
  host.drop();
  useLab.getState().resetBackend();
  host.ensure();
}

/** Validates the form and starts a run; returns false (and shows the errors) if the form is invalid. */
export function startRun(): boolean {
  const state = useLab.getState();
  if (isRunning(state.run.status)) return false;
  const parsed = parseSettings(state.draft);
  if (!parsed.settings) {
    state.setErrors(parsed.errors);
    return false;
  }
  const settings = parsed.settings;
  const pick = parseAttentionPick(state.attentionPick);
  if (pick.error) {
    useLab.setState({ attentionPickError: pick.error });
    return false;
  }
  const weights = useWeights.getState();
  const record = weights.selected ? weights.selectedRecord : null;
  if (record && (record.arch !== settings.arch || record.width !== settings.width)) {
    state.setErrors({
      arch: `the selected weights are a ${record.arch} of width ${record.width}: choose that backbone and width, or random init`,
    });
    return false;
  }
  const id = nextRunId++;
  const runKey = newRunKey();
  state.setNotice(null);
  state.beginRun(id, settings, runKey);
  send({
    type: 'start',
    runId: id,
    runKey,
    config: configRequestOf(settings),
    data: dataOptionsOf(settings, useData.getState().selected),
    weights: weights.selected,
    attention: attentionOptionsOf(settings, pick.indices),
  });
  return true;
}

/**
 * Starts a run asked for by the caller rather than the form (a sweep's cell); returns its run key,
 * or null while a run trains. The request is the worker's to check, as a resumed run's is.
 */
export function startRequestedRun(
  request: { config: ConfigRequest; data: DataOptions; weights: WeightsChoice | null; attention: AttentionOptions },
  settings: Settings,
): string | null {
  const state = useLab.getState();
  if (isRunning(state.run.status)) return null;
  const id = nextRunId++;
  const runKey = newRunKey();
  state.beginRun(id, settings, runKey);
  send({ type: 'start', runId: id, runKey, ...request });
  return runKey;
}

/** Continues a stored run from its last checkpoint (after a reload, a crash or a lost device). */
export function resumeRun(runKey: string): boolean {
  const state = useLab.getState();
  if (isRunning(state.run.status)) return false;
  const id = nextRunId++;
  state.beginRun(id, null, runKey);
  // The worker takes the configuration, data and weights from the run store.
  send({ type: 'resume', runId: id, runKey });
  return true;
}

function recoverFromDeviceLoss(): void {
  const { run, setNotice } = useLab.getState();
  restartWorker();
  const key = run.runKey;
  if (!key || run.checkpointEpoch === null) return;
  const n = autoResumes.get(key) ?? 0;
  if (n >= MAX_AUTO_RESUMES) return;
  autoResumes.set(key, n + 1);
  const why = /\(([^)]*)\)/.exec(run.error ?? '')?.[1];
  setNotice(
    `The GPU device was lost${why ? ` (${why})` : ''}. The lab restarted its worker with a fresh TensorFlow.js and resumed the run from the checkpoint of epoch ${run.checkpointEpoch}.`,
  );
  resumeRun(key);
}

export function setPaused(paused: boolean): void {
  const { run, markPaused } = useLab.getState();
  if (!isRunning(run.status) || run.status === 'stopping') return;
  markPaused(paused);
  send({ type: 'pause', runId: run.id, paused });
}

/** Asks the worker to stop after the current step; terminates it if it does not answer in time. */
export function stopRun(): void {
  const state = useLab.getState();
  if (!isRunning(state.run.status) || state.run.status === 'stopping') return;
  const id = state.run.id;
  state.markStopping();
  send({ type: 'stop', runId: id });
  host.killAfter(
    STOP_GRACE_MS,
    () => useLab.getState().run.id === id && useLab.getState().run.status === 'stopping',
    () => {
      useLab.getState().markKilled(`the worker did not stop within ${STOP_GRACE_MS / 1000} s and was terminated`);
      restartWorker();
    },
  );
}

/** Downloads a stored run's last checkpoint as safetensors with the official EAC key names. */
export function exportModel(runKey: string): void {
  send({ type: 'export-model', runKey });
}

/** Tests and demonstrations: makes the worker lose its WebGPU device. */
export function loseDevice(): void {
  send({ type: 'lose-device' });
}

/** Re-reads the run store (runs of this and other tabs, and which are alive). */
export async function refreshStoredRuns(): Promise<void> {
  try {
    const [records, live] = await Promise.all([listRuns(), liveRunKeys()]);
    useLab.getState().setStored({ records, live: [...live] });
  } catch (e) {
    console.warn('[eac] could not read the run store', e);
  }
}

/** Stored runs a reload, crash or lost device interrupted, that have a checkpoint to resume from. */
export function resumableRuns(records: RunRecord[], live: string[], currentKey: string | null): RunRecord[] {
  const liveSet = new Set(live);
  return records.filter(
    (r) =>
      r.key !== currentKey &&
      r.checkpointEpoch !== null &&
      (isInterrupted(r, liveSet) || (r.status === 'stopped' && r.checkpointEpoch < r.request.config.epochs)),
  );
}
