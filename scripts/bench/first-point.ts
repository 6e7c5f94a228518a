// Page open → first chart point of the Quick demo (the lab's defaults), as a new user sees it:
// the built lab in headless Chromium with WebGPU on (SwiftShader when there is no GPU), 1366×768,
// a fresh browser profile each time (no probe cache), Train clicked as soon as it is enabled.
// Records the time to the first chart point, the backend trained on, its reason, the probe line,
// and each first-step phase shown (with when it appeared). A benchmark, not a test.
//
//   node --import tsx scripts/bench/first-point.ts [--root DIR] [--runs N] [--query 'backend=wasm'] [--reload] [--shots DIR]
//     [--wait-probe] [--epoch]
//
// --root: the checkout to build and serve (default this one; e.g. a `git worktree` of an older
// commit, to measure "before"). --reload: after the first point, reload the page and measure again
// in the same profile (the probe cache is warm). --shots: save 1366×768 screenshots there.
// --wait-probe: click Train only once the idle probe has reported (a user who reads the page
// first; the Quick demo is then sized to it). --epoch: also wait for the first epoch's row.
import path from 'node:path';
import { mkdirSync } from 'node:fs';
import { build, preview } from 'vite';
import type { Page } from 'playwright-core';
import { freePort, launchChromium, ROOT } from '../../tests/browser/harness.ts';

const args = process.argv.slice(2);
const opt = (name: string, d: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : d;
};
const root = path.resolve(opt('root', ROOT));
const runs = Number(opt('runs', '1'));
const query = opt('query', '');
const shots = opt('shots', '');
const reload = args.includes('--reload');
const waitProbe = args.includes('--wait-probe');
const epoch = args.includes('--epoch');
const TIMEOUT = 30 * 60_000;

interface Measure {
  openToFirstPointS: number;
  clickToFirstPointS: number;
  /** Page open → the first epoch's row (--epoch). */
  openToFirstEpochS: number | null;
  /** The Quick demo as trained (sized by the probe or not). */
  demo: string;
  notice: string | null;
  backend: string;
  reason: string;
  probe: string | null;
  phases: { phase: string; text: string; atS: number }[];
  speed: string;
  eta: string;
}

async function serve(): Promise<{ url: string; close(): Promise<void> }> {
  const outDir = path.join(root, '.tmp/dist-first-point');
  const cfg = { root, configFile: path.join(root, 'vite.config.ts'), logLevel: 'warn' as const, clearScreen: false };
  await build({ ...cfg, build: { outDir, emptyOutDir: true } });
  const port = await freePort();
  const server = await preview({ ...cfg, build: { outDir }, preview: { host: '127.0.0.1', port, strictPort: true, open: false } });
  return { url: `http://127.0.0.1:${port}/`, close: () => new Promise<void>((r) => server.httpServer.close(() => r())) };
}

const shot = async (page: Page, name: string) => {
  if (!shots) return;
  mkdirSync(shots, { recursive: true });
  await page.screenshot({ path: path.join(shots, name) });
};

