// Datasets beyond RAF-DB: the IDX and CIFAR readers, class names carried from the files to the
// head, the run JSON and the checkpoint, balanced subsets, and noise for any class count.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'fflate';
import { setupBackend, type BackendName } from '../../src/cli/node-backends.ts';
import { memoryFs } from '../../src/data/folder.ts';
import { gunzipBounded } from '../../src/data/formats/gzip.ts';
import { idxImagesRgb, parseIdx } from '../../src/data/formats/idx.ts';
import { parseCifarBatch } from '../../src/data/formats/cifar.ts';
import { readArrayDataset } from '../../src/data/formats/read-array-dataset.ts';
import { balancedIndices } from '../../src/data/subset.ts';
import { asymmetricFlipMap, asymmetricNoise, withNoise } from '../../src/data/noise.ts';
import { classesOf, type Dataset } from '../../src/engine/dataset.ts';
import { describeResNet, withClassHead, listParams } from '../../src/engine/resnet-layout.ts';
import { createModel } from '../../src/engine/resnet.ts';
import { Rng } from '../../src/engine/rng.ts';
import { readEvalReport, readClasses } from '../../src/engine/run-check.ts';
import { readCheckpointState } from '../../src/engine/checkpoint-check.ts';
import { train } from '../../src/engine/trainer.ts';
import type { TrainCheckpoint } from '../../src/engine/checkpoint.ts';
import { defaultTrainConfig } from '../../src/engine/config.ts';
import { idxFile } from '../fixtures/idx-file.ts';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const EAC = new URL('../../bin/eac.js', import.meta.url).pathname;
const FASHION = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];

const backend = (process.env.EAC_TEST_BACKEND ?? 'cpu') as BackendName;
before(async () => {
  await setupBackend(backend);
});

