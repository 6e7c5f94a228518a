// The lab end to end on the built app in headless Chromium with WebGPU (SwiftShader): a tiny demo
// run whose charts receive points and whose attention panel draws real images and maps; pause
// holds the loop and continue lets it go on; a reload mid-run leaves the run interrupted in the
// run store, and one click resumes it from its last epoch checkpoint to the end. Main-thread long
// tasks (Long Tasks API) during training are recorded in artifacts/lab-longtasks.json. At
// 1366×768 the run bar (Train and the run's figures) stays in view wherever the page is scrolled,
// before and during the run, and after the reload the resume offer is in the run bar. Screenshots
// of the first screen, the run in progress and the resume offer: docs/screenshots/lab-*.png.
//
//   node --import tsx --test tests/browser/lab.test.ts
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { docScreenshotPath, launchChromium, ROOT, screenshotPath, serveBuilt, watchPage, type Served } from './harness.ts';
import { longTasksBetween, pageNow, recordLongTasks } from './long-tasks.ts';

/** ResNet-18 width 4 at 32 px, 32/16 images, batch 16: 2 steps per epoch, 3 epochs. */
const SMALL = {
  width: '4',
  size: '32',
  trainCount: '32',
  testCount: '16',
  epochs: '3',
  batchSize: '16',
  noiseRate: '0.3',
  attentionCount: '4',
};
const STEPS = 6;
const LONG = 300_000;
const VIEW = { width: 1366, height: 768 };

/** Asserts that each element lies wholly inside the viewport. */
async function assertInView(page: Page, testIds: string[], when: string): Promise<void> {
  for (const id of testIds) {
    const box = await page.getByTestId(id).first().boundingBox();
    assert.ok(
      box && box.x >= 0 && box.y >= 0 && box.x + box.width <= VIEW.width && box.y + box.height <= VIEW.height,
      `${id} in view ${when}: ${JSON.stringify(box)}`,
    );
  }
}

const scrollToBottom = (page: Page) => page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));

let served: Served;
before(async () => {
  served = await serveBuilt(path.join(ROOT, '.tmp/dist-lab-test'));
});
after(async () => {
  await served?.close();
});

const points = async (page: Page) => Number(await page.getByTestId('loss-chart').getAttribute('data-points'));
const status = async (page: Page) => (await page.getByTestId('run-status').getAttribute('data-status')) ?? '';

async function waitFor(page: Page, fn: string, timeout = LONG): Promise<void> {
  await page.waitForFunction(fn, null, { timeout, polling: 250 });
}

/** Standard deviation of a canvas's RGB values: 0 for a blank (single-colour) canvas. */
async function canvasSpread(page: Page, testId: string): Promise<number[]> {
  return page.$$eval(`[data-testid="${testId}"]`, (canvases) =>
    (canvases as HTMLCanvasElement[]).map((c) => {
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let sum = 0,
        sq = 0,
        n = 0;
      for (let i = 0; i < d.length; i += 4)
        for (let k = 0; k < 3; k++) {
          sum += d[i + k];
          sq += d[i + k] ** 2;
          n++;
        }
      return Math.sqrt(Math.max(0, sq / n - (sum / n) ** 2));
    }),
  );
}

