// A dataset beyond RAF-DB on the built app in headless Chromium (issue 25): a generated
// Fashion-MNIST-like IDX folder (200 train / 50 test images, 28×28, 10 classes; gzip and raw files)
// given through the folder input, listed with its ten class names and counts, trained for one
// short epoch on WebAssembly, and its class names in the attention panel, the run bar and the
// classroom; its confusion matrix; a label file added to the cached dataset in the Data panel.
//
//   node --import tsx --test tests/browser/datasets-page.test.ts
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'fflate';
import type { Page } from 'playwright-core';
import { docScreenshotPath, launchChromium, ROOT, serveBuilt, watchPage, type Served } from './harness.ts';
import { idxFile } from '../fixtures/idx-file.ts';

const FASHION = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];
const DIR = path.join(ROOT, '.tmp/datasets-page/fashion-mnist');
const VIEW = { width: 1366, height: 768 };
const LONG = 300_000;

/** Images of class c: a bright bar at row 2c (so the classes differ), on noise. */
function writeIdxFolder(): { train: number[]; test: number[] } {
  rmSync(DIR, { recursive: true, force: true });
  mkdirSync(DIR, { recursive: true });
  const counts = { train: new Array<number>(10).fill(0), test: new Array<number>(10).fill(0) };
  for (const [prefix, n, gz] of [
    ['train', 200, true],
    ['t10k', 50, false],
  ] as const) {
    const labels = Uint8Array.from({ length: n }, (_, i) => (i * 7 + (prefix === 'train' ? 0 : 3)) % 10);
    const pixels = new Uint8Array(n * 28 * 28);
    for (let i = 0; i < n; i++) {
      for (let p = 0; p < 784; p++) pixels[i * 784 + p] = (i * 31 + p * 17) % 64;
      const row = 2 + 2 * labels[i];
      for (let x = 2; x < 26; x++) pixels[i * 784 + row * 28 + x] = 250;
      counts[prefix === 'train' ? 'train' : 'test'][labels[i]]++;
    }
    const write = (kind: string, bytes: Uint8Array) =>
      writeFileSync(path.join(DIR, `${prefix}-${kind}-ubyte${gz ? '.gz' : ''}`), gz ? gzipSync(bytes) : bytes);
    write('images-idx3', idxFile([n, 28, 28], pixels));
    write('labels-idx1', idxFile([n], labels));
  }
  return counts;
}

async function waitFor(page: Page, fn: string, timeout = LONG): Promise<void> {
  await page.waitForFunction(fn, null, { timeout, polling: 250 });
}

let served: Served;
before(async () => {
  served = await serveBuilt(path.join(ROOT, '.tmp/dist-datasets-page'));
});
after(async () => {
  await served?.close();
});