test('IDX: raw and gzip parse alike; grey images become RGB', () => {
  const raw = idxFile([2, 2, 3], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  for (const file of [raw, gzipSync(raw)]) {
    const a = parseIdx(file, 1 << 20);
    assert.deepEqual(a.dims, [2, 2, 3]);
    const img = idxImagesRgb(a);
    assert.equal(img.count, 2);
    assert.deepEqual([...img.rgb.subarray(9, 12)], [3, 3, 3], 'pixel 3 copied to R, G and B');
  }
});

test('IDX: a header that lies, another type, or a bomb is refused in one line', () => {
  assert.throws(() => parseIdx(idxFile([2, 2, 3], [1, 2, 3]), 1 << 20), /claims 2×2×3 = 12 values, the file holds 3/);
  const floats = idxFile([1], [0]);
  floats[2] = 0x0d;
  assert.throws(() => parseIdx(floats, 1 << 20), /type 0xd, not unsigned bytes/);
  assert.throws(() => parseIdx(new Uint8Array([1, 2, 3, 4]), 1 << 20), /not an IDX file/);
  // 8 MiB of zeros gzip to ~8 kB: inflating is stopped at the cap.
  const bomb = gzipSync(new Uint8Array(8 << 20));
  assert.ok(bomb.length < 100_000);
  assert.throws(() => gunzipBounded(bomb, 1 << 20), /inflates to more than 1 MiB/);
  assert.throws(() => gunzipBounded(bomb.subarray(0, bomb.length - 20), 16 << 20), /gzip|ends early/);
});

test('CIFAR: planes become pixels; a torn batch or a foreign label is refused', () => {
  const rec = new Uint8Array(1 + 3072);
  rec[0] = 3;
  rec[1] = 10; // red of pixel 0
  rec[1 + 1024] = 20; // green of pixel 0
  rec[1 + 2048] = 30; // blue of pixel 0
  rec[1 + 1023] = 99; // red of the last pixel
  const b = parseCifarBatch(rec, 1, 10);
  assert.deepEqual([...b.labels], [3]);
  assert.deepEqual([...b.rgb.subarray(0, 3)], [10, 20, 30]);
  assert.equal(b.rgb[3 * 1023], 99);
  assert.throws(() => parseCifarBatch(rec.subarray(0, 100), 1, 10), /not a whole number of 3073-byte CIFAR records/);
  rec[0] = 12;
  assert.throws(() => parseCifarBatch(rec, 1, 10), /label 12, not a class in \[0, 9\]/);
});

function fashionFolder(train: number[], test: number[]): Map<string, Uint8Array> {
  const images = (n: number) =>
    idxFile(
      [n, 4, 4],
      Uint8Array.from({ length: n * 16 }, (_, i) => i % 251),
    );
  return new Map([
    ['data/fashion/train-images-idx3-ubyte.gz', gzipSync(images(train.length))],
    ['data/fashion/train-labels-idx1-ubyte.gz', gzipSync(idxFile([train.length], train))],
    ['data/fashion/t10k-images-idx3-ubyte', images(test.length)],
    ['data/fashion/t10k-labels-idx1-ubyte', idxFile([test.length], test)],
  ]);
}

test('a folder of IDX files (one level down) reads as a dataset with its classes', async () => {
  const { dataset, report } = await readArrayDataset(memoryFs(fashionFolder([0, 9, 9, 3], [1, 2])), 'data');
  assert.equal(report.format, 'idx');
  assert.equal(report.root, 'data/fashion');
  assert.equal(dataset.classes?.[0], 'T-shirt/top', 'Fashion-MNIST by its folder name');
  assert.equal(dataset.classes?.length, 10);
  assert.deepEqual(report.trainCounts, [1, 0, 0, 1, 0, 0, 0, 0, 0, 2]);
  assert.deepEqual([dataset.train.height, dataset.train.width, dataset.train.images.length], [4, 4, 4 * 16 * 3]);
  assert.ok(report.grayscale);
  const files = fashionFolder([0, 1], [1, 2]);
  files.set('data/fashion/t10k-labels-idx1-ubyte', idxFile([3], [1, 2, 3]));
  await assert.rejects(readArrayDataset(memoryFs(files), 'data'), /2 test images but 3 labels/);
});

test('balanced subsets take each class in turn, in file order', () => {
  const labels = Int32Array.from([0, 0, 0, 0, 1, 2, 2, 1]);
  assert.deepEqual([...balancedIndices(labels, 3, 4)], [0, 1, 4, 5]);
  assert.deepEqual([...balancedIndices(labels, 3, 6)], [0, 1, 4, 5, 6, 7]);
  assert.equal(balancedIndices(labels, 3, 100).length, 8);
});

test('noise for K classes: symmetric never keeps the class; asymmetric follows its map', () => {
  const names = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];
  const map = asymmetricFlipMap(names);
  assert.deepEqual(map, [0, 1, 0, 5, 7, 3, 6, 7, 8, 1]);
  assert.deepEqual(asymmetricFlipMap(['a', 'b', 'c']), [1, 2, 0]);
  const clean = Int32Array.from({ length: 200 }, (_, i) => i % 10);
  assert.deepEqual(
    [...asymmetricNoise(clean, 1, 0, map)],
    [...clean].map((c) => map[c]),
  );
  const ds: Dataset = {
    name: 't',
    classes: Array.from({ length: 12 }, (_, i) => `c${i}`),
    train: { names: [], images: new Uint8Array(), height: 1, width: 1, labels: clean, cleanLabels: clean },
    test: { names: [], images: new Uint8Array(), height: 1, width: 1, labels: clean, cleanLabels: clean },
  };
  const r = withNoise(
    { ...ds, train: { ...ds.train, cleanLabels: Int32Array.from({ length: 2000 }, (_, i) => i % 12) } },
    'symmetric',
    1,
    3,
  );
  assert.equal(r.report.changed, 2000, 'rate 1 moves every label');
  assert.equal(r.report.transition.length, 12);
  assert.ok(
    r.dataset.train.labels.some((l) => l === 11),
    'the last of 12 classes is reached',
  );
});

test('a head for another class count is drawn afresh; the backbone is kept', () => {
  const spec = describeResNet({ arch: 'resnet18', width: 2, numClasses: 7 });
  const values = new Map(listParams(spec).map((p) => [p.name, new Float32Array(p.shape.reduce((a, b) => a * b, 1)).fill(1)]));
  assert.equal(withClassHead(spec, values, 7, new Rng(0)).headRedrawn, false);
  const ten = withClassHead(spec, values, 10, new Rng(0));
  assert.equal(ten.spec.config.numClasses, 10);
  assert.equal(ten.values.get('fc.bias')!.length, 10);
  assert.equal(ten.values.get('conv1.weight'), values.get('conv1.weight'));
});

test("run files: metrics of more classes than RAF-DB's 7 read back; class lists are checked", () => {
  const k = 10;
  const r = readEvalReport(
    { accuracy: 0.5, perClassAccuracy: new Array(k).fill(0.5), confusion: Array.from({ length: k }, () => new Array(k).fill(1)) },
    'e',
  );
  assert.equal(r.confusion.length, k);
  assert.equal(r.perClassAccuracy.length, k);
  assert.equal(readClasses(undefined, 'c'), undefined);
  assert.throws(() => readClasses(['a', 'a'], 'c'), /"a" is named twice/);
  assert.throws(() => readClasses(['a'], 'c'), /1 classes, expected 2 to 1000/);
});

