// The golden checks (tests/golden/checks.ts: forward passes, maps, loss parts, every gradient,
// BatchNorm statistics, two Adam steps, against PyTorch) on the WebGPU backend of headless
// Chromium (SwiftShader's Vulkan when there is no GPU), through tests/browser/golden.html on the
// Vite dev server.
//
//   node --import tsx --test tests/browser/golden-webgpu.test.ts
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { CheckResult } from '../golden/checks.ts';
import type { GoldenPageReport } from './golden-page.ts';
import { launchChromium, screenshotPath, serveDev, watchPage, type Served } from './harness.ts';

let served: Served;

before(async () => {
  served = await serveDev();
});

after(async () => {
  await served?.close();
});

const worstOf = (rs: CheckResult[], key: (r: CheckResult) => number): CheckResult => rs.reduce((a, b) => (key(b) > key(a) ? b : a));
const e = (x: number): string => x.toExponential(2);

test('golden checks pass on WebGPU in Chromium (ResNet-50 and ResNet-18)', { timeout: 900_000 }, async () => {
  const browser = await launchChromium({ webgpu: true });
  try {
    const page = await browser.newPage({ viewport: { width: 1000, height: 800 } });
    const watch = watchPage(page, served.url);
    const t0 = Date.now();
    await page.goto(new URL('tests/browser/golden.html', served.url).href);
    await page.waitForFunction(() => window.__golden?.done === true, null, { timeout: 840_000, polling: 1000 });
    const report = (await page.evaluate(() => window.__golden)) as GoldenPageReport;
    await page.screenshot({ path: screenshotPath('golden-webgpu.png'), fullPage: true });
    console.log(`# golden on ${report.backend} (${report.adapter}) in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    assert.equal(report.error, null, `the harness page failed: ${report.error}\n${watch.log.slice(-20).join('\n')}`);
    assert.equal(report.backend, 'webgpu');

    const all = report.reports.flatMap((r) => r.results);
    for (const r of report.reports) {
      // Most checks compare max relative error with a tolerance; the parameters after two Adam
      // steps are judged by adamAgreement (elements off by more than 1% of lr) instead.
      const byTolerance = r.results.filter((x) => !x.adam);
      const adam = r.results.filter((x) => x.adam);
      const worst = worstOf(byTolerance, (x) => x.relError);
      const tightest = worstOf(byTolerance, (x) => x.relError / x.tolerance);
      console.log(
        `# ${r.arch}/webgpu: ${r.results.length} comparisons in ${r.seconds.toFixed(1)} s, ${r.results.filter((x) => !x.ok).length} failed`,
      );
      console.log(
        `# ${r.arch}/webgpu: largest relative error ${e(worst.relError)} (${worst.name}; tolerance ${e(worst.tolerance)}, PyTorch float32 ${e(worst.torchF32RelError)})`,
      );
      console.log(
        `# ${r.arch}/webgpu: closest to its tolerance: ${tightest.name} ${e(tightest.relError)} of ${e(tightest.tolerance)} (${((100 * tightest.relError) / tightest.tolerance).toFixed(0)}%)`,
      );
      if (adam.length) {
        const worstAdam = worstOf(adam, (x) => x.adam!.maxOffInLr);
        const mostOff = worstOf(adam, (x) => x.adam!.fractionOff);
        console.log(
          `# ${r.arch}/webgpu: Adam parameters (${adam.length}): largest difference ${worstAdam.adam!.maxOffInLr.toFixed(3)} lr (${worstAdam.name}, relative error ${e(worstAdam.relError)}); most elements off by > 1% lr: ${(100 * mostOff.adam!.fractionOff).toFixed(2)}% (${mostOff.name})`,
        );
      }
    }
    const failed = all.filter((r) => !r.ok);
    for (const f of failed)
      console.log(
        `# FAIL ${f.name}: relative error ${f.relError.toExponential(3)}, tolerance ${f.tolerance.toExponential(3)}${f.adam ? `, Adam: ${(100 * f.adam.fractionOff).toFixed(2)}% of elements off by > 1% lr, max ${f.adam.maxOffInLr.toFixed(3)} lr` : ''}`,
      );
    assert.deepEqual(
      report.reports.map((r) => r.arch),
      ['resnet50', 'resnet18'],
    );
    assert.ok(all.length > 400, `expected hundreds of comparisons, got ${all.length}`);
    // Loss and gradient checks first (the must-pass part), then everything.
    const lossAndGrads = all.filter((r) => / loss|gradient |cross-entropy/.test(r.name));
    assert.ok(lossAndGrads.length > 200, `${lossAndGrads.length} loss/gradient comparisons`);
    const describe = (r: CheckResult): string =>
      `${r.name}: ${e(r.relError)} (tolerance ${e(r.tolerance)})${r.adam ? ` Adam ${JSON.stringify(r.adam)}` : ''}`;
    assert.deepEqual(lossAndGrads.filter((r) => !r.ok).map(describe), []);
    assert.deepEqual(failed.map(describe), []);
    assert.deepEqual(watch.foreign, [], 'no request leaves the dev server');
  } finally {
    await browser.close();
  }
});
