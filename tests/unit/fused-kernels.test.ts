// The fused WGSL kernels (src/engine/fused/) against the stock-op formulas they replace, forward
// and backward, on odd shapes (N=3, C=5, H=7, W=5: no dimension a multiple of a workgroup size),
// and a whole EAC step fused vs unfused. Run with EAC_TEST_BACKEND=webgpu (the webgpu suite); on
// other backends the fused path does not exist and the tests say so.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { setupBackend, type BackendName } from '../../src/cli/node-backends.ts';
import { tf, type Tensor, type Tensor1D, type Tensor4D } from '../../src/engine/tf.ts';
import { updateRunningStats, type BatchNormParams } from '../../src/engine/layers.ts';
import { addBnParamGrads, addMaskedGradient, bnReluBackward, bnReluForward } from '../../src/engine/backprop/bn-relu.ts';
import { GradAccumulator } from '../../src/engine/backprop/grads.ts';
import { kernelsFor, type Kernels } from '../../src/engine/kernel-table.ts';
import { stockOpsRow } from '../reference/stock-kernels.ts';
import { createModel, disposeModel } from '../../src/engine/resnet.ts';
import { computeGradients } from '../../src/engine/step.ts';
import { Rng } from '../../src/engine/rng.ts';
import { Adam, ADAM_DEFAULTS } from '../../src/engine/optim.ts';

const backend = (process.env.EAC_TEST_BACKEND ?? 'cpu') as BackendName;
const skip = backend !== 'webgpu' ? 'the fused kernels run on WebGPU only (EAC_TEST_BACKEND=webgpu)' : false;
before(async () => {
  await setupBackend(backend);
});

function randomTensor(shape: number[], seed: number, lo = -2, hi = 2): Tensor {
  const rng = new Rng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(
    Float32Array.from({ length: n }, () => rng.uniformRange(lo, hi)),
    shape,
  );
}

async function maxRelDiff(a: Tensor, b: Tensor): Promise<number> {
  assert.deepEqual(a.shape, b.shape);
  const [x, y] = [(await a.data()) as Float32Array, (await b.data()) as Float32Array];
  let err = 0;
  let scale = 0;
  for (let i = 0; i < x.length; i++) {
    if (Number.isNaN(x[i]) !== Number.isNaN(y[i])) return Infinity;
    err = Math.max(err, Math.abs(x[i] - y[i]));
    scale = Math.max(scale, Math.abs(y[i]));
  }
  return err / Math.max(scale, 1e-12);
}

const SMALL = [3, 7, 5, 5];
const SHAPE = SMALL;
/** More channels than a reduction workgroup's 16 and more rows than two blocks of 256 per row lane (16 lanes). */
const WIDE = [3, 61, 47, 37];

function bnParams(c: number, seed: number): BatchNormParams {
  // In a tidy: the initial values are freed, the variables kept.
  return tf.tidy(() => ({
    gamma: tf.variable(randomTensor([c], seed, 0.5, 1.5) as Tensor1D),
    beta: tf.variable(randomTensor([c], seed + 1) as Tensor1D),
    runningMean: tf.variable(randomTensor([c], seed + 2) as Tensor1D, false),
    runningVar: tf.variable(randomTensor([c], seed + 3, 0.5, 2) as Tensor1D, false),
  }));
}

/** Runs `f` with WebGPU's kernel row (fused) and with the stock-op row; returns both results. */
function bothPaths<T>(f: (kernels: Kernels) => T): { fused: T; ops: T } {
  const fused = f(kernelsFor('webgpu'));
  return { fused, ops: f(stockOpsRow('webgpu')) };
}

