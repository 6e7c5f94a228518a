// The explicit step's memory and kernel budgets (src/engine/step-plan.ts) hold on small steps:
// the peak of live tensor buffers stays within saved activations + gradients + one layer's
// temporaries (the tape, which keeps every saved tensor and intermediate gradient to the end,
// needs several times that), and the kernel count within its allowance.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { setupBackend, type BackendName } from '../../src/cli/node-backends.ts';
import { tf, type Tensor4D } from '../../src/engine/tf.ts';
import { kernelsFor } from '../../src/engine/kernel-table.ts';
import { createModel, disposeModel, type Arch } from '../../src/engine/resnet.ts';
import { computeGradients, type StepGradients } from '../../src/engine/step.ts';
import { tapeGradients } from '../reference/tape-step.ts';
import { meter, type MeterReading } from '../../src/engine/meter.ts';
import { stepKernelBudget, stepMemoryPlan } from '../../src/engine/step-plan.ts';
import { Rng } from '../../src/engine/rng.ts';
import type { Method } from '../../src/engine/config.ts';

const backend = (process.env.EAC_TEST_BACKEND ?? 'cpu') as BackendName;
before(async () => {
  await setupBackend(backend);
});

const free = (g: StepGradients) =>
  tf.dispose([g.loss, g.ce, g.consistency, g.logits1, ...g.grads, ...g.batchStats.flatMap((s) => [s.mean, s.variance])]);

/** The explicit step, or the tape's (the reference it replaced). */
type Engine = 'explicit' | 'tape';

async function meteredStep(arch: Arch, method: Method, engine: Engine, batch: number, size: number) {
  const model = createModel({ arch, width: 8, numClasses: 7 }, new Rng(3));
  const x1 = tf.randomNormal([batch, size, size, 3], 0, 1, 'float32', 4) as Tensor4D;
  const x2 = tf.reverse(x1, 2) as Tensor4D;
  const labels = Int32Array.from({ length: batch }, (_, i) => i % 7);
  const { result, reading } = await meter(() =>
    engine === 'tape'
      ? tapeGradients(model, { x1, x2: method === 'eac' ? x2 : null, labels }, method, 5)
      : computeGradients(model, { x1, x2: method === 'eac' ? x2 : null, labels }, method, 5, kernelsFor(tf.getBackend())),
  );
  free(result);
  const spec = model.spec;
  tf.dispose([x1, x2]);
  disposeModel(model);
  return { reading, spec };
}

const mb = (b: number) => `${(b / 2 ** 20).toFixed(2)} MB`;
const stepPeak = (r: MeterReading) => r.peakBytes - r.startBytes;
const device = backend === 'webgpu' ? 'gpu' : 'cpu';

for (const arch of ['resnet18', 'resnet50'] as const) {
  for (const method of ['eac', 'baseline'] as const) {
    test(`${arch} ${method} step: peak buffers within saved + gradients + one layer's temporaries (${backend})`, async () => {
      const { reading, spec } = await meteredStep(arch, method, 'explicit', 4, 48);
      const plan = stepMemoryPlan(spec, 4, 48, method, device);
      const peak = stepPeak(reading);
      assert.ok(
        peak <= plan.stepPeakBytes,
        `peak ${mb(peak)} > budget ${mb(plan.stepPeakBytes)} (saved ${mb(plan.passes * plan.savedBytesPerPass)}, gradients ${mb(plan.paramBytes)}, one layer ${mb(plan.layerTempBytes)})`,
      );
      // The meter sees the real buffers: at the end of the forward the saved activations are all alive.
      assert.ok(
        peak >= 0.9 * plan.passes * plan.savedBytesPerPass,
        `peak ${mb(peak)} < the saved activations ${mb(plan.passes * plan.savedBytesPerPass)}`,
      );
      assert.equal(reading.readBacks, 0, 'computing the gradients reads nothing back');
    });
  }

  test(`${arch} EAC step: kernels within the allowance (${backend})`, async () => {
    const { reading, spec } = await meteredStep(arch, 'eac', 'explicit', 2, 40);
    const budget = stepKernelBudget(spec, 'eac');
    console.log(`# ${arch}: ${reading.kernels} kernels, allowance ${budget}`);
    assert.ok(reading.kernels <= budget, `${reading.kernels} kernels > allowance ${budget}`);
  });
}

test(`the tape-recorded step breaks both budgets (what the explicit engine removed) (${backend})`, async () => {
  const { reading, spec } = await meteredStep('resnet18', 'eac', 'tape', 4, 48);
  const plan = stepMemoryPlan(spec, 4, 48, 'eac', device);
  assert.ok(stepPeak(reading) > 2 * plan.stepPeakBytes, `tape peak ${mb(stepPeak(reading))} vs budget ${mb(plan.stepPeakBytes)}`);
  assert.ok(reading.kernels > stepKernelBudget(spec, 'eac'), `tape kernels ${reading.kernels}`);
});

// WebGPU dispatches of the real step (batch 32), encoded on Dawn's Null adapter (`eac bench
// --plan`, nothing executes, no GPU needed): the fused kernels' counts, so that any kernel that
// comes back unfused fails here (Adam included). Unfused (the stock-op row, before the fused kernels) the same steps took 7,393 and 3,650.
// Two steps are recorded, the timed third is replayed from the step program: it must create no
// bind group, pipeline or buffer, write no uniforms, and encode one compute pass.
const DISPATCHES = [
  { arch: 'resnet50', size: 224, bound: 1981 },
  { arch: 'resnet18', size: 112, bound: 869 },
] as const;
for (const { arch, size, bound } of DISPATCHES) {
  test(`${arch} ${size} px batch-32 EAC step on WebGPU: at most ${bound} dispatches (Dawn Null adapter)`, () => {
    const bin = new URL('../../bin/eac.js', import.meta.url).pathname;
    const args = [
      'bench',
      '--arch',
      arch,
      '--size',
      String(size),
      '--batch-size',
      '32',
      '--plan',
      '--steps',
      '1',
      '--warmup',
      '2',
      '--json',
    ];
    const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
    assert.equal(r.status, 0, r.stderr);
    const { median, program } = JSON.parse(r.stdout);
    const { dispatches, gpu } = median;
    console.log(`# ${arch} ${size} px batch 32: ${dispatches} dispatches (bound ${bound}), replayed: ${JSON.stringify(gpu)}`);
    assert.ok(dispatches <= bound, `${dispatches} dispatches > ${bound}`);
    assert.equal(median.replayed, true, `the third step is replayed (${program.notReplayed})`);
    assert.deepEqual(
      { bindGroups: gpu.bindGroups, pipelines: gpu.pipelines, buffers: gpu.buffers, uniformWrites: gpu.uniformWrites, passes: gpu.passes },
      { bindGroups: 0, pipelines: 0, buffers: 0, uniformWrites: 0, passes: 1 },
    );
    assert.ok(program.plannedBytes >= program.liveBytes, 'a plan holds at least the live peak');
  });
}
