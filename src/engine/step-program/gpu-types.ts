// The few WebGPU and tfjs-backend-webgpu shapes the step program touches, written structurally:
// the engine type-checks without the DOM's WebGPU types (tsconfig.engine.json), and runs on
// Chromium's and on Dawn's (Node) objects alike.

/** GPUBufferUsage's bits (the global is absent where the engine is type-checked). */
export const BUFFER_USAGE = { MAP_READ: 0x1, COPY_SRC: 0x4, COPY_DST: 0x8, UNIFORM: 0x40, STORAGE: 0x80, QUERY_RESOLVE: 0x200 } as const;
/** GPUMapMode.READ. */
export const MAP_READ = 0x1;

export interface GpuBuffer {
  readonly size: number;
  readonly usage: number;
  destroy(): void;
  mapAsync(mode: number): Promise<void>;
  getMappedRange(): ArrayBuffer;
  unmap(): void;
}
interface GpuQuerySet {
  destroy(): void;
}
export type GpuPipeline = { getBindGroupLayout(index: number): unknown };
export type GpuBindGroup = object;
interface GpuComputePass {
  setPipeline(p: GpuPipeline): void;
  setBindGroup(index: number, group: GpuBindGroup): void;
  dispatchWorkgroups(x: number, y?: number, z?: number): void;
  end(): void;
}
export interface GpuCommandEncoder {
  beginComputePass(d?: {
    timestampWrites?: { querySet: GpuQuerySet; beginningOfPassWriteIndex: number; endOfPassWriteIndex: number };
  }): GpuComputePass;
  resolveQuerySet(set: GpuQuerySet, first: number, count: number, dst: GpuBuffer, offset: number): void;
  copyBufferToBuffer(src: GpuBuffer, srcOffset: number, dst: GpuBuffer, dstOffset: number, size: number): void;
  finish(): unknown;
}
interface GpuQueue {
  writeBuffer(buffer: GpuBuffer, offset: number, data: ArrayBufferView | ArrayBuffer, dataOffset?: number, size?: number): void;
  submit(buffers: unknown[]): void;
}
export interface GpuDevice {
  readonly queue: GpuQueue;
  readonly limits: { minUniformBufferOffsetAlignment: number };
  readonly features: { has(name: string): boolean };
  createQuerySet(d: { type: 'timestamp'; count: number }): GpuQuerySet;
  createBuffer(d: { size: number; usage: number; mappedAtCreation?: boolean; label?: string }): GpuBuffer;
  createBindGroup(d: {
    layout: unknown;
    entries: { binding: number; resource: { buffer: GpuBuffer; offset?: number; size?: number } }[];
  }): GpuBindGroup;
  createCommandEncoder(d?: object): GpuCommandEncoder;
  createComputePipeline(d: object): GpuPipeline;
}

/** tfjs-backend-webgpu's tensor record. */
interface TensorData {
  dtype: string;
  shape: number[];
  values: ArrayLike<number> | null;
  refCount: number;
  resource: GpuBuffer | null;
  external?: boolean;
}

interface WebGpuProgramLike {
  pipeline: unknown;
  shaderKey: string;
  dispatch: number[];
  constructor?: { name?: string };
}

type TensorInfoLike = { dataId: object; shape: number[]; dtype: string };

/** The parts of tfjs-backend-webgpu's WebGPUBackend (4.x) the step program uses. */
export interface WebGpuBackendInternals {
  device: GpuDevice;
  queue: GpuQueue;
  tensorMap: { get(dataId: object): TensorData | undefined; has(dataId: object): boolean };
  commandEncoder: GpuCommandEncoder | null;
  bufferManager: {
    freeBuffers: Map<string, GpuBuffer[]>;
    numFreeBuffers: number;
    numBytesAllocated: number;
  };
  uploadToGPU(dataId: object): void;
  makeUniforms(fields: { type: string; data: number[] }[]): { offset: number; size: number; buffer: GpuBuffer };
  recordAndSubmit(program: WebGpuProgramLike, output: TensorInfoLike, inputs: TensorInfoLike[], uniforms?: unknown): void;
  read(dataId: object): Promise<unknown>;
  readSync(dataId: object): unknown;
  copyBuffer(src: GpuBuffer): GpuBuffer;
  makeTensorInfo(shape: number[], dtype: string): TensorInfoLike;
  createTensorFromGPUData(data: { buffer: GpuBuffer; zeroCopy?: boolean }, shape: number[], dtype: string): unknown;
  endComputePassEncoder(): void;
  submitQueue(): void;
}
