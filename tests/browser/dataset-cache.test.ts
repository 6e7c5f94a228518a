// The dataset cache in Chromium, with a profile on disk as a user's: a module worker reads the
// clean RAF-DB fixture, stores it (pixels in an OPFS file, written through a sync handle) and loads
// it back byte for byte, equal to Node's readRafDb; the page, which may read and remove OPFS files
// but not write them, lists the dataset and deletes it, file included.
//
//   node --import tsx --test tests/browser/dataset-cache.test.ts
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { nodeFolderFs } from '../../src/cli/dataset.ts';
import { initJpegDecoderNode } from '../../src/data/jpeg-node.ts';
import { readRafDb } from '../../src/data/rafdb.ts';
import type { CachePageReport } from './dataset-cache-page.ts';
import { launchChromiumWithProfile, ROOT, serveDev, watchPage, type Served } from './harness.ts';

const FIXTURES = path.join(ROOT, 'tests/fixtures/rafdb');
const CLEAN = path.join(FIXTURES, 'clean');
let served: Served;

before(async () => {
  await initJpegDecoderNode();
  served = await serveDev();
});

after(async () => {
  await served?.close();
});

function filesBelow(dir: string): string[] {
  const out: string[] = [];
  for (const n of readdirSync(dir).sort()) {
    const p = path.join(dir, n);
    if (statSync(p).isDirectory()) out.push(...filesBelow(p));
    else out.push(path.relative(FIXTURES, p));
  }
  return out;
}

test('dataset cache in Chromium: pixels stored in an OPFS file by a worker, loaded back byte-exact, deleted from the page', {
  timeout: 180_000,
}, async () => {
  const { dataset } = await readRafDb(nodeFolderFs, CLEAN);
  const nodeHash = createHash('sha256').update(dataset.train.images).update(dataset.test.images).digest('hex');
  const profile = mkdtempSync(path.join(tmpdir(), 'eac-cache-profile-'));
  const context = await launchChromiumWithProfile(profile, { webgpu: false });
  try {
    const page = await context.newPage();
    const watch = watchPage(page, served.url);
    await page.goto(new URL(`tests/browser/dataset-cache.html?files=${filesBelow(CLEAN).join(',')}`, served.url).href);
    await page.waitForFunction(() => window.__cache?.done === true, null, { timeout: 150_000, polling: 200 });
    const r = (await page.evaluate(() => window.__cache)) as CachePageReport;
    assert.equal(r.error, null, `the page failed: ${r.error}\n${watch.log.slice(-20).join('\n')}`);
    const w = r.worker!;
    assert.equal(w.writable, true, 'a worker writes OPFS files');
    assert.ok(w.pixelFile?.startsWith(`${w.key}.`), `pixel file ${w.pixelFile}`);
    assert.deepEqual(w.filesAfterStore, [w.pixelFile]);
    assert.equal(w.readHash, nodeHash, "Chromium's readRafDb = Node's");
    assert.equal(w.loadedHash, nodeHash, 'loaded from the OPFS file = as read');
    assert.deepEqual(w.loadedNames, [...dataset.train.names, ...dataset.test.names]);
    assert.ok(w.progressReports >= 6, `${w.progressReports} load progress reports (8 images a read)`);
    assert.deepEqual(r.listed, [w.key]);
    assert.equal(r.pageWritable, false, 'the page has no sync handles: it never writes pixel files');
    assert.deepEqual(r.filesAfterDelete, [], 'deleting from the page removes the file');
    assert.deepEqual(watch.foreign, []);
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
});
