// The lab's state (zustand), kept apart from the components: the settings form, the backend the
// worker chose, and the current run (progress, step losses, per-epoch metrics). Worker messages
// come in through `receive`, which ignores anything about a run other than the current one.
import type { DeviceMemory } from '../engine/memory-fit.ts';
import { useDeferredValue } from 'react';
import { create } from 'zustand';
import type { EpochMetrics, RunSummary, StepLog } from '../engine/run-types.ts';
import type { AttentionFrame, AttentionViews } from '../engine/attention.ts';
import type {
  BackendAttempt,
  BackendName,
  BackendPreference,
  ErrorKind,
  FirstStepMessage,
  FromWorker,
  ProbeReport,
  ProgressMessage,
  StartedMessage,
} from '../worker/protocol.ts';
import type { RunRecord } from '../storage/run-store.ts';
import {
  DEFAULT_SETTINGS,
  demoImagesPerSecond,
  draftOf,
  PRESETS,
  settingsOfRun,
  sizedDemoSettings,
  type PresetName,
  type Settings,
  type SettingsDraft,
  type SettingsErrors,
} from './settings.ts';

export type RunStatus = 'idle' | 'starting' | 'data' | 'training' | 'evaluating' | 'stopping' | 'done' | 'stopped' | 'error';

export interface BackendState {
  status: 'pending' | 'ready' | 'failed';
  name: BackendName | null;
  adapter: string | null;
  reason: string | null;
  attempts: BackendAttempt[];
  versions: Record<string, string>;
  /** What a step may hold on it (src/engine/memory-fit.ts); null: not known. */
  memory: DeviceMemory | null;
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
  errorKind: ErrorKind | null;
  startedAt: number | null;
  /** The run's key in the run store (checkpoints, history). */
  runKey: string | null;
  paused: boolean;
  /** The worker holds the loop (the step in flight when the pause came has finished). */
  holding: boolean;
  /** The epoch of the last stored checkpoint (null: none yet). */
  checkpointEpoch: number | null;
  /** The stored checkpoint's step, and whether it is within an epoch (null/false: at an epoch's end or unknown). */
  checkpointStep: number | null;
  checkpointPartial: boolean;
  attention: { views: AttentionViews | null; frames: AttentionFrame[] };
  /** What the run does before its first step (starting the backend, probing, compiling), until its first step is in. */
  firstStep?: Omit<FirstStepMessage, 'type' | 'runId'> | null;
  /** Refused or failed before anything was trained: "Not started", its reason in the run bar only. */
  notStarted?: boolean;
}

/** The runs in the run store, and which of them a worker (in any tab) is training now. */
export interface StoredRuns {
  records: RunRecord[];
  live: string[];
}

export interface LabState {
  draft: SettingsDraft;
  errors: SettingsErrors;
  backend: BackendState;
  /** The backend the user asked for (Backend panel, ?backend=); 'auto': the probe's fastest. */
  backendPref: BackendPreference;
  setBackendPref: (pref: BackendPreference) => void;
  /** The last probe's report (images/s per backend for the model shape of the run that probed). */
  probe: ProbeReport | null;
  run: RunState;
  /** A problem not tied to a run (no backend, worker crashed). */
  workerError: string | null;
  stored: StoredRuns;
  setStored: (stored: StoredRuns) => void;
  /** Why the last model export failed (null: it did not). */
  exportError: string | null;
  setExportError: (message: string | null) => void;
  /** Something the lab did on its own that the user should know (e.g. resumed after a lost GPU device). */
  notice: string | null;
  setNotice: (notice: string | null) => void;
  /** The attention samples the user typed (training image numbers); empty: drawn by the seed. */
  attentionPick: string;
  attentionPickError: string | null;
  setAttentionPick: (text: string) => void;
  applyPreset: (name: PresetName) => void;
  setDraft: <K extends keyof SettingsDraft>(key: K, value: SettingsDraft[K]) => void;
  setErrors: (errors: SettingsErrors) => void;
  beginRun: (id: number, settings: Settings | null, runKey: string) => void;
  /** The user paused or let the run go on (before the worker confirms). */
  markPaused: (paused: boolean) => void;
  markStopping: () => void;
  /** The worker did not answer a stop in time and was terminated. */
  markKilled: (message: string) => void;
  resetBackend: () => void;
  receive: (msg: FromWorker) => void;
  /** Several worker messages in one store update (one render instead of one per message). */
  receiveAll: (msgs: FromWorker[]) => void;
  workerFailed: (message: string) => void;
  /** A stored run shown read-only in the run's place (the compare view's history); this tab's own last run waits in `saved`. */
  viewing: { key: string; name: string; saved: RunState } | null;
  /** Shows a stored run in the charts and attention panel; refused while this tab trains. */
  viewStoredRun: (run: RunState, name: string) => boolean;
  closeStoredRun: () => void;
}

