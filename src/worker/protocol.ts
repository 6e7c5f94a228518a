// The one message protocol between the page and the training worker (workers/train.worker.ts).
// Every message is a plain, structured-cloneable object tagged by `type`; both sides switch on it.
import type { DeviceMemory } from '../engine/memory-fit.ts';
import type { Method, TrainConfig } from '../engine/config.ts';
import type { Arch } from '../engine/resnet-layout.ts';
import type { Progress } from '../engine/progress.ts';
import type { AttentionOptions, ConfigRequest, DataOptions, WeightsChoice } from '../engine/run-request.ts';
import type { EpochMetrics, RunSummary, StepLog, StepTiming } from '../engine/run-types.ts';
import type { AttentionFrame, AttentionViews } from '../engine/attention.ts';
import type { LongRun, MeasuredSpeed, RunFix, RunTime } from '../engine/run-estimate.ts';

/** The tfjs backends the lab can run on, in the order it tries them. */
export type BackendName = 'webgpu' | 'webgl' | 'wasm' | 'cpu';
export const BACKEND_ORDER: readonly BackendName[] = ['webgpu', 'webgl', 'wasm', 'cpu'];

/** The backends after `name` in the standard order (where to go when `name` fails while training). */
export function backendsAfter(name: BackendName): BackendName[] {
  return BACKEND_ORDER.slice(BACKEND_ORDER.indexOf(name) + 1);
}

export const BACKEND_LABELS: Record<BackendName, string> = {
  webgpu: 'WebGPU',
  webgl: 'WebGL',
  wasm: 'WebAssembly (WASM)',
  cpu: 'CPU (plain JavaScript)',
};

/** What the user asks for: 'auto' (measure, then the fastest) or one backend by name. */
export type BackendPreference = 'auto' | BackendName;
export const BACKEND_PREFERENCES: readonly BackendPreference[] = ['auto', ...BACKEND_ORDER];

export function isBackendPreference(v: unknown): v is BackendPreference {
  return typeof v === 'string' && (BACKEND_PREFERENCES as readonly string[]).includes(v);
}

// ---------------------------------------------------------------------------------------------
// page → worker

/** Starts a new run with what the page asks for. */
export interface StartMessage {
  type: 'start';
  /** Chosen by the page; every answer about this run carries it. */
  runId: number;
  /** The run's key in the run store (src/storage/run-store.ts), where its checkpoints go. */
  runKey: string;
  config: ConfigRequest;
  data: DataOptions;
  /** Pretrained backbone (and head, if 7-class) to start from; null or absent: random init. */
  weights?: WeightsChoice | null;
  /** The attention panel's samples: chosen indices of the training split, or `count` drawn from `seed`. */
  attention?: AttentionOptions;
  /** Which backend to train on; absent: 'auto' (src/worker/train/backend-probe.ts). */
  backend?: BackendPreference;
  /** Why that backend, where the page chose it (a fix of a refused run): kept in the run's record. */
  backendReason?: string;
}

/** The user's backend choice (the Backend panel, ?backend=): a named backend is started at once. */
interface PreferBackendMessage {
  type: 'prefer-backend';
  preference: BackendPreference;
}

/** Continues the stored run `runKey` from its last checkpoint: configuration, data and weights come from the store. */
interface ResumeMessage {
  type: 'resume';
  runId: number;
  runKey: string;
}

/** How a run begins: fresh, or from a stored checkpoint. */
export type BeginMessage = StartMessage | ResumeMessage;

interface StopMessage {
  type: 'stop';
  runId: number;
}

/** Holds the run between two steps (`paused: true`) or lets it go on. */
interface PauseMessage {
  type: 'pause';
  runId: number;
  paused: boolean;
}

/** Checkpoints the run after its current step (the page is being hidden or unloaded: a reload loses nothing). */
export interface CheckpointNowMessage {
  type: 'checkpoint-now';
  runId: number;
}

/** Asks for the model of a stored run as safetensors with the official EAC key names. */
interface ExportModelMessage {
  type: 'export-model';
  runKey: string;
}

/** A stored run's training labels (its noise applied) as a `name label` file. */
interface ExportLabelsMessage {
  type: 'export-labels';
  runKey: string;
}

/** Tests only: destroys the WebGPU device, as a driver reset would. */
interface LoseDeviceMessage {
  type: 'lose-device';
}

/** Probes the backends for `shape` while no run trains (after the page loads), so that Train finds the result cached. */
interface ProbeBackendsMessage {
  type: 'probe-backends';
  shape: ProbeShape;
}

