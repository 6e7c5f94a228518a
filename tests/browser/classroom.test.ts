// Classroom mode end to end on the built app in headless Chromium (WebAssembly backend: WebGPU and
// WebGL off, so it runs quickly anywhere): two tiny demo runs (EAC, then the baseline) trained
// through the lab's form, then the classroom view: the walk-through step by step (pictures not
// blank), re-rolling the erasing (view 1 changes), a noisy sample, the side-by-side of both runs,
// and the feature embedding (points drawn, hovering shows the image).
//
//   node --import tsx --test tests/browser/classroom.test.ts
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { docScreenshotPath, launchChromium, ROOT, screenshotPath, serveBuilt, watchPage, type Served } from './harness.ts';

/** ResNet-18 width 4 at 112 px (4×4 attention maps), 48 training images with 30% flipped labels, one epoch. */
const TINY = { width: '4', size: '112', trainCount: '48', testCount: '16', epochs: '1', batchSize: '16', noiseRate: '0.3' };
const LONG = 300_000;

let served: Served;
before(async () => {
  served = await serveBuilt(path.join(ROOT, '.tmp/dist-classroom'));
});
after(async () => {
  await served?.close();
});

async function waitFor(page: Page, fn: string, timeout = LONG): Promise<void> {
  await page.waitForFunction(fn, null, { timeout, polling: 250 });
}

/** Standard deviation of a canvas's RGB values (0: blank) and a fingerprint of its pixels. */
async function canvasInfo(page: Page, testId: string): Promise<{ spread: number; hash: number }> {
  return page.$eval(`[data-testid="${testId}"]`, (c) => {
    const canvas = c as HTMLCanvasElement;
    const d = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
    let sum = 0,
      sq = 0,
      n = 0,
      hash = 0;
    for (let i = 0; i < d.length; i += 4) {
      for (let k = 0; k < 3; k++) {
        sum += d[i + k];
        sq += d[i + k] ** 2;
        n++;
      }
      hash = (Math.imul(hash, 31) + d[i] + d[i + 1] * 7 + d[i + 2] * 13) | 0;
    }
    return { spread: Math.sqrt(Math.max(0, sq / n - (sum / n) ** 2)), hash };
  });
}

async function assertDrawn(page: Page, testId: string): Promise<number> {
  await page.getByTestId(testId).first().waitFor({ timeout: 60_000 });
  const { spread, hash } = await canvasInfo(page, testId);
  assert.ok(spread > 5, `${testId} is not blank (spread ${spread.toFixed(1)})`);
  return hash;
}

async function trainTinyRun(page: Page, method: 'eac' | 'baseline'): Promise<void> {
  await page.getByTestId('setting-arch').selectOption('resnet18');
  await page.getByTestId('setting-method').selectOption(method);
  for (const [key, value] of Object.entries(TINY)) await page.getByTestId(`setting-${key}`).fill(value);
  await page.getByTestId('train').click();
  await waitFor(
    page,
    `['done', 'stopped', 'error'].includes(document.querySelector('[data-testid="run-status"]')?.getAttribute('data-status') ?? '')`,
  );
  const err = (await page.getByTestId('run-error').count()) ? await page.getByTestId('run-error').first().textContent() : null;
  assert.equal(await page.getByTestId('run-status').getAttribute('data-status'), 'done', `the ${method} run ended with ${err}`);
}

