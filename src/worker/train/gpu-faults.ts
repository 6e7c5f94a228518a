// What can go wrong with a GPU while a run trains: the device is lost (driver reset, another tab,
// sleep) or runs out of memory. Both arrive as events on the WebGPU device, not as exceptions of
// the step that hit them, so they are turned into a GpuFault the run session stops with.

type GpuFaultKind = 'device-lost' | 'out-of-memory';

export class GpuFault extends Error {
  constructor(
    readonly kind: GpuFaultKind,
    message: string,
  ) {
    super(message);
    this.name = 'GpuFault';
  }
}

/** The part of a WebGPU device watched here (the DOM library may not declare WebGPU). */
export interface GpuDeviceLike {
  lost: Promise<{ reason?: string; message?: string }>;
  addEventListener(type: 'uncapturederror', cb: (ev: { error?: { constructor?: { name?: string }; message?: string } }) => void): void;
  destroy(): void;
}

/** Calls `onFault` once the device is lost, and on each out-of-memory error it reports. */
export function watchGpu(device: GpuDeviceLike, onFault: (f: GpuFault) => void): void {
  void device.lost.then((info) => {
    const why = info?.message || info?.reason || 'unknown reason';
    onFault(new GpuFault('device-lost', `the GPU device was lost (${why}); the run can resume from its last checkpoint`));
  });
  device.addEventListener('uncapturederror', (ev) => {
    // GPUOutOfMemoryError is a class of its own; some implementations only say it in the message.
    const name = ev.error?.constructor?.name ?? '';
    if (/OutOfMemory/i.test(name) || /out of memory/i.test(ev.error?.message ?? '')) {
      onFault(new GpuFault('out-of-memory', 'the GPU ran out of memory: lower the batch size or the input size'));
    }
  });
}

/** Waits a moment for a pending `device.lost` to settle: a lost device also fails the step in flight. */
export async function gpuSettled(device: GpuDeviceLike | null, waitMs = 1000): Promise<void> {
  if (device) await Promise.race([device.lost, new Promise((r) => setTimeout(r, waitMs))]);
}
