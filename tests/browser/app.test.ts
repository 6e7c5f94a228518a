// The built app (vite build + vite preview) in headless Chromium: a tiny demo run set up through
// the form with the backend on Auto, where a software WebGPU adapter (SwiftShader, no GPU) loses
// to WebAssembly in the probe, then ?backend=cpu; and again with WebGPU turned off, where the page
// must name its fallback backend and still train. (Training on WebGPU: tests/browser/lab.test.ts.)
//
//   node --import tsx --test tests/browser/app.test.ts
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { launchChromium, screenshotPath, serveBuilt, watchPage, type Served } from './harness.ts';

/**
 * A very small run: ResNet-18 width 4 at 32 px, 96/48 images, 1 epoch, batch 16 → 6 steps. (WebGPU
 * on SwiftShader, a CPU emulation of a GPU, takes about 10 s per step whatever the size.)
 */
const SMALL = { width: '4', size: '32', trainCount: '96', testCount: '48', epochs: '1', batchSize: '16', noiseRate: '0.2' };
const STEPS = Math.ceil(96 / 16);
const RUN_TIMEOUT_MS = 240_000;

let served: Served;

before(async () => {
  served = await serveBuilt();
});

after(async () => {
  await served?.close();
});

async function backendOf(page: Page): Promise<{ name: string; label: string; adapter: string | null; reason: string }> {
  const badge = page.getByTestId('backend-name');
  await page.waitForFunction(() => !!document.querySelector('[data-testid="backend-name"]')?.getAttribute('data-backend'), null, {
    timeout: 60_000,
  });
  return {
    name: (await badge.getAttribute('data-backend')) ?? '',
    label: (await badge.textContent()) ?? '',
    adapter: (await page.getByTestId('backend-adapter').count()) ? await page.getByTestId('backend-adapter').textContent() : null,
    reason: (await page.getByTestId('backend-reason').textContent()) ?? '',
  };
}

async function fillSmallRun(page: Page, method: 'eac' | 'baseline' = 'eac'): Promise<void> {
  for (const [key, value] of Object.entries(SMALL)) await page.getByTestId(`setting-${key}`).fill(value);
  await page.getByTestId('setting-method').selectOption(method);
}

async function chartPoints(page: Page): Promise<number> {
  return Number(await page.getByTestId('loss-chart').getAttribute('data-points'));
}

/** Vertices of a recharts line (type "linear": one M then one L per further point). */
async function drawnVertices(page: Page): Promise<number[]> {
  return page.$$eval('[data-testid="loss-chart"] .loss-smooth path.smooth-curve', (paths) =>
    paths.map((p) => ((p.getAttribute('d') ?? '').match(/[ML]/g) ?? []).length),
  );
}

async function waitForEnd(page: Page): Promise<string> {
  await page.waitForFunction(
    () => ['done', 'stopped', 'error'].includes(document.querySelector('[data-testid="run-status"]')?.getAttribute('data-status') ?? ''),
    null,
    { timeout: RUN_TIMEOUT_MS, polling: 250 },
  );
  return (await page.getByTestId('run-status').getAttribute('data-status')) ?? '';
}

async function runError(page: Page): Promise<string | null> {
  return (await page.getByTestId('run-error').count()) ? await page.getByTestId('run-error').textContent() : null;
}

