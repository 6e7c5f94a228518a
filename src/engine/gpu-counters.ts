// Counts the WebGPU calls a piece of work makes on tfjs's device: bind groups, pipelines and
// buffers created, uniform and other buffer writes, compute passes, submits. The step program's
// claim — nothing is created per replayed step — is measured here (bench and tests), not assumed.
import { tf } from './tf.ts';
import type { GpuBuffer, GpuCommandEncoder, GpuDevice } from './step-program/gpu-types.ts';
import { BUFFER_USAGE } from './step-program/gpu-types.ts';

export interface GpuCallCounts {
  bindGroups: number;
  pipelines: number;
  buffers: number;
  /** queue.writeBuffer calls into uniform buffers, and into any other buffer. */
  uniformWrites: number;
  writes: number;
  passes: number;
  submits: number;
}

const zero = (): GpuCallCounts => ({ bindGroups: 0, pipelines: 0, buffers: 0, uniformWrites: 0, writes: 0, passes: 0, submits: 0 });

/** tfjs's WebGPU device, or null on another backend. */
export function webgpuDevice(): GpuDevice | null {
  if (tf.getBackend() !== 'webgpu') return null;
  return (tf.backend() as unknown as { device: GpuDevice }).device;
}

/** Runs `f` with the device's calls counted (null counts on other backends); the hooks are removed afterwards. */
export async function countGpuCalls<T>(f: () => T | Promise<T>): Promise<{ result: T; counts: GpuCallCounts | null }> {
  const device = webgpuDevice();
  if (!device) return { result: await f(), counts: null };
  const c = zero();
  const d = device as unknown as Record<string, unknown>;
  const q = device.queue as unknown as Record<string, unknown>;
  const saved: [Record<string, unknown>, string, unknown, boolean][] = [];
  const hook = (o: Record<string, unknown>, k: string, wrap: (orig: (...a: unknown[]) => unknown) => (...a: unknown[]) => unknown) => {
    const orig = o[k] as (...a: unknown[]) => unknown;
    saved.push([o, k, orig, Object.hasOwn(o, k)]);
    o[k] = wrap(orig);
  };
  hook(
    d,
    'createBindGroup',
    (orig) =>
      function (this: unknown, ...a) {
        c.bindGroups++;
        return orig.apply(device, a);
      },
  );
  for (const k of ['createComputePipeline', 'createComputePipelineAsync'])
    hook(d, k, (orig) => (...a) => {
      c.pipelines++;
      return orig.apply(device, a);
    });
  hook(d, 'createBuffer', (orig) => (...a) => {
    c.buffers++;
    return orig.apply(device, a);
  });
  hook(d, 'createCommandEncoder', (orig) => (...a) => {
    const enc = orig.apply(device, a) as GpuCommandEncoder;
    const begin = enc.beginComputePass.bind(enc);
    enc.beginComputePass = (desc) => {
      c.passes++;
      return begin(desc);
    };
    return enc;
  });
  hook(q, 'writeBuffer', (orig) => (...a) => {
    if (((a[0] as GpuBuffer).usage & BUFFER_USAGE.UNIFORM) !== 0) c.uniformWrites++;
    else c.writes++;
    return orig.apply(device.queue, a);
  });
  hook(q, 'submit', (orig) => (...a) => {
    c.submits++;
    return orig.apply(device.queue, a);
  });
  try {
    return { result: await f(), counts: c };
  } finally {
    for (const [o, k, orig, own] of saved.reverse()) {
      if (own) o[k] = orig;
      else delete o[k];
    }
  }
}
