// The classroom camera end to end on the built app in headless Chromium (WebAssembly backend) with a
// fake camera: a Y4M clip of a demo face centred in the guide box, magenta around it
// (tests/browser/camera-clip.ts). Two tiny demo runs (EAC, baseline) are trained through the lab's
// form, then in the classroom's Camera mode: the camera's crop predicts what the same face as an
// image file does, holds no magenta, and the maps are drawn; a hand-erased box
// changes the maps; freeze, save (a PNG download) and the side-by-side of both runs work; a lost
// camera comes back. Then a context without camera permission, and a browser without a camera,
// each get their one line. Screenshots go to docs/screenshots/camera-*.png.
//
//   node --import tsx --test tests/browser/camera.test.ts
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { docScreenshotPath, launchChromium, ROOT, serveBuilt, watchPage, type Served } from './harness.ts';
import { writeFaceClip, type FaceClip } from './camera-clip.ts';

const TINY = { width: '4', size: '112', trainCount: '48', testCount: '16', epochs: '1', batchSize: '16', noiseRate: '0.3' };
const LONG = 300_000;

let served: Served;
let clip: FaceClip;
before(async () => {
  served = await serveBuilt(path.join(ROOT, '.tmp/dist-camera'));
  clip = writeFaceClip(path.join(ROOT, '.tmp/camera-clip'));
});
after(async () => {
  await served?.close();
});

async function waitFor(page: Page, fn: string, timeout = LONG): Promise<void> {
  await page.waitForFunction(fn, null, { timeout, polling: 250 });
}

/** Spread of a canvas's RGB values (0: blank), a fingerprint, and the share of magenta pixels. */
async function canvasInfo(page: Page, testId: string): Promise<{ spread: number; hash: number; magenta: number }> {
  return page.$eval(`[data-testid="${testId}"]`, (c) => {
    const canvas = c as HTMLCanvasElement;
    const d = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
    let sum = 0,
      sq = 0,
      n = 0,
      hash = 0,
      magenta = 0;
    for (let i = 0; i < d.length; i += 4) {
      for (let k = 0; k < 3; k++) {
        sum += d[i + k];
        sq += d[i + k] ** 2;
        n++;
      }
      if (d[i] > 200 && d[i + 1] < 70 && d[i + 2] > 200) magenta++;
      hash = (Math.imul(hash, 31) + d[i] + d[i + 1] * 7 + d[i + 2] * 13) | 0;
    }
    return { spread: Math.sqrt(Math.max(0, sq / n - (sum / n) ** 2)), hash, magenta: magenta / (d.length / 4) };
  });
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
  assert.equal(await page.getByTestId('run-status').getAttribute('data-status'), 'done', `the ${method} run`);
}

const probs = async (page: Page): Promise<number[]> => JSON.parse((await page.getByTestId('cam-probs').getAttribute('data-probs')) ?? '[]');
const consistency = async (page: Page): Promise<number> => Number(await page.getByTestId('cam-consistency').getAttribute('data-value'));

async function openCamera(page: Page): Promise<void> {
  await page.getByTestId('view-classroom').click();
  await page.getByTestId('cr-mode-camera').click();
  await page.getByTestId('camera-view').waitFor();
}