test('lab on WebGPU: charts, attention panel, pause/continue, reload and resume from the checkpoint', { timeout: 900_000 }, async () => {
  const browser = await launchChromium({ webgpu: true });
  try {
    const context = await browser.newContext({ viewport: VIEW });
    const page = await context.newPage();
    const watch = watchPage(page, served.url);
    await recordLongTasks(page);
    // WebGPU by name: on a software adapter, Auto would choose WebAssembly.
    await page.goto(`${served.url}?backend=webgpu`);
    await waitFor(page, `document.querySelector('[data-testid="backend-name"]')?.getAttribute('data-backend') === 'webgpu'`, 60_000);
    await assertInView(page, ['train', 'runbar-status'], 'on the first screen');
    await page.screenshot({ path: docScreenshotPath('lab-first-screen.png') });
    for (const [key, value] of Object.entries(SMALL)) await page.getByTestId(`setting-${key}`).fill(value);
    // Filling the last settings scrolled the page: Train is still in view.
    await assertInView(page, ['train', 'runbar-status'], 'after filling in the settings');
    const trainStart = await pageNow(page);
    await page.getByTestId('train').click();

    // Pause once the first step is in: the loop holds, and nothing moves until Continue.
    await waitFor(page, `Number(document.querySelector('[data-testid="loss-chart"]')?.getAttribute('data-points')) >= 1`);
    // The run's figures and its controls in view together, at the top and at the bottom of the page.
    await assertInView(page, ['train', 'pause', 'stop', 'runbar-status', 'runbar-figures', 'runbar-labels'], 'during the run');
    assert.match((await page.getByTestId('runbar-figures').textContent()) ?? '', /^epoch \d \/ 3 · step \d \/ 6/);
    assert.match(
      (await page.getByTestId('runbar-labels').textContent()) ?? '',
      /^Trains on demo faces \(32 train \/ 16 test\), \d+ of 32 labels flipped to another class/,
    );
    await scrollToBottom(page);
    await assertInView(page, ['pause', 'stop', 'runbar-status', 'runbar-figures'], 'during the run, scrolled to the bottom');
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.getByTestId('pause').click();
    await waitFor(page, `document.querySelector('[data-testid="run-paused"]')?.getAttribute('data-holding') === 'true'`);
    const held = await points(page);
    await page.waitForTimeout(4000);
    assert.equal(await points(page), held, 'no step while paused');
    assert.equal(await page.getByTestId('pause').textContent(), 'Continue');
    await page.screenshot({ path: screenshotPath('lab-paused.png'), fullPage: true });
    await page.getByTestId('pause').click();
    await waitFor(page, `Number(document.querySelector('[data-testid="loss-chart"]')?.getAttribute('data-points')) > ${held}`);

    // The attention panel: real images and maps (not blank), before training and after epoch 1.
    await waitFor(page, `document.querySelector('[data-testid="stored-run"][data-checkpoint="1"]') !== null`);
    // The panel renders in a non-blocking render: wait for its epoch-1 frame.
    await waitFor(page, `document.querySelector('[data-testid="attention-epoch"]')?.getAttribute('max') === '1'`, 30_000);
    assert.equal(await page.getByTestId('attention-sample').count(), 4);
    for (const id of ['attention-view1', 'attention-map1']) {
      const spread = await canvasSpread(page, id);
      assert.equal(spread.length, 4);
      assert.ok(
        spread.every((s) => s > 5),
        `${id} canvases are not blank: ${spread.map((s) => s.toFixed(1)).join(', ')}`,
      );
    }
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('attention-png').click()]);
    assert.equal(download.suggestedFilename(), 'eac-attention.png');
    const png = await download.createReadStream().then(async (st) => {
      const parts: Buffer[] = [];
      for await (const c of st) parts.push(c as Buffer);
      return Buffer.concat(parts);
    });
    assert.deepEqual([...png.subarray(1, 4)], [...Buffer.from('PNG')], 'the attention panel exports as a PNG');
    assert.ok(png.length > 5000, `a PNG with content (${png.length} bytes)`);
    const flippedCards = await page.locator('[data-testid="attention-sample"].att-flipped').count();
    assert.equal(flippedCards, 2, 'half of the attention samples have flipped labels');
    assert.ok((await points(page)) >= 2, 'the loss chart has the first epoch’s steps');
    await page.screenshot({ path: screenshotPath('lab-running.png'), fullPage: true });
    await page.getByTestId('attention-panel').scrollIntoViewIfNeeded();
    await assertInView(page, ['pause', 'runbar-figures'], 'with the attention panel in view');
    await page.screenshot({ path: docScreenshotPath('lab-run-in-progress.png') });
    const longTasks = await longTasksBetween(page, trainStart);
    mkdirSync(path.join(ROOT, 'artifacts'), { recursive: true });
    writeFileSync(
      path.join(ROOT, 'artifacts/lab-longtasks.json'),
      JSON.stringify({ during: 'training epoch 1 (WebGPU, SwiftShader)', longTasks }, null, 2),
    );
    console.log(
      `# main-thread long tasks during training: ${longTasks.length}${longTasks.length ? ` (longest ${Math.max(...longTasks.map((t) => t.duration)).toFixed(0)} ms)` : ''}`,
    );

    // Reload mid-run: the worker dies with the page; the run is left interrupted at its checkpoint.
    await page.reload();
    await waitFor(page, `document.querySelector('[data-testid="stored-run"][data-status="interrupted"]') !== null`, 60_000);
    const resume = page.getByTestId('resume-run');
    // At the epoch-1 checkpoint, or at a later one (within epochs they come as often as their cost allows).
    assert.match((await resume.textContent()) ?? '', /^Resume from (epoch [12]|step \d+ \(epoch [23]\))$/);
    // The same offer in the run bar, in view on the first screen, while the status says "Not started".
    const offer = page.getByTestId('resume-offer-button');
    await offer.waitFor({ timeout: 30_000 });
    assert.equal(await offer.textContent(), await resume.textContent());
    assert.match(
      (await page.getByTestId('resume-offer').textContent()) ?? '',
      /was interrupted (in epoch [23] of 3, at step \d+|after epoch [12] of 3)/,
    );
    await assertInView(page, ['resume-offer-button', 'train'], 'after the reload');
    await waitFor(page, `document.querySelector('[data-testid="backend-name"]')?.getAttribute('data-backend') === 'webgpu'`, 60_000);
    await page.screenshot({ path: docScreenshotPath('lab-resume-offer.png') });
    await offer.click();
    assert.equal(await page.getByTestId('resume-offer').count(), 0, 'the offer goes once the run resumes');
    await page.getByTestId('run-resumed').waitFor({ timeout: LONG });
    await waitFor(
      page,
      `['done', 'stopped', 'error'].includes(document.querySelector('[data-testid="run-status"]')?.getAttribute('data-status') ?? '')`,
    );
    const errorText = (await page.getByTestId('run-error').count()) ? await page.getByTestId('run-error').first().textContent() : null;
    assert.equal(await status(page), 'done', `resumed run ended with ${errorText}`);
    await page.screenshot({ path: screenshotPath('lab-resumed-finished.png'), fullPage: true, timeout: 120_000 });
    const rows = await page.getByTestId('epoch-row').evaluateAll((trs) => trs.map((tr) => tr.querySelector('td')?.textContent));
    assert.deepEqual(rows, ['1', '2', '3'], 'the resumed run shows the stored epochs and the new ones');
    assert.equal(await points(page), STEPS, 'the step chart holds every step of the run, before and after the reload');
    const frames = await page.getByTestId('attention-epoch').getAttribute('max');
    assert.equal(Number(frames), 3, 'attention frames: before training and after epochs 1-3');
    assert.equal(await page.locator('[data-testid="stored-run"][data-status="this tab"]').count(), 1);
    assert.deepEqual(watch.foreign, [], 'no request leaves the app origin');
    assert.deepEqual(
      watch.consoleErrors.filter((e) => !/Failed to load resource/.test(e)),
      [],
    );
  } finally {
    await browser.close();
  }
});

