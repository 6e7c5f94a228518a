// A recorded step, made replayable: every tensor gets a buffer from the memory plan, every
// dispatch its bind group and uniforms (all in one uniform buffer) once; a replay writes the
// step's inputs, encodes the recorded dispatches into one compute pass and submits once. No tfjs
// op, no shader key, no bind group or buffer is made per step.
//
// The model's and the optimiser's variables view their state buffers in place (zero-copy tensors),
// so evaluation, checkpoints and exports read the replayed state with no copy; a variable that was
// assigned elsewhere (a resumed optimiser, a step taken by tfjs) is copied back in before a replay.
import { tf, type Tensor, type Variable } from '../tf.ts';
import type { Recording } from './capture.ts';
import { planConflict, planMemory, type MemoryPlan, type PlannedValue } from './memory-plan.ts';
import {
  BUFFER_USAGE,
  MAP_READ,
  type GpuBindGroup,
  type GpuBuffer,
  type GpuCommandEncoder,
  type GpuPipeline,
  type WebGpuBackendInternals,
} from './gpu-types.ts';

/** What each recorded tensor is to the step. */
export interface StepRoles {
  /** Tensors made before the step that it reads (the batch's views): copied in at each replay. */
  tensorFeeds: Map<string, number>;
  /** CPU values uploaded by the step that change per step (labels, Adam's scalars): written at each replay. */
  uploadFeeds: Map<string, number>;
  /** Variables the step reads and replaces: the value before and after. */
  state: { variable: Variable; before: number | undefined; after: number }[];
  /** The step's result, read after the pass. */
  output: number;
}

export interface ReplayCounts {
  dispatches: number;
  passes: number;
  submits: number;
  /** queue.writeBuffer calls (step inputs). */
  writes: number;
  copies: number;
}

const STORAGE = BUFFER_USAGE.STORAGE | BUFFER_USAGE.COPY_SRC | BUFFER_USAGE.COPY_DST;

/**
 * The plan's values, from the recording and the roles; throws where the step cannot be replayed.
 * A variable's value after the step shares the buffer of its value before, unless one dispatch
 * reads the old value and writes the new (the running statistics' update): then the new value has
 * a buffer of its own and is copied into the state's buffer after the pass (`copies`).
 */
function plannedValues(rec: Recording, roles: StepRoles): { values: PlannedValue[]; copies: [number, number][] } {
  const end = rec.dispatches.length;
  const feeds = new Set([...roles.tensorFeeds.values(), ...roles.uploadFeeds.values()]);
  const before = new Map<number, number>();
  const after = new Map<number, number>();
  const copies: [number, number][] = [];
  roles.state.forEach((s, i) => {
    if ((s.before !== undefined && before.has(s.before)) || after.has(s.after))
      throw new Error('two variables share one tensor: the step cannot be planned');
    if (s.before === undefined) after.set(s.after, i);
    else {
      before.set(s.before, i);
      if (s.after !== s.before && rec.values[s.after].first <= rec.values[s.before].last) copies.push([s.after, s.before]);
      else after.set(s.after, i);
    }
  });
  const copied = new Set(copies.map(([from]) => from));
  const values = rec.values.map((v): PlannedValue => {
    const pin = before.get(v.id) ?? after.get(v.id);
    if (pin !== undefined) {
      const isBefore = before.has(v.id);
      const isAfter = after.has(v.id) || (isBefore && roles.state[pin].after === v.id);
      return { id: v.id, bytes: v.bytes, pin: `state${pin}`, start: isBefore ? -1 : v.first, end: isAfter ? end : v.last };
    }
    if (copied.has(v.id) || v.id === roles.output) return { id: v.id, bytes: v.bytes, start: v.first, end };
    if (feeds.has(v.id)) return { id: v.id, bytes: v.bytes, start: -1, end: v.last };
    if (v.upload) return { id: v.id, bytes: v.bytes, start: -1, end, exclusive: true };
    if (v.external) throw new Error(`the step reads a tensor [${v.shape}] that is neither an input nor a variable`);
    if (v.alive) throw new Error(`the step keeps a tensor [${v.shape}] that is neither its result nor a variable`);
    return { id: v.id, bytes: v.bytes, start: v.first, end: v.last };
  });
  return { values, copies };
}

