// The readers added for issue 25 item 2 and the one detector (src/data/formats/detect.ts): PNG
// images in class folders, Tiny-ImageNet, FERPlus, AffectNet; on small real-format fixtures written on the
// fly (tests/fixtures/dataset-fixtures.ts) and on hostile variants of each.
//
//   EAC_TEST_BACKEND=cpu node --import tsx --test tests/unit/dataset-readers.test.ts
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
  mkdirSync,
  unlinkSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { zlibSync } from 'fflate';
import { nodeFolderFsWithin } from '../../src/cli/node-folder-fs.ts';
import { fileListFs, type RelativeFile } from '../../src/data/browser-folder.ts';
import { memoryFs, type FolderFs } from '../../src/data/folder.ts';
import { initJpegDecoderNode } from '../../src/data/jpeg-node.ts';
import { decodePngRgb, PngError } from '../../src/data/png.ts';
import { detectDataset } from '../../src/data/formats/detect.ts';
import { csvRows } from '../../src/data/formats/csv.ts';
import { majorityLabel, readFerPlus } from '../../src/data/formats/ferplus.ts';
import { readImageFolder } from '../../src/data/formats/image-folder.ts';
import { readTinyImageNet } from '../../src/data/formats/tiny-imagenet.ts';
import { DatasetFormatError } from '../../src/data/formats/read-array-dataset.ts';
import { locateDataset, reportOfFormat } from '../../src/storage/datasets/format-listing.ts';
import { datasetCommand } from '../../src/cli/dataset.ts';
import { readAffectNet } from '../../src/data/formats/affectnet.ts';
import { readFormat } from '../../src/data/formats/read-dataset.ts';
import {
  affectNetRows,
  ferPlusCsvs,
  ferPlusRows,
  pngOf,
  writeAffectNet,
  writeFerPlus,
  writePngFolders,
  writeTinyImageNet,
  type PngKind,
} from '../fixtures/dataset-fixtures.ts';

let tmp: string;
before(async () => {
  await initJpegDecoderNode();
  tmp = mkdtempSync(path.join(os.tmpdir(), 'eac-readers-'));
});
after(() => rmSync(tmp, { recursive: true, force: true }));

const dirIn = (name: string) => {
  const d = path.join(tmp, name);
  mkdirSync(d, { recursive: true });
  return d;
};

/** Every file under `root` as the page gets it (Files with relative paths below a virtual root). */
function pageFiles(root: string, prefix: string): RelativeFile[] {
  const out: RelativeFile[] = [];
  const walk = (d: string, rel: string) => {
    for (const n of readdirSync(d)) {
      const p = path.join(d, n);
      if (statSync(p).isDirectory()) walk(p, `${rel}/${n}`);
      else out.push({ path: `${rel}/${n}`, file: new File([readFileSync(p)], n) });
    }
  };
  walk(root, prefix);
  return out;
}

// ---------------------------------------------------------------- detector

test('one detector: the CLI (Node folder) and the page (dropped files, one level up) find the same format and root', async () => {
  const base = dirIn('detect');
  await writeTinyImageNet(path.join(base, 'tiny'), { perClass: 1, valPerClass: 1 });
  writeFerPlus(path.join(base, 'fer'), ferPlusRows(10));
  await writePngFolders(path.join(base, 'png'));
  await writeAffectNet(path.join(base, 'affect'), affectNetRows(8, 't'), affectNetRows(8, 'v'));
  for (const [sub, format] of [
    ['tiny', 'tiny-imagenet'],
    ['fer', 'ferplus'],
    ['png', 'image-folder'],
    ['affect', 'affectnet'],
  ] as const) {
    const dir = path.join(base, sub);
    const cli = await detectDataset(nodeFolderFsWithin(dir), dir);
    assert.ok(cli.found && cli.format === format && cli.root === dir, `${sub}: ${JSON.stringify(cli)}`);
    // The page's virtual root holds the dropped parent folder: the dataset is two levels down.
    const page = await detectDataset(fileListFs(pageFiles(dir, `downloads/${sub}`)), '');
    assert.ok(page.found && page.format === format && page.root === `downloads/${sub}`, `${sub} on the page: ${JSON.stringify(page)}`);
    const loc = await locateDataset(fileListFs(pageFiles(dir, sub)));
    assert.equal(loc.kind, format);
  }
  // The page reads FERPlus's CSVs in slices of its Files (FolderFs.stream), as the CLI reads them.
  const fs = fileListFs(pageFiles(path.join(base, 'fer'), 'fer'));
  let slices = 0;
  const counted = { ...fs, stream: (p: string, max: number, chunk: number) => (slices++, fs.stream!(p, max, chunk)) };
  const page = await readFormat(counted, 'ferplus', 'fer');
  const cli = await readFormat(nodeFolderFsWithin(path.join(base, 'fer')), 'ferplus', path.join(base, 'fer'));
  assert.equal(slices, 2);
  assert.deepEqual(page.report.trainCounts, cli.report.trainCounts);
  assert.deepEqual(page.dataset.train.images, cli.dataset.train.images);
});

