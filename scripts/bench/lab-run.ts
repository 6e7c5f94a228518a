// Steps per second of one demo run, the same in three places: the built lab in headless Chromium
// on WebGPU (through the page, as a user runs it), and `eac train` in Node on the cpu and wasm
// backends. Also records the page's main-thread long tasks (Long Tasks API) while it trains.
//   node --import tsx scripts/bench/lab-run.ts [width=4] [size=48] [train=64] [batch=16] [epochs=1]
// (Here WebGPU is SwiftShader, a CPU emulation: its timings say nothing about a real GPU.)
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { launchChromium, ROOT, serveBuilt } from '../../tests/browser/harness.ts';
import { longTasksBetween, pageNow, recordLongTasks, type LongTask } from '../../tests/browser/long-tasks.ts';

const arg = (i: number, d: number) => Number(process.argv[2 + i] ?? d);
const cfg = { width: arg(0, 4), size: arg(1, 48), train: arg(2, 64), batch: arg(3, 16), epochs: arg(4, 1), test: 32 };
const steps = Math.ceil(cfg.train / cfg.batch) * cfg.epochs;

async function browserRun(): Promise<{ seconds: number; stepsPerSecond: number; longTasks: LongTask[] }> {
  const served = await serveBuilt(path.join(ROOT, '.tmp/dist-bench-lab'));
  const browser = await launchChromium({ webgpu: true });
  try {
    const page = await browser.newPage();
    await recordLongTasks(page);
    await page.goto(served.url);
    await page.waitForFunction(
      () => document.querySelector('[data-testid="backend-name"]')?.getAttribute('data-backend') === 'webgpu',
      null,
      { timeout: 60_000 },
    );
    const fields = {
      width: cfg.width,
      size: cfg.size,
      trainCount: cfg.train,
      testCount: cfg.test,
      batchSize: cfg.batch,
      epochs: cfg.epochs,
      noiseRate: 0.2,
    };
    for (const [k, v] of Object.entries(fields)) await page.getByTestId(`setting-${k}`).fill(String(v));
    // The form's own updates settle before the window opens at Train.
    await page.waitForTimeout(1000);
    const trainClick = await pageNow(page);
    await page.getByTestId('train').click();
    // Time the training steps only: from the first step point to the last.
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="loss-chart"]')?.getAttribute('data-points')) >= 1, null, {
      timeout: 0,
      polling: 50,
    });
    const t0 = Date.now();
    await page.waitForFunction(
      (n) => Number(document.querySelector('[data-testid="loss-chart"]')?.getAttribute('data-points')) >= n,
      steps,
      { timeout: 0, polling: 50 },
    );
    const seconds = (Date.now() - t0) / 1000;
    // Polled once a second: Playwright's default requestAnimationFrame polling is page work too.
    await page.waitForFunction(
      () => ['done', 'error'].includes(document.querySelector('[data-testid="run-status"]')?.getAttribute('data-status') ?? ''),
      null,
      { timeout: 0, polling: 1000 },
    );
    const longTasks = await longTasksBetween(page, trainClick);
    return { seconds, stepsPerSecond: (steps - 1) / seconds, longTasks };
  } finally {
    await browser.close();
    await served.close();
  }
}

function nodeRun(backend: string): { stepsPerSecond: number; imagesPerSecond: number } {
  const r = spawnSync(
    process.execPath,
    [
      path.join(ROOT, 'bin/eac.js'),
      'train',
      '--demo',
      '--arch',
      'resnet18',
      '--width',
      String(cfg.width),
      '--size',
      String(cfg.size),
      '--batch-size',
      String(cfg.batch),
      '--epochs',
      String(cfg.epochs),
      '--demo-train',
      String(cfg.train),
      '--demo-test',
      String(cfg.test),
      '--noise',
      '0.2',
      '--lr',
      '1e-3',
      '--backend',
      backend,
      '--json',
    ],
    { encoding: 'utf8', maxBuffer: 64 << 20 },
  );
  if (r.status !== 0) throw new Error(`eac train --backend ${backend} failed: ${r.stderr}`);
  const out = JSON.parse(r.stdout) as { epochs: { imagesPerSecond: number }[] };
  const ips = out.epochs.reduce((s, e) => s + e.imagesPerSecond, 0) / out.epochs.length;
  return { imagesPerSecond: ips, stepsPerSecond: ips / cfg.batch };
}

const browser = await browserRun();
const cpu = nodeRun('cpu');
const wasm = nodeRun('wasm');
console.log(
  JSON.stringify(
    {
      config: { arch: 'resnet18', ...cfg, steps },
      chromiumWebGPU: {
        stepsPerSecond: browser.stepsPerSecond,
        seconds: browser.seconds,
        longTasksOver50ms: browser.longTasks.length,
        longestLongTaskMs: browser.longTasks.length ? Math.max(...browser.longTasks.map((t) => t.duration)) : 0,
        longTasks: browser.longTasks,
      },
      nodeCpu: cpu,
      nodeWasm: wasm,
    },
    null,
    2,
  ),
);
