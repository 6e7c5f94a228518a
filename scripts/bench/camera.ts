// The classroom camera's speed on this machine: the built app in headless Chromium (WebAssembly
// backend, as on a laptop without WebGPU), a fake camera playing a demo face
// (tests/browser/camera-clip.ts), and a ResNet-18 run at a chosen width and input size (trained
// for one step through the lab's form, so its checkpoint exists; its weights do not matter to the
// timing). Over a window of live camera frames it reports frames/s (answered frames over the
// window), the latency frame taken → maps drawn (the view's own meter), the camera frames dropped
// while one was in flight, and the page thread's long tasks (Long Tasks API, > 50 ms).
//   node --import tsx scripts/bench/camera.ts [width=64] [size=112] [seconds=30]
// Goal (issue 28): ≥ 5 frames/s and no long task over 50 ms at ResNet-18, 112 px, wasm, 2 cores.
import path from 'node:path';
import { launchChromium, ROOT, serveBuilt } from '../../tests/browser/harness.ts';
import { writeFaceClip } from '../../tests/browser/camera-clip.ts';
import { longTasksBetween, pageNow, recordLongTasks } from '../../tests/browser/long-tasks.ts';

const arg = (i: number, d: number) => Number(process.argv[2 + i] ?? d);
const width = arg(0, 64);
const size = arg(1, 112);
const windowS = arg(2, 30);

const clip = writeFaceClip(path.join(ROOT, '.tmp/camera-clip'));
const served = await serveBuilt(path.join(ROOT, '.tmp/dist-bench-camera'));
const browser = await launchChromium({
  webgpu: false,
  webgl: false,
  extraArgs: ['--use-fake-device-for-media-stream', `--use-file-for-fake-video-capture=${clip.y4m}`],
});
try {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  await context.grantPermissions(['camera'], { origin: served.url });
  const page = await context.newPage();
  await recordLongTasks(page);
  await page.goto(served.url);
  await page.waitForFunction(() => document.querySelector('[data-testid="backend-name"]')?.getAttribute('data-backend') === 'wasm', null, {
    timeout: 120_000,
  });
  const fields = { width, size, trainCount: 16, testCount: 16, batchSize: 16, epochs: 1, noiseRate: 0 };
  await page.getByTestId('setting-arch').selectOption('resnet18');
  for (const [k, v] of Object.entries(fields)) await page.getByTestId(`setting-${k}`).fill(String(v));
  console.log(`training one step of ResNet-18 width ${width} at ${size} px for its checkpoint…`);
  await page.getByTestId('train').click();
  await page.waitForFunction(
    () => ['done', 'error', 'stopped'].includes(document.querySelector('[data-testid="run-status"]')?.getAttribute('data-status') ?? ''),
    null,
    { timeout: 0, polling: 1000 },
  );
  const status = await page.getByTestId('run-status').getAttribute('data-status');
  if (status !== 'done') throw new Error(`the run ended ${status}: ${await page.getByTestId('run-error').first().textContent()}`);
  await page.getByTestId('view-classroom').click();
  await page.getByTestId('cr-mode-camera').click();
  await page.getByTestId('cam-start').click();
  await page
    .getByTestId('cam-pred')
    .waitFor({ timeout: 300_000 })
    .catch(async (e) => {
      const lines = await page.locator('.cr-error').allTextContents();
      throw new Error(`no prediction: ${lines.join(' / ') || e}`);
    });
  // Warm-up (the model's first frames compile and allocate), then the window.
  await page.waitForTimeout(5000);
  const count = () =>
    page.evaluate(() => {
      const el = document.querySelector('[data-testid="cam-fps"]');
      return {
        text: el?.textContent ?? '',
        latency: Number(el?.getAttribute('data-latency')),
        frames: Number(el?.getAttribute('data-frames')),
      };
    });
  const t0 = await pageNow(page);
  const f0 = (await count()).frames;
  const latencies: number[] = [];
  for (let s = 0; s < windowS; s++) {
    await page.waitForTimeout(1000);
    latencies.push((await count()).latency);
  }
  const t1 = await pageNow(page);
  const last = await count();
  const frames = last.frames - f0;
  const long = await longTasksBetween(page, t0, t1);
  const sorted = [...latencies].sort((a, b) => a - b);
  console.log(
    JSON.stringify(
      {
        model: `ResNet-18 width ${width}, ${size} px`,
        backend: 'wasm (headless Chromium)',
        windowSeconds: Math.round((t1 - t0) / 100) / 10,
        framesAnswered: frames,
        framesPerSecond: Math.round((frames / ((t1 - t0) / 1000)) * 100) / 100,
        view: last.text,
        medianLatencyMs: sorted[Math.floor(sorted.length / 2)],
        longTasksOver50ms: long.length,
        longestTaskMs: Math.max(0, ...long.map((t) => t.duration)),
        longTasks: long.slice(0, 5),
      },
      null,
      2,
    ),
  );
} finally {
  await browser.close();
  await served.close();
}