const emptyRun = (id = 0): RunState => ({
  id,
  status: 'idle',
  settings: null,
  started: null,
  progress: null,
  steps: [],
  epochs: [],
  summary: null,
  error: null,
  errorKind: null,
  startedAt: null,
  runKey: null,
  paused: false,
  holding: false,
  checkpointEpoch: null,
  checkpointStep: null,
  checkpointPartial: false,
  attention: { views: null, frames: [] },
  firstStep: null,
});

const pendingBackend: BackendState = {
  status: 'pending',
  name: null,
  adapter: null,
  reason: null,
  attempts: [],
  versions: {},
  memory: null,
};

export function isRunning(status: RunStatus): boolean {
  return status === 'starting' || status === 'data' || status === 'training' || status === 'evaluating' || status === 'stopping';
}

/** `next`, or `prev` when both are empty: a new empty array would redraw every chart for nothing. */
const sameIfEmpty = <T>(next: T[], prev: T[]): T[] => (next.length === 0 && prev.length === 0 ? prev : next);

/** The run after one worker message (pure; exported for tests). */
export function reduceRun(run: RunState, msg: FromWorker): RunState {
  if (
    msg.type === 'backend' ||
    msg.type === 'model-export' ||
    msg.type === 'probe' ||
    msg.type === 'long-run' ||
    msg.runId !== run.id ||
    run.id === 0
  )
    return run;
  const stopping = run.status === 'stopping';
  switch (msg.type) {
    case 'started': {
      const { type: _t, runId: _r, ...started } = msg;
      // Sent again when the worker restarts the run on another backend: start over (a resumed
      // run starts from its stored history).
      return {
        ...run,
        started,
        steps: sameIfEmpty(msg.history.steps, run.steps),
        epochs: sameIfEmpty(msg.history.epochs, run.epochs),
        progress: null,
        status: stopping ? 'stopping' : 'starting',
        runKey: msg.runKey,
        checkpointEpoch: msg.resumedFrom > 0 ? msg.resumedFrom : null,
        checkpointStep: null,
        checkpointPartial: false,
        attention: { views: null, frames: [] },
      };
    }
    case 'attention-views':
      return { ...run, attention: { views: msg.views, frames: [] } };
    case 'attention': {
      const frames = run.attention.frames
        .filter((f) => f.epoch !== msg.frame.epoch)
        .concat([msg.frame])
        .sort((a, b) => a.epoch - b.epoch);
      return { ...run, attention: { ...run.attention, frames } };
    }
    case 'checkpoint':
      return { ...run, checkpointEpoch: msg.epoch, checkpointStep: msg.step, checkpointPartial: msg.partial };
    case 'paused':
      return { ...run, paused: msg.paused, holding: msg.holding };
    case 'progress': {
      const status: RunStatus = stopping
        ? 'stopping'
        : msg.phase === 'data'
          ? 'data'
          : msg.phase === 'evaluate'
            ? 'evaluating'
            : 'training';
      return { ...run, status, progress: msg };
    }
    case 'first-step': {
      const { type: _t, runId: _r, ...firstStep } = msg;
      return { ...run, firstStep };
    }
    case 'step':
      return { ...run, steps: run.steps.concat(msg.points), holding: false, firstStep: null };
    case 'epoch':
      return { ...run, epochs: run.epochs.concat([msg.metrics]), status: stopping ? 'stopping' : 'training' };
    case 'done':
      return { ...run, summary: msg.summary, status: msg.summary.stoppedBy === 'cancelled' ? 'stopped' : 'done' };
    case 'error':
      return {
        ...run,
        error: msg.message,
        errorKind: msg.kind ?? 'other',
        status: 'error',
        paused: false,
        checkpointEpoch: msg.checkpointEpoch ?? run.checkpointEpoch,
        notStarted: msg.notStarted === true,
        firstStep: null,
      };
  }
}

