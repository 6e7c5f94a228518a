// Counts what a piece of engine work costs, from tfjs's engine itself (no tf.profile: that times
// and may read back every kernel): kernels run (top level), WebGPU programs dispatched, read-backs,
// and the peak of the live tensor buffers. Bytes count each data buffer once (reshapes share
// theirs; tf.memory().numBytes counts every view again).
import { tf } from './tf.ts';

export interface MeterReading {
  /** Top-level kernels run (on cpu/wasm the analogue of GPU dispatches). */
  kernels: number;
  /** WebGPU programs dispatched (null on other backends). */
  dispatches: number | null;
  /** Tensor read-backs (data(), dataSync(), array()…). */
  readBacks: number;
  /** Live tensor-buffer bytes when the meter started, at its peak, and when it stopped (start + buffers made − buffers freed). */
  startBytes: number;
  peakBytes: number;
  endBytes: number;
  /** Kernel name → count. */
  byKernel: Map<string, number>;
}

interface EngineInternals {
  state: { kernelDepth: number; tensorInfo: WeakMap<object, { bytes: number; backend: unknown }> };
  runKernelFunc: (p: { kernelName?: string }) => unknown;
  trackTensor: (a: { dataId: object }, backend: unknown) => void;
  removeDataId: (dataId: object, backend: unknown) => void;
  read: (dataId: object) => unknown;
  readSync: (dataId: object) => unknown;
}

/** Runs `f` (sync or async) with the engine instrumented; hooks are removed afterwards. */
export async function meter<T>(f: () => T | Promise<T>): Promise<{ result: T; reading: MeterReading }> {
  const e = tf.engine() as unknown as EngineInternals;
  const backend = tf.backend() as unknown as { runWebGPUProgram?: (...a: unknown[]) => unknown };
  const orig = {
    runKernelFunc: e.runKernelFunc,
    trackTensor: e.trackTensor,
    removeDataId: e.removeDataId,
    read: e.read,
    readSync: e.readSync,
  };
  const origProgram = backend.runWebGPUProgram;
  const own = (o: object, k: string) => Object.hasOwn(o, k);
  const ownBefore = new Set(Object.keys(orig).filter((k) => own(e, k)));
  const programOwn = own(backend, 'runWebGPUProgram');
  const r: MeterReading = {
    kernels: 0,
    dispatches: origProgram ? 0 : null,
    readBacks: 0,
    // tfjs keeps buffers in a WeakMap (not enumerable): the start is tf.memory()'s count, which
    // is exact while no reshaped views are alive (between steps: parameters, optimiser, inputs).
    startBytes: tf.memory().numBytes,
    peakBytes: 0,
    endBytes: 0,
    byKernel: new Map(),
  };
  let live = r.startBytes;
  r.peakBytes = live;
  e.runKernelFunc = function (this: EngineInternals, p) {
    if (this.state.kernelDepth === 0) {
      r.kernels++;
      const name = p.kernelName ?? 'custom';
      r.byKernel.set(name, (r.byKernel.get(name) ?? 0) + 1);
    }
    return orig.runKernelFunc.call(this, p);
  };
  e.trackTensor = function (this: EngineInternals, a, b) {
    const isNew = !this.state.tensorInfo.has(a.dataId);
    orig.trackTensor.call(this, a, b);
    if (isNew) {
      live += this.state.tensorInfo.get(a.dataId)!.bytes;
      if (live > r.peakBytes) r.peakBytes = live;
    }
  };
  e.removeDataId = function (this: EngineInternals, dataId, b) {
    const info = this.state.tensorInfo.get(dataId);
    if (info && info.backend === b) live -= info.bytes;
    orig.removeDataId.call(this, dataId, b);
  };
  e.read = function (this: EngineInternals, dataId) {
    r.readBacks++;
    return orig.read.call(this, dataId);
  };
  e.readSync = function (this: EngineInternals, dataId) {
    r.readBacks++;
    return orig.readSync.call(this, dataId);
  };
  if (origProgram) {
    backend.runWebGPUProgram = function (this: unknown, ...a: unknown[]) {
      r.dispatches!++;
      return origProgram.apply(this, a);
    };
  }
  try {
    const result = await f();
    r.endBytes = live;
    return { result, reading: r };
  } finally {
    // Methods that lived on the prototype get their shadowing hook deleted; own ones are restored.
    for (const [k, v] of Object.entries(orig)) {
      if (ownBefore.has(k)) (e as unknown as Record<string, unknown>)[k] = v;
      else delete (e as unknown as Record<string, unknown>)[k];
    }
    if (origProgram) {
      if (programOwn) backend.runWebGPUProgram = origProgram;
      else delete (backend as Record<string, unknown>).runWebGPUProgram;
    }
  }
}