test('classroom camera: crop, prediction, maps, hand erasing, freeze, save, side by side', { timeout: 1_500_000 }, async () => {
  const browser = await launchChromium({
    webgpu: false,
    webgl: false,
    extraArgs: ['--use-fake-device-for-media-stream', `--use-file-for-fake-video-capture=${clip.y4m}`],
  });
  try {
    const context = await browser.newContext({ viewport: { width: 1400, height: 1000 }, acceptDownloads: true });
    await context.grantPermissions(['camera'], { origin: served.url });
    const page = await context.newPage();
    const watch = watchPage(page, served.url);
    await page.goto(served.url);
    await waitFor(page, `document.querySelector('[data-testid="backend-name"]')?.getAttribute('data-backend') === 'wasm'`, 120_000);
    await trainTinyRun(page, 'baseline');
    await trainTinyRun(page, 'eac');

    await openCamera(page);
    // The face as an image file first (its whole square is the face): the prediction to expect.
    await page.getByTestId('cam-file').setInputFiles(clip.bmp);
    await page.getByTestId('cam-probs').waitFor({ timeout: LONG });
    const fileProbs = await probs(page);
    assert.equal(fileProbs.length, 7);

    // The camera: the face in the guide box is cropped, so it predicts what the file does.
    await page.getByTestId('cam-start').click();
    await page.getByTestId('cam-guide').waitFor({ timeout: 30_000 });
    await waitFor(page, `Number(document.querySelector('[data-testid="cam-fps"]')?.getAttribute('data-fps')) > 0`, 60_000);
    const liveProbs = await probs(page);
    const gap = Math.max(...liveProbs.map((p, k) => Math.abs(p - fileProbs[k])));
    assert.ok(
      gap < 0.03,
      `the camera's crop predicts as the face's file does: ${JSON.stringify(liveProbs)} vs ${JSON.stringify(fileProbs)} (largest gap ${gap.toFixed(3)})`,
    );
    // The crop is the face in the guide box: none of the magenta around it.
    const face = await canvasInfo(page, 'cam-face');
    assert.ok(face.spread > 5, `the crop is drawn (spread ${face.spread.toFixed(1)})`);
    assert.ok(face.magenta < 0.005, `the crop holds the face only (magenta ${(face.magenta * 100).toFixed(1)}%)`);
    for (const id of ['cam-map1', 'cam-map2', 'cam-diff']) assert.ok((await canvasInfo(page, id)).spread > 5, `${id} is drawn`);
    const liveConsistency = await consistency(page);
    assert.ok(Number.isFinite(liveConsistency) && liveConsistency > 0, `consistency ${liveConsistency}`);
    await page.screenshot({ path: docScreenshotPath('camera-live.png') });

    // Erase a patch by hand: drag over the face; both maps and the consistency change.
    const before1 = (await canvasInfo(page, 'cam-map1')).hash;
    const before2 = (await canvasInfo(page, 'cam-map2')).hash;
    const eraser = (await page.getByTestId('cam-eraser').boundingBox())!;
    await page.mouse.move(eraser.x + 30, eraser.y + 40);
    await page.mouse.down();
    await page.mouse.move(eraser.x + 110, eraser.y + 90, { steps: 5 });
    await page.mouse.move(eraser.x + 130, eraser.y + 120, { steps: 5 });
    await page.mouse.up();
    // A string, not a function: tsx would wrap an inner named function in a helper the page lacks.
    const hashOf = (id: string) =>
      `(() => { const c = document.querySelector('[data-testid="${id}"]'); const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;` +
      ' let h = 0; for (let i = 0; i < d.length; i += 4) h = (Math.imul(h, 31) + d[i] + d[i + 1] * 7 + d[i + 2] * 13) | 0; return h; })()';
    await waitFor(page, `${hashOf('cam-map1')} !== ${before1} && ${hashOf('cam-map2')} !== ${before2}`, 60_000);
    assert.notEqual(await consistency(page), liveConsistency, 'the erased face has another consistency');
    await page.screenshot({ path: docScreenshotPath('camera-erased.png') });

    // A lost camera (the track ends): one line, then it comes back by itself.
    await page.evaluate(() => {
      const v = document.querySelector('[data-testid="cam-video"]') as HTMLVideoElement;
      for (const t of (v.srcObject as MediaStream).getVideoTracks()) t.dispatchEvent(new Event('ended'));
    });
    await page.getByTestId('cam-problem').waitFor({ timeout: 10_000 });
    assert.match((await page.getByTestId('cam-problem').textContent()) ?? '', /camera stopped/);
    await page.getByTestId('cam-problem').waitFor({ state: 'detached', timeout: 30_000 });

    // Freeze, save as PNG, add to the side by side; the same face under the other run, added too.
    await page.getByTestId('cam-freeze').click();
    await page.getByTestId('cam-resume').waitFor();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('cam-save').click()]);
    const saved = path.join(ROOT, '.tmp/camera-clip/saved.png');
    await download.saveAs(saved);
    const png = readFileSync(saved);
    assert.deepEqual([...png.subarray(1, 4)], [0x50, 0x4e, 0x47], 'a PNG');
    assert.ok(png.length > 20_000, `the PNG holds the pictures (${png.length} bytes)`);
    await page.getByTestId('cam-add').click();
    const other = await page.getByTestId('cr-run').locator('option').nth(1).getAttribute('value');
    await page.getByTestId('cr-run').selectOption(other!);
    await waitFor(page, `document.querySelector('[data-testid="cam-fps"]') !== null`, 60_000);
    await page.waitForTimeout(300); // the still under the other run is answered
    await waitFor(page, `document.querySelector('[data-testid="cam-add"]')?.disabled === false`, 60_000);
    await page.getByTestId('cam-add').click();
    await page.getByTestId('cam-card-1').waitFor();
    for (const id of ['cam-card-0-map1', 'cam-card-1-map1']) assert.ok((await canvasInfo(page, id)).spread > 5, `${id} is drawn`);
    await page.getByTestId('cam-cards').scrollIntoViewIfNeeded();
    await page.screenshot({ path: docScreenshotPath('camera-frozen-side-by-side.png'), fullPage: true });

    assert.deepEqual(watch.foreign, [], 'no request leaves the app origin');
    assert.deepEqual(
      watch.consoleErrors.filter((e) => !/Failed to load resource/.test(e)),
      [],
    );
  } finally {
    await browser.close();
  }
});

test('classroom camera: a denied camera and a missing camera each get their line; a file still works', { timeout: 300_000 }, async () => {
  const withFake = await launchChromium({
    webgpu: false,
    webgl: false,
    extraArgs: ['--use-fake-device-for-media-stream', `--use-file-for-fake-video-capture=${clip.y4m}`],
  });
  try {
    const page = await (await withFake.newContext()).newPage(); // no camera permission granted: the prompt is denied
    await page.goto(served.url);
    await openCamera(page);
    await page.getByTestId('cam-start').click();
    await page.getByTestId('cam-problem').waitFor({ timeout: 30_000 });
    assert.match(
      (await page.getByTestId('cam-problem').textContent()) ?? '',
      /^The camera was not allowed.*Choose an image file instead\.$/,
    );
  } finally {
    await withFake.close();
  }
  const noCamera = await launchChromium({ webgpu: false, webgl: false });
  try {
    const context = await noCamera.newContext();
    await context.grantPermissions(['camera'], { origin: served.url });
    const page = await context.newPage();
    await page.goto(served.url);
    await openCamera(page);
    await page.getByTestId('cam-start').click();
    await page.getByTestId('cam-problem').waitFor({ timeout: 30_000 });
    assert.match((await page.getByTestId('cam-problem').textContent()) ?? '', /^No camera was found.*Choose an image file instead\.$/);
    assert.equal(await page.getByTestId('cam-file').isEnabled(), true, 'the image file stays available');
  } finally {
    await noCamera.close();
  }
});
