// The dataset cache (src/storage/dataset-cache.ts) on fake-indexeddb: a byte-exact round trip
// against readRafDb, the content key, label-file choice, delete, quota and cancel (nothing partial
// is left), and the sweep of dead writes.
//
//   node --import tsx --test tests/unit/dataset-cache.test.ts
import 'fake-indexeddb/auto';
import { test, before, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createStore, keys, set, type UseStore } from 'idb-keyval';
import { fileListFs, type RelativeFile } from '../../src/data/browser-folder.ts';
import { initJpegDecoderNode } from '../../src/data/jpeg-node.ts';
import { readRafDb } from '../../src/data/rafdb.ts';
import {
  beginDatasetWrite,
  deleteCachedDataset,
  getCachedDatasetInfo,
  listCachedDatasets,
  loadCachedDataset,
  storeDataset,
  sweepIncomplete,
  type CachedDatasetInfo,
} from '../../src/storage/dataset-cache.ts';
import { configureDatasetCache } from '../../src/storage/datasets/idb-layout.ts';
import type { PixelFiles } from '../../src/storage/datasets/pixel-files.ts';
import { DatasetCacheError, DatasetCacheQuotaError } from '../../src/storage/datasets/errors.ts';
import { datasetKey, folderListing, readLabelTexts } from '../../src/storage/datasets/folder-key.ts';
import { createSha256, sha256Hex } from '../../src/storage/sha256.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const FX = path.join(ROOT, 'tests/fixtures/rafdb');

let dbCount = 0;
let raw: UseStore;

before(async () => {
  await initJpegDecoderNode();
});

beforeEach(() => {
  // A fresh database per test.
  raw = createStore(`eac-datasets-test-${++dbCount}`, 'datasets');
  configureDatasetCache({ store: raw, estimate: null, pixelFiles: null });
});

function filesOnDisk(dir: string, prefix = path.basename(dir)): RelativeFile[] {
  const out: RelativeFile[] = [];
  const walk = (abs: string, rel: string) => {
    for (const name of readdirSync(abs).sort()) {
      const a = path.join(abs, name);
      const r = rel ? `${rel}/${name}` : name;
      if (statSync(a).isDirectory()) walk(a, r);
      else out.push({ path: r, file: new File([readFileSync(a)], name) });
    }
  };
  walk(dir, prefix);
  return out;
}

/** Reads a fixture the way the ingest worker does, and stores it. */
async function ingest(dir: string, opts: Parameters<typeof storeDataset>[1] = {}) {
  const fs = fileListFs(filesOnDisk(dir));
  const listing = await folderListing(fs);
  const key = await datasetKey(listing.entries);
  const read = await readRafDb(fs, listing.root);
  const labelTexts = await readLabelTexts(fs, listing.emoLabel);
  const info = await storeDataset({ key, dataset: read.dataset, report: read.report, labelTexts, source: path.basename(dir) }, opts);
  return { key, info, read, listing };
}

test('sha256 matches node:crypto (block boundaries included)', async () => {
  for (const n of [0, 1, 55, 56, 63, 64, 65, 119, 120, 1000]) {
    const b = new Uint8Array(n).map((_, i) => (i * 31 + 7) & 255);
    assert.equal(await sha256Hex(b), createHash('sha256').update(b).digest('hex'), `length ${n}`);
  }
});

test('Sha256 fed in chunks of any size (the weights import hashes as it reads) gives the same digest', async () => {
  for (const n of [0, 1, 55, 56, 64, 65, 127, 128, 129, 5000]) {
    const b = new Uint8Array(n).map((_, i) => (i * 131 + 3) & 255);
    const want = createHash('sha256').update(b).digest('hex');
    for (const step of [1, 3, 63, 64, 65, 1000]) {
      const h = await createSha256();
      for (let i = 0; i < n; i += step) h.update(b.subarray(i, i + step));
      assert.equal(h.hex(), want, `length ${n} in chunks of ${step}`);
    }
  }
});

