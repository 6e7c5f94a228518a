// Reading times of the dataset readers in Chromium: the folders scripts/bench/read-datasets.ts
// generates (under .tmp/bench-datasets/) given to the built app's folder input (Files with paths),
// read and decoded in the ingest worker by the same readers as the CLI, and stored in the dataset
// cache. Prints the page's own timing ("… of it reading and decoding") per folder as images/s.
//
//   npx vite build --mode test --outDir .tmp/browser-test-dist --emptyOutDir --logLevel warn
//   nice node --import tsx scripts/bench/read-datasets.ts --tiny-images 11000   # makes the folders
//   EAC_PREBUILT=$PWD/.tmp/browser-test-dist nice node --import tsx scripts/bench/read-datasets-browser.ts [FOLDER …]
import { existsSync, readdirSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import path from 'node:path';
import { launchChromium, ROOT, serveBuilt } from '../../tests/browser/harness.ts';

const BASE = path.join(ROOT, '.tmp/bench-datasets');
const asked = process.argv.slice(2);
const folders = (asked.length ? asked : existsSync(BASE) ? readdirSync(BASE).map((d) => path.join(BASE, d)) : []).filter((d) =>
  existsSync(d),
);
if (!folders.length) {
  process.stderr.write('no folders: run scripts/bench/read-datasets.ts first, or name folders\n');
  process.exit(2);
}

/** "12.3 s", "41 s", "2 min 05 s" → seconds (the page rounds ≥ 10 s to whole seconds). */
function seconds(t: string): number {
  const m = /^(?:(\d+) min )?([\d.]+) s$/.exec(t.trim());
  if (!m) throw new Error(`not a duration: ${t}`);
  return Number(m[1] ?? 0) * 60 + Number(m[2]);
}

const served = await serveBuilt();
const browser = await launchChromium({ webgpu: false });
try {
  for (const dir of folders) {
    const page = await (await browser.newContext({ viewport: { width: 1366, height: 900 } })).newPage();
    await page.goto(`${served.url}?backend=wasm`);
    // Handing a folder of 110,000 files to the input takes Playwright a while.
    await page.getByTestId('folder-input').setInputFiles(dir, { timeout: 900_000 });
    await page.waitForFunction(
      `['done', 'error'].includes(document.querySelector('[data-testid="ingest"]')?.getAttribute('data-status'))`,
      null,
      { timeout: 1_800_000, polling: 500 },
    );
    const done =
      (await page
        .getByTestId('ingest-done')
        .textContent()
        .catch(() => null)) ?? '';
    const m = /cached in (.+?) \((.+?) of it reading and decoding\)/.exec(done);
    if (!m) {
      process.stdout.write(`${path.basename(dir)}: ${(await page.getByTestId('ingest').textContent()) ?? 'no result'}\n`);
      continue;
    }
    const n =
      Number(((await page.getByTestId('report-train').textContent()) ?? '0').replace(/,/g, '')) +
      Number(((await page.getByTestId('report-test').textContent()) ?? '0').replace(/,/g, ''));
    const dec = seconds(m[2]);
    process.stdout.write(
      `${path.basename(dir)} in Chromium: ${n} images read and decoded in ${m[2]} = ${Math.round(n / dec)} images/s (${m[1]} with listing and caching; load ${loadavg()[0].toFixed(1)} on ${cpus().length} cores)\n`,
    );
    await page.context().close();
  }
} finally {
  await browser.close();
  await served.close();
}
