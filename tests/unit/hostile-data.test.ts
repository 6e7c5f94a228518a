// Hostile and degenerate dataset folders (issue 14, defects 10-15): each is refused or skipped
// with a one-line reason, in bounded time and memory. The inputs come from
// tools/fixtures/make-hostile-datasets.ts; the ones that cost gigabytes or hang when the reader regresses
// run `eac dataset inspect` in a child process (tests/unit/inspect-child.ts) with
// --max-old-space-size, a timeout and a peak-RSS bound, so a regression fails instead of hanging.
//
//   node --import tsx --test tests/unit/hostile-data.test.ts
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fileListFs } from '../../src/data/browser-folder.ts';
import { FileRefusedError, MAX_IMAGE_FILE_BYTES, memoryFs } from '../../src/data/folder.ts';
import { readJpegHeader } from '../../src/data/jpeg-header.ts';
import { initJpegDecoderNode } from '../../src/data/jpeg-node.ts';
import { decodeJpeg, JpegError } from '../../src/data/jpeg.ts';
import { MAX_LABEL_LINES, parseLabelText, quoteText, sampleKey } from '../../src/data/labels.ts';
import { readRafDb } from '../../src/data/rafdb.ts';
import { nodeFolderFs } from '../../src/cli/dataset.ts';
import { nodeFolderFsWithin } from '../../src/cli/node-folder-fs.ts';
import {
  absurdLabelText,
  cleanCopy,
  CMYK_JPEG,
  DUPLICATE_VARIANTS,
  fifoInstead,
  FIRST_IMAGE,
  jpegClaiming,
  LABELS,
  linkInstead,
  longSpaceLine,
} from '../../tools/fixtures/make-hostile-datasets.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CHILD = path.join(ROOT, 'tests/unit/inspect-child.ts');
const FACE = path.join(ROOT, 'tests/fixtures/rafdb/jpeg/face-420-100x100.jpg');
const PROGRESSIVE = path.join(ROOT, 'tests/fixtures/rafdb/jpeg/face-420-progressive-100x100.jpg');
const TMP = mkdtempSync(path.join(tmpdir(), 'eac-hostile-'));
/** Generous: the fixed reader takes ~3 s here; the unfixed one hangs or takes minutes. */
const CHILD_TIMEOUT_MS = 90_000;
/** Node + tsx + the decoder is ~170 MB; the unfixed reader reaches gigabytes. */
const CHILD_MAX_RSS_MB = 600;

before(async () => {
  await initJpegDecoderNode();
});

after(() => {
  rmSync(TMP, { recursive: true, force: true });
});

let cases = 0;
/** A fresh copy of the clean fixture (28 train / 14 test) to spoil. */
const folder = () => cleanCopy(path.join(TMP, `case-${++cases}`, 'basic'));

interface Inspected {
  status: number | null;
  // biome-ignore lint/suspicious/noExplicitAny: the CLI's JSON report, read field by field in the asserts
  json: Record<string, any> | null;
  /** stderr without the child's maxrss line. */
  stderr: string;
  maxRssMb: number;
}

/**
 * `eac dataset inspect DIR --json` (or, `unconfined`, readRafDb on nodeFolderFs) in a child bounded
 * in heap, time and (checked here) peak RSS.
 */
function inspectInChild(dir: string, unconfined = false): Inspected {
  const args = unconfined ? ['read-unconfined', dir] : ['dataset', 'inspect', dir, '--json'];
  const r = spawnSync(process.execPath, ['--max-old-space-size=256', '--import', 'tsx', CHILD, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: CHILD_TIMEOUT_MS,
    killSignal: 'SIGKILL',
    maxBuffer: 64 << 20,
  });
  assert.equal(r.signal, null, `the child was killed (${r.signal}): over ${CHILD_TIMEOUT_MS / 1000} s; stderr: ${r.stderr.slice(-500)}`);
  const m = /\nmaxrss-kb (\d+)\n$/.exec(r.stderr);
  assert.ok(m, `no maxrss line: ${r.stderr.slice(-500)}`);
  const maxRssMb = Number(m[1]) / 1024;
  assert.ok(maxRssMb < CHILD_MAX_RSS_MB, `peak RSS ${maxRssMb.toFixed(0)} MB, over ${CHILD_MAX_RSS_MB} MB`);
  return { status: r.status, json: r.status === 0 ? JSON.parse(r.stdout) : null, stderr: r.stderr.slice(0, m.index), maxRssMb };
}

