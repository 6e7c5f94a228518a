// The run controller, the page's side of the training worker: forwards the worker's messages to
// the store, and turns the user's actions (train, pause, stop, resume a stored run, export a
// model) into messages. Components call its methods (through the lab, src/ui/lab.ts); they never
// touch the worker themselves. When the GPU device is lost, the worker (and its TensorFlow.js) is
// replaced and the run resumed from its last checkpoint. The worker's lifecycle (start, errors,
// terminate, kill timer) is a WorkerHost. Importing this file starts nothing: createRunController,
// called once by createLab, makes the host, the render clock and the store subscription.
import type { BackendPreference, FromWorker, ToWorker } from '../worker/protocol.ts';
import {
  attentionOptionsOf,
  configRequestOf,
  dataOptionsOf,
  DEFAULT_SETTINGS,
  demoImagesPerSecond,
  demoSizedNotice,
  draftOf,
  parseAttentionPick,
  parseSettings,
  sizedDemoSettings,
} from './settings.ts';
import { BACKEND_LABELS, type BackendName, type ProbeReport } from '../worker/protocol.ts';
import type { AttentionOptions, ConfigRequest, DataOptions, WeightsChoice } from '../engine/run-request.ts';
import type { Settings } from './settings.ts';
import { isRunning, useRun } from './current-run-store.ts';
import { useBackend } from './backend-store.ts';
import { useSettings } from './settings-store.ts';
import { receiveWorkerMessage, receiveWorkerMessages, workerFailed } from './worker-messages.ts';
import { useStoredRuns } from './stored-runs-store.ts';
import { useNotices } from './notices-store.ts';
import { useData } from './data-store.ts';
import { useWeights } from './weights-store.ts';
import { markStopped, newRunKey } from '../storage/run-store.ts';
import { refreshStoredRuns } from './run/stored-runs.ts';
import { downloadBlob } from './export/download.ts';
import { modelFileName } from './export/run-export.ts';
import { WorkerHost } from './worker-host.ts';
import { isSoftwareAdapter } from '../worker/software-adapter.ts';
import { RenderClock } from './render-clock.ts';
import {
  dataProblem,
  memoryProblem,
  longRunProblem,
  refusalProblem,
  heavierThanStandIn,
  softwareGpuProblem,
  settingsProblem,
  weightsProblem,
  type StartFix,
  type StartProblem,
} from './run/start-problem.ts';
import { showStartProblem } from './run/start-problem-store.ts';
import { weightsFor } from './run/preset-match.ts';
import { FirstStepWatch, firstStepEstimateMs } from './run/first-step-watch.ts';
import { duration } from './format.ts';
import type { Arch } from '../engine/resnet-layout.ts';

/** How long a stop may take before the worker is terminated (a step on a slow backend can be long). */
const STOP_GRACE_MS = 30_000;
/**
 * Before the first step, a stop does not wait for a step to end: the worker is told (it loses its
 * GPU device, so that nothing more reaches the GPU), then terminated after this grace and replaced.
 */
const FIRST_STEP_STOP_GRACE_MS = 3_000;
/** Automatic resumes after lost GPU devices, per run, before asking the user. */
const MAX_AUTO_RESUMES = 2;

/** The problem a run refused before it started shows in the run bar. */
function notStartedProblem(msg: Extract<FromWorker, { type: 'error' }>): StartProblem {
  if (msg.refusal) return refusalProblem(msg.refusal, (arch) => weightsForArch(arch) === null);
  if (msg.fitBatch !== undefined) return memoryProblem(msg.message, msg.fitBatch);
  return { message: `${msg.message.charAt(0).toUpperCase()}${msg.message.slice(1)}.`, fix: null };
}

