// Issue 23's cases, before and after, at 1366×768: one built app (a `vite build` output folder)
// in headless Chromium with WebGPU on (SwiftShader when there is no GPU), the demo faces and
// randomly initialised weights (no RAF-DB, no imported weights). Writes
// docs/screenshots/before-after/issue23-<case>-<label>.png and prints the measured numbers
// ("# key: value" lines, and one JSON line at the end). Not a test: not in `npm test`.
//
//   git worktree add --detach .tmp/before e80e0f6 && ln -s /work/main/node_modules .tmp/before/
//   (cd .tmp/before && npx vite build --outDir ../before-dist --emptyOutDir --logLevel warn)
//   npx vite build --outDir .tmp/after-dist --emptyOutDir --logLevel warn
//   node --import tsx scripts/screenshots/issue23-before-after.ts --dist .tmp/before-dist --label before
//   node --import tsx scripts/screenshots/issue23-before-after.ts --dist .tmp/after-dist --label after
//
// Options: --only official,session (the two browser sessions: "official" = Official recipe on
// Auto, ~60 s, then Stop; "session" = the WebAssembly cases), --out DIR.
//
// Works with both builds: the selectors it uses exist in both (data-testid), and the ones only
// the new build has (runbar-last-run, run-fix) are optional. Every wait is bounded; nothing waits
// for a SwiftShader ResNet-50 step to finish.
import path from 'node:path';
import { mkdirSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, ROOT, serveBuilt } from '../../tests/browser/harness.ts';

const args = process.argv.slice(2);
const opt = (name: string, d: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : d;
};
const dist = path.resolve(opt('dist', ''));
const label = opt('label', '');
const out = path.resolve(opt('out', path.join(ROOT, 'docs/screenshots/before-after')));
const only = opt('only', 'official,session').split(',');
if (!opt('dist', '') || !['before', 'after'].includes(label)) {
  process.stderr.write('usage: issue23-before-after.ts --dist BUILT_DIR --label before|after [--only official,session] [--out DIR]\n');
  process.exit(2);
}
mkdirSync(out, { recursive: true });

const VIEWPORT = { width: 1366, height: 768 };
const numbers: Record<string, string | number | null> = {};
const note = (k: string, v: string | number | null) => {
  numbers[k] = v;
  console.log(`# ${k}: ${v}`);
};
const since = (t0: number) => Number(((Date.now() - t0) / 1000).toFixed(1));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A 1366×768 screenshot; bounded (a GPU process busy compiling delays the paint), a failure noted, not thrown. */
async function shot(page: Page, name: string, timeout = 90_000): Promise<boolean> {
  const file = path.join(out, `issue23-${name}-${label}.png`);
  try {
    await page.screenshot({ path: file, timeout });
    console.log(`# screenshot: ${path.relative(ROOT, file)}`);
    return true;
  } catch (e) {
    note(`screenshot ${name} failed`, String(e).split('\n')[0]);
    return false;
  }
}

const attr = (page: Page, id: string, a: string) =>
  page.evaluate(([i, n]) => document.querySelector(`[data-testid="${i}"]`)?.getAttribute(n) ?? null, [id, a] as const);
const text = (page: Page, id: string) => page.evaluate((i) => document.querySelector(`[data-testid="${i}"]`)?.textContent ?? null, id);
const count = (page: Page, id: string) => page.evaluate((i) => document.querySelectorAll(`[data-testid="${i}"]`).length, id);
/** A click dispatched in the page (no actionability wait: that waits for animation frames, which a busy GPU process holds back). */
const jsClick = (page: Page, id: string) =>
  page.evaluate((i) => (document.querySelector(`[data-testid="${i}"]`) as HTMLElement | null)?.click(), id);

/** Scrolls a panel to the top of the view, below the sticky run bar (no animation-frame wait). */
const showPanel = (page: Page, selector: string) =>
  page.evaluate((sel) => {
    document.querySelector(sel)?.scrollIntoView({ block: 'start' });
    window.scrollBy(0, -(document.querySelector('.runbar')?.getBoundingClientRect().height ?? 90) - 12);
  }, selector);

