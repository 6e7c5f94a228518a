// conv2d (src/engine/conv.ts): forward, input gradient and filter gradient of every formulation
// against tfjs's own tf.conv2d gradient computed on the cpu backend (stock Conv2DBackpropFilter).
//
// Backend under test: EAC_TEST_BACKEND = cpu (default) | wasm | webgpu. References are always
// computed on cpu from the same data, then the backend under test is selected. For webgpu in Node:
//   LD_LIBRARY_PATH=/usr/lib/chromium EAC_TEST_BACKEND=webgpu node --import tsx --test tests/unit/conv.test.ts
//
// Tolerance (float32, reductions of up to a few hundred terms in different orders):
//   max |ours − ref| ≤ 1e-4 · (1 + max |ref|), per tensor.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../../src/engine/tf.ts';
import type { Tensor, Tensor4D } from '../../src/engine/tf.ts';
import { setupBackend, type BackendName } from '../../src/cli/node-backends.ts';
import { conv2d } from '../../src/engine/conv.ts';
import {
  chooseSplit,
  filterGradPlan,
  type ConvShape,
  type FilterGradFormulation,
  type FilterGradOptions,
} from '../../src/engine/conv-plan.ts';
import { kernelsFor } from '../../src/engine/kernel-table.ts';

/** The active backend's kernel row (the tests switch backends, so it is looked up per call). */
const K = () => kernelsFor(tf.getBackend());

const BACKEND = (process.env.EAC_TEST_BACKEND ?? 'cpu') as BackendName;
const TOL = 1e-4;

interface Case {
  name: string;
  n: number;
  h: number;
  w: number;
  cin: number;
  cout: number;
  k: number;
  s: number;
  p: number;
}

const CASES: Case[] = [
  { name: '1x1 s1', n: 2, h: 5, w: 6, cin: 8, cout: 12, k: 1, s: 1, p: 0 },
  { name: '1x1 s1 batch1', n: 1, h: 4, w: 4, cin: 16, cout: 4, k: 1, s: 1, p: 0 },
  { name: '1x1 s2 odd input', n: 3, h: 7, w: 9, cin: 6, cout: 10, k: 1, s: 2, p: 0 },
  { name: '1x1 s2 batch1 odd', n: 1, h: 5, w: 5, cin: 4, cout: 8, k: 1, s: 2, p: 0 },
  { name: '1x1 s1 p1', n: 2, h: 3, w: 4, cin: 3, cout: 5, k: 1, s: 1, p: 1 },
  { name: '3x3 s1 p1', n: 2, h: 6, w: 6, cin: 5, cout: 7, k: 3, s: 1, p: 1 },
  { name: '3x3 s1 p1 non-square batch1', n: 1, h: 5, w: 8, cin: 4, cout: 6, k: 3, s: 1, p: 1 },
  { name: '3x3 s2 p1 odd', n: 2, h: 9, w: 7, cin: 4, cout: 8, k: 3, s: 2, p: 1 },
  { name: '3x3 s2 p1 even', n: 3, h: 8, w: 6, cin: 3, cout: 4, k: 3, s: 2, p: 1 },
  { name: '3x3 s1 p0', n: 2, h: 5, w: 7, cin: 3, cout: 4, k: 3, s: 1, p: 0 },
  { name: '7x7 s2 p3', n: 2, h: 15, w: 13, cin: 3, cout: 8, k: 7, s: 2, p: 3 },
  { name: '7x7 s2 p3 batch1 odd', n: 1, h: 11, w: 11, cin: 3, cout: 5, k: 7, s: 2, p: 3 },
];

const outSize = (i: number, k: number, s: number, p: number): number => Math.floor((i + 2 * p - k) / s) + 1;
const reductionOf = (c: Case): number => c.n * outSize(c.h, c.k, c.s, c.p) * outSize(c.w, c.k, c.s, c.p);
const shapeOf = (c: Case): ConvShape => ({
  batch: c.n,
  inHeight: c.h,
  inWidth: c.w,
  inChannels: c.cin,
  outChannels: c.cout,
  kernelHeight: c.k,
  stride: c.s,
  pad: c.p,
});

/** Deterministic data (mulberry32), so cpu reference and backend under test see the same numbers. */
function randoms(count: number, seed: number): Float32Array {
  let a = seed >>> 0;
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  }
  return out;
}

