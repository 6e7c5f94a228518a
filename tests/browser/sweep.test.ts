// A sweep in the lab, on the built app in headless Chromium on WASM: a 2×2 sweep (baseline and
// EAC × clean and 30% noise, one seed) of tiny demo runs from the Sweep panel, with a page reload
// while a cell trains past its first checkpoint. The reloaded page takes the sweep over and
// resumes the interrupted run from its checkpoint (the same run key, its epochs continued, not
// restarted); the sweep finishes; the comparison view's table equals the stored runs' last-5
// means; the CSV, Markdown, LaTeX and JSON exports parse, the JSON re-imports, and a bad file gets
// a one-line error. Screenshots: docs/screenshots/sweep-running.png, sweep-finished.png.
// Then the same sweep spread over two tabs of one browser: two cells train at once, one tab
// closes mid-cell, and the other resumes that cell from its checkpoint and finishes the sweep.
//
//   node --import tsx --test tests/browser/sweep.test.ts
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { docScreenshotPath, launchChromium, ROOT, serveBuilt, watchPage, type Served } from './harness.ts';
import { parseSweepJson, TABLE_CSV_HEADER, type SweepState } from '../../src/engine/sweep/index.ts';

/** ResNet-18 width 4 at 32 px, 32/16 demo images, batch 16: 2 steps an epoch, 2 epochs (last-5 = both), one attention sample. */
const TINY = 'width=4&size=32&trainCount=32&testCount=16&batchSize=16&attentionCount=1&epochs=2';
// Spread over two tabs: cells long enough (a checkpoint each epoch, 10 epochs) that both tabs'
// cells are seen training past a checkpoint at once; with 2 epochs a fast backend finished a
// cell before the other tab's had passed its first.
const TINY_LONG = TINY.replace('epochs=2', 'epochs=10');
const LONG = 300_000;

let served: Served;
before(async () => {
  served = await serveBuilt(path.join(ROOT, '.tmp/dist-sweep'));
});
after(async () => {
  await served?.close();
});

const waitFor = (page: Page, fn: string, timeout = LONG) => page.waitForFunction(fn, null, { timeout, polling: 'raf' });

/** A value of an idb-keyval store, read in the page. */
function idbGet<T>(page: Page, db: string, key: string): Promise<T> {
  return page.evaluate(
    ([d, k]) =>
      new Promise((resolve, reject) => {
        const open = indexedDB.open(d);
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const store = open.result.transaction(open.result.objectStoreNames[0]).objectStore(open.result.objectStoreNames[0]);
          const req = store.get(k);
          req.onsuccess = () => resolve(req.result);
          req.onerror = () => reject(req.error);
        };
      }),
    [db, key] as const,
  ) as Promise<T>;
}

const sweepId = (page: Page) => page.getByTestId('sweep-queue').getAttribute('data-sweep') as Promise<string>;

/** Opens the lab with these settings and waits for its backend: WebAssembly (no GPU in these tests). */
async function openOnWasm(page: Page, query: string): Promise<void> {
  await page.goto(`${served.url}?${query}`);
  await waitFor(page, `document.querySelector('[data-testid="backend-name"]')?.getAttribute('data-backend') === 'wasm'`, 120_000);
}

/** Starts a sweep of noise 0 and 0.3, seed 0, under `name`; returns its id. */
async function startSweep(page: Page, name: string): Promise<string> {
  await page.getByTestId('sweep-noise').fill('0, 0.3');
  await page.getByTestId('sweep-seeds').fill('0');
  await page.getByTestId('sweep-name').fill(name);
  await page.getByTestId('sweep-start').click();
  return sweepId(page);
}

