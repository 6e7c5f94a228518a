// Ingest throughput on a full-size RAF-DB-shaped folder, in Node and in Chromium, each against the
// time to only read the bytes of the same files, in one run; writes docs/ingest-throughput.md.
//
//   nice node --import tsx scripts/measure/ingest.ts [--dir .tmp/rafdb-full] [--out docs/ingest-throughput.md] [--no-chromium] [--before FILE]
//
// --before FILE: a page this script wrote before a change (e.g. on main's build, with --out); its
// Chromium ingest rows are shown beside this run's.
//
// The folder (generated once under .tmp/, not committed): RAF-DB basic's 12,271 train + 3,068 test
// names with its per-class counts, each a 100×100 4:2:0 JPEG (quality 90) of a demo face, named
// and labelled as RAF-DB does (train_00001_aligned.jpg; `train_00001.jpg 5`).
// Chromium: the page scripts/measure/ingest-page/ of a production build, the folder given through an
// <input webkitdirectory> (Files with paths, as the lab's fallback) and then as a real folder drop
// (FileSystemHandles, what Chromium gives the lab's drop zone).
import { cpus, loadavg } from 'node:os';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { build, preview } from 'vite';
import { nodeFolderFs } from '../../src/cli/dataset.ts';
import { demoFaceParams, renderDemoFace } from '../../src/data/demo.ts';
import { initJpegDecoderNode } from '../../src/data/jpeg-node.ts';
import { readRafDb } from '../../src/data/rafdb.ts';
import { decodePoolSize } from '../../src/worker/decode-pool.ts';
import { Rng } from '../../src/engine/rng.ts';
import { freePort, launchChromium, launchChromiumWithProfile } from '../../tests/browser/harness.ts';
import { encodeJpeg } from '../../tools/fixtures/make-rafdb-fixture.ts';
import type { IngestResult, LoadResult, ReadResult } from './ingest-page/page.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const { values: args } = parseArgs({
  options: {
    dir: { type: 'string' },
    out: { type: 'string' },
    'no-chromium': { type: 'boolean' },
    before: { type: 'string' },
    // incognito: storage in memory (a plain Playwright context); default: a profile on disk, as a user's
    profile: { type: 'string', default: 'disk' },
    // the Files ingest, the cache answer and the load only; prints, writes no page
    quick: { type: 'boolean' },
  },
});
const DIR = path.resolve(args.dir ?? path.join(ROOT, '.tmp/rafdb-full'));
const OUT = path.resolve(args.out ?? path.join(ROOT, 'docs/ingest-throughput.md'));
const BASIC = path.join(DIR, 'basic');
if (args.profile !== 'disk' && args.profile !== 'incognito') throw new Error(`--profile disk|incognito, not ${args.profile}`);
const ON_DISK = args.profile === 'disk';

/** RAF-DB basic's per-class counts (Surprise, Fear, Disgust, Happiness, Sadness, Anger, Neutral). */
const TRAIN_COUNTS = [1290, 281, 717, 4772, 1982, 705, 2524];
const TEST_COUNTS = [329, 74, 160, 1185, 478, 162, 680];
const TOTAL = [...TRAIN_COUNTS, ...TEST_COUNTS].reduce((a, b) => a + b, 0);

const say = (s: string) => process.stderr.write(s + '\n');
const now = () => performance.now();
const secs = (t0: number) => (now() - t0) / 1000;

/** Labels 0..6 with the given counts, in a seeded order. */
function shuffledLabels(counts: number[], seed: number): number[] {
  const labels = counts.flatMap((c, k) => new Array<number>(c).fill(k));
  const rng = new Rng(seed);
  for (let i = labels.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [labels[i], labels[j]] = [labels[j], labels[i]];
  }
  return labels;
}

