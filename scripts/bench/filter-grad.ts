// Filter-gradient benchmark: stock tfjs (tf.grad of tf.conv2d w.r.t. the filter, i.e. the
// Conv2DBackpropFilter kernel) vs src/engine/conv.ts (conv2dFilterGrad), per ResNet conv shape.
//
//   node --import tsx scripts/bench/filter-grad.ts [--backend cpu|wasm|webgpu] [--net resnet50|resnet18]
//        [--batch 4] [--size 224] [--reps 3] [--full] [--plan-only] [--only <layer-name substring>]
//        [--stock-max-macs N  (skip the stock kernel above N multiply-adds)]
//   LD_LIBRARY_PATH=/usr/lib/chromium node --import tsx scripts/bench/filter-grad.ts --backend webgpu --batch 1 --size 64
//
// The backend may also come from EAC_BENCH_BACKEND. --full also times the complete gradient
// (dx and dw) of tf.conv2d vs our conv2d. --plan-only prints the plans (no backend needed).
// Timings are wall-clock, including reading the result back, median of --reps after one warm-up.
// WebGPU in Node runs on SwiftShader (a CPU emulation of a GPU): its timings say nothing about
// real GPU speed, only that the code runs.
import { tf } from '../../src/engine/tf.ts';
import type { Tensor, Tensor4D } from '../../src/engine/tf.ts';
import { setupBackend, BACKENDS, type BackendName } from '../../src/cli/node-backends.ts';
import { conv2d } from '../../src/engine/conv.ts';
import { conv2dFilterGrad } from '../../src/engine/conv-filter-grad.ts';
import { filterGradPlan, type ConvShape } from '../../src/engine/conv-plan.ts';
import { kernelsFor } from '../../src/engine/kernel-table.ts';

interface Args {
  backend: BackendName;
  net: 'resnet50' | 'resnet18';
  batch: number;
  size: number;
  reps: number;
  full: boolean;
  planOnly: boolean;
  stockMaxMacs: number;
  only: string | null;
}

function parseArgs(argv: string[]): Args {
  const args: Args = {
    backend: (process.env.EAC_BENCH_BACKEND ?? 'cpu') as BackendName,
    net: 'resnet50',
    batch: 4,
    size: 224,
    reps: 3,
    full: false,
    planOnly: false,
    stockMaxMacs: Infinity,
    only: null,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--backend') args.backend = next() as BackendName;
    else if (a === '--net') args.net = next() as Args['net'];
    else if (a === '--batch') args.batch = Number(next());
    else if (a === '--size') args.size = Number(next());
    else if (a === '--reps') args.reps = Number(next());
    else if (a === '--full') args.full = true;
    else if (a === '--plan-only') args.planOnly = true;
    else if (a === '--stock-max-macs') args.stockMaxMacs = Number(next());
    else if (a === '--only') args.only = next();
    else throw new Error(`unknown argument ${a}`);
  }
  if (!BACKENDS.includes(args.backend)) throw new Error(`backend must be one of ${BACKENDS.join(', ')}`);
  if (args.net !== 'resnet50' && args.net !== 'resnet18') throw new Error('net must be resnet50 or resnet18');
  return args;
}

interface Layer {
  name: string;
  shape: ConvShape;
}

const out = (i: number, k: number, s: number, p: number): number => Math.floor((i + 2 * p - k) / s) + 1;

