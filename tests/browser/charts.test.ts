// The lab's charts, progress panel and exports on a preview page (tests/browser/charts-preview.tsx)
// fed a synthetic run through the store: the SVG lines have points, long runs are thinned, clean
// runs hide the memorisation chart, and the CSV, JSON and PNG exports download what they should.
// Screenshots: artifacts/screenshots/charts*.png.
//
//   node --import tsx --test tests/browser/charts.test.ts
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { build, preview } from 'vite';
import react from '@vitejs/plugin-react';
import type { PreviewApi } from './charts-preview.tsx';
import { freePort, launchChromium, ROOT, screenshotPath, watchPage, type Served } from './harness.ts';

let served: Served;
let browser: Browser;

/**
 * A production build of the preview page alone (own folder: other tests build concurrently), so
 * that what is measured is React's and recharts' production code, as in the built app.
 */
async function servePreviewBuild(): Promise<Served> {
  const outDir = path.join(ROOT, '.tmp/dist-charts');
  const base = { root: ROOT, configFile: false as const, logLevel: 'warn' as const, plugins: [react()] };
  await build({
    ...base,
    build: {
      target: 'es2022',
      outDir,
      emptyOutDir: true,
      chunkSizeWarningLimit: 4000,
      rolldownOptions: { checks: { bundlerTimings: false }, input: { preview: path.join(ROOT, 'tests/browser/charts-preview.html') } },
    },
  });
  const port = await freePort();
  const server = await preview({ ...base, build: { outDir }, preview: { host: '127.0.0.1', port, strictPort: true, open: false } });
  return { url: `http://127.0.0.1:${port}/`, close: () => new Promise<void>((resolve) => server.httpServer.close(() => resolve())) };
}

before(async () => {
  served = await servePreviewBuild();
  browser = await launchChromium({ webgpu: false });
});

after(async () => {
  await browser?.close();
  await served?.close();
});

async function open(query: string): Promise<{ page: Page; watch: ReturnType<typeof watchPage> }> {
  const page = await browser.newPage({ viewport: { width: 1100, height: 900 }, acceptDownloads: true });
  const watch = watchPage(page, served.url);
  await page.goto(`${served.url}tests/browser/charts-preview.html?${query}`);
  await page.waitForFunction(() => (window as unknown as { __preview?: PreviewApi }).__preview?.ready === true, null, { timeout: 60_000 });
  return { page, watch };
}

/** Vertices of each curve (straight segments: one M, then one L per further point) under `scope`. */
async function vertices(page: Page, scope: string): Promise<number[]> {
  return page.$$eval(`${scope} path.plot-curve`, (paths) => paths.map((p) => ((p.getAttribute('d') ?? '').match(/[ML]/g) ?? []).length));
}

async function attr(page: Page, testId: string, name: string): Promise<string | null> {
  return page.getByTestId(testId).getAttribute(name);
}

