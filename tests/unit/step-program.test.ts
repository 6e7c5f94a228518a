// The step program (src/engine/step-program/): on WebGPU (Dawn + SwiftShader), steps replayed from
// a recorded plan equal the steps tfjs runs op by op, bit for bit: losses, predictions, every
// parameter and buffer, Adam's moments. The sequence includes a partial batch (the plan is handed
// back and made again) and an optimiser state set between steps (a resume: copied back in).
// The memory plan itself is pure and checked on every backend.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { setupBackend, type BackendName } from '../../src/cli/node-backends.ts';
import { tf, type Tensor4D } from '../../src/engine/tf.ts';
import { kernelsFor } from '../../src/engine/kernel-table.ts';
import { createModel, disposeModel, readValues, type Arch } from '../../src/engine/resnet.ts';
import type { Layout } from '../../src/engine/resnet-layout.ts';
import { Adam, ADAM_DEFAULTS } from '../../src/engine/optim.ts';
import { readStep, type StepResult } from '../../src/engine/step.ts';
import { StepProgram } from '../../src/engine/step-program/step-program.ts';
import { planConflict, planMemory, peakLiveBytes, type PlannedValue } from '../../src/engine/step-program/memory-plan.ts';
import { Rng } from '../../src/engine/rng.ts';
import { kernelClass, timeByClass } from '../../src/engine/step-program/kernel-classes.ts';
import type { Method } from '../../src/engine/config.ts';

const backend = (process.env.EAC_TEST_BACKEND ?? 'cpu') as BackendName;
const gpu = { skip: backend !== 'webgpu' ? 'steps are replayed on WebGPU only (EAC_TEST_BACKEND=webgpu)' : false };
before(async () => {
  await setupBackend(backend);
});

interface RunOutcome {
  steps: StepResult[];
  values: Map<string, Float32Array>;
  m: Float32Array[];
  v: Float32Array[];
  replayed: number;
  plans: number;
}

/** Batch sizes of the sequence: full batches, a partial one (an epoch's last), full again. */
const SIZES = [3, 3, 3, 3, 2, 3, 3, 3, 3];
/** Before this step, the optimiser's state is set from outside (as a resume does). */
const SET_STATE_AT = 7;

async function run(arch: Arch, width: number, method: Method, replay: boolean, layout: Layout = 'caffe'): Promise<RunOutcome> {
  const model = createModel({ arch, layout, width, numClasses: 7 }, new Rng(0));
  const kernels = kernelsFor(tf.getBackend());
  const opt = new Adam(model.trainable, { ...ADAM_DEFAULTS, lr: 1e-2 }, kernels.adam);
  const program = new StepProgram(model, opt, method, 5, kernels, { replay });
  const steps: StepResult[] = [];
  try {
    for (let s = 0; s < SIZES.length; s++) {
      if (s === SET_STATE_AT) {
        const st = await opt.getState();
        opt.setState({ ...st, m: st.m.map((m) => m.map((x) => x * 0.5)) });
      }
      const n = SIZES[s];
      const x1 = tf.randomNormal([n, 32, 32, 3], 0, 1, 'float32', 100 + s) as Tensor4D;
      const x2 = method === 'eac' ? (tf.tidy(() => tf.reverse(tf.mul(x1, 0.9), 2)) as Tensor4D) : null;
      const labels = Int32Array.from({ length: n }, (_, i) => (3 * i + s) % 7);
      const encoded = program.encode({ x1, x2, labels });
      tf.dispose([x1, ...(x2 ? [x2] : [])]);
      steps.push(await readStep(encoded));
    }
    const values = await readValues(model);
    const st = await opt.getState();
    return { steps, values, m: st.m, v: st.v, replayed: program.report.replayed, plans: program.report.plans };
  } finally {
    program.dispose();
    opt.dispose();
    disposeModel(model);
  }
}

function firstDifference(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return i;
  return -1;
}