test('built app on a software WebGPU adapter (1366×768): Auto probes and trains on WebAssembly; ?backend=cpu forces CPU', {
  timeout: 360_000,
}, async () => {
  const browser = await launchChromium({ webgpu: true });
  try {
    const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
    const watch = watchPage(page, served.url);
    await page.goto(served.url);
    assert.equal(await page.title(), 'EAC lab');
    await page.getByRole('heading', { name: 'EAC lab' }).waitFor();
    const backend = await backendOf(page);
    console.log(`# backend: ${backend.label} | ${backend.adapter ?? 'no adapter'} | ${backend.reason}`);
    assert.equal(backend.name, 'webgpu');
    assert.match(backend.label, /WebGPU/);
    // This test needs what a machine without a GPU has: WebGPU on a software (fallback) adapter.
    assert.match(backend.adapter ?? '', /GPU adapter: .*(swiftshader|fallback)/i);
    assert.equal(await page.getByTestId('backend-pref').inputValue(), 'auto');
    await page.screenshot({ path: screenshotPath('app-first-screen.png'), fullPage: true });

    // Every first-step phase the progress panel shows, in order.
    await page.evaluate(() => {
      const seen: string[] = [];
      (window as unknown as { __phases: string[] }).__phases = seen;
      new MutationObserver(() => {
        const p = document.querySelector('[data-testid="first-step"]')?.getAttribute('data-phase');
        if (p && seen.at(-1) !== p) seen.push(p);
      }).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-phase'] });
    });
    await fillSmallRun(page);
    const t0 = Date.now();
    await page.getByTestId('train').click();
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="loss-chart"]')?.getAttribute('data-points')) >= 3, null, {
      timeout: RUN_TIMEOUT_MS,
      polling: 200,
    });
    await page.screenshot({ path: screenshotPath('app-auto-running.png'), fullPage: true });
    const status = await waitForEnd(page);
    console.log(`# Auto run: ${status} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    assert.equal(status, 'done', `run ended as ${status}: ${await runError(page)}`);
    const phases = await page.evaluate(() => (window as unknown as { __phases: string[] }).__phases);
    assert.deepEqual(
      phases.filter((p, i) => phases.indexOf(p) === i),
      ['backend', 'probe', 'first-step'],
    );
    assert.equal(await page.getByTestId('backend-name').getAttribute('data-backend'), 'wasm', 'the probe picked WebAssembly');
    const probe = page.getByTestId('backend-probe');
    assert.equal(await probe.getAttribute('data-chosen'), 'wasm');
    const probeText = (await probe.textContent()) ?? '';
    console.log(`# ${probeText}`);
    assert.match(probeText, /WebAssembly \(WASM\) [\d.]+ img\/s/);
    const reason = (await page.getByTestId('backend-reason').textContent()) ?? '';
    assert.match(reason, /^Auto: WebAssembly \(WASM\): [\d.]+ img\/s; .* — WebAssembly \(WASM\) chosen/);
    assert.match(reason, /WebGPU on (SwiftShader|a software adapter) \(software\): not measured \(a software GPU/);
    assert.match(
      (await page.locator('[data-testid="backend-pref"] option[value="wasm"]').textContent()) ?? '',
      /WebAssembly \(WASM\) · [\d.]+ img\/s/,
    );

    assert.equal(await chartPoints(page), STEPS, 'one chart point per training step');
    const vertices = await drawnVertices(page);
    assert.deepEqual(vertices, [STEPS, STEPS, STEPS], 'loss, cross-entropy and consistency lines, each with every step');
    assert.equal(await page.getByTestId('epoch-row').count(), 1);
    const row = await page.getByTestId('epoch-row').first().locator('td').allTextContents();
    console.log(`# epoch row: ${row.join(' | ')}`);
    assert.equal(row[0], '1');
    assert.match(row[4], /^\d+\.\d%$/, 'test accuracy shown');
    assert.match((await page.getByTestId('run-config').textContent()) ?? '', /width 4 at 32 px/);

    // ?backend=cpu: the worker starts on CPU at once, and the choice shows in the panel.
    await page.goto(`${served.url}?backend=cpu`);
    await page.waitForFunction(() => document.querySelector('[data-testid="backend-name"]')?.getAttribute('data-backend') === 'cpu', null, {
      timeout: 60_000,
    });
    assert.equal(await page.getByTestId('backend-pref').inputValue(), 'cpu');
    assert.match(
      (await page.getByTestId('backend-reason').textContent()) ?? '',
      /^CPU \(plain JavaScript\), as chosen in the Backend setting/,
    );
    assert.match(page.url(), /[?&]backend=cpu\b/, 'the choice stays in the address');
    assert.deepEqual(watch.foreign, [], 'no request leaves the app origin');
    assert.deepEqual(watch.consoleErrors, []);
  } finally {
    await browser.close();
  }
});