test('the key: names and sizes relative to the RAF-DB root; same folder dropped at any level → same key; one size or name changed → another', async () => {
  const parent = await folderListing(fileListFs(filesOnDisk(path.join(FX, 'clean'))));
  const basic = await folderListing(fileListFs(filesOnDisk(path.join(FX, 'clean/RAF-DB/basic'))));
  assert.equal(parent.root, 'clean/RAF-DB/basic');
  assert.equal(basic.root, 'basic');
  assert.deepEqual(parent.entries, basic.entries);
  assert.equal(parent.entries.length, 43, '42 images + the label file (compound/ is not part of it)');
  assert.deepEqual(parent.entries[0], {
    path: 'EmoLabel/list_patition_label.txt',
    size: statSync(path.join(FX, 'clean/RAF-DB/basic/EmoLabel/list_patition_label.txt')).size,
  });
  const key = await datasetKey(parent.entries);
  assert.match(key, /^rafdb-[0-9a-f]{32}$/);
  assert.equal(await datasetKey(basic.entries), key);
  assert.equal(await datasetKey([...parent.entries].reverse()), key, 'order does not matter');

  const files = filesOnDisk(path.join(FX, 'clean'));
  const img = files.findIndex((f) => f.path.endsWith('train_00007_aligned.jpg'));
  const bigger = files.map((f, i) =>
    i === img
      ? {
          path: f.path,
          file: new File([readFileSync(path.join(FX, 'clean/RAF-DB/basic/Image/aligned/train_00007_aligned.jpg')), new Uint8Array(1)], 'x'),
        }
      : f,
  );
  const changed = await folderListing(fileListFs(bigger));
  assert.notEqual(await datasetKey(changed.entries), key, 'one image one byte larger');
  const renamed = files.map((f, i) => (i === img ? { path: f.path.replace('train_00007', 'train_00070'), file: f.file } : f));
  assert.notEqual(await datasetKey((await folderListing(fileListFs(renamed))).entries), key, 'one image renamed');
  const litter = [...files, { path: 'clean/RAF-DB/basic/Image/aligned/.DS_Store', file: new File(['x'], '.DS_Store') }];
  assert.equal(await datasetKey((await folderListing(fileListFs(litter))).entries), key, '.DS_Store does not change the key');
});

test('store → load round trip is byte-exact against readRafDb (clean fixture, several chunks)', async () => {
  const { key, info, read } = await ingest(path.join(FX, 'clean'), { chunkImages: 8 });
  assert.deepEqual(info.chunks, { train: 4, test: 2 });
  assert.equal(info.train, 28);
  assert.equal(info.test, 14);
  assert.equal(info.name, 'RAF-DB basic (42 images)');
  assert.deepEqual(
    info.labelFiles.map((l) => l.file),
    ['list_patition_label.txt'],
  );
  assert.ok(info.bytes >= 42 * 30000);
  const loaded = await loadCachedDataset(key, null);
  assert.equal(loaded.noise, null);
  assert.deepEqual(loaded.dataset, read.dataset);
  assert.ok(Buffer.from(loaded.dataset.train.images).equals(Buffer.from(read.dataset.train.images)));
  assert.ok(Buffer.from(loaded.dataset.test.images).equals(Buffer.from(read.dataset.test.images)));
  // The clean file named explicitly is the same as null.
  assert.deepEqual((await loadCachedDataset(key, 'list_patition_label.txt')).dataset, read.dataset);
  const listed = await listCachedDatasets();
  assert.deepEqual(
    listed.map((d) => d.key),
    [key],
  );
  assert.deepEqual(listed[0].report, read.report);
});

