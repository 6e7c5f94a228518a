// The run store in Chromium keeps checkpoints of the recipe's size: a ResNet-50's weights and
// Adam's two moments are 282 MB. In a profile kept in memory (an incognito window, and the tests'
// own browsers) Chromium refuses one IndexedDB value of more than ~133 MB ("The transaction has
// finished"), so a checkpoint is stored in parts (src/storage/checkpoint-parts.ts). Saved by a
// worker as the training worker saves it, loaded back equal array for array, and deleted; in an
// in-memory profile, and in one on disk with EAC_DISK_PROFILE=1.
//
//   node --import tsx --test tests/browser/checkpoint-store.test.ts
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { CheckpointPageReport } from './checkpoint-store-page.ts';
import { launchChromium, launchChromiumWithProfile, serveDev, watchPage, type Served } from './harness.ts';

let served: Served;
before(async () => {
  served = await serveDev();
});
after(async () => {
  await served?.close();
});

test('a ResNet-50 checkpoint (282 MB) is saved in the run store by a worker, loaded back equal, and deleted', {
  timeout: 240_000,
}, async () => {
  const profile = mkdtempSync(path.join(tmpdir(), 'eac-ckpt-profile-'));
  const browser = process.env.EAC_DISK_PROFILE ? null : await launchChromium({ webgpu: false });
  const context = browser ? await browser.newContext() : await launchChromiumWithProfile(profile, { webgpu: false });
  try {
    const page = await context.newPage();
    const watch = watchPage(page, served.url);
    await page.goto(new URL('tests/browser/checkpoint-store.html?arch=resnet50&width=64&worker=1', served.url).href);
    await page.waitForFunction(() => window.__ckpt?.done === true, null, { timeout: 200_000, polling: 500 });
    const r = (await page.evaluate(() => window.__ckpt)) as CheckpointPageReport;
    assert.equal(r.error, null, `the page failed: ${r.error}\n${watch.log.slice(-10).join('\n')}`);
    assert.ok(r.bytes > 250e6, `${r.bytes} bytes`);
    assert.deepEqual(r.differ, [], `${r.differ.length} of ${r.arrays} arrays came back different`);
  } finally {
    await context.close();
    await browser?.close();
    rmSync(profile, { recursive: true, force: true });
  }
});
