// Label files for a cached dataset of another format than RAF-DB (issue 25 item 3): a `name label`
// file (as `eac dataset labels` writes) added in the page to a stored dataset, measured against its
// clean labels, chosen for training and applied when the training worker loads it; hostile or
// clashing files refused in one line (fake-indexeddb).
//
//   node --import tsx --test tests/unit/dataset-label-files.test.ts
import 'fake-indexeddb/auto';
import { test, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { createStore } from 'idb-keyval';
import { addLabelFile, getCachedDatasetInfo, loadCachedDataset, storeDataset } from '../../src/storage/dataset-cache.ts';
import { configureDatasetCache } from '../../src/storage/datasets/idb-layout.ts';
import { labelFileText } from '../../src/data/label-files.ts';
import { withNoise } from '../../src/data/noise.ts';
import { MAX_LABEL_FILE_BYTES } from '../../src/data/folder.ts';
import type { Dataset, Split } from '../../src/engine/dataset.ts';
import type { RafDbReport } from '../../src/data/rafdb.ts';

let dbCount = 0;
beforeEach(() => {
  configureDatasetCache({ store: createStore(`eac-label-files-test-${++dbCount}`, 'datasets'), estimate: null, pixelFiles: null });
});

const CLASSES = ['cat', 'dog', 'fox'];
function split(prefix: string, n: number): Split {
  const labels = Int32Array.from({ length: n }, (_, i) => i % 3);
  return {
    names: Array.from({ length: n }, (_, i) => `${prefix}_${String(i).padStart(3, '0')}`),
    images: Uint8Array.from({ length: n * 2 * 2 * 3 }, (_, i) => i % 251),
    height: 2,
    width: 2,
    labels,
    cleanLabels: labels.slice(),
  };
}
const dataset: Dataset = { name: 'Pets', classes: CLASSES, train: split('train', 30), test: split('test', 6) };
const report: RafDbReport = {
  root: 'pets',
  train: 30,
  test: 6,
  classes: CLASSES,
  trainCounts: [10, 10, 10],
  testCounts: [2, 2, 2],
  missingImages: [],
  unreadableImages: [],
  unreadableReasons: {},
  resizedImages: [],
  badLines: [],
} as unknown as RafDbReport;

async function stored(): Promise<string> {
  const key = `pets-${dbCount}`;
  await storeDataset({ key, dataset, report, labelTexts: {}, source: 'pets' }, { chunkImages: 8 });
  return key;
}

test('a label file added to a cached dataset: measured, listed, and its labels trained on; the clean labels kept', async () => {
  const key = await stored();
  const noisy = withNoise(dataset, 'symmetric', 0.4, 7).dataset;
  const text = labelFileText(noisy.train);
  const info = await addLabelFile(key, 'pets-noise40.txt', text);
  const changed = noisy.train.labels.filter((l, i) => l !== dataset.train.cleanLabels[i]).length;
  assert.ok(changed > 5);
  assert.equal(info.noise?.changed, changed);
  assert.deepEqual(
    (await getCachedDatasetInfo(key))?.labelFiles.map((l) => l.file),
    ['pets-noise40.txt'],
  );
  const loaded = await loadCachedDataset(key, 'pets-noise40.txt');
  assert.deepEqual([...loaded.dataset.train.labels], [...noisy.train.labels], 'trained on the file’s labels');
  assert.deepEqual([...loaded.dataset.train.cleanLabels], [...dataset.train.cleanLabels], 'clean labels kept');
  assert.equal(loaded.noise?.changed, changed);
  assert.deepEqual([...(await loadCachedDataset(key, null)).dataset.train.labels], [...dataset.train.cleanLabels]);
  // Half a file: the images it does not list keep their clean label.
  const half = text.split('\n').slice(0, 15).join('\n');
  const partial = await addLabelFile(key, 'half.txt', half);
  assert.equal(partial.noise?.missing, 15);
});

test('a clashing, empty, oversized or foreign label file is refused in one line, and nothing is stored', async () => {
  const key = await stored();
  await addLabelFile(key, 'a.txt', 'train_000 2\n');
  const refused: [string, string, RegExp][] = [
    ['a.txt', 'train_001 3\n', /already has a label file named a\.txt: rename the new one/],
    ['b.txt', 'nobody 1\nsomeone 2\n', /labels none of the 30 training images of Pets .*line 1/],
    ['c.txt', 'train_000 4\n', /labels none of the 30 training images/],
    ['d.txt', 'test_000 1\n', /labels none of the 30 training images .*test row/],
    ['../e.txt', 'train_000 1\n', /name must be one line/],
    ['f\nx.txt', 'train_000 1\n', /name must be one line/],
    ['g.txt', 'x'.repeat(MAX_LABEL_FILE_BYTES + 1), /larger than a label file may be/],
  ];
  for (const [name, text, why] of refused) {
    const e = await addLabelFile(key, name, text).then(
      () => null,
      (err: Error) => err,
    );
    assert.ok(e, `${JSON.stringify(name)} accepted`);
    assert.match(e.message, why);
    assert.ok(!e.message.includes('\n'), e.message);
  }
  assert.deepEqual(
    (await getCachedDatasetInfo(key))?.labelFiles.map((l) => l.file),
    ['a.txt'],
  );
  await assert.rejects(addLabelFile('no-such-key', 'z.txt', 'train_000 1\n'), /not in the dataset cache/);
});
