// Main-thread long tasks (Long Tasks API, > 50 ms) of the built lab while it trains, as a user runs
// it: the demo dataset, a small model, nobody touching the page. For each long task, the
// long-animation-frame entries that overlap it say which callbacks ran (a worker message, React's
// scheduler, a requestAnimationFrame callback, an IndexedDB answer).
//   node --import tsx scripts/measure-long-tasks.ts [runs=3] [wasm|webgpu] [dist=.tmp/dist-long-tasks]
// wasm (Chromium without GPU): 48 steps in about 40 s here, so the page gets many updates.
// webgpu (SwiftShader, a CPU emulation: ~25 s a step here): a tinier run of 8 steps.
// A third argument reuses an existing build (e.g. one of an older commit, to compare).
// On this 2-core machine the backend computes on the same cores as the page, so every task here is
// longer than on a machine with a GPU: compare builds, not absolute numbers.
import path from 'node:path';
import { writeFileSync, mkdirSync } from 'node:fs';
import { launchChromium, ROOT, serveBuilt } from '../tests/browser/harness.ts';

const runs = Number(process.argv[2] ?? 3);
const backend = process.argv[3] ?? 'wasm';
if (backend !== 'wasm' && backend !== 'webgpu') throw new Error(`backend must be wasm or webgpu, got ${backend}`);
const dist = path.resolve(ROOT, process.argv[4] ?? '.tmp/dist-long-tasks');
if (process.argv[4]) process.env.EAC_PREBUILT = dist;
const SETTINGS =
  backend === 'wasm'
    ? { width: '8', size: '64', trainCount: '256', testCount: '64', epochs: '3', batchSize: '16', noiseRate: '0.2' }
    : { width: '4', size: '32', trainCount: '64', testCount: '32', epochs: '2', batchSize: '16', noiseRate: '0.2' };

interface Entry { start: number; duration: number; scripts?: string[] }

const served = await serveBuilt(dist);
const results: { seconds: number; longTasks: Entry[] }[] = [];
try {
  for (let r = 0; r < runs; r++) {
    const browser = await launchChromium(backend === 'webgpu' ? { webgpu: true } : { webgpu: false, webgl: false });
    try {
      const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
      await page.addInitScript(() => {
        const w = window as unknown as { __lt: unknown[]; __loaf: unknown[] };
        w.__lt = [];
        w.__loaf = [];
        new PerformanceObserver((l) => l.getEntries().forEach((e) => w.__lt.push({ start: e.startTime, duration: e.duration }))).observe({ type: 'longtask', buffered: true });
        new PerformanceObserver((l) =>
          l.getEntries().forEach((e) => {
            const f = e as PerformanceEntry & { scripts?: { invokerType: string; invoker: string; duration: number }[]; renderStart: number; styleAndLayoutStart: number };
            const end = f.startTime + f.duration;
            const scripts = (f.scripts ?? []).map((s) => `${s.invokerType} ${s.invoker} ${Math.round(s.duration)} ms`);
            // The frame's rendering: requestAnimationFrame callbacks etc. from renderStart, then style and layout (paint follows, off this clock).
            if (f.renderStart > 0) scripts.push(`rendering ${Math.round(end - f.renderStart)} ms (style and layout ${Math.round(end - f.styleAndLayoutStart)} ms)`);
            w.__loaf.push({ start: f.startTime, duration: f.duration, scripts });
          }),
        ).observe({ type: 'long-animation-frame', buffered: true });
      });
      page.on('console', (m) => { if (m.type() === 'error') console.error(`[page] ${m.text()}`); });
      await page.goto(served.url);
      // Polling once a second: Playwright's default requestAnimationFrame polling is page work too.
      await page.waitForFunction(() => !!document.querySelector('[data-testid="backend-name"]')?.getAttribute('data-backend'), null, { polling: 1000, timeout: 120_000 });
      const chosen = await page.getByTestId('backend-name').getAttribute('data-backend');
      if (chosen !== backend) throw new Error(`the page chose ${chosen}, not ${backend}`);
      for (const [k, v] of Object.entries(SETTINGS)) await page.getByTestId(`setting-${k}`).fill(v);
      await page.waitForTimeout(1000);
      const t0 = await page.evaluate(() => performance.now());
      await page.getByTestId('train').click();
      await page.waitForFunction(() => ['done', 'error'].includes(document.querySelector('[data-testid="run-status"]')?.getAttribute('data-status') ?? ''), null, { polling: 1000, timeout: 900_000 });
      const t1 = await page.evaluate(() => performance.now());
      const { lt, loaf } = await page.evaluate(() => {
        const w = window as unknown as { __lt: Entry[]; __loaf: Entry[] };
        return { lt: w.__lt, loaf: w.__loaf };
      });
      const longTasks = lt
        .filter((t) => t.start >= t0 && t.start <= t1)
        .map((t) => ({
          start: Math.round(t.start - t0),
          duration: Math.round(t.duration),
          scripts: loaf.filter((f) => f.start <= t.start + t.duration && f.start + f.duration >= t.start).flatMap((f) => f.scripts ?? []),
        }));
      results.push({ seconds: (t1 - t0) / 1000, longTasks });
      const d = longTasks.map((t) => t.duration);
      console.log(`run ${r + 1}: ${((t1 - t0) / 1000).toFixed(1)} s of training, ${d.length} long tasks${d.length ? `, longest ${Math.max(...d)} ms, total ${d.reduce((a, b) => a + b, 0)} ms: ${d.join(' ')}` : ''}`);
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
