// The weights panel of the built app in headless Chromium: import a safetensors and a Python-2
// pickle through the file input, see the import end and the entries listed, reload and find them
// again (IndexedDB), rename, import the same file again (a cache hit) and by drag and drop, cancel
// an import, refuse a hostile pickle (the reader's message, nothing stored), delete. At 1366×768:
// Train with weights that do not fit the backbone focuses the reason next to Train, and its
// one-click fix switches to the weights' backbone and width; a preset that the selected weights
// do not fit says so. Screenshot: docs/screenshots/lab-weights-mismatch.png.
//
//   node --import tsx --test tests/browser/weights-import.test.ts
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { docScreenshotPath, launchChromium, ROOT, screenshotPath, serveBuilt, watchPage, type Served } from './harness.ts';

const FIXTURES = path.join(ROOT, 'tests/fixtures/weights');
const SAFE = 'resnet18_w4_h7.safetensors';
const PKL = 'resnet50_ft_weight_w4_h10_py2.pkl';
const HOSTILE = 'hostile_os_system.pkl';
const T = 60_000;

let served: Served;

before(async () => {
  served = await serveBuilt(path.join(ROOT, '.tmp/dist-weights'));
});

after(async () => {
  await served?.close();
});

async function listReady(page: Page): Promise<void> {
  await page.waitForSelector('[data-testid="weights-list"][data-status="ready"]', { timeout: T });
}

async function entryNames(page: Page): Promise<string[]> {
  return page.$$eval('[data-testid="weights-entry"]', (els) => els.map((e) => e.getAttribute('data-name') ?? ''));
}

/** Every key of the weights database, read by the page itself. */
async function idbKeys(page: Page): Promise<string[]> {
  return page.evaluate(
    () =>
      new Promise<string[]>((resolve, reject) => {
        const req = indexedDB.open('eac-weights');
        req.onerror = () => reject(req.error);
        req.onsuccess = () => {
          const db = req.result;
          const q = db.transaction('weights').objectStore('weights').getAllKeys();
          q.onsuccess = () => {
            db.close();
            resolve(q.result.map(String).sort());
          };
          q.onerror = () => reject(q.error);
        };
      }),
  );
}

/** Records every import stage and status the panel shows (a tiny file goes through them fast). */
async function recordStages(page: Page): Promise<void> {
  // A string: tsx would wrap named functions in a helper that does not exist in the page.
  await page.evaluate(`(() => {
    window.__stages = [];
    new MutationObserver(() => {
      const p = document.querySelector('[data-testid="weights-progress"]');
      const s = p ? p.getAttribute('data-status') + ':' + p.getAttribute('data-stage') : null;
      if (s && window.__stages[window.__stages.length - 1] !== s) window.__stages.push(s);
    }).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-stage', 'data-status'] });
  })()`);
}

async function stagesSeen(page: Page): Promise<string[]> {
  return page.evaluate(() => (window as unknown as { __stages: string[] }).__stages);
}

/** Waits for the import to end; returns the outcome element's status ('done', 'cancelled') or 'error'. */
async function importEnd(page: Page): Promise<string> {
  await page.waitForFunction(
    () =>
      !document.querySelector('[data-testid="weights-progress"]') &&
      !!document.querySelector('[data-testid="weights-result"], [data-testid="weights-error"]'),
    null,
    { timeout: T, polling: 50 },
  );
  if (await page.getByTestId('weights-error').count()) return 'error';
  const status = (await page.getByTestId('weights-result').getAttribute('data-status')) ?? '';
  if (status === 'done') {
    // The list is read again after the import: wait until it shows the entry, selected.
    const key = await page.getByTestId('weights-result').getAttribute('data-key');
    await page.waitForSelector(`[data-testid="weights-entry"][data-key="${key}"] [data-testid="weights-select"]:checked`, { timeout: T });
  }
  return status;
}

async function importFile(page: Page, name: string): Promise<string> {
  await recordStages(page);
  await page.getByTestId('weights-file').setInputFiles(path.join(FIXTURES, name));
  return importEnd(page);
}