/** Polled on a timer, bounded; false when the time ran out. */
async function until(page: Page, fn: string, timeout: number): Promise<boolean> {
  try {
    await page.waitForFunction(fn, null, { timeout, polling: 250 });
    return true;
  } catch {
    return false;
  }
}

const statusIs = (ss: string[]) =>
  `${JSON.stringify(ss)}.includes(document.querySelector('[data-testid="run-status"]')?.getAttribute('data-status') ?? '')`;

async function fill(page: Page, values: Record<string, string>): Promise<void> {
  for (const [k, v] of Object.entries(values)) await page.getByTestId(`setting-${k}`).fill(v);
}

/** The page's animation-frame round trip, bounded: seconds, or null when no frame came within `ms`. */
async function frameRoundTrip(page: Page, ms: number): Promise<number | null> {
  const t = Date.now();
  const ok = await page.evaluate(
    (limit) =>
      new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), limit);
        requestAnimationFrame(() => {
          clearTimeout(timer);
          resolve(true);
        });
      }),
    ms,
  );
  return ok ? since(t) : null;
}

async function backendReady(page: Page, backend?: string): Promise<void> {
  const cond = backend
    ? `document.querySelector('[data-testid="backend-name"]')?.getAttribute('data-backend') === '${backend}'`
    : `!!document.querySelector('[data-testid="backend-name"]')?.getAttribute('data-backend')`;
  if (!(await until(page, cond, 120_000))) note('backend ready', 'not within 120 s');
}

async function newPage(browser: Browser, url: string): Promise<Page> {
  const page = await browser.newPage({ viewport: VIEWPORT });
  page.on('pageerror', (e) => console.log(`# pageerror: ${e.message}`));
  await page.goto(url);
  return page;
}