for (const [relu, residual, shape] of [
  [false, false, SMALL],
  [false, true, SMALL],
  [true, false, SMALL],
  [true, true, SMALL],
  [true, true, WIDE],
] as Array<[boolean, boolean, number[]]>) {
  test(`BatchNorm${residual ? ' + residual' : ''}${relu ? ' + ReLU' : ''}: fused forward and backward = the stock ops (${shape}, ${backend})`, {
    skip,
  }, async () => {
    const before = tf.memory().numTensors;
    const p = bnParams(shape[3], 1);
    // Shifted and scaled input: the two-pass variance must not lose the small spread.
    const x = tf.tidy(() => tf.add(tf.mul(randomTensor(shape, 5), 3), 10)) as Tensor4D;
    const res = randomTensor(shape, 6) as Tensor4D;
    const dy = randomTensor(shape, 7) as Tensor4D;
    const run = (k: Kernels) => {
      const fused = k.bnRelu === 'fused';
      const f = bnReluForward(tf.clone(x), p, k.bnRelu, relu, residual ? res : null);
      assert.equal(f.saved.kind, fused ? 'fused' : 'ops');
      const g = bnReluBackward(dy, relu ? f.y : null, f.saved, p.gamma);
      assert.equal('packed' in g.params, fused, 'the fused reduction writes [dβ; dγ] as one tensor');
      const grads = new GradAccumulator();
      addBnParamGrads(grads, 'bn', g.params);
      const [dGamma, dBeta] = grads.take(['bn.weight', 'bn.bias']);
      return { y: f.y, mean: f.mean, variance: f.variance, dx: g.dx, dGamma, dBeta };
    };
    const { fused, ops } = bothPaths(run);
    for (const k of ['y', 'mean', 'variance', 'dx', 'dGamma', 'dBeta'] as const) {
      const d = await maxRelDiff(fused[k], ops[k]);
      assert.ok(d < 2e-6, `${k}: relative difference ${d}`);
    }
    if (relu) {
      const min = tf.min(fused.y);
      assert.equal((await min.data())[0], 0, 'the ReLU clamps');
      min.dispose();
    }
    for (const r of [fused, ops]) tf.dispose(Object.values(r));
    tf.dispose([x, res, dy, p.gamma, p.beta, p.runningMean, p.runningVar]);
    assert.equal(tf.memory().numTensors, before, 'the backward freed what the forward kept');
  });
}

test(`residual input gradient a + dy·[y > 0]: fused = stock ops (${backend})`, { skip }, async () => {
  const [a, dy, y] = [1, 2, 3].map((s) => randomTensor(SHAPE, s) as Tensor4D);
  const { fused, ops } = bothPaths((k) => addMaskedGradient(a, dy, y, k.bnRelu));
  assert.equal(await maxRelDiff(fused, ops), 0);
  tf.dispose([a, dy, y, fused, ops]);
});

test(`running statistics of two passes: fused update = PyTorch's formula on stock ops (${backend})`, { skip }, async () => {
  const c = SHAPE[3];
  const { fused, ops } = bothPaths((k) => {
    const p = bnParams(c, 11);
    // Two passes' statistics (an EAC step): the fused kernel applies both in one pass.
    const stats = [15, 25].map((seed) => ({
      name: 'bn',
      mean: randomTensor([c], seed),
      variance: randomTensor([c], seed + 1, 0, 3),
      count: 3 * 7 * 5,
    }));
    updateRunningStats(p, stats, k.runningStats);
    tf.dispose([...stats.flatMap((s) => [s.mean, s.variance]), p.gamma, p.beta]);
    return [p.runningMean, p.runningVar];
  });
  for (let i = 0; i < 2; i++) assert.ok((await maxRelDiff(fused[i], ops[i])) < 1e-6, i === 0 ? 'running mean' : 'running var');
  tf.dispose([...fused, ...ops]);
});

test(`whole EAC step (ResNet-18 layout, odd 21 px input, batch 3): fused gradients = stock ops' (${backend})`, { skip }, async () => {
  const model = createModel({ arch: 'resnet18', width: 2, numClasses: 7 }, new Rng(5));
  const x1 = randomTensor([3, 21, 21, 3], 21) as Tensor4D;
  const x2 = tf.reverse(x1, 2) as Tensor4D;
  const inputs = { x1, x2, labels: Int32Array.from([0, 3, 6]) };
  assert.equal(kernelsFor(tf.getBackend()).bnRelu, 'fused', 'WebGPU runs the fused kernels');
  const { fused, ops } = bothPaths((k) => computeGradients(model, inputs, 'eac', 5, k));
  assert.ok((await maxRelDiff(fused.loss, ops.loss)) < 1e-5, 'loss');
  for (let i = 0; i < model.trainable.length; i++) {
    const d = await maxRelDiff(fused.grads[i], ops.grads[i]);
    // As backprop.test.ts's bound for the explicit backward against the tape (a 2-channel net,
    // batch-3 BatchNorm amplifies float32 rounding); a wrong formula is off by order 1.
    assert.ok(d < 5e-4, `${model.trainableNames[i]}: ${d}`);
  }
  for (let i = 0; i < fused.batchStats.length; i++) {
    assert.equal(fused.batchStats[i].name, ops.batchStats[i].name);
    const d = await maxRelDiff(fused.batchStats[i].variance, ops.batchStats[i].variance);
    // A mean off by one rounding step moves a 3-value variance by ~1e-5 relative; a wrong formula by far more.
    assert.ok(d < 1e-4, `${fused.batchStats[i].name}: ${d}`);
  }
  for (const g of [fused, ops])
    tf.dispose([g.loss, g.ce, g.consistency, g.logits1, ...g.grads, ...g.batchStats.flatMap((s) => [s.mean, s.variance])]);
  tf.dispose([x1, x2]);
  disposeModel(model);
});

