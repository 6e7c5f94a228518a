// Recomputing pass 1 (step.ts StepMemoryOptions): the same gradients, statistics and loss bit for
// bit, with one pass's activations alive at a time, within the plan's recompute budget.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { setupBackend, type BackendName } from '../../src/cli/node-backends.ts';
import { tf, type Tensor, type Tensor4D } from '../../src/engine/tf.ts';
import { kernelsFor } from '../../src/engine/kernel-table.ts';
import { createModel, disposeModel } from '../../src/engine/resnet.ts';
import { computeGradients, type StepGradients } from '../../src/engine/step.ts';
import { meter } from '../../src/engine/meter.ts';
import { stepMemoryPlan } from '../../src/engine/step-plan.ts';
import { Rng } from '../../src/engine/rng.ts';

const backend = (process.env.EAC_TEST_BACKEND ?? 'cpu') as BackendName;
before(async () => {
  await setupBackend(backend);
});

const parts = (g: StepGradients): Tensor[] => [
  g.loss,
  g.ce,
  g.consistency,
  g.logits1,
  ...g.grads,
  ...g.batchStats.flatMap((s) => [s.mean, s.variance]),
];
const mb = (b: number) => `${(b / 2 ** 20).toFixed(2)} MB`;

test(`EAC step with pass 1 recomputed = without, bit for bit, at a lower peak (${backend})`, async () => {
  const model = createModel({ arch: 'resnet18', width: 4, numClasses: 7 }, new Rng(7));
  const x1 = tf.randomNormal([4, 112, 112, 3], 0, 1, 'float32', 8) as Tensor4D;
  const x2 = tf.reverse(x1, 2) as Tensor4D;
  const inputs = { x1, x2, labels: Int32Array.from([0, 2, 4, 6]) };
  const kernels = kernelsFor(tf.getBackend());
  const before = tf.memory().numTensors;
  const plain = await meter(() => computeGradients(model, inputs, 'eac', 5, kernels));
  const again = await meter(() => computeGradients(model, inputs, 'eac', 5, kernels, { recomputePass1: true }));
  const [a, b] = [parts(plain.result), parts(again.result)];
  assert.equal(a.length, b.length);
  for (let i = 0; i < a.length; i++)
    assert.deepEqual(Array.from(await b[i].data()), Array.from(await a[i].data()), `part ${i} differs with pass 1 recomputed`);
  const peak = (r: typeof plain.reading) => r.peakBytes - r.startBytes;
  const planNormal = stepMemoryPlan(model.spec, 4, 112, 'eac', backend === 'webgpu' ? 'gpu' : 'cpu');
  const planRecompute = stepMemoryPlan(model.spec, 4, 112, 'eac', backend === 'webgpu' ? 'gpu' : 'cpu', true);
  assert.ok(
    peak(again.reading) <= planRecompute.stepPeakBytes,
    `peak ${mb(peak(again.reading))} > recompute budget ${mb(planRecompute.stepPeakBytes)}`,
  );
  console.log(
    `# peak ${mb(peak(plain.reading))} → ${mb(peak(again.reading))}; budgets ${mb(planNormal.stepPeakBytes)} → ${mb(planRecompute.stepPeakBytes)}; one pass saves ${mb(planNormal.savedBytesPerPass)}`,
  );
  // Pass 1's activations (less its features, which wait for the head) are never alive beside pass 2's.
  assert.ok(
    peak(plain.reading) - peak(again.reading) >= 0.5 * planNormal.savedBytesPerPass,
    `recomputing saved too little: ${mb(peak(again.reading))} vs ${mb(peak(plain.reading))}`,
  );
  assert.ok(planRecompute.stepPeakBytes < planNormal.stepPeakBytes);
  assert.equal(again.reading.readBacks, 0);
  tf.dispose([...a, ...b]);
  assert.equal(tf.memory().numTensors, before, 'nothing left behind');
  tf.dispose([x1, x2]);
  disposeModel(model);
});
