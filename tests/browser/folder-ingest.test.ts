// The "Data" step on the built app in headless Chromium: a RAF-DB folder through the
// <input webkitdirectory> (the picker's fallback), real folder drops (DevTools' drag events carry
// a directory from disk: the FileSystemHandle path, then the webkitGetAsEntry walk with handles
// switched off), drops of loose files and of a zip (clear errors), cancel, and the dataset cache across a
// reload (listed and selectable without reading the folder again; delete).
//
//   node --import tsx --test tests/browser/folder-ingest.test.ts
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { docScreenshotPath, launchChromium, ROOT, screenshotPath, serveBuilt, watchPage, type Served } from './harness.ts';
import { CLASS_NAMES } from '../../src/engine/dataset.ts';
import { MESSY } from '../../tools/fixtures/make-rafdb-fixture.ts';

const FX = path.join(ROOT, 'tests/fixtures/rafdb');
const CLEAN = path.join(FX, 'clean');
const MESSY_DIR = path.join(FX, 'messy');
/** A folder big enough that cancelling lands mid-way: one fixture JPEG copied under many names. */
const MANY = path.join(ROOT, '.tmp/folder-ingest-many');
const MANY_COUNT = 4000;

let served: Served;

before(async () => {
  served = await serveBuilt(path.join(ROOT, '.tmp/dist-folder-ingest'));
  if (!existsSync(path.join(MANY, 'basic/EmoLabel/list_patition_label.txt'))) {
    const aligned = path.join(MANY, 'basic/Image/aligned');
    mkdirSync(aligned, { recursive: true });
    mkdirSync(path.join(MANY, 'basic/EmoLabel'), { recursive: true });
    const jpg = path.join(CLEAN, 'RAF-DB/basic/Image/aligned/train_00001_aligned.jpg');
    const lines: string[] = [];
    for (let i = 1; i <= MANY_COUNT; i++) {
      const name = i <= MANY_COUNT - 100 ? `train_${String(i).padStart(5, '0')}` : `test_${String(i).padStart(4, '0')}`;
      copyFileSync(jpg, path.join(aligned, `${name}_aligned.jpg`));
      lines.push(`${name}.jpg ${(i % 7) + 1}`);
    }
    writeFileSync(path.join(MANY, 'basic/EmoLabel/list_patition_label.txt'), lines.join('\n') + '\n');
  }
});

after(async () => {
  await served?.close();
});

/** Per-class counts of a label file (clean file, labels 1..7), by split. */
function countsOf(file: string): { train: number[]; test: number[] } {
  const out = { train: new Array<number>(7).fill(0), test: new Array<number>(7).fill(0) };
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const [name, label] = line.trim().split(/\s+/);
    if (!name || !label) continue;
    out[name.startsWith('train_') ? 'train' : 'test'][Number(label) - 1]++;
  }
  return out;
}

async function text(page: Page, testId: string): Promise<string> {
  return ((await page.getByTestId(testId).first().textContent()) ?? '').trim();
}

/** The id of the latest ingest the page started (0: none). */
async function ingestId(page: Page): Promise<number> {
  return Number(await page.getByTestId('ingest').getAttribute('data-ingest-id'));
}

/** Waits until an ingest later than `after` finished (done, error or cancelled); returns which. */
async function ingestEnd(page: Page, after: number): Promise<'done' | 'error' | 'cancelled'> {
  const handle = await page.waitForFunction(
    (prev) => {
      const el = document.querySelector('[data-testid="ingest"]');
      const status = el?.getAttribute('data-status') ?? '';
      return Number(el?.getAttribute('data-ingest-id')) > prev && ['done', 'error', 'cancelled'].includes(status) ? status : null;
    },
    after,
    { timeout: 120_000, polling: 100 },
  );
  return (await handle.jsonValue()) as 'done' | 'error' | 'cancelled';
}