test('gradient rows packed by one kernel: both passes summed packed, split once by take', async () => {
  const before = tf.memory().numTensors;
  const g = new GradAccumulator();
  const p1 = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]);
  const p2 = tf.tensor2d([10, 20, 30, 40, 50, 60], [2, 3]);
  g.addRows(['bn.bias', 'bn.weight'], p1);
  g.addRows(['bn.bias', 'bn.weight'], p2);
  // Mixed with a single gradient of one of the rows' parameters: still summed.
  g.add('bn.weight', tf.tensor1d([100, 100, 100]));
  g.add('conv.weight', tf.tensor1d([7]));
  const [w, b, c] = g.take(['bn.weight', 'bn.bias', 'conv.weight']);
  assert.deepEqual(Array.from(await b.data()), [11, 22, 33]);
  assert.deepEqual(Array.from(await w.data()), [144, 155, 166]);
  assert.deepEqual(b.shape, [3]);
  assert.deepEqual(Array.from(await c.data()), [7]);
  tf.dispose([w, b, c]);
  assert.equal(tf.memory().numTensors, before, 'nothing left behind');
});

test(`Adam as one program: fused = the stock ops' flat update over 3 steps, weight decay on and off (${backend})`, { skip }, async () => {
  for (const weightDecay of [1e-4, 0]) {
    // Three parameters of odd sizes (more values than a workgroup's 128 in one of them).
    const shapes = [[3, 3, 2, 5], [7], [131]];
    // In a tidy: the initial values are freed, the variables kept.
    const make = () => tf.tidy(() => shapes.map((s, k) => tf.variable(randomTensor(s, 40 + k) as Tensor)));
    const grads = [1, 2, 3].map((t) => shapes.map((s, k) => randomTensor(s, 100 * t + k, -1, 1)));
    const run = async (fused: boolean) => {
      const params = make();
      const initial = (await params[2].data()) as Float32Array;
      const opt = new Adam(params, { ...ADAM_DEFAULTS, lr: 1e-3, weightDecay }, fused ? 'fused-flat' : 'flat-ops');
      for (const g of grads) opt.apply(g);
      const moved = ((await params[2].data()) as Float32Array).every((v, i) => v !== initial[i]);
      const state = await opt.getState();
      const values = await Promise.all(params.map(async (p) => (await p.data()) as Float32Array));
      opt.dispose();
      tf.dispose(params);
      return { values, state, moved };
    };
    const before = tf.memory().numTensors;
    const stock = await run(false);
    const fused = await run(true);
    assert.equal(tf.memory().numTensors, before, 'nothing left behind');
    const close = (a: Float32Array[], b: Float32Array[], what: string) =>
      a.forEach((x, k) =>
        x.forEach((v, i) =>
          assert.ok(
            Math.abs(v - b[k][i]) <= 1e-6 * Math.max(1, Math.abs(b[k][i])),
            `${what}[${k}][${i}]: ${v} vs ${b[k][i]} (wd ${weightDecay})`,
          ),
        ),
      );
    close(fused.values, stock.values, 'parameter');
    close(fused.state.m, stock.state.m, 'm');
    close(fused.state.v, stock.state.v, 'v');
    // Every value moved (a kernel that copied p through would fail here, not only above).
    assert.ok(fused.moved && stock.moved, 'the steps moved every parameter value');
    grads.flat().forEach((t) => t.dispose());
  }
});
