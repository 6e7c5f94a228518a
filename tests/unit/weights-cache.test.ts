// The weights cache (src/storage/weights-cache.ts) in Node on fake-indexeddb: store / list / find /
// load round trips value by value against loadWeights of the fixtures, the per-seed head of a
// dropped head, rename, delete, and the failure paths (quota, a write failing half-way, a cancel)
// that must leave the older entries as they were and nothing half-written; then the whole import
// (src/storage/weights-import.ts) from a File: progress, the cache hit, refusals and cancelling.
//
//   node --import tsx --test tests/unit/weights-cache.test.ts
import 'fake-indexeddb/auto';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createStore, keys, type UseStore } from 'idb-keyval';
import { bytesText } from '../../src/engine/format.ts';
import {
  deleteCachedWeights,
  findCachedWeights,
  hashBytes,
  isQuotaError,
  listCachedWeights,
  loadCachedWeights,
  pruneOrphanTensors,
  renameCachedWeights,
  storeWeights,
  WeightsCacheError,
  type StoreWeightsInput,
} from '../../src/storage/weights-cache.ts';
import { loadWeights } from '../../src/weights/load.ts';
import { exportModelSafetensors } from '../../src/weights/export.ts';
import { describeImportError, importWeightsFile, type ImportProgress } from '../../src/storage/weights-import.ts';
import { get, set } from 'idb-keyval';
import { readSafetensors } from '../../src/weights/safetensors.ts';

const dir = new URL('../fixtures/weights/', import.meta.url).pathname;
const SAFE = 'resnet18_w4_h7.safetensors';
const PKL = 'resnet50_caffe_w2_h10_p4.pkl';

let dbCount = 0;
const freshStore = () => createStore(`eac-weights-test-${++dbCount}`, 'weights');

async function inputOf(file: string, seed = 0): Promise<StoreWeightsInput> {
  const bytes = new Uint8Array(readFileSync(dir + file));
  const w = loadWeights(bytes, { fileName: file, seed });
  return {
    hash: await hashBytes(bytes),
    sourceFile: file,
    bytes: bytes.length,
    format: w.format,
    spec: w.spec,
    values: w.values,
    report: w.report,
  };
}

function assertSameValues(got: Map<string, Float32Array>, want: Map<string, Float32Array>, where: string): void {
  assert.deepEqual([...got.keys()], [...want.keys()], `${where}: keys`);
  for (const [k, v] of want) {
    const g = got.get(k)!;
    assert.equal(g.length, v.length, `${where}: ${k} length`);
    for (let i = 0; i < v.length; i++) if (!Object.is(g[i], v[i])) assert.fail(`${where}: ${k}[${i}] = ${g[i]}, expected ${v[i]}`);
  }
}

/** navigator.storage.estimate() as a browser would answer (Node 20 has no navigator). */
function fakeEstimate(usage: number, quota: number): () => void {
  const had = Object.getOwnPropertyDescriptor(globalThis, 'navigator');
  Object.defineProperty(globalThis, 'navigator', {
    value: { storage: { estimate: async () => ({ usage, quota }) } },
    configurable: true,
    writable: true,
  });
  return () => {
    if (had) Object.defineProperty(globalThis, 'navigator', had);
    else delete (globalThis as { navigator?: unknown }).navigator;
  };
}

/** The store, with IDBObjectStore.put replaced on the n-th call (1-based) of each transaction. */
function storeWithPut(real: UseStore, onPut: (n: number, os: IDBObjectStore) => void): UseStore {
  return (mode, callback) =>
    real(mode, (os) => {
      let n = 0;
      const proxy = new Proxy(os, {
        get(target, prop) {
          if (prop === 'put') {
            return (value: unknown, key?: IDBValidKey) => {
              onPut(++n, target);
              return target.put(value, key);
            };
          }
          const v = Reflect.get(target, prop, target);
          return typeof v === 'function' ? v.bind(target) : v;
        },
      });
      return callback(proxy);
    });
}

const quota = () => new DOMException('The quota has been exceeded.', 'QuotaExceededError');

