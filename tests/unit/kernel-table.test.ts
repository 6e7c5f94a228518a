// The layer × backend table (src/engine/kernel-table.ts): one implementation per layer and
// backend, the same table in docs/kernel-table.md, no layer file asking which backend is active,
// and a real step that runs what the active backend's row says (cpu, wasm and webgpu suites).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { setupBackend, type BackendName } from '../../src/cli/node-backends.ts';
import { tf, type Tensor4D } from '../../src/engine/tf.ts';
import { BACKENDS, IMPLEMENTATIONS, KERNEL_TABLE, kernelsFor, kernelTableMarkdown, type Layer } from '../../src/engine/kernel-table.ts';
import { createModel, disposeModel, applyBatchStats } from '../../src/engine/resnet.ts';
import { computeGradients } from '../../src/engine/step.ts';
import { Adam, ADAM_DEFAULTS } from '../../src/engine/optim.ts';
import { meter } from '../../src/engine/meter.ts';
import { Rng } from '../../src/engine/rng.ts';

const backend = (process.env.EAC_TEST_BACKEND ?? 'cpu') as BackendName;
before(async () => {
  await setupBackend(backend);
});

const root = new URL('../../', import.meta.url).pathname;
const layers = Object.keys(IMPLEMENTATIONS) as Layer[];

test('every layer has exactly one implementation per backend, and each is a documented one', () => {
  assert.deepEqual(Object.keys(KERNEL_TABLE).sort(), [...layers].sort(), 'the table and the implementations list the same layers');
  for (const layer of layers) {
    const row = KERNEL_TABLE[layer] as Record<string, unknown>;
    assert.deepEqual(Object.keys(row).sort(), [...BACKENDS].sort(), `${layer}: one entry per backend`);
    for (const b of BACKENDS) {
      const impl = row[b];
      assert.equal(typeof impl, 'string', `${layer} on ${b}: one implementation`);
      assert.ok(
        Object.hasOwn(IMPLEMENTATIONS[layer], impl as string),
        `${layer} on ${b}: '${String(impl)}' is not an implementation of ${layer}`,
      );
    }
    // No implementation that no backend runs (a dead path in the product).
    for (const impl of Object.keys(IMPLEMENTATIONS[layer]))
      assert.ok(Object.values(row).includes(impl), `${layer}: '${impl}' is listed but no backend runs it`);
  }
});

test("a backend's row is its column of the table; an unknown backend is refused", () => {
  for (const b of BACKENDS) {
    const row = kernelsFor(b);
    assert.equal(row.backend, b);
    for (const layer of layers) assert.equal(row[layer], KERNEL_TABLE[layer][b], `${layer} on ${b}`);
  }
  assert.throws(() => kernelsFor('tensorflow'), /no kernel table row for the 'tensorflow' backend/);
});

test('docs/kernel-table.md shows the table as the code has it', () => {
  const doc = readFileSync(path.join(root, 'docs/kernel-table.md'), 'utf8');
  assert.ok(doc.includes(kernelTableMarkdown()), 'regenerate the table in docs/kernel-table.md from kernelTableMarkdown()');
});

// Files that pick a row or read the device at plan time, and instruments that watch the backend
// (meter, counters); every other engine file gets its row handed in.
const PLAN_TIME = new Set([
  'trainer.ts',
  'bench.ts',
  'meter.ts',
  'gpu-counters.ts',
  'step-program/step-program.ts',
  'step-program/capture.ts',
]);

function engineFiles(dir: string, base = dir): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    if (statSync(p).isDirectory()) return engineFiles(p, base);
    return f.endsWith('.ts') ? [path.relative(base, p)] : [];
  });
}

/** Source without comments: a file may say why it does not ask. */
const code = (src: string) => src.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');

test('no layer code asks which backend is active', () => {
  const engine = path.join(root, 'src/engine');
  const asking = engineFiles(engine).filter(
    (f) => !PLAN_TIME.has(f) && /getBackend\s*\(|tf\.backend\s*\(\)|tf\.env\s*\(\)/.test(code(readFileSync(path.join(engine, f), 'utf8'))),
  );
  assert.deepEqual(asking, [], `these engine files decide by the active backend instead of the kernel row: ${asking.join(', ')}`);
});

/** Which kernels show that a layer ran implementation `impl` (null: nothing distinctive to look for). */
const EVIDENCE: { [L in Layer]?: Record<string, string | null> } = {
  windowReads: { 'patch-kernel': 'EacConvPatches', 'row-gathers': 'EacGatherRows', slices: null },
  bnRelu: { fused: 'EacBnApply', ops: null },
  runningStats: { fused: 'EacRunningStat', ops: null },
  inputGrad: { 'conv2d-transpose': 'Conv2DBackpropInput', 'forward-conv': null, 'patch-scatter': 'EacGatherRows' },
  maxPool: { xnnpack: 'MaxPool', 'window-views': null },
  adam: { 'fused-flat': 'EacAdam', 'flat-ops': null, 'per-parameter': null },
};

test(`a step on ${backend} runs what its row says, and nothing of the other rows`, async () => {
  const kernels = kernelsFor(tf.getBackend());
  const model = createModel({ arch: 'resnet18', width: 2, numClasses: 7 }, new Rng(1));
  const opt = new Adam(model.trainable, { ...ADAM_DEFAULTS, lr: 1e-3 }, kernels.adam);
  const x1 = tf.randomNormal([2, 33, 33, 3], 0, 1, 'float32', 3) as Tensor4D;
  const x2 = tf.reverse(x1, 2) as Tensor4D;
  const { reading } = await meter(() => {
    const g = computeGradients(model, { x1, x2, labels: Int32Array.from([1, 5]) }, 'eac', 5, kernels);
    opt.apply(g.grads);
    applyBatchStats(model, g.batchStats, kernels.runningStats);
    tf.dispose([g.loss, g.ce, g.consistency, g.logits1, ...g.grads]);
  });
  const ran = reading.byKernel;
  for (const [layer, evidence] of Object.entries(EVIDENCE) as [Layer, Record<string, string | null>][]) {
    const chosen = kernels[layer] as string;
    const mine = evidence[chosen];
    if (mine) assert.ok(ran.has(mine), `${layer} is '${chosen}' on ${backend}, but ${mine} never ran`);
    for (const [impl, kernel] of Object.entries(evidence)) {
      if (impl === chosen || !kernel || kernel === mine) continue;
      // A kernel of another implementation may still run for another reason (say, MaxPool); only ours are exclusive.
      if (kernel.startsWith('Eac')) assert.ok(!ran.has(kernel), `${layer} is '${chosen}' on ${backend}, yet ${kernel} ('${impl}') ran`);
    }
  }
  opt.dispose();
  tf.dispose([x1, x2]);
  disposeModel(model);
});
