// JPEG decode identity: the lab's decoder (src/data/jpeg.ts: libjpeg-turbo's decompressor, as
// MozJPEG, in WebAssembly) gives the same bytes in Node, on a Chromium page and in a Chromium
// module worker; and Chromium's own decoder (createImageBitmap + canvas) gives the same bytes too.
// The files are the decode-identity set of tools/fixtures/make-rafdb-fixture.ts (tests/fixtures/rafdb/jpeg/:
// 4:2:0, 4:4:4, progressive, odd sizes, greyscale).
//
//   node --import tsx --test tests/browser/jpeg-decode.test.ts
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { initJpegDecoderNode } from '../../src/data/jpeg-node.ts';
import { decodeJpeg } from '../../src/data/jpeg.ts';
import type { JpegPageReport } from './jpeg-page.ts';
import { launchChromium, ROOT, serveDev, watchPage, type Served } from './harness.ts';

const DIR = path.join(ROOT, 'tests/fixtures/rafdb/jpeg');
const FILES = readdirSync(DIR)
  .filter((f) => f.endsWith('.jpg'))
  .sort();
let served: Served;

before(async () => {
  await initJpegDecoderNode();
  served = await serveDev();
});

after(async () => {
  await served?.close();
});

function compare(a: Uint8Array, b: Uint8Array): { maxAbs: number; differing: number; meanAbs: number } {
  let maxAbs = 0;
  let differing = 0;
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (d) differing++;
    sum += d;
    if (d > maxAbs) maxAbs = d;
  }
  return { maxAbs, differing, meanAbs: sum / a.length };
}

test("the lab's JPEG decoder: Node = Chromium page = Chromium worker = Chromium's own decoder, byte for byte", {
  timeout: 120_000,
}, async () => {
  assert.ok(FILES.length >= 8, `decode-identity set: ${FILES.join(', ')}`);
  const browser = await launchChromium({ webgpu: false });
  try {
    const page = await browser.newPage();
    const watch = watchPage(page, served.url);
    await page.goto(new URL(`tests/browser/jpeg.html?files=${FILES.join(',')}`, served.url).href);
    await page.waitForFunction(() => window.__jpeg?.done === true, null, { timeout: 90_000, polling: 200 });
    const report = (await page.evaluate(() => window.__jpeg)) as JpegPageReport;
    assert.equal(report.error, null, `the page failed: ${report.error}\n${watch.log.slice(-20).join('\n')}`);
    assert.deepEqual(
      report.results.map((r) => r.name),
      FILES,
    );
    let chromiumIdentical = 0;
    let totalBytes = 0;
    let totalDiffering = 0;
    let worst = 0;
    for (const r of report.results) {
      const node = decodeJpeg(new Uint8Array(readFileSync(path.join(DIR, r.name))));
      const bytes = (s: string) => new Uint8Array(Buffer.from(s, 'base64'));
      assert.deepEqual([r.width, r.height], [node.width, node.height], r.name);
      assert.ok(Buffer.from(bytes(r.wasmPage)).equals(Buffer.from(node.rgb)), `${r.name}: page decode differs from Node's`);
      assert.ok(Buffer.from(bytes(r.wasmWorker)).equals(Buffer.from(node.rgb)), `${r.name}: worker decode differs from Node's`);
      assert.deepEqual(r.chromiumSize, [node.width, node.height], `${r.name}: Chromium's size`);
      const c = compare(bytes(r.chromium), node.rgb);
      if (c.differing === 0) chromiumIdentical++;
      totalBytes += node.rgb.length;
      totalDiffering += c.differing;
      worst = Math.max(worst, c.maxAbs);
      console.log(
        `# ${r.name} ${r.width}×${r.height}: Chromium vs libjpeg-turbo (wasm): ${c.differing === 0 ? 'identical' : `max |diff| ${c.maxAbs}, ${((100 * c.differing) / node.rgb.length).toFixed(2)}% of bytes differ, mean |diff| ${c.meanAbs.toFixed(4)}`}`,
      );
    }
    console.log(
      `# Chromium's own decoder: ${chromiumIdentical}/${FILES.length} files byte-identical; ${totalDiffering} of ${totalBytes} bytes differ (${((100 * totalDiffering) / totalBytes).toFixed(3)}%), max |diff| ${worst}`,
    );
    // Measured with Debian's Chromium: byte-identical on every file (both decode with libjpeg-turbo's
    // accurate integer IDCT and fancy upsampling), so the lab's decoder also equals what the browser
    // would give natively. Should a Chromium build ever differ, the lines above quantify it.
    assert.equal(
      chromiumIdentical,
      FILES.length,
      `Chromium's decoder differs on ${FILES.length - chromiumIdentical} files (max |diff| ${worst})`,
    );
    assert.deepEqual(watch.consoleErrors, []);
    assert.deepEqual(watch.foreign, [], 'no request leaves the dev server');
  } finally {
    await browser.close();
  }
});