test('label-file choice: noise01.txt from the cache = readRafDb with labels noise01.txt (messy fixture, same noise)', async () => {
  const dir = path.join(FX, 'messy');
  const { key, info } = await ingest(dir, { chunkImages: 5 });
  const noisy = await readRafDb(fileListFs(filesOnDisk(dir)), '', { labels: 'noise01.txt' });
  const loaded = await loadCachedDataset(key, 'noise01.txt');
  assert.deepEqual(loaded.dataset, noisy.dataset);
  assert.deepEqual(loaded.noise, noisy.report.noise);
  assert.ok(loaded.noise && loaded.noise.changed > 0);
  // The choices the UI offers: the clean file, then noise01.txt with its measured noise.
  assert.deepEqual(
    info.labelFiles.map((l) => [l.file, l.usable, l.noise?.changed ?? null]),
    [
      ['list_patition_label.txt', true, null],
      ['noise01.txt', true, noisy.report.noise!.changed],
    ],
  );
  assert.deepEqual(info.labelFiles[1].noise, noisy.report.noise);
  // The report keeps every skipped item and why.
  assert.deepEqual(info.report.missingImages, ['train_00014.jpg']);
  assert.equal(info.report.unreadableReasons['train_00015.jpg'], 'empty file');
  assert.deepEqual(info.report.resizedImages, ['train_00019.jpg']);
  await assert.rejects(
    loadCachedDataset(key, 'noise09.txt'),
    (e: unknown) =>
      e instanceof DatasetCacheError &&
      /has no label file noise09\.txt \(it has list_patition_label\.txt, noise01\.txt\)/.test((e as Error).message),
  );
});

test('re-storing the same folder replaces it; delete removes every record', async () => {
  const { key } = await ingest(path.join(FX, 'clean'), { chunkImages: 10 });
  await ingest(path.join(FX, 'clean'), { chunkImages: 10 });
  assert.equal((await listCachedDatasets()).length, 1);
  const other = await ingest(path.join(FX, 'messy'));
  assert.deepEqual(new Set((await listCachedDatasets()).map((d) => d.key)), new Set([key, other.key]));
  await deleteCachedDataset(key);
  assert.equal(await getCachedDatasetInfo(key), null);
  assert.deepEqual(
    (await listCachedDatasets()).map((d) => d.key),
    [other.key],
  );
  const left = (await keys(raw)).map(String);
  assert.deepEqual(
    left.filter((k) => k.includes(key)),
    [],
  );
  await assert.rejects(loadCachedDataset(key, null), /not in the dataset cache/);
});

test('quota: too little room → a clear message with MB needed and available, and nothing stored', async () => {
  configureDatasetCache({ estimate: async () => ({ usage: 9_500_000, quota: 10_000_000 }) });
  await assert.rejects(ingest(path.join(FX, 'clean')), (e: unknown) => {
    assert.ok(e instanceof DatasetCacheQuotaError, String(e));
    assert.match(e.message, /needs about 1\.3 MB, but the browser allows about 500 kB more for this site \(9\.5 MB used of 10 MB\)/);
    assert.match(e.message, /nothing was stored/);
    assert.equal(e.availableBytes, 500_000);
    return true;
  });
  assert.deepEqual(await keys(raw), []);
});

test('quota: the browser refuses a chunk mid-way → every record written so far is removed', async () => {
  let puts = 0;
  const failing: UseStore = (mode, cb) =>
    raw(mode, (s) =>
      cb(
        new Proxy(s, {
          get(target, prop) {
            if (prop === 'put')
              return (value: unknown, key: IDBValidKey) => {
                if (String(key).startsWith('chunk/') && ++puts === 3)
                  throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
                return target.put(value, key);
              };
            const v = Reflect.get(target, prop, target);
            return typeof v === 'function' ? v.bind(target) : v;
          },
        }),
      ),
    );
  configureDatasetCache({ store: failing, estimate: async () => ({ usage: 0, quota: 1e12 }) });
  await assert.rejects(
    ingest(path.join(FX, 'clean'), { chunkImages: 5 }),
    (e: unknown) => e instanceof DatasetCacheQuotaError && /needs about 1\.3 MB/.test(e.message),
  );
  assert.ok(puts >= 3, `${puts} chunk puts`);
  assert.deepEqual(await keys(raw), [], 'no partial entry');
});

/** Stores the clean fixture and cancels once the first chunk is written: it must fail with AbortError. */
async function cancelledIngest(): Promise<void> {
  const controller = new AbortController();
  await assert.rejects(
    ingest(path.join(FX, 'clean'), {
      chunkImages: 5,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.done > 0) controller.abort(new DOMException('cancelled', 'AbortError'));
      },
    }),
    { name: 'AbortError' },
  );
}

test('cancel while storing → AbortError and nothing left', async () => {
  await cancelledIngest();
  assert.deepEqual(await keys(raw), []);
});