/** A real drop of a folder from disk on the drop zone (DevTools' Input.dispatchDragEvent). */
async function dropFolder(page: Page, dir: string): Promise<void> {
  const zone = page.getByTestId('dropzone');
  await zone.scrollIntoViewIfNeeded();
  const box = (await zone.boundingBox())!;
  const x = box.x + box.width / 2;
  const y = box.y + box.height / 2;
  const cdp = await page.context().newCDPSession(page);
  const data = { items: [], files: [dir], dragOperationsMask: 1 };
  for (const type of ['dragEnter', 'dragOver', 'drop'] as const) await cdp.send('Input.dispatchDragEvent', { type, x, y, data });
  await cdp.detach();
}

async function assertCounts(page: Page, counts: { train: number[]; test: number[] }): Promise<void> {
  for (const [i, c] of CLASS_NAMES.entries()) {
    assert.equal(await text(page, `count-train-${c}`), String(counts.train[i]), `train ${c}`);
    assert.equal(await text(page, `count-test-${c}`), String(counts.test[i]), `test ${c}`);
  }
}

async function assertMessyReport(page: Page): Promise<void> {
  const train = MESSY.trainNames - MESSY.missing.length - Object.keys(MESSY.unreadable).filter((n) => n.startsWith('train_')).length;
  const test = MESSY.testNames - Object.keys(MESSY.unreadable).filter((n) => n.startsWith('test_')).length;
  assert.equal(await text(page, 'report-train'), String(train));
  assert.equal(await text(page, 'report-test'), String(test));
  assert.equal(await page.getByTestId('skip-missing').getAttribute('data-count'), '1');
  await page.getByTestId('skip-missing').locator('summary').click();
  assert.match(await text(page, 'skip-missing'), /train_00014\.jpg/);
  const unreadable = page.getByTestId('skip-unreadable');
  assert.equal(await unreadable.getAttribute('data-count'), String(Object.keys(MESSY.unreadable).length));
  await unreadable.locator('summary').click();
  const u = await text(page, 'skip-unreadable');
  for (const [name, reason] of Object.entries(MESSY.unreadable)) assert.ok(u.includes(`${name}: ${reason}`), `${name}: ${reason} in ${u}`);
  const bad = page.getByTestId('skip-badlines');
  assert.equal(await bad.getAttribute('data-count'), '7');
  await bad.locator('summary').click();
  const b = await text(page, 'skip-badlines');
  assert.match(b, /label "0" is not an integer 1\.\.7/);
  assert.match(b, /duplicate name train_00001\.jpg/);
  assert.match(b, /expected 2 fields \(name label\), got 1/);
  assert.equal(await page.getByTestId('skip-resized').getAttribute('data-count'), '1');
  assert.match(
    await text(page, 'unlabelled'),
    /^1 image file in Image\/aligned\/ is not named in any label file, so it is ignored: train_09999/,
  );
  // noise01.txt is offered with its measured noise (6 of the 21 rows it labels that have clean training names).
  const options = await page.getByTestId('label-file').locator('option').allTextContents();
  assert.deepEqual(options.length, 2);
  assert.match(options[0], /^clean labels \(list_patition_label\.txt\)$/);
  assert.match(options[1], /^noise01\.txt: \d+\.\d% noise \(6 changed\)$/);
}

