// Tiny-ImageNet, FERPlus, AffectNet, CIFAR-10 and class folders of PNGs on the built app in headless
// Chromium (issue 25 item 2): small real-format folders (tests/fixtures/dataset-fixtures.ts) given through the folder input, found by the
// detector the CLI uses (src/data/formats/detect.ts), read in the ingest worker, and listed in the
// Data panel with their classes and counts per split (and the rows FER+'s rule or AffectNet's
// expressions 8-10 drop, and what was skipped).
//
//   node --import tsx --test tests/browser/dataset-formats-page.test.ts
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { docScreenshotPath, launchChromium, ROOT, serveBuilt, watchPage, type Served } from './harness.ts';
import {
  affectNetRows,
  ferPlusRows,
  writeAffectNet,
  writeCifar10,
  writeFerPlus,
  writePngFolders,
  writeTinyImageNet,
} from '../fixtures/dataset-fixtures.ts';

const BASE = path.join(ROOT, '.tmp/dataset-formats-page');
const VIEW = { width: 1366, height: 900 };

async function waitFor(page: Page, fn: string, timeout = 120_000): Promise<void> {
  await page.waitForFunction(fn, null, { timeout, polling: 250 });
}

let served: Served;
before(async () => {
  served = await serveBuilt(path.join(ROOT, '.tmp/dist-dataset-formats-page'));
});
after(async () => {
  await served?.close();
});

async function ingest(page: Page, dir: string): Promise<void> {
  await page.getByTestId('folder-input').setInputFiles(dir);
  await waitFor(page, `document.querySelector('[data-testid="ingest"]')?.getAttribute('data-status') === 'done'`);
  await page.getByTestId('selected-dataset').waitFor();
}

async function shoot(page: Page, name: string): Promise<void> {
  await page.getByTestId('data-panel').scrollIntoViewIfNeeded();
  await page.evaluate(() => {
    const report = document.querySelector('[data-testid="dataset-report"]');
    const top = report ? report.getBoundingClientRect().top + window.scrollY - 300 : 0;
    window.scrollTo(0, Math.max(0, top));
  });
  await page.screenshot({ path: docScreenshotPath(name) });
}

test('Tiny-ImageNet, FERPlus, AffectNet, CIFAR-10 and PNG class folders: found, read in the page, counted per class and split', {
  timeout: 600_000,
}, async () => {
  rmSync(BASE, { recursive: true, force: true });
  const tiny = path.join(BASE, 'tiny-imagenet-200');
  await writeTinyImageNet(tiny, { perClass: 4, valPerClass: 2 });
  const fer = path.join(BASE, 'ferplus');
  const rows = ferPlusRows(40);
  rows.push({ usage: 'Training', votes: [0, 0, 0, 0, 0, 0, 0, 0, 9, 1] });
  writeFerPlus(fer, rows);
  const affect = path.join(BASE, 'AffectNet');
  const train = affectNetRows(24, 't');
  train.push({ path: '9/nonface.jpg', expression: 10 }, { path: '9/gone.jpg', expression: 1, noImage: true });
  await writeAffectNet(affect, train, affectNetRows(8, 'v'));
  const cifar = path.join(BASE, 'cifar-10-batches-bin');
  writeCifar10(cifar, 30, 10);
  const png = path.join(BASE, 'pets');
  await writePngFolders(png);
  const browser = await launchChromium({ webgpu: false });
  try {
    const page = await (await browser.newContext({ viewport: VIEW })).newPage();
    const watch = watchPage(page, served.url);
    await page.goto(`${served.url}?backend=wasm`);

    await ingest(page, tiny);
    assert.match((await page.getByTestId('dataset-classes').textContent()) ?? '', /^3 classes, 64×64 px images\./);
    assert.equal(await page.getByTestId('report-train').textContent(), '12');
    assert.equal(await page.getByTestId('report-test').textContent(), '6');
    assert.equal(await page.getByTestId('count-train-class a0').textContent(), '4');
    assert.equal(await page.getByTestId('count-test-class c2').textContent(), '2');
    await shoot(page, 'datasets-tiny-imagenet.png');

    await ingest(page, fer);
    assert.match((await page.getByTestId('dataset-classes').textContent()) ?? '', /^8 classes, 48×48 px images\./);
    assert.equal(await page.getByTestId('report-train').textContent(), '32');
    assert.equal(await page.getByTestId('report-test').textContent(), '8');
    assert.equal(await page.getByTestId('count-train-Contempt').textContent(), '4');
    assert.match((await page.getByTestId('dataset-report').textContent()) ?? '', /1 unknown/);
    await shoot(page, 'datasets-ferplus.png');

    // The same folder read as the paper's 7 basic expressions: another cache entry, contempt dropped.
    await page.getByTestId('basic-classes').check();
    await ingest(page, fer);
    assert.match((await page.getByTestId('dataset-classes').textContent()) ?? '', /^7 classes, 48×48 px images\./);
    assert.equal(await page.getByTestId('report-train').textContent(), '28', 'the 4 contempt rows dropped');
    assert.equal(await page.getByTestId('count-train-Contempt').count(), 0);
    assert.equal(await page.getByTestId('cached-dataset').count(), 3, 'Tiny-ImageNet, FERPlus (8) and FERPlus (7)');
    await page.getByTestId('basic-classes').uncheck();

    await ingest(page, affect);
    assert.match((await page.getByTestId('dataset-classes').textContent()) ?? '', /^8 classes, 112×112 px images\./);
    assert.equal(await page.getByTestId('report-train').textContent(), '24');
    assert.equal(await page.getByTestId('report-test').textContent(), '8');
    assert.equal(await page.getByTestId('count-train-Contempt').textContent(), '3');
    assert.match((await page.getByTestId('dataset-report').textContent()) ?? '', /1 non-face/);
    assert.equal(await page.getByTestId('skip-unreadable').getAttribute('data-count'), '1', 'the missing image');
    await shoot(page, 'datasets-affectnet.png');

    await ingest(page, cifar);
    assert.match((await page.getByTestId('dataset-classes').textContent()) ?? '', /^10 classes, 32×32 px images\./);
    assert.equal(await page.getByTestId('report-train').textContent(), '30');
    assert.equal(await page.getByTestId('report-test').textContent(), '10');
    assert.equal(await page.getByTestId('count-train-airplane').textContent(), '3');
    await shoot(page, 'datasets-cifar10.png');

    await ingest(page, png);
    assert.match((await page.getByTestId('dataset-classes').textContent()) ?? '', /^2 classes, 112×112 px images\./);
    assert.equal(await page.getByTestId('report-train').textContent(), '16', 'seven PNG colour types and a JPEG per class');
    assert.equal(await page.getByTestId('count-test-dog').textContent(), '8');
    await shoot(page, 'datasets-class-folders.png');
    assert.deepEqual(watch.foreign, [], 'no request leaves the page’s origin');
    assert.deepEqual(watch.consoleErrors, []);
  } finally {
    await browser.close();
  }
});
