// Adam over all parameters at once (one flat vector per moment, the GPU layout) and one parameter
// at a time (the CPU layout) give exactly what the update written per parameter gives; the flat
// one runs a fixed number of kernels whatever the parameter count (plus one slice per parameter);
// the checkpoint state is per parameter in both.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { setupBackend, type BackendName } from '../../src/cli/node-backends.ts';
import { tf, type Tensor, type Variable } from '../../src/engine/tf.ts';
import { Adam, type AdamImpl } from '../../src/engine/optim.ts';
import { meter } from '../../src/engine/meter.ts';
import { Rng } from '../../src/engine/rng.ts';

const backend = (process.env.EAC_TEST_BACKEND ?? 'cpu') as BackendName;
before(async () => {
  await setupBackend(backend);
});

const shapes = [[3, 3, 2, 5], [5], [7, 1], [1], [2, 3, 3, 1]];
const config = { lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 1e-4 };

function random(shape: number[], rng: Rng): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(
    Float32Array.from({ length: n }, () => rng.uniformRange(-1, 1)),
    shape,
  );
}

/** torch.optim.Adam(weight_decay=…) written per parameter, the reference order of operations. */
function referenceStep(ps: Variable[], ms: Tensor[], vs: Tensor[], grads: Tensor[], step: number): void {
  const { lr, beta1, beta2, eps, weightDecay } = config;
  const bc1 = 1 - Math.pow(beta1, step);
  const bc2Sqrt = Math.sqrt(1 - Math.pow(beta2, step));
  ps.forEach((p, i) => {
    const [m, v] = tf.tidy(() => {
      const g = tf.add(grads[i], tf.mul(p, weightDecay));
      const m = tf.add(tf.mul(ms[i], beta1), tf.mul(g, 1 - beta1));
      const v = tf.add(tf.mul(vs[i], beta2), tf.mul(tf.mul(g, g), 1 - beta2));
      const denom = tf.add(tf.div(tf.sqrt(v), bc2Sqrt), eps);
      p.assign(tf.sub(p, tf.mul(tf.div(m, denom), lr / bc1)));
      return [m, v];
    });
    ms[i].dispose();
    vs[i].dispose();
    ms[i] = m;
    vs[i] = v;
  });
}

for (const layout of ['flat-ops', 'per-parameter'] as AdamImpl[])
  test(`${layout} Adam = the reference update, bit for bit, over three steps (${backend})`, async () => {
    const rng = new Rng(9);
    const init = shapes.map((s) => random(s, rng));
    const ours = init.map((t) => tf.variable(t.clone()));
    const ref = init.map((t) => tf.variable(t.clone()));
    const ms = shapes.map((s) => tf.zeros(s));
    const vs = shapes.map((s) => tf.zeros(s));
    const opt = new Adam(ours, config, layout);
    for (let step = 1; step <= 3; step++) {
      const grads = shapes.map((s) => random(s, rng));
      opt.apply(grads);
      referenceStep(ref, ms, vs, grads, step);
      tf.dispose(grads);
    }
    for (let i = 0; i < shapes.length; i++)
      assert.deepEqual(Array.from(await ours[i].data()), Array.from(await ref[i].data()), `parameter ${i}`);
    const state = await opt.getState();
    for (let i = 0; i < shapes.length; i++) {
      assert.deepEqual(Array.from(state.m[i]), Array.from(await ms[i].data()), `m ${i}`);
      assert.deepEqual(Array.from(state.v[i]), Array.from(await vs[i].data()), `v ${i}`);
    }
    opt.dispose();
    tf.dispose([...init, ...ours, ...ref, ...ms, ...vs]);
  });

test(`flat Adam: the kernel count grows by one slice per parameter, not by the whole update (${backend})`, async () => {
  const count = async (n: number) => {
    const ps = Array.from({ length: n }, (_, i) => tf.variable(tf.ones([i + 2])));
    const grads = ps.map((p) => tf.onesLike(p));
    const opt = new Adam(ps, config, 'flat-ops');
    const { reading } = await meter(() => opt.apply(grads));
    opt.dispose();
    tf.dispose([...ps, ...grads]);
    return reading.kernels;
  };
  const [k10, k20] = [await count(10), await count(20)];
  // Per parameter: its reshape into the flat vectors (parameter and gradient), its slice back
  // and reshape; the arithmetic itself is a fixed number of kernels.
  assert.ok(k20 - k10 <= 10 * 4, `10 more parameters cost ${k20 - k10} kernels (${k10} → ${k20})`);
  assert.ok(k10 <= 4 * 10 + 20, `${k10} kernels for 10 parameters`);
});

for (const layout of ['flat-ops', 'per-parameter'] as AdamImpl[])
  test(`${layout} Adam: a state for other parameters is refused (${backend})`, () => {
    const p = tf.variable(tf.zeros([3]));
    const opt = new Adam([p], config, layout);
    assert.throws(
      () => opt.setState({ step: 1, lr: 0.1, m: [new Float32Array(2)], v: [new Float32Array(2)] }),
      /m\[0\] has 2 values, its parameter 3/,
    );
    opt.dispose();
    p.dispose();
  });

test(`a flat Adam's checkpoint resumes in a per-parameter Adam identically (${backend})`, async () => {
  const rng = new Rng(4);
  const init = shapes.map((s) => random(s, rng));
  const a = init.map((t) => tf.variable(t.clone()));
  const optA = new Adam(a, config, 'flat-ops');
  const g1 = shapes.map((s) => random(s, rng));
  optA.apply(g1);
  const b = await Promise.all(a.map(async (p) => tf.variable(tf.tensor(await p.data(), p.shape))));
  const optB = new Adam(b, config, 'per-parameter');
  optB.setState(await optA.getState());
  const g2 = shapes.map((s) => random(s, rng));
  optA.apply(g2);
  optB.apply(g2);
  for (let i = 0; i < shapes.length; i++) assert.deepEqual(Array.from(await b[i].data()), Array.from(await a[i].data()), `parameter ${i}`);
  optA.dispose();
  optB.dispose();
  tf.dispose([...init, ...a, ...b, ...g1, ...g2]);
});
