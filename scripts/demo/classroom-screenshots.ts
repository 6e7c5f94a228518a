// Screenshots of the classroom on runs that learned something (the browser test's runs are too
// small to show much): an EAC run and a baseline run on the demo faces with 30% flipped labels,
// trained through the lab's form in headless Chromium, then the walk-through on a noisy sample,
// the side by side of both runs, and the feature embedding of the EAC run and of the baseline.
// Writes artifacts/screenshots/classroom-demo-*.png and prints the consistency numbers.
//
//   node --import tsx scripts/demo/classroom-screenshots.ts [train=1000] [epochs=4] [size=96] [backend=wasm|webgpu]
import path from 'node:path';
import type { Page } from 'playwright-core';
import { launchChromium, ROOT, screenshotPath, serveBuilt } from '../../tests/browser/harness.ts';

const args = Object.fromEntries(process.argv.slice(2).map((a) => a.split('=') as [string, string]));
const TRAIN = args.train ?? '1000';
const EPOCHS = args.epochs ?? '4';
const SIZE = args.size ?? '96';
const WEBGPU = args.backend === 'webgpu';
const HOUR = 3_600_000;

async function waitFor(page: Page, fn: string, timeout = HOUR): Promise<void> {
  await page.waitForFunction(fn, null, { timeout, polling: 500 });
}

async function train(page: Page, method: 'eac' | 'baseline'): Promise<void> {
  const t0 = Date.now();
  await page.getByTestId('preset-demo').click();
  await page.getByTestId('setting-method').selectOption(method);
  const settings = { trainCount: TRAIN, testCount: '200', epochs: EPOCHS, size: SIZE, noiseRate: '0.3' };
  for (const [k, v] of Object.entries(settings)) await page.getByTestId(`setting-${k}`).fill(v);
  await page.getByTestId('train').click();
  await waitFor(
    page,
    `['done', 'stopped', 'error'].includes(document.querySelector('[data-testid="run-status"]')?.getAttribute('data-status') ?? '')`,
  );
  const status = await page.getByTestId('run-status').getAttribute('data-status');
  if (status !== 'done') throw new Error(`the ${method} run ended ${status}`);
  console.error(`# ${method}: trained in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
}

async function embedding(page: Page, name: string): Promise<void> {
  const t0 = Date.now();
  await page.getByTestId('embedding-count').fill(TRAIN);
  await page.getByTestId('embedding-compute').click();
  await waitFor(
    page,
    `document.querySelector('[data-testid="embedding-progress"]') === null && document.querySelector('[data-testid="embedding-plot-noisy"]') !== null`,
  );
  console.error(`# embedding (${name}): ${((Date.now() - t0) / 1000).toFixed(1)} s; ${await page.locator('.emb-foot').textContent()}`);
  await page.getByTestId('embedding-panel').screenshot({ path: screenshotPath(`classroom-demo-embedding-${name}.png`) });
}

const served = await serveBuilt(path.join(ROOT, '.tmp/dist-classroom-shots'));
const browser = await launchChromium({ webgpu: WEBGPU, webgl: false });
try {
  const page = await (await browser.newContext({ viewport: { width: 1400, height: 1100 } })).newPage();
  await page.goto(served.url);
  await waitFor(
    page,
    `document.querySelector('[data-testid="backend-name"]')?.getAttribute('data-backend') === '${WEBGPU ? 'webgpu' : 'wasm'}'`,
    120_000,
  );
  await train(page, 'baseline');
  await train(page, 'eac');
  await page.getByTestId('view-classroom').click();
  await page.getByTestId('cr-stage').waitFor({ timeout: HOUR });
  await page.getByTestId('cr-noisy').click();
  await waitFor(page, `document.querySelector('[data-testid="cr-label"]')?.classList.contains('noisy') === true`);
  for (let step = 2; step <= 5; step++) await page.getByTestId('cr-next').click();
  await page.waitForFunction(() => !document.querySelector('.cr-hint')?.textContent?.includes('updating'), null, { timeout: HOUR });
  await page.screenshot({ path: screenshotPath('classroom-demo-walkthrough.png') });
  await page.getByTestId('cr-next').click();
  await page.screenshot({ path: screenshotPath('classroom-demo-difference.png') });
  await page.getByTestId('cr-next').click();
  console.error(`# EAC consistency of the sample: ${await page.getByTestId('cr-consistency').getAttribute('data-value')}`);
  await page.getByTestId('cr-compare').check();
  await waitFor(page, `document.querySelectorAll('[data-testid^="cr-sbs-consistency-"]').length === 2`);
  await page.screenshot({ path: screenshotPath('classroom-demo-side-by-side.png') });
  console.error(`# side by side: ${(await page.locator('.cr-sbs-loss').allTextContents()).join(' | ')}`);
  await page.getByTestId('cr-compare').uncheck();
  await embedding(page, 'eac');
  const baseline = await page.getByTestId('cr-run').locator('option', { hasText: 'Baseline' }).first().getAttribute('value');
  await page.getByTestId('cr-run').selectOption(baseline!);
  await embedding(page, 'baseline');
} finally {
  await browser.close();
  await served.close();
}
