// The seeded random generator, the metrics and the label-noise generator.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/engine/rng.ts';
import { accuracy, confusionMatrix, meanOfLast, memorisation, perClassAccuracy } from '../../src/engine/metrics.ts';
import { noiseReport, symmetricNoise } from '../../src/data/noise.ts';

test('Rng: same seed, same stream; different seed, different stream', () => {
  const a = new Rng(42),
    b = new Rng(42),
    c = new Rng(43);
  const sa = Array.from({ length: 20 }, () => a.nextU32());
  assert.deepEqual(
    sa,
    Array.from({ length: 20 }, () => b.nextU32()),
  );
  assert.notDeepEqual(
    sa,
    Array.from({ length: 20 }, () => c.nextU32()),
  );
});

test('Rng: a saved state resumes the exact stream (including a pending normal)', () => {
  const r = new Rng(7);
  r.normal(); // leaves a spare
  const saved = r.getState();
  const expected = [r.normal(), r.uniform(), r.int(0, 9), r.normal()];
  const resumed = Rng.fromState(saved);
  assert.deepEqual([resumed.normal(), resumed.uniform(), resumed.int(0, 9), resumed.normal()], expected);
});

test('Rng: distributions', () => {
  const r = new Rng(1);
  const n = 20000;
  let s = 0,
    s2 = 0;
  for (let i = 0; i < n; i++) {
    const x = r.normal();
    s += x;
    s2 += x * x;
  }
  assert.ok(Math.abs(s / n) < 0.03 && Math.abs(s2 / n - 1) < 0.05);
  const counts = new Array(6).fill(0);
  for (let i = 0; i < 6000; i++) counts[r.int(0, 5)]++;
  assert.ok(
    counts.every((c) => c > 900 && c < 1100),
    counts.join(),
  );
  for (let i = 0; i < 1000; i++) {
    const u = r.uniform();
    assert.ok(u >= 0 && u < 1);
  }
  const p = r.permutation(50);
  assert.deepEqual(
    [...p].sort((x, y) => x - y),
    Array.from({ length: 50 }, (_, i) => i),
  );
});

test('metrics: accuracy, confusion, per-class accuracy, last-5 mean, memorisation', () => {
  const preds = [0, 1, 1, 2, 2, 2];
  const labels = [0, 1, 2, 2, 2, 0];
  assert.equal(accuracy(preds, labels), 4 / 6);
  const m = confusionMatrix(preds, labels, 3);
  assert.deepEqual(m, [
    [1, 0, 1],
    [0, 1, 0],
    [0, 1, 2],
  ]);
  assert.deepEqual(perClassAccuracy(m), [0.5, 1, 2 / 3]);
  assert.deepEqual(
    perClassAccuracy([
      [0, 0],
      [1, 1],
    ]),
    [null, 0.5],
  );
  assert.equal(meanOfLast([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7], 5), 0.5);
  assert.equal(meanOfLast([0.2, 0.4], 5), 0.30000000000000004);
  assert.equal(meanOfLast([], 5), null);
  // Samples 1 and 2 are flipped (noisy != clean): one predicted as its noisy label, one as clean.
  assert.deepEqual(memorisation([0, 3, 4, 1], [0, 3, 5, 1], [0, 2, 4, 1]), { flipped: 2, predictedNoisy: 0.5, predictedClean: 0.5 });
});

test('symmetric noise: rate, never the same class, uniform over the others, seeded', () => {
  const clean = Int32Array.from({ length: 20000 }, (_, i) => i % 7);
  const noisy = symmetricNoise(clean, 0.3, 0);
  const rep = noiseReport(clean, noisy, 0.3, 0);
  assert.ok(Math.abs(rep.actualRate - 0.3) < 0.015, `rate ${rep.actualRate}`);
  assert.deepEqual(symmetricNoise(clean, 0.3, 0), noisy);
  assert.notDeepEqual(symmetricNoise(clean, 0.3, 1), noisy);
  for (let k = 0; k < 7; k++) {
    const row = rep.transition[k];
    const off = row.filter((_, j) => j !== k);
    const mean = off.reduce((a, b) => a + b, 0) / 6;
    assert.ok(
      off.every((c) => Math.abs(c - mean) < 0.25 * mean),
      `row ${k}: ${row.join()}`,
    );
  }
  assert.deepEqual(symmetricNoise(clean, 0, 0), clean);
  assert.throws(() => symmetricNoise(clean, 1.5, 0), /noise rate/);
});