/** The report's reason for train_00001 (the spoilt image); the other 41 images still read. */
function firstImageReason(r: Inspected): string {
  assert.equal(r.status, 0, r.stderr);
  assert.ok(r.json);
  assert.equal(r.json.train, 27);
  assert.equal(r.json.test, 14);
  assert.deepEqual(r.json.unreadableImages, ['train_00001.jpg']);
  return r.json.unreadableReasons['train_00001.jpg'];
}

/** The one-line error of a refused folder (exit 2). */
function oneLineError(r: Inspected): string {
  assert.equal(r.status, 2, r.stderr);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.ok(lines[0].length < 400, `a ${lines[0].length}-character error line`);
  return lines[0];
}

test('an image that is a symlink to /dev/zero or /dev/urandom is skipped unread', () => {
  for (const dev of ['/dev/zero', '/dev/urandom']) {
    const dir = folder();
    linkInstead(dir, FIRST_IMAGE, dev);
    // The CLI reads only inside the folder; without that confinement, only regular files.
    assert.equal(firstImageReason(inspectInChild(dir)), 'a link leading outside the folder (not followed)', dev);
    assert.equal(firstImageReason(inspectInChild(dir, true)), 'not a regular file (a character device)', dev);
  }
});

test('an image that is a FIFO is skipped without waiting for a writer', () => {
  const dir = folder();
  fifoInstead(dir, FIRST_IMAGE);
  assert.equal(firstImageReason(inspectInChild(dir)), 'not a regular file (a FIFO)');
});

test('a symlink to a file outside the folder is not followed: none of its bytes reach the report', () => {
  const secret = path.join(TMP, 'secret.txt');
  writeFileSync(secret, 'SECRET: root:x:0:0\n');
  const dir = folder();
  linkInstead(dir, FIRST_IMAGE, secret);
  const r = inspectInChild(dir);
  assert.equal(firstImageReason(r), 'a link leading outside the folder (not followed)');
  const hex = Array.from(Buffer.from('SECR'), (b) => '0x' + b.toString(16)).join(' ');
  assert.ok(!JSON.stringify(r.json).includes(hex) && !r.stderr.includes(hex), "the outside file's first bytes leaked");

  const labels = folder();
  linkInstead(labels, LABELS, secret);
  const e = oneLineError(inspectInChild(labels));
  assert.match(e, /list_patition_label\.txt: a link leading outside the folder \(not followed\)$/);
  assert.ok(!e.includes('SECRET'), e);
  // Links inside the folder are still followed.
  const inside = folder();
  linkInstead(inside, FIRST_IMAGE, path.join(inside, 'Image/aligned/train_00002_aligned.jpg'));
  const ok = inspectInChild(inside);
  assert.equal(ok.status, 0, ok.stderr);
  assert.deepEqual([ok.json!.train, ok.json!.unreadableImages], [28, []]);
});

test('a huge image or label file is refused from its size, before a byte is read (sparse 5 GiB files)', () => {
  const dir = folder();
  truncateSync(path.join(dir, FIRST_IMAGE), 5 * 2 ** 30);
  assert.equal(firstImageReason(inspectInChild(dir)), 'too large: 5 GiB (the cap is 4 MiB)');
  const labels = folder();
  truncateSync(path.join(labels, LABELS), 5 * 2 ** 30);
  assert.match(oneLineError(inspectInChild(labels)), /EmoLabel\/list_patition_label\.txt: too large: 5 GiB \(the cap is 16 MiB\)$/);
});

test('a label line with a 150,000-space run is one bad line, quoted in part, in linear time', () => {
  const dir = folder();
  const file = path.join(dir, LABELS);
  writeFileSync(file, readFileSync(file, 'utf8') + longSpaceLine(150_000) + '\n' + `train_00002.jpg${' '.repeat(900)}3\n`);
  const r = inspectInChild(dir);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.json!.train, 28);
  const [long, dup] = r.json!.badLines;
  assert.equal(long.reason, 'line longer than 1,000 characters (150,016)');
  assert.ok(long.text.length < 260 && long.text.endsWith('… (150,016 characters)'), long.text);
  // A long run of spaces inside the cap still splits into fields (and is a duplicate here).
  assert.equal(dup.reason, 'duplicate name train_00002.jpg (first on line 2)');
  assert.ok(dup.text.length < 260);
});

