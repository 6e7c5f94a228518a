// The run bar's "what Train will do" line (issue 23 item 3): a pure function of the store's state,
// so it follows the form, the chosen dataset, label file and weights at once, and after a run
// names what that run did, labelled as the last run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runDescription, type StartedFacts } from '../../src/ui/run/run-description.ts';
import { DEMO_SETTINGS, draftOf, OFFICIAL_SETTINGS } from '../../src/ui/settings.ts';

const demoDraft = draftOf(DEMO_SETTINGS);
const raf = { kind: 'cached' as const, key: 'k', name: 'RAF-DB basic', labelFile: 'noise02.txt' };
const demoRun: StartedFacts = {
  config: { arch: 'resnet18', width: 8, size: 64, method: 'eac', lam: 5, epochs: 2, batchSize: 16 },
  data: { kind: 'demo', seed: 0, trainCount: 600, testCount: 200, noiseRate: 0.2, noiseSeed: 0 },
  flippedLabels: 118,
  trainCount: 600,
  weights: null,
};

test('runDescription: before any run, what Train will do with the form, dataset and weights as they are', () => {
  const d = runDescription({ status: 'idle', started: null, draft: demoDraft, selected: { kind: 'demo' }, weights: null });
  assert.equal(
    d.now,
    'Train will use demo faces (600 train / 200 test), each label flipped to another class with a 20% chance (seed 0); ResNet-18 width 8 at 64 px, EAC (λ 5), 2 epochs, batch 16, random init',
  );
  assert.equal(d.last, null);
  const official = runDescription({
    status: 'idle',
    started: null,
    draft: draftOf(OFFICIAL_SETTINGS),
    selected: raf,
    weights: { key: 'w', name: 'resnet50_ft_weight.pkl' },
  });
  assert.match(
    official.now ?? '',
    /^Train will use RAF-DB basic, labels of noise02\.txt as they are; ResNet-50 width 64 at 224 px, EAC \(λ 5\), 60 epochs, batch 32, from “resnet50_ft_weight\.pkl”$/,
  );
  assert.equal(
    runDescription({ status: 'idle', started: null, draft: { ...demoDraft, width: 'x' }, selected: raf, weights: null }).now,
    null,
  );
});

test('runDescription: after a demo run, a new dataset and label file show at once; the demo is the last run', () => {
  const d = runDescription({ status: 'done', started: demoRun, draft: draftOf(OFFICIAL_SETTINGS), selected: raf, weights: null });
  assert.match(d.now ?? '', /^Train will use RAF-DB basic, labels of noise02\.txt as they are; ResNet-50/);
  assert.match(
    d.last ?? '',
    /^Last run trained on demo faces \(600 train \/ 200 test\), 118 of 600 labels flipped .*; ResNet-18 width 8 at 64 px/,
  );
  assert.match(
    runDescription({ status: 'stopped', started: demoRun, draft: demoDraft, selected: raf, weights: null }).last ?? '',
    /^Last run \(stopped\) trained on demo faces/,
  );
  // The reverse: after a RAF-DB run, picking the demo faces says so.
  const rafRun: StartedFacts = { ...demoRun, data: { ...raf, noiseRate: 0, noiseSeed: 0 }, flippedLabels: 0, trainCount: 12271 };
  const back = runDescription({ status: 'done', started: rafRun, draft: demoDraft, selected: { kind: 'demo' }, weights: null });
  assert.match(back.now ?? '', /^Train will use demo faces/);
  assert.match(back.last ?? '', /^Last run trained on RAF-DB basic, labels of noise02\.txt/);
});

test('runDescription: while a run trains, what it does (not the form being edited)', () => {
  const d = runDescription({ status: 'training', started: demoRun, draft: draftOf(OFFICIAL_SETTINGS), selected: raf, weights: null });
  assert.match(d.now ?? '', /^Trains on demo faces \(600 train \/ 200 test\), 118 of 600 labels flipped/);
  assert.equal(d.last, null);
  const starting = runDescription({ status: 'starting', started: null, draft: demoDraft, selected: { kind: 'demo' }, weights: null });
  assert.match(starting.now ?? '', /^Trains on demo faces/);
});