/** Case 1: Official recipe → Train on Auto; ~60 s later a screenshot; then Stop in a WebGPU first step, timed to the next paint. */
async function official(url: string): Promise<void> {
  const browser = await launchChromium({ webgpu: true });
  try {
    const page = await newPage(browser, url);
    await backendReady(page);
    note('train on', await page.getByTestId('backend-pref').inputValue());
    const t0 = Date.now();
    await page.getByTestId('preset-official').click();
    await page.getByTestId('train').click();
    // The first visible outcome: a refusal in the run bar, or the first-step phase (the hang).
    const outcome = `!!document.querySelector('[data-testid="start-problem"]') || document.querySelector('[data-testid="first-step"]')?.getAttribute('data-phase') === 'first-step' || ${statusIs(['error', 'done', 'stopped'])}`;
    if (await until(page, outcome, 120_000)) {
      note('official → train → first visible outcome s', since(t0));
      note(
        'first visible outcome',
        (await count(page, 'start-problem'))
          ? `refusal: ${await text(page, 'start-problem-text')}`
          : `${await text(page, 'first-step')} (status ${await attr(page, 'run-status', 'data-status')})`,
      );
    } else note('official → train → first visible outcome s', '>120 (none)');
    note('fixes offered', (await count(page, 'run-fix')) + (await count(page, 'start-problem-fix')));
    const left = 60_000 - (Date.now() - t0);
    if (left > 0) await sleep(left);
    note('at ~60 s: chart points', await attr(page, 'loss-chart', 'data-points'));
    note('at ~60 s: run status', await attr(page, 'run-status', 'data-status'));
    note('at ~60 s: first-step line', await text(page, 'first-step'));
    if (!(await count(page, 'start-problem'))) await showPanel(page, 'section.panel.progress');
    await shot(page, 'official-auto');

    // Stop during a WebGPU first step of the recipe. Before: Auto itself is there. After: Auto
    // refused, so WebGPU is asked for under Train on (SwiftShader trains only when chosen).
    let tTrain = t0;
    if ((await attr(page, 'first-step', 'data-phase')) !== 'first-step') {
      await page.getByTestId('backend-pref').selectOption('webgpu');
      tTrain = Date.now();
      await page.getByTestId('train').click();
      const inFirstStep = `document.querySelector('[data-testid="first-step"]')?.getAttribute('data-phase') === 'first-step'`;
      if (await until(page, inFirstStep, 180_000)) note('webgpu asked: train → first-step phase s', since(tTrain));
      else note('webgpu asked: first-step phase', `not within 180 s (status ${await attr(page, 'run-status', 'data-status')})`);
      const rest = 60_000 - (Date.now() - tTrain);
      if (rest > 0) await sleep(rest);
    }
    note('stop pressed s after train', since(tTrain));
    note('stop pressed: chart points', await attr(page, 'loss-chart', 'data-points'));
    const tStop = Date.now();
    await jsClick(page, 'stop');
    // The next frame after the click, measured alongside the status.
    const frame = frameRoundTrip(page, 240_000).then((s) => {
      note('stop → next animation frame s', s == null ? '>240 (no frame)' : s);
    });
    const ended = await until(page, statusIs(['stopped', 'error', 'done', 'idle']), 120_000);
    note('stop → status ended s', ended ? since(tStop) : '>120');
    note('status after stop', `${await attr(page, 'run-status', 'data-status')} / ${await text(page, 'runbar-status')}`);
    await frame;
    note('worker error', await text(page, 'worker-error'));
    await showPanel(page, 'section.panel.progress');
    // A screenshot needs the GPU process to composite a frame: the time it lands is when the page repaints.
    const painted = await shot(page, 'stop', 300_000);
    note('stop → page repainted (screenshot taken) s', painted ? since(tStop) : `>${since(tStop)}`);
    // A reload right after: does the page come back, and paint?
    const tReload = Date.now();
    try {
      await page.reload({ timeout: 120_000 });
      await backendReady(page);
      note('reload after stop → backend ready s', since(tReload));
      note('reload after stop: backend', `${await attr(page, 'backend-name', 'data-backend')}: ${await text(page, 'backend-reason')}`);
      const f = await frameRoundTrip(page, 120_000);
      note('reload after stop → painted s', f == null ? '>120 after ready (no frame)' : since(tReload));
    } catch (e) {
      note('reload after stop', `failed: ${String(e).split('\n')[0]}`);
    }
  } finally {
    // Closed at once: the old build may leave the GPU process compiling at 100 %.
    await browser.close();
  }
}

const MANY_STEPS = {
  width: '4',
  size: '32',
  trainCount: '1600',
  testCount: '16',
  epochs: '2',
  batchSize: '8',
  noiseRate: '0.2',
  attentionCount: '2',
};
const TINY = {
  width: '4',
  size: '32',
  trainCount: '32',
  testCount: '16',
  epochs: '1',
  batchSize: '16',
  noiseRate: '0.3',
  attentionCount: '2',
};

