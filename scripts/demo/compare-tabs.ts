// Issue 6's comparison, produced the way a person would: four tabs of the built lab (one browser
// context, headless Chromium), each opened with a settings link (baseline / EAC × clean / 30%
// noise on the demo faces) and trained at once, and a fifth tab on the comparison view. When all
// four are done it saves the comparison view (artifacts/screenshots/compare-demo-4runs.png) and
// the table's numbers from the recorded epochs (artifacts/compare-demo-table.{md,json}).
//
//   node --import tsx scripts/demo/compare-tabs.ts [--settings "width=8&size=48&…"] [--webgpu]
//
// The default settings are small enough for a 2-core machine on WASM in minutes; pass the demo
// preset of scripts/demo/eac-vs-baseline.mjs (width=8&size=48&trainCount=1000&testCount=500&
// epochs=15&batchSize=32&lr=0.001) on a faster machine (--webgpu uses the GPU through WebGPU).
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Page } from 'playwright-core';
import { launchChromium, ROOT, screenshotPath, serveBuilt } from '../../tests/browser/harness.ts';

const { values: opts } = parseArgs({
  options: {
    settings: { type: 'string', default: 'width=4&size=32&trainCount=200&testCount=100&epochs=8&batchSize=16&lr=0.001&attentionCount=4' },
    webgpu: { type: 'boolean', default: false },
  },
});
const RUNS = [
  { method: 'baseline', noise: 0 },
  { method: 'eac', noise: 0 },
  { method: 'baseline', noise: 0.3 },
  { method: 'eac', noise: 0.3 },
] as const;
const backend = opts.webgpu ? 'webgpu' : 'wasm';

interface Rec {
  key: string;
  name: string;
  status: string;
  request: { config: { method: string; epochs: number }; data: { noiseRate: number } };
  epochs: { epoch: number; testAcc: number }[];
}

async function records(page: Page): Promise<Rec[]> {
  return page.evaluate(
    () =>
      new Promise<Rec[]>((resolve, reject) => {
        const open = indexedDB.open('eac-runs');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const db = open.result;
          if (!db.objectStoreNames.contains('runs')) return resolve([]);
          const req = db.transaction('runs').objectStore('runs').getAll();
          req.onsuccess = () => resolve((req.result as Rec[]).filter((r) => r && typeof r === 'object' && 'request' in r));
          req.onerror = () => reject(req.error);
        };
      }),
  );
}

const served = await serveBuilt(path.join(ROOT, '.tmp/dist-compare-demo'));
const browser = await launchChromium(opts.webgpu ? { webgpu: true } : { webgpu: false, webgl: false });
const t0 = Date.now();
try {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  for (const r of RUNS) {
    const page = await context.newPage();
    await page.goto(`${served.url}?${opts.settings}&method=${r.method}&noise=${r.noise}`);
    await page.waitForFunction(
      `document.querySelector('[data-testid="backend-name"]')?.getAttribute('data-backend') === '${backend}'`,
      null,
      { timeout: 120_000 },
    );
    await page.getByTestId('train').click();
    process.stderr.write(`started ${r.method} at ${r.noise * 100}% noise\n`);
  }
  const view = await context.newPage();
  await view.goto(`${served.url}#compare`);
  for (;;) {
    await view.waitForTimeout(15_000);
    const recs = await records(view);
    process.stderr.write(
      `${((Date.now() - t0) / 1000).toFixed(0)} s: ${recs.map((r) => `${r.request.config.method}@${r.request.data.noiseRate}: ${r.epochs.length}/${r.request.config.epochs} ${r.status}`).join(' · ')}\n`,
    );
    if (recs.length === RUNS.length && recs.every((r) => r.status !== 'running' && r.status !== 'paused')) break;
  }
  await view.waitForTimeout(6000); // one poll of the view after the last run ended
  await view.screenshot({ path: screenshotPath('compare-demo-4runs.png'), fullPage: true });
  const recs = await records(view);
  const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
  const rows = recs.map((r) => ({
    method: r.request.config.method,
    noise: r.request.data.noiseRate,
    status: r.status,
    epochs: r.epochs.length,
    testAccLast5: mean(r.epochs.slice(-5).map((e) => e.testAcc)),
    testAcc: r.epochs.map((e) => e.testAcc),
  }));
  const cell = (m: string, n: number) => rows.find((x) => x.method === m && x.noise === n);
  const fmt = (x: { testAccLast5: number; epochs: number } | undefined) =>
    x ? `${(x.testAccLast5 * 100).toFixed(2)}% (${x.epochs} epochs)` : '–';
  const md = [
    `Demo faces, ${opts.settings}, ${backend} in headless Chromium, four tabs at once (${((Date.now() - t0) / 1000).toFixed(0)} s).`,
    'Mean test accuracy of the last 5 epochs:',
    '',
    '| method | clean | 30% noise |',
    '| --- | --- | --- |',
    `| Baseline | ${fmt(cell('baseline', 0))} | ${fmt(cell('baseline', 0.3))} |`,
    `| EAC | ${fmt(cell('eac', 0))} | ${fmt(cell('eac', 0.3))} |`,
    '',
  ].join('\n');
  mkdirSync(path.join(ROOT, 'artifacts'), { recursive: true });
  writeFileSync(path.join(ROOT, 'artifacts/compare-demo-table.md'), md);
  writeFileSync(
    path.join(ROOT, 'artifacts/compare-demo-table.json'),
    JSON.stringify({ settings: opts.settings, backend, seconds: (Date.now() - t0) / 1000, runs: rows }, null, 2) + '\n',
  );
  process.stdout.write(md);
} finally {
  await browser.close();
  await served.close();
}
