// Will a step fit the device: the plan against the wasm heap and a GPU's buffer limit, the largest
// batch that fits, and the one-line refusal the lab and the worker show.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertStepFits, memoryFit, stepNeed, WASM_HEAP_BYTES, type DeviceMemory, type StepShape } from '../../src/engine/memory-fit.ts';
import { StepTooLargeError } from '../../src/engine/errors.ts';

const wasm: DeviceMemory = { what: "the wasm backend's 4 GiB heap", totalBytes: WASM_HEAP_BYTES, maxBufferBytes: null, device: 'cpu' };
const official: StepShape = { arch: 'resnet50', width: 64, size: 224, batchSize: 32, method: 'eac' };

test('the official step does not fit the wasm heap; the largest batch that does is found exactly', () => {
  const fit = memoryFit(official, wasm);
  assert.equal(fit.fits, false);
  assert.ok(fit.largestBatch !== null && fit.largestBatch >= 1 && fit.largestBatch < 32, String(fit.largestBatch));
  const b = fit.largestBatch!;
  assert.equal(memoryFit({ ...official, batchSize: b }, wasm).fits, true);
  assert.equal(memoryFit({ ...official, batchSize: b + 1 }, wasm).fits, false);
  // The baseline trains one pass, not two: it fits a larger batch.
  assert.ok(memoryFit({ ...official, method: 'baseline' }, wasm).largestBatch! > b);
});

test('the need covers the peaks measured on wasm (docs/step-engine.md), so a step that ran is never refused', () => {
  // ResNet-18 112 px batch 32, EAC: 0.80 GiB measured on wasm (1 thread).
  const r18 = stepNeed({ arch: 'resnet18', width: 64, size: 112, batchSize: 32, method: 'eac' }, 'cpu');
  assert.ok(r18.needBytes >= 0.8 * 2 ** 30, `${r18.needBytes}`);
  assert.equal(memoryFit({ arch: 'resnet18', width: 64, size: 112, batchSize: 32, method: 'eac' }, wasm).fits, true);
});

test("a GPU's buffer limit: the largest tensor is what counts; nothing fits is said, not a batch of 0", () => {
  const gpu: DeviceMemory = { what: 'this GPU (WebGPU)', totalBytes: null, maxBufferBytes: 64 * 2 ** 20, device: 'gpu' };
  const fit = memoryFit(official, gpu);
  assert.equal(fit.fits, false);
  assert.match(fit.reason!, /largest tensor is [\d.]+ (MiB|GiB), more than the 64 MiB one buffer may hold on this GPU/);
  assert.ok(fit.largestBatch! >= 1 && fit.largestBatch! < 32);
  const tiny: DeviceMemory = { ...wasm, totalBytes: 2 ** 20 };
  assert.equal(memoryFit(official, tiny).largestBatch, null);
  assert.throws(() => assertStepFits(official, tiny), /not even batch 1 fits: lower the input size or the width, or use another backend/);
});

test('the refusal is one line naming the step, the device and the batch that fits', () => {
  assert.doesNotThrow(() => assertStepFits({ ...official, batchSize: 1 }, wasm));
  assert.doesNotThrow(() => assertStepFits(official, null), 'an unknown device is not refused');
  try {
    assertStepFits(official, wasm);
    assert.fail('refused');
  } catch (e) {
    assert.ok(e instanceof StepTooLargeError);
    assert.equal(e.kind, 'out-of-memory');
    assert.equal(e.fitBatch, memoryFit(official, wasm).largestBatch);
    assert.match(
      e.message,
      /^a training step of ResNet-50 width 64 at 224 px, batch 32 \(EAC\) needs about [\d.]+ GiB, more than the wasm backend's 4 GiB heap: batch \d+ fits$/,
    );
  }
});

test('an EAC step that fits only recomputing pass 1 recomputes by itself, and says why; others are left as asked', async () => {
  const { chooseRecompute, memoryRefusal } = await import('../../src/cli/memory.ts');
  const recipe: StepShape = { arch: 'resnet50', width: 64, size: 224, batchSize: 24, method: 'eac' };
  assert.ok(
    stepNeed({ ...recipe, recompute: true }, 'cpu').needBytes < 0.7 * stepNeed(recipe, 'cpu').needBytes,
    'recomputing plans far less',
  );
  const chosen = chooseRecompute(recipe, 'wasm');
  assert.equal(chosen.recompute, true);
  assert.match(chosen.because ?? '', /needs about 5\.4 GiB, more than the wasm backend's 4 GiB heap; recomputing pass 1 it needs 3\.4 GiB/);
  // Fits as it is: nothing changes; the baseline has no pass 1 to recompute; asked for: kept.
  assert.deepEqual(chooseRecompute({ ...recipe, arch: 'resnet18', size: 112 }, 'wasm'), { recompute: false, because: null });
  assert.deepEqual(chooseRecompute({ ...recipe, method: 'baseline', batchSize: 64 }, 'wasm'), { recompute: false, because: null });
  assert.deepEqual(chooseRecompute({ ...recipe, arch: 'resnet18', size: 112, recompute: true }, 'wasm'), {
    recompute: true,
    because: null,
  });
  // What fits not even recomputing is refused with a batch that fits recomputing.
  const refusal = memoryRefusal({ ...recipe, batchSize: 64, recompute: true }, 'wasm') ?? '';
  assert.match(
    refusal,
    /batch 64 \(eac\), pass 1 recomputed, needs about .* GiB, more than the wasm backend's 4 GiB heap: lower one: --batch-size 29/,
  );
});
