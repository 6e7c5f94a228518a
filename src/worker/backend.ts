// Picks the TensorFlow.js backend in a browser (the training worker, or a test page): WebGPU
// first; without a WebGPU adapter, WebGL; then WebAssembly; then plain-JavaScript CPU. Each
// attempt is recorded with the reason it failed, so the page can say which backend runs and why.
import { tf } from '../engine/tf.ts';
import { TimeoutError, withTimeout } from './with-timeout.ts';
import { BACKEND_LABELS, BACKEND_ORDER, type BackendAttempt, type BackendName } from './protocol.ts';
// The WASM binaries are bundled by Vite and served from the app's own origin (no CDN).
import wasmPlainUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedSimdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';

const WASM_PATHS = {
  'tfjs-backend-wasm.wasm': wasmPlainUrl,
  'tfjs-backend-wasm-simd.wasm': wasmSimdUrl,
  'tfjs-backend-wasm-threaded-simd.wasm': wasmThreadedSimdUrl,
} as const;

export interface BackendSelection {
  name: BackendName;
  /** GPU adapter (WebGPU) or renderer (WebGL) description, when known. */
  adapter: string | null;
  /** One sentence for people: which backend runs and why. */
  reason: string;
  attempts: BackendAttempt[];
}

export class NoBackendError extends Error {
  constructor(readonly attempts: BackendAttempt[]) {
    super(`no TensorFlow.js backend could start: ${attempts.map((a) => `${BACKEND_LABELS[a.name]}: ${a.detail}`).join('; ')}`);
  }
}

// Minimal WebGPU shapes (the DOM library of this TypeScript version may not declare them).
interface GpuAdapterInfoLike {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
  isFallbackAdapter?: boolean;
}
interface GpuAdapterLike {
  info?: GpuAdapterInfoLike;
  isFallbackAdapter?: boolean;
  requestAdapterInfo?: () => Promise<GpuAdapterInfoLike>;
}
interface GpuLike {
  requestAdapter(options?: { powerPreference?: string }): Promise<GpuAdapterLike | null>;
}

type Probe = { ok: true; adapter: string | null; threads?: number } | { ok: false; detail: string };

/** Longer than any healthy start (WebGPU's device, WASM's module and threads: seconds). */
const START_TIMEOUT_MS = 90_000;

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Describes a WebGPU adapter, e.g. "google swiftshader (software fallback adapter)". */
async function describeAdapter(adapter: GpuAdapterLike): Promise<string> {
  let info = adapter.info;
  if (!info && typeof adapter.requestAdapterInfo === 'function') {
    try {
      info = await adapter.requestAdapterInfo();
    } catch {
      /* older browsers: no details */
    }
  }
  const parts = [info?.vendor, info?.architecture, info?.device, info?.description].filter((s): s is string => !!s && s.trim() !== '');
  const unique = parts.filter((p, i) => parts.indexOf(p) === i);
  const name = unique.join(' ') || 'unnamed adapter';
  const fallback = info?.isFallbackAdapter ?? adapter.isFallbackAdapter ?? false;
  return fallback ? `${name} (software fallback adapter)` : name;
}

async function probeWebGPU(): Promise<Probe> {
  const nav = (globalThis as { navigator?: { gpu?: GpuLike } }).navigator;
  if (!nav?.gpu) {
    const secure = (globalThis as { isSecureContext?: boolean }).isSecureContext;
    return {
      ok: false,
      detail:
        secure === false
          ? 'navigator.gpu missing (the page is not a secure context: use https or localhost)'
          : 'navigator.gpu missing (this browser has no WebGPU, or it is turned off)',
    };
  }
  if (gpuUnresponsive) return { ok: false, detail: GPU_BUSY };
  let adapter: GpuAdapterLike | null;
  try {
    adapter = await withTimeout(
      nav.gpu.requestAdapter({ powerPreference: 'high-performance' }),
      ADAPTER_TIMEOUT_MS,
      'the GPU adapter request',
    );
  } catch (e) {
    // A GPU process still busy (e.g. compiling for a run stopped in its first step on a software
    // GPU) answers no request: not WebGL either, whose context creation would block this worker.
    if (e instanceof TimeoutError) {
      gpuUnresponsive = true;
      return { ok: false, detail: GPU_BUSY };
    }
    return { ok: false, detail: `navigator.gpu.requestAdapter() failed: ${errorText(e)}` };
  }
  if (!adapter)
    return { ok: false, detail: 'no GPU adapter (navigator.gpu.requestAdapter() returned null: WebGPU disabled or GPU blocklisted)' };
  return { ok: true, adapter: await describeAdapter(adapter) };
}

