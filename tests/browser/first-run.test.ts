// The first real run on a machine without a GPU (issue 23), in the built app in headless Chromium
// at 1366×768, whose only WebGPU adapter is SwiftShader (a GPU emulated on the CPU):
// 1. Official recipe → Train with "Train on" left at Auto: WebAssembly cannot hold ResNet-50 at
//    224 px, batch 32, and SwiftShader is never trained on unless asked, so the run bar refuses it
//    before anything starts, says how the choice was made, and offers fixes that fit the wasm heap
//    and a sensible time, each saying how it differs from the paper. Shown once: "Not started",
//    no "Failed", no second copy in the progress panel or a banner.
// 2. One click on the cheapest fix starts a run, whose first step arrives.
// 3. Train on WebGPU (SwiftShader, asked for), Stop while its first step compiles: the worker is
//    replaced at once, and the page stays usable: a reload works and a demo trains.
// 4. WebAssembly named under Train on: the recipe refused for memory, with the batch that fits.
//
//   npx vite build --outDir .tmp/browser-test-dist --emptyOutDir --logLevel warn && \
//   EAC_PREBUILT=$PWD/.tmp/browser-test-dist node --import tsx --test tests/browser/first-run.test.ts
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { docScreenshotPath, launchChromium, serveBuilt, watchPage, type Served } from './harness.ts';

/** Generous bounds for a loaded 2-core machine; the measured times are printed. */
const REFUSAL_TIMEOUT_MS = 120_000;
const FIRST_STEP_TIMEOUT_MS = 240_000;

let served: Served;
before(async () => {
  served = await serveBuilt();
});
after(async () => {
  await served?.close();
});

async function backendReady(page: Page): Promise<string> {
  // Polled on a timer, not on animation frames: a GPU process still compiling for a stopped run
  // delays the page's paint, not its logic (measured apart below).
  await page.waitForFunction(() => !!document.querySelector('[data-testid="backend-name"]')?.getAttribute('data-backend'), null, {
    timeout: 60_000,
    polling: 250,
  });
  return (await page.getByTestId('backend-name').getAttribute('data-backend')) ?? '';
}

async function chartPoints(page: Page): Promise<number> {
  return Number((await page.getByTestId('loss-chart').getAttribute('data-points')) ?? 0);
}

async function waitForPoints(page: Page, n: number, timeout: number): Promise<void> {
  await page.waitForFunction((k) => Number(document.querySelector('[data-testid="loss-chart"]')?.getAttribute('data-points')) >= k, n, {
    timeout,
    polling: 200,
  });
}

async function waitForEnd(page: Page, timeout: number): Promise<string> {
  await page.waitForFunction(
    () => ['done', 'stopped', 'error'].includes(document.querySelector('[data-testid="run-status"]')?.getAttribute('data-status') ?? ''),
    null,
    { timeout, polling: 100 },
  );
  return (await page.getByTestId('run-status').getAttribute('data-status')) ?? '';
}

const seconds = (t0: number) => ((Date.now() - t0) / 1000).toFixed(1);