interface Data {
  x: Float32Array;
  w: Float32Array;
  g: Float32Array;
  xShape: [number, number, number, number];
  wShape: [number, number, number, number];
  yShape: [number, number, number, number];
}
interface Ref {
  y: Float32Array;
  dx: Float32Array;
  dw: Float32Array;
}

function dataFor(c: Case, seed: number): Data {
  const ho = outSize(c.h, c.k, c.s, c.p);
  const wo = outSize(c.w, c.k, c.s, c.p);
  const xShape: Data['xShape'] = [c.n, c.h, c.w, c.cin];
  const wShape: Data['wShape'] = [c.k, c.k, c.cin, c.cout];
  const yShape: Data['yShape'] = [c.n, ho, wo, c.cout];
  const size = (s: number[]): number => s.reduce((a, b) => a * b, 1);
  return {
    x: randoms(size(xShape), seed),
    w: randoms(size(wShape), seed + 1),
    g: randoms(size(yShape), seed + 2),
    xShape,
    wShape,
    yShape,
  };
}

type ConvFn = (x: Tensor4D, w: Tensor4D) => Tensor4D;

/**
 * y = conv(x, w) and the gradients of sum(y ⊙ g), i.e. dy = g. Async: WebGPU in Node cannot
 * dataSync (it would need OffscreenCanvas).
 */
async function run(d: Data, conv: ConvFn): Promise<Ref> {
  const x = tf.tensor4d(d.x, d.xShape);
  const w = tf.tensor4d(d.w, d.wShape);
  const g = tf.tensor4d(d.g, d.yShape);
  try {
    const y = conv(x, w);
    const [dx, dw] = tf.grads((a: Tensor, b: Tensor) => tf.sum(tf.mul(conv(a as Tensor4D, b as Tensor4D), g)))([x, w]);
    try {
      const [yv, dxv, dwv] = await Promise.all([y.data(), dx.data(), dw.data()]);
      return { y: yv as Float32Array, dx: dxv as Float32Array, dw: dwv as Float32Array };
    } finally {
      y.dispose();
      dx.dispose();
      dw.dispose();
    }
  } finally {
    x.dispose();
    w.dispose();
    g.dispose();
  }
}

let worstRel = 0;
let worstWhere = '';

function assertClose(got: Float32Array, want: Float32Array, what: string): void {
  assert.equal(got.length, want.length, `${what}: length`);
  let maxRef = 0;
  let maxErr = 0;
  for (let i = 0; i < want.length; i++) {
    maxRef = Math.max(maxRef, Math.abs(want[i]));
    const e = Math.abs(got[i] - want[i]);
    if (!(e <= maxErr)) maxErr = Number.isNaN(e) ? Infinity : e;
  }
  const rel = maxErr / (1 + maxRef);
  if (rel > worstRel) {
    worstRel = rel;
    worstWhere = what;
  }
  assert.ok(rel <= TOL, `${what}: max abs err ${maxErr} > ${TOL}·(1 + ${maxRef})`);
}

const refConv =
  (c: Case): ConvFn =>
  (x, w) =>
    tf.conv2d(x, w, c.s, [
      [0, 0],
      [c.p, c.p],
      [c.p, c.p],
      [0, 0],
    ]);

const DATA = new Map<string, Data>();
const REFS = new Map<string, Ref>();

before(async () => {
  await setupBackend(BACKEND);
  // References: the stock tf.conv2d gradient on the cpu backend (which has Conv2DBackpropFilter).
  await tf.setBackend('cpu');
  for (const [i, c] of CASES.entries()) {
    const d = dataFor(c, 1000 + 17 * i);
    DATA.set(c.name, d);
    REFS.set(c.name, await run(d, refConv(c)));
  }
  await tf.setBackend(BACKEND);
  assert.equal(tf.getBackend(), BACKEND);
  // WebGPU runs slice/concat/pad of small CPU-resident tensors on the CPU; force its GPU programs
  // (as tfjs's own webgpu test registry does).
  if (BACKEND === 'webgpu') tf.env().set('WEBGPU_CPU_FORWARD', false);
});

after(() => {
  console.log(
    `# conv2d on ${BACKEND}: largest error seen max|ours−ref|/(1+max|ref|) = ${worstRel.toExponential(2)} (${worstWhere}); tolerance ${TOL}`,
  );
});