async function generate(): Promise<{ seconds: number; bytes: number } | null> {
  const marker = path.join(DIR, '.complete.json');
  if (existsSync(marker)) return null;
  rmSync(DIR, { recursive: true, force: true });
  const aligned = path.join(BASIC, 'Image/aligned');
  mkdirSync(aligned, { recursive: true });
  mkdirSync(path.join(BASIC, 'EmoLabel'), { recursive: true });
  const t0 = now();
  const lines: string[] = [];
  let bytes = 0;
  let done = 0;
  let last = 0;
  for (const [split, counts] of [
    ['train', TRAIN_COUNTS],
    ['test', TEST_COUNTS],
  ] as const) {
    const labels = shuffledLabels(counts, split === 'train' ? 11 : 12);
    for (let i = 1; i <= labels.length; i++) {
      const name = split === 'train' ? `train_${String(i).padStart(5, '0')}` : `test_${String(i).padStart(4, '0')}`;
      const rgb = renderDemoFace(demoFaceParams(2022, split, i, labels[i - 1]), 100);
      const jpg = await encodeJpeg(rgb, 100, 100, { quality: 90, subsample: 2 });
      writeFileSync(path.join(aligned, `${name}_aligned.jpg`), jpg);
      lines.push(`${name}.jpg ${labels[i - 1] + 1}`);
      bytes += jpg.length;
      done++;
      if (now() - last > 5000) {
        last = now();
        say(`generating: ${done}/${TOTAL} JPEGs, ${(done / secs(t0)).toFixed(0)}/s`);
      }
    }
  }
  writeFileSync(path.join(BASIC, 'EmoLabel/list_patition_label.txt'), lines.join('\n') + '\n');
  const seconds = secs(t0);
  writeFileSync(marker, JSON.stringify({ images: TOTAL, bytes, seconds }));
  return { seconds, bytes };
}

/** Every file of the folder (label file and images), in name order. */
function folderFiles(): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const n of readdirSync(d).sort()) {
      const p = path.join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else if (!n.startsWith('.')) out.push(p);
    }
  };
  walk(BASIC);
  return out;
}

/** Reads every file, `inFlight` at a time (the RAF-DB reader keeps 16 reads in flight). */
async function nodeReadOnly(files: string[], inFlight: number): Promise<{ seconds: number; bytes: number }> {
  const t0 = now();
  let bytes = 0;
  let next = 0;
  const lane = async () => {
    while (next < files.length) bytes += (await readFile(files[next++])).length;
  };
  await Promise.all(Array.from({ length: inFlight }, lane));
  return { seconds: secs(t0), bytes };
}

interface ChromiumNumbers {
  version: string;
  handover: number;
  readFiles?: ReadResult;
  readFiles16?: ReadResult;
  ingestFiles: IngestResult;
  again: IngestResult;
  load: LoadResult;
  readHandles?: ReadResult;
  readHandles16?: ReadResult;
  ingestHandles?: IngestResult;
}

/** Drops the folder on the page's zone as a user's drag would (FileSystemHandles). */
async function dropFolder(page: Page): Promise<void> {
  const box = (await page.locator('#zone').boundingBox())!;
  const cdp = await page.context().newCDPSession(page);
  const data = { items: [], files: [BASIC], dragOperationsMask: 1 };
  for (const type of ['dragEnter', 'dragOver', 'drop'] as const)
    await cdp.send('Input.dispatchDragEvent', { type, x: box.x + 50, y: box.y + 50, data });
  await page.waitForFunction(() => window.__bench!.dropped() === 1);
}