/** The imported weights a run with `arch` would use: the selected ones if they fit, else the newest that do (null: random init). */
function weightsForArch(arch: Arch): string | null {
  const w = useWeights.getState();
  const width = Number(useSettings.getState().draft.width);
  if (w.selectedRecord && w.selectedRecord.arch === arch && w.selectedRecord.width === width) return w.selectedRecord.key;
  return weightsFor(w.records, arch, width)?.key ?? null;
}

/** A run begins: the current run starts over, and the form's errors are cleared. */
function beginRun(id: number, settings: Settings | null, runKey: string): void {
  useRun.getState().beginRun(id, settings, runKey);
  useSettings.getState().setErrors({});
}

/** The run controller's methods (one per lab: createLab). */
export type RunController = ReturnType<typeof createRunController>;

/** Makes the training worker's host (the worker starts on first use), the render clock and the store subscription. */
export function createRunController() {
  let nextRunId = 1;
  const autoResumes = new Map<string, number>();

  // A failed worker is reported, not terminated.
  const host = new WorkerHost<ToWorker, FromWorker>({
    create: () => new Worker(new URL('../../workers/train.worker.ts', import.meta.url), { type: 'module', name: 'eac-train' }),
    label: 'training',
    onMessage,
    onError: (message) => workerFailed(message),
    onMessageError: (message) => workerFailed(message),
  });

  function send(msg: ToWorker): void {
    host.send(msg);
  }

  // Step points and progress are held and applied together once per tick of the render clock, so the
  // page renders once per tick however many messages arrived; any other message applies them first.
  let held: FromWorker[] = [];

  function applyHeld(): void {
    const msgs = held;
    held = [];
    if (msgs.length) receiveWorkerMessages(msgs);
  }

  /** The page's render clock (src/ui/render-clock.ts); charts follow its beat. */
  const renderClock = new RenderClock({ flush: applyHeld });

  function onMessage(msg: FromWorker): void {
    if (msg.type === 'step' || msg.type === 'progress') {
      if (msg.type === 'step') firstStepWatch.clear();
      held.push(msg);
      renderClock.held();
      return;
    }
    renderClock.flushNow();
    if (msg.type === 'labels-export') {
      const record = useStoredRuns.getState().stored.records.find((r) => r.key === msg.runKey);
      const fileName = record ? modelFileName(record, null).replace(/\.safetensors$/, '-labels.txt') : msg.fileName;
      if (msg.text !== null) downloadBlob(new Blob([msg.text], { type: 'text/plain' }), fileName);
      else useNotices.getState().setExportError(msg.error);
      return;
    }
    if (msg.type === 'model-export') {
      // Named like the run's CSVs (the worker only knows the run's key).
      const record = useStoredRuns.getState().stored.records.find((r) => r.key === msg.runKey);
      const fileName = record ? modelFileName(record, record.checkpointEpoch) : msg.fileName;
      if (msg.bytes) downloadBlob(new Blob([msg.bytes as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' }), fileName);
      else useNotices.getState().setExportError(msg.error);
      return;
    }
    const run = useRun.getState().run;
    const ended = (msg.type === 'done' || msg.type === 'error') && msg.runId === run.id;
    if (ended) {
      host.cancelKill();
      firstStepWatch.clear();
    }
    // Refused before it started (Auto found no fast backend that holds it, the step does not fit the
    // device, …): shown where Train is, and only there, with the fixes.
    if (msg.type === 'error' && msg.runId === run.id && msg.notStarted) showStartProblem(notStartedProblem(msg));
    if (msg.type === 'long-run' && msg.runId === run.id && isRunning(run.status))
      showStartProblem(longRunProblem(msg.long, (arch) => weightsForArch(arch) === null));
    if (msg.type === 'first-step' && msg.runId === run.id && msg.phase === 'first-step')
      firstStepWatch.arm(msg.runId, firstStepEstimateMs(fixFirstStepMs, useBackend.getState().probe, run.settings, msg.backend ?? null));
    receiveWorkerMessage(msg);
    // A stop before the first step on WebGPU lost the worker's device: a fresh worker for the next run.
    if (ended && replaceAfterStop === msg.runId) {
      replaceAfterStop = null;
      restartWorker();
    }
    // A long run's fix stopped it: the fix starts now that it has ended.
    if (ended && fixAfterStop?.runId === msg.runId) {
      const { fix } = fixAfterStop;
      fixAfterStop = null;
      applyStartFix(fix);
    }
    if (msg.type === 'probe' && msg.runId === null) sizeDemoToProbe(msg.report);
    if (msg.type === 'error' && msg.runId === run.id && msg.kind === 'device-lost') recoverFromDeviceLoss();
    if (msg.type === 'checkpoint' || msg.type === 'done' || msg.type === 'error' || msg.type === 'started') void refreshStoredRuns();
  }

  /** A long run's fix, applied once the run it stops has ended. */
  let fixAfterStop: { runId: number; fix: StartFix } | null = null;
  /** The run stopped before its first step on WebGPU: its worker is replaced once the run has ended. */
  let replaceAfterStop: number | null = null;
  /** The first step's estimate (ms) for the next run, when a fix started it; else the probe's warm-up or nothing. */
  let nextFirstStepEstimateMs: number | null = null;

  /**
   * The first step's watchdog: a run whose first step does not come within firstStepBoundMs of the
   * worker's "first step" phase is stopped with a reason (a GPU emulated in software can compile
   * for many minutes), its worker terminated and replaced.
   */
  const firstStepWatch = new FirstStepWatch({
    setTimer: (fn, ms) => setTimeout(fn, ms),
    clearTimer: (t) => clearTimeout(t as ReturnType<typeof setTimeout>),
    onTimeout: (runId, boundMs) => {
      const { run } = useRun.getState();
      const { backend } = useBackend.getState();
      if (run.id !== runId || !isRunning(run.status) || run.steps.length > 0) return;
      const on = backend.name ? ` on ${BACKEND_LABELS[backend.name]}${backend.adapter ? ` (${backend.adapter})` : ''}` : '';
      showStartProblem({
        title: 'Stopped:',
        message: `The first step did not come within ${duration(boundMs / 1000)}${on}, so the run was stopped and its worker replaced. Choose a smaller model or input size, or another backend under Train on.`,
        fix: null,
      });
      stopRun(`no first step within ${duration(boundMs / 1000)}`);
    },
  });
  /** The first step's estimate of the run just started from a fix (null: none). */
  let fixFirstStepMs: number | null = null;

  let probedWhileIdle = false;

  /**
   * Once the worker's first backend is up and the choice is Auto, the worker probes the form's model
   * while the user reads the page: Train then finds the result cached (a Train during the probe
   * interrupts it).
   */
  function probeWhileIdle(): void {
    const s = { ...useBackend.getState(), run: useRun.getState().run, draft: useSettings.getState().draft };
    if (probedWhileIdle || s.backendPref !== 'auto' || s.backend.status !== 'ready' || isRunning(s.run.status)) return;
    const parsed = parseSettings(s.draft);
    if (!parsed.settings) return;
    probedWhileIdle = true;
    const { arch, width, size, batchSize, method } = parsed.settings;
    send({ type: 'probe-backends', shape: { arch, width, size, batchSize, method } });
  }
  const unsubscribe = useBackend.subscribe((s, prev) => {
    if (s.backend.status !== prev.backend.status) probeWhileIdle();
  });

  /** The untouched Quick demo on the demo faces, before any run: sized to the speed the probe measured. */
  function sizeDemoToProbe(report: ProbeReport): void {
    const { draft } = useSettings.getState();
    const untouched = (Object.keys(draft) as (keyof typeof draft)[]).every((k) => draft[k] === draftOf(DEFAULT_SETTINGS)[k]);
    if (!untouched || useRun.getState().run.status !== 'idle' || useData.getState().selected.kind !== 'demo') return;
    const ips = demoImagesPerSecond(report);
    const sized = sizedDemoSettings(ips);
    const notice = demoSizedNotice(sized, ips, BACKEND_LABELS[report.chosen]);
    if (!notice) return;
    useSettings.getState().replaceDraft(draftOf(sized));
    useNotices.getState().setNotice(notice);
  }

  /** Starts the worker (it picks its backend at once: the one the user named, if any). Safe to call repeatedly. */
  function ensureWorker(): Worker {
    const w = host.ensure();
    const pref = useBackend.getState().backendPref;
    if (pref !== 'auto') send({ type: 'prefer-backend', preference: pref });
    return w;
  }

  /** The user's backend choice: a named backend is started now (between runs); 'auto' probes at the next Train. */
  function setBackendPreference(pref: BackendPreference): void {
    useBackend.getState().setBackendPref(pref);
    if (pref !== 'auto') send({ type: 'prefer-backend', preference: pref });
  }

  /** Replaces the worker: a fresh TensorFlow.js and backend (after a lost device or a hung stop). */
  function restartWorker(): void {
    renderClock.flushNow();
    host.drop();
    useBackend.getState().resetBackend();
    ensureWorker();
  }

  /** Validates the form and starts a run; returns false (and shows why, with a fix where there is one) if it cannot start. */
  function startRun(opts: { backend?: BackendName; backendReason?: string; softwareGpuAsked?: boolean } = {}): boolean {
    const state = useSettings.getState();
    if (isRunning(useRun.getState().run.status)) return false;
    const refuse = (problem: StartProblem | null): false => {
      showStartProblem(problem);
      return false;
    };
    const parsed = parseSettings(state.draft);
    if (!parsed.settings) {
      state.setErrors(parsed.errors);
      return refuse(settingsProblem(parsed.errors));
    }
    const settings = parsed.settings;
    const pick = parseAttentionPick(state.attentionPick);
    if (pick.error) {
      state.setAttentionPickError(pick.error);
      return refuse({ message: `Attention samples: ${pick.error}.`, fix: null });
    }
    const weights = useWeights.getState();
    const record = weights.selected ? weights.selectedRecord : null;
    const mismatch = weightsProblem(record, settings);
    if (mismatch && record) {
      state.setErrors(
        record.arch === settings.arch && record.width === settings.width
          ? {
              layout: `the selected weights are in the ${mismatch.fix?.kind === 'backbone' ? mismatch.fix.layout : ''} layout: choose it, or random init`,
            }
          : { arch: `the selected weights are a ${record.arch} of width ${record.width}: choose that backbone and width, or random init` },
      );
      return refuse(mismatch);
    }
    const data = useData.getState();
    const noData = dataProblem(data.selected, data.datasets, data.datasetsStatus);
    if (noData) return refuse(noData);
    // WebGPU named under Train on, on a GPU emulated on the CPU: a heavy first step is asked about once.
    const { backend, backendPref } = useBackend.getState();
    const software = backendPref === 'webgpu' && backend.name === 'webgpu' && isSoftwareAdapter(backend.adapter);
    if (software && !opts.softwareGpuAsked && opts.backend === undefined && heavierThanStandIn(settings))
      return refuse(softwareGpuProblem(settings, backend.adapter ?? 'a software adapter'));
    showStartProblem(null);
    const id = nextRunId++;
    const runKey = newRunKey();
    useNotices.getState().setNotice(null);
    beginRun(id, settings, runKey);
    fixFirstStepMs = nextFirstStepEstimateMs;
    nextFirstStepEstimateMs = null;
    send({
      type: 'start',
      runId: id,
      runKey,
      config: configRequestOf(settings),
      data: dataOptionsOf(settings, data.selected),
      weights: weights.selected,
      attention: attentionOptionsOf(settings, pick.indices),
      backend: opts.backend ?? useBackend.getState().backendPref,
      backendReason: opts.backendReason,
    });
    return true;
  }

  /** Applies a start problem's one-click fix; true when the settings changed (the problem is gone). */
  function applyStartFix(fix: StartFix): boolean {
    const lab = useSettings.getState();
    if (fix.kind === 'backbone') {
      lab.setDraft('arch', fix.arch);
      lab.setDraft('width', String(fix.width));
      if (fix.layout) lab.setDraft('layout', fix.layout);
    } else if (fix.kind === 'demo-data') {
      useData.getState().select({ kind: 'demo' });
    } else if (fix.kind === 'backend') {
      // One click: that backend from now on, and the run starts there.
      setBackendPreference(fix.backend);
      showStartProblem(null);
      startRun({ backend: fix.backend });
      return true;
    } else if (fix.kind === 'software-anyway') {
      showStartProblem(null);
      startRun({ softwareGpuAsked: true });
      return true;
    } else if (fix.kind === 'batch') {
      // One click: the batch that fits, and the run starts.
      lab.setDraft('batchSize', String(fix.batchSize));
      showStartProblem(null);
      startRun();
      return true;
    } else if (fix.kind === 'run') {
      const run = useRun.getState().run;
      if (isRunning(run.status)) {
        // A long run's fix: stop it (kept, resumable), then train the fix (onMessage, once it has ended).
        fixAfterStop = { runId: run.id, fix };
        showStartProblem(null);
        stopRun();
        return true;
      }
      // One click: the fix's settings in the form (and weights that fit its backbone), and the run starts.
      const { arch, size, batchSize, epochs } = fix.changes;
      if (arch !== undefined) {
        lab.setDraft('arch', arch);
        useWeights.getState().select(weightsForArch(arch));
      }
      if (size !== undefined) lab.setDraft('size', String(size));
      if (batchSize !== undefined) lab.setDraft('batchSize', String(batchSize));
      if (epochs !== undefined) lab.setDraft('epochs', String(epochs));
      if (fix.changes.trainCount !== undefined) {
        // Fewer demo faces to train on, and a test split no larger than a third of them (at least 96).
        const test = Math.min(
          Number(lab.draft.testCount) || Number.POSITIVE_INFINITY,
          Math.max(96, Math.round(fix.changes.trainCount / 3)),
        );
        lab.setDraft('trainCount', String(fix.changes.trainCount));
        lab.setDraft('testCount', String(test));
      }
      showStartProblem(null);
      nextFirstStepEstimateMs = fix.firstStepMs;
      // On the backend the fix was estimated for (Auto measured it): no second probe.
      startRun({
        backend: fix.backend,
        backendReason:
          fix.backendReason ??
          `${BACKEND_LABELS[fix.backend]}: Auto refused the settings asked for (no fast backend could hold them) and this fix was estimated on it.`,
      });
      return true;
    } else {
      const el = document.getElementById(`setting-${fix.key}`);
      el?.scrollIntoView({ block: 'center' });
      el?.focus();
      return false;
    }
    showStartProblem(null);
    return true;
  }

  /**
   * Starts a run asked for by the caller rather than the form (a sweep's cell); returns its run key,
   * or null while a run trains. The request is the worker's to check, as a resumed run's is.
   */
  function startRequestedRun(
    request: { config: ConfigRequest; data: DataOptions; weights: WeightsChoice | null; attention: AttentionOptions },
    settings: Settings,
  ): string | null {
    if (isRunning(useRun.getState().run.status)) return null;
    const id = nextRunId++;
    const runKey = newRunKey();
    beginRun(id, settings, runKey);
    send({ type: 'start', runId: id, runKey, ...request, backend: useBackend.getState().backendPref });
    return runKey;
  }

  /** Continues a stored run from its last checkpoint (after a reload, a crash or a lost device). */
  function resumeRun(runKey: string): boolean {
    if (isRunning(useRun.getState().run.status)) return false;
    const id = nextRunId++;
    beginRun(id, null, runKey);
    // The worker takes the configuration, data and weights from the run store.
    send({ type: 'resume', runId: id, runKey });
    return true;
  }

  function recoverFromDeviceLoss(): void {
    const { run } = useRun.getState();
    const { setNotice } = useNotices.getState();
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

  function setPaused(paused: boolean): void {
    const { run, markPaused } = useRun.getState();
    if (!isRunning(run.status) || run.status === 'stopping') return;
    markPaused(paused);
    send({ type: 'pause', runId: run.id, paused });
  }

  /** Asks the worker to checkpoint the running run after its current step (the page is being hidden or unloaded). */
  function checkpointNow(): void {
    const { run } = useRun.getState();
    if (!isRunning(run.status) || run.status === 'stopping' || run.paused) return;
    send({ type: 'checkpoint-now', runId: run.id });
  }

  /**
   * Checkpoints the running run when the tab is hidden or the page unloads (where the browser gives
   * the worker the time: a hidden tab does, an unload mostly not; the cadence bounds the rest).
   * Returns the function that removes the listeners.
   */
  function checkpointOnHide(): () => void {
    const onHidden = () => {
      if (document.visibilityState === 'hidden') checkpointNow();
    };
    document.addEventListener('visibilitychange', onHidden);
    window.addEventListener('pagehide', checkpointNow);
    return () => {
      document.removeEventListener('visibilitychange', onHidden);
      window.removeEventListener('pagehide', checkpointNow);
    };
  }

  /**
   * Asks the worker to stop after the current step; terminates it if it does not answer in time.
   * Before the first step the wait is short (FIRST_STEP_STOP_GRACE_MS), and a WebGPU worker is
   * replaced in any case (it loses its device to stop). `why`: the lab stopped it (the watchdog).
   */
  function stopRun(why?: string): void {
    const state = useRun.getState();
    if (!isRunning(state.run.status) || state.run.status === 'stopping') return;
    const id = state.run.id;
    const beforeFirstStep = state.run.steps.length === 0;
    const grace = beforeFirstStep ? FIRST_STEP_STOP_GRACE_MS : STOP_GRACE_MS;
    if (beforeFirstStep && useBackend.getState().backend.name === 'webgpu') replaceAfterStop = id;
    firstStepWatch.clear();
    state.markStopping();
    send({ type: 'stop', runId: id });
    host.killAfter(
      grace,
      () => useRun.getState().run.id === id && useRun.getState().run.status === 'stopping',
      () => {
        const key = useRun.getState().run.runKey;
        replaceAfterStop = null;
        useRun.getState().markKilled(why ?? `the worker did not stop within ${duration(grace / 1000)} and was terminated`);
        restartWorker();
        // The terminated worker left the record "running": the user stopped it, so it is "stopped", not "interrupted".
        if (key) void markStopped(key).then(refreshStoredRuns, (e) => console.warn('[eac] could not mark the run stopped', e));
      },
    );
  }

  /** Downloads a stored run's last checkpoint as safetensors with the official EAC key names. */
  function exportModel(runKey: string): void {
    send({ type: 'export-model', runKey });
  }

  /** Downloads the labels a stored run trained on (its noise applied) as a `name label` file. */
  function exportLabels(runKey: string): void {
    send({ type: 'export-labels', runKey });
  }

  /** Tests and demonstrations: makes the worker lose its WebGPU device. */
  function loseDevice(): void {
    send({ type: 'lose-device' });
  }

  return {
    renderClock,
    ensureWorker,
    setBackendPreference,
    startRun,
    applyStartFix,
    startRequestedRun,
    resumeRun,
    setPaused,
    checkpointNow,
    checkpointOnHide,
    stopRun,
    exportModel,
    exportLabels,
    loseDevice,
    refreshStoredRuns,
    /** Ends the store subscription and the worker (tests; the page lives as long as its lab). */
    dispose(): void {
      unsubscribe();
      firstStepWatch.clear();
      host.drop();
    },
  };
}