export type ToWorker =
  | ProbeBackendsMessage
  | StartMessage
  | ResumeMessage
  | StopMessage
  | PauseMessage
  | CheckpointNowMessage
  | ExportModelMessage
  | ExportLabelsMessage
  | LoseDeviceMessage
  | PreferBackendMessage;

// ---------------------------------------------------------------------------------------------
// worker → page

/** One backend the worker tried, and why it was or was not used. */
export interface BackendAttempt {
  name: BackendName;
  ok: boolean;
  detail: string;
}

interface BackendMessage {
  type: 'backend';
  name: BackendName;
  /** The GPU adapter (WebGPU) or renderer (WebGL), when known. */
  adapter: string | null;
  /** One sentence: why this backend runs, e.g. "WebGPU unavailable: navigator.gpu missing; using WebGL". */
  reason: string;
  attempts: BackendAttempt[];
  /** Library versions, for exports (e.g. {"tfjs": "4.22.0"}). */
  versions: Record<string, string>;
  /** What a step may hold on this backend (null: not known); the page checks a run against it before it starts. */
  memory: DeviceMemory | null;
}

/** A run was accepted: its full configuration (defaults filled in) and its data. */
export interface StartedMessage {
  type: 'started';
  runId: number;
  config: TrainConfig;
  data: DataOptions;
  /** The pretrained weights the run started from (null: random init). */
  weights: WeightsChoice | null;
  /** Training labels changed by the label noise. */
  flippedLabels: number;
  trainCount: number;
  testCount: number;
  runKey: string;
  /** The epoch a resumed run continues after (0: a fresh run). */
  resumedFrom: number;
  /** Metrics of the epochs before `resumedFrom` (a resumed run's history), and its step losses. */
  history: { epochs: EpochMetrics[]; steps: StepLog[] };
  /** Hash of the training labels (label file and noise applied), for exports. */
  labelsHash: string;
  /** The dataset's class names; absent: RAF-DB's seven. */
  classes?: string[];
}

export type ProgressMessage =
  | ({ type: 'progress'; runId: number; phase: 'data' } & Progress)
  | {
      type: 'progress';
      runId: number;
      phase: 'train' | 'evaluate';
      epoch: number;
      epochs: number;
      /** Optimiser steps so far (whole run). */
      step: number;
      stepInEpoch: number;
      stepsPerEpoch: number;
      totalSteps: number;
      imagesPerSecond: number;
      etaSeconds: number | null;
      /** Steps per second and the JavaScript part of a step (the Backend panel). */
      timing?: StepTiming;
      /** Tensor memory of the backend (bytes on the GPU where the backend reports them). */
      memory?: { bytes: number; tensors: number; gpuBytes: number | null };
      paused?: boolean;
    };

/** Step losses, batched: the worker sends at most a few of these per second. */
interface StepMessage {
  type: 'step';
  runId: number;
  points: StepLog[];
}

interface EpochMessage {
  type: 'epoch';
  runId: number;
  metrics: EpochMetrics;
}

interface DoneMessage {
  type: 'done';
  runId: number;
  summary: RunSummary;
}

/** Why a run failed, so the page can offer the right way out. */
export type ErrorKind = 'nan' | 'out-of-memory' | 'device-lost' | 'config' | 'data' | 'other';

interface ErrorMessage {
  type: 'error';
  /** null: not about a run (e.g. no backend could start). */
  runId: number | null;
  message: string;
  kind?: ErrorKind;
  /** The epoch of the last good checkpoint the run can resume from (null: none). */
  checkpointEpoch?: number | null;
  /** A step too large for the device: the largest batch size that fits (null: none). */
  fitBatch?: number | null;
  /** The run was refused or failed before it started (nothing was trained or stored). */
  notStarted?: boolean;
  /** Auto found no fast backend that fits the run: why, what it would take, and the fixes. */
  refusal?: RunRefusal;
}

/** Why Auto would not train a run (src/engine/run-estimate.ts), for the run bar. */
export interface RunRefusal {
  /** How the choice was made: each backend and why it is out. */
  reason: string;
  /** The backend the estimates are for, and its measured speed (on the probe's stand-in model). */
  backend: BackendName;
  speed: MeasuredSpeed;
  /** The run as asked on that backend, were it to fit. */
  asked: RunTime;
  trainCount: number;
  fixes: RunFix[];
}

/** A run that fits but will take days at its measured pace (LONG_RUN_SECONDS): on which backend, with fixes. */
export interface LongRunNotice extends LongRun {
  backend: BackendName;
}