async function chromium(): Promise<ChromiumNumbers> {
  const outDir = path.join(ROOT, '.tmp/dist-ingest-bench');
  say('building scripts/measure/ingest-page …');
  await build({
    root: ROOT,
    configFile: path.join(ROOT, 'vite.config.ts'),
    logLevel: 'warn',
    build: {
      outDir,
      emptyOutDir: true,
      rollupOptions: { input: { ingestBench: path.join(ROOT, 'scripts/measure/ingest-page/index.html') } },
    },
  });
  const port = await freePort();
  const server = await preview({
    root: ROOT,
    configFile: path.join(ROOT, 'vite.config.ts'),
    logLevel: 'warn',
    build: { outDir },
    preview: { host: '127.0.0.1', port, strictPort: true, open: false },
  });
  const profileDir = path.join(ROOT, '.tmp/ingest-bench-profile');
  rmSync(profileDir, { recursive: true, force: true });
  const context = ON_DISK
    ? await launchChromiumWithProfile(profileDir, { webgpu: false })
    : await (await launchChromium({ webgpu: false })).newContext();
  try {
    const page = await context.newPage();
    page.on('console', (m) => say(`[page] ${m.text()}`));
    page.on('pageerror', (e) => say(`[page error] ${e.message}`));
    const url = `http://127.0.0.1:${port}/scripts/measure/ingest-page/index.html`;
    await page.goto(url);
    await page.waitForFunction(() => !!window.__bench);
    say('handing the folder to <input webkitdirectory> …');
    let t0 = now();
    await page.locator('#dir').setInputFiles(BASIC);
    await page.waitForFunction((n) => window.__bench!.fileCount() === n, TOTAL + 1, { timeout: 600_000, polling: 500 });
    const handover = secs(t0);
    let readFiles: ReadResult | undefined;
    let readFiles16: ReadResult | undefined;
    if (!args.quick) {
      say('reading the bytes only (Files, in a worker) …');
      readFiles = await page.evaluate(() => window.__bench!.readFiles(1));
      readFiles16 = await page.evaluate(() => window.__bench!.readFiles(16));
      say(
        `  ${readFiles.files} files in ${readFiles.seconds.toFixed(2)} s (one at a time), ${readFiles16.seconds.toFixed(2)} s (16 in flight)`,
      );
    }
    say('full ingest through the ingest worker (Files) …');
    const ingestFiles = await page.evaluate(() => window.__bench!.ingestFiles());
    say(`  ${JSON.stringify(ingestFiles.done.timings)}`);
    say('the same folder again (answered from the cache) …');
    const again = await page.evaluate(() => window.__bench!.ingestFiles());
    const key = ingestFiles.done.key;
    say('reload, then load the dataset back from the cache …');
    await page.reload();
    await page.waitForFunction(() => !!window.__bench);
    const load = await page.evaluate((k) => window.__bench!.load(k), key);
    say(`  ${load.seconds.toFixed(2)} s`);
    const version = context.browser()?.version() ?? 'unknown';
    if (args.quick) {
      await page.evaluate((k) => window.__bench!.remove(k), key);
      await dropFolder(page);
      const ih = await page.evaluate(() => window.__bench!.ingestHandles());
      say(`  handles: ${JSON.stringify(ih.done.timings)}`);
      await page.evaluate((k) => window.__bench!.remove(k), ih.done.key);
      return { version, handover, ingestFiles, again, load };
    }
    // The drop path: FileSystemHandles. Delete the entry so the folder is decoded again.
    await page.evaluate((k) => window.__bench!.remove(k), key);
    say('dropping the folder (FileSystemHandles) …');
    await dropFolder(page);
    say('reading the bytes only (handles, in a worker) …');
    const readHandles = await page.evaluate(() => window.__bench!.readHandles(1));
    const readHandles16 = await page.evaluate(() => window.__bench!.readHandles(16));
    say('full ingest through the ingest worker (handles) …');
    t0 = now();
    const ingestHandles = await page.evaluate(() => window.__bench!.ingestHandles());
    say(`  ${JSON.stringify(ingestHandles.done.timings)}`);
    await page.evaluate((k) => window.__bench!.remove(k), key);
    return {
      version,
      handover,
      readFiles,
      readFiles16,
      ingestFiles,
      again,
      load,
      readHandles,
      readHandles16,
      ingestHandles,
    };
  } finally {
    const browser = context.browser();
    await context.close();
    await browser?.close();
    await new Promise<void>((resolve) => server.httpServer.close(() => resolve()));
  }
}

const f1 = (x: number) => x.toFixed(1);
const f2 = (x: number) => x.toFixed(2);
const mb = (b: number) => (b / 1e6).toFixed(1);
const rate = (n: number, s: number) => (n / s).toFixed(0);

/** The seconds of the row `| where | what… | seconds |` of a page this script wrote, or null. */
function rowSeconds(page: string, where: string, what: string): number | null {
  const row = page.split('\n').find((l) => l.startsWith(`| ${where} | ${what}`));
  const cell = row?.split('|')[3]?.trim();
  return cell ? Number(cell) : null;
}