function formulationsFor(c: Case): FilterGradFormulation[] {
  const is1x1 = c.k === 1 && c.p === 0;
  const f: FilterGradFormulation[] = ['per-tap', 'im2col'];
  if (is1x1) f.unshift(c.s === 1 ? 'matmul-1x1' : 'matmul-1x1-strided');
  return f;
}

/** Split counts: none, one dividing the reduction (if any small one does), one that does not. */
function splitsFor(c: Case): number[] {
  const K = reductionOf(c);
  const splits = [1];
  const div = [2, 3, 4, 5, 6].find((s) => K % s === 0 && K / s >= 1);
  if (div) splits.push(div);
  const nondiv = [3, 5, 7, 11, 13].find((s) => K % s !== 0 && s < K);
  if (nondiv) splits.push(nondiv);
  return splits;
}

for (const c of CASES) {
  test(`${c.name}: forward, dx, dw match stock tf.conv2d (${BACKEND})`, async () => {
    const d = DATA.get(c.name)!;
    const ref = REFS.get(c.name)!;
    const variants: Array<{ label: string; opts: FilterGradOptions }> = [
      { label: 'auto', opts: {} },
      { label: 'auto-gpu-plan', opts: { device: 'gpu' } },
    ];
    for (const formulation of formulationsFor(c)) {
      for (const splitK of splitsFor(c)) variants.push({ label: `${formulation} S=${splitK}`, opts: { formulation, splitK } });
    }
    // im2col with a tiny budget: one image per chunk (uneven last chunk when n = 3).
    if (c.n > 1) variants.push({ label: 'im2col 1 image/chunk S=3', opts: { formulation: 'im2col', splitK: 3, im2colBudgetBytes: 1 } });
    if (c.n > 2)
      variants.push({
        label: 'im2col 2 images/chunk',
        opts: { formulation: 'im2col', im2colBudgetBytes: ((2 * reductionOf(c)) / c.n) * c.k * c.k * c.cin * 4 },
      });
    for (const v of variants) {
      const got = await run(d, (x, w) => conv2d(x, w, c.s, c.p, K(), v.opts));
      const where = `${c.name} [${v.label}]`;
      assertClose(got.y, ref.y, `${where} forward`);
      assertClose(got.dx, ref.dx, `${where} dx`);
      assertClose(got.dw, ref.dw, `${where} dw`);
    }
  });
}

test(`GPU auto plan splits a prime reduction with zero padding and stays exact (${BACKEND})`, async () => {
  // K = 1·1·1031 (prime): no divisor near the target, so S = 4 with K padded to 1032.
  const c: Case = { name: '1x1 prime K', n: 1, h: 1, w: 1031, cin: 4, cout: 4, k: 1, s: 1, p: 0 };
  const plan = filterGradPlan(shapeOf(c), { device: 'gpu' });
  assert.equal(plan.formulation, 'matmul-1x1');
  assert.ok(plan.splitK > 1 && plan.paddedK > plan.matmul.k && plan.paddedK % plan.splitK === 0, JSON.stringify(plan));
  const d = dataFor(c, 77);
  await tf.setBackend('cpu');
  const ref = await run(d, refConv(c));
  await tf.setBackend(BACKEND);
  const got = await run(d, (x, w) => conv2d(x, w, c.s, c.p, K(), { device: 'gpu' }));
  assertClose(got.y, ref.y, 'prime K forward');
  assertClose(got.dx, ref.dx, 'prime K dx');
  assertClose(got.dw, ref.dw, 'prime K dw');
});

test(`filter gradient never runs Conv2DBackpropFilter (${BACKEND})`, async () => {
  const kernel = tf.getKernel('Conv2DBackpropFilter', BACKEND);
  if (kernel) tf.unregisterKernel('Conv2DBackpropFilter', BACKEND);
  try {
    const c = CASES.find((k) => k.name === '3x3 s2 p1 odd')!;
    const d = DATA.get(c.name)!;
    // Sanity: with the kernel gone, the stock gradient really fails on this backend.
    await assert.rejects(run(d, refConv(c)));
    for (const cc of CASES) {
      const dd = DATA.get(cc.name)!;
      for (const formulation of formulationsFor(cc)) await run(dd, (x, w) => conv2d(x, w, cc.s, cc.p, K(), { formulation, splitK: 3 }));
      await run(dd, (x, w) => conv2d(x, w, cc.s, cc.p, K(), { device: 'gpu' }));
    }
  } finally {
    if (kernel) tf.registerKernel(kernel);
  }
});

