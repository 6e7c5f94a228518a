// The current run (zustand): its status, progress, step losses, per-epoch metrics, attention
// frames and checkpoint, as the training worker reports them; or a stored run shown read-only in
// its place (`viewing`). Worker messages reach it through worker-messages.ts, which ignores
// anything about a run other than the current one (reduceRun, pure).
import { useDeferredValue } from 'react';
import { create } from 'zustand';
import type { EpochMetrics, RunSummary, StepLog } from '../engine/run-types.ts';
import type { AttentionFrame, AttentionViews } from '../engine/attention.ts';
import type { ErrorKind, FirstStepMessage, FromWorker, ProgressMessage, StartedMessage } from '../worker/protocol.ts';
import type { Settings } from './settings.ts';

export type RunStatus = 'idle' | 'starting' | 'data' | 'training' | 'evaluating' | 'stopping' | 'done' | 'stopped' | 'error';

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

export interface CurrentRunState {
  run: RunState;
  /** A stored run shown read-only in the run's place (the compare view's history); this tab's own last run waits in `saved`. */
  viewing: { key: string; name: string; saved: RunState } | null;
  beginRun: (id: number, settings: Settings | null, runKey: string) => void;
  /** The user paused or let the run go on (before the worker confirms). */
  markPaused: (paused: boolean) => void;
  markStopping: () => void;
  /** The worker did not answer a stop in time and was terminated. */
  markKilled: (message: string) => void;
  /** Shows a stored run in the charts and attention panel; refused while this tab trains. */
  viewStoredRun: (run: RunState, name: string) => boolean;
  closeStoredRun: () => void;
}

export const emptyRun = (id = 0): RunState => ({
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
    msg.type === 'labels-export' ||
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

/**
 * A store value for a heavy panel (a chart, the attention grid): it follows the store in a
 * non-blocking render that React splits into short slices, so a worker message never holds the
 * main thread for the whole redraw. Pair it with a memo'd body so the urgent render stops early.
 */
export function useRunDeferred<T>(selector: (s: CurrentRunState) => T): T {
  return useDeferredValue(useRun(selector));
}

export const useRun = create<CurrentRunState>()((set, get) => ({
  run: emptyRun(),
  viewing: null,
  beginRun: (id, settings, runKey) =>
    set({ run: { ...emptyRun(id), status: 'starting', settings, startedAt: Date.now(), runKey }, viewing: null }),
  markPaused: (paused) => set((s) => (isRunning(s.run.status) ? { run: { ...s.run, paused, holding: paused && s.run.holding } } : {})),
  markStopping: () => set((s) => (isRunning(s.run.status) ? { run: { ...s.run, status: 'stopping' } } : {})),
  markKilled: (message) => set((s) => ({ run: { ...s.run, status: 'stopped', error: message, firstStep: null } })),
  viewStoredRun: (run, name) => {
    const s = get();
    if (isRunning(s.run.status)) return false;
    set({ run, viewing: { key: run.runKey ?? '', name, saved: s.viewing ? s.viewing.saved : s.run } });
    return true;
  },
  closeStoredRun: () => set((s) => (s.viewing ? { run: s.viewing.saved, viewing: null } : {})),
}));