for (const [arch, width, method, layout] of [
  ['resnet18', 4, 'eac', 'caffe'],
  ['resnet50', 2, 'eac', 'caffe'],
  // torchvision's bottleneck: the stride on the 3×3 conv, the stem's max-pool padded (resnet-layout.ts).
  ['resnet50', 2, 'eac', 'torchvision'],
  ['resnet18', 4, 'baseline', 'caffe'],
] as const) {
  const named = arch === 'resnet50' && layout === 'torchvision' ? `${arch} (torchvision layout)` : arch;
  test(`replayed steps equal tfjs's steps bit for bit (${named} width ${width}, ${method})`, gpu, async () => {
    const ops = await run(arch, width, method, false, layout);
    const replayed = await run(arch, width, method, true, layout);
    assert.equal(ops.replayed, 0);
    // Steps 3 and 4 replayed, the partial batch through tfjs, then (the recording matching the
    // last one) steps 7 to 9 replayed again from a new plan.
    assert.equal(replayed.plans, 2, 'one plan before the partial batch, one after');
    assert.equal(replayed.replayed, 5);
    assert.deepEqual(replayed.steps, ops.steps);
    for (const [name, a] of ops.values) {
      const i = firstDifference(a, replayed.values.get(name)!);
      assert.equal(i, -1, `${name}[${i}]: ${a[i]} (ops) vs ${replayed.values.get(name)![i]} (replayed)`);
    }
    for (const [what, xs, ys] of [
      ['m', ops.m, replayed.m],
      ['v', ops.v, replayed.v],
    ] as const) {
      xs.forEach((x, p) => assert.equal(firstDifference(x, ys[p]), -1, `Adam ${what}[${p}]`));
    }
  });
}

test('a replaying run frees every tensor and buffer it made', gpu, async () => {
  const before = tf.memory().numTensors;
  const bytes = (tf.memory() as { numBytesInGPU?: number }).numBytesInGPU ?? 0;
  await run('resnet18', 4, 'eac', true);
  assert.equal(tf.memory().numTensors, before);
  assert.equal((tf.memory() as { numBytesInGPU?: number }).numBytesInGPU ?? 0, bytes);
});

// ---- the memory plan (pure) ----

function randomValues(seed: number, count: number, end: number): PlannedValue[] {
  const rng = new Rng(seed);
  return Array.from({ length: count }, (_, id) => {
    const start = rng.int(-1, end - 1);
    const v: PlannedValue = { id, bytes: 4 * rng.int(1, 64), start, end: Math.min(end, start + rng.int(0, 12)) };
    return v;
  });
}

test('the memory plan never gives two live tensors one buffer', () => {
  for (let seed = 0; seed < 20; seed++) {
    const values = randomValues(seed, 200, 100);
    // Pinned pairs (a variable before and after its update) and exclusive constants too.
    values.push({ id: 1000, bytes: 64, start: -1, end: 40, pin: 'w' }, { id: 1001, bytes: 64, start: 50, end: 100, pin: 'w' });
    values.push({ id: 1002, bytes: 8, start: -1, end: 100, exclusive: true });
    const plan = planMemory(values);
    assert.equal(planConflict(plan, values), null, `seed ${seed}`);
    assert.ok(plan.totalBytes >= peakLiveBytes(values));
    assert.ok(plan.slots.length < values.length, 'buffers are shared');
    assert.equal(plan.slots[plan.slotOf.get(1000)!], plan.slots[plan.slotOf.get(1001)!], 'a pinned pair shares its buffer');
    const constant = plan.slots[plan.slotOf.get(1002)!];
    assert.deepEqual(constant.values, [1002], 'a constant has its buffer to itself');
  }
});