test('EAC run with noisy labels: every chart drawn, epochs marked, progress figures', { timeout: 120_000 }, async () => {
  const { page, watch } = await open('steps=3000&epochs=6&flipped=60');
  try {
    await page.screenshot({ path: screenshotPath('charts.png'), fullPage: true });
    assert.equal(await attr(page, 'loss-chart', 'data-points'), '3000');
    const drawn = Number(await attr(page, 'loss-chart', 'data-drawn'));
    assert.ok(drawn > 100 && drawn <= 1502, `${drawn} rows drawn`);
    // Raw and smoothed loss, CE and λ·consistency: six lines with every drawn row.
    assert.deepEqual(await vertices(page, '[data-testid="loss-chart"] .loss-raw'), [drawn, drawn, drawn]);
    assert.deepEqual(await vertices(page, '[data-testid="loss-chart"] .loss-smooth'), [drawn, drawn, drawn]);
    assert.equal(
      await page.locator('[data-testid="loss-chart"] .epoch-marker').count(),
      5,
      'a marker at each of the 5 epoch starts after the first',
    );
    assert.deepEqual(await vertices(page, '[data-testid="accuracy-chart"]'), [6, 6, 6]);
    assert.deepEqual(await vertices(page, '[data-testid="memorisation-chart"]'), [6, 6]);
    assert.deepEqual(await vertices(page, '[data-testid="lr-chart"]'), [6, 6]);
    const accTicks = await page.locator('[data-testid="accuracy-chart"] .recharts-cartesian-axis-tick-value').allTextContents();
    assert.ok(accTicks.includes('100%') && accTicks.includes('0%'), `percent axis: ${accTicks.join(' ')}`);
    assert.equal(await page.getByTestId('progress-epoch').textContent(), '6 / 6 (step 500 / 500)');
    assert.equal(await page.getByTestId('progress-step').textContent(), '3000 / 3000');
    assert.equal(await page.getByTestId('progress-backend').textContent(), 'WebGPU');
    assert.match((await page.getByTestId('progress-adapter').textContent()) ?? '', /swiftshader/);
    assert.equal(await page.getByTestId('progress-memory').textContent(), '187.7 MB · 412 tensors');

    // The smoothing slider changes the smoothed lines, not the raw ones.
    const smoothBefore = await page.$$eval('[data-testid="loss-chart"] .loss-smooth path.smooth-curve', (p) =>
      p.map((x) => x.getAttribute('d')),
    );
    const rawBefore = await page.$$eval('[data-testid="loss-chart"] .loss-raw path.raw-curve', (p) => p.map((x) => x.getAttribute('d')));
    await page.getByTestId('loss-smoothing').fill('0.95');
    await page.waitForFunction(() => document.querySelector('.smoothing output')?.textContent === '0.95');
    // The plot redraws in a non-blocking render, just after the slider's own update.
    await page
      .waitForFunction(
        (before) => document.querySelector('[data-testid="loss-chart"] .loss-smooth path.smooth-curve')?.getAttribute('d') !== before,
        smoothBefore[0],
        { timeout: 10_000 },
      )
      .catch(() => undefined);
    const smoothAfter = await page.$$eval('[data-testid="loss-chart"] .loss-smooth path.smooth-curve', (p) =>
      p.map((x) => x.getAttribute('d')),
    );
    const rawAfter = await page.$$eval('[data-testid="loss-chart"] .loss-raw path.raw-curve', (p) => p.map((x) => x.getAttribute('d')));
    assert.notDeepEqual(smoothAfter, smoothBefore);
    assert.deepEqual(rawAfter, rawBefore);

    // Hovering the plot reads out the drawn row under the pointer: smoothed and raw values.
    const plot = (await page.getByTestId('loss-hover').boundingBox())!;
    await page.mouse.move(plot.x + plot.width / 2, plot.y + plot.height / 2);
    const tip = page.getByTestId('loss-tooltip');
    await tip.waitFor({ timeout: 5000 });
    const text = (await tip.textContent()) ?? '';
    const step = Number(/step (\d+)/.exec(text)?.[1]);
    assert.ok(step > 1350 && step < 1650, `the middle of the 3000-step axis reads step ${step}: ${text}`);
    assert.match(text, /epoch 3/);
    assert.match(text, /cross-entropy: [\d.]+ \(raw [\d.]+\)/);
    assert.equal(await page.locator('[data-testid="loss-chart"] .plot-hover circle').count(), 3, 'a dot on each smoothed curve');
    await page.screenshot({ path: screenshotPath('charts-loss-hover.png'), clip: (await page.getByTestId('loss-chart').boundingBox())! });
    await page.mouse.move(1, 1);
    await tip.waitFor({ state: 'detached', timeout: 5000 });

    // The per-epoch charts read out the epoch under the pointer, each curve's value in percent.
    // In view first: the progress panel's values wrap (issue 23), which can push the chart below the fold.
    await page.getByTestId('accuracy-hover').scrollIntoViewIfNeeded();
    const acc = (await page.getByTestId('accuracy-hover').boundingBox())!;
    await page.mouse.move(acc.x + acc.width * 0.45, acc.y + acc.height / 2);
    const readout = page.getByTestId('accuracy-chart').getByTestId('plot-readout');
    await readout.waitFor({ timeout: 5000 });
    const accText = (await readout.textContent()) ?? '';
    assert.match(accText, /^epoch 3train vs noisy labels: \d+\.\d%train vs clean labels: \d+\.\d%test: \d+\.\d%$/, accText);
    assert.equal(await page.locator('[data-testid="accuracy-chart"] .plot-hover circle').count(), 3);
    await page.mouse.move(1, 1);
    await readout.waitFor({ state: 'detached', timeout: 5000 });
    assert.deepEqual(watch.consoleErrors, []);
    assert.deepEqual(watch.foreign, []);
  } finally {
    await page.close();
  }
});

