// Backend setup for Node (the `eac` CLI and tests): cpu, wasm, or WebGPU through Dawn.
import { createRequire } from 'node:module';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { tf } from '../engine/tf.ts';
import { planGpu } from './plan-device.ts';

export type BackendName = 'cpu' | 'wasm' | 'webgpu';
export const BACKENDS: readonly BackendName[] = ['cpu', 'wasm', 'webgpu'];

const require = createRequire(import.meta.url);

/** Vulkan driver defaults for Dawn: Chromium's SwiftShader ICD when nothing else is configured. */
function prepareVulkanEnv(): void {
  const swiftshader = '/usr/lib/chromium/vk_swiftshader_icd.json';
  // Without SwiftShader, the system's Vulkan loader picks a real GPU driver.
  if (!process.env.VK_ICD_FILENAMES && !process.env.EAC_SYSTEM_VULKAN && existsSync(swiftshader))
    process.env.VK_ICD_FILENAMES = swiftshader;
  if (!process.env.XDG_RUNTIME_DIR) {
    const dir = path.join(os.tmpdir(), `eac-xdg-${process.getuid?.() ?? 'user'}`);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    process.env.XDG_RUNTIME_DIR = dir;
  }
}

export interface BackendInfo {
  backend: BackendName;
  /** The GPU adapter's description for webgpu, else null. */
  adapter: string | null;
}

/**
 * Registers and selects a backend. WebGPU in Node needs libvulkan; LD_LIBRARY_PATH must already
 * point at a Vulkan loader before the process starts (the `bin/eac.js` launcher arranges that).
 */
export async function setupBackend(name: BackendName, options: { nullAdapter?: boolean } = {}): Promise<BackendInfo> {
  await import('@tensorflow/tfjs-backend-cpu');
  // tfjs's CPU backend greets every Node process on first use with advice to install tfjs-node
  // (which cannot be installed here); the CLI says which backend runs itself.
  const cpu = tf.engine().findBackend('cpu') as { firstUse?: boolean } | null;
  if (cpu) cpu.firstUse = false;
  let adapter: string | null = null;
  if (name === 'wasm') {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    const distDir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
    wasm.setWasmPaths(distDir + path.sep);
  } else if (name === 'webgpu') {
    prepareVulkanEnv();
    const webgpu = await import('webgpu');
    Object.assign(globalThis, webgpu.globals);
    // Dawn's Null adapter: the whole WebGPU front end runs (validation, encoding), no GPU executes
    // anything: dispatches and JavaScript encode time of any size without a GPU.
    const gpu = options.nullAdapter ? planGpu(webgpu.create(['backend=null'])) : webgpu.create([]);
    // tfjs-backend-webgpu looks for navigator.gpu; Node 21+ has a read-only navigator.
    const nav = (globalThis as { navigator?: object }).navigator;
    if (nav) Object.defineProperty(nav, 'gpu', { value: gpu, configurable: true });
    else Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
    const probe = await gpu.requestAdapter();
    if (!probe) throw new Error('WebGPU: no adapter found (is a Vulkan driver installed? see README)');
    const info = (probe as unknown as { info?: { description?: string; vendor?: string; architecture?: string } }).info;
    adapter = [info?.vendor, info?.architecture, info?.description].filter(Boolean).join(' ') || 'unknown adapter';
    await import('@tensorflow/tfjs-backend-webgpu');
  }
  const ok = await tf.setBackend(name);
  if (!ok) throw new Error(`backend ${name} failed to initialise`);
  await tf.ready();
  // tfjs-webgpu otherwise runs ops on tiny tensors on the CPU, which forces GPU→CPU read-backs.
  if (name === 'webgpu') tf.env().set('WEBGPU_CPU_FORWARD', false);
  return { backend: name, adapter };
}
