// For `eac bench --plan` on Dawn's Null adapter: a device whose large GPU-side buffers are
// allocated small (Null caps its memory well below a full ResNet-50 step's), while tfjs still
// sees their full size. Bindings use whole buffers, copies and writes are clamped to what
// exists, so every program is validated and encoded as for real (uploads go nowhere); nothing executes on Null
// anyway, and the numbers read back are meaningless either way.

/** Buffers above this are allocated at this size (uploads mapped at creation write into a throwaway JS buffer). */
const CAP = 256;
/** GPUBufferUsage.UNIFORM. */
const UNIFORM = 0x40;

type Buffer = { size: number };
type Encoder = { copyBufferToBuffer: (src: Buffer, so: number, dst: Buffer, d: number, size: number) => void };
type Queue = { writeBuffer: (b: Buffer, off: number, data: ArrayBufferView | ArrayBuffer, dataOff?: number, size?: number) => void };
type Device = {
  createBuffer: (d: { size: number; usage: number; mappedAtCreation?: boolean }) => Buffer;
  createCommandEncoder: (d?: object) => Encoder;
  queue: Queue;
};

function patchDevice(device: Device): void {
  const real = new WeakMap<Buffer, number>();
  const realSize = (b: Buffer) => real.get(b) ?? b.size;
  const createBuffer = device.createBuffer.bind(device);
  device.createBuffer = (d) => {
    // Uniform buffers stay whole: the step program binds ranges of one at offsets.
    if (d.size <= CAP || d.usage & UNIFORM) return createBuffer(d);
    const b = createBuffer({ ...d, size: CAP });
    if (d.mappedAtCreation) {
      // tfjs fills the whole mapped range before unmapping: hand it a full-size scratch buffer.
      Object.defineProperty(b, 'getMappedRange', { value: () => new ArrayBuffer(d.size) });
    }
    real.set(b, CAP);
    // tfjs's buffer pool keys buffers by their size: it must see the size it asked for.
    Object.defineProperty(b, 'size', { value: d.size });
    return b;
  };
  const createEncoder = device.createCommandEncoder.bind(device);
  device.createCommandEncoder = (d) => {
    const enc = createEncoder(d);
    const copy = enc.copyBufferToBuffer.bind(enc);
    enc.copyBufferToBuffer = (src, so, dst, d2, size) => copy(src, so, dst, d2, Math.min(size, realSize(src) - so, realSize(dst) - d2));
    return enc;
  };
  const queue = device.queue;
  const write = queue.writeBuffer.bind(queue);
  queue.writeBuffer = (b, off, data, dataOff = 0, size) => {
    const bytesPer = ArrayBuffer.isView(data) ? ((data as unknown as { BYTES_PER_ELEMENT?: number }).BYTES_PER_ELEMENT ?? 1) : 1;
    const total =
      (ArrayBuffer.isView(data) ? ((data as unknown as { length: number }).length ?? data.byteLength) : data.byteLength) - dataOff;
    const n = Math.min(size ?? total, Math.floor((realSize(b) - off) / bytesPer));
    write(b, off, data, dataOff, n);
  };
}

/** Wraps a navigator.gpu-like object so that every device it hands out is patched as above. */
export function planGpu<T extends object>(gpu: T): T {
  const g = gpu as unknown as { requestAdapter: (o?: object) => Promise<{ requestDevice: (d?: object) => Promise<Device> } | null> };
  const requestAdapter = g.requestAdapter.bind(g);
  g.requestAdapter = async (o) => {
    const adapter = await requestAdapter(o);
    if (!adapter) return adapter;
    const requestDevice = adapter.requestDevice.bind(adapter);
    adapter.requestDevice = async (d) => {
      const device = await requestDevice(d);
      patchDevice(device);
      return device;
    };
    return adapter;
  };
  return gpu;
}
