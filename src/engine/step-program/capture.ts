// Records what one step asks of tfjs's WebGPU backend, as a list the step program can replay:
// every program dispatch (its pipeline, workgroup counts, the bytes of its uniforms, which tensor
// it writes and which it reads) and every upload of CPU values. Tensors are numbered in order of
// first appearance, so two recordings of steps with the same shapes number them alike.
//
// The step runs for real while it is recorded (the recording is a by-product of an ordinary step):
// the hooks wrap the backend's own methods and are removed afterwards.
import { tf } from '../tf.ts';
import type { GpuPipeline, WebGpuBackendInternals } from './gpu-types.ts';

interface RecordedDispatch {
  pipeline: GpuPipeline;
  /** The program's class or shader key: a kernel's name in reports. */
  name: string;
  workgroups: [number, number, number];
  output: number;
  inputs: number[];
  uniform: Uint8Array;
}

interface RecordedValue {
  id: number;
  bytes: number;
  shape: number[];
  dtype: string;
  /** Dispatch index of the first write (−1 for a tensor that existed before, or an upload). */
  first: number;
  last: number;
  /** CPU values uploaded during the step (little-endian bytes). */
  upload: Uint8Array | null;
  /** The tensor existed before the step began. */
  external: boolean;
  /** Still referenced when the step ended. */
  alive: boolean;
}

export interface Recording {
  dispatches: RecordedDispatch[];
  values: RecordedValue[];
  /** tfjs dataId → value id (for the caller to find its inputs, state and outputs). */
  idOf: (dataId: object) => number | undefined;
  /** Why the step cannot be replayed as recorded (a read-back, a buffer copied outside a program). */
  problems: string[];
}

type Hooked = Pick<WebGpuBackendInternals, 'uploadToGPU' | 'makeUniforms' | 'recordAndSubmit' | 'read' | 'readSync' | 'copyBuffer'>;

export function webgpuBackend(): WebGpuBackendInternals {
  if (tf.getBackend() !== 'webgpu') throw new Error(`the step program needs the webgpu backend (now ${tf.getBackend()})`);
  return tf.backend() as unknown as WebGpuBackendInternals;
}

/** Runs `step` on the WebGPU backend and records it (tensors it reads that existed before are marked `external`). */
export function captureStep<T>(step: () => T): { result: T; recording: Recording } {
  const backend = webgpuBackend();
  const ids = new WeakMap<object, number>();
  const dataIds: object[] = [];
  const values: RecordedValue[] = [];
  const dispatches: RecordedDispatch[] = [];
  const problems: string[] = [];
  /** Outputs allocated for the dispatch being recorded (tfjs gives them a buffer just before). */
  const fresh = new WeakSet<object>();
  const add = (dataId: object, first: number, external: boolean): RecordedValue => {
    if (!backend.tensorMap.has(dataId)) throw new Error('step capture: a tensor the backend does not know');
    const data = backend.tensorMap.get(dataId)!;
    const v: RecordedValue = {
      id: values.length,
      bytes: 4 * data.shape.reduce((a, b) => a * b, 1),
      shape: [...data.shape],
      dtype: data.dtype,
      first,
      last: first,
      upload: null,
      external,
      alive: false,
    };
    ids.set(dataId, v.id);
    dataIds.push(dataId);
    values.push(v);
    return v;
  };
  const seen = (dataId: object): RecordedValue | undefined => {
    const id = ids.get(dataId);
    return id === undefined ? undefined : values[id];
  };
  let uniformBytes: Uint8Array | null = null;

  const original: Hooked = {
    uploadToGPU: backend.uploadToGPU,
    makeUniforms: backend.makeUniforms,
    recordAndSubmit: backend.recordAndSubmit,
    read: backend.read,
    readSync: backend.readSync,
    copyBuffer: backend.copyBuffer,
  };
  const owned = Object.keys(original).filter((k) => Object.hasOwn(backend, k));
  const hooks: Hooked = {
    uploadToGPU(dataId) {
      const data = backend.tensorMap.get(dataId);
      if (data && data.resource == null && data.values != null && !seen(dataId)) {
        const typed = data.dtype === 'int32' || data.dtype === 'bool' ? Int32Array.from(data.values) : Float32Array.from(data.values);
        add(dataId, -1, false).upload = new Uint8Array(typed.buffer);
      } else if (data && data.resource == null) fresh.add(dataId);
      return original.uploadToGPU.call(backend, dataId);
    },
    makeUniforms(programUniform) {
      // The exact bytes tfjs writes into the program's uniform buffer.
      const queue = backend.queue;
      const ownWrite = Object.hasOwn(queue, 'writeBuffer');
      const write = queue.writeBuffer;
      queue.writeBuffer = (buffer, offset, data, dataOffset = 0, size) => {
        const bytes = ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data);
        uniformBytes = bytes.slice(dataOffset, dataOffset + (size ?? bytes.length - dataOffset));
        return write.call(queue, buffer, offset, data, dataOffset, size);
      };
      try {
        return original.makeUniforms.call(backend, programUniform);
      } finally {
        if (ownWrite) queue.writeBuffer = write;
        else delete (queue as { writeBuffer?: unknown }).writeBuffer;
      }
    },
    recordAndSubmit(program, output, inputs, programDefinedUniform) {
      uniformBytes = null;
      original.recordAndSubmit.call(backend, program, output, inputs, programDefinedUniform);
      const at = dispatches.length;
      const ins = inputs.map((t) => {
        const v = seen(t.dataId) ?? add(t.dataId, -1, true);
        v.last = at;
        return v.id;
      });
      let out = seen(output.dataId);
      if (!out) {
        if (!fresh.has(output.dataId)) problems.push(`${programName(program)} writes into a tensor made before the step`);
        out = add(output.dataId, at, false);
      }
      out.last = at;
      if (!uniformBytes) problems.push(`${programName(program)} was dispatched without uniforms`);
      dispatches.push({
        pipeline: program.pipeline as GpuPipeline,
        name: programName(program),
        workgroups: [program.dispatch[0], program.dispatch[1] ?? 1, program.dispatch[2] ?? 1],
        output: out.id,
        inputs: ins,
        uniform: uniformBytes ?? new Uint8Array(0),
      });
    },
    read(dataId) {
      problems.push('the step reads a tensor back (data())');
      return original.read.call(backend, dataId);
    },
    readSync(dataId) {
      problems.push('the step reads a tensor back (dataSync())');
      return original.readSync.call(backend, dataId);
    },
    copyBuffer(src) {
      problems.push('the step copies a buffer outside a program');
      return original.copyBuffer.call(backend, src);
    },
  };
  Object.assign(backend, hooks);
  let result: T;
  try {
    result = step();
  } finally {
    for (const k of Object.keys(original) as (keyof Hooked)[]) {
      if (owned.includes(k)) (backend as unknown as Record<string, unknown>)[k] = original[k];
      else delete (backend as unknown as Record<string, unknown>)[k];
    }
  }
  values.forEach((v, i) => {
    // DataStorage.get of a freed tensor would try to move it between backends: ask first.
    v.alive = backend.tensorMap.has(dataIds[i]) && backend.tensorMap.get(dataIds[i])!.refCount > 0;
  });
  dataIds.length = 0;
  return { result, recording: { dispatches, values, idOf: (dataId) => ids.get(dataId), problems } };
}

function programName(program: { constructor?: { name?: string }; shaderKey: string }): string {
  const n = program.constructor?.name;
  return n && n !== 'Object' ? n : program.shaderKey.split('_').slice(0, 3).join('_');
}
