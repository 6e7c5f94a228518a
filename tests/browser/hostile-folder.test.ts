// A huge file in a folder given to the page (issue 14, defect 10): the ingest worker refuses it
// from its size, before reading it, with the words `eac dataset inspect` uses, and keeps the rest.
// The folder is the clean fixture with train_00001's image replaced by a sparse 5 GiB file;
// it goes in through the <input webkitdirectory> (Files) and a real drop (FileSystemHandles).
//
//   node --import tsx --test tests/browser/hostile-folder.test.ts
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { launchChromium, ROOT, serveBuilt, watchPage, type Served } from './harness.ts';
import { cleanCopy, FIRST_IMAGE } from '../../tools/fixtures/make-hostile-datasets.ts';

const HUGE_BYTES = 5 * 2 ** 30;
const REFUSED = 'train_00001.jpg: too large: 5 GiB (the cap is 4 MiB)';

let served: Served;
let folder: string;

before(async () => {
  served = await serveBuilt(path.join(ROOT, '.tmp/dist-hostile-folder'));
  folder = path.join(mkdtempSync(path.join(tmpdir(), 'eac-hostile-page-')), 'huge');
  const basic = cleanCopy(path.join(folder, 'basic'));
  truncateSync(path.join(basic, FIRST_IMAGE), HUGE_BYTES);
});

after(async () => {
  await served?.close();
  if (folder) rmSync(path.dirname(folder), { recursive: true, force: true });
});

const text = async (page: Page, testId: string) => ((await page.getByTestId(testId).first().textContent()) ?? '').trim();

async function ingestEnd(page: Page, after: number): Promise<string> {
  const handle = await page.waitForFunction(
    (prev) => {
      const el = document.querySelector('[data-testid="ingest"]');
      const status = el?.getAttribute('data-status') ?? '';
      return Number(el?.getAttribute('data-ingest-id')) > prev && ['done', 'error', 'cancelled'].includes(status) ? status : null;
    },
    after,
    { timeout: 120_000, polling: 100 },
  );
  return (await handle.jsonValue()) as string;
}

const ingestId = async (page: Page) => Number(await page.getByTestId('ingest').getAttribute('data-ingest-id'));

async function assertRefused(page: Page): Promise<void> {
  assert.equal(await text(page, 'report-train'), '27');
  assert.equal(await text(page, 'report-test'), '14');
  const unreadable = page.getByTestId('skip-unreadable');
  assert.equal(await unreadable.getAttribute('data-count'), '1');
  await unreadable.locator('summary').click();
  assert.ok((await text(page, 'skip-unreadable')).includes(REFUSED), await text(page, 'skip-unreadable'));
}

test("a 5 GiB file in a chosen or dropped folder is refused unread, with the CLI's message", { timeout: 600_000 }, async () => {
  const browser = await launchChromium({ webgpu: false });
  try {
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 1000 } })).newPage();
    const watch = watchPage(page, served.url);
    await page.goto(served.url);
    await page.getByTestId('data-panel').waitFor();

    let prev = await ingestId(page);
    await page.getByTestId('folder-input').setInputFiles(folder);
    assert.equal(await ingestEnd(page, prev), 'done', await text(page, 'data-panel'));
    await assertRefused(page);
    const key = (await page.getByTestId('dataset-report').getAttribute('data-key'))!;
    await page.locator(`[data-testid="cached-dataset"][data-key="${key}"] [data-testid="cached-delete"]`).click();
    await page.waitForSelector(`[data-testid="cached-dataset"][data-key="${key}"]`, { state: 'detached' });

    // A real drop: DevTools' drag events carry the folder from disk (FileSystemHandles).
    prev = await ingestId(page);
    const zone = page.getByTestId('dropzone');
    await zone.scrollIntoViewIfNeeded();
    const box = (await zone.boundingBox())!;
    const cdp = await page.context().newCDPSession(page);
    const data = { items: [], files: [folder], dragOperationsMask: 1 };
    for (const type of ['dragEnter', 'dragOver', 'drop'] as const)
      await cdp.send('Input.dispatchDragEvent', { type, x: box.x + box.width / 2, y: box.y + box.height / 2, data });
    await cdp.detach();
    assert.equal(await ingestEnd(page, prev), 'done', await text(page, 'data-panel'));
    await assertRefused(page);

    assert.deepEqual(watch.consoleErrors, []);
    assert.deepEqual(watch.foreign, []);
  } finally {
    await browser.close();
  }
});