/** The distinct conv shapes of ResNet-50 (Caffe layout: stride on the first 1×1) or ResNet-18. */
function resnetConvShapes(net: 'resnet50' | 'resnet18', batch: number, size: number): Layer[] {
  const c = (name: string, hw: number, cin: number, cout: number, k: number, stride: number, pad: number): Layer => ({
    name,
    shape: { batch, inHeight: hw, inWidth: hw, inChannels: cin, outChannels: cout, kernelHeight: k, stride, pad },
  });
  const s1 = out(size, 7, 2, 3); // conv1
  const s2 = out(s1, 3, 2, 1); // max pool → layer1
  const layers: Layer[] = [c('conv1 7x7/2', size, 3, 64, 7, 2, 3)];
  if (net === 'resnet50') {
    let hw = s2;
    let cin = 64;
    const widths = [64, 128, 256, 512];
    widths.forEach((w, li) => {
      const L = `layer${li + 1}`;
      const stride = li === 0 ? 1 : 2;
      const hwOut = out(hw, 1, stride, 0);
      layers.push(c(`${L}.0 1x1${stride > 1 ? '/2' : ''} in`, hw, cin, w, 1, stride, 0));
      layers.push(c(`${L}.0 downsample 1x1${stride > 1 ? '/2' : ''}`, hw, cin, 4 * w, 1, stride, 0));
      layers.push(c(`${L} 3x3`, hwOut, w, w, 3, 1, 1));
      layers.push(c(`${L} 1x1 out`, hwOut, w, 4 * w, 1, 1, 0));
      layers.push(c(`${L}.1+ 1x1 in`, hwOut, 4 * w, w, 1, 1, 0));
      hw = hwOut;
      cin = 4 * w;
    });
    // layer1's conv3 and downsample share a shape (1×1 64→256, stride 1): keep one.
    return layers.filter((l, i) => layers.findIndex((m) => JSON.stringify(m.shape) === JSON.stringify(l.shape)) === i);
  }
  let hw = s2;
  let cin = 64;
  [64, 128, 256, 512].forEach((w, li) => {
    const L = `layer${li + 1}`;
    const stride = li === 0 ? 1 : 2;
    const hwOut = out(hw, 3, stride, 1);
    if (stride > 1) {
      layers.push(c(`${L}.0 3x3/2`, hw, cin, w, 3, 2, 1));
      layers.push(c(`${L}.0 downsample 1x1/2`, hw, cin, w, 1, 2, 0));
    }
    layers.push(c(`${L} 3x3`, hwOut, w, w, 3, 1, 1));
    hw = hwOut;
    cin = w;
  });
  return layers;
}

function describe(s: ConvShape): string {
  return `${s.kernelHeight}x${s.kernelHeight}/${s.stride} p${s.pad} ${s.inChannels}→${s.outChannels} @${s.inHeight}`;
}

function pad(str: string | number, n: number): string {
  return String(str).padEnd(n);
}
function lpad(str: string | number, n: number): string {
  return String(str).padStart(n);
}

function randomTensor(shape: [number, number, number, number], seed: number): Tensor4D {
  return tf.randomUniform(shape, -1, 1, 'float32', seed) as Tensor4D;
}

async function timeIt(fn: () => Tensor[], reps: number): Promise<{ ms: number; first: Float32Array }> {
  let first: Float32Array | null = null;
  const times: number[] = [];
  for (let r = 0; r <= reps; r++) {
    const t0 = performance.now();
    const outs = fn();
    const data = await Promise.all(outs.map((t) => t.data()));
    const t1 = performance.now();
    if (first === null) first = data[data.length - 1] as Float32Array;
    outs.forEach((t) => t.dispose());
    if (r > 0) times.push(t1 - t0); // r = 0 is the warm-up (shader compilation, allocation)
  }
  times.sort((a, b) => a - b);
  return { ms: times[Math.floor(times.length / 2)], first: first! };
}

