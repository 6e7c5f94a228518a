// The browser folder adapters (src/data/browser-folder.ts) with small fake FileSystemHandles,
// FileSystemEntries and DataTransfers backed by the fixture folders on disk: every source reads the
// RAF-DB fixtures exactly as Node's fs does.
//
//   node --import tsx --test tests/unit/browser-folder.test.ts
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  collectEntryFiles,
  fileListFs,
  filesFromInput,
  handlesFs,
  readAllEntries,
  readDrop,
  type DirectoryEntryLike,
  type DirectoryHandleLike,
  type EntryLike,
  type FileHandleLike,
  type RelativeFile,
} from '../../src/data/browser-folder.ts';
import { initJpegDecoderNode } from '../../src/data/jpeg-node.ts';
import { readRafDb } from '../../src/data/rafdb.ts';
import { nodeFolderFs } from '../../src/cli/dataset.ts';
import { FileRefusedError } from '../../src/data/folder.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const FX = path.join(ROOT, 'tests/fixtures/rafdb');

before(async () => {
  await initJpegDecoderNode();
});

const fileOf = (p: string) => new File([readFileSync(p)], path.basename(p));

/** Files below `dir` with paths starting with dir's own name (as <input webkitdirectory> gives them). */
function filesOnDisk(dir: string): RelativeFile[] {
  const out: RelativeFile[] = [];
  const walk = (abs: string, rel: string) => {
    for (const name of readdirSync(abs).sort()) {
      const a = path.join(abs, name);
      const r = `${rel}/${name}`;
      if (statSync(a).isDirectory()) walk(a, r);
      else out.push({ path: r, file: fileOf(a) });
    }
  };
  walk(dir, path.basename(dir));
  return out;
}

/** A fake FileSystemDirectoryHandle over a folder on disk. */
function dirHandle(abs: string): DirectoryHandleLike {
  const child = (name: string): FileHandleLike | DirectoryHandleLike => {
    const a = path.join(abs, name);
    const st = statSync(a, { throwIfNoEntry: false });
    if (!st) throw new DOMException(`A requested file or directory could not be found: ${name}`, 'NotFoundError');
    return st.isDirectory() ? dirHandle(a) : { kind: 'file', name, getFile: async () => fileOf(a) };
  };
  return {
    kind: 'directory',
    name: path.basename(abs),
    async *values() {
      for (const name of readdirSync(abs)) yield child(name);
    },
    async getDirectoryHandle(name) {
      const h = child(name);
      if (h.kind !== 'directory') throw new DOMException(`${name} is not a directory`, 'TypeMismatchError');
      return h;
    },
    async getFileHandle(name) {
      const h = child(name);
      if (h.kind !== 'file') throw new DOMException(`${name} is not a file`, 'TypeMismatchError');
      return h;
    },
  };
}

/** A fake FileSystemDirectoryEntry over a folder on disk whose reader hands out `batch` entries at a time. */
function dirEntry(abs: string, batch: number, calls: { readEntries: number }, failing = new Set<string>()): DirectoryEntryLike {
  return {
    isFile: false,
    isDirectory: true,
    name: path.basename(abs),
    createReader() {
      const names = readdirSync(abs).sort();
      let at = 0;
      return {
        readEntries(success) {
          calls.readEntries++;
          const slice = names.slice(at, at + batch);
          at += slice.length;
          const entries: EntryLike[] = slice.map((name) => {
            const a = path.join(abs, name);
            if (statSync(a).isDirectory()) return dirEntry(a, batch, calls, failing);
            return {
              isFile: true,
              isDirectory: false,
              name,
              file(ok, fail) {
                if (failing.has(name)) setTimeout(() => fail?.(new DOMException('gone', 'NotFoundError')));
                else setTimeout(() => ok(fileOf(a)));
              },
            };
          });
          setTimeout(() => success(entries));
        },
      };
    },
  };
}

