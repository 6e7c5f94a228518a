// Runs the benchmark page (bench.html) of the BUILT app in headless Chromium with WebGPU and
// prints its JSON result. Usage:
//   node --import tsx scripts/bench/browser.ts "arch=resnet18&size=112&batch=8&steps=2" [...more query strings]
// (Here WebGPU is SwiftShader, a CPU emulation: its timings say nothing about a real GPU.)
import { launchChromium, serveBuilt } from '../../tests/browser/harness.ts';

const queries = process.argv.slice(2);
if (!queries.length) queries.push('arch=resnet18&size=112&batch=8&steps=2&warmup=1');
const served = await serveBuilt();
const browser = await launchChromium({ webgpu: true });
const results: unknown[] = [];
try {
  for (const q of queries) {
    const page = await browser.newPage();
    page.on('console', (m) => process.stderr.write(`[page] ${m.text()}\n`));
    await page.goto(`${served.url}bench.html?${q}`);
    process.stderr.write(`bench.html?${q} …\n`);
    await page.waitForFunction(() => (window as unknown as { __benchResult?: unknown }).__benchResult !== undefined, null, {
      timeout: 0,
      polling: 1000,
    });
    const r = await page.evaluate(() => (window as unknown as { __benchResult: unknown }).__benchResult);
    process.stderr.write(`${(await page.textContent('#log')) ?? ''}\n`);
    results.push(r);
    await page.close();
  }
} finally {
  await browser.close();
  await served.close();
}
process.stdout.write(JSON.stringify(results, null, 2) + '\n');
