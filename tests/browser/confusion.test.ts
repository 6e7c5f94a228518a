// The Confusion panel on a tiny demo run (WebAssembly, 30% flipped labels, 2 epochs): after the
// run it shows the last epoch's training predictions against the noisy labels; the toggle
// switches to the true labels and to the test split, the epoch picker to epoch 1, and every
// table counts what it should (the training set's 32 images, the test split's 16). The Training
// confusion CSV button is enabled. The form offers the sampler (Training) and ResNet-50's layout
// (Backbone). Screenshots: docs/screenshots/confusion-matrix.png, settings-sampler.png,
// settings-layout.png.
//
//   node --import tsx --test tests/browser/confusion.test.ts
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { docScreenshotPath, launchChromium, ROOT, serveBuilt, watchPage, type Served } from './harness.ts';

const TINY = {
  width: '4',
  size: '32',
  trainCount: '32',
  testCount: '16',
  epochs: '2',
  batchSize: '16',
  noiseRate: '0.3',
  attentionCount: '2',
};

let served: Served;
before(async () => {
  served = await serveBuilt(path.join(ROOT, '.tmp/dist-confusion-test'));
});
after(async () => {
  await served?.close();
});

/** The shown table's counts, row by row (the last column is the row total). */
async function shownCounts(page: Page): Promise<number[][]> {
  return page.$$eval('[data-testid="confusion-matrix"] tbody tr', (rows) =>
    rows.map((r) => Array.from(r.querySelectorAll('td'), (td) => Number(td.textContent))),
  );
}

const total = (rows: number[][]) => rows.reduce((a, r) => a + r.slice(0, -1).reduce((x, y) => x + y, 0), 0);

test('the confusion panel shows an epoch against the noisy labels, the true labels and the test split', { timeout: 300_000 }, async () => {
  const browser = await launchChromium({ webgpu: false });
  try {
    const page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
    const watch = watchPage(page, served.url);
    await page.goto(`${served.url}?backend=wasm`);
    await page.waitForFunction(`document.querySelector('[data-testid="backend-name"]')?.getAttribute('data-backend') === 'wasm'`, null, {
      timeout: 60_000,
    });
    for (const [key, value] of Object.entries(TINY)) await page.getByTestId(`setting-${key}`).fill(value);
    // The sampler is a Training setting: shuffle by default, class-balanced on demand.
    const sampler = page.getByTestId('setting-sampler');
    assert.equal(await sampler.inputValue(), 'shuffle');
    assert.deepEqual(await sampler.locator('option').allTextContents(), ['Shuffle', 'Class-balanced']);
    await sampler.selectOption('balanced');
    await page.locator('fieldset.group', { hasText: 'Sampler' }).screenshot({ path: docScreenshotPath('settings-sampler.png') });
    await sampler.selectOption('shuffle');
    // ResNet-50's layout is a Backbone setting: the face weights' (Caffe) by default, or torchvision's.
    const layout = page.getByTestId('setting-layout');
    assert.equal(await layout.inputValue(), 'caffe');
    assert.deepEqual(await layout.locator('option').allTextContents(), ['Caffe', 'torchvision']);
    await page.locator('fieldset.group', { hasText: 'ResNet-50 layout' }).screenshot({ path: docScreenshotPath('settings-layout.png') });
    await page.getByTestId('train').click();
    await page.waitForFunction(`document.querySelector('[data-testid="runbar-status"]')?.textContent === 'Finished'`, null, {
      timeout: 240_000,
    });
    const panel = page.getByTestId('confusion-panel');
    await panel.scrollIntoViewIfNeeded();
    assert.equal(await page.getByTestId('confusion-epoch').inputValue(), '2');
    const noisy = await shownCounts(page);
    assert.equal(noisy.length, 7);
    assert.equal(total(noisy), 32, 'the training set, every image once');
    assert.equal(await page.getByTestId('confusion-noisy').getAttribute('aria-pressed'), 'true');
    await page.getByTestId('confusion-clean').click();
    const clean = await shownCounts(page);
    assert.equal(total(clean), 32);
    // 30% of the labels flipped: the rows (label counts) differ between noisy and true labels.
    assert.notDeepEqual(
      noisy.map((r) => r.at(-1)),
      clean.map((r) => r.at(-1)),
    );
    await page.getByTestId('confusion-test').click();
    assert.equal(total(await shownCounts(page)), 16);
    await page.getByTestId('confusion-clean').click();
    await page.getByTestId('confusion-epoch').selectOption('1');
    assert.equal(total(await shownCounts(page)), 32);
    assert.equal(await page.getByTestId('export-confusion-csv').isEnabled(), true);
    await panel.screenshot({ path: docScreenshotPath('confusion-matrix.png') });
    assert.deepEqual(watch.foreign, []);
    assert.deepEqual(watch.consoleErrors, []);
  } finally {
    await browser.close();
  }
});
