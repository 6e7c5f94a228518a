// The run bar says what Train will do now (issue 23 item 3): on WebAssembly, a tiny demo run; while
// it trains the bar says what it trains on; once it is done, changing the form changes "Train will
// use …" at once, and the finished run is named apart as "Last run trained on …"; at 1366 px the
// progress panel's values (backend, adapter, memory) are shown in full, not cut off. Screenshot:
// docs/screenshots/runbar-last-run.png.
//
//   node --import tsx --test tests/browser/runbar.test.ts
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { docScreenshotPath, launchChromium, openLabOnWasm, ROOT, serveBuilt, type Served } from './harness.ts';

const TINY = {
  width: '4',
  size: '32',
  trainCount: '32',
  testCount: '16',
  epochs: '1',
  batchSize: '16',
  noiseRate: '0.3',
  attentionCount: '2',
};

let served: Served;
before(async () => {
  served = await serveBuilt(path.join(ROOT, '.tmp/dist-runbar-test'));
});
after(async () => {
  await served?.close();
});

test('the run bar follows the form after a run, and names the last run apart', { timeout: 300_000 }, async () => {
  const browser = await launchChromium({ webgpu: false });
  try {
    const { page, watch } = await openLabOnWasm(browser, served.url);
    for (const [key, value] of Object.entries(TINY)) await page.getByTestId(`setting-${key}`).fill(value);
    const labels = page.getByTestId('runbar-labels');
    assert.match(
      (await labels.textContent()) ?? '',
      /^Train will use demo faces \(32 train \/ 16 test\), each label flipped to another class with a 30% chance .*ResNet-18 width 4 at 32 px/,
    );
    await page.getByTestId('train').click();
    await page.waitForFunction(`document.querySelector('[data-testid="runbar-status"]')?.textContent === 'Finished'`, null, {
      timeout: 240_000,
    });
    // Changed after the run: the bar says what Train does now, and the run that was, labelled as such.
    await page.getByTestId('setting-noiseRate').fill('0');
    await page.getByTestId('setting-size').fill('48');
    assert.match(
      (await labels.textContent()) ?? '',
      /^Train will use demo faces \(32 train \/ 16 test\), clean labels; ResNet-18 width 4 at 48 px/,
    );
    const last = (await page.getByTestId('runbar-last-run').textContent()) ?? '';
    assert.match(
      last,
      /^Last run trained on demo faces \(32 train \/ 16 test\), \d+ of 32 labels flipped to another class .*ResNet-18 width 4 at 32 px/,
    );
    // At 1366 px the progress panel's values show in full (they wrap): none is cut off.
    const cut = await page.$$eval('.stat dd', (dds) =>
      dds.filter((d) => d.scrollWidth > d.clientWidth + 1).map((d) => d.textContent ?? ''),
    );
    assert.deepEqual(cut, [], 'values cut off');
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: docScreenshotPath('runbar-last-run.png') });
    assert.deepEqual(watch.foreign, []);
  } finally {
    await browser.close();
  }
});

test('a run that fits but will take days says so while it trains; a fix stops it and trains the fix', { timeout: 300_000 }, async () => {
  const browser = await launchChromium({ webgpu: false });
  try {
    const { page, watch } = await openLabOnWasm(browser, served.url);
    // 500 epochs of 63 steps of ResNet-18 at 96 px: days on WebAssembly (about 8 s a step on 2 cores).
    const LONG = { ...TINY, width: '64', size: '96', trainCount: '2000', testCount: '100', batchSize: '32', epochs: '500' };
    for (const [key, value] of Object.entries(LONG)) await page.getByTestId(`setting-${key}`).fill(value);
    await page.getByTestId('train').click();
    const notice = page.getByTestId('start-problem');
    await notice.waitFor({ timeout: 180_000 });
    assert.equal(await notice.getAttribute('data-tone'), 'warning');
    const text = (await page.getByTestId('start-problem-text').textContent()) ?? '';
    assert.match(
      text,
      /^At the pace measured on WebAssembly \(WASM\) \([\d.]+ images\/s\), this run takes about .* in all .*It keeps training\.$/,
    );
    assert.notEqual(await page.getByTestId('runbar-status').textContent(), 'Finished');
    const fix = page.getByTestId('run-fix').first();
    const label = (await fix.textContent()) ?? '';
    const epochs = Number(/· (\d+) epochs/.exec(label)?.[1]);
    assert.ok(epochs >= 1 && epochs < 100_000, label);
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: docScreenshotPath('runbar-long-run.png') });
    // One click: the long run stops (kept in Runs) and the fix trains.
    await fix.click();
    await page.waitForFunction(
      (n) =>
        (document.querySelector('[data-testid="setting-epochs"]') as HTMLInputElement | null)?.value === String(n) &&
        new RegExp(`^\\d+ / ${n} \\(`).test(document.querySelector('[data-testid="progress-epoch"]')?.textContent ?? '') &&
        Number(document.querySelector('[data-testid="loss-chart"]')?.getAttribute('data-points')) >= 1 &&
        !document.querySelector('[data-testid="start-problem"]'),
      epochs,
      { timeout: 180_000, polling: 250 },
    );
    assert.match((await page.getByTestId('runbar-labels').textContent()) ?? '', /ResNet-18( width 64)? at 96 px/);
    assert.deepEqual(watch.foreign, []);
  } finally {
    await browser.close();
  }
});