test('weights panel: import, list, reload, rename, cache hit, drop, cancel, refusal, delete', { timeout: 300_000 }, async () => {
  const browser = await launchChromium({ webgpu: false });
  try {
    const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
    const watch = watchPage(page, served.url);
    await page.goto(served.url);
    await listReady(page);
    assert.deepEqual(await entryNames(page), []);
    await page.getByTestId('weights-empty').waitFor();
    assert.match((await page.getByTestId('weights-random-warning').textContent()) ?? '', /~71% vs ~88% at 10% noise/);
    assert.ok(await page.getByTestId('weights-random').isChecked());

    // 1. safetensors through the file input.
    assert.equal(await importFile(page, SAFE), 'done');
    const seen1 = await stagesSeen(page);
    assert.ok(seen1.includes('running:read'), `stages seen: ${seen1.join(', ')}`);
    const result1 = page.getByTestId('weights-result');
    assert.equal(await result1.getAttribute('data-cached'), 'false');
    assert.match(
      (await result1.textContent()) ?? '',
      /Imported resnet18_w4_h7\.safetensors in \d+\.\d s: ResNet-18, width 4, 7-class head loaded\./,
    );
    assert.match((await page.getByTestId('weights-report').textContent()) ?? '', /^0 missing · 0 unexpected · 0 mis-shaped keys/);
    assert.deepEqual(await entryNames(page), [SAFE]);
    const safeEntry = page.locator(`[data-testid="weights-entry"][data-name="${SAFE}"]`);
    assert.match((await safeEntry.getByTestId('weights-meta').textContent()) ?? '', /^ResNet-18 · width 4 · 7-class head loaded$/);
    assert.ok(await safeEntry.getByTestId('weights-select').isChecked(), 'the imported weights are selected');
    assert.equal(await page.getByTestId('weights-random-warning').count(), 0);
    const safeKey = (await safeEntry.getAttribute('data-key'))!;
    assert.match(safeKey, /^[0-9a-f]{64}$/);

    // 2. A Python-2 style VGGFace2 pickle (10-way head, dropped).
    assert.equal(await importFile(page, PKL), 'done');
    assert.match(
      (await page.getByTestId('weights-result').textContent()) ?? '',
      /ResNet-50 \(VGGFace2 Caffe layout\), width 4, 10-way head dropped, new 7-class head per run/,
    );
    assert.deepEqual((await entryNames(page)).sort(), [PKL, SAFE].sort());
    const pklKey = (await page.locator(`[data-testid="weights-entry"][data-name="${PKL}"]`).getAttribute('data-key'))!;
    assert.deepEqual(await idbKeys(page), [`meta:${pklKey}`, `meta:${safeKey}`, `tensors:${pklKey}`, `tensors:${safeKey}`].sort());

    // 2b. Train with the ResNet-50 (width 4) selected and the demo's ResNet-18 width 8 set: refused
    // next to Train, the reason focused and in view, and its fix sets the weights' backbone.
    await page.getByTestId('weights-list').scrollIntoViewIfNeeded();
    await page.getByTestId('train').click();
    const problem = page.getByTestId('start-problem');
    await problem.waitFor({ timeout: T });
    assert.equal(await problem.getAttribute('role'), 'alert');
    assert.match((await problem.textContent()) ?? '', /are a ResNet-50 width 4; the settings ask for a ResNet-18 width 8/);
    assert.equal(
      await page.evaluate(() => document.activeElement?.getAttribute('data-testid')),
      'start-problem',
      'the reason has the focus',
    );
    const box = await problem.boundingBox();
    assert.ok(box && box.y >= 0 && box.y + box.height <= 768, `the reason is in view: ${JSON.stringify(box)}`);
    assert.equal(await page.getByTestId('run-status').getAttribute('data-status'), 'idle', 'no run started');
    await page.screenshot({ path: docScreenshotPath('lab-weights-mismatch.png') });
    const fix = page.getByTestId('start-problem-fix');
    assert.equal(await fix.textContent(), 'Switch to ResNet-50 width 4');
    await fix.click();
    assert.equal(await page.getByTestId('setting-arch').inputValue(), 'resnet50');
    assert.equal(await page.getByTestId('setting-width').inputValue(), '4');
    assert.equal(await page.getByTestId('start-problem').count(), 0, 'the problem is gone with its cause');
    assert.equal(await page.getByTestId('preset-state').getAttribute('data-preset'), 'custom');
    // A preset these weights do not fit (the official recipe is width 64) says so and falls back to random init.
    await page.getByTestId('preset-official').click();
    assert.equal(await page.getByTestId('preset-state').getAttribute('data-preset'), 'official');
    assert.match((await page.getByTestId('preset-state').textContent()) ?? '', /do not fit this preset’s backbone/);
    assert.ok(await page.getByTestId('weights-random').isChecked());
    await page.getByTestId('preset-demo').click();
    await page.locator(`[data-testid="weights-entry"][data-key="${pklKey}"]`).getByTestId('weights-select').check();

    // 3. Reload: both listed again from IndexedDB, the last selection kept.
    await page.reload();
    await listReady(page);
    assert.deepEqual((await entryNames(page)).sort(), [PKL, SAFE].sort());
    assert.ok(await page.locator(`[data-testid="weights-entry"][data-key="${pklKey}"]`).getByTestId('weights-select').isChecked());

    // 4. Rename, kept over a reload.
    const safeRow = () => page.locator(`[data-testid="weights-entry"][data-key="${safeKey}"]`);
    await safeRow().getByTestId('weights-rename').click();
    await safeRow().getByTestId('weights-rename-input').fill('MS-Celeb R18 (tiny)');
    await safeRow().getByTestId('weights-rename-input').press('Enter');
    await page.waitForSelector(`[data-testid="weights-entry"][data-key="${safeKey}"][data-name="MS-Celeb R18 (tiny)"]`, { timeout: T });
    await page.reload();
    await listReady(page);
    assert.equal(await safeRow().getAttribute('data-name'), 'MS-Celeb R18 (tiny)');

    // 5. The same file again: a cache hit, nothing new stored.
    assert.equal(await importFile(page, SAFE), 'done');
    assert.equal(await page.getByTestId('weights-result').getAttribute('data-cached'), 'true');
    assert.match(
      (await page.getByTestId('weights-result').textContent()) ?? '',
      /Already cached as “MS-Celeb R18 \(tiny\)” \(same content\)/,
    );
    assert.equal((await entryNames(page)).length, 2);
    await page.screenshot({ path: screenshotPath('weights-panel.png'), fullPage: true });

    // 6. Dropped on the drop target (also a cache hit, under another file name).
    await recordStages(page);
    const bytes = Array.from(readFileSync(path.join(FIXTURES, SAFE)));
    await page.evaluate((data) => {
      const dt = new DataTransfer();
      dt.items.add(new File([new Uint8Array(data)], 'dropped copy.safetensors'));
      const target = document.querySelector('[data-testid="weights-drop"]')!;
      target.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
      target.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    }, bytes);
    assert.equal(await importEnd(page), 'done');
    assert.equal(await page.getByTestId('weights-result').getAttribute('data-cached'), 'true');
    assert.equal((await entryNames(page)).length, 2);

    // 7. Cancel: the cancel is sent right behind the import, before the worker reads anything.
    const keysBefore = await idbKeys(page);
    await page.evaluate(() => {
      const input = document.querySelector<HTMLInputElement>('[data-testid="weights-file"]')!;
      const dt = new DataTransfer();
      dt.items.add(new File([new Uint8Array(32 << 20)], 'big.safetensors'));
      input.files = dt.files;
      input.dispatchEvent(new Event('change', { bubbles: true }));
      document.querySelector<HTMLButtonElement>('[data-testid="weights-cancel"]')!.click();
    });
    assert.equal(await importEnd(page), 'cancelled');
    assert.match(
      (await page.getByTestId('weights-result').textContent()) ?? '',
      /Import of big\.safetensors cancelled; nothing was stored\./,
    );
    assert.deepEqual(await idbKeys(page), keysBefore);

    // 8. A hostile pickle: refused with the reader's message, nothing stored.
    assert.equal(await importFile(page, HOSTILE), 'error');
    const err = page.getByTestId('weights-error');
    assert.equal(await err.getAttribute('data-kind'), 'refused');
    assert.match((await err.textContent()) ?? '', /hostile_os_system\.pkl was refused/);
    assert.equal(
      await err.locator('.weights-verbatim').textContent(),
      'refused: the pickle references os.system, which is not a tensor or array constructor',
    );
    assert.deepEqual(await idbKeys(page), keysBefore);
    await page.screenshot({ path: screenshotPath('weights-refused.png'), fullPage: true });

    // 8b. Hostile and broken torch.save files (tools/hostile/weights_fixtures.py): refused with the
    // messages `eac` gives (tests/unit/weights-hostile.test.ts), nothing stored.
    for (const [file, message] of [
      ['../hostile/stride0.pth', /^torch-zip: the tensors would decode to 1073741824 bytes, more than /],
      ['../hostile/resnet18_w1_nan.pth', /^weights: layer2\.0\.conv1\.weight holds a non-finite value \(NaN at index 4 of 18\)/],
    ] as const) {
      assert.equal(await importFile(page, file), 'error', file);
      assert.match((await err.locator('.weights-verbatim').textContent()) ?? '', message);
      assert.deepEqual(await idbKeys(page), keysBefore);
    }

    // 9. Delete: gone now and after a reload; the other entry stays.
    await safeRow().getByTestId('weights-delete').click();
    await page.waitForFunction((k) => !document.querySelector(`[data-testid="weights-entry"][data-key="${k}"]`), safeKey, { timeout: T });
    await page.reload();
    await listReady(page);
    assert.deepEqual(await entryNames(page), [PKL]);
    assert.deepEqual(await idbKeys(page), [`meta:${pklKey}`, `tensors:${pklKey}`]);
    await page.locator(`[data-testid="weights-entry"][data-key="${pklKey}"]`).getByTestId('weights-delete').click();
    await page.getByTestId('weights-empty').waitFor({ timeout: T });
    assert.ok(await page.getByTestId('weights-random').isChecked());
    await page.getByTestId('weights-random-warning').waitFor();
    assert.deepEqual(await idbKeys(page), []);

    assert.match((await page.getByTestId('weights-storage').textContent()) ?? '', /^Storage: /);
    assert.deepEqual(watch.foreign, [], `requests left the app: ${watch.foreign.join(', ')}`);
    assert.deepEqual(watch.consoleErrors, [], watch.consoleErrors.join('\n'));
  } finally {
    await browser.close();
  }
});
