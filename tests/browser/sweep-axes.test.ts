// The Sweep panel's axes, on the built app in headless Chromium on WASM: a tiny sweep of baseline
// and EAC × two learning rates (lr typed as a list) trains its 4 cells, each at its own lr; the
// comparison view's table has a row per method × lr, and its CSV export an lr column.
// Screenshots: docs/screenshots/sweep-axes-form.png (the panel), sweep-axes.png (the table).
//
//   node --import tsx --test tests/browser/sweep-axes.test.ts
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { docScreenshotPath, launchChromium, ROOT, serveBuilt, watchPage, type Served } from './harness.ts';

const TINY = 'width=4&size=32&trainCount=32&testCount=16&batchSize=16&attentionCount=1&epochs=2';
const LONG = 300_000;

let served: Served;
before(async () => {
  served = await serveBuilt(path.join(ROOT, '.tmp/dist-sweep-axes'));
});
after(async () => {
  await served?.close();
});

const waitFor = (page: Page, fn: string, timeout = LONG) => page.waitForFunction(fn, null, { timeout, polling: 'raf' });

test('a sweep over two learning rates from the panel: four cells, a row per method × lr, an lr column in the CSV', {
  timeout: 600_000,
}, async () => {
  const browser = await launchChromium({ webgpu: false, webgl: false });
  try {
    const context = await browser.newContext({ viewport: { width: 1366, height: 900 }, acceptDownloads: true });
    const page = await context.newPage();
    const watch = watchPage(page, served.url);
    await page.goto(`${served.url}?${TINY}`);
    await waitFor(page, `document.querySelector('[data-testid="backend-name"]')?.getAttribute('data-backend') === 'wasm'`, 120_000);
    await page.getByTestId('sweep-noise').fill('0');
    await page.getByTestId('sweep-seeds').fill('0');
    await page.getByTestId('sweep-name').fill('lr sweep');
    await page.locator('[data-testid="sweep-axes"] summary').click();
    await page.getByTestId('sweep-axis-lr').fill('1e-4, 1e-3, x');
    await page.getByTestId('sweep-start').click();
    assert.equal(await page.getByTestId('sweep-error').textContent(), 'learning rates: x is not a number');
    await page.getByTestId('sweep-axis-lr').fill('1e-4, 1e-3');
    assert.equal(await page.getByTestId('sweep-error').count(), 0, 'the error goes once the list is edited');
    assert.match((await page.getByTestId('sweep-start').textContent()) ?? '', /\(4 runs\)/);
    await page.getByTestId('sweep-axis-lam').evaluate((e) => e.scrollIntoView({ block: 'center' }));
    await page.screenshot({ path: docScreenshotPath('sweep-axes-form.png') });
    await page.getByTestId('sweep-start').click();
    await waitFor(page, `document.querySelector('[data-testid="sweep-queue"]')?.getAttribute('data-finished') === 'true'`);
    await page.getByTestId('view-compare').click();
    await waitFor(page, `document.querySelectorAll('[data-testid="sweep-table"] td[data-n="1"]').length === 4`);
    const rows = await page.locator('[data-testid="sweep-table"] tbody th').allTextContents();
    assert.deepEqual(rows, ['Baseline, lr 0.0001', 'Baseline, lr 0.001', 'EAC, lr 0.0001', 'EAC, lr 0.001']);
    assert.equal(await page.getByTestId('sweep-cell-eac-0-lr0.001').getAttribute('data-n'), '1');
    await page.screenshot({ path: docScreenshotPath('sweep-axes.png') });
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('sweep-export-csv').click()]);
    const csv = readFileSync((await download.path())!, 'utf8');
    assert.match(csv, /^method,noise_rate,lr,n,planned,/);
    assert.match(csv, /\r\neac,0,0\.001,1,1,/);
    assert.deepEqual(watch.foreign, []);
  } finally {
    await browser.close();
  }
});