test('hashBytes is SHA-256 in hex', async () => {
  assert.equal(await hashBytes(new TextEncoder().encode('abc')), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
});

test('store, list, find and load a safetensors import: values equal loadWeights value by value', async () => {
  const store = freshStore();
  const input = await inputOf(SAFE);
  assert.equal(await findCachedWeights(input.hash, store), undefined);
  const rec = await storeWeights(input, { store });
  assert.equal(rec.key, input.hash);
  assert.equal(rec.name, SAFE);
  assert.equal(rec.sourceFile, SAFE);
  assert.equal(rec.bytes, readFileSync(dir + SAFE).length);
  assert.equal(rec.format, 'safetensors');
  assert.equal(rec.arch, 'resnet18');
  assert.equal(rec.layout, 'resnet18');
  assert.equal(rec.width, 4);
  assert.equal(rec.headClasses, 7);
  assert.equal(rec.head, 'loaded');
  assert.deepEqual([rec.report.missing, rec.report.unexpected, rec.report.mismatched], [0, 0, 0]);
  const floats = [...input.values.values()].reduce((a, v) => a + v.length, 0);
  assert.ok(
    rec.storedBytes > 4 * floats && rec.storedBytes < 4 * floats + 64 * 1024,
    `storedBytes ${rec.storedBytes} for ${floats} floats`,
  );
  assert.ok(!Number.isNaN(Date.parse(rec.importedAt)));

  assert.deepEqual(await listCachedWeights(store), [rec]);
  assert.deepEqual(await findCachedWeights(input.hash, store), rec);
  const loaded = await loadCachedWeights(input.hash, 123, store);
  assert.deepEqual(loaded.record, rec);
  assert.deepEqual(loaded.spec, input.spec);
  // A loaded 7-way head is the file's, whatever the seed.
  assertSameValues(loaded.values, input.values, SAFE);

  // Storing the same file again keeps the first record (a second import is a lookup).
  const again = await storeWeights({ ...input, name: 'other name' }, { store });
  assert.deepEqual(again, rec);
  assert.equal((await listCachedWeights(store)).length, 1);
});

test('a pickle with a dropped 10-way head: backbone cached, 7-class head drawn again per seed as the CLI does', async () => {
  const store = freshStore();
  const input = await inputOf(PKL, 0);
  const rec = await storeWeights(input, { store });
  assert.equal(rec.format, 'pickle');
  assert.equal(rec.arch, 'resnet50');
  assert.equal(rec.layout, 'resnet50-caffe');
  assert.equal(rec.width, 2);
  assert.equal(rec.headClasses, 10);
  assert.equal(rec.head, 'initialised');
  assert.ok(
    rec.report.notes.some((n) => n.includes('10-way head')),
    rec.report.notes.join(' | '),
  );
  for (const seed of [0, 7]) {
    const want = loadWeights(new Uint8Array(readFileSync(dir + PKL)), { fileName: PKL, seed }).values;
    assertSameValues((await loadCachedWeights(rec.key, seed, store)).values, want, `${PKL} seed ${seed}`);
  }
  const h0 = (await loadCachedWeights(rec.key, 0, store)).values.get('fc.weight')!;
  const h7 = (await loadCachedWeights(rec.key, 7, store)).values.get('fc.weight')!;
  assert.notDeepEqual(Array.from(h0), Array.from(h7));
});

test('list (newest first), rename, delete', async () => {
  const store = freshStore();
  const a = await storeWeights(await inputOf(SAFE), { store });
  await new Promise((r) => setTimeout(r, 5));
  const b = await storeWeights(await inputOf(PKL), { store });
  assert.deepEqual(
    (await listCachedWeights(store)).map((r) => r.key),
    [b.key, a.key],
  );

  const renamed = await renameCachedWeights(a.key, '  MS-Celeb ResNet-18  ', store);
  assert.equal(renamed.name, 'MS-Celeb ResNet-18');
  assert.equal((await findCachedWeights(a.key, store))!.name, 'MS-Celeb ResNet-18');
  assert.equal((await loadCachedWeights(a.key, 0, store)).record.name, 'MS-Celeb ResNet-18');
  await assert.rejects(
    renameCachedWeights(a.key, '   ', store),
    (e: unknown) => e instanceof WeightsCacheError && e.kind === 'input' && /cannot be empty/.test(e.message),
  );
  await assert.rejects(
    renameCachedWeights('f'.repeat(64), 'x', store),
    (e: unknown) => e instanceof WeightsCacheError && e.kind === 'missing',
  );
  // A rename of a missing key must not create a record.
  assert.equal((await listCachedWeights(store)).length, 2);

  await deleteCachedWeights(a.key, store);
  assert.deepEqual(
    (await listCachedWeights(store)).map((r) => r.key),
    [b.key],
  );
  assert.equal(await findCachedWeights(a.key, store), undefined);
  assert.deepEqual(
    (await keys(store)).map(String).filter((k) => k.includes(a.key)),
    [],
  );
  await assert.rejects(
    loadCachedWeights(a.key, 0, store),
    (e: unknown) => e instanceof WeightsCacheError && e.kind === 'missing' && /import the file again/.test(e.message),
  );
  // The other entry is untouched.
  assertSameValues((await loadCachedWeights(b.key, 0, store)).values, (await inputOf(PKL, 0)).values, 'after delete');
});

test('quota exceeded on the tensors write: a clear error naming the MB needed and available, old entries intact, nothing half-written', async () => {
  const real = freshStore();
  const old = await storeWeights(await inputOf(SAFE), { store: real });
  const input = await inputOf(PKL);
  const restore = fakeEstimate(50e6, 60.5e6);
  try {
    const failing = storeWithPut(real, () => {
      throw quota();
    });
    let err: unknown;
    await storeWeights(input, { store: failing }).catch((e) => (err = e));
    assert.ok(err instanceof WeightsCacheError, String(err));
    assert.equal(err.kind, 'quota');
    const needed = err.neededBytes!;
    const floats = [...input.values.values()].reduce((a, v) => a + v.length, 0);
    assert.ok(needed >= 4 * floats, `needed ${needed}`);
    assert.equal(err.availableBytes, 10.5e6);
    assert.match(
      err.message,
      new RegExp(
        `^not enough browser storage to cache "${PKL.replace(/\./g, '\\.')}": it needs ${bytesText(needed).replace('.', '\\.')} and 10\\.5 MB are available \\(50 MB of 60\\.5 MB used\\)\\.`,
      ),
    );
    assert.match(err.message, /the cache was left as it was/);
  } finally {
    restore();
  }
  assert.deepEqual(await listCachedWeights(real), [old]);
  assert.deepEqual(
    (await keys(real)).map(String).filter((k) => k.includes(input.hash)),
    [],
  );
  assertSameValues((await loadCachedWeights(old.key, 0, real)).values, (await inputOf(SAFE)).values, 'old entry');
});

test('quota exceeded on the metadata write, after the tensors went in: the tensors are removed again', async () => {
  const real = freshStore();
  const old = await storeWeights(await inputOf(SAFE), { store: real });
  const input = await inputOf(PKL);
  // No navigator.storage: the message says the browser does not tell.
  const failing = storeWithPut(real, (n) => {
    if (n === 2) throw quota();
  });
  await assert.rejects(
    storeWeights(input, { store: failing }),
    (e: unknown) =>
      e instanceof WeightsCacheError &&
      e.kind === 'quota' &&
      /it needs [\d.]+ [kMG]B and the browser does not say how much is available/.test(e.message),
  );
  assert.deepEqual(
    (await keys(real)).map(String).filter((k) => k.includes(input.hash)),
    [],
  );
  assert.deepEqual(await listCachedWeights(real), [old]);
});

test('a quota error reported as the aborted transaction (AbortError / wrapped) is recognised', () => {
  assert.ok(isQuotaError(quota()));
  assert.ok(isQuotaError(new DOMException('Transaction aborted: Quota exceeded', 'AbortError')));
  assert.ok(isQuotaError({ name: 'AbortError', message: 'aborted', error: quota() }));
  assert.ok(isQuotaError(new Error('write failed', { cause: quota() })));
  assert.ok(!isQuotaError(new DOMException('The transaction was aborted', 'AbortError')));
  assert.ok(!isQuotaError(new Error('something else')));
  assert.ok(!isQuotaError(null));
});

test("another storage failure: a WeightsCacheError of kind storage with the browser's words, nothing stored", async () => {
  const real = freshStore();
  const input = await inputOf(SAFE);
  const failing = storeWithPut(real, () => {
    throw new DOMException('disk I/O went away', 'UnknownError');
  });
  await assert.rejects(
    storeWeights(input, { store: failing }),
    (e: unknown) =>
      e instanceof WeightsCacheError &&
      e.kind === 'storage' &&
      e.message === `could not cache "${SAFE}" in the browser: UnknownError: disk I/O went away`,
  );
  assert.deepEqual(await keys(real), []);
});

test('cancelled before or during the write: nothing stays stored', async () => {
  const real = freshStore();
  const input = await inputOf(SAFE);
  const before = new AbortController();
  before.abort(new Error('cancelled by the user'));
  await assert.rejects(storeWeights(input, { store: real, signal: before.signal }), /cancelled by the user/);
  assert.deepEqual(await keys(real), []);
  const during = new AbortController();
  const aborting = storeWithPut(real, () => during.abort(new Error('cancelled mid-write')));
  await assert.rejects(storeWeights(input, { store: aborting, signal: during.signal }), /cancelled mid-write/);
  assert.deepEqual(await keys(real), []);
});

test('damaged or orphaned cache entries: a clear error, and orphans are pruned', async () => {
  const store = freshStore();
  const rec = await storeWeights(await inputOf(SAFE), { store });
  await set(`tensors:${rec.key}`, new Blob([new Uint8Array([1, 2, 3])]), store);
  await assert.rejects(
    loadCachedWeights(rec.key, 0, store),
    (e: unknown) =>
      e instanceof WeightsCacheError &&
      e.kind === 'corrupt' &&
      e.message.startsWith(`the cached weights "${SAFE}" are damaged (not a valid safetensors file: only 3 bytes)`),
  );
  await set('tensors:orphan', new Blob([new Uint8Array(8)]), store);
  assert.equal(await pruneOrphanTensors(store), 1);
  assert.deepEqual((await keys(store)).map(String).sort(), [`meta:${rec.key}`, `tensors:${rec.key}`]);
});

const fileOf = (name: string) => new File([readFileSync(dir + name)], name);

test('import a File: chunked reading with progress, then every stage; a second import of the same bytes is a cache hit', async () => {
  const store = freshStore();
  const events: ImportProgress[] = [];
  const first = await importWeightsFile(fileOf(PKL), PKL, { store, progressIntervalMs: 0, onProgress: (p) => events.push(p) });
  assert.equal(first.cached, false);
  assert.equal(first.record.sourceFile, PKL);
  assert.equal(first.report!.headClasses, 10);
  // Hashed chunk by chunk while read: the same key as hashBytes of the whole file.
  assert.equal(first.record.key, await hashBytes(new Uint8Array(readFileSync(dir + PKL))));
  const size = readFileSync(dir + PKL).length;
  const reads = events.filter((e) => e.stage === 'read');
  assert.ok(reads.length >= 3, `${reads.length} read events`);
  assert.deepEqual(
    reads.map((e) => e.done),
    [...reads.map((e) => e.done)].sort((a, b) => a - b),
  );
  assert.equal(reads.at(-1)!.done, size);
  assert.ok(reads.every((e) => e.total === size));
  const stages = [...new Set(events.map((e) => e.stage))];
  assert.deepEqual(stages, ['read', 'hash', 'lookup', 'parse', 'map', 'store']);
  assert.deepEqual(Object.keys(first.timings).sort(), ['hash', 'lookup', 'map', 'parse', 'read', 'store']);
  assertSameValues((await loadCachedWeights(first.record.key, 3, store)).values, (await inputOf(PKL, 3)).values, 'imported');

  const seen: string[] = [];
  const second = await importWeightsFile(fileOf(PKL), 'renamed copy.pkl', { store, onProgress: (p) => seen.push(p.stage) });
  assert.equal(second.cached, true);
  assert.deepEqual(second.record, first.record);
  assert.equal(second.report, null);
  assert.ok(!seen.includes('parse') && !seen.includes('store'), seen.join(','));
  assert.equal((await listCachedWeights(store)).length, 1);
});

test("import refusals keep the readers' wording and store nothing", async () => {
  const store = freshStore();
  const cases: [string, { arch?: 'resnet50' | 'resnet18' }, RegExp][] = [
    ['hostile_os_system.pkl', {}, /^refused: the pickle references os\.system, which is not a tensor or array constructor$/],
    ['random_bytes.bin', {}, /^unrecognised weight file: not a torch\.save zip, a pickle or a safetensors file \(first bytes /],
    ['truncated.safetensors', {}, /^safetensors: not a valid safetensors file: /],
    [SAFE, { arch: 'resnet50' }, /^weights: the file holds a resnet18, but --arch resnet50 was asked for$/],
  ];
  for (const [name, opts, pattern] of cases) {
    const f = fileOf(name);
    let err: unknown;
    await importWeightsFile(f, name, { store, ...opts }).catch((e) => (err = e));
    assert.ok(err, `${name}: no error`);
    const d = describeImportError(err, name, f.size);
    assert.equal(d.kind, 'refused', `${name}: ${d.message}`);
    assert.match(d.message, pattern);
  }
  assert.deepEqual(await keys(store), []);
});

test('cancel while reading (between chunks) or at a later stage: the import stops and stores nothing', async () => {
  const store = freshStore();
  // A 4 MB file in 64 kB parts (Node streams a Blob part by part; a browser reads a file in chunks).
  const big = new Uint8Array(4 << 20);
  big.set(readFileSync(dir + SAFE));
  const parts = Array.from({ length: 64 }, (_, i) => big.subarray(i << 16, (i + 1) << 16));
  const file = new File(parts, 'big.safetensors');
  const c1 = new AbortController();
  let lastRead = 0;
  await assert.rejects(
    importWeightsFile(file, file.name, {
      store,
      signal: c1.signal,
      progressIntervalMs: 0,
      onProgress: (p) => {
        if (p.stage === 'read') lastRead = p.done;
        if (p.stage === 'read' && p.done > 0) c1.abort(new Error('user cancel'));
      },
    }),
    /user cancel/,
  );
  assert.ok(lastRead > 0 && lastRead < big.length, `stopped after ${lastRead} of ${big.length} bytes`);
  for (const at of ['hash', 'parse', 'store'] as const) {
    const c = new AbortController();
    await assert.rejects(
      importWeightsFile(fileOf(PKL), PKL, {
        store,
        signal: c.signal,
        onProgress: (p) => {
          if (p.stage === at) c.abort(new Error(`cancel at ${at}`));
        },
      }),
      new RegExp(`cancel at ${at}`),
    );
  }
  assert.deepEqual(await keys(store), []);
});

test('the lab re-imports its own exports: a model exported with the official key names comes back value by value', async () => {
  const store = freshStore();
  const src = loadWeights(new Uint8Array(readFileSync(dir + SAFE)), { fileName: SAFE });
  const { arch, width } = src.spec.config;
  const exported = exportModelSafetensors(arch, width, src.values, { epoch: '3' });
  const file = new Blob([exported as Uint8Array<ArrayBuffer>]);
  const r = await importWeightsFile(file, 'eac-run.safetensors', { store });
  assert.equal(r.record.arch, src.report.arch);
  assert.equal(r.record.width, width);
  assert.equal(r.record.head, 'loaded', 'the 7-class head of an export is loaded, not re-drawn');
  assert.equal(r.report?.keyStyle, 'official-eac');
  const back = await loadCachedWeights(r.record.key, 5, store);
  assertSameValues(back.values, src.values, 'export → import → cache → load');
});

test('a damaged cached record is left out of the list and refused by the loader; a NaN in its tensors too', async () => {
  const store = freshStore();
  const good = await storeWeights(await inputOf(SAFE), { store });
  const damaged: [string, Record<string, unknown>, RegExp][] = [
    ['a'.repeat(64), { ...good, key: 'a'.repeat(64), width: 1e9 }, /width is not an integer in \[1, 1024\]/],
    ['b'.repeat(64), { ...good, key: 'b'.repeat(64), importedAt: 7 }, /importedAt is not a string/],
    ['c'.repeat(64), { ...good, key: 'c'.repeat(64), arch: 'vgg' }, /arch is not resnet18 or resnet50/],
  ];
  const blob = await get(`tensors:${good.key}`, store);
  for (const [key, meta] of damaged) {
    await set(`meta:${key}`, meta, store);
    await set(`tensors:${key}`, blob, store);
  }
  assert.deepEqual(
    (await listCachedWeights(store)).map((r) => r.key),
    [good.key],
  );
  for (const [key, , why] of damaged)
    await assert.rejects(
      loadCachedWeights(key, 0, store),
      (e: unknown) => e instanceof WeightsCacheError && e.kind === 'corrupt' && why.test(e.message),
    );
  // The tensors edited in place: a NaN weight, a negative running variance.
  const bytes = new Uint8Array(await (blob as Blob).arrayBuffer());
  for (const [name, value, why] of [
    ['conv1.weight', Number.NaN, /conv1\.weight holds a non-finite value \(NaN at index 0\)/],
    ['bn1.running_var', -1, /bn1\.running_var holds a negative running variance/],
  ] as const) {
    const copy = bytes.slice();
    const t = readSafetensors(copy).tensors.get(name)!;
    new DataView(t.bytes.buffer, t.bytes.byteOffset, 4).setFloat32(0, value, true);
    await set(`tensors:${good.key}`, new Blob([copy]), store);
    await assert.rejects(
      loadCachedWeights(good.key, 0, store),
      (e: unknown) => e instanceof WeightsCacheError && why.test(e.message),
      name,
    );
  }
});
