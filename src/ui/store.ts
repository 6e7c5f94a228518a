// The lab's state (zustand), kept apart from the components: the settings form, the backend the
// worker chose, and the current run (progress, step losses, per-epoch metrics). Worker messages
// come in through `receive`, which ignores anything about a run other than the current one.
import { create } from 'zustand';
import type { EpochMetrics, RunSummary, StepLog } from '../engine/trainer.ts';
import type { BackendAttempt, BackendName, FromWorker, ProgressMessage, StartedMessage } from '../worker/protocol.ts';
import { DEFAULT_SETTINGS, draftOf, type Settings, type SettingsDraft, type SettingsErrors } from './settings.ts';

export type RunStatus = 'idle' | 'starting' | 'data' | 'training' | 'evaluating' | 'stopping' | 'done' | 'stopped' | 'error';

export interface BackendState {
  status: 'pending' | 'ready' | 'failed';
  name: BackendName | null;
  adapter: string | null;
  reason: string | null;
  attempts: BackendAttempt[];
}

export interface RunState {
  id: number;
  status: RunStatus;
  /** The settings the run was started with. */
  settings: Settings | null;
  /** The worker's answer: the full configuration and the data actually used. */
  started: Omit<StartedMessage, 'type' | 'runId'> | null;
  progress: ProgressMessage | null;
  steps: StepLog[];
  epochs: EpochMetrics[];
  summary: RunSummary | null;
  error: string | null;
  startedAt: number | null;
}

export interface LabState {
  draft: SettingsDraft;
  errors: SettingsErrors;
  backend: BackendState;
  run: RunState;
  /** A problem not tied to a run (no backend, worker crashed). */
  workerError: string | null;
  setDraft: <K extends keyof SettingsDraft>(key: K, value: SettingsDraft[K]) => void;
  setErrors: (errors: SettingsErrors) => void;
  beginRun: (id: number, settings: Settings) => void;
  markStopping: () => void;
  /** The worker did not answer a stop in time and was terminated. */
  markKilled: (message: string) => void;
  resetBackend: () => void;
  receive: (msg: FromWorker) => void;
  workerFailed: (message: string) => void;
}

const emptyRun = (id = 0): RunState => ({
  id, status: 'idle', settings: null, started: null, progress: null, steps: [], epochs: [], summary: null, error: null, startedAt: null,
});

const pendingBackend: BackendState = { status: 'pending', name: null, adapter: null, reason: null, attempts: [] };

export function isRunning(status: RunStatus): boolean {
  return status === 'starting' || status === 'data' || status === 'training' || status === 'evaluating' || status === 'stopping';
}

/** The run after one worker message (pure; exported for tests). */
export function reduceRun(run: RunState, msg: FromWorker): RunState {
  if (msg.type === 'backend' || msg.runId !== run.id || run.id === 0) return run;
  const stopping = run.status === 'stopping';
  switch (msg.type) {
    case 'started': {
      const { type: _t, runId: _r, ...started } = msg;
      // Sent again when the worker restarts the run on another backend: start over.
      return { ...run, started, steps: [], epochs: [], progress: null, status: stopping ? 'stopping' : 'starting' };
    }
    case 'progress': {
      const status: RunStatus = stopping ? 'stopping' : msg.phase === 'data' ? 'data' : msg.phase === 'evaluate' ? 'evaluating' : 'training';
      return { ...run, status, progress: msg };
    }
    case 'step':
      return { ...run, steps: run.steps.concat(msg.points) };
    case 'epoch':
      return { ...run, epochs: run.epochs.concat([msg.metrics]), status: stopping ? 'stopping' : 'training' };
    case 'done':
      return { ...run, summary: msg.summary, status: msg.summary.stoppedBy === 'cancelled' ? 'stopped' : 'done' };
    case 'error':
      return { ...run, error: msg.message, status: 'error' };
  }
}

export const useLab = create<LabState>()((set) => ({
  draft: draftOf(DEFAULT_SETTINGS),
  errors: {},
  backend: pendingBackend,
  run: emptyRun(),
  workerError: null,
  setDraft: (key, value) => set((s) => ({ draft: { ...s.draft, [key]: value }, errors: { ...s.errors, [key]: undefined } })),
  setErrors: (errors) => set({ errors }),
  beginRun: (id, settings) => set({ run: { ...emptyRun(id), status: 'starting', settings, startedAt: Date.now() }, errors: {} }),
  markStopping: () => set((s) => (isRunning(s.run.status) ? { run: { ...s.run, status: 'stopping' } } : {})),
  markKilled: (message) => set((s) => ({ run: { ...s.run, status: 'stopped', error: message } })),
  resetBackend: () => set({ backend: pendingBackend, workerError: null }),
  receive: (msg) =>
    set((s) => {
      if (msg.type === 'backend') {
        return { backend: { status: 'ready', name: msg.name, adapter: msg.adapter, reason: msg.reason, attempts: msg.attempts } };
      }
      if (msg.type === 'error' && msg.runId === null) {
        return { workerError: msg.message, backend: { ...s.backend, status: s.backend.status === 'pending' ? 'failed' : s.backend.status } };
      }
      const run = reduceRun(s.run, msg);
      return run === s.run ? {} : { run };
    }),
  workerFailed: (message) =>
    set((s) => ({
      workerError: message,
      run: isRunning(s.run.status) ? { ...s.run, status: 'error', error: message } : s.run,
      backend: s.backend.status === 'pending' ? { ...s.backend, status: 'failed' } : s.backend,
    })),
}));
