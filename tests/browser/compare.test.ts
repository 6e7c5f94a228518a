// Runs across tabs on the built app, in headless Chromium on WASM (WebGPU and WebGL off, so tiny
// runs are quick): two pages of one browser context, each set up by its URL (?width=4&size=32…).
// A run started in page A shows up, live, in page B's comparison view (through the runs'
// BroadcastChannel, whose announcements the test also records); B renames A's run while A's
// worker writes epochs and the name stays; closing A leaves B's own run training to its end; the
// table's cell is the mean of the last 5 test accuracies recorded in IndexedDB; a finished run
// re-opens read-only; export and import of runs. Screenshot: artifacts/screenshots/compare-view.png.
//
//   node --import tsx --test tests/browser/compare.test.ts
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { launchChromium, ROOT, screenshotPath, serveBuilt, watchPage, type Served } from './harness.ts';

/** ResNet-18 width 4 at 32 px, 32/16 demo images, batch 16: 2 steps an epoch. */
const TINY = 'width=4&size=32&trainCount=32&testCount=16&batchSize=16&attentionCount=2';
const LONG = 300_000;

let served: Served;
before(async () => {
  served = await serveBuilt(path.join(ROOT, '.tmp/dist-compare'));
});
after(async () => {
  await served?.close();
});

async function waitFor(page: Page, fn: string, timeout = LONG): Promise<void> {
  await page.waitForFunction(fn, null, { timeout, polling: 250 });
}

const historyRow = (key: string) => `document.querySelector('[data-testid="history-run"][data-key="${key}"]')`;

/** The stored record of a run, read from IndexedDB in the page (what the table must be computed from). */
async function storedRecord(
  page: Page,
  key: string,
): Promise<{ name: string; status: string; epochs: { epoch: number; testAcc: number }[] }> {
  return page.evaluate(
    (k) =>
      new Promise((resolve, reject) => {
        const open = indexedDB.open('eac-runs');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const req = open.result.transaction('runs').objectStore('runs').get(`run:${k}`);
          req.onsuccess = () => resolve(req.result);
          req.onerror = () => reject(req.error);
        };
      }),
    key,
  );
}

async function startRun(page: Page, query: string, before?: () => Promise<void>): Promise<void> {
  await page.goto(`${served.url}?${query}`);
  await waitFor(page, `document.querySelector('[data-testid="backend-name"]')?.getAttribute('data-backend') === 'wasm'`, 120_000);
  await before?.();
  await page.getByTestId('train').click();
}

