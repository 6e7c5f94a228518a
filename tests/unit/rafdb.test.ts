// Reading RAF-DB basic folders (src/data/rafdb.ts, labels.ts, jpeg.ts) on the fixtures of
// tools/fixtures/make-rafdb-fixture.ts (committed under tests/fixtures/rafdb/), and `eac dataset inspect`
// / `eac train --data` end to end.
//
//   node --import tsx --test tests/unit/rafdb.test.ts
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { initJpegDecoderNode } from '../../src/data/jpeg-node.ts';
import { decodeJpeg, decodeJpegRgba, JpegError } from '../../src/data/jpeg.ts';
import { parseLabelText, splitEntries } from '../../src/data/labels.ts';
import { memoryFs } from '../../src/data/folder.ts';
import { MAX_DISCOVERY_FOLDERS, RafDbError, readRafDb, resizeRgbPillow } from '../../src/data/rafdb.ts';
import { nodeFolderFs } from '../../src/cli/dataset.ts';
import { setupBackend } from '../../src/cli/node-backends.ts';
import { PillowResizer } from '../../src/engine/resize.ts';
import { tf } from '../../src/engine/tf.ts';
import { CLEAN, MESSY, makeRafDbFixtures } from '../../tools/fixtures/make-rafdb-fixture.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const FX = path.join(ROOT, 'tests/fixtures/rafdb');
const CLEAN_BASIC = path.join(FX, 'clean/RAF-DB/basic');
const MESSY_BASIC = path.join(FX, 'messy/basic');
const bin = path.join(ROOT, 'bin/eac.js');
const eac = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });

before(async () => {
  await initJpegDecoderNode();
});

test('label files: CRLF, BOM, blank lines, trailing spaces are fine; bad lines are skipped with reasons', () => {
  const text =
    '\uFEFFtrain_00001.jpg 5\r\ntrain_00002.jpg 1  \r\n\r\n  \ntest_0001.jpg 7\r\ntrain_00003.jpg 0\ntrain_00004.jpg 8\ntrain_00005.jpg x\ntrain_00006.jpg\ntrain_00007.jpg 2 3\ntrain_00001.jpg 2\nfoo.jpg 3\ntrain_00008.jpg\t4\n';
  const p = splitEntries(parseLabelText(text));
  assert.deepEqual(
    p.train.map((e) => [e.name, e.label]),
    [
      ['train_00001.jpg', 4],
      ['train_00002.jpg', 0],
      ['train_00008.jpg', 3],
    ],
  );
  assert.deepEqual(
    p.test.map((e) => [e.name, e.label]),
    [['test_0001.jpg', 6]],
  );
  assert.deepEqual(
    p.badLines.map((b) => [b.line, b.text, b.reason]),
    [
      [6, 'train_00003.jpg 0', 'label "0" is not an integer 1..7'],
      [7, 'train_00004.jpg 8', 'label "8" is not an integer 1..7'],
      [8, 'train_00005.jpg x', 'label "x" is not an integer 1..7'],
      [9, 'train_00006.jpg', 'expected 2 fields (name label), got 1'],
      [10, 'train_00007.jpg 2 3', 'expected 2 fields (name label), got 3'],
      [11, 'train_00001.jpg 2', 'duplicate name train_00001.jpg (first on line 1)'],
      [12, 'foo.jpg 3', 'name foo.jpg is neither train_… nor test_…'],
    ],
  );
});