test(`no tensor leak: forward, grads, valueAndGrads (${BACKEND})`, () => {
  for (const c of CASES) {
    const d = DATA.get(c.name)!;
    const x = tf.tensor4d(d.x, d.xShape);
    const w = tf.tensor4d(d.w, d.wShape);
    const g = tf.tensor4d(d.g, d.yShape);
    const variants: FilterGradOptions[] = [{}, { device: 'gpu' }];
    for (const formulation of formulationsFor(c)) variants.push({ formulation, splitK: 3, im2colBudgetBytes: 1 });
    for (const opts of variants) {
      const before = tf.memory().numTensors;
      const y = conv2d(x, w, c.s, c.p, K(), opts);
      y.dispose();
      assert.equal(tf.memory().numTensors, before, `${c.name} forward ${JSON.stringify(opts)}`);
      const loss = (a: Tensor, b: Tensor): Tensor => tf.sum(tf.mul(conv2d(a as Tensor4D, b as Tensor4D, c.s, c.p, K(), opts), g));
      const grads = tf.grads(loss)([x, w]);
      grads.forEach((t) => t.dispose());
      assert.equal(tf.memory().numTensors, before, `${c.name} grads ${JSON.stringify(opts)}`);
      const { value, grads: vg } = tf.valueAndGrads(loss)([x, w]);
      value.dispose();
      vg.forEach((t) => t.dispose());
      assert.equal(tf.memory().numTensors, before, `${c.name} valueAndGrads ${JSON.stringify(opts)}`);
    }
    x.dispose();
    w.dispose();
    g.dispose();
  }
});

// ResNet shapes at batch 32 and 224 px (NHWC), Caffe-layout ResNet-50 and torchvision ResNet-18.
const R = (batch: number, hw: number, cin: number, cout: number, k: number, stride: number, pad: number): ConvShape => ({
  batch,
  inHeight: hw,
  inWidth: hw,
  inChannels: cin,
  outChannels: cout,
  kernelHeight: k,
  stride,
  pad,
});

