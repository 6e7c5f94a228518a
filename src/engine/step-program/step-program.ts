// The training step as a program: on WebGPU the step is recorded while tfjs runs it, and once two
// recorded steps of the same batch size agree dispatch for dispatch (same pipelines, workgroups,
// uniforms, constants and tensor lifetimes), later steps of that size are replayed from the plan
// (replay.ts): JavaScript then only writes the batch's labels and Adam's two scalars, copies in
// the two views and encodes the recorded list. Elsewhere (wasm, cpu, webgl), or where a recording
// cannot be replayed, each step runs through tfjs's ops, as `encodeStep`.
//
// The plan never coexists with tfjs's own step: a step of another size (an epoch's last, partial
// batch) and `release()` (before an evaluation) hand the state back to tfjs and free the plan's
// buffers; the next full batch is recorded again and, matching the last recording, replayed at once.
import { tf, type Tensor, type Variable } from '../tf.ts';
import type { Model } from '../resnet.ts';
import type { Adam } from '../optim.ts';
import type { Method } from '../config.ts';
import type { Kernels } from '../kernel-table.ts';
import {
  adamScalarValues,
  disposeFeeds,
  encodeStep,
  stepBody,
  stepFeeds,
  type EncodedStep,
  type StepInputs,
  type StepMemoryOptions,
} from '../step.ts';
import { captureStep, webgpuBackend, type Recording } from './capture.ts';
import { StepReplay, type ReplayCounts, type StepRoles } from './replay.ts';

/** How steps are taken, decided once for the backend when the program is made. */
type StepMode = 'replay' | 'ops';

export interface StepProgramReport {
  mode: StepMode;
  /** Why steps are not replayed (null while they are, or may be). */
  notReplayed: string | null;
  /** Steps replayed, and steps run through tfjs's ops (recorded or not). */
  replayed: number;
  opSteps: number;
  /** Whether the last step was replayed. */
  lastReplayed: boolean;
  /** Plans made (one per run of full batches between evaluations). */
  plans: number;
  /** The current or last plan: device bytes it holds, the peak of its live tensors, buffers, dispatches. */
  plannedBytes: number | null;
  liveBytes: number | null;
  buffers: number | null;
  counts: ReplayCounts | null;
}

interface StepProgramOptions {
  /** Replay recorded steps on WebGPU (default true); false runs every step through tfjs's ops. */
  replay?: boolean;
  /** How the step spends memory (step.ts): the same results, less memory for more work. */
  memory?: StepMemoryOptions;
}

export class StepProgram {
  readonly mode: StepMode;
  private replay: StepReplay | null = null;
  private replayBatch = -1;
  /** The last recording's signature per batch size: a recording that matches it is planned. */
  private readonly signatures = new Map<number, string>();
  private readonly state: Variable[];
  private readonly memory: StepMemoryOptions;
  readonly report: StepProgramReport;

  constructor(
    private readonly model: Model,
    private readonly optimizer: Adam,
    private readonly method: Method,
    private readonly lam: number,
    /** The backend's kernel row, picked by the caller at plan time. */
    private readonly kernels: Kernels,
    options: StepProgramOptions = {},
  ) {
    const webgpu = tf.getBackend() === 'webgpu';
    // Replay needs every per-step number to reach the device as a tensor: Adam's fused update does.
    this.mode = webgpu && options.replay !== false && optimizer.scalarsOnDevice ? 'replay' : 'ops';
    this.memory = options.memory ?? {};
    this.state = [...model.vars.values(), ...optimizer.stateVariables()];
    this.report = {
      mode: this.mode,
      notReplayed:
        this.mode === 'replay' ? null : !webgpu ? `steps are replayed on WebGPU only (this is ${tf.getBackend()})` : 'turned off',
      replayed: 0,
      opSteps: 0,
      lastReplayed: false,
      plans: 0,
      plannedBytes: null,
      liveBytes: null,
      buffers: null,
      counts: null,
    };
  }

  /** One step: encoded (on WebGPU, queued), not read back. */
  encode(inputs: StepInputs): EncodedStep {
    const batch = inputs.labels.length;
    this.report.lastReplayed = false;
    if (this.mode === 'ops' || this.report.notReplayed) {
      this.report.opSteps++;
      return encodeStep(this.model, this.optimizer, inputs, this.method, this.lam, this.kernels, this.memory);
    }
    if (this.replay && this.replayBatch === batch) return this.replayStep(inputs);
    this.release();
    return this.recordStep(inputs);
  }

  /** Hands the state back to tfjs and frees the plan's buffers (before other work on the model). */
  release(): void {
    this.replay?.dispose();
    this.replay = null;
    this.replayBatch = -1;
  }

  /** Bytes of device buffers held now: tfjs's pool and the plan's buffers (null off WebGPU). */
  deviceBytes(): number | null {
    if (tf.getBackend() !== 'webgpu') return null;
    return webgpuBackend().bufferManager.numBytesAllocated + (this.replay?.plan.totalBytes ?? 0);
  }

  /** The end of a run: as release(), but a device already lost (its state gone with it) is not an error here. */
  dispose(): void {
    try {
      this.release();
    } catch {
      this.replay = null;
    }
  }

  /**
   * Takes one step replayed with a compute pass and timestamps per dispatch: GPU time per program
   * (null where there is no plan for this batch size, or no timestamp queries). A real step.
   */
  async profile(inputs: StepInputs): Promise<{ name: string; ns: number }[] | null> {
    if (!this.replay || this.replayBatch !== inputs.labels.length) return null;
    const { tensors, uploads } = this.feedsOf(inputs);
    return this.replay.profile(tensors, uploads);
  }