interface LongRunMessage {
  type: 'long-run';
  runId: number;
  long: LongRunNotice;
}

/** The attention panel's fixed inputs, sent once per run. */
interface AttentionViewsMessage {
  type: 'attention-views';
  runId: number;
  views: AttentionViews;
}

/** The maps of the panel's samples after an epoch (0: before training). */
interface AttentionMessage {
  type: 'attention';
  runId: number;
  frame: AttentionFrame;
}

interface CheckpointMessage {
  type: 'checkpoint';
  runId: number;
  /** The last whole epoch in it; a `partial` checkpoint is within the next one. */
  epoch: number;
  /** Optimiser steps in it (whole run). */
  step: number;
  partial: boolean;
  bytes: number;
}

interface PausedMessage {
  type: 'paused';
  runId: number;
  paused: boolean;
  /** True once the loop actually waits (the step in flight when the pause came has finished). */
  holding: boolean;
}

/** The answer to ExportLabelsMessage: the file's text, or why there is none. */
export interface LabelsExportMessage {
  type: 'labels-export';
  runKey: string;
  fileName: string;
  text: string | null;
  error: string | null;
}

export interface ModelExportMessage {
  type: 'model-export';
  runKey: string;
  fileName: string;
  bytes: Uint8Array | null;
  error: string | null;
}

/**
 * What a run does before its first step, which can take long (a probe, a GPU compiling its
 * kernels): 'backend' starting the backend, 'probe' timing backend `index` of `total`,
 * 'first-step' compiling kernels and taking the first step. The page shows it with the time spent.
 */
export interface FirstStepMessage {
  type: 'first-step';
  runId: number;
  phase: 'backend' | 'probe' | 'first-step';
  /** The backend being started, probed or trained on. */
  backend?: BackendName;
  index?: number;
  total?: number;
  /** When the phase began (Date.now() in the worker: the page's clock too). */
  at: number;
}

/** How one backend fared in the probe. */
export interface ProbeEntry {
  name: BackendName;
  adapter: string | null;
  /** A GPU emulated on the CPU (SwiftShader, llvmpipe, a fallback adapter). */
  software: boolean;
  outcome: 'measured' | 'abandoned' | 'skipped' | 'failed' | 'unavailable' | 'too-large';
  imagesPerSecond: number | null;
  /** The first step (kernel compilation included), and the median of the timed ones. */
  warmupMs: number | null;
  msPerStep: number | null;
  /** Why it was skipped, abandoned or failed. */
  detail: string;
  /** 'too-large': the speed of the stand-in model timed instead (run-estimate.ts standInShape); null: not timed. */
  reference?: MeasuredSpeed | null;
}

/** The model shape a probe timed: a probe holds for this shape only. */
export interface ProbeShape {
  arch: Arch;
  width: number;
  size: number;
  batchSize: number;
  method: Method;
}

export interface ProbeReport {
  /** The cache key: the device's adapters and backends, and the shape. */
  key: string;
  shape: ProbeShape;
  entries: ProbeEntry[];
  chosen: BackendName;
  /** One line for people, e.g. "WebAssembly (WASM): 6.7 img/s; WebGPU …: not probed (…) — WebAssembly (WASM) chosen". */
  summary: string;
  /** Total time the probe took when it ran. */
  ms: number;
  /** Read from this device's probe cache instead of measured now. */
  cached: boolean;
  at: string;
  /**
   * No backend that trains at a useful speed can hold the run (the fast one refused it for
   * memory; what is left is a software GPU or plain JavaScript): why, in a sentence. Auto then
   * refuses the run rather than train on `chosen`. Absent: `chosen` is fine.
   */
  refusal?: string | null;
}

interface ProbeMessage {
  type: 'probe';
  /** null: the probe of an idle worker (ProbeBackendsMessage). */
  runId: number | null;
  report: ProbeReport;
}

export type FromWorker =
  | BackendMessage
  | FirstStepMessage
  | ProbeMessage
  | LongRunMessage
  | StartedMessage
  | ProgressMessage
  | StepMessage
  | EpochMessage
  | DoneMessage
  | ErrorMessage
  | AttentionViewsMessage
  | AttentionMessage
  | CheckpointMessage
  | PausedMessage
  | ModelExportMessage
  | LabelsExportMessage;

/** Minimum time between two step/progress messages while training (ms): the page's render tick (src/ui/render-clock.ts). */
export const STEP_MESSAGE_INTERVAL_MS = 250;