const FASHION_DIR = '/usr/share/datasets/fashion-mnist';

test("Debian's Fashion-MNIST: the detector finds IDX, the one reader reads all 70,000 images", {
  skip: !existsSync(FASHION_DIR) && `no ${FASHION_DIR}`,
}, async () => {
  const found = await detectDataset(nodeFolderFsWithin(FASHION_DIR), FASHION_DIR);
  assert.ok(found.found && found.format === 'idx' && found.root === FASHION_DIR, JSON.stringify(found));
  const { dataset, report } = await readFormat(nodeFolderFsWithin(FASHION_DIR), 'idx', FASHION_DIR);
  assert.equal(dataset.classes?.[9], 'Ankle boot');
  assert.deepEqual(report.trainCounts, new Array(10).fill(6000));
  assert.deepEqual(report.testCounts, new Array(10).fill(1000));
});

test('nothing known: one line naming the formats and the near miss (fer2013.csv without its votes)', async () => {
  const d = dirIn('near-miss');
  writeFileSync(path.join(d, 'fer2013.csv'), 'emotion,pixels,Usage\n');
  const r = await detectDataset(nodeFolderFsWithin(d), d);
  assert.equal(r.found, false);
  if (r.found) return;
  assert.match(r.reason, /no EmoLabel\/ folder/);
  assert.match(r.reason, /Tiny-ImageNet \(wnids\.txt \+ train\/\), FERPlus/);
  assert.match(r.reason, /fer2013\.csv without FER\+'s fer2013new\.csv/);
  assert.doesNotMatch(r.reason, /\n/);
});

// ---------------------------------------------------------------- PNG

test('PNG: every colour type and depth becomes the right RGB', () => {
  for (const kind of ['rgb', 'rgba', 'grey', 'grey-alpha', 'palette', 'rgb16', 'grey1'] as PngKind[]) {
    const { bytes, pixel0 } = pngOf(kind, 21, 13, 3);
    const img = decodePngRgb(bytes);
    assert.deepEqual([img.width, img.height, img.rgb.length], [21, 13, 21 * 13 * 3], kind);
    assert.deepEqual([...img.rgb.subarray(0, 3)], pixel0, `${kind}: first pixel`);
  }
});

/** Recomputes a chunk's CRC-free PNG: fast-png is told not to check CRCs, so patched headers stay parseable. */
function patchIhdr(png: Uint8Array, width: number, height: number): Uint8Array {
  const out = png.slice();
  const v = new DataView(out.buffer);
  v.setUint32(16, width);
  v.setUint32(20, height);
  return out;
}

/** A PNG of `w`×`h` grey whose IDAT is `raw` zlib-compressed (any length: a liar or a bomb). */
function pngWithIdat(w: number, h: number, raw: Uint8Array): Uint8Array {
  const idat = zlibSync(raw, { level: 9 });
  const chunk = (type: string, data: Uint8Array) => {
    const c = new Uint8Array(12 + data.length);
    new DataView(c.buffer).setUint32(0, data.length);
    c.set(
      [...type].map((ch) => ch.charCodeAt(0)),
      4,
    );
    c.set(data, 8);
    return c;
  };
  const ihdr = new Uint8Array(13);
  new DataView(ihdr.buffer).setUint32(0, w);
  new DataView(ihdr.buffer).setUint32(4, h);
  ihdr.set([8, 0, 0, 0, 0], 8);
  const parts = [
    new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', idat),
    chunk('IEND', new Uint8Array()),
  ];
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

test('PNG hostile: huge declared sides refused from IHDR; a lying IHDR, a zlib bomb, truncation, each one reason', () => {
  const { bytes } = pngOf('rgb', 8, 8, 1);
  const reason = (b: Uint8Array) => {
    try {
      decodePngRgb(b);
    } catch (e) {
      assert.ok(e instanceof PngError, String(e));
      return e.reason;
    }
    return 'decoded';
  };
  assert.match(reason(patchIhdr(bytes, 100_000, 100_000)), /too large: 100000×100000 pixels/);
  assert.match(reason(patchIhdr(bytes, 4097, 8)), /too large/);
  assert.match(reason(patchIhdr(bytes, 0, 8)), /header says 0×8/);
  // IHDR says 2×2, the data holds 8×8 rows: it inflates past what the header declares.
  assert.match(reason(patchIhdr(bytes, 2, 2)), /inflates past the \d+ bytes its header declares/);
  // 16×16 declared, 64 MiB of zeros inside (a ~65 kB file).
  const bomb = pngWithIdat(16, 16, new Uint8Array(64 << 20));
  assert.ok(bomb.length < 200_000);
  assert.match(reason(bomb), /inflates past the 272 bytes/);
  // Fewer rows than declared.
  assert.match(reason(pngWithIdat(16, 16, new Uint8Array(17 * 3))), /corrupt PNG|truncated/);
  assert.match(reason(bytes.subarray(0, 40)), /truncated PNG/);
  assert.match(reason(bytes.subarray(0, 20)), /truncated PNG \(no IHDR\)/);
});

test('class folders of PNGs (every colour type) and a JPEG are read; a damaged PNG is skipped with its reason', async () => {
  const d = dirIn('png-folders');
  await writePngFolders(d);
  const { bytes } = pngOf('rgb', 8, 8, 1);
  writeFileSync(path.join(d, 'train/cat/huge.png'), patchIhdr(bytes, 50_000, 50_000));
  writeFileSync(path.join(d, 'train/dog/torn.png'), bytes.subarray(0, 40));
  const { dataset, report } = await readImageFolder(nodeFolderFsWithin(d), d, { side: 16 });
  assert.deepEqual(report.classes, ['cat', 'dog']);
  assert.deepEqual(report.trainCounts, [8, 8]);
  assert.deepEqual(report.testCounts, [8, 8]);
  assert.equal(dataset.train.images.length, 16 * 16 * 16 * 3);
  const why = Object.fromEntries(report.skipped.map((s) => [s.name, s.reason]));
  assert.match(why['train/cat/huge.png'], /too large: 50000×50000/);
  assert.match(why['train/dog/torn.png'], /truncated PNG/);
});

// ---------------------------------------------------------------- Tiny-ImageNet

test('Tiny-ImageNet: classes are the sorted wnids named by words.txt; train/ is train, val/ is test', async () => {
  const d = dirIn('tiny-ok');
  await writeTinyImageNet(d, { wnids: ['n02', 'n01', 'n03'], perClass: 3, valPerClass: 2 });
  const { dataset, report } = await readTinyImageNet(nodeFolderFsWithin(d), d);
  assert.deepEqual(report.wnids, ['n01', 'n02', 'n03']);
  assert.deepEqual(dataset.classes, ['class b1', 'class a0', 'class c2']);
  assert.deepEqual(report.trainCounts, [3, 3, 3]);
  assert.deepEqual(report.testCounts, [2, 2, 2]);
  assert.deepEqual([dataset.train.height, dataset.train.width], [64, 64]);
  assert.equal(dataset.test.names[0], 'val/images/val_0.JPEG');
  assert.equal(report.skippedCount, 0);
  // The page's report: per class and split, nothing skipped.
  const page = reportOfFormat(report);
  assert.deepEqual([page.train, page.test], [9, 6]);
});

test('Tiny-ImageNet hostile: unknown wnids, bad val lines, a link out, a lying wnids.txt', async () => {
  const d = dirIn('tiny-bad');
  await writeTinyImageNet(d, { wnids: ['n01', 'n02'], perClass: 2, valPerClass: 1, words: false });
  mkdirSync(path.join(d, 'train/n99/images'), { recursive: true });
  writeFileSync(path.join(d, 'train/n99/images/x.JPEG'), readFileSync(path.join(d, 'train/n01/images/n01_0.JPEG')));
  const ann = readFileSync(path.join(d, 'val/val_annotations.txt'), 'utf8');
  writeFileSync(path.join(d, 'val/val_annotations.txt'), `${ann}val_0.JPEG\tn77\t0\t0\t1\t1\n../../etc/passwd\tn01\n\nmissing.JPEG\tn01\n`);
  unlinkSync(path.join(d, 'train/n02/images/n02_1.JPEG'));
  symlinkSync('/etc/passwd', path.join(d, 'train/n02/images/n02_1.JPEG'));
  const { report, dataset } = await readTinyImageNet(nodeFolderFsWithin(d), d);
  const why = Object.fromEntries(report.skipped.map((s) => [s.name, s.reason]));
  assert.match(why['train/n99/'], /not in wnids\.txt/);
  assert.match(why['val/images/val_0.JPEG'], /wnid "n77" is not in wnids\.txt/);
  assert.match(why['val/val_annotations.txt:4'], /not `file<TAB>wnid<TAB>box`/);
  assert.match(why['train/n02/images/n02_1.JPEG'], /a link leading outside the folder/);
  assert.equal(why['val/images/missing.JPEG'], 'no such file');
  assert.deepEqual(report.trainCounts, [2, 1]);
  assert.deepEqual(report.testCounts, [1, 1]);
  assert.deepEqual(dataset.classes, ['n01', 'n02'], 'no words.txt: named by wnid');
  assert.match(report.notes.join(' '), /no words\.txt/);

  writeFileSync(path.join(d, 'wnids.txt'), 'n01\nn02\nn01\n');
  await assert.rejects(readTinyImageNet(nodeFolderFsWithin(d), d), /n01 is listed twice/);
  writeFileSync(path.join(d, 'wnids.txt'), 'n01\n../../x\n');
  await assert.rejects(readTinyImageNet(nodeFolderFsWithin(d), d), /line 2 is not a wnid/);
  writeFileSync(path.join(d, 'wnids.txt'), 'n\n'.repeat(600_000));
  await assert.rejects(
    readTinyImageNet(nodeFolderFsWithin(d), d),
    (e: unknown) => e instanceof DatasetFormatError && /too large/.test(e.message),
  );
  unlinkSync(path.join(d, 'wnids.txt'));
  symlinkSync('/etc/hostname', path.join(d, 'wnids.txt'));
  await assert.rejects(readTinyImageNet(nodeFolderFsWithin(d), d), /wnids\.txt: a link leading outside the folder/);
});

// ---------------------------------------------------------------- FERPlus

test("FERPlus majority rule (the FER+ repository's): single votes dropped, more than half wins, unknown/NF dropped", () => {
  assert.equal(majorityLabel([0, 10, 0, 0, 0, 0, 0, 0, 0, 0]), 1);
  assert.equal(majorityLabel([4, 6, 0, 0, 0, 0, 0, 0, 0, 0]), 1);
  assert.equal(majorityLabel([5, 5, 0, 0, 0, 0, 0, 0, 0, 0]), -1, 'a tie is no majority');
  assert.equal(majorityLabel([3, 2, 1, 1, 1, 1, 1, 0, 0, 0]), 0, 'votes of 1 are outliers: 3 of 5 left');
  assert.equal(majorityLabel([0, 0, 0, 0, 0, 0, 0, 0, 7, 3]), 8, 'unknown');
  assert.equal(majorityLabel([1, 1, 1, 1, 1, 1, 1, 1, 1, 1]), -1, 'all outliers');
});

test('FERPlus: 8 classes by default, 7 drops contempt; Training is train, PublicTest is test, PrivateTest not read', async () => {
  const d = dirIn('fer-ok');
  const rows = ferPlusRows(40);
  rows.push({ usage: 'PrivateTest', votes: [10, 0, 0, 0, 0, 0, 0, 0, 0, 0] });
  rows.push({ usage: 'Training', votes: [0, 0, 0, 0, 0, 0, 0, 0, 9, 1] });
  rows.push({ usage: 'Training', votes: [0, 0, 0, 0, 0, 0, 0, 0, 0, 10] });
  rows.push({ usage: 'Training', votes: [10, 0, 0, 0, 0, 0, 0, 0, 0, 0], name: '' });
  writeFerPlus(d, rows);
  const eight = await readFerPlus(nodeFolderFsWithin(d), d);
  assert.equal(eight.dataset.classes?.length, 8);
  assert.deepEqual(eight.report.trainCounts, [4, 4, 4, 4, 4, 4, 4, 4]);
  assert.deepEqual(eight.report.testCounts, [1, 1, 1, 1, 1, 1, 1, 1]);
  assert.match(eight.report.notes.join('\n'), /1 PrivateTest rows not read/);
  assert.match(eight.report.notes.join('\n'), /1 unknown, 1 not a face, 0 without a majority, 1 without an image name/);
  // Row 0 (votes: neutral 8, happiness 2), pixel p = p mod 256, grey copied to RGB.
  assert.equal(eight.dataset.train.names[0], 'fer0000000.png');
  assert.deepEqual([...eight.dataset.train.images.subarray(0, 6)], [0, 0, 0, 1, 1, 1]);
  const seven = await readFerPlus(nodeFolderFsWithin(d), d, { classes: 7 });
  assert.equal(seven.dataset.classes?.length, 7);
  assert.ok(!seven.dataset.classes?.includes('Contempt'));
  assert.deepEqual(seven.report.trainCounts, [4, 4, 4, 4, 4, 4, 4]);
  assert.match(seven.report.notes.join('\n'), /5 contempt/, '4 train + 1 test');
});

test('FERPlus hostile: votes or pixels that do not parse are skipped; wrong headers, lying counts, links out are one line', async () => {
  const d = dirIn('fer-bad');
  const rows = ferPlusRows(10);
  rows[1].votes = [10, 'x', 0, 0, 0, 0, 0, 0, 0, 0];
  rows[2].votes = [10, 0, 0];
  rows[3].pixels = '1 2 3';
  rows[5].pixels = Array.from({ length: 2304 }, (_, i) => (i === 7 ? '999' : '1')).join(' ');
  writeFerPlus(d, rows);
  const { report } = await readFerPlus(nodeFolderFsWithin(d), d);
  const why = Object.fromEntries(report.skipped.map((s) => [s.name, s.reason]));
  assert.match(why['fer2013new.csv:3'], /happiness votes "x" are not a count/);
  assert.match(why['fer2013new.csv:4'], /5 fields, not 12/);
  assert.match(why['fer2013.csv:5'], /3 pixel values, not 2304/);
  assert.match(why['fer2013.csv:7'], /pixel 8 is "999", not 0-255/);
  assert.equal(report.trainCounts.reduce((a, b) => a + b, 0) + report.testCounts.reduce((a, b) => a + b, 0), 6);

  // fer2013new.csv claims more rows than fer2013.csv holds.
  const { old, votes } = ferPlusCsvs(ferPlusRows(6));
  writeFileSync(path.join(d, 'fer2013.csv'), old.split('\n').slice(0, 4).join('\n') + '\n');
  writeFileSync(path.join(d, 'fer2013new.csv'), votes);
  const short = await readFerPlus(nodeFolderFsWithin(d), d);
  assert.match(short.report.skipped.map((s) => s.reason).join(' '), /rows of fer2013new\.csv have no row of pixels/);

  writeFileSync(path.join(d, 'fer2013.csv'), 'a,b,c\n1,2,3\n');
  await assert.rejects(readFerPlus(nodeFolderFsWithin(d), d), /fer2013\.csv: its header is not FER2013's/);
  writeFileSync(path.join(d, 'fer2013new.csv'), 'x\n');
  await assert.rejects(readFerPlus(nodeFolderFsWithin(d), d), /fer2013new\.csv: its header is not FER\+'s/);
  // A CSV of 10^6 columns: refused on its first line, by the reader the CLI uses (Node, streamed).
  writeFileSync(path.join(d, 'fer2013new.csv'), 'Usage' + ',0'.repeat(1_000_000) + '\n');
  await assert.rejects(readFerPlus(nodeFolderFsWithin(d), d), (e: unknown) => {
    assert.ok(e instanceof DatasetFormatError);
    assert.match(e.message, /fer2013new\.csv:1: a line longer than 65536 bytes/);
    return true;
  });
  writeFileSync(path.join(d, 'fer2013new.csv'), 'Usage' + ',0'.repeat(100) + '\n');
  await assert.rejects(readFerPlus(nodeFolderFsWithin(d), d), /fer2013new\.csv:1: more than 64 fields/);
  unlinkSync(path.join(d, 'fer2013new.csv'));
  symlinkSync('/etc/hostname', path.join(d, 'fer2013new.csv'));
  await assert.rejects(readFerPlus(nodeFolderFsWithin(d), d), /fer2013new\.csv: a link leading outside the folder/);
});

test('a 100 MB line is refused after reading about 64 kB of it (bounded memory), on a streamed and a whole-file folder', async () => {
  let pulled = 0;
  const chunk = new Uint8Array(1 << 16).fill(0x30);
  const streamed: FolderFs = {
    list: async () => ['fer2013.csv', 'fer2013new.csv'],
    read: async () => {
      throw new Error('read whole: not expected');
    },
    async *stream() {
      for (let i = 0; i < (100 << 20) / chunk.length; i++) {
        pulled++;
        yield chunk;
      }
    },
  };
  await assert.rejects(readFerPlus(streamed, ''), /fer2013new\.csv:1: a line longer than 65536 bytes/);
  assert.ok(pulled <= 2, `${pulled} chunks of 64 kB pulled`);
  const rows = [];
  for await (const r of csvRows(
    (async function* () {
      yield new TextEncoder().encode('a,b\r\n"x,y",""""\n\n');
      yield new TextEncoder().encode('last');
    })(),
    { maxLineBytes: 100, maxFields: 4, maxRows: 10 },
    'f.csv',
  ))
    rows.push(r);
  assert.deepEqual(
    rows.map((r) => [r.line, r.fields]),
    [
      [1, ['a', 'b']],
      [2, ['x,y', '"']],
      [4, ['last']],
    ],
  );
  // A whole-file folder (no stream) is still capped by the file's size before it is read.
  const files = new Map([['big/fer2013.csv', new Uint8Array(8)]]);
  files.set('big/fer2013new.csv', new Uint8Array(16));
  const mem = memoryFs(files);
  await assert.rejects(readFerPlus(mem, 'big'), /header is not FER\+'s|empty/);
});

// ---------------------------------------------------------------- AffectNet

test('AffectNet: 8 classes or 7; expressions 8-10 skipped and counted; each image cropped by its face box', async () => {
  const d = dirIn('affect-ok');
  const train = affectNetRows(16, 't');
  train.push({ path: '9/none.jpg', expression: 8 }, { path: '9/uncertain.jpg', expression: 9 }, { path: '9/nonface.jpg', expression: 10 });
  await writeAffectNet(d, train, affectNetRows(8, 'v'));
  const eight = await readAffectNet(nodeFolderFsWithin(d), d, { side: 16 });
  assert.deepEqual(eight.dataset.classes, ['Neutral', 'Happy', 'Sad', 'Surprise', 'Fear', 'Disgust', 'Anger', 'Contempt']);
  assert.deepEqual(eight.report.trainCounts, [2, 2, 2, 2, 2, 2, 2, 2]);
  assert.deepEqual(eight.report.testCounts, [1, 1, 1, 1, 1, 1, 1, 1]);
  assert.match(eight.report.notes.join('\n'), /1 none, 1 uncertain, 1 non-face/);
  // The face box (painted expression·30, 255 − expression·30, 60 on grey 128) fills the image after the crop.
  const img = eight.dataset.train.images;
  const e = eight.dataset.train.labels[3];
  const at = 3 * 16 * 16 * 3;
  for (const p of [0, 7 * 16 + 8, 16 * 16 - 1]) {
    const px = [img[at + 3 * p], img[at + 3 * p + 1], img[at + 3 * p + 2]];
    const want = [e * 30, 255 - e * 30, 60];
    assert.ok(
      px.every((v, c) => Math.abs(v - want[c]) <= 12),
      `pixel ${p}: ${px} is the box's colour ${want}`,
    );
  }
  const seven = await readAffectNet(nodeFolderFsWithin(d), d, { classes: 7, side: 16 });
  assert.equal(seven.dataset.classes?.length, 7);
  assert.deepEqual(seven.report.trainCounts, [2, 2, 2, 2, 2, 2, 2]);
  assert.match(seven.report.notes.join('\n'), /3 contempt/);
});

test('AffectNet hostile: paths out, bad expressions and boxes, missing images, links out, a missing CSV, 10^6 columns', async () => {
  const d = dirIn('affect-bad');
  const train = affectNetRows(8, 't');
  train.push(
    { path: '../../etc/passwd', expression: 1, noImage: true },
    { path: '/etc/passwd', expression: 1, noImage: true },
    { path: '9/x.jpg', expression: 'happy' },
    { path: '9/y.jpg', expression: 11 },
    { path: '9/z.jpg', expression: 2, box: [1, 2, 'x', 4] },
    { path: '9/gone.jpg', expression: 2, noImage: true },
    { path: '9/far.jpg', expression: 3, box: [5000, 5000, 10, 10] },
    { path: '9/link.jpg', expression: 4, noImage: true },
  );
  await writeAffectNet(d, train, affectNetRows(8, 'v'));
  symlinkSync('/etc/hostname', path.join(d, 'Manually_Annotated_Images/9/link.jpg'));
  const { report } = await readAffectNet(nodeFolderFsWithin(d), d, { side: 16 });
  const why = report.skipped.map((s) => `${s.name}: ${s.reason}`).join('\n');
  assert.match(why, /training\.csv:10: path "\.\.\/\.\.\/etc\/passwd" leads out of Manually_Annotated_Images\//);
  assert.match(why, /training\.csv:11: path "\/etc\/passwd" leads out/);
  assert.match(why, /training\.csv:12: expression "happy" is not 0-10/);
  assert.match(why, /training\.csv:13: expression "11" is not 0-10/);
  assert.match(why, /training\.csv:14: face box "1,2,x,4" is not four whole numbers/);
  assert.match(why, /9\/gone\.jpg: no such file/);
  assert.match(why, /9\/far\.jpg: its face box lies outside the 48×40 image/);
  assert.match(why, /9\/link\.jpg: a link leading outside the folder/);
  assert.deepEqual(report.trainCounts, [1, 1, 1, 1, 1, 1, 1, 1]);

  const lists = path.join(d, 'Manually_Annotated_file_lists');
  writeFileSync(path.join(lists, 'validation.csv'), 'subDirectory_filePath' + ',0'.repeat(1_000_000) + '\n');
  await assert.rejects(readAffectNet(nodeFolderFsWithin(d), d), /validation\.csv:1: a line longer than 65536 bytes/);
  writeFileSync(path.join(lists, 'validation.csv'), 'a,b,c\n');
  await assert.rejects(
    readAffectNet(nodeFolderFsWithin(d), d),
    /validation\.csv: its header has no subDirectory_filePath and expression columns/,
  );
  unlinkSync(path.join(lists, 'validation.csv'));
  await assert.rejects(readAffectNet(nodeFolderFsWithin(d), d), /no validation\.csv \(AffectNet's annotations\)/);
});

// ---------------------------------------------------------------- the CLI

test('eac dataset inspect: Tiny-ImageNet and FERPlus (--ferplus-classes 7) per class and split, as JSON', async () => {
  const t = dirIn('cli-tiny');
  await writeTinyImageNet(t, { perClass: 2, valPerClass: 1 });
  const out = path.join(tmp, 'inspect.json');
  const write = process.stderr.write;
  process.stderr.write = (() => true) as typeof process.stderr.write;
  try {
    assert.equal(await datasetCommand(['inspect', t, '--out', out]), 0);
    const tiny = JSON.parse(readFileSync(out, 'utf8'));
    assert.equal(tiny.format, 'tiny-imagenet');
    assert.deepEqual(tiny.trainCounts, [2, 2, 2]);
    const f = dirIn('cli-fer');
    writeFerPlus(f, ferPlusRows(16));
    assert.equal(await datasetCommand(['inspect', f, '--ferplus-classes', '7', '--out', out]), 0);
    const fer = JSON.parse(readFileSync(out, 'utf8'));
    assert.equal(fer.format, 'ferplus');
    assert.equal(fer.classes.length, 7);
    assert.match(fer.notes.join(' '), /contempt/);
    await assert.rejects(datasetCommand(['inspect', f, '--ferplus-classes', '6']), /--ferplus-classes: "6" is not 8/);
  } finally {
    process.stderr.write = write;
  }
});