  private feedsOf(inputs: StepInputs): { tensors: Map<string, Tensor>; uploads: Map<string, ArrayBufferView> } {
    const scalars = this.optimizer.nextStep();
    const tensors = new Map<string, Tensor>([['x1', inputs.x1]]);
    if (inputs.x2) tensors.set('x2', inputs.x2);
    const uploads = new Map<string, ArrayBufferView>([
      ['labels', inputs.labels],
      ['adam', adamScalarValues(scalars)],
    ]);
    return { tensors, uploads };
  }

  private replayStep(inputs: StepInputs): EncodedStep {
    const { tensors, uploads } = this.feedsOf(inputs);
    const packed = this.replay!.run(tensors, uploads);
    this.report.replayed++;
    this.report.lastReplayed = true;
    return { packed, batch: inputs.labels.length };
  }

  private recordStep(inputs: StepInputs): EncodedStep {
    const batch = inputs.labels.length;
    // State still on the CPU (a fresh model) would be recorded as uploads: move it first, so that
    // the first two recordings already match.
    const backend = webgpuBackend();
    for (const v of this.state) backend.uploadToGPU(v.dataId);
    const before = this.state.map((v) => v.dataId);
    const feeds = stepFeeds(this.optimizer, inputs.labels);
    let packed: Tensor;
    let recording: Recording;
    try {
      ({ result: packed, recording } = captureStep(() =>
        stepBody(
          this.model,
          this.optimizer,
          { ...inputs, labelsTensor: feeds.labels },
          feeds,
          this.method,
          this.lam,
          this.kernels,
          this.memory,
        ),
      ));
    } finally {
      disposeFeeds(feeds);
    }
    this.report.opSteps++;
    const roles: StepRoles = {
      tensorFeeds: new Map(),
      uploadFeeds: new Map(),
      state: [],
      output: recording.idOf(packed.dataId) ?? -1,
    };
    const put = (m: Map<string, number>, name: string, dataId: object | undefined) => {
      const id = dataId ? recording.idOf(dataId) : undefined;
      if (id !== undefined) m.set(name, id);
    };
    put(roles.tensorFeeds, 'x1', inputs.x1.dataId);
    put(roles.tensorFeeds, 'x2', inputs.x2?.dataId);
    put(roles.uploadFeeds, 'labels', feeds.labels.dataId);
    put(roles.uploadFeeds, 'adam', feeds.adam?.dataId);
    this.state.forEach((variable, i) => {
      const was = recording.idOf(before[i]);
      const now = recording.idOf(variable.dataId);
      if (now !== undefined) roles.state.push({ variable, before: was, after: now });
      else if (was !== undefined) roles.state.push({ variable, before: was, after: was });
    });
    const signature = signatureOf(recording, roles);
    const problem = recording.problems[0] ?? (roles.output < 0 ? 'the step result was not recorded' : null);
    if (problem) this.report.notReplayed = problem;
    else if (this.signatures.get(batch) === signature) this.plan(recording, roles, batch);
    this.signatures.set(batch, signature);
    return { packed, batch };
  }

  private plan(recording: Recording, roles: StepRoles, batch: number): void {
    const backend = webgpuBackend();
    try {
      const replay = new StepReplay(backend, recording, roles);
      replay.prepare();
      this.replay = replay;
      this.replayBatch = batch;
      this.report.plans++;
      this.report.plannedBytes = replay.plan.totalBytes;
      this.report.liveBytes = replay.plan.liveBytes;
      this.report.buffers = replay.plan.slots.length;
      this.report.counts = replay.counts;
    } catch (e) {
      this.report.notReplayed = e instanceof Error ? e.message : String(e);
    }
  }
}

/** What two recordings must share to be one program: everything but the feeds' values, as a 64-bit hash. */
function signatureOf(rec: Recording, roles: StepRoles): string {
  const h = new Hash();
  const feeds = new Set([...roles.tensorFeeds.values(), ...roles.uploadFeeds.values()]);
  const pipelineIds = new Map<unknown, number>();
  for (const d of rec.dispatches) {
    if (!pipelineIds.has(d.pipeline)) pipelineIds.set(d.pipeline, pipelineIds.size);
    h.add(pipelineIds.get(d.pipeline)!, ...d.workgroups, d.output, d.inputs.length, ...d.inputs, d.uniform.length);
    h.bytes(d.uniform);
  }
  for (const v of rec.values) {
    h.add(v.bytes, v.first, v.last, v.external ? 1 : 0, v.alive ? 1 : 0, feeds.has(v.id) ? 1 : 0);
    if (v.upload && !feeds.has(v.id)) h.bytes(v.upload);
  }
  for (const s of roles.state) h.add(s.before ?? -1, s.after);
  h.add(roles.output);
  return h.digest();
}

/** Two FNV-1a lanes (64 bits): collisions between two recordings are not a practical concern. */
class Hash {
  private a = 0x811c9dc5;
  private b = 0x01000193 ^ 0x5bd1e995;
  add(...xs: number[]): void {
    for (const x of xs) this.word(x | 0);
  }
  bytes(u: Uint8Array): void {
    this.add(u.length);
    for (let i = 0; i < u.length; i++) {
      this.a = Math.imul(this.a ^ u[i], 0x01000193);
      this.b = Math.imul(this.b ^ u[i], 0x01000193 + 2);
    }
  }
  private word(x: number): void {
    for (let k = 0; k < 4; k++) {
      const byte = (x >>> (8 * k)) & 0xff;
      this.a = Math.imul(this.a ^ byte, 0x01000193);
      this.b = Math.imul(this.b ^ byte, 0x01000193 + 2);
    }
  }
  digest(): string {
    return (this.a >>> 0).toString(16).padStart(8, '0') + (this.b >>> 0).toString(16).padStart(8, '0');
  }
}