test('a 3-class dataset trains a 3-way head; run and checkpoint carry the classes; resume checks them', { timeout: 600_000 }, async () => {
  const classes = ['cat', 'dog', 'fish'];
  const n = 12;
  const split = (count: number) => {
    const labels = Int32Array.from({ length: count }, (_, i) => i % 3);
    const images = Uint8Array.from({ length: count * 32 * 32 * 3 }, (_, i) => (i * 37 + Math.floor(i / 3072) * 80) % 256);
    return {
      names: Array.from(labels, (_, i) => `s${i}`),
      images,
      height: 32,
      width: 32,
      labels,
      cleanLabels: new Int32Array(labels),
    };
  };
  const ds: Dataset = { name: 'three', classes, train: split(n), test: split(6) };
  const config = { ...defaultTrainConfig('resnet18'), width: 2, size: 32, batchSize: 6, epochs: 1, evalBatchSize: 6 };
  let ckpt: TrainCheckpoint | null = null;
  const result = await train(ds, config, {
    onCheckpoint: (c) => {
      ckpt = c;
    },
  });
  assert.deepEqual(result.classes, classes);
  assert.equal(result.epochs[0].test.perClassAccuracy.length, 3);
  assert.ok(ckpt);
  const c = ckpt as TrainCheckpoint;
  assert.deepEqual(c.classes, classes);
  assert.equal(c.values.get('fc.bias')!.length, 3);
  // The checkpoint reads back as untrusted data with its classes' head.
  assert.deepEqual(readCheckpointState(c).classes, classes);
  assert.throws(() => readCheckpointState({ ...c, classes: undefined }), /values\.fc\.weight: \d+ values, the model needs/);
  // Resuming on a dataset of other classes is refused; RAF-DB's default is not assumed.
  await assert.rejects(
    train({ ...ds, classes: ['a', 'b', 'c'] }, { ...config, epochs: 2 }, { resume: c }),
    /checkpoint's 3 classes are not the dataset's/,
  );
  // A model of another head size is refused rather than trained.
  await assert.rejects(
    train(ds, config, { model: createModel({ arch: 'resnet18', width: 2, numClasses: 7 }, new Rng(0)) }),
    /the model has 7 outputs, the dataset 3 classes/,
  );
  assert.deepEqual(classesOf({}).length, 7, 'no classes named: RAF-DB');
});