test('lab on WebGPU: a lost GPU device restarts the worker and resumes from the last checkpoint', { timeout: 600_000 }, async () => {
  const browser = await launchChromium({ webgpu: true });
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const watch = watchPage(page, served.url);
    await page.goto(`${served.url}?debug&backend=webgpu`);
    await waitFor(page, `document.querySelector('[data-testid="backend-name"]')?.getAttribute('data-backend') === 'webgpu'`, 60_000);
    for (const [key, value] of Object.entries({ ...SMALL, epochs: '2' })) await page.getByTestId(`setting-${key}`).fill(value);
    await page.getByTestId('train').click();
    await waitFor(page, `document.querySelector('[data-testid="stored-run"][data-checkpoint="1"]') !== null`);
    // What a driver reset does: the device is destroyed under the running worker.
    // The hook exists in test builds only (src/ui/debug-hooks.ts: `vite build --mode test`).
    await page.evaluate(() => {
      const hooks = (window as unknown as { eacDebug?: { loseDevice(): void } }).eacDebug;
      if (!hooks) throw new Error('no window.eacDebug: build the app with `vite build --mode test`');
      hooks.loseDevice();
    });
    await page.getByTestId('run-notice').waitFor({ timeout: LONG });
    assert.match(
      (await page.getByTestId('run-notice').textContent()) ?? '',
      /GPU device was lost.*resumed the run from the checkpoint of epoch 1/,
    );
    await waitFor(
      page,
      `['done', 'stopped', 'error'].includes(document.querySelector('[data-testid="run-status"]')?.getAttribute('data-status') ?? '')`,
    );
    const errorText = (await page.getByTestId('run-error').count()) ? await page.getByTestId('run-error').first().textContent() : null;
    assert.equal(await status(page), 'done', `recovered run ended with ${errorText}`);
    assert.equal(await page.getByTestId('backend-name').getAttribute('data-backend'), 'webgpu', 'the new worker is on WebGPU again');
    const rows = await page.getByTestId('epoch-row').evaluateAll((trs) => trs.map((tr) => tr.querySelector('td')?.textContent));
    assert.deepEqual(rows, ['1', '2']);
    assert.equal(await points(page), 4);
    await page.screenshot({ path: screenshotPath('lab-device-lost-recovered.png'), fullPage: true, timeout: 120_000 });
    assert.deepEqual(watch.foreign, []);
  } finally {
    await browser.close();
  }
});