/** The value whose buffer holds a variable between steps. */
const stateValue = (s: StepRoles['state'][number]) => s.before ?? s.after;

export class StepReplay {
  readonly plan: MemoryPlan;
  readonly counts: ReplayCounts;
  private readonly buffers: GpuBuffer[];
  private readonly uniforms: GpuBuffer;
  private readonly groups: GpuBindGroup[];
  private readonly pipelines: GpuPipeline[];
  private readonly workgroups: Int32Array;
  private readonly views: (Tensor | null)[];
  /** [new value, state value] pairs copied after the pass. */
  private readonly copies: [number, number][];
  private disposed = false;

  constructor(
    private readonly backend: WebGpuBackendInternals,
    private readonly rec: Recording,
    private readonly roles: StepRoles,
  ) {
    const { values, copies } = plannedValues(rec, roles);
    this.copies = copies;
    this.plan = planMemory(values);
    const conflict = planConflict(this.plan, values);
    if (conflict) throw new Error(`memory plan: ${conflict}`);
    const device = backend.device;
    this.buffers = this.plan.slots.map((s) => device.createBuffer({ size: Math.max(4, s.bytes), usage: STORAGE }));
    const buf = (id: number) => this.buffers[this.plan.slotOf.get(id)!];
    // The step's constants (uploads that are not feeds: `exclusive` in the plan), written once.
    for (const v of values) if (v.exclusive) device.queue.writeBuffer(buf(v.id), 0, rec.values[v.id].upload!);
    // Every dispatch's uniforms, at the device's offset alignment, in one buffer written once.
    const align = device.limits.minUniformBufferOffsetAlignment;
    const offsets: number[] = [];
    let total = 0;
    for (const d of rec.dispatches) {
      offsets.push(total);
      total += Math.ceil(Math.max(d.uniform.length, 16) / align) * align;
    }
    this.uniforms = device.createBuffer({ size: Math.max(total, 16), usage: BUFFER_USAGE.UNIFORM | BUFFER_USAGE.COPY_DST });
    const staged = new Uint8Array(Math.max(total, 16));
    rec.dispatches.forEach((d, i) => staged.set(d.uniform, offsets[i]));
    device.queue.writeBuffer(this.uniforms, 0, staged);
    this.groups = rec.dispatches.map((d, i) =>
      device.createBindGroup({
        layout: d.pipeline.getBindGroupLayout(0),
        entries: [
          { binding: 0, resource: { buffer: buf(d.output) } },
          ...d.inputs.map((id, k) => ({ binding: k + 1, resource: { buffer: buf(id) } })),
          { binding: d.inputs.length + 1, resource: { buffer: this.uniforms, offset: offsets[i], size: d.uniform.length } },
        ],
      }),
    );
    this.pipelines = rec.dispatches.map((d) => d.pipeline);
    this.workgroups = Int32Array.from(rec.dispatches.flatMap((d) => d.workgroups));
    this.views = roles.state.map(() => null);
    this.counts = {
      dispatches: rec.dispatches.length,
      passes: 1,
      submits: 1,
      writes: roles.uploadFeeds.size,
      copies: roles.tensorFeeds.size + copies.length + 1,
    };
  }

  /** Buffer of a recorded value (for tests and reports). */
  bufferOf(id: number): GpuBuffer {
    return this.buffers[this.plan.slotOf.get(id)!];
  }