test('classroom: walk-through, re-roll, side by side and the feature embedding', { timeout: 1_200_000 }, async () => {
  const browser = await launchChromium({ webgpu: false, webgl: false });
  try {
    const page = await (await browser.newContext({ viewport: { width: 1400, height: 1100 } })).newPage();
    const watch = watchPage(page, served.url);
    await page.goto(served.url);
    await waitFor(page, `document.querySelector('[data-testid="backend-name"]')?.getAttribute('data-backend') === 'wasm'`, 120_000);
    await trainTinyRun(page, 'eac');

    // The classroom opens on the newest run with a checkpoint.
    await page.getByTestId('view-classroom').click();
    await page.getByTestId('cr-stage').waitFor({ timeout: LONG });
    assert.match((await page.getByTestId('cr-run').locator('option:checked').textContent()) ?? '', /^EAC · 30% noise · epoch 1\/1/);
    await assertDrawn(page, 'cr-image');

    // Step 2: the erasing; re-rolling draws another box, so view 1 changes.
    await page.getByTestId('cr-next').click();
    assert.equal(await page.getByTestId('cr-stage').getAttribute('data-step'), '2');
    const before = await assertDrawn(page, 'cr-view1');
    await page.getByTestId('cr-reroll').click();
    await page.waitForFunction(
      (h) => {
        const c = document.querySelector('[data-testid="cr-view1"]') as HTMLCanvasElement | null;
        if (!c) return false;
        const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
        let hash = 0;
        for (let i = 0; i < d.length; i += 4) hash = (Math.imul(hash, 31) + d[i] + d[i + 1] * 7 + d[i + 2] * 13) | 0;
        return hash !== h;
      },
      before,
      { timeout: 60_000, polling: 250 },
    );

    // Steps 3-7 with the keyboard's right arrow (the presenter's clicker sends Page Down).
    await page.locator('body').click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('ArrowRight');
    assert.equal(await page.getByTestId('cr-stage').getAttribute('data-step'), '3');
    await assertDrawn(page, 'cr-view2');
    await page.keyboard.press('PageDown');
    await assertDrawn(page, 'cr-map1');
    await page.keyboard.press('ArrowRight');
    await assertDrawn(page, 'cr-map2');

    // A noisy sample: its label badge says the training label is wrong.
    await page.getByTestId('cr-noisy').click();
    await waitFor(page, `document.querySelector('[data-testid="cr-label"]')?.classList.contains('noisy') === true`, 60_000);
    await page.waitForFunction(() => !document.querySelector('.cr-hint')?.textContent?.includes('updating'), null, { timeout: 60_000 });
    await page.screenshot({ path: screenshotPath('classroom-walkthrough.png'), fullPage: false });
    // Where the models ran: the inspect worker's backend, as it reported it.
    assert.match((await page.getByTestId('cr-backend').textContent()) ?? '', /^Models evaluated on (WebGPU|WebAssembly|WebGL|CPU)\b/);
    await page.keyboard.press('ArrowRight');
    assert.equal(await page.getByTestId('cr-stage').getAttribute('data-step'), '6');
    await assertDrawn(page, 'cr-diff');
    await page.screenshot({ path: screenshotPath('classroom-difference.png'), fullPage: false });
    await page.keyboard.press('ArrowRight');
    assert.equal(await page.getByTestId('cr-stage').getAttribute('data-step'), '7');
    const consistency = Number(await page.getByTestId('cr-consistency').getAttribute('data-value'));
    assert.ok(Number.isFinite(consistency) && consistency > 0, `consistency loss ${consistency}`);
    assert.equal(await page.getByTestId('cr-next').isDisabled(), true, 'the last step');

    // The feature picture: 48 points in each plot; hovering one shows its image.
    // The count offered is the count used: the run's 48 images, not 1,000; its time is said to be a guess before any computation here.
    await waitFor(page, `document.querySelector('[data-testid="embedding-count"]')?.value === '48'`, 60_000);
    assert.match(
      (await page.getByTestId('embedding-estimate').textContent()) ?? '',
      /guessed from the run's training speed; the first computation measures it|the first computation measures how long it takes here/,
    );
    await page.setViewportSize({ width: 1366, height: 768 });
    await page.getByTestId('embedding-panel').scrollIntoViewIfNeeded();
    await page.screenshot({ path: docScreenshotPath('classroom-embedding-count.png') });
    await page.setViewportSize({ width: 1400, height: 1100 });
    await page.getByTestId('embedding-count').fill('48');
    await page.getByTestId('embedding-compute').click();
    await page.getByTestId('embedding-plot-noisy').waitFor({ timeout: LONG });
    assert.equal(await page.getByTestId('embedding-plot-noisy').getAttribute('data-points'), '48');
    assert.equal(await page.getByTestId('embedding-plot-clean').getAttribute('data-points'), '48');
    await assertDrawn(page, 'embedding-plot-noisy');
    // Hover the first coloured pixel found (a point); the canvas is drawn at twice its CSS size.
    const spot = await page.$eval('[data-testid="embedding-plot-noisy"]', (c) => {
      const canvas = c as HTMLCanvasElement;
      const d = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
      for (let i = 0; i < d.length; i += 4) {
        const [r, g, b] = [d[i], d[i + 1], d[i + 2]];
        if (Math.max(r, g, b) - Math.min(r, g, b) > 60) {
          const p = i / 4;
          return { x: (p % canvas.width) / 2 + 1, y: Math.floor(p / canvas.width) / 2 + 1.5 };
        }
      }
      return null;
    });
    assert.ok(spot, 'a coloured point is drawn');
    await page.getByTestId('embedding-plot-noisy').hover({ position: spot });
    await page.getByTestId('embedding-hover').waitFor({ timeout: 10_000 });
    assert.match((await page.getByTestId('embedding-hover').textContent()) ?? '', /training image #\d+.*label/);
    await page.getByTestId('embedding-panel').screenshot({ path: screenshotPath('feature-embedding.png') });

    // Side by side: train the baseline too, then compare the same sample under both runs.
    await page.getByTestId('view-lab').click();
    await trainTinyRun(page, 'baseline');
    await page.getByTestId('view-classroom').click();
    await page.getByTestId('cr-compare').check();
    await page.getByTestId('cr-sbs-b').waitFor({ timeout: 60_000 });
    await waitFor(page, `document.querySelectorAll('[data-testid^="cr-sbs-consistency-"]').length === 2`, LONG);
    const methods = await page.locator('.cr-sbs-row .cr-method').allTextContents();
    assert.deepEqual(methods.sort(), ['EAC', 'baseline'], 'the partner run is the other method');
    await assertDrawn(page, 'cr-sbs-map1-a');
    await assertDrawn(page, 'cr-sbs-map1-b');
    await page.screenshot({ path: screenshotPath('classroom-side-by-side.png'), fullPage: false });

    assert.deepEqual(watch.foreign, [], 'no request leaves the app origin');
    assert.deepEqual(
      watch.consoleErrors.filter((e) => !/Failed to load resource/.test(e)),
      [],
    );
  } finally {
    await browser.close();
  }
});
