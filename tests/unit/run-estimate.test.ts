// Time per epoch and per run from one measured speed, and the fixes offered when a run does not fit
// the device's memory or a sensible time (src/engine/run-estimate.ts). Pure: no TensorFlow.js runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEMO_FIX_IMAGES,
  differsFromPaper,
  estimateRun,
  forwardMacs,
  LONG_RUN_SECONDS,
  longRunOf,
  MIN_FIX_EPOCHS,
  PAPER_RECIPE,
  QUICK_FIRST_STEP_SECONDS,
  runFixes,
  scaledSpeed,
  SENSIBLE_RUN_SECONDS,
  shapeLabel,
  standInShape,
  type MeasuredSpeed,
} from '../../src/engine/run-estimate.ts';
import { firstStepBoundMs, FIRST_STEP_BOUND_MS } from '../../src/engine/run-limits.ts';
import { memoryFit, WASM_HEAP_BYTES, type DeviceMemory } from '../../src/engine/memory-fit.ts';

const wasm: DeviceMemory = { what: "the wasm backend's 4 GiB heap", totalBytes: WASM_HEAP_BYTES, maxBufferBytes: null, device: 'cpu' };
/** As measured on this 2-core machine (eac bench --arch resnet18 --size 96 --batch-size 32 --backend wasm). */
const twoCores: MeasuredSpeed = {
  shape: { arch: 'resnet18', width: 64, size: 96, batchSize: 32, method: 'eac' },
  imagesPerSecond: 4.15,
  warmupMs: 8000,
};

test('forward work: ResNet-50 at 224 px is about 4 GMACs, ResNet-18 about 1.8, and it grows with the area', () => {
  const r50 = forwardMacs('resnet50', 64, 224);
  const r18 = forwardMacs('resnet18', 64, 224);
  assert.ok(r50 > 3.7e9 && r50 < 4.2e9, String(r50));
  assert.ok(r18 > 1.7e9 && r18 < 1.9e9, String(r18));
  const ratio = forwardMacs('resnet18', 64, 224) / forwardMacs('resnet18', 64, 112);
  assert.ok(ratio > 3.6 && ratio < 4.2, String(ratio));
});

test('a speed carries over by the work per image: the same model keeps it, EAC costs twice the baseline', () => {
  assert.equal(scaledSpeed(twoCores, twoCores.shape), 4.15);
  const baseline = scaledSpeed(twoCores, { ...twoCores.shape, method: 'baseline' });
  assert.ok(Math.abs(baseline - 8.3) < 1e-9, String(baseline));
  assert.ok(scaledSpeed(twoCores, { ...twoCores.shape, size: 192 }) < 4.15 / 3.5);
});

test('the run time counts whole batches, every epoch, and a first step at least as long as the warm-up', () => {
  const t = estimateRun({ ...twoCores.shape, epochs: 10 }, 100, twoCores);
  assert.equal(t.epochSeconds, 128 / 4.15);
  assert.equal(t.runSeconds, (10 * 128) / 4.15);
  assert.ok(Math.abs(t.firstStepSeconds - 8) < 1e-9, String(t.firstStepSeconds));
  // The paper's recipe on these cores: days, not hours.
  assert.ok(estimateRun(PAPER_RECIPE, 3000, twoCores).runSeconds > 50 * 3600);
});

test('the recipe on two cores: fixes that fit the wasm heap and two hours, closest first, each saying how it differs', () => {
  const fixes = runFixes(PAPER_RECIPE, { trainCount: 3000, demo: false }, wasm, twoCores);
  assert.ok(fixes.length >= 2 && fixes.length <= 3, JSON.stringify(fixes.map((f) => f.label)));
  for (const f of fixes) {
    assert.ok(memoryFit(f.shape, wasm).fits, f.label);
    assert.ok(f.sensible && f.runSeconds <= SENSIBLE_RUN_SECONDS, `${f.label}: ${f.runSeconds}`);
    assert.ok(f.shape.epochs >= MIN_FIX_EPOCHS && f.shape.size >= 96, f.label);
    assert.deepEqual(f.differs, differsFromPaper(f.shape));
    assert.equal(f.label, shapeLabel(f.shape));
    for (const [k, v] of Object.entries(f.changes)) assert.equal(f.shape[k as keyof typeof f.shape], v);
  }
  assert.equal(fixes[0].label, 'ResNet-18 · 112 px · batch 32 · 6 epochs');
  assert.deepEqual(fixes[0].differs, ['backbone', 'size', 'epochs']);
  // The last is the cheapest: its first step comes first (seconds here).
  const last = fixes[fixes.length - 1];
  assert.equal(last.label, 'ResNet-18 · 96 px · batch 32 · 9 epochs');
  assert.ok(fixes.every((f) => f.firstStepSeconds >= last.firstStepSeconds));
  assert.ok(last.firstStepSeconds < 60, String(last.firstStepSeconds));
});

test('a fast device keeps the recipe and changes only what memory needs: the batch', () => {
  const fast: MeasuredSpeed = { ...twoCores, imagesPerSecond: 4000 };
  const fixes = runFixes(PAPER_RECIPE, { trainCount: 3000, demo: false }, wasm, fast);
  assert.equal(fixes[0].shape.arch, 'resnet50');
  assert.equal(fixes[0].shape.size, 224);
  assert.equal(fixes[0].shape.epochs, 60);
  assert.deepEqual(fixes[0].differs, ['batch']);
  assert.equal(fixes[0].changes.batchSize, memoryFit(PAPER_RECIPE, wasm).largestBatch);
});