test('a 2×2 sweep of tiny runs survives a reload, fills the table with the stored last-5 means, exports and re-imports', {
  timeout: 600_000,
}, async (t) => {
  const t0 = Date.now();
  const mark = (what: string) => t.diagnostic(`${what}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  const browser = await launchChromium({ webgpu: false, webgl: false });
  try {
    const context = await browser.newContext({ viewport: { width: 1366, height: 768 }, acceptDownloads: true });
    const page = await context.newPage();
    const watch = watchPage(page, served.url);
    await openOnWasm(page, TINY);

    mark('backend ready');
    const id = await startSweep(page, 'tiny 2x2');

    // The second cell trains past its first checkpoint: reload there.
    const second = 'baseline-noise0.3-seed0';
    await waitFor(page, `document.querySelector('[data-cell="${second}"]')?.getAttribute('data-checkpoint') >= '1'`);
    const before = (await idbGet<{ state: SweepState }>(page, 'eac-sweeps', `sweep:${id}`)).state.cells[second];
    assert.equal(before.status, 'running', 'the stored queue has the cell running');
    const runKey = (before as { runId: string }).runId;
    mark('second cell past its first checkpoint');
    await page.reload();
    // The sweep form shows the running sweep (its 4 runs), not the form's defaults (8 runs).
    await page.getByTestId('sweep-queue').waitFor({ timeout: 60_000 });
    await waitFor(page, `document.querySelector('[data-testid="sweep-form"]')?.getAttribute('data-showing') === 'running'`, 60_000);
    assert.equal(await page.getByTestId('sweep-noise').inputValue(), '0, 0.3');
    assert.equal(await page.getByTestId('sweep-start').textContent(), 'Sweep running (4 runs)');
    await page.getByTestId('sweep-panel').scrollIntoViewIfNeeded();
    await page.screenshot({ path: docScreenshotPath('sweep-after-reload.png') });

    // The reloaded page resumes the same run from its checkpoint and finishes the sweep; the
    // comparison view shows the table filling meanwhile.
    await page.getByTestId('view-compare').click();
    const queue = `document.querySelector('[data-testid="sweep-queue"]')`;
    await waitFor(
      page,
      `document.querySelectorAll('[data-testid="sweep-table"] td[data-n="1"]').length >= 2 && document.querySelector('[data-testid="sweep-view"] [data-status="running"]') || ${queue}?.getAttribute('data-finished') === 'true'`,
    );
    if ((await page.evaluate(`${queue}.getAttribute('data-finished')`)) !== 'true')
      await page.screenshot({ path: docScreenshotPath('sweep-running.png') });
    await waitFor(page, `document.querySelector('[data-testid="sweep-queue"]')?.getAttribute('data-finished') === 'true'`);
    mark('sweep finished');
    // The page shows the queue first, then writes it (one transaction per change): wait for the write.
    let state = (await idbGet<{ state: SweepState }>(page, 'eac-sweeps', `sweep:${id}`)).state;
    for (let i = 0; i < 100 && state.order.some((c) => state.cells[c].status !== 'done'); i++) {
      await page.waitForTimeout(100);
      state = (await idbGet<{ state: SweepState }>(page, 'eac-sweeps', `sweep:${id}`)).state;
    }
    const cells = state.order.map((c) => state.cells[c]);
    assert.deepEqual(
      cells.map((c) => c.status),
      ['done', 'done', 'done', 'done'],
    );
    // One run per cell in the run store: no interrupted copy beside a "#2".
    const runKeys = await page.evaluate(
      () =>
        new Promise<string[]>((resolve, reject) => {
          const open = indexedDB.open('eac-runs');
          open.onerror = () => reject(open.error);
          open.onsuccess = () => {
            const name = open.result.objectStoreNames[0];
            const req = open.result.transaction(name).objectStore(name).getAllKeys();
            req.onsuccess = () => resolve((req.result as string[]).filter((k) => /^run:/.test(String(k))));
            req.onerror = () => reject(req.error);
          };
        }),
    );
    assert.deepEqual(
      runKeys.map((k) => k.slice(4)).sort(),
      cells.map((c) => (c as { runId: string }).runId).sort(),
      'one stored run per cell',
    );
    const resumed = state.cells[second];
    assert.equal(
      resumed.status === 'done' && resumed.runId,
      runKey,
      'the interrupted cell finished under its own run key (resumed, not restarted)',
    );
    const run = await idbGet<{ epochs: { epoch: number; testAcc: number }[]; request: { data: { noiseRate: number } } }>(
      page,
      'eac-runs',
      `run:${runKey}`,
    );
    assert.deepEqual(
      run.epochs.map((e) => e.epoch),
      [1, 2],
    );
    assert.equal(run.request.data.noiseRate, 0.3);

    // The table: each cell the mean of the stored run's last 5 (here both) test accuracies.
    await waitFor(page, `document.querySelectorAll('[data-testid="sweep-table"] td[data-n="1"]').length === 4`);
    for (const c of state.order) {
      const cell = state.cells[c];
      assert.ok(cell.status === 'done');
      const r = await idbGet<{ epochs: { testAcc: number }[] }>(page, 'eac-runs', `run:${cell.runId}`);
      const last5 = r.epochs.slice(-5).map((e) => e.testAcc);
      const want = last5.reduce((a, b) => a + b, 0) / last5.length;
      const [method, noise] = /^(\w+)-noise([\d.]+)-seed/.exec(c)!.slice(1);
      const shown = Number(await page.getByTestId(`sweep-cell-${method}-${noise}`).getAttribute('data-mean'));
      assert.ok(Math.abs(shown - want) < 1e-9, `${c}: table ${shown}, stored last-5 mean ${want}`);
    }
    await page.screenshot({ path: docScreenshotPath('sweep-finished.png') });

    // Exports parse.
    const download = async (format: string) => {
      const [d] = await Promise.all([page.waitForEvent('download'), page.getByTestId(`sweep-export-${format}`).click()]);
      return readFileSync((await d.path())!, 'utf8');
    };
    const csv = (await download('csv')).trim().split(/\r\n/);
    assert.equal(csv[0], TABLE_CSV_HEADER.join(','));
    assert.equal(csv.length, 5);
    for (const line of csv.slice(1)) assert.ok(Number.isFinite(Number(line.split(',')[4])), line);
    const md = (await download('md')).split('\n').filter((l) => l.startsWith('| '));
    assert.ok(md[0].includes('clean') && md[0].includes('30%'), md[0]);
    assert.ok(md.some((l) => l.startsWith('| EAC |')) && md.some((l) => l.startsWith('| Baseline |')));
    const tex = await download('tex');
    assert.match(tex, /\\begin\{tabular\}[\s\S]*\\end\{tabular\}/);
    const json = await download('json');
    const back = parseSweepJson(json);
    assert.deepEqual(back.cells, state.cells);

    // Re-import: the same sweep twice is refused in one line; a renamed copy joins; a bad file gets one line.
    const dir = mkdtempSync(path.join(os.tmpdir(), 'eac-sweep-'));
    const copy = path.join(dir, 'copy.json');
    writeFileSync(copy, json.replace(`"id": "${id}"`, `"id": "${id}-copy"`));
    const bad = path.join(dir, 'bad.json');
    writeFileSync(bad, '{"format": "eac-sweep", "version": 1}');
    const input = page.getByTestId('sweep-import');
    await input.setInputFiles(copy);
    await waitFor(page, `document.querySelector('[data-testid="sweep-import-message"]')?.textContent.includes('imported')`, 10_000);
    await input.setInputFiles(bad);
    await waitFor(page, `document.querySelector('[data-testid="sweep-import-message"]')?.textContent.startsWith('bad.json')`, 10_000);
    const line = await page.getByTestId('sweep-import-message').textContent();
    assert.ok(line && !line.includes('\n'), `one line: ${line}`);
    mark('exports and imports checked');
    assert.deepEqual(watch.foreign, []);
    assert.deepEqual(watch.consoleErrors, []);
    await context.close();
    mark('context closed');
  } finally {
    await browser.close();
    mark('browser closed');
  }
});

test('a 2×2 sweep spread over two tabs trains two cells at once; a closed tab’s cell resumes in the other', {
  timeout: 300_000,
}, async (t) => {
  const t0 = Date.now();
  const mark = (what: string) => t.diagnostic(`${what}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  const browser = await launchChromium({ webgpu: false, webgl: false });
  try {
    const context = await browser.newContext({ viewport: { width: 1366, height: 768 } });
    const [a, b] = [await context.newPage(), await context.newPage()];
    const watch = watchPage(a, served.url);
    for (const p of [a, b]) await openOnWasm(p, TINY_LONG);
    mark('two tabs ready');
    const id = await startSweep(a, 'spread 2x2');
    // The choice is stored first, then shown: click and wait rather than check().
    await a.getByTestId('sweep-spread').click();
    await waitFor(a, `document.querySelector('[data-testid="sweep-spread"]')?.checked === true`, 10_000);
    // Tab b joins on its next poll: two cells train at once, each under its tab's cell lock.
    const stored = async () => (await idbGet<{ state: SweepState }>(a, 'eac-sweeps', `sweep:${id}`)).state;
    await waitFor(a, `document.querySelector('[data-testid="sweep-tabs"]')?.getAttribute('data-tabs') === '2'`, 60_000);
    mark('two tabs training');
    // Both running cells past a checkpoint, then tab b closes mid-cell.
    let running: [string, string][] = [];
    for (let i = 0; i < 600; i++) {
      const s = await stored();
      const open = s.order.filter((c) => s.cells[c].status === 'running');
      running = open.flatMap((c) => {
        const cell = s.cells[c];
        return cell.status === 'running' && cell.checkpoint ? [[c, cell.runId] as [string, string]] : [];
      });
      if (open.length === 2 && running.length === 2) break;
      await a.waitForTimeout(100);
    }
    assert.equal(running.length, 2, 'two cells ran at once, both past a checkpoint');
    await b.close();
    mark('tab b closed');
    await waitFor(a, `document.querySelector('[data-testid="sweep-queue"]')?.getAttribute('data-finished') === 'true'`, 120_000);
    let s = await stored();
    for (let i = 0; i < 100 && s.order.some((c) => s.cells[c].status !== 'done'); i++) {
      await a.waitForTimeout(100);
      s = await stored();
    }
    assert.deepEqual(
      s.order.map((c) => s.cells[c].status),
      ['done', 'done', 'done', 'done'],
    );
    // Both cells that were training (tab b's among them) finished under their own run keys: resumed, not restarted.
    for (const [c, runId] of running) {
      const cell = s.cells[c];
      assert.equal(cell.status === 'done' && cell.runId, runId, `${c} resumed from its checkpoint`);
    }
    mark('sweep finished');
    assert.deepEqual(watch.foreign, []);
    assert.deepEqual(watch.consoleErrors, []);
    await context.close();
  } finally {
    await browser.close();
  }
});