test('a Fashion-MNIST IDX folder: listed with its 10 classes, trained for an epoch, its class names in the attention panel and run bar', {
  timeout: 600_000,
}, async () => {
  const counts = writeIdxFolder();
  const browser = await launchChromium({ webgpu: false });
  try {
    const context = await browser.newContext({ viewport: VIEW });
    const page = await context.newPage();
    const watch = watchPage(page, served.url);
    await page.goto(`${served.url}?backend=wasm`);
    await page.getByTestId('folder-input').setInputFiles(DIR);
    await waitFor(page, `document.querySelector('[data-testid="ingest"]')?.getAttribute('data-status') === 'done'`, 120_000);
    const dataset = page.getByTestId('selected-dataset');
    await dataset.waitFor();
    assert.match((await page.getByTestId('cached-dataset').first().textContent()) ?? '', /Fashion-MNIST \(250 images\)/);
    assert.match((await page.getByTestId('dataset-classes').textContent()) ?? '', /^10 classes, 28×28 px images\./);
    const rows = page.locator('[data-testid="dataset-report"] table.class-counts tbody tr:not(.total) td:first-child');
    assert.deepEqual(await rows.allTextContents(), FASHION);
    for (const [c, name] of FASHION.entries()) {
      assert.equal(await page.getByTestId(`count-train-${name}`).textContent(), String(counts.train[c]), `${name} train`);
      assert.equal(await page.getByTestId(`count-test-${name}`).textContent(), String(counts.test[c]), `${name} test`);
    }
    assert.equal(await page.getByTestId('report-train').textContent(), '200');
    assert.equal(await page.getByTestId('report-test').textContent(), '50');
    assert.match(
      (await page.getByTestId('runbar-labels').textContent()) ?? '',
      /Fashion-MNIST \(250 images\), 10 classes \(T-shirt\/top, Trouser, Pullover, …\), the clean labels/,
    );

    const small = { width: '4', size: '32', epochs: '1', batchSize: '25', noiseRate: '0.3', attentionCount: '4' };
    for (const [key, value] of Object.entries(small)) await page.getByTestId(`setting-${key}`).fill(value);
    await page.getByTestId('train').click();
    await waitFor(page, `document.querySelector('[data-testid="run-status"]')?.getAttribute('data-status') === 'done'`);
    await waitFor(page, `document.querySelector('[data-testid="attention-epoch"]')?.getAttribute('max') === '1'`, 60_000);

    const badges = await page.locator('[data-testid="attention-sample"] .att-badge').allTextContents();
    assert.equal(badges.length, 4);
    const named = new RegExp(
      `^label (${FASHION.map((n) => n.replace('/', '\\/')).join('|')})( · true (${FASHION.join('|').replace(/\//g, '\\/')}))?$`,
    );
    for (const b of badges) assert.match(b.trim(), named, 'attention badges name Fashion-MNIST classes');
    const feet = await page.locator('[data-testid="attention-sample"] .att-foot').allTextContents();
    for (const f of feet)
      assert.ok(
        FASHION.some((n) => f.includes(`predicted ${n} (`)),
        `a Fashion-MNIST prediction: ${f}`,
      );
    const last = (await page.getByTestId('runbar-last-run').textContent()) ?? '';
    assert.match(
      last,
      /^Last run trained on Fashion-MNIST \(250 images\), 10 classes \(T-shirt\/top, Trouser, Pullover, …\), the clean labels \+ \d+ of 200 labels flipped/,
    );
    assert.equal(await page.locator('[data-testid="attention-sample"]').filter({ hasText: 'Happiness' }).count(), 0);

    await page.getByTestId('attention-panel').screenshot({ path: docScreenshotPath('datasets-fashion-mnist-attention.png') });
    // The confusion matrix of the 10-class run: a row and a column per Fashion-MNIST class.
    const confusion = page.getByTestId('confusion-panel');
    await confusion.scrollIntoViewIfNeeded();
    const rowNames = await page.$$eval('[data-testid="confusion-matrix"] tbody tr th', (ths) => ths.map((t) => t.textContent ?? ''));
    assert.deepEqual(rowNames, FASHION, 'a row per class');
    const colNames = await page.$$eval('[data-testid="confusion-matrix"] thead th', (ths) => ths.map((t) => t.textContent ?? ''));
    for (const name of FASHION) assert.ok(colNames.includes(name), `a column for ${name}`);
    await confusion.screenshot({ path: docScreenshotPath('datasets-fashion-mnist-confusion.png') });
    // A label file (as `eac dataset labels` writes: name label, labels 1..10) added to the cached dataset.
    const labelFile = path.join(path.dirname(DIR), 'fashion-mnist-shifted.txt');
    // Every 4th training image moved to the next class (the IDX names are train_00001 … in file order).
    writeFileSync(
      labelFile,
      Array.from({ length: 200 }, (_, i) => {
        const clean = (i * 7) % 10;
        return `train_${String(i + 1).padStart(5, '0')} ${(i % 4 === 0 ? (clean + 1) % 10 : clean) + 1}\n`;
      }).join(''),
    );
    await page.getByTestId('label-file-add').setInputFiles(labelFile);
    await waitFor(page, `document.querySelector('[data-testid="label-file"]')?.value === 'fashion-mnist-shifted.txt'`, 60_000);
    const option = (await page.locator('[data-testid="label-file"] option:checked').textContent()) ?? '';
    assert.match(option, /^fashion-mnist-shifted\.txt: 25\.0% noise \(50 changed\)$/);
    assert.match((await page.getByTestId('runbar-labels').textContent()) ?? '', /labels of fashion-mnist-shifted\.txt as they are/);
    // Below the sticky run bar: the label-file choice and the class counts in view.
    await page.evaluate(() => {
      const at = document.querySelector('[data-testid="cached-datasets"]');
      window.scrollTo(0, at ? at.getBoundingClientRect().top + window.scrollY - 260 : 0);
    });
    await page.screenshot({ path: docScreenshotPath('datasets-label-file.png') });
    await page.getByTestId('data-panel').scrollIntoViewIfNeeded();
    await page.evaluate(() => {
      const report = document.querySelector('[data-testid="dataset-report"]');
      const top = report ? report.getBoundingClientRect().top + window.scrollY - 420 : 0;
      window.scrollTo(0, Math.max(0, top));
    });
    await page.screenshot({ path: docScreenshotPath('datasets-fashion-mnist.png') });
    // The classroom shows the run's checkpoint on a training image with its Fashion-MNIST names.
    await page.getByTestId('view-classroom').click();
    await page.getByTestId('cr-stage').waitFor({ timeout: LONG });
    await page.getByTestId('cr-label').waitFor({ timeout: LONG });
    assert.match((await page.getByTestId('cr-label').textContent()) ?? '', named, 'the classroom names Fashion-MNIST classes');
    assert.deepEqual(watch.foreign, [], 'no request leaves the page’s origin');
    assert.deepEqual(watch.consoleErrors, []);
  } finally {
    await browser.close();
  }
});