async function sameAsNode(fs: Parameters<typeof readRafDb>[0], dir: string, nodeDir: string) {
  const got = await readRafDb(fs, dir, { labels: nodeDir.includes('messy') ? 'noise01.txt' : undefined });
  const want = await readRafDb(nodeFolderFs, nodeDir, { labels: nodeDir.includes('messy') ? 'noise01.txt' : undefined });
  assert.deepEqual(got.dataset, want.dataset);
  const { seconds: _a, root: rootGot, ...restGot } = got.report;
  const { seconds: _b, root: _rootWant, ...restWant } = want.report;
  assert.deepEqual(restGot, restWant);
  return rootGot;
}

test('fileListFs: a flat list of files with paths is a folder tree (sizes without reading)', async () => {
  const fs = fileListFs([
    { path: 'top/a.txt', file: new File(['hello'], 'a.txt') },
    { path: 'top/sub/b.jpg', file: new File([new Uint8Array(7)], 'b.jpg') },
    { path: 'top/sub/deeper/c', file: new File([], 'c') },
    { path: 'other.txt', file: new File(['x'], 'other.txt') },
  ]);
  assert.deepEqual(await fs.list(''), ['other.txt', 'top/']);
  assert.deepEqual(await fs.list('top'), ['a.txt', 'sub/']);
  assert.deepEqual(await fs.list('top/sub/'), ['b.jpg', 'deeper/']);
  assert.equal(new TextDecoder().decode(await fs.read('top/a.txt', 100)), 'hello');
  assert.equal(await fs.size('top/sub/b.jpg'), 7);
  await assert.rejects(fs.list('nope'), /no such directory: nope/);
  await assert.rejects(fs.read('top/missing.txt', 100), /no such file: top\/missing.txt/);
});

test('filesFromInput: webkitRelativePath is the path (the name where it is empty)', () => {
  const a = new File(['1'], 'a.jpg');
  Object.defineProperty(a, 'webkitRelativePath', { value: 'basic/Image/aligned/a.jpg' });
  const b = new File(['2'], 'b.txt');
  assert.deepEqual(
    filesFromInput([a, b]).map((f) => f.path),
    ['basic/Image/aligned/a.jpg', 'b.txt'],
  );
});

test('fileListFs reads the messy fixture exactly as Node does', async () => {
  const root = await sameAsNode(fileListFs(filesOnDisk(path.join(FX, 'messy'))), '', path.join(FX, 'messy'));
  assert.equal(root, 'messy/basic');
});

test('handlesFs: a dropped directory handle (the RAF-DB parent) reads as Node does; several handles share a virtual root', async () => {
  const root = await sameAsNode(handlesFs([dirHandle(path.join(FX, 'clean'))]), '', path.join(FX, 'clean'));
  assert.equal(root, 'clean/RAF-DB/basic');
  const basic = path.join(FX, 'messy/basic');
  const two = handlesFs([dirHandle(path.join(basic, 'EmoLabel')), dirHandle(path.join(basic, 'Image'))]);
  assert.deepEqual(await two.list(''), ['EmoLabel/', 'Image/']);
  const r = await sameAsNode(two, '', basic);
  assert.equal(r, '');
  assert.equal(await two.size('EmoLabel/noise01.txt'), statSync(path.join(basic, 'EmoLabel/noise01.txt')).size);
  await assert.rejects(two.read('EmoLabel/nope.txt', 100), { name: 'NotFoundError' });
});

test('readAllEntries: calls readEntries until it returns an empty batch', async () => {
  const calls = { readEntries: 0 };
  const aligned = path.join(FX, 'clean/RAF-DB/basic/Image/aligned');
  const n = readdirSync(aligned).length; // 42
  const entries = await readAllEntries(dirEntry(aligned, 5, calls));
  assert.equal(entries.length, n);
  assert.equal(calls.readEntries, Math.ceil(n / 5) + 1, 'one call per batch of 5, then the empty one');
  assert.deepEqual(
    entries.map((e) => e.name),
    readdirSync(aligned).sort(),
  );
});

