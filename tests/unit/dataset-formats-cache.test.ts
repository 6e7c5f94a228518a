// The page's side of datasets beyond RAF-DB (issue 25): which dataset a dropped folder holds and its
// cache key (src/storage/datasets/format-listing.ts), the data panel's report of it, and the
// dataset cache keeping its classes (fake-indexeddb): stored, checked and loaded back.
//
//   node --import tsx --test tests/unit/dataset-formats-cache.test.ts
import 'fake-indexeddb/auto';
import { test, before, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'fflate';
import { createStore } from 'idb-keyval';
import { fileListFs, type RelativeFile } from '../../src/data/browser-folder.ts';
import { initJpegDecoderNode } from '../../src/data/jpeg-node.ts';
import { readArrayDataset } from '../../src/data/formats/read-array-dataset.ts';
import { readImageFolder } from '../../src/data/formats/image-folder.ts';
import { RafDbError } from '../../src/data/rafdb.ts';
import { getCachedDatasetInfo, listCachedDatasets, loadCachedDataset, storeDataset } from '../../src/storage/dataset-cache.ts';
import { configureDatasetCache } from '../../src/storage/datasets/idb-layout.ts';
import { datasetKey } from '../../src/storage/datasets/folder-key.ts';
import { imageFolderSizeProblem, locateDataset, reportOfFormat } from '../../src/storage/datasets/format-listing.ts';
import { datasetIndexProblem, datasetInfoProblem } from '../../src/storage/datasets/info-check.ts';
import { idxFile } from '../fixtures/idx-file.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const JPEGS = path.join(ROOT, 'tests/fixtures/rafdb/clean/RAF-DB/basic/Image/aligned');
const FASHION = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];

let dbCount = 0;
before(async () => {
  await initJpegDecoderNode();
});
beforeEach(() => {
  configureDatasetCache({ store: createStore(`eac-formats-test-${++dbCount}`, 'datasets'), estimate: null, pixelFiles: null });
});

/** A Fashion-MNIST-like folder: `train` and `test` images of 6×6, labels c mod 10, gzip or raw. */
function idxFolder(dir: string, train: number, test: number, gz = true): RelativeFile[] {
  const files: RelativeFile[] = [];
  const add = (name: string, bytes: Uint8Array) =>
    files.push({
      path: `${dir}/${name}${gz ? '.gz' : ''}`,
      file: new File([(gz ? gzipSync(bytes) : bytes) as Uint8Array<ArrayBuffer>], name),
    });
  for (const [prefix, n] of [
    ['train', train],
    ['t10k', test],
  ] as const) {
    const labels = Array.from({ length: n }, (_, i) => (i * 3) % 10);
    add(
      `${prefix}-images-idx3-ubyte`,
      idxFile(
        [n, 6, 6],
        Array.from({ length: n * 36 }, (_, i) => (i * 7) & 255),
      ),
    );
    add(`${prefix}-labels-idx1-ubyte`, idxFile([n], labels));
  }
  return files;
}

/** Class folders of the RAF-DB fixture's JPEGs: happy/ and sad/, no test split (20% held out). */
function classFolders(dir: string): RelativeFile[] {
  const names = readdirSync(JPEGS)
    .filter((n) => n.endsWith('.jpg'))
    .sort()
    .slice(0, 10);
  return names.map((n, i) => ({ path: `${dir}/${i % 2 ? 'sad' : 'happy'}/${n}`, file: new File([readFileSync(path.join(JPEGS, n))], n) }));
}

test('an IDX folder is found (dropped itself or its parent: the same key), keyed apart from RAF-DB, and one size changed → another key', async () => {
  const files = idxFolder('fashion-mnist', 20, 10);
  const here = await locateDataset(fileListFs(files));
  assert.equal(here.kind, 'array');
  if (here.kind !== 'array') return;
  assert.equal(here.format, 'idx');
  assert.equal(here.root, 'fashion-mnist');
  assert.deepEqual(
    here.entries.map((e) => e.path),
    ['t10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz', 'train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz'],
  );
  const parent = await locateDataset(fileListFs(files.map((f) => ({ ...f, path: `downloads/${f.path}` }))));
  assert.equal(parent.kind, 'array');
  if (parent.kind !== 'array') return;
  const key = await datasetKey(here.entries, here.format);
  assert.match(key, /^idx-[0-9a-f]{32}$/);
  assert.equal(await datasetKey(parent.entries, parent.format), key);
  assert.notEqual(await datasetKey(here.entries), key, 'the same files as RAF-DB would key apart');
  const bigger = files.map((f, i) => (i === 0 ? { ...f, file: new File([new Uint8Array(f.file.size + 1)], 'x') } : f));
  const changed = await locateDataset(fileListFs(bigger));
  assert.ok(changed.kind === 'array');
  assert.notEqual(await datasetKey(changed.entries, changed.format), key);
});

test('class folders are found; a folder of nothing known is one line naming the formats', async () => {
  const loc = await locateDataset(fileListFs(classFolders('faces')));
  assert.equal(loc.kind, 'image-folder');
  if (loc.kind === 'image-folder') assert.equal(loc.entries.length, 10);
  const junk = fileListFs([{ path: 'notes/readme.txt', file: new File(['hi'], 'readme.txt') }]);
  await assert.rejects(locateDataset(junk), (e: unknown) => {
    assert.ok(e instanceof RafDbError);
    assert.match(e.message, /EmoLabel/);
    assert.match(e.message, /nor IDX or CIFAR binary files, Tiny-ImageNet .*, FERPlus .* or class folders of JPEG\/PNG images$/);
    assert.doesNotMatch(e.message, /\n/);
    return true;
  });
});