/** The store's fields a worker message changes (pure). */
function applyMessage(s: LabState, msg: FromWorker): Partial<LabState> {
  if (msg.type === 'backend') {
    return {
      backend: {
        status: 'ready',
        name: msg.name,
        adapter: msg.adapter,
        reason: msg.reason,
        attempts: msg.attempts,
        versions: msg.versions,
        memory: msg.memory,
      },
    };
  }
  if (msg.type === 'probe') return { probe: msg.report };
  if (msg.type === 'error' && msg.runId === null) {
    return { workerError: msg.message, backend: { ...s.backend, status: s.backend.status === 'pending' ? 'failed' : s.backend.status } };
  }
  const run = reduceRun(s.run, msg);
  if (run === s.run) return {};
  // A resumed run brings its settings from the run store: show them in the form.
  if (msg.type === 'started' && msg.resumedFrom > 0 && !s.run.settings) {
    const settings = settingsOfRun(msg.config, msg.data, Number(s.draft.attentionCount) || DEFAULT_SETTINGS.attentionCount);
    return { run: { ...run, settings }, draft: draftOf(settings) };
  }
  return { run };
}

/** The state after a worker message; the same object if nothing changed (no re-render). */
function withMessage(s: LabState, msg: FromWorker): LabState {
  const patch = applyMessage(s, msg);
  return Object.keys(patch).length ? { ...s, ...patch } : s;
}

/**
 * A store value for a heavy panel (a chart, the attention grid): it follows the store in a
 * non-blocking render that React splits into short slices, so a worker message never holds the
 * main thread for the whole redraw. Pair it with a memo'd body so the urgent render stops early.
 */
export function useLabDeferred<T>(selector: (s: LabState) => T): T {
  return useDeferredValue(useLab(selector));
}

export const useLab = create<LabState>()((set, get) => ({
  draft: draftOf(DEFAULT_SETTINGS),
  errors: {},
  backend: pendingBackend,
  backendPref: 'auto',
  setBackendPref: (backendPref) => set({ backendPref }),
  probe: null,
  run: emptyRun(),
  workerError: null,
  stored: { records: [], live: [] },
  setStored: (stored) => set({ stored }),
  exportError: null,
  setExportError: (exportError) => set({ exportError }),
  notice: null,
  setNotice: (notice) => set({ notice }),
  attentionPick: '',
  attentionPickError: null,
  setAttentionPick: (attentionPick) => set({ attentionPick, attentionPickError: null }),
  // The Quick demo is sized to the speed the last probe measured on its model (settings.ts).
  applyPreset: (name) =>
    set((s) => ({ draft: draftOf(name === 'demo' ? sizedDemoSettings(demoImagesPerSecond(s.probe)) : PRESETS[name]), errors: {} })),
  setDraft: (key, value) => set((s) => ({ draft: { ...s.draft, [key]: value }, errors: { ...s.errors, [key]: undefined } })),
  setErrors: (errors) => set({ errors }),
  beginRun: (id, settings, runKey) =>
    set({ run: { ...emptyRun(id), status: 'starting', settings, startedAt: Date.now(), runKey }, errors: {}, viewing: null }),
  markPaused: (paused) => set((s) => (isRunning(s.run.status) ? { run: { ...s.run, paused, holding: paused && s.run.holding } } : {})),
  markStopping: () => set((s) => (isRunning(s.run.status) ? { run: { ...s.run, status: 'stopping' } } : {})),
  markKilled: (message) => set((s) => ({ run: { ...s.run, status: 'stopped', error: message, firstStep: null } })),
  resetBackend: () => set({ backend: pendingBackend, workerError: null }),
  receive: (msg) => set((s) => withMessage(s, msg)),
  receiveAll: (msgs) => set((s) => msgs.reduce(withMessage, s)),
  viewing: null,
  viewStoredRun: (run, name) => {
    const s = get();
    if (isRunning(s.run.status)) return false;
    set({ run, viewing: { key: run.runKey ?? '', name, saved: s.viewing ? s.viewing.saved : s.run } });
    return true;
  },
  closeStoredRun: () => set((s) => (s.viewing ? { run: s.viewing.saved, viewing: null } : {})),
  workerFailed: (message) =>
    set((s) => ({
      workerError: message,
      run: isRunning(s.run.status) ? { ...s.run, status: 'error', error: message } : s.run,
      backend: s.backend.status === 'pending' ? { ...s.backend, status: 'failed' } : s.backend,
    })),
}));