test('collectEntryFiles: walks nested directory entries into Files with paths; unopenable files are listed, not fatal', async () => {
  const calls = { readEntries: 0 };
  const messy = path.join(FX, 'messy');
  const { files, failed } = await collectEntryFiles([dirEntry(messy, 3, calls, new Set(['train_00002_aligned.jpg']))]);
  assert.deepEqual(failed, ['messy/basic/Image/aligned/train_00002_aligned.jpg']);
  const onDisk = filesOnDisk(messy)
    .map((f) => f.path)
    .filter((p) => !p.endsWith('train_00002_aligned.jpg'));
  assert.deepEqual(
    files.map((f) => f.path),
    onDisk,
  );
  // The unopened image is then a missing image for the reader, the rest reads as usual.
  const r = await readRafDb(fileListFs(files), '');
  assert.ok(r.report.missingImages.includes('train_00002.jpg'));
  assert.ok(calls.readEntries > 10);
});

/** A DataTransfer as a drop handler sees it. */
function fakeDrop(items: { handle?: DirectoryHandleLike | null; entry?: EntryLike | null }[], files: File[] = []): DataTransfer {
  return {
    items: items.map((it) => ({
      kind: 'file',
      ...(it.handle !== undefined ? { getAsFileSystemHandle: async () => it.handle } : {}),
      webkitGetAsEntry: () => it.entry ?? null,
      getAsFile: () => null,
    })),
    files,
  } as unknown as DataTransfer;
}

test('readDrop: handles first, then the entries walk, then the plain file list', async () => {
  const messy = path.join(FX, 'messy');
  const calls = { readEntries: 0 };
  const h = await readDrop(fakeDrop([{ handle: dirHandle(messy), entry: dirEntry(messy, 100, calls) }]));
  assert.equal(h.kind, 'handles');
  assert.equal(h.name, 'messy');
  assert.equal(calls.readEntries, 0, 'the entries are not walked when handles exist');

  const e = await readDrop(fakeDrop([{ entry: dirEntry(messy, 100, calls) }]));
  assert.equal(e.kind, 'files');
  assert.equal(e.name, 'messy');
  assert.equal(e.kind === 'files' && e.files.length, filesOnDisk(messy).length);

  // Handles exist but the browser gave none (e.g. a synthetic drop): fall back to the entries.
  const e2 = await readDrop(fakeDrop([{ handle: null, entry: dirEntry(messy, 100, calls) }]));
  assert.equal(e2.kind, 'files');

  const flat = new File(['x'], 'a.txt');
  const f = await readDrop(fakeDrop([{ entry: null }], [flat]));
  assert.deepEqual(f.kind === 'files' && f.files.map((x) => x.path), ['a.txt']);
});

test('readMany: joined reads give each file its own bytes; an oversized file is refused alone; a failed join falls back to single reads', async () => {
  const bytes = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 255);
  const a = bytes(300, 1);
  const b = bytes(0, 2);
  const c = bytes(4097, 3);
  const files: RelativeFile[] = [
    { path: 'd/a.jpg', file: new File([a], 'a.jpg') },
    { path: 'd/b.jpg', file: new File([b], 'b.jpg') },
    { path: 'd/big.jpg', file: new File([bytes(5000, 4)], 'big.jpg') },
    { path: 'd/c.jpg', file: new File([c], 'c.jpg') },
  ];
  const fs = fileListFs(files);
  const got = await fs.readMany!(['d/a.jpg', 'd/b.jpg', 'd/big.jpg', 'd/missing.jpg', 'd/c.jpg'], 4500);
  assert.deepEqual(got[0], a);
  assert.deepEqual(got[1], b);
  assert.ok(got[2] instanceof FileRefusedError, `oversized: ${String(got[2])}`);
  assert.match(String(got[3]), /no such file/);
  assert.deepEqual(got[4], c);
  // Each file owns its buffer (a decoder pool transfers it).
  assert.equal((got[4] as Uint8Array).buffer.byteLength, c.length);

  // Stand-ins that are not Blobs cannot be joined: each is read alone, with the same results.
  let reads = 0;
  const fake = (data: Uint8Array) => ({ size: data.length, arrayBuffer: async () => (reads++, data.slice().buffer) });
  const fakes = fileListFs([
    { path: 'x/1', file: fake(a) },
    { path: 'x/2', file: fake(c) },
  ]);
  const back = await fakes.readMany!(['x/1', 'x/2'], 1 << 20);
  assert.deepEqual(back, [a, c]);
  assert.equal(reads, 2);
});
