// Where a wasm training step's time goes, kernel by kernel: every kernel registered for the wasm
// backend is wrapped with a timer (wasm kernels run synchronously, so wall time is theirs), then
// one EAC step runs after a warm-up step (src/engine/bench.ts), and the kernels are listed by time.
//
//   node --import tsx scripts/measure/wasm-kernel-profile.ts [--arch resnet18] [--size 112] [--batch-size 32]
//        [--steps 1] [--shapes] [--top 30]
//
// --shapes: one row per kernel and input shapes (typed-array attributes are left out of the key).
import { parseArgs } from 'node:util';
import { tf } from '../../src/engine/tf.ts';
import { setupBackend } from '../../src/cli/node-backends.ts';
import { benchmarkSteps } from '../../src/engine/bench.ts';
import { gatherRows, gatherRowsTransposed } from '../../src/engine/gather-windows.ts';
import type { Arch } from '../../src/engine/resnet.ts';

const { values: a } = parseArgs({
  options: {
    arch: { type: 'string', default: 'resnet18' },
    size: { type: 'string', default: '112' },
    'batch-size': { type: 'string', default: '32' },
    steps: { type: 'string', default: '1' },
    shapes: { type: 'boolean', default: false },
    top: { type: 'string', default: '30' },
  },
});

await setupBackend('wasm');
// The engine's own wasm kernels register on first use: use them once so that they are wrapped too.
const probe = tf.zeros([2, 2]) as tf.Tensor2D;
tf.dispose([gatherRows(probe, Int32Array.of(0)), gatherRowsTransposed(probe, Int32Array.of(0), 1), probe]);

interface Kernel {
  kernelName: string;
  backendName: string;
  kernelFunc: (args: { inputs: Record<string, tf.TensorInfo>; attrs?: Record<string, unknown> }) => unknown;
}
const registry = tf as unknown as {
  getKernelsForBackend(b: string): Kernel[];
  unregisterKernel(name: string, backend: string): void;
  registerKernel(k: Kernel): void;
};
const times = new Map<string, { ms: number; calls: number }>();
let timing = false;
const keyOf = (name: string, args: Parameters<Kernel['kernelFunc']>[0]) => {
  if (!a.shapes) return name;
  const attrs = Object.entries(args.attrs ?? {}).filter(([, v]) => !ArrayBuffer.isView(v));
  return `${name} ${JSON.stringify(Object.values(args.inputs).map((t) => t.shape))} ${JSON.stringify(Object.fromEntries(attrs)).slice(0, 80)}`;
};
for (const k of registry.getKernelsForBackend('wasm')) {
  const run = k.kernelFunc;
  registry.unregisterKernel(k.kernelName, 'wasm');
  registry.registerKernel({
    ...k,
    kernelFunc: (args) => {
      if (!timing) return run(args);
      const t0 = performance.now();
      const out = run(args);
      const e = times.get(keyOf(k.kernelName, args)) ?? { ms: 0, calls: 0 };
      e.ms += performance.now() - t0;
      e.calls++;
      times.set(keyOf(k.kernelName, args), e);
      return out;
    },
  });
}

let stepMs = 0;
const steps = Number(a.steps);
await benchmarkSteps(
  { arch: a.arch as Arch, width: 64, size: Number(a.size), batchSize: Number(a['batch-size']), steps, warmup: 1, method: 'eac' },
  (i, warm, ms) => {
    process.stderr.write(`${warm ? 'warm-up' : 'step'} ${i}: ${ms.toFixed(0)} ms\n`);
    if (warm) timing = true;
    else stepMs += ms;
  },
);
const rows = [...times].sort((x, y) => y[1].ms - x[1].ms);
const total = rows.reduce((s, [, v]) => s + v.ms, 0);
const kernels = rows.reduce((s, [, v]) => s + v.calls, 0);
console.log(
  `${a.arch} ${a.size} px batch ${a['batch-size']}, ${steps} step(s): ${stepMs.toFixed(0)} ms; kernels ${total.toFixed(0)} ms (${kernels} calls)`,
);
console.log('| kernel | ms | calls | share |\n| --- | ---: | ---: | ---: |');
for (const [k, v] of rows.slice(0, Number(a.top)))
  console.log(`| ${k} | ${v.ms.toFixed(0)} | ${v.calls} | ${((100 * v.ms) / stepMs).toFixed(1)}% |`);