function relErr(a: Float32Array, b: Float32Array): number {
  let maxRef = 0;
  let maxErr = 0;
  for (let i = 0; i < a.length; i++) {
    maxRef = Math.max(maxRef, Math.abs(b[i]));
    maxErr = Math.max(maxErr, Math.abs(a[i] - b[i]));
  }
  return maxErr / (1 + maxRef);
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const layers = resnetConvShapes(args.net, args.batch, args.size).filter((l) => !args.only || l.name.includes(args.only));
  if (args.planOnly) {
    console.log(`${args.net}, batch ${args.batch}, ${args.size} px — filter-gradient plans (device: gpu)`);
    console.log('matmuls = matmul launches (taps or im2col chunks); ours wg = 64-thread workgroups per matmul (32×32 tiles × S);');
    console.log('chain = reduction rows per thread (k/S); stock wg = 64-thread workgroups of Conv2DBackpropFilter, loop = its serial loop');
    console.log(
      [
        pad('layer', 26),
        pad('shape', 28),
        pad('formulation', 19),
        lpad('S', 5),
        lpad('matmul m×n×k', 18),
        lpad('matmuls', 7),
        lpad('ours wg', 8),
        lpad('chain', 6),
        lpad('stock wg', 9),
        lpad('loop', 7),
        lpad('~MB moved', 10),
        lpad('temp MB', 8),
      ].join(' '),
    );
    for (const l of layers) {
      const p = filterGradPlan(l.shape, { device: 'gpu' });
      console.log(
        [
          pad(l.name, 26),
          pad(describe(l.shape), 28),
          pad(p.formulation, 19),
          lpad(p.splitK, 5),
          lpad(`${p.matmul.m}×${p.matmul.n}×${p.matmul.k}`, 18),
          lpad(`${p.matmuls}`, 7),
          lpad(p.workgroups, 8),
          lpad(p.paddedK / p.splitK, 6),
          lpad(Math.ceil(p.stockThreads / 64), 9),
          lpad(p.stockLoop, 7),
          lpad((p.bytesEstimate / 2 ** 20).toFixed(0), 10),
          lpad((p.peakTempBytes / 2 ** 20).toFixed(1), 8),
        ].join(' '),
      );
    }
    return;
  }

  const info = await setupBackend(args.backend);
  if (args.backend === 'webgpu') tf.env().set('WEBGPU_CPU_FORWARD', false);
  const hasStock = tf.getKernel('Conv2DBackpropFilter', args.backend) !== undefined;
  console.log(
    `backend ${args.backend}${info.adapter ? ` (${info.adapter})` : ''}; ${args.net}, batch ${args.batch}, ${args.size} px; ` +
      `median of ${args.reps} after 1 warm-up; wall ms incl. read-back` +
      (args.backend === 'webgpu' ? '\nNOTE: WebGPU in Node = SwiftShader (CPU emulation): timings do not reflect GPU behaviour.' : ''),
  );
  const header = [
    pad('layer', 26),
    pad('shape', 28),
    pad('formulation', 19),
    lpad('S', 4),
    lpad('dW stock ms', 12),
    lpad('dW ours ms', 11),
    lpad('speedup', 8),
    lpad('rel err', 9),
  ];
  if (args.full) header.push(lpad('dX+dW stock', 12), lpad('dX+dW ours', 11));
  console.log(header.join(' '));
  for (const l of layers) {
    const s = l.shape;
    const p = filterGradPlan(s, { device: args.backend === 'webgpu' ? 'gpu' : 'cpu' });
    const x = randomTensor([s.batch, s.inHeight, s.inWidth, s.inChannels], 1);
    const w = randomTensor([s.kernelHeight, s.kernelHeight, s.inChannels, s.outChannels], 2);
    const g = randomTensor([s.batch, p.outHeight, p.outWidth, s.outChannels], 3);
    const padding =
      s.pad === 0
        ? 'valid'
        : ([
            [0, 0],
            [s.pad, s.pad],
            [s.pad, s.pad],
            [0, 0],
          ] as [[number, number], [number, number], [number, number], [number, number]]);
    const stockConv = (a: Tensor, b: Tensor): Tensor => tf.sum(tf.mul(tf.conv2d(a as Tensor4D, b as Tensor4D, s.stride, padding), g));
    const oursConv = (a: Tensor, b: Tensor): Tensor =>
      tf.sum(tf.mul(conv2d(a as Tensor4D, b as Tensor4D, s.stride, s.pad, kernelsFor(tf.getBackend())), g));
    const macs = p.stockThreads * p.stockLoop;
    const runStock = hasStock && macs <= args.stockMaxMacs;
    const ours = await timeIt(() => [conv2dFilterGrad(x, g as Tensor4D, w.shape, s.stride, s.pad, kernelsFor(tf.getBackend()))], args.reps);
    let stockMs = 'n/a';
    let speedup = '';
    let err = '';
    if (runStock) {
      const stock = await timeIt(() => [tf.grad((b: Tensor) => stockConv(x, b))(w)], args.reps);
      stockMs = stock.ms.toFixed(1);
      speedup = `${(stock.ms / ours.ms).toFixed(2)}×`;
      err = relErr(ours.first, stock.first).toExponential(1);
    }
    const row = [
      pad(l.name, 26),
      pad(describe(s), 28),
      pad(p.formulation, 19),
      lpad(p.splitK, 4),
      lpad(stockMs, 12),
      lpad(ours.ms.toFixed(1), 11),
      lpad(speedup, 8),
      lpad(err, 9),
    ];
    if (args.full) {
      const oursFull = await timeIt(() => tf.grads(oursConv)([x, w]), args.reps);
      const stockFull = runStock ? (await timeIt(() => tf.grads(stockConv)([x, w]), args.reps)).ms.toFixed(1) : 'n/a';
      row.push(lpad(stockFull, 12), lpad(oursFull.ms.toFixed(1), 11));
    }
    console.log(row.join(' '));
    tf.dispose([x, w, g]);
  }
  console.log(`tensors alive at end: ${tf.memory().numTensors}`);
}

await main();
