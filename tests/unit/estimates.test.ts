// Estimates from measurements (issue 23 item 5): a run's ETA and an embedding's time left leave
// the first step or batch (compiling, loading) out and say "measuring" until they have a rate;
// the feature picture's text names the images it will really use, and says whether its time was
// measured here or guessed from the run's training speed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ETA_MIN_STEPS, progressSince, stepEtaSeconds } from '../../src/engine/progress.ts';
import { embeddingEstimateText } from '../../src/ui/classroom/embedding-estimate.ts';

test('stepEtaSeconds: timed from the first step on, unknown until a few steps after it', () => {
  // The demo of the issue: a 20 s first step (compiling), then 0.25 s steps; 200 steps in all.
  const first = { done: 1, atMs: 20_000 };
  assert.equal(stepEtaSeconds(null, 0, 200, 0), null, 'no step yet');
  assert.equal(stepEtaSeconds(first, 1, 200, 20_000), null, 'measuring…');
  assert.equal(stepEtaSeconds(first, ETA_MIN_STEPS, 200, 20_000 + (ETA_MIN_STEPS - 1) * 250), null);
  const at = 1 + ETA_MIN_STEPS;
  const eta = stepEtaSeconds(first, at, 200, 20_000 + ETA_MIN_STEPS * 250);
  assert.ok(eta !== null && Math.abs(eta - (200 - at) * 0.25) < 1e-9, `${eta}`);
  // Timed from the run's start instead (the old ETA), the first step would have made it ~4× too long.
  const fromStart = ((20 + ETA_MIN_STEPS * 0.25) / at) * (200 - at);
  assert.ok(fromStart > 3 * eta, `${fromStart} vs ${eta}`);
});

test('progressSince: the rate after the first batch; no ETA before a second report', () => {
  const start = { done: 50, atMs: 30_000 }; // the first batch of 50 took 30 s (loading the model)
  assert.deepEqual(progressSince(start, 50, 480, 'features', 30_000), {
    done: 50,
    total: 480,
    detail: 'features',
    perSecond: null,
    etaSeconds: null,
  });
  const p = progressSince(start, 100, 480, 'features', 31_000);
  assert.equal(p.perSecond, 50);
  assert.equal(p.etaSeconds, (480 - 100) / 50);
});

test('embeddingEstimateText: the count used, and whether the time was measured', () => {
  assert.equal(
    embeddingEstimateText(480, 1000, null, false),
    '480 images (all the run has): the first computation measures how long it takes here',
  );
  assert.equal(embeddingEstimateText(480, 480, 12, true), 'takes about 12 s on this machine (measured)');
  assert.match(embeddingEstimateText(1000, 1000, 5, false), /^at least 5 s plus start-up, guessed from the run's training speed/);
});