test('first real run without a GPU: Official recipe on Auto refused with fixes; a fix trains; Stop in a WebGPU first step', {
  timeout: 900_000,
}, async () => {
  const browser = await launchChromium({ webgpu: true });
  try {
    const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
    const watch = watchPage(page, served.url);
    await page.goto(served.url);
    await backendReady(page);
    assert.equal(await page.getByTestId('backend-pref').inputValue(), 'auto');

    // 1. Official recipe → Train on Auto: refused in the run bar, before anything starts.
    const t0 = Date.now();
    await page.getByTestId('preset-official').click();
    await page.getByTestId('train').click();
    const problem = page.getByTestId('start-problem');
    await problem.waitFor({ timeout: REFUSAL_TIMEOUT_MS });
    console.log(`# Official recipe → Train → refused in ${seconds(t0)} s`);
    const text = (await page.getByTestId('start-problem-text').textContent()) ?? '';
    console.log(`# ${text}`);
    assert.match(text, /^Auto found no fast backend that can hold this run: /);
    assert.match(text, /WebAssembly \(WASM\) cannot hold it \(.*ResNet-50 width 64 at 224 px, batch 32 \(EAC\) needs about [\d.]+ GiB/);
    assert.match(text, /WebGPU and WebGL run on SwiftShader \(software\), a GPU emulated on the CPU/);
    assert.match(
      text,
      /Measured here: WebAssembly \(WASM\) trains a ResNet-18 at 96 px at [\d.]+ images\/s, so the run as asked \(3000 training images\)/,
    );
    assert.match((await problem.textContent()) ?? '', /Or use a GPU/);
    const fixes = page.getByTestId('run-fix');
    const n = await fixes.count();
    assert.ok(n >= 1, `fixes: ${n}`);
    const fixTexts = await fixes.allTextContents();
    for (const f of fixTexts) {
      console.log(`# fix: ${f}`);
      assert.match(f, /^Train ResNet-(18|50) · \d+ px · batch \d+ · \d+ epochs · 960 demo faces/);
      assert.match(f, /differs from the paper: .*(input size|backbone|epochs|batch)/);
      assert.match(f, /about .+ per epoch, .+ in all/);
    }
    // Shown once, where Train is: not started, no failure banner, no copy in the progress panel.
    assert.equal(await page.getByTestId('runbar-status').textContent(), 'Not started');
    assert.equal(await page.getByTestId('run-status').textContent(), 'Not started');
    assert.equal(await page.getByTestId('run-banner-error').count(), 0, 'no "Out of memory." or "The run failed." banner');
    assert.equal(await page.getByTestId('run-error').count(), 0, 'no copy in the progress panel');
    assert.equal(await page.getByText('Failed', { exact: true }).count(), 0);
    assert.equal(await page.getByTestId('first-step').count(), 0, 'no first step is being taken anywhere');
    const box = await problem.boundingBox();
    assert.ok(box && box.y >= 0 && box.y + box.height <= 768, `the refusal is in view: ${JSON.stringify(box)}`);
    await page.screenshot({ path: docScreenshotPath('first-run-refusal.png') });

    // 2. The cheapest fix (the last): one click, and the run's first step arrives (its phases timed, for the log).
    await page.evaluate(() => {
      const seen: [string, number][] = [];
      (window as unknown as { __phases: [string, number][] }).__phases = seen;
      new MutationObserver(() => {
        const p =
          document.querySelector('[data-testid="first-step"]')?.getAttribute('data-phase') ??
          document.querySelector('[data-testid="run-status"]')?.getAttribute('data-status') ??
          '';
        if (p && seen.at(-1)?.[0] !== p) seen.push([p, Date.now()]);
      }).observe(document.body, { subtree: true, childList: true, attributes: true });
    });
    const t1 = Date.now();
    await fixes.nth(n - 1).click();
    assert.equal(await page.getByTestId('start-problem').count(), 0);
    assert.equal(await page.getByTestId('setting-arch').inputValue(), 'resnet18');
    assert.equal(await page.getByTestId('setting-size').inputValue(), '96');
    await waitForPoints(page, 1, FIRST_STEP_TIMEOUT_MS);
    console.log(`# fix click → first step ${seconds(t1)} s; Official recipe → Train → first step of the fix ${seconds(t0)} s`);
    const phases = await page.evaluate(() => (window as unknown as { __phases: [string, number][] }).__phases);
    console.log(`# phases after the click: ${phases.map(([p, at]) => `${p} ${((at - t1) / 1000).toFixed(1)} s`).join(', ')}`);
    assert.equal(await page.getByTestId('backend-name').getAttribute('data-backend'), 'wasm');
    await page.screenshot({ path: docScreenshotPath('first-run-fix-running.png') });
    const tStop = Date.now();
    await page.getByTestId('stop').click();
    assert.equal(await waitForEnd(page, 120_000), 'stopped');
    console.log(`# stop on WebAssembly answered in ${seconds(tStop)} s`);

    // 3. WebGPU asked for (SwiftShader): Stop while the first step compiles.
    await page.getByTestId('backend-pref').selectOption('webgpu');
    await page.getByTestId('preset-demo').click();
    for (const [k, v] of Object.entries({ width: '64', size: '96', batchSize: '8', trainCount: '64', testCount: '32', epochs: '1' }))
      await page.getByTestId(`setting-${k}`).fill(v);
    await page.getByTestId('train').click();
    await page.waitForFunction(
      () => document.querySelector('[data-testid="first-step"]')?.getAttribute('data-phase') === 'first-step',
      null,
      {
        timeout: FIRST_STEP_TIMEOUT_MS,
      },
    );
    assert.equal(await page.getByTestId('backend-name').getAttribute('data-backend'), 'webgpu');
    await page.waitForTimeout(5000);
    assert.equal(await chartPoints(page), 0, 'still in its first step');
    const t2 = Date.now();
    await page.getByTestId('stop').click();
    // Within 20 s, under the 30 s a stop after the first step may wait for its step: the first step is not waited for.
    const stopped = await waitForEnd(page, 20_000);
    console.log(`# stop during the first WebGPU step: ${stopped} in ${seconds(t2)} s`);
    assert.equal(stopped, 'stopped');
    // The page answers, and a fresh worker is up.
    const t3 = Date.now();
    assert.equal(await page.evaluate(() => 1 + 1), 2);
    console.log(`# page answered ${seconds(t3)} s after the stop ended`);

    // A reload works, and a demo trains (Auto: WebAssembly).
    const t4 = Date.now();
    await page.reload();
    await backendReady(page);
    console.log(
      `# reload → backend ready in ${seconds(t4)} s: ${await page.getByTestId('backend-name').getAttribute('data-backend')} (${await page.getByTestId('backend-reason').textContent()})`,
    );
    // Chromium paints again once its GPU process has compiled what the stopped step had sent.
    await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(resolve)));
    console.log(`# the page painted again ${seconds(t2)} s after Stop`);
    await page.getByTestId('backend-pref').selectOption('auto');
    await page.getByTestId('preset-demo').click();
    for (const [k, v] of Object.entries({ width: '4', size: '32', trainCount: '48', testCount: '16', batchSize: '16', epochs: '1' }))
      await page.getByTestId(`setting-${k}`).fill(v);
    const t5 = Date.now();
    await page.getByTestId('train').click();
    assert.equal(await waitForEnd(page, FIRST_STEP_TIMEOUT_MS), 'done');
    console.log(
      `# after the reload a demo trained in ${seconds(t5)} s on ${await page.getByTestId('backend-name').getAttribute('data-backend')}`,
    );
    assert.equal(await chartPoints(page), 3);

    // WebAssembly named under Train on: the recipe is refused for memory alone, in the run bar
    // only, with the batch that fits one click from training.
    await page.getByTestId('backend-pref').selectOption('wasm');
    await page.getByTestId('preset-official').click();
    await page.getByTestId('train').click();
    await page.getByTestId('start-problem-fix').waitFor({ timeout: REFUSAL_TIMEOUT_MS });
    assert.match((await page.getByTestId('start-problem-fix').textContent()) ?? '', /^Train with batch size \d+$/);
    assert.equal(await page.getByTestId('run-status').textContent(), 'Not started');
    assert.equal(await page.getByTestId('run-banner-error').count(), 0);
    await page.screenshot({ path: docScreenshotPath('lab-memory-guidance.png') });
    assert.deepEqual(watch.foreign, []);
    assert.deepEqual(
      watch.consoleErrors.filter((e) => !/device (was )?lost|destroyed/i.test(e)),
      [],
    );
  } finally {
    await browser.close();
  }
});