test('reportOfFormat: counts per class in RAF-DB report shape; skipped class-folder files become unreadable items with their reason', () => {
  const r = reportOfFormat({
    format: 'image-folder',
    title: 'class folders x',
    root: 'x',
    classes: ['a', 'b'],
    trainCounts: [3, 4],
    testCounts: [1, 2],
    height: 112,
    width: 112,
    split: 'fraction',
    skipped: [
      { name: 'a/x.png', reason: 'not a JPEG (a PNG file)' },
      { name: 'b/y.txt', reason: 'not an image file name' },
    ],
    skippedCount: 5,
    seconds: 1,
  });
  assert.equal(r.train, 7);
  assert.equal(r.test, 3);
  assert.deepEqual(r.classes, ['a', 'b']);
  assert.deepEqual(r.unreadableImages, ['a/x.png', 'b/y.txt', '… and 3 more']);
  assert.equal(r.unreadableReasons['a/x.png'], 'not a JPEG (a PNG file)');
  assert.deepEqual(r.badLines, []);
});

test('an IDX dataset stored and loaded: its classes kept, no label files, pixels and labels byte-exact', async () => {
  const fs = fileListFs(idxFolder('fashion-mnist', 25, 12, false));
  const loc = await locateDataset(fs);
  assert.ok(loc.kind === 'array');
  const key = await datasetKey(loc.entries, loc.format);
  const read = await readArrayDataset(fs, loc.root);
  const info = await storeDataset(
    { key, dataset: read.dataset, report: reportOfFormat(read.report), labelTexts: {}, source: 'fashion-mnist' },
    { chunkImages: 8 },
  );
  assert.deepEqual(info.classes, FASHION);
  assert.deepEqual(info.labelFiles, []);
  assert.equal(info.cleanLabelFile, '');
  assert.equal(info.name, 'Fashion-MNIST (37 images)');
  assert.deepEqual([info.height, info.width], [6, 6]);
  assert.deepEqual(info.report.trainCounts, read.report.trainCounts);
  assert.deepEqual((await getCachedDatasetInfo(key))?.classes, FASHION);
  assert.equal((await listCachedDatasets()).length, 1);
  const { dataset, noise } = await loadCachedDataset(key, null);
  assert.equal(noise, null);
  assert.deepEqual(dataset.classes, FASHION);
  assert.equal(dataset.name, 'Fashion-MNIST');
  for (const s of ['train', 'test'] as const) {
    assert.deepEqual(dataset[s].images, read.dataset[s].images, `${s} pixels`);
    assert.deepEqual(dataset[s].cleanLabels, read.dataset[s].cleanLabels, `${s} labels`);
    assert.deepEqual(dataset[s].names, read.dataset[s].names);
  }
  await assert.rejects(
    storeDataset({ key, dataset: read.dataset, report: reportOfFormat(read.report), labelTexts: { 'x.txt': 'a 1' }, source: 's' }),
    /label files are kept for RAF-DB only/,
  );
});

test('class folders stored and loaded with their folder names as classes (112 px, 20% held out)', async () => {
  const fs = fileListFs(classFolders('faces'));
  const loc = await locateDataset(fs);
  assert.ok(loc.kind === 'image-folder');
  const read = await readImageFolder(fs, loc.root);
  const key = await datasetKey(loc.entries, 'folders');
  const info = await storeDataset({ key, dataset: read.dataset, report: reportOfFormat(read.report), labelTexts: {}, source: 'faces' });
  assert.deepEqual(info.classes, ['happy', 'sad']);
  assert.equal(info.train + info.test, 10);
  assert.equal(info.test, 2);
  const { dataset } = await loadCachedDataset(key, null);
  assert.deepEqual(dataset.classes, ['happy', 'sad']);
  assert.equal(dataset.train.height, 112);
});

test('info checks: classes must be 2..1000 distinct names; the index labels are checked against their count (absent: 7)', () => {
  const base = {
    key: 'idx-0',
    name: 'n',
    datasetName: 'n',
    source: 's',
    cleanLabelFile: '',
    createdAt: 1,
    bytes: 0,
    train: 1,
    test: 0,
    height: 2,
    width: 2,
    chunkImages: 10,
    chunks: { train: 1, test: 0 },
    labelFiles: [],
  };
  assert.equal(datasetInfoProblem(base), null, 'no classes: RAF-DB, as older records');
  assert.equal(datasetInfoProblem({ ...base, classes: FASHION }), null);
  assert.match(datasetInfoProblem({ ...base, classes: ['only'] }) ?? '', /^classes: 1 classes, expected 2 to 1000$/);
  assert.match(datasetInfoProblem({ ...base, classes: ['a', 'a'] }) ?? '', /named twice/);
  assert.match(datasetInfoProblem({ ...base, classes: 'abc' }) ?? '', /^classes: /);
  const index = (label: number) => ({
    trainNames: ['x'],
    testNames: [],
    trainClean: Int32Array.of(label),
    testClean: new Int32Array(0),
    labelTexts: {},
  });
  assert.equal(datasetIndexProblem(index(9), { train: 1, test: 0, numClasses: 10 }), null);
  assert.equal(datasetIndexProblem(index(9), { train: 1, test: 0, numClasses: 7 }), 'its train label 0 is 9, not a class in [0, 6]');
  assert.match(datasetIndexProblem(index(10), { train: 1, test: 0, numClasses: 10 }) ?? '', /not a class in \[0, 9\]/);
});

test('class folders too large for the cache are refused on their listing, in one line', () => {
  assert.equal(imageFolderSizeProblem(57_000), null);
  assert.equal(
    imageFolderSizeProblem(200_000),
    '200,000 image files at 112×112 px would need 7.5 GB, more than the dataset cache holds (57,065 images)',
  );
});