/** A table of the Chromium ingest before (an earlier page, `--before`) and now. */
function beforeAndAfter(page: string, fi: { decoding: number; total: number }, fh: { decoding: number; total: number }): string[] {
  const rows: [string, string, string, number][] = [
    ['Files', 'Chromium, Files', 'ingest worker: read + decode', fi.decoding],
    ['Files', 'Chromium, Files', 'ingest worker: whole ingest', fi.total],
    ['handles', 'Chromium, handles', 'ingest worker: read + decode', fh.decoding],
    ['handles', 'Chromium, handles', 'ingest worker: whole ingest', fh.total],
  ];
  const out = ['', `Before and after (the before column: \`${args.before}\`, an earlier run of this script):`, ''];
  out.push('| Chromium | what | before s | before images/s | now s | now images/s |', '| --- | --- | ---: | ---: | ---: | ---: |');
  for (const [kind, where, what, now] of rows) {
    const was = rowSeconds(page, where, what);
    out.push(
      `| ${kind} | ${what} | ${was === null ? '?' : f2(was)} | ${was === null ? '?' : rate(TOTAL, was)} | ${f2(now)} | ${rate(TOTAL, now)} |`,
    );
  }
  return out;
}

async function main(): Promise<void> {
  const loadBefore = loadavg()[0];
  const gen = await generate();
  const files = folderFiles();
  const images = files.length - 1;
  if (images !== TOTAL) throw new Error(`${DIR}: ${images} images, expected ${TOTAL}; delete the folder to regenerate it`);
  const info = JSON.parse(readFileSync(path.join(DIR, '.complete.json'), 'utf8')) as { images: number; bytes: number; seconds: number };
  say(`${images} JPEGs, ${mb(info.bytes)} MB${gen ? `, generated in ${f1(gen.seconds)} s` : ' (already generated)'}`);

  // Node: warm the page cache, then time reading only, then the reader (decode).
  await nodeReadOnly(files, 16);
  const nodeRead = await nodeReadOnly(files, 1);
  const nodeRead16 = await nodeReadOnly(files, 16);
  say(`Node: read only ${f2(nodeRead.seconds)} s (one at a time), ${f2(nodeRead16.seconds)} s (16 in flight)`);
  await initJpegDecoderNode();
  const t0 = now();
  const { report } = await readRafDb(nodeFolderFs, DIR);
  const nodeDecode = secs(t0);
  if (report.train + report.test !== TOTAL) throw new Error(`readRafDb kept ${report.train + report.test} images`);
  say(`Node: readRafDb ${f2(nodeDecode)} s, ${rate(TOTAL, nodeDecode)} images/s`);

  const c = args['no-chromium'] ? null : await chromium();
  if (args.quick) return;

  const loadAfter = loadavg()[0];
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  const lines: string[] = [];
  lines.push('# Ingest throughput: RAF-DB-sized folder, Node and Chromium');
  lines.push('');
  lines.push(
    `Measured by \`scripts/measure/ingest.ts\` in one run on ${new Date().toISOString().slice(0, 10)}: ${cpus().length} × ${cpu}, no GPU (none is used: decoding is`,
  );
  lines.push(
    `libjpeg-turbo compiled to WebAssembly, \`@jsquash/jpeg\`, in Node and in the browser alike), Node ${process.version}${c ? `, Chromium ${c.version} (headless)` : ''}.`,
  );
  lines.push(
    `The machine was shared with other jobs (1-minute load average ${f1(loadBefore)} at the start, ${f1(loadAfter)} at the end, on ${cpus().length} cores) and the`,
  );
  lines.push('script ran under `nice`: on an idle machine expect shorter times; compare rows of one run, not runs.');
  lines.push('');
  lines.push(
    `The folder: ${TOTAL.toLocaleString('en-US')} JPEGs of 100×100 (12,271 train + 3,068 test, RAF-DB basic's names, per-class counts and`,
  );
  lines.push(
    `label file format; demo faces encoded at quality 90, 4:2:0), ${mb(info.bytes)} MB of JPEG, ${f1(info.seconds)} s to generate. Decoded: ${mb(TOTAL * 30000)} MB of RGB.`,
  );
  lines.push('Files were in the OS page cache (read once before timing): "read only" is reading the bytes, not the disk.');
  lines.push(
    ON_DISK
      ? "Chromium ran with a profile on disk, as a user's browser does: IndexedDB's files are written to the disk (the profile is new, so the cache starts empty)."
      : 'Chromium ran in a plain Playwright context (`--profile incognito`): storage is kept in memory, which is slower here than on disk.',
  );
  lines.push('');
  lines.push('| where | what | seconds | images/s |');
  lines.push('| --- | --- | ---: | ---: |');
  lines.push(
    `| Node | read only (\`fs.readFile\` of every file, one after the other) | ${f2(nodeRead.seconds)} | ${rate(TOTAL, nodeRead.seconds)} |`,
  );
  lines.push(
    `| Node | read only, 16 reads in flight (as the reader reads) | ${f2(nodeRead16.seconds)} | ${rate(TOTAL, nodeRead16.seconds)} |`,
  );
  lines.push(
    `| Node | \`readRafDb\` (read + decode + checks; what \`eac dataset inspect\` and \`eac train --data\` do) | ${f2(nodeDecode)} | ${rate(TOTAL, nodeDecode)} |`,
  );
  if (c?.readFiles && c.readFiles16 && c.readHandles && c.readHandles16 && c.ingestHandles) {
    const { readFiles, readFiles16, readHandles, readHandles16 } = c;
    const fi = c.ingestFiles.done.timings;
    const fh = c.ingestHandles.done.timings;
    lines.push(
      `| Chromium, Files (\`<input webkitdirectory>\`, entries walk) | read only, in a worker, one after the other | ${f2(readFiles.seconds)} | ${rate(TOTAL, readFiles.seconds)} |`,
    );
    lines.push(
      `| Chromium, Files | read only, in a worker, 16 in flight | ${f2(readFiles16.seconds)} | ${rate(TOTAL, readFiles16.seconds)} |`,
    );
    lines.push(`| Chromium, Files | ingest worker: listing + cache key | ${f2(fi.listing)} | |`);
    lines.push(`| Chromium, Files | ingest worker: read + decode (\`readRafDb\`) | ${f2(fi.decoding)} | ${rate(TOTAL, fi.decoding)} |`);
    lines.push(
      `| Chromium, Files | ingest worker: storing in the dataset cache (${mb(c.ingestFiles.done.info.bytes)} MB${c.ingestFiles.done.info.pixelFile ? ', pixels in one OPFS file' : `, ${c.ingestFiles.done.info.chunks.train + c.ingestFiles.done.info.chunks.test} IndexedDB chunks`}) | ${f2(fi.storing)} | |`,
    );
    lines.push(
      `| Chromium, Files | ingest worker: whole ingest (page's clock: ${f2(c.ingestFiles.wallSeconds)} s) | ${f2(fi.total)} | ${rate(TOTAL, fi.total)} |`,
    );
    lines.push(
      `| Chromium, handles (folder drop, \`getAsFileSystemHandle\`) | read only, in a worker, one after the other | ${f2(readHandles.seconds)} | ${rate(TOTAL, readHandles.seconds)} |`,
    );
    lines.push(
      `| Chromium, handles | read only, in a worker, 16 in flight | ${f2(readHandles16.seconds)} | ${rate(TOTAL, readHandles16.seconds)} |`,
    );
    lines.push(`| Chromium, handles | ingest worker: listing + cache key (one \`getFile()\` per file) | ${f2(fh.listing)} | |`);
    lines.push(`| Chromium, handles | ingest worker: read + decode | ${f2(fh.decoding)} | ${rate(TOTAL, fh.decoding)} |`);
    lines.push(`| Chromium, handles | ingest worker: storing in the dataset cache | ${f2(fh.storing)} | |`);
    lines.push(`| Chromium, handles | ingest worker: whole ingest | ${f2(fh.total)} | ${rate(TOTAL, fh.total)} |`);
    lines.push(`| Chromium | the same folder given again (listing only, answered from the cache) | ${f2(c.again.done.timings.total)} | |`);
    lines.push(
      `| Chromium | after a reload: \`loadCachedDataset\` in a worker (${mb(c.load.bytes)} MB back) | ${f2(c.load.seconds)} | ${rate(TOTAL, c.load.seconds)} |`,
    );
    lines.push('');
    lines.push('Reading the numbers:');
    lines.push('');
    lines.push(
      `- Node's reader takes ${f2(nodeDecode)} s where reading the same bytes takes ${f2(nodeRead16.seconds)} s. Chromium's read + decode takes ${f2(fi.decoding)} s,`,
    );
    lines.push(
      `  where reading the bytes file by file takes ${f2(readFiles16.seconds)} s (Files, 16 in flight): the ingest reads them joined (below). Both decode with the same`,
    );
    const pool = decodePoolSize(cpus().length);
    lines.push(
      `  WebAssembly libjpeg-turbo: Node one image at a time on its main thread; the ingest worker ${pool ? `in a pool of ${pool} decoder workers` : 'itself'}`,
    );
    lines.push(
      `  (a pool of \`hardwareConcurrency\` − 2 decoders from 4 cores up, at most 8: ${cpus().length} cores here), results taken in file order.`,
    );
    lines.push(
      `- A File read in Chromium is a round trip to the browser process (${f2((1000 * readFiles.seconds) / (TOTAL + 1))} ms each one at a time here), so the`,
    );
    lines.push(
      `  reader reads 64 files at once as one joined Blob, two such reads ahead of the decoder (\`READ_BATCH\` in src/data/rafdb.ts), and reading overlaps decoding.`,
    );
    lines.push(
      `- A folder drop gives FileSystemHandles: every file costs a \`getFile()\` for the cache key (${f2(fh.listing)} s of listing, paid again`,
    );
    lines.push(
      `  when the same folder is dropped again) and its reads are slower than an input's Files (${f2(readHandles16.seconds)} s vs ${f2(readFiles16.seconds)} s).`,
    );
    lines.push(
      c.ingestFiles.done.info.pixelFile
        ? `- The pixels go to one OPFS file through a sync handle during read + decode, each chunk of ${c.ingestFiles.done.info.chunkImages} images (${mb(c.ingestFiles.done.info.chunkImages * 30000)} MB) as it fills;`
        : `- Storing writes ${mb(c.ingestFiles.done.info.bytes)} MB in IndexedDB chunks of ${c.ingestFiles.done.info.chunkImages} images (${mb(c.ingestFiles.done.info.chunkImages * 30000)} MB, 3 writes in flight):`,
    );
    lines.push(
      c.ingestFiles.done.info.pixelFile
        ? `  "storing" is the rest (label texts, index, meta). Loading it back after a reload (what the training worker does) takes ${f2(c.load.seconds)} s, against ${f2(fi.total)} s to ingest.`
        : `  ${f1(c.ingestFiles.done.info.bytes / 1e6 / fi.storing)} MB/s. Loading it back after a reload (what the training worker does) takes ${f2(c.load.seconds)} s, against ${f2(fi.total)} s to ingest.`,
    );
    if (args.before) lines.push(...beforeAndAfter(readFileSync(args.before, 'utf8'), fi, fh));
    lines.push('');
    lines.push(
      `Not in the table: handing ${TOTAL + 1} files to the input through DevTools took ${f1(c.handover)} s (the test harness's cost, not the lab's).`,
    );
  }
  lines.push('');
  lines.push('## Rerun');
  lines.push('');
  lines.push('```sh');
  lines.push('nice node --import tsx scripts/measure/ingest.ts            # generates .tmp/rafdb-full once (delete it to regenerate)');
  lines.push('nice node --import tsx scripts/measure/ingest.ts --no-chromium   # Node only');
  lines.push(
    'nice node --import tsx scripts/measure/ingest.ts --quick         # the Files and drop ingests and the load; prints, writes no page',
  );
  lines.push('```');
  lines.push('');
  lines.push(
    "Needs Debian's Chromium (`/usr/bin/chromium`, or `EAC_CHROMIUM`). The Chromium half builds `scripts/measure/ingest-page/` (a page",
  );
  lines.push("whose worker reads the bytes only or loads from the cache; the ingest itself is the lab's `workers/ingest.worker.ts`).");
  lines.push('');
  writeFileSync(OUT, lines.join('\n'));
  say(`wrote ${path.relative(ROOT, OUT)}`);
  process.stdout.write(lines.join('\n') + '\n');
}

await main();