test('sweepIncomplete: chunks of a dead write are removed; a write in progress and complete datasets are kept', async () => {
  const { key } = await ingest(path.join(FX, 'clean'));
  const now = Date.now();
  await set('chunk/rafdb-dead/train/0', new Uint8Array(3), raw);
  await set('pending/rafdb-dead', { updatedAt: now - 10 * 60_000 }, raw);
  await set('chunk/rafdb-nomarker/train/0', new Uint8Array(3), raw);
  await set('chunk/rafdb-busy/train/0', new Uint8Array(3), raw);
  await set('pending/rafdb-busy', { updatedAt: now - 1000 }, raw);
  assert.deepEqual((await sweepIncomplete(now)).sort(), ['rafdb-dead', 'rafdb-nomarker']);
  const left = (await keys(raw)).map(String).sort();
  assert.ok(left.includes('chunk/rafdb-busy/train/0'));
  assert.ok(left.includes(`meta/${key}`));
  assert.ok(!left.some((k) => k.includes('dead') || k.includes('nomarker')));
});

test('a damaged entry (a chunk gone) is reported, not loaded', async () => {
  const { key } = await ingest(path.join(FX, 'clean'), { chunkImages: 10 });
  await raw('readwrite', (s) => {
    s.delete(`chunk/${key}/train/1`);
    return new Promise<void>((resolve) => (s.transaction.oncomplete = () => resolve()));
  });
  await assert.rejects(loadCachedDataset(key, null), /damaged \(train chunk 1\): delete it and choose the folder again/);
  const info = (await getCachedDatasetInfo(key)) as CachedDatasetInfo;
  assert.equal(info.key, key);
});

test('damaged descriptions and indexes are reported in one line, never sized into buffers; the good dataset stays listed', async () => {
  const { key, info } = await ingest(path.join(FX, 'clean'), { chunkImages: 10 });
  const put = (k: string, v: unknown) =>
    raw('readwrite', (s) => {
      s.put(v, k);
      return new Promise<void>((resolve) => (s.transaction.oncomplete = () => resolve()));
    });
  const get = (k: string) =>
    raw('readonly', (s) => new Promise<unknown>((resolve) => (s.get(k).onsuccess = (e) => resolve((e.target as IDBRequest).result))));
  const index = await get(`index/${key}`);
  const metas: [string, Record<string, unknown>, RegExp][] = [
    ['bad-train', { ...info, key: 'bad-train', train: 1e12 }, /train is not an integer in \[0, 1000000\]/],
    ['bad-side', { ...info, key: 'bad-side', height: -3 }, /height is not an integer in \[1, 2048\]/],
    ['bad-chunks', { ...info, key: 'bad-chunks', chunks: { train: 1e9, test: 1 } }, /chunks\.train is 1000000000, its \d+ images need \d+/],
    ['bad-name', { ...info, key: 'bad-name', name: 42 }, /name is not a string/],
    ['huge-split', { ...info, key: 'huge-split', height: 2048, width: 2048, train: 200 }, /its train split would need 2516582400 bytes/],
  ];
  for (const [k, m, why] of metas) {
    await put(`meta/${k}`, m);
    await assert.rejects(
      getCachedDatasetInfo(k),
      (e: unknown) => e instanceof DatasetCacheError && why.test(e.message) && !e.message.includes('\n'),
      k,
    );
    await assert.rejects(loadCachedDataset(k, null), (e: unknown) => e instanceof DatasetCacheError && why.test(e.message), k);
  }
  assert.deepEqual(
    (await listCachedDatasets()).map((d) => d.key),
    [key],
  );
  // An index that does not fit its description: names, labels out of range, a wrong type.
  const indexes: [Record<string, unknown>, RegExp][] = [
    [{ ...(index as object), trainNames: ['a'] }, /its train names are not \d+ names/],
    [{ ...(index as object), testClean: new Int32Array(info.test).fill(9) }, /its test label 0 is 9, not a class in \[0, 6\]/],
    [{ ...(index as object), trainClean: [1, 2, 3] }, /its train labels are not \d+ labels/],
  ];
  for (const [damaged, why] of indexes) {
    await put(`index/${key}`, damaged);
    await assert.rejects(loadCachedDataset(key, null), (e: unknown) => e instanceof DatasetCacheError && why.test(e.message));
  }
  await put(`index/${key}`, index);
  assert.equal((await loadCachedDataset(key, null)).dataset.train.labels.length, info.train);
});