test('a planted overlap in a memory plan is found', () => {
  const values = randomValues(7, 100, 60);
  const plan = planMemory(values);
  assert.equal(planConflict(plan, values), null);
  // Move a value into a buffer holding another value live at the same time.
  const [a, b] = (() => {
    for (const x of values)
      for (const y of values)
        if (x.id !== y.id && plan.slotOf.get(x.id) !== plan.slotOf.get(y.id) && x.start <= y.end && y.start <= x.end) return [x, y];
    throw new Error('no overlapping pair');
  })();
  const from = plan.slotOf.get(a.id)!;
  const to = plan.slotOf.get(b.id)!;
  plan.slots[from].values = plan.slots[from].values.filter((id) => id !== a.id);
  plan.slots[to].values.push(a.id);
  plan.slots[to].bytes = Math.max(plan.slots[to].bytes, a.bytes);
  plan.slotOf.set(a.id, to);
  assert.match(planConflict(plan, values) ?? '', /share buffer/);
});

test('a pinned pair live at once (read and written by one dispatch) is refused', () => {
  const values: PlannedValue[] = [
    { id: 0, bytes: 16, start: -1, end: 5, pin: 'running' },
    { id: 1, bytes: 16, start: 5, end: 9, pin: 'running' },
  ];
  assert.match(planConflict(planMemory(values), values) ?? '', /pinned state running/);
});

test('a profiled replayed step times every dispatch on the GPU, and every program has a kernel class', gpu, async () => {
  const model = createModel({ arch: 'resnet18', width: 4, numClasses: 7 }, new Rng(0));
  const kernels = kernelsFor(tf.getBackend());
  const opt = new Adam(model.trainable, { ...ADAM_DEFAULTS, lr: 1e-2 }, kernels.adam);
  const program = new StepProgram(model, opt, 'eac', 5, kernels);
  const x1 = tf.randomNormal([2, 32, 32, 3], 0, 1, 'float32', 5) as Tensor4D;
  const x2 = tf.reverse(x1, 2) as Tensor4D;
  const labels = Int32Array.from([1, 4]);
  try {
    assert.equal(await program.profile({ x1, x2, labels }), null, 'no plan yet');
    for (let s = 0; s < 2; s++) await readStep(program.encode({ x1, x2, labels }));
    const profile = await program.profile({ x1, x2, labels });
    assert.ok(profile, 'SwiftShader has timestamp queries');
    assert.equal(profile.length, program.report.counts!.dispatches);
    assert.ok(profile.every((p) => Number.isFinite(p.ns) && p.ns >= 0));
    const classes = timeByClass(profile);
    assert.equal(
      classes.reduce((a, c) => a + c.dispatches, 0),
      profile.length,
    );
    assert.ok(classes.some((c) => c.kernelClass === 'Adam' && c.dispatches === 1));
    assert.ok(classes.some((c) => c.kernelClass === 'conv forward (k×k)'));
  } finally {
    program.dispose();
    tf.dispose([x1, x2]);
    opt.dispose();
    disposeModel(model);
  }
});

test('kernel classes: tfjs programs and the fused kernels by name', () => {
  assert.equal(kernelClass('Conv2DMMProgram'), 'conv forward (k×k)');
  assert.equal(kernelClass('Conv2DDerInputProgram'), 'conv input gradient (k×k)');
  assert.equal(kernelClass('MatMulSplitKProgram'), 'matmul (1×1 convs, filter gradients, head)');
  assert.equal(kernelClass('eac_conv_patches'), 'filter-gradient patches and split sums');
  assert.equal(kernelClass('eac_bn_grad'), 'BatchNorm (+ residual, ReLU mask, running stats)');
  assert.equal(kernelClass('eac_adam_true'), 'Adam');
  assert.equal(kernelClass('SliceProgram'), 'data movement (slice, concat, pad, reverse)');
  assert.equal(kernelClass('BinaryOpProgram'), 'element-wise and small reductions');
  const t = timeByClass([
    { name: 'eac_adam_true', ns: 2e6 },
    { name: 'SliceProgram', ns: 1e6 },
    { name: 'ConcatProgram', ns: 5e5 },
  ]);
  assert.deepEqual(t, [
    { kernelClass: 'Adam', dispatches: 1, ms: 2 },
    { kernelClass: 'data movement (slice, concat, pad, reverse)', dispatches: 2, ms: 1.5 },
  ]);
});