/** The WebAssembly cases in one fresh browser: memory refusal and its fix, the progress panel mid-run, reload and resume, the run bar after a run. */
async function session(url: string): Promise<void> {
  const browser = await launchChromium({ webgpu: true });
  try {
    const page = await newPage(browser, `${url}?backend=wasm`);
    await backendReady(page, 'wasm');

    // Case 6 (and 2): WebAssembly named, Official recipe → Train: the memory refusal, shown where?
    let t = Date.now();
    await page.getByTestId('preset-official').click();
    await page.getByTestId('train').click();
    if (await until(page, `!!document.querySelector('[data-testid="start-problem"]')`, 120_000))
      note('wasm: official → refusal s', since(t));
    await sleep(1500);
    note('wasm refusal: run bar status', await text(page, 'runbar-status'));
    note('wasm refusal: progress status', await text(page, 'run-status'));
    note('wasm refusal: "Out of memory." banners', await count(page, 'run-banner-error'));
    note('wasm refusal: copies in the progress panel', await count(page, 'run-error'));
    note('wasm refusal: fix', await text(page, 'start-problem-fix'));
    await page.evaluate(() => window.scrollTo(0, 0));
    await shot(page, 'wasm-refusal');

    // Case 2: the batch-size fix, clicked.
    t = Date.now();
    await page.getByTestId('start-problem-fix').click();
    await until(page, statusIs(['starting', 'data', 'training']), 15_000);
    await sleep(8000);
    note('fix click: batch size field', await page.getByTestId('setting-batchSize').inputValue());
    note('fix click: status after ~10 s', `${await attr(page, 'run-status', 'data-status')} / ${await text(page, 'runbar-status')}`);
    note('fix click: first-step line', await text(page, 'first-step'));
    await page.evaluate(() => window.scrollTo(0, 0));
    await shot(page, 'memory-fix');
    if (await until(page, statusIs(['starting', 'data', 'training', 'evaluating']), 500)) {
      await jsClick(page, 'stop');
      const ok = await until(page, statusIs(['stopped', 'error', 'done', 'idle']), 90_000);
      note('fix run: stop → ended s', ok ? since(t) : '>90');
    }

    // Cases 7 and 8: a run of many short steps; mid-run, the progress panel's values (backend, memory) at 1366 px.
    await page.getByTestId('preset-demo').click();
    await fill(page, MANY_STEPS);
    t = Date.now();
    await page.getByTestId('train').click();
    if (!(await until(page, `Number(document.querySelector('[data-testid="loss-chart"]')?.getAttribute('data-points')) >= 1`, 240_000)))
      note('many steps: first point', 'not within 240 s');
    else note('many steps: train → first point s', since(t));
    await sleep(12_000);
    const cut = await page.$$eval('.stat dd', (dds) =>
      dds.filter((d) => d.scrollWidth > d.clientWidth + 1).map((d) => d.textContent ?? ''),
    );
    note('progress values cut off', cut.length ? cut.join(' | ') : 'none');
    await page.evaluate(() => window.scrollTo(0, 0));
    await shot(page, 'progress-midrun');

    // Case 4: reload mid-run; the offer (its step and epoch numbering).
    const figures = (await text(page, 'runbar-figures')) ?? '';
    const reached = Number(/step ([\d,]+)/.exec(figures)?.[1]?.replace(/,/g, '') ?? Number.NaN);
    note('reload: run bar figures', figures);
    await page.reload();
    const offered = await until(page, `!!document.querySelector('[data-testid="resume-offer-button"]')`, 90_000);
    const button = offered ? ((await text(page, 'resume-offer-button')) ?? '') : '';
    note('reload: offer', offered ? `${await text(page, 'resume-offer')}` : 'none within 90 s');
    const resumeAt = Number(/step ([\d,]+)/.exec(button)?.[1]?.replace(/,/g, '') ?? Number.NaN);
    note('reload: step reached', reached);
    note('reload: steps lost', Number.isFinite(resumeAt) ? reached - resumeAt : `resume at "${button}"`);
    await page.evaluate(() => window.scrollTo(0, 0));
    await shot(page, 'resume-offer');

    // Case 3: the run bar after a finished run, once the form changed.
    await backendReady(page, 'wasm');
    await page.getByTestId('preset-demo').click();
    await fill(page, TINY);
    t = Date.now();
    await page.getByTestId('train').click();
    if (await until(page, `document.querySelector('[data-testid="runbar-status"]')?.textContent === 'Finished'`, 300_000)) {
      note('tiny run: train → finished s', since(t));
      await fill(page, { noiseRate: '0', size: '48' });
      await sleep(500);
      note('after the run, form changed: run bar labels', await text(page, 'runbar-labels'));
      note('after the run: last run line', await text(page, 'runbar-last-run'));
    } else note('tiny run', `not finished within 300 s (${await text(page, 'runbar-status')})`);
    await page.evaluate(() => window.scrollTo(0, 0));
    await shot(page, 'runbar-after-run');
  } finally {
    await browser.close();
  }
}

process.env.EAC_PREBUILT = dist;
const served = await serveBuilt(dist);
try {
  note('label', label);
  note('dist', dist);
  if (only.includes('official')) await official(served.url);
  if (only.includes('session')) await session(served.url);
} finally {
  await served.close();
}
console.log(JSON.stringify({ label, ...numbers }));
