// Main-thread long tasks (Long Tasks API, > 50 ms) of the built lab while it trains, as a user runs
// it: the demo dataset, a small model, nobody touching the page. For each long task, the
// long-animation-frame entries that overlap it say which callbacks ran (a worker message, React's
// scheduler, a requestAnimationFrame callback, an IndexedDB answer).
//   node --import tsx scripts/measure/long-tasks.ts [runs=3] [wasm|webgpu] [dist=.tmp/dist-long-tasks]
// wasm (Chromium without GPU): 48 steps in about 40 s here, so the page gets many updates.
// webgpu (SwiftShader, a CPU emulation: ~25 s a step here): a tinier run of 8 steps.
// A third argument reuses an existing build (e.g. one of an older commit, to compare).
// On this 2-core machine the backend computes on the same cores as the page, so every task here is
// longer than on a machine with a GPU: compare builds, not absolute numbers.
import path from 'node:path';
import { writeFileSync, mkdirSync } from 'node:fs';
import { launchChromium, ROOT, serveBuilt } from '../../tests/browser/harness.ts';
import { longTasksBetween, pageNow, recordLongTasks, type LongTask } from '../../tests/browser/long-tasks.ts';

const runs = Number(process.argv[2] ?? 3);
const backend = process.argv[3] ?? 'wasm';
if (backend !== 'wasm' && backend !== 'webgpu') throw new Error(`backend must be wasm or webgpu, got ${backend}`);
const dist = path.resolve(ROOT, process.argv[4] ?? '.tmp/dist-long-tasks');
if (process.argv[4]) process.env.EAC_PREBUILT = dist;
const SETTINGS =
  backend === 'wasm'
    ? { width: '8', size: '64', trainCount: '256', testCount: '64', epochs: '3', batchSize: '16', noiseRate: '0.2' }
    : { width: '4', size: '32', trainCount: '64', testCount: '32', epochs: '2', batchSize: '16', noiseRate: '0.2' };

const served = await serveBuilt(dist);
const results: { seconds: number; longTasks: LongTask[] }[] = [];
try {
  for (let r = 0; r < runs; r++) {
    const browser = await launchChromium(backend === 'webgpu' ? { webgpu: true } : { webgpu: false, webgl: false });
    try {
      const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
      await recordLongTasks(page);
      page.on('console', (m) => {
        if (m.type() === 'error') console.error(`[page] ${m.text()}`);
      });
      await page.goto(served.url);
      // Polling once a second: Playwright's default requestAnimationFrame polling is page work too.
      await page.waitForFunction(() => !!document.querySelector('[data-testid="backend-name"]')?.getAttribute('data-backend'), null, {
        polling: 1000,
        timeout: 120_000,
      });
      const chosen = await page.getByTestId('backend-name').getAttribute('data-backend');
      if (chosen !== backend) throw new Error(`the page chose ${chosen}, not ${backend}`);
      for (const [k, v] of Object.entries(SETTINGS)) await page.getByTestId(`setting-${k}`).fill(v);
      await page.waitForTimeout(1000);
      const t0 = await pageNow(page);
      await page.getByTestId('train').click();
      await page.waitForFunction(
        () => ['done', 'error'].includes(document.querySelector('[data-testid="run-status"]')?.getAttribute('data-status') ?? ''),
        null,
        { polling: 1000, timeout: 900_000 },
      );
      const t1 = await pageNow(page);
      const longTasks = await longTasksBetween(page, t0, t1);
      results.push({ seconds: (t1 - t0) / 1000, longTasks });
      const d = longTasks.map((t) => t.duration);
      console.log(
        `run ${r + 1}: ${((t1 - t0) / 1000).toFixed(1)} s of training, ${d.length} long tasks${d.length ? `, longest ${Math.max(...d)} ms, total ${d.reduce((a, b) => a + b, 0)} ms: ${d.join(' ')}` : ''}`,
      );
    } finally {
      await browser.close();
    }
  }
} finally {
  await served.close();
}
mkdirSync(path.join(ROOT, 'artifacts'), { recursive: true });
const out = path.join(ROOT, `artifacts/long-tasks-${backend}-${path.basename(dist)}.json`);
writeFileSync(out, JSON.stringify({ settings: SETTINGS, backend, dist, runs: results }, null, 2));
console.log(`details (with the callbacks behind each task): ${path.relative(ROOT, out)}`);
