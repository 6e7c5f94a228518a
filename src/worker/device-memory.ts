// What the running backend lets a training step hold (src/engine/memory-fit.ts), as the page learns
// it with the backend: the wasm heap's 4 GiB; a WebGPU device's largest buffer (its total memory
// is not visible to a page); nothing known for WebGL and the CPU backend.
import { tf } from '../engine/tf.ts';
import { WASM_HEAP_BYTES, type DeviceMemory } from '../engine/memory-fit.ts';
import type { BackendName } from './protocol.ts';

interface LimitsLike {
  maxBufferSize?: number;
  maxStorageBufferBindingSize?: number;
}

export function deviceMemoryOf(name: BackendName, limits: LimitsLike | null): DeviceMemory | null {
  if (name === 'wasm') return { what: "the wasm backend's 4 GiB heap", totalBytes: WASM_HEAP_BYTES, maxBufferBytes: null, device: 'cpu' };
  if (name !== 'webgpu' || !limits) return null;
  const caps = [limits.maxBufferSize, limits.maxStorageBufferBindingSize].filter((n): n is number => typeof n === 'number' && n > 0);
  return { what: 'this GPU (WebGPU)', totalBytes: null, maxBufferBytes: caps.length ? Math.min(...caps) : null, device: 'gpu' };
}

/** The running backend's memory (WebGPU's limits read from its device). */
export function currentDeviceMemory(name: BackendName): DeviceMemory | null {
  const device = name === 'webgpu' ? (tf.backend() as unknown as { device?: { limits?: LimitsLike } }).device : undefined;
  return deviceMemoryOf(name, device?.limits ?? null);
}