/** How long a GPU adapter request may take before the GPU counts as unresponsive. */
const ADAPTER_TIMEOUT_MS = 15_000;
const GPU_BUSY = `the GPU did not answer within ${ADAPTER_TIMEOUT_MS / 1000} s (busy, e.g. still compiling for a run stopped in its first step): skipped`;
/** Set once the GPU did not answer: this worker then starts no GPU backend. */
let gpuUnresponsive = false;

function probeWebGL(): Probe {
  if (gpuUnresponsive) return { ok: false, detail: GPU_BUSY };
  let canvas: OffscreenCanvas | HTMLCanvasElement;
  if (typeof OffscreenCanvas !== 'undefined') canvas = new OffscreenCanvas(1, 1);
  else if (typeof document !== 'undefined') canvas = document.createElement('canvas');
  else return { ok: false, detail: 'OffscreenCanvas missing in this worker' };
  const gl = (canvas.getContext('webgl2') ?? canvas.getContext('webgl')) as WebGLRenderingContext | WebGL2RenderingContext | null;
  if (!gl) return { ok: false, detail: 'no WebGL context could be created (WebGL disabled or GPU blocklisted)' };
  let renderer: string | null = null;
  try {
    const ext = gl.getExtension('WEBGL_debug_renderer_info');
    renderer = String(gl.getParameter(ext ? ext.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
  } catch {
    /* renderer name is optional */
  }
  gl.getExtension('WEBGL_lose_context')?.loseContext();
  return { ok: true, adapter: renderer };
}

let wasmPathsSet = false;

async function registerBackend(name: BackendName): Promise<void> {
  if (name === 'webgpu') await import('@tensorflow/tfjs-backend-webgpu');
  else if (name === 'wasm') {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    if (!wasmPathsSet) {
      wasm.setWasmPaths({ ...WASM_PATHS });
      wasmPathsSet = true;
    }
  }
  // webgl and cpu come with @tensorflow/tfjs.
}

/** Runs one tiny op and reads it back: a backend that initialises but cannot compute is refused. */
async function smokeTest(): Promise<string | null> {
  const t = tf.tidy(() => tf.add(tf.tensor1d([1, 2, 3]), tf.scalar(1)));
  try {
    const v = Array.from(await t.data());
    return v.join(',') === '2,3,4' ? null : `a test computation gave ${v.join(',')} instead of 2,3,4`;
  } finally {
    t.dispose();
  }
}

async function tryBackend(name: BackendName): Promise<Probe> {
  let adapter: string | null = null;
  if (name === 'webgpu') {
    const p = await probeWebGPU();
    if (!p.ok) return p;
    adapter = p.adapter;
  } else if (name === 'webgl') {
    const p = probeWebGL();
    if (!p.ok) return p;
    adapter = p.adapter;
  }
  let threads: number | undefined;
  try {
    await registerBackend(name);
    const ok = await withTimeout(tf.setBackend(name), START_TIMEOUT_MS, 'starting it');
    if (!ok || tf.getBackend() !== name) return { ok: false, detail: 'TensorFlow.js could not initialise it (see the console)' };
    await tf.ready();
    // tfjs-webgpu otherwise runs ops on tiny tensors on the CPU: read-backs mid-step, and labels
    // computed on the CPU that a recorded step program could not replay (as in Node's setup).
    if (name === 'webgpu') tf.env().set('WEBGPU_CPU_FORWARD', false);
    const bad = await withTimeout(smokeTest(), START_TIMEOUT_MS, 'a test computation');
    if (bad) return { ok: false, detail: bad };
    if (name === 'wasm') threads = (await import('@tensorflow/tfjs-backend-wasm')).getThreadsCount();
  } catch (e) {
    return { ok: false, detail: `failed to start: ${errorText(e)}` };
  }
  return { ok: true, adapter, threads };
}

/**
 * How many threads WASM computes on, and why not more. tfjs-wasm's threaded module sizes its pool
 * at half the logical cores the browser reports (one per physical core on most x86 machines), 1
 * to 8; it loads only in a cross-origin isolated page.
 */
function threadsText(threads: number): string {
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
  if (!isolated)
    return ' It computes on 1 thread: the page is not cross-origin isolated (the server sends no COOP/COEP headers; see README), so WebAssembly threads are off.';
  const cores = typeof navigator !== 'undefined' ? navigator.hardwareConcurrency : 0;
  return ` It computes on ${threads} ${threads === 1 ? 'thread' : 'threads'} (TensorFlow.js uses half of the ${cores} logical cores, 1 to 8).`;
}

/**
 * Selects the first backend of `order` that starts and computes. Throws NoBackendError if none.
 * `order` defaults to WebGPU → WebGL → WASM → CPU; a test page passes ['webgpu'] to insist.
 * `earlier`: backends already given up on (e.g. one that failed while training), for the reason.
 */
export async function selectBackend(
  order: readonly BackendName[] = BACKEND_ORDER,
  earlier: readonly BackendAttempt[] = [],
): Promise<BackendSelection> {
  const attempts: BackendAttempt[] = [...earlier];
  for (const name of order) {
    const r = await tryBackend(name);
    if (r.ok) {
      attempts.push({ name, ok: true, detail: r.adapter ? `running on ${r.adapter}` : 'running' });
      if (name === 'wasm' || name === 'cpu') makeReadsYield();
      const reason = explain(name, attempts, r.adapter) + (r.threads !== undefined ? threadsText(r.threads) : '');
      return { name, adapter: r.adapter, reason, attempts };
    }
    attempts.push({ name, ok: false, detail: r.detail });
  }
  throw new NoBackendError(attempts);
}

function explain(name: BackendName, attempts: BackendAttempt[], adapter: string | null): string {
  const failed = attempts.filter((a) => !a.ok);
  const label = BACKEND_LABELS[name];
  if (failed.length === 0) {
    if (name !== 'webgpu') return `${label} was requested and is available.`;
    return /fallback adapter/.test(adapter ?? '')
      ? 'WebGPU is available, but only through a software adapter (the GPU is emulated on the CPU, slowly): on Auto, training measures WebAssembly and uses it instead.'
      : 'WebGPU is available: training runs on the GPU through WebGPU, the first choice.';
  }
  const why = failed.map((a) => `${BACKEND_LABELS[a.name]} unavailable: ${a.detail}`).join('; ');
  return `${why}. Using ${label} instead${name === 'cpu' ? ' (slow)' : ''}.`;
}

/** A macrotask turn (a MessageChannel round trip: no timer clamping). */
export function macrotask(): Promise<void> {
  return new Promise((resolve) => {
    const ch = new MessageChannel();
    ch.port1.onmessage = () => {
      ch.port1.close();
      resolve();
    };
    ch.port2.postMessage(null);
  });
}

/**
 * On the CPU and WASM backends, `tensor.data()` resolves as a microtask, so a training loop that
 * only awaits reads never lets the worker handle a message (Stop would wait for the whole run).
 * This makes each asynchronous read of the current backend wait for one macrotask first: one
 * cheap turn of the event loop per training step.
 */
function makeReadsYield(): void {
  const backend = tf.backend() as unknown as { read: (dataId: object) => Promise<unknown>; __eacYields?: boolean };
  if (backend.__eacYields) return;
  const read = backend.read.bind(backend);
  backend.read = async (dataId: object) => {
    await macrotask();
    return read(dataId);
  };
  backend.__eacYields = true;
}