test('the Data step: directory input, folder drops (handles, entries), loose files, cancel, the cache across a reload, delete', {
  timeout: 600_000,
}, async () => {
  const browser = await launchChromium({ webgpu: false });
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
    const page = await context.newPage();
    const watch = watchPage(page, served.url);
    const ingestWorkers: string[] = [];
    page.on('worker', (w) => {
      if (w.url().includes('ingest')) ingestWorkers.push(w.url());
    });
    await page.goto(served.url);
    await page.getByTestId('data-panel').waitFor();
    assert.equal(await page.getByTestId('use-demo').getAttribute('aria-pressed'), 'true', 'the demo is selected by default');
    await page.getByTestId('no-cached').waitFor();
    assert.equal(ingestWorkers.length, 0, 'no ingest worker before a folder is given');

    // (a) <input webkitdirectory>: the RAF-DB parent folder.
    let prev = await ingestId(page);
    await page.getByTestId('folder-input').setInputFiles(CLEAN);
    assert.equal(await ingestEnd(page, prev), 'done', await text(page, 'data-panel'));
    assert.equal(await page.getByTestId('ingest-done').getAttribute('data-from-cache'), 'false');
    assert.equal(await text(page, 'report-train'), '28');
    assert.equal(await text(page, 'report-test'), '14');
    await assertCounts(page, countsOf(path.join(CLEAN, 'RAF-DB/basic/EmoLabel/list_patition_label.txt')));
    assert.equal(await text(page, 'skip-summary'), 'Nothing skipped.');
    assert.equal(await page.getByTestId('use-demo').getAttribute('aria-pressed'), 'false');
    assert.equal(await page.getByTestId('cached-dataset').count(), 1);
    const cleanKey = (await page.getByTestId('cached-dataset').getAttribute('data-key'))!;
    assert.match(cleanKey, /^rafdb-[0-9a-f]{32}$/);
    assert.equal(await page.getByTestId('cached-dataset').getAttribute('data-selected'), 'true');
    // The same folder again: answered from the cache.
    prev = await ingestId(page);
    await page.getByTestId('folder-input').setInputFiles(CLEAN);
    assert.equal(await ingestEnd(page, prev), 'done');
    assert.equal(await page.getByTestId('ingest-done').getAttribute('data-from-cache'), 'true');
    assert.equal(await page.getByTestId('cached-dataset').count(), 1);

    // (b) A real folder drop: Chromium gives FileSystemHandles, read in the worker.
    prev = await ingestId(page);
    await dropFolder(page, MESSY_DIR);
    assert.equal(await ingestEnd(page, prev), 'done', await text(page, 'data-panel'));
    assert.equal(await page.getByTestId('ingest-done').getAttribute('data-from-cache'), 'false');
    assert.equal(await page.getByTestId('cached-dataset').count(), 2);
    const messyKey = (await page.getByTestId('dataset-report').getAttribute('data-key'))!;
    assert.notEqual(messyKey, cleanKey);
    await assertMessyReport(page);
    await page.getByTestId('label-file').selectOption('noise01.txt');
    // The chosen file's labels are trained on as they are: the synthetic-noise field is off.
    assert.equal(await page.getByTestId('setting-noiseRate').isDisabled(), true);
    assert.equal(await page.locator('#setting-noiseRate-hint').textContent(), 'off: the run trains on noise01.txt as it is');
    const saved = JSON.parse((await page.evaluate(() => localStorage.getItem('eac-lab.data-selection')))!);
    assert.deepEqual(saved, { kind: 'cached', key: messyKey, name: 'RAF-DB basic (27 images)', labelFile: 'noise01.txt' });
    // The run bar says at once what Train will use now: this folder and its label file (issue 23).
    assert.match(
      (await page.getByTestId('runbar-labels').textContent()) ?? '',
      /^Train will use RAF-DB basic \(27 images\), labels of noise01\.txt as they are; ResNet-/,
    );
    // The label-file select keeps to its column, and its chosen line shows in full on hover.
    const [sel, panel] = await Promise.all([page.getByTestId('label-file').boundingBox(), page.getByTestId('data-panel').boundingBox()]);
    assert.ok(
      sel && panel && sel.x + sel.width <= panel.x + panel.width,
      `select ${JSON.stringify(sel)} in panel ${JSON.stringify(panel)}`,
    );
    assert.match((await page.getByTestId('label-file').getAttribute('title')) ?? '', /^noise01\.txt: /);
    await page.getByTestId('data-panel').screenshot({ path: screenshotPath('data-panel.png') });
    await page.setViewportSize({ width: 1366, height: 768 });
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: docScreenshotPath('runbar-rafdb-labels.png') });
    await page.setViewportSize({ width: 1280, height: 1000 });

    // A drop of loose files (no folder): a clear error, and the cached datasets are untouched.
    prev = await ingestId(page);
    await page.evaluate(() => {
      const dt = new DataTransfer();
      dt.items.add(new File(['train_00001.jpg 1\n'], 'list_patition_label.txt', { type: 'text/plain' }));
      dt.items.add(new File([new Uint8Array([0xff, 0xd8, 0xff])], 'train_00001_aligned.jpg', { type: 'image/jpeg' }));
      document
        .querySelector('[data-testid="dropzone"]')!
        .dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    });
    assert.equal(await ingestEnd(page, prev), 'error');
    assert.match(await text(page, 'ingest-error'), /no EmoLabel\/ folder in or below .*give the RAF-DB folder/);
    assert.equal(await page.getByTestId('cached-dataset').count(), 2);
    // RAF-DB as downloaded: a zip. Said so at once.
    prev = await ingestId(page);
    await page.evaluate(() => {
      const dt = new DataTransfer();
      dt.items.add(new File([new Uint8Array([0x50, 0x4b, 3, 4])], 'basic.zip', { type: 'application/zip' }));
      document
        .querySelector('[data-testid="dropzone"]')!
        .dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    });
    assert.equal(await ingestEnd(page, prev), 'error');
    assert.equal(
      await text(page, 'ingest-error'),
      'basic.zip: an archive; unpack it first, then drop or choose the unpacked RAF-DB folder',
    );

    // Cancel a bigger folder mid-way: nothing is stored.
    prev = await ingestId(page);
    await page.getByTestId('folder-input').setInputFiles(MANY);
    await page.waitForSelector('[data-testid="ingest-progress"][data-phase="decoding"]', { timeout: 120_000 });
    await page.getByTestId('ingest-cancel').click();
    assert.equal(await ingestEnd(page, prev), 'cancelled');
    assert.equal(await page.getByTestId('cached-dataset').count(), 2);

    // (c) Reload: both datasets are listed from the cache, the selection is kept, and selecting
    // one reads nothing (no ingest worker starts).
    await page.reload();
    await page.getByTestId('cached-datasets').waitFor();
    const workersBefore = ingestWorkers.length;
    assert.equal(await page.getByTestId('cached-dataset').count(), 2);
    assert.equal(await page.getByTestId('label-file').inputValue(), 'noise01.txt');
    assert.equal(await page.getByTestId('dataset-report').getAttribute('data-key'), messyKey);
    await page.locator(`[data-testid="cached-dataset"][data-key="${cleanKey}"] [data-testid="cached-select"]`).click();
    assert.equal(await page.getByTestId('dataset-report').getAttribute('data-key'), cleanKey);
    assert.equal(await text(page, 'report-train'), '28');
    assert.equal(await page.getByTestId('label-file').inputValue(), '');
    assert.equal(ingestWorkers.length, workersBefore, 'selecting a cached dataset starts no ingest');

    // Delete the messy one; then (b') drop it again with FileSystemHandles switched off: the
    // webkitGetAsEntry walk on the page, then Files to the worker; the same report.
    await page.locator(`[data-testid="cached-dataset"][data-key="${messyKey}"] [data-testid="cached-delete"]`).click();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="cached-dataset"]').length === 1);
    await page.addInitScript(() => {
      delete (DataTransferItem.prototype as { getAsFileSystemHandle?: unknown }).getAsFileSystemHandle;
    });
    await page.reload();
    await page.getByTestId('cached-datasets').waitFor();
    assert.equal(await page.evaluate(() => 'getAsFileSystemHandle' in DataTransferItem.prototype), false);
    prev = await ingestId(page);
    await dropFolder(page, MESSY_DIR);
    assert.equal(await ingestEnd(page, prev), 'done', await text(page, 'data-panel'));
    assert.equal(await page.getByTestId('ingest-done').getAttribute('data-from-cache'), 'false');
    assert.equal(
      await page.getByTestId('dataset-report').getAttribute('data-key'),
      messyKey,
      'the entries walk lists the same files and sizes',
    );
    await assertMessyReport(page);

    // Delete everything: the demo is selected again, and stays so after a reload.
    for (const key of [messyKey, cleanKey]) {
      await page.locator(`[data-testid="cached-dataset"][data-key="${key}"] [data-testid="cached-delete"]`).click();
      await page.waitForSelector(`[data-testid="cached-dataset"][data-key="${key}"]`, { state: 'detached' });
    }
    assert.equal(await page.getByTestId('use-demo').getAttribute('aria-pressed'), 'true');
    await page.reload();
    await page.getByTestId('no-cached').waitFor();
    assert.equal(await page.getByTestId('use-demo').getAttribute('aria-pressed'), 'true');

    assert.deepEqual(watch.consoleErrors, []);
    assert.deepEqual(watch.foreign, [], 'no request leaves the app');
  } finally {
    await browser.close();
  }
});
