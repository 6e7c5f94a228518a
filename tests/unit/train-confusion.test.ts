// The per-epoch training confusion matrices (against the noisy labels the model trains on and
// against the true ones): counted from the predictions each step already makes, kept up to
// TRAIN_CONFUSION_MAX_CLASSES classes, read back from run files by the hostile reader (old files
// without them still load), and written out as a long-format CSV.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { setupBackend, type BackendName } from '../../src/cli/node-backends.ts';
import { train } from '../../src/engine/trainer.ts';
import { defaultTrainConfig } from '../../src/engine/config.ts';
import { TRAIN_CONFUSION_MAX_CLASSES, trainConfusion } from '../../src/engine/metrics.ts';
import { readEpochList, readTrainRunJson } from '../../src/engine/run-check.ts';
import { generateDemoDataset } from '../../src/data/demo.ts';
import { withSymmetricNoise } from '../../src/data/noise.ts';
import { trainConfusionCsv } from '../../src/ui/export/run-export.ts';
import type { EpochMetrics } from '../../src/engine/run-types.ts';
import { confusionOf, diagonalShare, rowShares } from '../../src/ui/run/confusion-view.ts';

const backend = (process.env.EAC_TEST_BACKEND ?? 'cpu') as BackendName;
before(async () => {
  await setupBackend(backend);
});
const runLogic = { skip: backend !== 'wasm' ? 'backend-independent run logic (runs in the wasm suite)' : false };

const sum = (m: number[][]) => m.flat().reduce((a, b) => a + b, 0);
const trace = (m: number[][]) => m.reduce((a, row, i) => a + row[i], 0);

test('trainConfusion counts [label][pred] against both label sets, and none above the cap', () => {
  const preds = [0, 1, 1, 2, 0];
  const noisy = [0, 1, 2, 2, 1];
  const clean = [0, 1, 1, 2, 0];
  const m = trainConfusion(preds, noisy, clean, 3)!;
  assert.deepEqual(m.noisy, [
    [1, 0, 0],
    [1, 1, 0],
    [0, 1, 1],
  ]);
  assert.deepEqual(m.clean, [
    [2, 0, 0],
    [0, 2, 0],
    [0, 0, 1],
  ]);
  assert.equal(trainConfusion(preds, noisy, clean, TRAIN_CONFUSION_MAX_CLASSES + 1), null);
  assert.ok(trainConfusion(preds, noisy, clean, TRAIN_CONFUSION_MAX_CLASSES) !== null);
});

test('each epoch keeps both tables, agreeing with its train accuracies and its labels', runLogic, async () => {
  const base = generateDemoDataset({ seed: 0, trainCount: 24, testCount: 10 });
  const { dataset } = withSymmetricNoise(base, 0.5, 1);
  const config = { ...defaultTrainConfig('resnet18'), width: 2, size: 32, batchSize: 8, epochs: 2, evalBatchSize: 10, lr: 1e-3 };
  const r = await train(dataset, config, {});
  assert.equal(r.epochs.length, 2);
  const rowSums = (m: number[][]) => m.map((row) => row.reduce((a, b) => a + b, 0));
  const countsOf = (labels: Int32Array) => Array.from({ length: 7 }, (_, k) => labels.filter((l) => l === k).length);
  for (const e of r.epochs) {
    const t = e.trainConfusion!;
    assert.ok(t, `epoch ${e.epoch} has its training confusion`);
    assert.equal(t.noisy.length, 7);
    assert.equal(sum(t.noisy), 24);
    // Every training image is seen once an epoch: the rows are the label counts.
    assert.deepEqual(rowSums(t.noisy), countsOf(dataset.train.labels));
    assert.deepEqual(rowSums(t.clean), countsOf(dataset.train.cleanLabels));
    // Both tables count the same predictions: the columns agree.
    const cols = (m: number[][]) => m[0].map((_, j) => m.reduce((a, row) => a + row[j], 0));
    assert.deepEqual(cols(t.noisy), cols(t.clean));
    assert.equal(trace(t.noisy) / 24, e.trainAccNoisy);
    assert.equal(trace(t.clean) / 24, e.trainAccClean);
  }
  // The run JSON's reader takes them back unchanged.
  const back = readEpochList(JSON.parse(JSON.stringify(r.epochs)), 'epochs');
  assert.deepEqual(
    back.map((e) => e.trainConfusion),
    r.epochs.map((e) => e.trainConfusion),
  );
});

const fixture = JSON.parse(readFileSync(new URL('../fixtures/runs/eac-train-out.json', import.meta.url), 'utf8'));

test('an old run file without training confusion still loads', () => {
  assert.equal(fixture.epochs[0].trainConfusion, undefined);
  const run = readTrainRunJson(fixture);
  assert.equal(run.epochs[0].trainConfusion, undefined);
});

