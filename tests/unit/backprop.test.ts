// The tape-free backward (src/engine/backprop) against tfjs's autodiff tape on the same forward:
// max pool with ties in both ResNet layouts, training BatchNorm, and whole EAC / baseline steps.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { setupBackend, type BackendName } from '../../src/cli/node-backends.ts';
import { tf, type Tensor, type Tensor1D, type Tensor4D } from '../../src/engine/tf.ts';
import { kernelsFor } from '../../src/engine/kernel-table.ts';
import { batchNorm, maxPool, type BatchNormParams } from '../../src/engine/layers.ts';
import { maxPoolBackward, maxPoolForward } from '../../src/engine/backprop/maxpool.ts';
import { bnBackward, bnForward } from '../../src/engine/backprop/batchnorm.ts';
import { createModel, disposeModel } from '../../src/engine/resnet.ts';
import { computeGradients } from '../../src/engine/step.ts';
import { tapeGradients } from '../reference/tape-step.ts';
import { Rng } from '../../src/engine/rng.ts';

const backend = (process.env.EAC_TEST_BACKEND ?? 'cpu') as BackendName;
before(async () => {
  await setupBackend(backend);
});

function randomTensor(shape: number[], seed: number, levels = 0): Tensor {
  const rng = new Rng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  // levels > 0: few distinct values, so that max-pool windows tie.
  const v = Float32Array.from({ length: n }, () => (levels > 0 ? Math.floor(rng.uniformRange(0, levels)) : rng.uniformRange(-2, 2)));
  return tf.tensor(v, shape);
}

async function maxRelDiff(a: Tensor, b: Tensor): Promise<number> {
  assert.deepEqual(a.shape, b.shape);
  const [x, y] = [(await a.data()) as Float32Array, (await b.data()) as Float32Array];
  let err = 0;
  let scale = 0;
  for (let i = 0; i < x.length; i++) {
    err = Math.max(err, Math.abs(x[i] - y[i]));
    scale = Math.max(scale, Math.abs(y[i]));
  }
  return err / Math.max(scale, 1e-12);
}

const geometries = [
  { name: 'Caffe (pad 0, ceil mode)', k: 3, stride: 2, pad: 0, ceil: true },
  { name: 'torchvision (pad 1, floor mode)', k: 3, stride: 2, pad: 1, ceil: false },
  { name: 'k2 s1 pad 0', k: 2, stride: 1, pad: 0, ceil: false },
];
for (const g of geometries) {
  for (const [h, w] of [
    [9, 7],
    [8, 8],
    [5, 6],
  ]) {
    test(`max pool backward = the tape's, ties to the first tap (${g.name}, ${h}×${w}, ${backend})`, async () => {
      const before = tf.memory().numTensors;
      const x = randomTensor([2, h, w, 3], h * 31 + w, 3) as Tensor4D;
      // The explicit step's forward (XNNPACK's pool on wasm) gives the window views' maximum exactly.
      const y = maxPoolForward(x, g, kernelsFor(tf.getBackend()).maxPool);
      const views = maxPool(x, g.k, g.stride, g.pad, g.ceil);
      assert.equal(await maxRelDiff(y, views), 0);
      views.dispose();
      const dy = randomTensor(y.shape, 7) as Tensor4D;
      const ours = maxPoolBackward(dy, x, y, g, kernelsFor(tf.getBackend()).maxPoolGrad);
      const tape = tf.grad((t: Tensor) => tf.sum(tf.mul(maxPool(t as Tensor4D, g.k, g.stride, g.pad, g.ceil), dy)))(x);
      // Overlapping windows sum in another order (rounding only); a tie routed to another tap
      // would move a whole dy value (an error of order 1).
      const d = await maxRelDiff(ours, tape);
      assert.ok(d < 1e-6, `max relative difference ${d}`);
      tf.dispose([x, y, dy, ours, tape]);
      assert.equal(tf.memory().numTensors, before, 'no tensor left behind');
    });
  }
}