test('exports: epoch and step CSV, run JSON, charts PNG', { timeout: 120_000 }, async () => {
  const { page, watch } = await open('steps=600&epochs=3&flipped=60');
  try {
    const download = async (testId: string) => {
      const [d] = await Promise.all([page.waitForEvent('download'), page.getByTestId(testId).click()]);
      const file = await d.path();
      return { name: d.suggestedFilename(), bytes: readFileSync(file) };
    };
    const epochs = await download('export-epochs-csv');
    assert.match(epochs.name, /^eac-resnet18-eac-seed0-\d{8}-\d{6}-epochs\.csv$/);
    const lines = epochs.bytes.toString('utf8').trimEnd().split('\r\n');
    assert.equal(lines.length, 4, 'header + 3 epochs');
    assert.match(lines[0], /^epoch,steps,loss,ce,consistency,trainAccNoisy,trainAccClean,/);

    const steps = await download('export-steps-csv');
    assert.equal(steps.bytes.toString('utf8').trimEnd().split('\r\n').length, 601);

    const json = await download('export-json');
    const doc = JSON.parse(json.bytes.toString('utf8'));
    assert.equal(doc.format, 'eac-lab-run');
    assert.equal(doc.config.arch, 'resnet18');
    assert.equal(doc.steps.step.length, 600);
    assert.equal(doc.epochs.length, 3);
    assert.equal(doc.dataset.labelsHash, 'preview');
    assert.match(doc.versions['tfjs-core'], /^\d+\.\d+\.\d+/);
    assert.match(doc.versions.app, /^\d+\.\d+\.\d+/);
    assert.equal(doc.backend.name, 'webgpu');

    const png = await download('export-charts-png');
    assert.match(png.name, /-charts\.png$/);
    assert.deepEqual([...png.bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'a PNG');
    const width = png.bytes.readUInt32BE(16);
    const height = png.bytes.readUInt32BE(20);
    assert.ok(width >= 1000 && height >= 1400, `${width}×${height}: four charts at 2×`);
    writeFileSync(screenshotPath('charts-export.png'), png.bytes);
    assert.match((await page.getByTestId('export-outcome').textContent()) ?? '', /^Saved .*-charts\.png \(\d+(\.\d)? kB\)$/);
    assert.deepEqual(watch.consoleErrors, []);
  } finally {
    await page.close();
  }
});

test('clean baseline run: one loss line, memorisation hidden with a note', { timeout: 120_000 }, async () => {
  const { page } = await open('steps=200&epochs=2&flipped=0&method=baseline');
  try {
    await page.screenshot({ path: screenshotPath('charts-clean-baseline.png'), fullPage: true });
    assert.deepEqual(await vertices(page, '[data-testid="loss-chart"]'), [200, 200]);
    assert.equal(await attr(page, 'memorisation-chart', 'data-hidden'), 'clean');
    assert.match((await page.getByTestId('memorisation-chart').textContent()) ?? '', /clean labels/);
    assert.deepEqual(await vertices(page, '[data-testid="accuracy-chart"]'), [2, 2], 'train and test only');
  } finally {
    await page.close();
  }
});

test('10^5 steps: drawn as at most ~1500 rows; streaming batches while recording long tasks', { timeout: 180_000 }, async () => {
  const { page, watch } = await open('steps=100000&epochs=50&flipped=60');
  try {
    assert.equal(await attr(page, 'loss-chart', 'data-points'), '100000');
    const drawn = Number(await attr(page, 'loss-chart', 'data-drawn'));
    assert.ok(drawn <= 1502, `${drawn} rows drawn`);
    assert.deepEqual(await vertices(page, '[data-testid="loss-chart"] .loss-smooth'), [drawn, drawn, drawn]);
    await page.screenshot({ path: screenshotPath('charts-100k.png'), fullPage: true });
    const box = await page.getByTestId('loss-chart').boundingBox();
    // Stream 20 more batches of 50 steps, as the worker sends them (every 200 ms).
    const tasks = await page.evaluate(async () => {
      const api = (window as unknown as { __preview: PreviewApi }).__preview;
      api.longTasks.length = 0;
      await api.stream(20, 50, 200);
      // While running, the chart redraws about once a second: the last batch shows within that.
      while (document.querySelector('[data-testid="loss-chart"]')?.getAttribute('data-shown') !== '101000')
        await new Promise((r) => setTimeout(r, 100));
      return api.longTasks.slice();
    });
    assert.equal(await attr(page, 'loss-chart', 'data-points'), '101000');
    assert.deepEqual(await page.getByTestId('loss-chart').boundingBox(), box, 'the chart did not move or resize');
    console.log(`# 10^5 steps, 20 batches in 4 s: ${tasks.length} long tasks (${tasks.map((t) => t.toFixed(0)).join(', ')} ms)`);
    assert.deepEqual(watch.consoleErrors, []);
  } finally {
    await page.close();
  }
});