test("the clean fixture reads fully from basic/, the RAF-DB folder or its parent; pixels are the decoder's", async () => {
  const label = readFileSync(path.join(CLEAN_BASIC, 'EmoLabel/list_patition_label.txt'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => l.split(' '));
  const results = [];
  for (const dir of [CLEAN_BASIC, path.dirname(CLEAN_BASIC), path.join(FX, 'clean')]) {
    const { dataset, report } = await readRafDb(nodeFolderFs, dir);
    assert.equal(report.root, CLEAN_BASIC, `from ${dir}`);
    results.push(dataset);
  }
  const ds = results[0];
  for (const other of results.slice(1)) assert.deepEqual(other, ds);
  const { train, test: tst } = ds;
  assert.equal(train.names.length, CLEAN.train);
  assert.equal(tst.names.length, CLEAN.test);
  assert.deepEqual(
    [...train.names, ...tst.names],
    label.map((l) => l[0]),
  );
  assert.deepEqual(
    [...train.labels, ...tst.labels],
    label.map((l) => Number(l[1]) - 1),
  );
  assert.deepEqual(train.cleanLabels, train.labels);
  assert.equal(train.height, 100);
  assert.equal(train.width, 100);
  assert.equal(train.images.length, CLEAN.train * 100 * 100 * 3);
  for (const [split, i] of [
    [train, 0],
    [train, CLEAN.train - 1],
    [tst, 5],
  ] as const) {
    const file = path.join(CLEAN_BASIC, 'Image/aligned', split.names[i].replace('.jpg', '_aligned.jpg'));
    const d = decodeJpeg(new Uint8Array(readFileSync(file)));
    assert.equal(d.width, 100);
    assert.ok(Buffer.from(split.images.subarray(i * 30000, (i + 1) * 30000)).equals(Buffer.from(d.rgb)), `${split.names[i]} pixels`);
  }
  // The same reader over an in-memory file system (what the browser's dropped files become).
  const files = new Map<string, Uint8Array>();
  const walk = (dir: string) => {
    for (const n of readdirSync(dir)) {
      const p = path.join(dir, n);
      if (statSync(p).isDirectory()) walk(p);
      else files.set(path.relative(FX, p), new Uint8Array(readFileSync(p)));
    }
  };
  walk(path.join(FX, 'clean'));
  const mem = await readRafDb(memoryFs(files), 'clean');
  assert.equal(mem.report.root, 'clean/RAF-DB/basic');
  assert.deepEqual(mem.dataset, ds);
});

test('the messy fixture: every defect is skipped and reported, the rest is kept', async () => {
  const { dataset, report } = await readRafDb(nodeFolderFs, MESSY_BASIC);
  assert.deepEqual(report.missingImages, MESSY.missing);
  assert.deepEqual(Object.keys(report.unreadableReasons), Object.keys(MESSY.unreadable));
  assert.deepEqual(report.unreadableImages, Object.keys(MESSY.unreadable));
  for (const [name, reason] of Object.entries(MESSY.unreadable))
    assert.ok(report.unreadableReasons[name].startsWith(reason), `${name}: ${report.unreadableReasons[name]}`);
  assert.deepEqual(report.resizedImages, MESSY.resized);
  assert.deepEqual(
    report.badLines.map((b) => [b.line, b.text, b.reason]),
    [
      [8, 'train_00101.jpg 0', 'label "0" is not an integer 1..7'],
      [9, 'train_00102.jpg 8', 'label "8" is not an integer 1..7'],
      [10, 'train_00103.jpg happy', 'label "happy" is not an integer 1..7'],
      [14, 'train_00104.jpg', 'expected 2 fields (name label), got 1'],
      [15, 'train_00105.jpg 3 extra', 'expected 2 fields (name label), got 3'],
      [16, 'train_00001.jpg 2', 'duplicate name train_00001.jpg (first on line 1)'],
      [17, 'val_0001.jpg 3', 'name val_0001.jpg is neither train_… nor test_…'],
    ],
  );
  assert.equal(report.unlabelledImages, 1); // train_09999; .DS_Store and Thumbs.db are not counted
  assert.deepEqual(report.unlabelledSample, ['train_09999_aligned.jpg'], 'the report names the file');
  const dropped = new Set([...MESSY.missing, ...Object.keys(MESSY.unreadable)]);
  const expectTrain = Array.from({ length: MESSY.trainNames }, (_, i) => `train_${String(i + 1).padStart(5, '0')}.jpg`).filter(
    (n) => !dropped.has(n),
  );
  const expectTest = Array.from({ length: MESSY.testNames }, (_, i) => `test_${String(i + 1).padStart(4, '0')}.jpg`).filter(
    (n) => !dropped.has(n),
  );
  assert.deepEqual(dataset.train.names, expectTrain);
  assert.deepEqual(dataset.test.names, expectTest);
  assert.equal(report.train, expectTrain.length);
  assert.equal(
    report.trainCounts.reduce((a, b) => a + b, 0),
    expectTrain.length,
  );
  assert.equal(dataset.train.labels[0], 3); // train_00001 keeps its first label (4 → 3), not the duplicate's (2)
  assert.equal(report.noise, null);

  // The 120×90 image, resized with Pillow's exact bilinear filter: the CPU resize equals the engine's.
  const i19 = dataset.train.names.indexOf('train_00019.jpg');
  const d = decodeJpeg(new Uint8Array(readFileSync(path.join(MESSY_BASIC, 'Image/aligned/train_00019_aligned.jpg'))));
  assert.deepEqual([d.width, d.height], [120, 90]);
  await setupBackend('cpu');
  const resizer = new PillowResizer();
  const x = tf.tensor4d(Float32Array.from(d.rgb), [1, 90, 120, 3]);
  const y = resizer.resize(x, 100, 100);
  const engine = Uint8Array.from(await y.data());
  tf.dispose([x, y]);
  resizer.dispose();
  assert.deepEqual(dataset.train.images.subarray(i19 * 30000, (i19 + 1) * 30000), engine);
  assert.deepEqual(resizeRgbPillow(d.rgb, 90, 120, 100, 100), engine);
  // Non-square and one-axis resizes agree with the engine too.
  for (const [h, w] of [
    [100, 77],
    [64, 100],
    [37, 23],
  ]) {
    const a = tf.tensor4d(Float32Array.from(d.rgb), [1, 90, 120, 3]);
    const r = new PillowResizer();
    const b = r.resize(a, h, w);
    assert.deepEqual(resizeRgbPillow(d.rgb, 90, 120, h, w), Uint8Array.from(await b.data()), `${h}×${w}`);
    tf.dispose([a, b]);
    r.dispose();
  }
});

test('a noisy training label file: measured against the clean labels; the test split stays clean', async () => {
  const clean = await readRafDb(nodeFolderFs, MESSY_BASIC);
  for (const spec of ['noise01', 'noise01.txt', path.join(MESSY_BASIC, 'EmoLabel/noise01.txt')]) {
    const { dataset, report } = await readRafDb(nodeFolderFs, path.join(FX, 'messy'), { labels: spec });
    assert.deepEqual(
      report.noise,
      { file: 'noise01.txt', changed: MESSY.noiseChanged.length, rate: MESSY.noiseChanged.length / MESSY.trainNames, missing: 0 },
      spec,
    );
    assert.deepEqual(dataset.train.cleanLabels, clean.dataset.train.labels);
    assert.deepEqual(dataset.test, clean.dataset.test);
    const changedNames = dataset.train.names.filter((_, i) => dataset.train.labels[i] !== dataset.train.cleanLabels[i]);
    const expected = MESSY.noiseChanged
      .map((i) => `train_${String(i).padStart(5, '0')}.jpg`)
      .filter((n) => dataset.train.names.includes(n));
    assert.deepEqual(changedNames, expected);
    assert.deepEqual(
      report.badLines.filter((b) => b.file === 'noise01.txt').map((b) => [b.line, b.reason]),
      [
        [25, 'a test row in a training label file (the test split always uses the clean labels)'],
        [26, 'label "9" is not an integer 1..7'],
      ],
    );
  }
  await assert.rejects(readRafDb(nodeFolderFs, MESSY_BASIC, { labels: 'noise09' }), /--labels noise09: no such label file .*noise01\.txt/);
});

test('folders without EmoLabel/ or Image/aligned/ or a label file give specific errors', async () => {
  await assert.rejects(
    readRafDb(nodeFolderFs, path.join(FX, 'no-emolabel')),
    (e: Error) => e instanceof RafDbError && /no EmoLabel\/ folder in or below/.test(e.message),
  );
  await assert.rejects(readRafDb(nodeFolderFs, path.join(FX, 'no-aligned')), /has EmoLabel\/ but no Image\/aligned\//);
  await assert.rejects(readRafDb(nodeFolderFs, path.join(FX, 'does-not-exist')), /is not a readable folder/);
  const mem = memoryFs(
    new Map([
      ['b/EmoLabel/readme.txt', new Uint8Array(1)],
      ['b/Image/aligned/x.jpg', new Uint8Array(1)],
    ]),
  );
  await assert.rejects(readRafDb(mem, 'b'), /has no list_patition_label\.txt .*readme\.txt/);
});

test('progress reports images/s and ETA; an AbortSignal cancels', async () => {
  const seen: number[] = [];
  await readRafDb(nodeFolderFs, CLEAN_BASIC, {
    onProgress: (p) => {
      seen.push(p.done);
      assert.ok(p.perSecond === null || p.perSecond >= 0);
      assert.ok(p.done <= p.total);
    },
  });
  assert.equal(seen.at(-1), CLEAN.train + CLEAN.test);
  const ac = new AbortController();
  await assert.rejects(
    readRafDb(nodeFolderFs, CLEAN_BASIC, { signal: ac.signal, onProgress: () => ac.abort() }),
    (e: Error) => e.name === 'AbortError',
  );
});

test('decodeJpeg rejects empty, truncated and non-JPEG bytes with a reason', () => {
  const jpg = new Uint8Array(readFileSync(path.join(FX, 'jpeg/face-420-100x100.jpg')));
  const reason = (b: Uint8Array) => {
    try {
      decodeJpeg(b);
      return 'decoded';
    } catch (e) {
      return e instanceof JpegError ? e.reason : `other: ${(e as Error).message}`;
    }
  };
  assert.equal(reason(new Uint8Array(0)), 'empty file');
  assert.equal(reason(jpg.subarray(0, jpg.length - 400)), 'truncated');
  assert.match(reason(jpg.subarray(0, 40)), /^(truncated|corrupt JPEG)/);
  assert.equal(reason(new TextEncoder().encode('hello')), 'not a JPEG (starts with 0x68 0x65 0x6c 0x6c)');
  assert.equal(reason(jpg), 'decoded'); // and the decoder still works after errors
});

test('the fixture script regenerates the committed fixtures byte for byte', async () => {
  const out = mkdtempSync(path.join(tmpdir(), 'eac-rafdb-'));
  await makeRafDbFixtures(out);
  const list = (dir: string): string[] =>
    readdirSync(dir, { recursive: true, encoding: 'utf8' })
      .filter((p) => statSync(path.join(dir, p)).isFile())
      .sort();
  assert.deepEqual(list(out), list(FX));
  for (const f of list(FX)) assert.ok(readFileSync(path.join(out, f)).equals(readFileSync(path.join(FX, f))), f);
});

test('eac dataset inspect --json on the clean and messy fixtures; errors exit non-zero with one line', () => {
  const c = eac('dataset', 'inspect', path.join(FX, 'clean'), '--json');
  assert.equal(c.status, 0, c.stderr);
  const clean = JSON.parse(c.stdout);
  assert.equal(clean.train, CLEAN.train);
  assert.equal(clean.test, CLEAN.test);
  assert.deepEqual(clean.classes, ['Surprise', 'Fear', 'Disgust', 'Happiness', 'Sadness', 'Anger', 'Neutral']);
  assert.deepEqual(clean.trainCounts, [4, 4, 4, 4, 4, 4, 4]);
  assert.deepEqual(clean.testCounts, [2, 2, 2, 2, 2, 2, 2]);
  assert.deepEqual([clean.missingImages, clean.unreadableImages, clean.badLines, clean.noise], [[], [], [], null]);
  assert.match(c.stderr, /28 train \/ 14 test images/);

  const m = eac('dataset', 'inspect', MESSY_BASIC, '--labels', 'noise01.txt', '--json');
  assert.equal(m.status, 0, m.stderr);
  const messy = JSON.parse(m.stdout);
  assert.deepEqual(messy.missingImages, MESSY.missing);
  assert.deepEqual(messy.unreadableImages, Object.keys(MESSY.unreadable));
  assert.equal(messy.badLines.length, 9);
  for (const b of messy.badLines) assert.deepEqual(Object.keys(b).sort(), ['file', 'line', 'reason', 'text']);
  assert.deepEqual(messy.noise, { file: 'noise01.txt', changed: 6, rate: 0.25, missing: 0 });
  assert.equal(typeof messy.train, 'number');
  assert.match(m.stderr, /skipped 4 unreadable images/);

  for (const [args, re] of [
    [['dataset', 'inspect', path.join(FX, 'no-emolabel')], /no EmoLabel\/ folder/],
    [['dataset', 'inspect', path.join(FX, 'no-aligned')], /no Image\/aligned\//],
    [['dataset', 'inspect'], /give the RAF-DB folder/],
    [['dataset', 'inspect', path.join(FX, 'clean'), '--labels', 'noise07'], /--labels noise07: no such label file/],
    [['dataset', 'frobnicate'], /unknown dataset command/],
  ] as const) {
    const r = eac(...args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, re);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
});

test('eac train --data <fixture> runs (and --labels with a noisy file)', () => {
  const r = eac(
    'train',
    '--data',
    path.join(FX, 'clean'),
    '--arch',
    'resnet18',
    '--width',
    '2',
    '--size',
    '32',
    '--epochs',
    '1',
    '--batch-size',
    '8',
    '--backend',
    'cpu',
    '--json',
  );
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.data.kind, 'raf-db');
  assert.equal(out.data.train, CLEAN.train);
  assert.equal(out.data.test, CLEAN.test);
  assert.equal(out.epochs.length, 1);
  const n = eac(
    'train',
    '--data',
    MESSY_BASIC,
    '--labels',
    'noise01',
    '--arch',
    'resnet18',
    '--width',
    '2',
    '--size',
    '32',
    '--epochs',
    '1',
    '--max-steps',
    '1',
    '--batch-size',
    '8',
    '--backend',
    'cpu',
    '--json',
  );
  assert.equal(n.status, 0, n.stderr);
  const noisy = JSON.parse(n.stdout);
  assert.equal(noisy.data.labels, 'noise01.txt');
  assert.equal(noisy.data.labelNoise.changed, 6);
  const bad = eac('train', '--data', path.join(FX, 'no-aligned'), '--backend', 'cpu');
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /^eac train: error: --data: .*no Image\/aligned\//);
});

test('decodeJpegRgba: a view into the decoder heap, no copy (valid until the next decode); the globals are left as they were', () => {
  const bytes = new Uint8Array(readFileSync(path.join(CLEAN_BASIC, 'Image/aligned/train_00001_aligned.jpg')));
  const first = decodeJpegRgba(bytes);
  assert.equal(first.rgba.length, 100 * 100 * 4);
  assert.ok(first.rgba.buffer.byteLength > first.rgba.length, 'the RGBA is a view of the WebAssembly heap, not a copy');
  const rgba = Uint8Array.from(first.rgba);
  assert.equal(globalThis.Uint8ClampedArray.name, 'Uint8ClampedArray');
  assert.ok(new Uint8ClampedArray([300])[0] === 255, 'Uint8ClampedArray is the real one again');
  // decodeJpeg copies the same pixels out as RGB.
  const { rgb } = decodeJpeg(bytes);
  for (let p = 0; p < 100 * 100; p++) {
    assert.equal(rgb[3 * p], rgba[4 * p]);
    assert.equal(rgb[3 * p + 2], rgba[4 * p + 2]);
  }
});

test('looking for RAF-DB below a folder of thousands of subfolders gives up after a bounded number, saying so', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'eac-many-'));
  for (let i = 0; i < MAX_DISCOVERY_FOLDERS + 500; i++) mkdirSync(path.join(dir, `d${i}`));
  await assert.rejects(
    readRafDb(nodeFolderFs, dir),
    (e: unknown) => e instanceof RafDbError && /looked in 2000 folders below .* without finding RAF-DB's EmoLabel\//.test(e.message),
  );
});