  /**
   * One replayed step: `tensors` are the step's input tensors, `uploads` its per-step CPU values,
   * by the names of the roles. Returns the step's result as a new tensor (the caller owns it).
   */
  run(tensors: Map<string, Tensor>, uploads: Map<string, ArrayBufferView>, encodePass?: (enc: GpuCommandEncoder) => void): Tensor {
    if (this.disposed) throw new Error('step replay: used after dispose');
    const backend = this.backend;
    const device = backend.device;
    for (const t of tensors.values()) backend.uploadToGPU(t.dataId);
    const out = this.rec.values[this.roles.output];
    const info = backend.makeTensorInfo(out.shape, out.dtype) as Parameters<ReturnType<typeof tf.engine>['makeTensorFromTensorInfo']>[0];
    const result = tf.engine().makeTensorFromTensorInfo(info) as Tensor;
    backend.uploadToGPU(result.dataId);
    // tfjs's queued work (the views were just made) goes first.
    this.flushTfjs();
    const enc = device.createCommandEncoder();
    this.adoptState(enc);
    for (const [name, id] of this.roles.tensorFeeds) {
      const t = tensors.get(name);
      if (!t) throw new Error(`step replay: no input ${name}`);
      enc.copyBufferToBuffer(this.resourceOf(t.dataId), 0, this.bufferOf(id), 0, this.rec.values[id].bytes);
    }
    for (const [name, id] of this.roles.uploadFeeds) {
      const data = uploads.get(name);
      if (!data || data.byteLength !== this.rec.values[id].bytes)
        throw new Error(`step replay: input ${name} must have ${this.rec.values[id].bytes} bytes`);
      device.queue.writeBuffer(this.bufferOf(id), 0, data);
    }
    if (encodePass) encodePass(enc);
    else this.encodePass(enc);
    for (const [from, to] of this.copies) enc.copyBufferToBuffer(this.bufferOf(from), 0, this.bufferOf(to), 0, this.rec.values[to].bytes);
    enc.copyBufferToBuffer(this.bufferOf(this.roles.output), 0, this.resourceOf(result.dataId), 0, out.bytes);
    device.queue.submit([enc.finish()]);
    return result;
  }

  /**
   * GPU time of each dispatch of one replayed step, from timestamp queries (null where the device
   * has none): each dispatch gets a compute pass of its own, so this is a profile, not a step's
   * time. The step is taken (the state moves on), as by `run`; its result is disposed.
   */
  async profile(tensors: Map<string, Tensor>, uploads: Map<string, ArrayBufferView>): Promise<{ name: string; ns: number }[] | null> {
    const device = this.backend.device;
    if (!device.features.has('timestamp-query')) return null;
    const n = this.groups.length;
    const perSet = 4096;
    const sets = Array.from({ length: Math.ceil((2 * n) / perSet) }, () => device.createQuerySet({ type: 'timestamp', count: perSet }));
    const resolved = device.createBuffer({ size: 16 * n, usage: BUFFER_USAGE.QUERY_RESOLVE | BUFFER_USAGE.COPY_SRC });
    const staging = device.createBuffer({ size: 16 * n, usage: BUFFER_USAGE.MAP_READ | BUFFER_USAGE.COPY_DST });
    try {
      const result = this.run(tensors, uploads, (enc) => {
        for (let i = 0; i < n; i++) {
          const q = 2 * i;
          const pass = enc.beginComputePass({
            timestampWrites: {
              querySet: sets[Math.floor(q / perSet)],
              beginningOfPassWriteIndex: q % perSet,
              endOfPassWriteIndex: (q % perSet) + 1,
            },
          });
          pass.setPipeline(this.pipelines[i]);
          pass.setBindGroup(0, this.groups[i]);
          pass.dispatchWorkgroups(this.workgroups[3 * i], this.workgroups[3 * i + 1], this.workgroups[3 * i + 2]);
          pass.end();
        }
        sets.forEach((set, k) => {
          const count = Math.min(perSet, 2 * n - k * perSet);
          enc.resolveQuerySet(set, 0, count, resolved, k * perSet * 8);
        });
        enc.copyBufferToBuffer(resolved, 0, staging, 0, 16 * n);
      });
      result.dispose();
      await staging.mapAsync(MAP_READ);
      const t = new BigUint64Array(staging.getMappedRange().slice(0));
      staging.unmap();
      return this.rec.dispatches.map((d, i) => ({ name: d.name, ns: Number(t[2 * i + 1] - t[2 * i]) }));
    } finally {
      for (const set of sets) set.destroy();
      resolved.destroy();
      staging.destroy();
    }
  }