/** Opens the page (or reloads it), clicks Train once it is enabled, and waits for the first chart point. */
async function measure(page: Page, label: string, open: () => Promise<unknown>): Promise<Measure> {
  const t0 = Date.now();
  await open();
  const train = page.getByTestId('train');
  await page.waitForFunction(() => !(document.querySelector('[data-testid="train"]') as HTMLButtonElement | null)?.disabled, null, {
    timeout: TIMEOUT,
    polling: 100,
  });
  if (waitProbe)
    await page.waitForFunction(() => document.querySelector('[data-testid="backend-probe"]') !== null, null, {
      timeout: TIMEOUT,
      polling: 250,
    });
  await shot(page, `${label}-first-screen.png`);
  const notice = (await page.getByTestId('run-notice').count()) ? await page.getByTestId('run-notice').textContent() : null;
  const demo = `batch ${await page.getByTestId('setting-batchSize').inputValue()}, ${await page.getByTestId('setting-trainCount').inputValue()} train / ${await page.getByTestId('setting-testCount').inputValue()} test images`;
  const tClick = Date.now();
  await train.click();
  const phases: Measure['phases'] = [];
  let shotTaken = false;
  for (;;) {
    const st = await page.evaluate(() => ({
      points: Number(document.querySelector('[data-testid="loss-chart"]')?.getAttribute('data-points') ?? 0),
      phase: document.querySelector('[data-testid="first-step"]')?.getAttribute('data-phase') ?? null,
      text: document.querySelector('[data-testid="first-step"]')?.textContent ?? null,
      status: document.querySelector('[data-testid="run-status"]')?.getAttribute('data-status') ?? '',
    }));
    if (st.phase && phases.at(-1)?.phase !== st.phase)
      phases.push({ phase: st.phase, text: st.text ?? '', atS: (Date.now() - tClick) / 1000 });
    if (st.phase === 'first-step' && !shotTaken && (Date.now() - tClick > 3000 || phases.length > 2)) {
      await page.getByTestId('run-status').scrollIntoViewIfNeeded();
      await shot(page, `${label}-first-step.png`);
      shotTaken = true;
    }
    if (st.points >= 1 || st.status === 'error') break;
    if (Date.now() - t0 > TIMEOUT) throw new Error('no chart point within 30 min');
    await page.waitForTimeout(250);
  }
  const t1 = Date.now();
  const text = async (id: string) =>
    (await page.getByTestId(id).count()) ? ((await page.getByTestId(id).first().textContent()) ?? '') : '';
  await page.waitForTimeout(1500);
  let openToFirstEpochS: number | null = null;
  if (epoch) {
    await page.waitForFunction(() => document.querySelector('[data-testid="epoch-row"]') !== null, null, {
      timeout: TIMEOUT,
      polling: 250,
    });
    openToFirstEpochS = (Date.now() - t0) / 1000;
  }
  await page.getByTestId('progress-speed').scrollIntoViewIfNeeded();
  await shot(page, `${label}-running.png`);
  if (await page.getByTestId('backend-name').count()) {
    await page.getByTestId('backend-name').scrollIntoViewIfNeeded();
    await shot(page, `${label}-backend.png`);
  }
  return {
    openToFirstPointS: (t1 - t0) / 1000,
    clickToFirstPointS: (t1 - tClick) / 1000,
    openToFirstEpochS,
    demo,
    notice,
    backend: (await page.getByTestId('backend-name').getAttribute('data-backend')) ?? '',
    reason: await text('backend-reason'),
    probe: (await text('backend-probe')) || null,
    phases,
    speed: await text('progress-speed'),
    eta: await text('progress-eta'),
  };
}

const served = await serve();
const results: Measure[] = [];
try {
  for (let i = 0; i < runs; i++) {
    const browser = await launchChromium({ webgpu: true });
    try {
      const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
      const url = `${served.url}${query ? `?${query}` : ''}`;
      const first = await measure(page, `run${i + 1}`, () => page.goto(url));
      results.push(first);
      console.log(JSON.stringify({ run: i + 1, visit: 'first', ...first }, null, 2));
      if (reload) {
        await page.getByTestId('stop').click();
        await page.waitForFunction(
          () =>
            ['done', 'stopped', 'error'].includes(document.querySelector('[data-testid="run-status"]')?.getAttribute('data-status') ?? ''),
          null,
          { timeout: TIMEOUT },
        );
        const again = await measure(page, `run${i + 1}-reload`, () => page.reload());
        console.log(JSON.stringify({ run: i + 1, visit: 'reload', ...again }, null, 2));
      }
    } finally {
      await browser.close();
    }
  }
} finally {
  await served.close();
}
const xs = results.map((r) => r.openToFirstPointS).sort((a, b) => a - b);
console.log(
  `# ${root}${query ? ` ?${query}` : ''}: page open → first chart point ${xs.map((x) => x.toFixed(1)).join(', ')} s (median ${xs[Math.floor(xs.length / 2)].toFixed(1)} s)`,
);