test('comparison across two tabs: live runs, rename while training, closing a tab, the table, re-open, export/import, new tab, QR', {
  timeout: 900_000,
}, async () => {
  const browser = await launchChromium({ webgpu: false, webgl: false });
  try {
    const context = await browser.newContext({ viewport: { width: 1400, height: 1000 }, acceptDownloads: true });
    const a = await context.newPage();
    const b = await context.newPage();
    const watchA = watchPage(a, served.url);
    const watchB = watchPage(b, served.url);

    // B listens on the runs' channel from the start (the app's own listener re-reads the store).
    await b.addInitScript(() => {
      const w = window as unknown as { __announced: unknown[] };
      w.__announced = [];
      new BroadcastChannel('eac-runs').onmessage = (ev) => w.__announced.push(ev.data);
    });

    // A: EAC at 30% noise, 20 epochs (closed long before the end), all from the URL.
    await startRun(a, `${TINY}&epochs=20&noise=0.3`, async () => {
      assert.equal(await a.getByTestId('setting-width').inputValue(), '4', 'the form was filled from the URL');
      assert.equal(await a.getByTestId('setting-noiseRate').inputValue(), '0.3');
      // Editing the form rewrites the URL in place.
      await a.getByTestId('setting-seed').fill('3');
      await waitFor(a, `new URLSearchParams(location.search).get('seed') === '3'`, 10_000);
      assert.equal(new URL(a.url()).searchParams.get('noise'), '0.3');
    });
    await waitFor(a, `!!document.querySelector('[data-testid="run-status"]')`);

    // B: the baseline on clean labels, 6 epochs; then B watches the comparison view.
    await startRun(b, `${TINY}&epochs=6&noise=0&method=baseline`);
    assert.equal(await b.getByTestId('setting-method').inputValue(), 'baseline');
    await b.getByTestId('view-compare').click();
    await b.getByTestId('compare-view').waitFor();

    // Both runs listed; A's is live (another tab's worker holds its lock), B's trains in this tab.
    await waitFor(b, `document.querySelectorAll('[data-testid="history-run"]').length === 2`);
    const keyOf = async (state: string) => {
      await waitFor(b, `!!document.querySelector('[data-testid="history-run"][data-state="${state}"]')`);
      return (await b.locator(`[data-testid="history-run"][data-state="${state}"]`).getAttribute('data-key'))!;
    };
    const keyA = await keyOf('live');
    const keyB = await keyOf('this-tab');
    assert.notEqual(keyA, keyB);

    // A's epochs arrive in B as A trains them.
    await waitFor(b, `Number(${historyRow(keyA)}?.getAttribute('data-epochs')) >= 1`);
    assert.equal(await b.locator(`[data-testid="history-run"][data-key="${keyA}"]`).getAttribute('data-state'), 'live');
    await waitFor(b, `Number(document.querySelector('[data-testid="compare-chart-test"]')?.getAttribute('data-points')) >= 1`);

    // Rename A's run from B while A's worker keeps writing epochs: the name stays.
    const row = b.locator(`[data-testid="history-run"][data-key="${keyA}"]`);
    const epochsAtRename = Number(await row.getAttribute('data-epochs'));
    await row.getByTestId('rename-run').click();
    await row.getByTestId('rename-input').fill('EAC 30% (tab A)');
    await row.getByRole('button', { name: 'Save' }).click();
    await waitFor(b, `Number(${historyRow(keyA)}?.getAttribute('data-epochs')) >= ${epochsAtRename + 1}`);
    const recA = await storedRecord(b, keyA);
    assert.equal(recA.name, 'EAC 30% (tab A)', 'the rename survives the worker’s later writes');
    assert.ok(recA.epochs.length > epochsAtRename, 'and so do the worker’s epochs');

    // Close A mid-run: its worker dies with it; B's run goes on and finishes.
    const aEpochsAtClose = (await storedRecord(b, keyA)).epochs.length;
    assert.ok(aEpochsAtClose < 20, `A is still training when closed (epoch ${aEpochsAtClose}/20)`);
    await a.close();
    await waitFor(b, `${historyRow(keyA)}?.getAttribute('data-state') === 'interrupted'`, 60_000);
    await waitFor(b, `${historyRow(keyB)}?.getAttribute('data-state') === 'done'`);
    const recB = await storedRecord(b, keyB);
    assert.equal(recB.status, 'done');
    assert.deepEqual(
      recB.epochs.map((e) => e.epoch),
      [1, 2, 3, 4, 5, 6],
      'B trained every epoch',
    );

    // The table: B's cell is the mean of its last 5 recorded test accuracies.
    const last5 = recB.epochs.slice(-5).map((e) => e.testAcc);
    const want = last5.reduce((s, x) => s + x, 0) / last5.length;
    // Runs with different planned epoch counts (A was cut short) get tables of their own: B's cell is
    // the one that holds a run.
    await waitFor(b, `!!document.querySelector('[data-testid="cell-baseline-0"][data-runs="1"]')`);
    const cell = b.locator('[data-testid="cell-baseline-0"][data-runs="1"]');
    assert.equal(Number(await cell.getAttribute('data-mean')), want);
    assert.match((await cell.textContent()) ?? '', new RegExp(`${(want * 100).toFixed(1)}%6/6 epochs`));
    const finalA = await storedRecord(b, keyA);
    const accA = finalA.epochs.slice(-5).map((e) => e.testAcc);
    assert.equal(
      Number(await b.locator('[data-testid="cell-eac-30"][data-runs="1"]').getAttribute('data-mean')),
      accA.reduce((s, x) => s + x, 0) / accA.length,
    );

    // The channel carried A's epochs (from A's worker), B's start and end, and the rename.
    const announced = await b.evaluate(() => (window as unknown as { __announced: { type: string; key?: string }[] }).__announced);
    assert.ok(
      announced.some((m) => m.type === 'run-started' && m.key === keyB),
      'run-started of B',
    );
    assert.ok(
      announced.some((m) => m.type === 'run-epoch' && m.key === keyA),
      'run-epoch of A',
    );
    assert.ok(
      announced.some((m) => m.type === 'run-done' && m.key === keyB),
      'run-done of B',
    );
    assert.ok(
      announced.some((m) => m.type === 'run-renamed' && m.key === keyA),
      'run-renamed of A',
    );

    // Import a run from another machine (eac train --out), and export everything.
    await b.getByTestId('import-input').setInputFiles(path.join(ROOT, 'tests/fixtures/runs/eac-train-out.json'));
    await waitFor(b, `/1 run imported/.test(document.querySelector('[data-testid="history-message"]')?.textContent ?? '')`, 30_000);
    await waitFor(b, `!!document.querySelector('[data-testid="history-run"][data-state="imported"]')`, 30_000);
    await b
      .getByTestId('import-input')
      .setInputFiles({ name: 'notes.json', mimeType: 'application/json', buffer: Buffer.from('{"hello": 1}') });
    await waitFor(
      b,
      `/notes\\.json is not a run export/.test(document.querySelector('[data-testid="history-message"]')?.textContent ?? '')`,
      30_000,
    );
    const [download] = await Promise.all([b.waitForEvent('download'), b.getByTestId('export-runs-json').click()]);
    const exported = JSON.parse(readFileSync(await download.path(), 'utf8'));
    assert.equal(exported.format, 'eac-lab-runs');
    assert.deepEqual(new Set(exported.runs.map((r: { key: string }) => r.key)).size, 3);

    // The settings link as a QR code, and a new comparison tab: B's settings with the method flipped.
    await b.getByTestId('compare-view').getByTestId('show-qr').click();
    await waitFor(
      b,
      `(document.querySelector('[data-testid="compare-view"] [data-testid="settings-qr"]')?.naturalWidth ?? 0) > 50`,
      10_000,
    );
    const [c] = await Promise.all([context.waitForEvent('page'), b.getByTestId('new-tab-method').click()]);
    await c.getByTestId('setting-method').waitFor({ timeout: 60_000 });
    const q = new URL(c.url()).searchParams;
    // EAC is the default method: the link leaves it out.
    assert.deepEqual([q.get('method'), q.get('noise'), q.get('width'), q.get('epochs')], [null, '0', '4', '6']);
    assert.equal(await c.getByTestId('setting-method').inputValue(), 'eac');
    assert.equal(await c.getByTestId('setting-noiseRate').inputValue(), '0');
    await c.close();

    await b.screenshot({ path: screenshotPath('compare-view.png'), fullPage: true });

    // Re-open B's finished run: its charts and attention panel, read-only.
    await b.locator(`[data-testid="history-run"][data-key="${keyB}"]`).getByTestId('open-run').click();
    await b.getByTestId('stored-run-view').waitFor({ timeout: 30_000 });
    await waitFor(
      b,
      `Number(document.querySelector('[data-testid="stored-run-view"] [data-testid="accuracy-chart"]')?.getAttribute('data-points')) === 6`,
      30_000,
    );
    assert.equal(await b.locator('[data-testid="stored-run-view"] [data-testid="attention-sample"]').count(), 2);
    await b.screenshot({ path: screenshotPath('compare-reopened-run.png'), fullPage: true });
    await b.getByTestId('close-stored-run').click();
    assert.equal(await b.getByTestId('stored-run-view').count(), 0);

    assert.deepEqual([...watchA.foreign, ...watchB.foreign], [], 'no request leaves the app origin');
    // The lab stays laid out (invisible) behind the other views: its charts never measure 0×0.
    assert.deepEqual(
      watchB.log.filter((l) => /width\(0\) and height\(0\)/.test(l)),
      [],
      'no recharts zero-size warnings',
    );
    assert.deepEqual(
      [...watchA.consoleErrors, ...watchB.consoleErrors].filter((e) => !/Failed to load resource/.test(e)),
      [],
    );
  } finally {
    await browser.close();
  }
});
