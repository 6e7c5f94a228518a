// The page's side of the worker: creates the training worker, forwards its messages to the store,
// and turns the form into `start`/`stop` messages. Components call these functions; they never
// touch the worker themselves.
import type { FromWorker, ToWorker } from '../worker/protocol.ts';
import { configRequestOf, dataOptionsOf, parseSettings } from './settings.ts';
import { isRunning, useLab } from './store.ts';

/** How long a stop may take before the worker is terminated (a step on a slow backend can be long). */
const STOP_GRACE_MS = 30_000;

let worker: Worker | null = null;
let nextRunId = 1;
let killTimer: ReturnType<typeof setTimeout> | null = null;

function send(msg: ToWorker): void {
  ensureWorker().postMessage(msg);
}

/** Starts the worker (it picks its backend at once). Safe to call repeatedly. */
export function ensureWorker(): Worker {
  if (worker) return worker;
  const w = new Worker(new URL('../../workers/train.worker.ts', import.meta.url), { type: 'module', name: 'eac-train' });
  w.onmessage = (ev: MessageEvent<FromWorker>) => {
    const msg = ev.data;
    if ((msg.type === 'done' || msg.type === 'error') && msg.runId === useLab.getState().run.id) clearKillTimer();
    useLab.getState().receive(msg);
  };
  w.onerror = (ev: ErrorEvent) => {
    ev.preventDefault();
    useLab.getState().workerFailed(`the training worker failed: ${ev.message || 'could not load or crashed (see the console)'}`);
  };
  w.onmessageerror = () => useLab.getState().workerFailed('a message from the training worker could not be read');
  worker = w;
  return w;
}

function clearKillTimer(): void {
  if (killTimer !== null) clearTimeout(killTimer);
  killTimer = null;
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
  const id = nextRunId++;
  state.beginRun(id, parsed.settings);
  send({ type: 'start', runId: id, config: configRequestOf(parsed.settings), data: dataOptionsOf(parsed.settings) });
  return true;
}

/** Asks the worker to stop after the current step; terminates it if it does not answer in time. */
export function stopRun(): void {
  const state = useLab.getState();
  if (!isRunning(state.run.status) || state.run.status === 'stopping') return;
  const id = state.run.id;
  state.markStopping();
  send({ type: 'stop', runId: id });
  clearKillTimer();
  killTimer = setTimeout(() => {
    killTimer = null;
    const s = useLab.getState();
    if (s.run.id !== id || s.run.status !== 'stopping') return;
    worker?.terminate();
    worker = null;
    s.markKilled(`the worker did not stop within ${STOP_GRACE_MS / 1000} s and was terminated`);
    s.resetBackend();
    ensureWorker();
  }, STOP_GRACE_MS);
}