test('a JPEG whose header claims 16000×16000 is refused before decoding', () => {
  const dir = folder();
  const bomb = jpegClaiming(16000, 16000);
  assert.ok(bomb.length < 4096);
  writeFileSync(path.join(dir, FIRST_IMAGE), bomb);
  assert.equal(
    firstImageReason(inspectInChild(dir)),
    "too large: 16000×16000 pixels (the cap is 4096×4096; RAF-DB's aligned images are 100×100)",
  );
});

test('a label file of more than 100,000 lines is refused with one line; the image buffer follows the images found', async () => {
  const dir = folder();
  const file = path.join(dir, LABELS);
  const clean = readFileSync(file, 'utf8');
  writeFileSync(file, clean + absurdLabelText(MAX_LABEL_LINES + 1));
  assert.match(
    oneLineError(inspectInChild(dir)),
    /list_patition_label\.txt: more than 100,000 lines: not a RAF-DB label file \(RAF-DB basic lists 15,339 images\)$/,
  );

  // Just under the cap, 99,000 names and 42 images: memory for 42 decoded images, not 99,042.
  const files = new Map<string, Uint8Array>();
  files.set(`b/${LABELS}`, new TextEncoder().encode(clean + absurdLabelText(99_000)));
  for (const n of ['train_00001_aligned.jpg', 'test_0001_aligned.jpg'])
    files.set(`b/Image/aligned/${n}`, new Uint8Array(readFileSync(FACE)));
  let peak = 0;
  const { report } = await readRafDb(memoryFs(files), 'b', {
    onProgress: () => (peak = Math.max(peak, process.memoryUsage().arrayBuffers)),
  });
  assert.deepEqual([report.train, report.test, report.missingImages.length], [1, 1, 99_000 + 40]);
  assert.ok(peak < 200e6, `${(peak / 1e6).toFixed(0)} MB of array buffers while reading 2 images`);
});

test('one sample under several names (.png, .JPG, .jpeg, _aligned.jpg, bare) enters once; the others are reported', async () => {
  assert.deepEqual(new Set(DUPLICATE_VARIANTS.map(sampleKey)), new Set(['train_00001']));
  assert.notEqual(sampleKey('train_00010.jpg'), sampleKey('train_00001.jpg'));
  const dir = folder();
  const file = path.join(dir, LABELS);
  const text = readFileSync(file, 'utf8');
  const firstLabel = Number(text.split('\n')[0].split(' ')[1]);
  const lines = text.trimEnd().split('\n').length;
  writeFileSync(
    file,
    text +
      DUPLICATE_VARIANTS.slice(1)
        .map((n, i) => `${n} ${((firstLabel + i) % 7) + 1}\n`)
        .join(''),
  );
  const { dataset, report } = await readRafDb(nodeFolderFs, dir);
  assert.equal(report.train, 28);
  assert.equal(dataset.train.names.filter((n) => sampleKey(n) === 'train_00001').length, 1);
  assert.equal(dataset.train.labels[dataset.train.names.indexOf('train_00001.jpg')], firstLabel - 1);
  assert.deepEqual(
    report.badLines.map((b) => [b.line, b.reason]),
    DUPLICATE_VARIANTS.slice(1).map((n, i) => [lines + 1 + i, `duplicate of train_00001.jpg (line 1): ${n} names the same image`]),
  );
});

test('a CMYK JPEG is reported as such, not as corrupt', async () => {
  const cmyk = new Uint8Array(readFileSync(CMYK_JPEG));
  assert.deepEqual(readJpegHeader(cmyk), { width: 32, height: 32, components: 4, adobeTransform: 0, scans: 1 });
  assert.throws(
    () => decodeJpeg(cmyk),
    (e: Error) => e instanceof JpegError && e.reason === 'CMYK JPEG, not supported',
  );
  const dir = folder();
  writeFileSync(path.join(dir, FIRST_IMAGE), cmyk);
  const { report } = await readRafDb(nodeFolderFs, dir);
  assert.deepEqual(report.unreadableReasons, { 'train_00001.jpg': 'CMYK JPEG, not supported' });
});

