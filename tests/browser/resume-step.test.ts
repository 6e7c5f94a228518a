// A reload right after a checkpoint-worthy step resumes at that step (issue 23 item 4): on
// WebAssembly, a demo run of many small steps checkpoints within its epoch as the checkpoint's
// measured cost allows (every few seconds here), and a reload just after one offers to resume from
// it. Prints the steps the reload lost. Screenshot: docs/screenshots/resume-step-offer.png.
//
//   node --import tsx --test tests/browser/resume-step.test.ts
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { docScreenshotPath, launchChromium, openLabOnWasm, ROOT, serveBuilt, type Served } from './harness.ts';

/** ResNet-18 width 4 at 32 px, batch 8 over 1600 faces: 200 short steps in one epoch. */
const MANY_STEPS = {
  width: '4',
  size: '32',
  trainCount: '1600',
  testCount: '16',
  epochs: '1',
  batchSize: '8',
  noiseRate: '0.2',
  attentionCount: '2',
};

let served: Served;
before(async () => {
  served = await serveBuilt(path.join(ROOT, '.tmp/dist-resume-test'));
});
after(async () => {
  await served?.close();
});

const figure = async (page: Page, attr: string) => Number((await page.getByTestId('runbar-figures').getAttribute(attr)) || 0);

test('a reload right after a checkpoint within an epoch resumes at that step', { timeout: 300_000 }, async () => {
  const browser = await launchChromium({ webgpu: false });
  try {
    const { page, watch } = await openLabOnWasm(browser, served.url);
    for (const [key, value] of Object.entries(MANY_STEPS)) await page.getByTestId(`setting-${key}`).fill(value);
    await page.getByTestId('train').click();
    // The first checkpoint within the epoch: minSeconds (5 s) after the start, as its cost is not known yet.
    await page.waitForFunction(
      `Number(document.querySelector('[data-testid="runbar-figures"]')?.getAttribute('data-checkpoint-step') || 0) > 0`,
      null,
      {
        timeout: 120_000,
        polling: 50,
      },
    );
    const checkpointStep = await figure(page, 'data-checkpoint-step');
    // The step reached (the progress figures lag the checkpoint by up to a message interval).
    const reachedStep = Math.max(checkpointStep, await figure(page, 'data-step'));
    assert.ok(reachedStep < 200, `the run is still within its epoch (step ${reachedStep})`);
    await page.reload();
    const offer = page.getByTestId('resume-offer-button');
    await offer.waitFor({ timeout: 60_000 });
    const label = (await offer.textContent()) ?? '';
    const m = /^Resume from step (\d+) \(epoch 1\)$/.exec(label);
    assert.ok(m, `offered: ${label}`);
    const resumeStep = Number(m[1]);
    // At the checkpoint seen before the reload, or at a later one (the page asked for one as it unloaded).
    assert.ok(resumeStep >= checkpointStep, `resumes at step ${resumeStep}, the checkpoint was at step ${checkpointStep}`);
    // Counted as its button counts: in epoch 1 (not "epoch 0").
    assert.match(
      (await page.getByTestId('resume-offer').textContent()) ?? '',
      new RegExp(`was interrupted in epoch 1 of 1, at step ${resumeStep}`),
    );
    console.log(
      `# reload at step ${reachedStep} (checkpoint at step ${checkpointStep}): resumes at step ${resumeStep}, ${Math.max(0, reachedStep - resumeStep)} steps lost`,
    );
    await page.screenshot({ path: docScreenshotPath('resume-step-offer.png') });
    // The resumed run goes on from there.
    await offer.click();
    await page.waitForFunction(
      `Number(document.querySelector('[data-testid="runbar-figures"]')?.getAttribute('data-step') || 0) > ${resumeStep}`,
      null,
      {
        timeout: 120_000,
      },
    );
    assert.deepEqual(watch.foreign, []);
  } finally {
    await browser.close();
  }
});