test('plan picks the expected formulation for ResNet-50 / ResNet-18 shapes, as each backend plans it', () => {
  // The third column is the plan where windows are read as strided slices (cpu, WebGL: the
  // kernel table's windowReads 'slices'); WebGPU (patch kernel) and wasm (row gathers) read
  // patches in place, which makes every k×k conv im2col (conv2dFilterGrad's patchKernel).
  const expect: Array<[string, ConvShape, FilterGradFormulation]> = [
    ['conv1 7x7 s2 3→64', R(32, 224, 3, 64, 7, 2, 3), 'im2col'],
    ['layer1 1x1 64→64', R(32, 56, 64, 64, 1, 1, 0), 'matmul-1x1'],
    ['layer1 1x1 256→64', R(32, 56, 256, 64, 1, 1, 0), 'matmul-1x1'],
    ['layer1 1x1 64→256', R(32, 56, 64, 256, 1, 1, 0), 'matmul-1x1'],
    ['layer1 3x3 64→64', R(32, 56, 64, 64, 3, 1, 1), 'per-tap'],
    ['layer2 1x1 s2 256→128', R(32, 56, 256, 128, 1, 2, 0), 'matmul-1x1-strided'],
    ['layer2 ds 1x1 s2 256→512', R(32, 56, 256, 512, 1, 2, 0), 'matmul-1x1-strided'],
    ['layer2 3x3 128→128', R(32, 28, 128, 128, 3, 1, 1), 'per-tap'],
    ['layer2 1x1 128→512', R(32, 28, 128, 512, 1, 1, 0), 'matmul-1x1'],
    ['layer3 1x1 s2 512→256', R(32, 28, 512, 256, 1, 2, 0), 'matmul-1x1-strided'],
    ['layer3 3x3 256→256', R(32, 14, 256, 256, 3, 1, 1), 'per-tap'],
    ['layer4 1x1 s2 1024→512', R(32, 14, 1024, 512, 1, 2, 0), 'matmul-1x1-strided'],
    ['layer4 3x3 512→512', R(32, 7, 512, 512, 3, 1, 1), 'per-tap'],
    ['layer4 1x1 512→2048', R(32, 7, 512, 2048, 1, 1, 0), 'matmul-1x1'],
    ['layer4 ds 1x1 s2 1024→2048', R(32, 14, 1024, 2048, 1, 2, 0), 'matmul-1x1-strided'],
    ['r18 layer2 3x3 s2 64→128', R(32, 56, 64, 128, 3, 2, 1), 'per-tap'],
    ['r18 layer4 3x3 s2 256→512', R(32, 14, 256, 512, 3, 2, 1), 'per-tap'],
    ['r18 ds 1x1 s2 64→128', R(32, 56, 64, 128, 1, 2, 0), 'matmul-1x1-strided'],
    ['conv1 at 72 px', R(32, 72, 3, 64, 7, 2, 3), 'im2col'],
    ['layer3 1x1 s2 at 72 px (9→5)', R(32, 9, 512, 256, 1, 2, 0), 'matmul-1x1-strided'],
  ];
  for (const [name, shape, onSlices] of expect) {
    const inPlace = shape.kernelHeight === 1 ? onSlices : 'im2col';
    const gpu = filterGradPlan(shape, { device: 'gpu', patchKernel: true });
    assert.equal(gpu.formulation, inPlace, `${name} on WebGPU: ${gpu.reason}`);
    // GPU: every matmul launches at least ~a thousand 64-thread workgroups, or is already big (S = 1).
    assert.ok(gpu.workgroups >= 512 || gpu.splitK === 1 || gpu.matmul.k / gpu.splitK < 2 * 256, `${name}: ${JSON.stringify(gpu)}`);
    assert.ok(gpu.parallelOutputs >= Math.min(gpu.stockThreads, 1 << 18), `${name}: parallel outputs ${gpu.parallelOutputs}`);
    // The split divides the reduction exactly for these shapes (no zero-padding copy of dY).
    assert.equal(gpu.paddedK, gpu.matmul.k, `${name}: S=${gpu.splitK} k=${gpu.matmul.k}`);
    assert.ok(gpu.peakTempBytes <= 192 * 2 ** 20, `${name}: peak ${gpu.peakTempBytes}`);
    const wasm = filterGradPlan(shape, { device: 'cpu', patchKernel: true });
    assert.equal(wasm.formulation, inPlace, `${name} on wasm: ${wasm.reason}`);
    assert.equal(wasm.splitK, 1, `${name}: no split on wasm`);
    const cpu = filterGradPlan(shape, { device: 'cpu', patchKernel: false });
    assert.equal(cpu.formulation, onSlices, `${name} on cpu: ${cpu.reason}`);
    assert.equal(cpu.splitK, 1, `${name}: no split on cpu`);
  }
  // conv1: ~100× the stock kernel's 9408 threads of 401 408 serial steps each.
  const conv1 = filterGradPlan(R(32, 224, 3, 64, 7, 2, 3), { device: 'gpu' });
  assert.equal(conv1.stockThreads, 9408);
  assert.equal(conv1.stockLoop, 32 * 112 * 112);
  assert.ok(conv1.parallelOutputs >= 50 * conv1.stockThreads);
  assert.ok(conv1.chunks >= 2 && conv1.batchChunk * 112 * 112 * 147 * 4 <= 64 * 2 ** 20);
});

test('chooseSplit: divisor preferred, caps respected, cpu never splits', () => {
  assert.equal(chooseSplit(100352, 64, 64, { device: 'gpu' }), 256); // 1024 / 4 tiles, 100352 = 256·392
  assert.equal(chooseSplit(100352, 64, 64, { device: 'cpu' }), 1);
  assert.equal(chooseSplit(1568, 2048, 512, { device: 'gpu' }), 1); // already 1024 tiles
  assert.equal(chooseSplit(1031, 4, 4, { device: 'gpu' }), 4); // prime: 4 chunks ≥ 256 rows, padded
  assert.equal(chooseSplit(1000, 4, 4, { splitK: 7 }), 7);
  assert.equal(chooseSplit(5, 4, 4, { splitK: 7 }), 5);
  assert.equal(chooseSplit(100, 4, 4, { device: 'gpu' }), 1); // too short to split
});