test('built app without WebGPU: announces the fallback backend and still trains', { timeout: 360_000 }, async () => {
  const browser = await launchChromium({ webgpu: false });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const watch = watchPage(page, served.url);
    await page.goto(served.url);
    const gpu = await page.evaluate(async () => {
      const g = (navigator as unknown as { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
      return { hasGpu: !!g, adapter: g ? (await g.requestAdapter()) !== null : false };
    });
    assert.equal(gpu.adapter, false, 'this Chromium must have no WebGPU adapter');
    const backend = await backendOf(page);
    console.log(`# backend: ${backend.label} | ${backend.adapter ?? 'no adapter'} | ${backend.reason}`);
    assert.notEqual(backend.name, 'webgpu');
    assert.ok(['webgl', 'wasm', 'cpu'].includes(backend.name), backend.name);
    assert.match(backend.reason, /WebGPU unavailable: /);
    assert.match(backend.reason, /Using (WebGL|WebAssembly|CPU)/);

    await fillSmallRun(page, 'baseline');
    const t0 = Date.now();
    await page.getByTestId('train').click();
    const status = await waitForEnd(page);
    console.log(`# ${backend.name} run: ${status} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    assert.equal(status, 'done', `run ended as ${status}: ${await runError(page)}`);
    await page.screenshot({ path: screenshotPath('app-fallback-finished.png'), fullPage: true });
    assert.equal(await chartPoints(page), STEPS);
    assert.deepEqual(await drawnVertices(page), [STEPS], 'baseline: one line (its loss is the cross-entropy)');
    assert.equal(await page.getByTestId('epoch-row').count(), 1);

    // Stop: a longer run, stopped after its second step, ends as "stopped" soon after.
    await page.getByTestId('setting-epochs').fill('5');
    await page.getByTestId('train').click();
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="loss-chart"]')?.getAttribute('data-points')) >= 2, null, {
      timeout: RUN_TIMEOUT_MS,
      polling: 100,
    });
    const t1 = Date.now();
    await page.getByTestId('stop').click();
    const stopped = await waitForEnd(page);
    console.log(`# stop answered in ${((Date.now() - t1) / 1000).toFixed(1)} s after ${await chartPoints(page)} steps`);
    assert.equal(stopped, 'stopped', `run ended as ${stopped}: ${await runError(page)}`);
    assert.ok((await chartPoints(page)) < 5 * STEPS);
    assert.match((await page.getByTestId('run-summary').textContent()) ?? '', /^Stopped after \d+ steps/);
    assert.equal(await page.getByTestId('train').isEnabled(), true, 'a new run can start');
    await page.screenshot({ path: screenshotPath('app-fallback-stopped.png'), fullPage: true });
    assert.deepEqual(watch.foreign, [], 'no request leaves the app origin');
    assert.deepEqual(watch.consoleErrors, []);
  } finally {
    await browser.close();
  }
});

test('built app with neither WebGPU nor WebGL: WebAssembly, its binaries served by the app', { timeout: 360_000 }, async () => {
  const browser = await launchChromium({ webgpu: false, webgl: false });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const watch = watchPage(page, served.url);
    const wasmRequests: string[] = [];
    page.context().on('request', (req) => {
      if (req.url().endsWith('.wasm')) wasmRequests.push(req.url());
    });
    await page.goto(served.url);
    const backend = await backendOf(page);
    console.log(`# backend: ${backend.label} | ${backend.reason}`);
    assert.equal(backend.name, 'wasm');
    assert.match(backend.reason, /WebGPU unavailable: .*WebGL unavailable: .*Using WebAssembly/);
    // Cross-origin isolated (COOP/COEP from the server): WASM loads its threaded module, whose pool
    // is half the logical cores, 1 to 8 (1 on a 2-core machine).
    const cores = await page.evaluate(() => (globalThis.crossOriginIsolated ? navigator.hardwareConcurrency : 0));
    assert.ok(cores >= 1, 'the page is cross-origin isolated');
    const threads = Math.min(Math.max(Math.floor(cores / 2), 1), 8);
    assert.match(backend.reason, new RegExp(`computes on ${threads} threads? \\(TensorFlow.js uses half of the ${cores} logical cores`));
    assert.ok(
      wasmRequests.some((u) => u.includes('threaded-simd')),
      wasmRequests.join(', '),
    );
    assert.ok(wasmRequests.length >= 1 && wasmRequests.every((u) => u.startsWith(served.url)), wasmRequests.join(', '));

    await fillSmallRun(page);
    const t0 = Date.now();
    await page.getByTestId('train').click();
    const status = await waitForEnd(page);
    console.log(`# wasm run: ${status} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    assert.equal(status, 'done', `run ended as ${status}: ${await runError(page)}`);
    assert.equal(await chartPoints(page), STEPS);
    assert.equal(await page.getByTestId('epoch-row').count(), 1);

    // Stop on WASM, whose reads resolve without a macrotask: the worker must still hear it.
    await page.getByTestId('setting-epochs').fill('20');
    await page.getByTestId('train').click();
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="loss-chart"]')?.getAttribute('data-points')) >= 2, null, {
      timeout: RUN_TIMEOUT_MS,
      polling: 50,
    });
    const t1 = Date.now();
    await page.getByTestId('stop').click();
    const stopped = await waitForEnd(page);
    const stopSeconds = (Date.now() - t1) / 1000;
    console.log(`# stop answered in ${stopSeconds.toFixed(1)} s after ${await chartPoints(page)} steps`);
    assert.equal(stopped, 'stopped', `run ended as ${stopped}: ${await runError(page)}`);
    assert.ok((await chartPoints(page)) < 20 * STEPS);

    // The paper's recipe does not fit the wasm heap: Auto refuses it before any data is loaded, in
    // the run bar only ("Not started"), with fixes that fit the heap and a sensible time; one click
    // on a fix starts it (stopped here before its first step).
    await page.getByTestId('preset-official').click();
    await page.getByTestId('train').click();
    await page.getByTestId('start-problem').waitFor({ timeout: RUN_TIMEOUT_MS });
    const problem = (await page.getByTestId('start-problem-text').textContent()) ?? '';
    assert.match(
      problem,
      /^Auto found no fast backend that can hold this run: WebAssembly \(WASM\) cannot hold it \(a training step of ResNet-50 width 64 at 224 px, batch 32 \(EAC\) needs about [\d.]+ GiB, more than the wasm backend's 4 GiB heap: batch \d+ fits\)/,
    );
    assert.equal(await page.getByTestId('run-status').textContent(), 'Not started');
    assert.equal(await page.getByTestId('run-banner-error').count(), 0);
    const fixes = page.getByTestId('run-fix');
    assert.ok((await fixes.count()) >= 1);
    await fixes.last().click();
    assert.equal(await page.getByTestId('setting-arch').inputValue(), 'resnet18');
    assert.notEqual(await page.getByTestId('run-status').getAttribute('data-status'), 'idle', 'the fix started a run');
    await page.getByTestId('stop').click();
    assert.equal(await waitForEnd(page), 'stopped');
    assert.deepEqual(watch.foreign, [], 'no request leaves the app origin');
    assert.deepEqual(watch.consoleErrors, []);
  } finally {
    await browser.close();
  }
});