test('JPEG headers: a data segment cut short, or more than 100 scans, is a corrupt image', () => {
  const face = new Uint8Array(readFileSync(FACE));
  const sosEnd = (b: Uint8Array) => {
    for (let i = 2; i < b.length; ) {
      const len = (b[i + 2] << 8) | b[i + 3];
      if (b[i + 1] === 0xda) return { sos: i, data: i + 2 + len };
      i += 2 + len;
    }
    throw new Error('no SOS');
  };
  const { data } = sosEnd(face);
  const cut = new Uint8Array([...face.subarray(0, data + 300), 0xff, 0xd9]);
  assert.throws(
    () => decodeJpeg(cut),
    (e: Error) => e instanceof JpegError && e.reason === 'corrupt JPEG: premature end of data segment',
  );
  const prog = new Uint8Array(readFileSync(PROGRESSIVE));
  const { sos } = sosEnd(prog);
  const scans = prog.subarray(sos, prog.length - 2);
  const parts = [prog.subarray(0, sos), ...Array(30).fill(scans), new Uint8Array([0xff, 0xd9])];
  const many = new Uint8Array(Buffer.concat(parts));
  assert.equal(readJpegHeader(prog)!.scans, 4);
  assert.equal(readJpegHeader(many)!.scans, 120);
  assert.throws(
    () => decodeJpeg(many),
    (e: Error) => e instanceof JpegError && e.reason === 'corrupt JPEG: 120 scans (the cap is 100)',
  );
  assert.equal(decodeJpeg(prog).width, 100); // the decoder still works after refusals
});

test("the page's folders refuse a huge file from its size, with the words Node uses", async () => {
  const huge = { size: 13 * 2 ** 30, arrayBuffer: () => Promise.reject(new Error('a huge file was read')) };
  const fs = fileListFs([{ path: 'x/big.jpg', file: huge }]);
  await assert.rejects(
    fs.read('x/big.jpg', MAX_IMAGE_FILE_BYTES),
    (e: Error) => e instanceof FileRefusedError && e.reason === 'too large: 13 GiB (the cap is 4 MiB)',
  );
  // The whole reader over dropped files: the same report line as `eac dataset inspect`.
  const face = readFileSync(FACE);
  const file = (b: Uint8Array) => ({ size: b.length, arrayBuffer: async () => b.slice().buffer as ArrayBuffer });
  const dropped = [
    { path: `b/${LABELS}`, file: file(new TextEncoder().encode('train_00001.jpg 1\ntrain_00002.jpg 2\ntest_0001.jpg 3\n')) },
    { path: 'b/Image/aligned/train_00001_aligned.jpg', file: { size: 5 * 2 ** 30, arrayBuffer: huge.arrayBuffer } },
    { path: 'b/Image/aligned/train_00002_aligned.jpg', file: file(face) },
    { path: 'b/Image/aligned/test_0001_aligned.jpg', file: file(face) },
  ];
  const { report } = await readRafDb(fileListFs(dropped), '');
  assert.deepEqual(report.unreadableReasons, { 'train_00001.jpg': 'too large: 5 GiB (the cap is 4 MiB)' });
});

test('Node reads: regular files only, capped, confined to the folder when given one', async () => {
  const dir = folder();
  const within = nodeFolderFsWithin(dir);
  const img = path.join(dir, FIRST_IMAGE);
  assert.equal((await within.read(img, MAX_IMAGE_FILE_BYTES)).length, readFileSync(img).length);
  await assert.rejects(
    within.read(img, 100),
    (e: Error) => e instanceof FileRefusedError && /^too large: [0-9.]+ KiB \(the cap is 100 B\)$/.test(e.reason),
  );
  await assert.rejects(
    within.read(path.join(dir, 'Image'), 100),
    (e: Error) => e instanceof FileRefusedError && e.reason === 'not a regular file (a folder)',
  );
  await assert.rejects(within.list(path.dirname(dir)), (e: Error) => e instanceof FileRefusedError);
  await assert.rejects(within.read(FACE, MAX_IMAGE_FILE_BYTES), (e: Error) => e instanceof FileRefusedError);
  const allowed = nodeFolderFsWithin(dir, { allow: [FACE] });
  assert.equal((await allowed.read(FACE, MAX_IMAGE_FILE_BYTES)).length, readFileSync(FACE).length);
});

test('quoted file text is cut to 200 characters and shows control characters escaped', () => {
  assert.equal(quoteText('a\u001b[31mb'), 'a\\x1b[31mb');
  const long = quoteText('x'.repeat(5000));
  assert.ok(long.startsWith('x'.repeat(200) + '… (5,000 characters)'));
  const p = parseLabelText('train_\u001b]0;pwned\u0007.jpg 1\n');
  assert.deepEqual(p.entries, []);
  assert.equal(p.badLines[0].reason, 'name train_\\x1b]0;pwned\\x07.jpg has control characters');
});