test(`BatchNorm training backward = the tape's, and frees what it saved (${backend})`, async () => {
  const x = randomTensor([3, 5, 7, 6], 11) as Tensor4D;
  const gamma = tf.variable(randomTensor([6], 12) as Tensor1D);
  const beta = tf.variable(randomTensor([6], 13) as Tensor1D);
  const p: BatchNormParams = { gamma, beta, runningMean: tf.variable(tf.zeros([6]), false), runningVar: tf.variable(tf.ones([6]), false) };
  const dy = randomTensor([3, 5, 7, 6], 14) as Tensor4D;
  const f = bnForward(x, p);
  const reference = batchNorm(x, p, true, null, 'bn');
  assert.equal(await maxRelDiff(f.y, reference), 0, 'same forward values as layers.ts');
  const ours = bnBackward(dy, f.saved, gamma);
  assert.ok(f.saved.centered.isDisposed && f.saved.invStd.isDisposed, 'saved tensors freed');
  const tape = tf.grads((a: Tensor, g: Tensor, b: Tensor) =>
    tf.sum(tf.mul(batchNorm(a as Tensor4D, { ...p, gamma: g as tf.Variable, beta: b as tf.Variable }, true, null, 'bn'), dy)),
  )([x, gamma, beta]);
  assert.ok((await maxRelDiff(ours.dx, tape[0])) < 1e-5, 'dx');
  assert.ok((await maxRelDiff(ours.dGamma, tape[1])) < 1e-5, 'dγ');
  assert.ok((await maxRelDiff(ours.dBeta, tape[2])) < 1e-6, 'dβ');
  tf.dispose([
    x,
    dy,
    f.y,
    f.mean,
    f.variance,
    reference,
    ours.dx,
    ours.dGamma,
    ours.dBeta,
    ...tape,
    p.gamma,
    p.beta,
    p.runningMean,
    p.runningVar,
  ]);
});

for (const arch of ['resnet18', 'resnet50'] as const) {
  for (const method of ['eac', 'baseline'] as const) {
    test(`whole ${method} step: explicit backward = the tape's (${arch}, odd 37 px input, batch 3, ${backend})`, async () => {
      const model = createModel({ arch, width: 2, numClasses: 7 }, new Rng(5));
      const x1 = randomTensor([3, 37, 37, 3], 21) as Tensor4D;
      const x2 = tf.reverse(x1, 2) as Tensor4D;
      const inputs = { x1, x2: method === 'eac' ? x2 : null, labels: Int32Array.from([0, 3, 6]) };
      const before = tf.memory().numTensors;
      const ours = computeGradients(model, inputs, method, 5, kernelsFor(tf.getBackend()));
      const tape = tapeGradients(model, inputs, method, 5);
      for (const part of ['loss', 'ce', 'consistency', 'logits1'] as const) {
        assert.ok((await maxRelDiff(ours[part], tape[part])) <= 1e-6, part);
      }
      for (let i = 0; i < model.trainable.length; i++) {
        const d = await maxRelDiff(ours.grads[i], tape.grads[i]);
        // Two float32 computations of a 2-channel net with batch-3 BatchNorm: rounding is amplified
        // (up to ~1e-4 on WebGPU); a wrong formula is off by order 1.
        assert.ok(d < 5e-4, `${model.trainableNames[i]}: ${d}`);
      }
      assert.equal(ours.batchStats.length, tape.batchStats.length);
      for (let i = 0; i < ours.batchStats.length; i++) {
        assert.equal(ours.batchStats[i].name, tape.batchStats[i].name);
        assert.equal(await maxRelDiff(ours.batchStats[i].variance, tape.batchStats[i].variance), 0);
      }
      for (const g of [ours, tape])
        tf.dispose([g.loss, g.ce, g.consistency, g.logits1, ...g.grads, ...g.batchStats.flatMap((s) => [s.mean, s.variance])]);
      assert.equal(tf.memory().numTensors, before, 'only the returned tensors were alive');
      tf.dispose([x1, x2]);
      disposeModel(model);
    });
  }
}