test('class folders: names from the folders, a seeded test share, other files skipped and named', async () => {
  const { readFileSync, readdirSync } = await import('node:fs');
  const { initJpegDecoderNode } = await import('../../src/data/jpeg-node.ts');
  const { readImageFolder, centreSquare } = await import('../../src/data/formats/image-folder.ts');
  await initJpegDecoderNode();
  const dir = 'tests/fixtures/rafdb/clean/RAF-DB/basic/Image/aligned';
  const jpegs = readdirSync(dir)
    .filter((f) => f.startsWith('train_'))
    .sort()
    .slice(0, 20);
  const files = new Map<string, Uint8Array>();
  jpegs.forEach((f, i) => files.set(`pics/${i % 2 ? 'smile' : 'frown'}/${f}`, readFileSync(`${dir}/${f}`)));
  files.set('pics/smile/notes.png', new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  files.set('pics/smile/readme.txt', new Uint8Array([1]));
  const a = await readImageFolder(memoryFs(files), 'pics', { side: 32, seed: 1 });
  assert.deepEqual(a.dataset.classes, ['frown', 'smile']);
  assert.equal(a.report.split, 'fraction');
  assert.deepEqual(a.report.testCounts, [2, 2], '20% of each class of 10 held out');
  assert.deepEqual(a.report.trainCounts, [8, 8]);
  assert.equal(a.dataset.train.images.length, 16 * 32 * 32 * 3);
  assert.equal(a.report.skippedCount, 2);
  assert.match(a.report.skipped.map((s) => `${s.name}: ${s.reason}`).join('\n'), /smile\/notes\.png: truncated PNG \(no IHDR\)/);
  const b = await readImageFolder(memoryFs(files), 'pics', { side: 32, seed: 1 });
  assert.deepEqual(b.dataset.test.names, a.dataset.test.names, 'the same seed holds out the same images');
  // train/ and val/ folders give the splits as they are.
  const split = new Map([...files].map(([k, v]) => [k.replace('pics/', k.includes('_0001') ? 'pics/val/' : 'pics/train/'), v]));
  const c = await readImageFolder(memoryFs(split), 'pics', { side: 32 });
  assert.equal(c.report.split, 'folders');
  assert.equal(c.dataset.test.names.length + c.dataset.train.names.length, 20);
  // The centre square: a 2×4 image keeps columns 1 and 2.
  const wide = Uint8Array.from({ length: 2 * 4 * 3 }, (_, i) => Math.floor(i / 3) % 4);
  assert.deepEqual(
    [...centreSquare(wide, 2, 4, 2)].filter((_, i) => i % 3 === 0),
    [1, 2, 1, 2],
  );
});

test('label files for any dataset: written as `name label`, read back as the same noisy labels', async () => {
  const { labelFileText, withLabelFile } = await import('../../src/data/label-files.ts');
  const clean = Int32Array.from({ length: 40 }, (_, i) => i % 10);
  const split = {
    names: Array.from(clean, (_, i) => `img_${i}`),
    images: new Uint8Array(),
    height: 1,
    width: 1,
    labels: clean,
    cleanLabels: clean,
  };
  const ds: Dataset = { name: 'ten', classes: Array.from({ length: 10 }, (_, i) => `c${i}`), train: split, test: split };
  const noisy = withNoise(ds, 'symmetric', 0.5, 7);
  const text = labelFileText(noisy.dataset.train);
  assert.match(text.split('\n')[9], /^img_9 \d+$/);
  assert.ok(text.includes(' 10\n'), 'class 10 of 10 is written as 10 (labels from 1)');
  const back = withLabelFile(ds, 'noisy.txt', `${text}img_99 3\nimg_1 11\n`);
  assert.deepEqual([...back.dataset.train.labels], [...noisy.dataset.train.labels]);
  assert.equal(back.noise.changed, noisy.report.changed);
  assert.deepEqual(
    back.badLines.map((b) => b.reason),
    ['name img_99 is not a clean training sample', 'label "11" is not an integer 1..10'],
  );
});

test('a 10-class dataset end to end in the CLI: eac train saves a 10-row head with its class names, eac eval loads it back', {
  timeout: 300_000,
}, () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'eac-10-classes-'));
  const data = path.join(dir, 'fashion');
  mkdirSync(data);
  // 40 + 20 images of 8×8, class c with a bright row 2 + c/2 (so the classes differ).
  for (const [prefix, n] of [
    ['train', 40],
    ['t10k', 20],
  ] as const) {
    const labels = Array.from({ length: n }, (_, i) => i % 10);
    const pixels = new Uint8Array(n * 64);
    labels.forEach((c, i) => pixels.fill(250, i * 64 + 8 * (c >> 1), i * 64 + 8 * (c >> 1) + 8));
    writeFileSync(path.join(data, `${prefix}-images-idx3-ubyte`), idxFile([n, 8, 8], pixels));
    writeFileSync(path.join(data, `${prefix}-labels-idx1-ubyte`), idxFile([n], labels));
  }
  const model = path.join(dir, 'model.safetensors');
  const common = ['--data', data, '--arch', 'resnet18', '--width', '2', '--size', '32', '--batch-size', '8', '--backend', 'cpu'];
  const run = spawnSync(
    process.execPath,
    [EAC, 'train', ...common, '--epochs', '1', '--save', model, '--out', path.join(dir, 'run.json')],
    {
      encoding: 'utf8',
    },
  );
  assert.equal(run.status, 0, run.stderr);
  const bytes = readFileSync(model);
  const header = JSON.parse(bytes.subarray(8, 8 + Number(bytes.readBigUInt64LE(0))).toString('utf8'));
  assert.deepEqual(header['fc.weight'].shape, [10, 16], 'the head has 10 outputs');
  assert.deepEqual(JSON.parse(header.__metadata__.classes), FASHION);
  const runJson = JSON.parse(readFileSync(path.join(dir, 'run.json'), 'utf8'));
  assert.deepEqual(runJson.classes, FASHION);
  assert.equal(runJson.epochs[0].test.perClassAccuracy.length, 10);
  const evaluated = spawnSync(
    process.execPath,
    [EAC, 'eval', '--data', data, '--size', '32', '--backend', 'cpu', '--weights', model, '--json'],
    { encoding: 'utf8' },
  );
  assert.equal(evaluated.status, 0, evaluated.stderr);
  const report = JSON.parse(evaluated.stdout);
  assert.deepEqual(report.classes, FASHION);
  assert.equal(report.perClassAccuracy.length, 10);
  assert.deepEqual([report.confusion.length, report.confusion[0].length], [10, 10]);
  rmSync(dir, { recursive: true, force: true });
});