test('RAF-DB (12,271 faces) on two cores: nothing fits two hours, so only the cheapest is offered, marked so', () => {
  const fixes = runFixes(PAPER_RECIPE, { trainCount: 12271, demo: false }, wasm, twoCores);
  assert.equal(fixes.length, 1);
  assert.equal(fixes[0].sensible, false);
  assert.equal(fixes[0].label, `ResNet-18 · 96 px · batch 32 · ${MIN_FIX_EPOCHS} epochs`);
});

test('on demo faces a fix draws at most 960 of them: more epochs in the time, not a departure from the paper', () => {
  const fixes = runFixes(PAPER_RECIPE, { trainCount: 3000, demo: true }, wasm, { ...twoCores, imagesPerSecond: 1.3 });
  assert.ok(fixes.length >= 2, JSON.stringify(fixes.map((f) => f.label)));
  for (const f of fixes) {
    assert.equal(f.trainCount, DEMO_FIX_IMAGES);
    assert.equal(f.changes.trainCount, DEMO_FIX_IMAGES);
    assert.match(f.label, / · 960 demo faces$/);
    assert.ok(f.sensible && !f.differs.includes('trainCount'), f.label);
  }
  // Fewer faces than that are kept as they are.
  const small = runFixes(PAPER_RECIPE, { trainCount: 500, demo: true }, wasm, twoCores);
  assert.ok(small.every((f) => f.trainCount === 500 && f.changes.trainCount === undefined));
});

test('a loaded machine: the cheapest fix lowers its batch so that its first step comes within 30 s', () => {
  const slow: MeasuredSpeed = { ...twoCores, imagesPerSecond: 0.9, warmupMs: 40_000 };
  const fixes = runFixes(PAPER_RECIPE, { trainCount: 3000, demo: true }, wasm, slow);
  const last = fixes[fixes.length - 1];
  assert.ok(last.firstStepSeconds <= QUICK_FIRST_STEP_SECONDS, `${last.label}: ${last.firstStepSeconds}`);
  assert.ok(last.shape.batchSize < 32 && last.shape.batchSize >= 8 && last.shape.batchSize % 8 === 0, last.label);
  assert.ok(last.differs.includes('batch'));
  assert.equal(last.changes.batchSize, last.shape.batchSize);
  assert.ok(last.sensible, last.label);
});

test('nothing fits memory: no fix', () => {
  const tiny: DeviceMemory = { ...wasm, totalBytes: 2 ** 20 };
  assert.deepEqual(runFixes(PAPER_RECIPE, { trainCount: 3000, demo: false }, tiny, twoCores), []);
});

test('the stand-in the probe times is the cheapest fix model at a small batch', () => {
  assert.deepEqual(standInShape(PAPER_RECIPE), { arch: 'resnet18', width: 64, size: 96, batchSize: 8, method: 'eac' });
  assert.deepEqual(standInShape({ ...PAPER_RECIPE, size: 64, batchSize: 4 }), {
    arch: 'resnet18',
    width: 64,
    size: 64,
    batchSize: 4,
    method: 'eac',
  });
});

test('the first step bound: ten times the estimate within a minute and five minutes, five minutes unmeasured', () => {
  assert.equal(firstStepBoundMs(null), FIRST_STEP_BOUND_MS);
  assert.equal(FIRST_STEP_BOUND_MS, 300_000);
  assert.equal(firstStepBoundMs(1000), 60_000);
  assert.equal(firstStepBoundMs(20_000), 200_000);
  assert.equal(firstStepBoundMs(60_000), 300_000);
  assert.equal(firstStepBoundMs(Number.NaN), FIRST_STEP_BOUND_MS);
});

test('a run that fits but whose own pace says days is flagged, its speed read from the ETA, with fixes within 2 h', () => {
  const recipe = { ...PAPER_RECIPE };
  const data = { trainCount: 12271, demo: false };
  const perEpoch = Math.ceil(12271 / 32);
  const total = perEpoch * 60;
  // 100 steps in, 3 days left: 0.5 images/s or so.
  const eta = 3 * 86400;
  const long = longRunOf(recipe, data, null, { step: 100, totalSteps: total, etaSeconds: eta });
  assert.ok(long);
  assert.ok(Math.abs(long.speed.imagesPerSecond - ((total - 100) * 32) / eta) < 1e-9);
  assert.ok(long.asked.runSeconds > eta, 'the whole run is longer than what is left');
  assert.equal(long.remainingSeconds, eta);
  assert.ok(long.fixes.length >= 1);
  for (const f of long.fixes) assert.ok(f.runSeconds <= SENSIBLE_RUN_SECONDS || !f.sensible, f.label);
  // Measuring, within the bound, or at its end: nothing to flag.
  assert.equal(longRunOf(recipe, data, null, { step: 3, totalSteps: total, etaSeconds: null }), null);
  assert.equal(longRunOf(recipe, data, null, { step: 100, totalSteps: total, etaSeconds: LONG_RUN_SECONDS }), null);
  assert.equal(longRunOf(recipe, data, null, { step: total, totalSteps: total, etaSeconds: eta }), null);
  // The fixes respect the device's memory where it is known.
  const onWasm = longRunOf(recipe, data, wasm, { step: 100, totalSteps: total, etaSeconds: eta });
  for (const f of onWasm?.fixes ?? []) assert.ok(memoryFit(f.shape, wasm).fits, f.label);
});