// ---------------------------------------------------------------------------------------------
// Pixels in files (OPFS in the browser's workers), here files in memory with the same contract.

interface MemoryFiles extends PixelFiles {
  files: Map<string, { bytes: Uint8Array; lastModified: number }>;
}

/** PixelFiles in memory; `failAtWrite`: the n-th write (1-based) throws the browser's quota error. */
function memoryPixelFiles(failAtWrite = 0): MemoryFiles {
  const files = new Map<string, { bytes: Uint8Array; lastModified: number }>();
  let writes = 0;
  return {
    files,
    writable: true,
    async create(name) {
      const f = { bytes: new Uint8Array(0), lastModified: Date.now() };
      files.set(name, f);
      return {
        write(bytes, at) {
          if (++writes === failAtWrite) throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
          if (at + bytes.length > f.bytes.length) {
            const grown = new Uint8Array(at + bytes.length);
            grown.set(f.bytes);
            f.bytes = grown;
          }
          f.bytes.set(bytes, at);
          f.lastModified = Date.now();
        },
        close() {},
      };
    },
    async size(name) {
      return files.get(name)?.bytes.length ?? null;
    },
    async read(name, ranges, onRead) {
      const f = files.get(name);
      if (!f) throw new DOMException('not found', 'NotFoundError');
      for (const r of ranges) {
        const part = f.bytes.subarray(r.at, r.at + r.into.length);
        if (part.length !== r.into.length) throw new Error('short read');
        r.into.set(part);
        onRead?.(part.length);
      }
    },
    async remove(name) {
      files.delete(name);
    },
    async list() {
      return [...files].map(([name, f]) => ({ name, lastModified: f.lastModified }));
    },
  };
}

test('pixel files: store → load is byte-exact; the pixels are one file of train then test, no IndexedDB chunk', async () => {
  const mem = memoryPixelFiles();
  configureDatasetCache({ pixelFiles: mem });
  try {
    const { key, info, read } = await ingest(path.join(FX, 'clean'), { chunkImages: 8 });
    assert.ok(info.pixelFile?.startsWith(`${key}.`), info.pixelFile);
    assert.deepEqual([...mem.files.keys()], [info.pixelFile]);
    const bytes = mem.files.get(info.pixelFile!)!.bytes;
    assert.ok(Buffer.from(bytes).equals(Buffer.concat([read.dataset.train.images, read.dataset.test.images])));
    assert.deepEqual(
      (await keys(raw)).map(String).filter((k) => k.startsWith('chunk/')),
      [],
    );
    const seen: number[] = [];
    const loaded = await loadCachedDataset(key, null, (p) => seen.push(p.done));
    assert.deepEqual(loaded.dataset, read.dataset);
    assert.equal(seen.at(-1), bytes.length);
    assert.ok(seen.length >= 6, `${seen.length} progress reports`);
    // Stored again: the old file goes; deleted: the file goes.
    const again = await ingest(path.join(FX, 'clean'), { chunkImages: 8 });
    assert.deepEqual([...mem.files.keys()], [again.info.pixelFile]);
    await deleteCachedDataset(key);
    assert.equal(mem.files.size, 0);
    assert.deepEqual(await keys(raw), []);
  } finally {
    configureDatasetCache({ pixelFiles: null });
  }
});

test('pixel files: a quota error mid-file or a cancel leaves no file and no record', async () => {
  const mem = memoryPixelFiles(3);
  configureDatasetCache({ pixelFiles: mem, estimate: async () => ({ usage: 0, quota: 1e12 }) });
  try {
    await assert.rejects(
      ingest(path.join(FX, 'clean'), { chunkImages: 5 }),
      (e: unknown) => e instanceof DatasetCacheQuotaError && /needs about 1\.3 MB/.test(e.message),
    );
    assert.equal(mem.files.size, 0);
    assert.deepEqual(await keys(raw), []);
    await cancelledIngest();
    assert.equal(mem.files.size, 0);
    assert.deepEqual(await keys(raw), []);
  } finally {
    configureDatasetCache({ pixelFiles: null });
  }
});