  /** Moves the state into its buffers now, then lets tfjs's pool of the recorded step go. Returns the bytes freed. */
  prepare(): number {
    this.flushTfjs();
    const enc = this.backend.device.createCommandEncoder();
    this.adoptState(enc);
    this.backend.device.queue.submit([enc.finish()]);
    return trimBufferPool(this.backend);
  }

  /** The recorded dispatches in one compute pass; the pipeline is set only where it changes. */
  private encodePass(enc: GpuCommandEncoder): void {
    const pass = enc.beginComputePass();
    const { groups, pipelines, workgroups } = this;
    let pipeline: GpuPipeline | null = null;
    for (let i = 0; i < groups.length; i++) {
      if (pipelines[i] !== pipeline) {
        pipeline = pipelines[i];
        pass.setPipeline(pipeline);
      }
      pass.setBindGroup(0, groups[i]);
      pass.dispatchWorkgroups(workgroups[3 * i], workgroups[3 * i + 1], workgroups[3 * i + 2]);
    }
    pass.end();
  }

  /** Points each state variable at its buffer, copying in what it holds where it was assigned elsewhere. */
  private adoptState(enc: GpuCommandEncoder): void {
    const adopt: number[] = [];
    this.roles.state.forEach((s, i) => {
      const view = this.views[i];
      if (view && s.variable.dataId === view.dataId) return;
      this.backend.uploadToGPU(s.variable.dataId);
      adopt.push(i);
    });
    if (adopt.length === 0) return;
    this.flushTfjs();
    for (const i of adopt) {
      const s = this.roles.state[i];
      const home = this.bufferOf(stateValue(s));
      enc.copyBufferToBuffer(this.resourceOf(s.variable.dataId), 0, home, 0, this.rec.values[stateValue(s)].bytes);
      this.views[i]?.dispose();
      const view = this.backend.createTensorFromGPUData({ buffer: home, zeroCopy: true }, s.variable.shape, s.variable.dtype) as Tensor;
      // assign() frees the variable's old tensor: its buffer goes back to tfjs only after this
      // encoder's copy, since tfjs's later work is submitted after it.
      s.variable.assign(view);
      this.views[i] = view;
    }
  }

  /** Gives every state variable a tfjs-owned copy of its buffer (before the buffers go). */
  releaseState(): void {
    this.roles.state.forEach((s, i) => {
      const view = this.views[i];
      if (!view) return;
      if (s.variable.dataId === view.dataId && !s.variable.isDisposed) {
        const copy = this.backend.createTensorFromGPUData(
          { buffer: this.bufferOf(stateValue(s)) },
          s.variable.shape,
          s.variable.dtype,
        ) as Tensor;
        s.variable.assign(copy);
        copy.dispose();
      }
      view.dispose();
      this.views[i] = null;
    });
  }

  dispose(): void {
    if (this.disposed) return;
    this.releaseState();
    this.flushTfjs();
    this.disposed = true;
    for (const b of this.buffers) b.destroy();
    this.uniforms.destroy();
  }

  private resourceOf(dataId: object): GpuBuffer {
    const r = this.backend.tensorMap.has(dataId) ? this.backend.tensorMap.get(dataId)!.resource : null;
    if (!r) throw new Error('step replay: a tensor has no GPU buffer');
    return r;
  }

  private flushTfjs(): void {
    if (!this.backend.commandEncoder) return;
    this.backend.endComputePassEncoder();
    this.backend.submitQueue();
  }
}

/** Destroys the buffers tfjs keeps for reuse (its pool after a step it ran itself: as large as the step). */
function trimBufferPool(backend: WebGpuBackendInternals): number {
  const pool = backend.bufferManager;
  let freed = 0;
  for (const list of pool.freeBuffers.values()) {
    for (const b of list) {
      freed += b.size;
      b.destroy();
    }
    pool.numFreeBuffers -= list.length;
    list.length = 0;
  }
  pool.numBytesAllocated -= freed;
  return freed;
}