function withConfusion(): { epochs: Record<string, unknown>[] } {
  const doc = structuredClone(fixture);
  const k = doc.epochs[0].test.confusion.length;
  const diag = Array.from({ length: k }, (_, i) => Array.from({ length: k }, (_, j) => (i === j ? 2 : 0)));
  for (const e of doc.epochs) e.trainConfusion = { noisy: structuredClone(diag), clean: structuredClone(diag) };
  return doc;
}

test('a run file with training confusion loads, and hostile tables are refused with one line', () => {
  const ok = readTrainRunJson(withConfusion());
  assert.equal(sum(ok.epochs[0].trainConfusion!.noisy), 2 * ok.epochs[0].test.confusion.length);
  const cases: [string, (t: { noisy: unknown[][]; clean: unknown[][] }) => void, RegExp][] = [
    ['a missing table', (t) => delete (t as Partial<typeof t>).clean, /trainConfusion: missing field clean/],
    ['a row too few', (t) => t.noisy.pop(), /trainConfusion\.noisy: \d+ rows, the run has \d+ classes/],
    ['a short row', (t) => t.clean[1].pop(), /trainConfusion\.clean\[1\]: \d+ entries, the run has \d+ classes/],
    ['a negative count', (t) => (t.noisy[0][1] = -1), /trainConfusion\.noisy\[0\]\[1\]: expected an integer/],
    ['a fraction', (t) => (t.clean[0][0] = 0.5), /trainConfusion\.clean\[0\]\[0\]: expected an integer/],
    ['a string', (t) => (t.clean[0][0] = '2'), /trainConfusion\.clean\[0\]\[0\]: expected an integer/],
    ['unequal totals', (t) => (t.noisy[0][0] = 3), /trainConfusion: the noisy table counts \d+ predictions, the clean one \d+/],
    ['10⁶ rows', (t) => (t.noisy = Array(1e6).fill([])), /trainConfusion\.noisy: at most 1000 entries/],
  ];
  for (const [name, spoil, why] of cases) {
    const doc = withConfusion();
    spoil(doc.epochs[0].trainConfusion as { noisy: unknown[][]; clean: unknown[][] });
    assert.throws(() => readTrainRunJson(doc), why, name);
  }
  // Above the cap a run keeps none: a file that claims one for 101 classes is not a run's.
  const big = TRAIN_CONFUSION_MAX_CLASSES + 1;
  const square = Array.from({ length: big }, () => new Array(big).fill(0));
  const e: Record<string, unknown> = { ...withConfusion().epochs[0], test: { accuracy: 0, perClassAccuracy: [], confusion: square } };
  e.trainConfusion = { noisy: square, clean: square };
  assert.throws(() => readEpochList([e], 'epochs'), /trainConfusion: kept for at most 100 classes, the run has 101/);
});

test('the confusion CSV: one row per epoch, table, label and prediction; epochs without tables skipped', () => {
  const e = (epoch: number, t?: EpochMetrics['trainConfusion']) => ({ epoch, trainConfusion: t }) as unknown as EpochMetrics;
  const csv = trainConfusionCsv(
    [
      e(1, {
        noisy: [
          [1, 2],
          [0, 3],
        ],
        clean: [
          [1, 0],
          [2, 3],
        ],
      }),
      e(2),
    ],
    ['a', 'b,c'],
  );
  const lines = csv.trimEnd().split('\r\n');
  assert.equal(lines[0], 'epoch,labels,label,predicted,count');
  assert.equal(lines.length, 1 + 2 * 4);
  assert.equal(lines[1], '1,noisy,a,a,1');
  assert.equal(lines[2], '1,noisy,a,"b,c",2');
  assert.equal(lines[7], '1,clean,"b,c",a,2');
});

test("the panel's table: the chosen labels' matrix, or why an epoch has none", () => {
  const m = [
    [3, 1],
    [0, 0],
  ];
  const e = (over: Partial<EpochMetrics>) => ({ test: { confusion: m }, ...over }) as unknown as EpochMetrics;
  const both = e({
    trainConfusion: {
      noisy: m,
      clean: [
        [4, 0],
        [0, 0],
      ],
    },
  });
  assert.deepEqual(confusionOf(both, 'noisy'), { matrix: m });
  assert.deepEqual(confusionOf(both, 'clean'), {
    matrix: [
      [4, 0],
      [0, 0],
    ],
  });
  assert.deepEqual(confusionOf(e({}), 'test'), { matrix: m });
  assert.match((confusionOf(e({}), 'clean') as { missing: string }).missing, /before the lab kept it/);
  const big = Array.from({ length: 101 }, () => new Array(101).fill(0));
  assert.match(
    (confusionOf(e({ test: { confusion: big } as EpochMetrics['test'] }), 'noisy') as { missing: string }).missing,
    /at most 100 classes; this run has 101/,
  );
  assert.deepEqual(rowShares(m), [
    [0.75, 0.25],
    [0, 0],
  ]);
  assert.equal(diagonalShare(m), 0.75);
  assert.equal(diagonalShare([[0]]), null);
});