test('pixel files: the sweep removes a dead write’s file, keeps a live write’s and complete datasets’; a damaged file is reported', async () => {
  const mem = memoryPixelFiles();
  configureDatasetCache({ pixelFiles: mem });
  try {
    const { key, info } = await ingest(path.join(FX, 'clean'));
    const now = Date.now() + 10 * 60_000;
    const old = now - 10 * 60_000;
    mem.files.set('rafdb-dead.x.rgb', { bytes: new Uint8Array(3), lastModified: old });
    mem.files.set('rafdb-busy.y.rgb', { bytes: new Uint8Array(3), lastModified: old });
    await set('pending/rafdb-busy', { updatedAt: now - 1000, pixelFile: 'rafdb-busy.y.rgb' }, raw);
    mem.files.set('rafdb-new.z.rgb', { bytes: new Uint8Array(3), lastModified: now - 1000 });
    mem.files.get(info.pixelFile!)!.lastModified = old;
    assert.deepEqual(await sweepIncomplete(now), ['rafdb-dead']);
    assert.deepEqual([...mem.files.keys()].sort(), [info.pixelFile, 'rafdb-busy.y.rgb', 'rafdb-new.z.rgb'].sort());

    const f = mem.files.get(info.pixelFile!)!;
    f.bytes = f.bytes.slice(0, f.bytes.length - 1);
    await assert.rejects(
      loadCachedDataset(key, null),
      /damaged \(its pixel file has \d+ bytes, not \d+\): delete it and choose the folder again/,
    );
    mem.files.delete(info.pixelFile!);
    await assert.rejects(loadCachedDataset(key, null), /damaged \(its pixel file is gone\)/);
  } finally {
    configureDatasetCache({ pixelFiles: null });
  }
});

test('streamed: readRafDb hands each chunk to the cache as it fills; loaded back = readRafDb in memory (IndexedDB chunks and files)', async () => {
  const dir = path.join(FX, 'messy');
  const inMemory = await readRafDb(fileListFs(filesOnDisk(dir)), '');
  for (const files of [null, memoryPixelFiles()]) {
    configureDatasetCache({ pixelFiles: files });
    try {
      const fs = fileListFs(filesOnDisk(dir));
      const listing = await folderListing(fs);
      const key = await datasetKey(listing.entries);
      const write = await beginDatasetWrite({
        key,
        height: 100,
        width: 100,
        expectedBytes: listing.entries.length * 30064,
        chunkImages: 4,
      });
      const firsts: string[] = [];
      const sink = write.sink;
      const streamed = await readRafDb(fs, listing.root, {
        sink: {
          chunkImages: sink.chunkImages,
          write: (split, images, first) => (firsts.push(`${split}${first}`), sink.write(split, images, first)),
        },
      });
      assert.equal(streamed.dataset.train.images.length, 0, 'the reader keeps no pixels');
      assert.deepEqual(firsts, ['train0', 'train4', 'train8', 'train12', 'train16', 'test0', 'test4']);
      // Misuse is refused: a chunk out of order, a finish that does not match what was written.
      await assert.rejects(sink.write('train', new Uint8Array(30000), 0), /out of order/);
      const labelTexts = await readLabelTexts(fs, listing.emoLabel);
      const short = { ...streamed.dataset, test: { ...streamed.dataset.test, names: streamed.dataset.test.names.slice(1) } };
      await assert.rejects(write.finish({ dataset: short, report: streamed.report, labelTexts, source: 'messy' }), /write incomplete/);
      const info = await write.finish({ dataset: streamed.dataset, report: streamed.report, labelTexts, source: 'messy' });
      assert.equal(Boolean(info.pixelFile), files !== null);
      const loaded = await loadCachedDataset(key, null);
      assert.deepEqual(loaded.dataset, inMemory.dataset);
      await deleteCachedDataset(key);
    } finally {
      configureDatasetCache({ pixelFiles: null });
    }
  }
});
