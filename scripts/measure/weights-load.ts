// Load time and peak memory of full-size (random-valued, real-layout) ResNet-50 weight files:
// the VGGFace2 Caffe-layout pickle (~165 MB, like resnet50_ft_weight.pkl) and a torchvision
// state_dict saved by torch.save (~102 MB), written by tools/golden/fullsize_weights.py into
// .tmp/fullsize/ (generated if missing).
//
// Node: each file in a fresh process: read, SHA-256, readWeightFile, mapWeights; times per stage,
//   the process's peak RSS (the kernel's high-water mark, VmHWM) and arrayBuffers after each stage.
// Chromium: the built app's weights panel in headless Chromium, a fresh browser per file: the time
//   from setInputFiles to the entry being listed (and the worker's own stage times), then the same
//   file again (a cache hit). Memory: performance.measureUserAgentSpecificMemory needs a
//   cross-origin-isolated page, which the app is not, and the worker's performance.memory counts
//   the JS heap only (not the ArrayBuffers holding the weights), so the figures are the RSS of
//   Chromium's processes from /proc: the renderer's high-water mark (the page and its workers
//   live in it) and the peak of the sum over all Chromium processes, sampled every 25 ms.
//
// Chromium, cached: loadCachedWeights (the training worker's call) of each imported file, timed in
//   the page of the dev server.
//
//   nice node --import tsx scripts/measure/weights-load.ts [--node-only | --chromium-only] [--json OUT]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const DIR = path.join(ROOT, '.tmp/fullsize');
const FILES = ['resnet50_ft_weight.pkl', 'resnet50_torchvision.pth'];
const MB = 1e6;
const mb = (b: number | null | undefined) => (b === null || b === undefined ? '–' : (b / MB).toFixed(1));

interface Expected {
  bytes: number;
  tensors: number;
  check: Record<string, { shape: number[]; sum: number; first: number[] }>;
}

// ---------------------------------------------------------------------------------------------
// Node: one file per process (peak RSS is per process)

interface NodeResult {
  file: string;
  bytes: number;
  ms: { read: number; hash: number; parse: number; map: number; total: number };
  /** process.memoryUsage() before and after each stage (MB). */
  rss: Record<string, number>;
  arrayBuffers: Record<string, number>;
  /** The process's peak RSS (VmHWM), MB. */
  peakRss: number;
  checked: string[];
  arch: string | null;
  head: string;
}

async function nodeOne(file: string): Promise<NodeResult> {
  const { readWeightFile, tensorToFloat32 } = await import('../../src/weights/read.ts');
  const { mapWeights } = await import('../../src/weights/keymap.ts');
  const { hashBytes } = await import('../../src/storage/weights-cache.ts');
  const { readFileBytes } = await import('../../src/cli/args.ts');
  const name = path.basename(file);
  const expected = (JSON.parse(readFileSync(path.join(DIR, 'expected.json'), 'utf8')) as Record<string, Expected>)[name];
  const rss: Record<string, number> = {};
  const arrayBuffers: Record<string, number> = {};
  const mark = (stage: string) => {
    const m = process.memoryUsage();
    rss[stage] = m.rss / MB;
    arrayBuffers[stage] = m.arrayBuffers / MB;
  };
  mark('start');
  const t0 = performance.now();
  // No other reference to the file's buffer: once the tensors (views of it) are mapped and let go,
  // it can be collected, as in the worker.
  let bytes: Uint8Array | null = readFileBytes(file);
  const size = bytes.length;
  const t1 = performance.now();
  mark('read');
  await hashBytes(bytes);
  const t2 = performance.now();
  mark('hash');
  const wf = readWeightFile(bytes, name);
  bytes = null;
  const t3 = performance.now();
  mark('parse');
  // The loaded values against the generator's (float64 sums and first values of a few tensors).
  const checked: string[] = [];
  for (const [k, e] of Object.entries(expected.check)) {
    const t = wf.tensors.get(k);
    if (!t) throw new Error(`${name}: no ${k}`);
    const v = tensorToFloat32(t);
    let sum = 0;
    let abs = 0;
    for (let i = 0; i < v.length; i++) {
      sum += v[i];
      abs += Math.abs(v[i]);
    }
    if (t.shape.join('x') !== e.shape.join('x') || Math.abs(sum - e.sum) > 1e-9 * abs + 1e-9 || e.first.some((x, i) => v[i] !== x))
      throw new Error(`${name}: ${k} differs from the generator's`);
    checked.push(k);
  }
  if (wf.tensors.size !== expected.tensors) throw new Error(`${name}: ${wf.tensors.size} tensors, expected ${expected.tensors}`);
  const t4 = performance.now();
  // As the import does: each tensor let go once converted (the file's bytes go with the last one).
  const mapped = mapWeights(wf.tensors, { fileName: name, release: true });
  const t5 = performance.now();
  mark('map');
  const peakRss = (Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))![1]) * 1024) / MB;
  return {
    file: name,
    bytes: size,
    ms: { read: t1 - t0, hash: t2 - t1, parse: t3 - t2, map: t5 - t4, total: t1 - t0 + (t2 - t1) + (t3 - t2) + (t5 - t4) },
    rss,
    arrayBuffers,
    peakRss,
    checked,
    arch: mapped.report.arch,
    head: mapped.report.head,
  };
}

function measureNode(): NodeResult[] {
  return FILES.map((f) => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--node-one', path.join(DIR, f)], {
      cwd: ROOT,
      encoding: 'utf8',
      maxBuffer: 1 << 24,
    });
    if (r.status !== 0) throw new Error(`node measurement of ${f} failed:\n${r.stderr}`);
    return JSON.parse(r.stdout) as NodeResult;
  });
}

// ---------------------------------------------------------------------------------------------
// Chromium

interface Proc {
  pid: number;
  ppid: number;
  type: string;
  rss: number;
  hwm: number;
}

function readProc(pid: number): Proc | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) * 1024;
    const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    const type = /--type=([a-z-]+)/.exec(cmd)?.[1] ?? (cmd.includes('chrom') ? 'browser' : 'other');
    return { pid, ppid, type, rss: kb('VmRSS'), hwm: kb('VmHWM') };
  } catch {
    return null;
  }
}

/** Chromium's processes: the descendants of this Node process that are chromium (playwright spawns it). */
function chromiumProcs(): Proc[] {
  const all = readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map((d) => readProc(Number(d)))
    .filter((p): p is Proc => !!p);
  const byParent = new Map<number, Proc[]>();
  for (const p of all) byParent.set(p.ppid, [...(byParent.get(p.ppid) ?? []), p]);
  const out: Proc[] = [];
  const walk = (pid: number) => {
    for (const c of byParent.get(pid) ?? []) {
      out.push(c);
      walk(c.pid);
    }
  };
  walk(process.pid);
  return out.filter((p) => p.type !== 'other');
}

interface ChromiumResult {
  file: string;
  bytes: number;
  /** setInputFiles → the entry listed (ms). */
  wallMs: number;
  /** The worker's own total and stage times (ms). */
  workerMs: number;
  stages: Record<string, number>;
  /** Re-import of the same file (a cache hit): wall and worker ms. */
  againWallMs: number;
  againWorkerMs: number;
  /** MB: the sum of Chromium's RSS before the import and its sampled peak during it. */
  totalRssBefore: number;
  totalRssPeak: number;
  /** MB: the renderer holding the page and its workers: RSS before, high-water mark after. */
  rendererRssBefore: number;
  rendererHwm: number;
  /** The worker's peak JS heap (performance.memory), MB, if reported. */
  workerHeapPeak: number | null;
  storedBytes: number;
  entryMeta: string;
}

async function measureChromium(): Promise<ChromiumResult[]> {
  const { launchChromium, serveBuilt, screenshotPath } = await import('../../tests/browser/harness.ts');
  const served = await serveBuilt(path.join(ROOT, '.tmp/dist-weights-measure'));
  const results: ChromiumResult[] = [];
  try {
    for (const [i, f] of FILES.entries()) {
      const browser = await launchChromium({ webgpu: false });
      try {
        const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
        await page.goto(served.url);
        await page.waitForSelector('[data-testid="weights-list"][data-status="ready"]', { timeout: 60_000 });
        // Let the training worker settle on its backend first: its memory is the baseline's.
        await page.waitForFunction(() => !!document.querySelector('[data-testid="backend-name"]')?.getAttribute('data-backend'), null, {
          timeout: 120_000,
        });
        await new Promise((r) => setTimeout(r, 1000));
        const before = chromiumProcs();
        const renderers = before.filter((p) => p.type === 'renderer').map((p) => p.pid);
        let peak = before.reduce((a, p) => a + p.rss, 0);
        const sampler = setInterval(() => {
          peak = Math.max(
            peak,
            chromiumProcs().reduce((a, p) => a + p.rss, 0),
          );
        }, 25);
        const t0 = performance.now();
        await page.getByTestId('weights-file').setInputFiles(path.join(DIR, f));
        if (i === 0) {
          // The progress bar mid-import, for the docs.
          await page
            .waitForFunction(() => /MB\/s/.test(document.querySelector('[data-testid="weights-progress-text"]')?.textContent ?? ''), null, {
              timeout: 60_000,
              polling: 10,
            })
            .catch(() => undefined);
          await page
            .getByTestId('weights-panel')
            .screenshot({ path: screenshotPath('weights-import-progress.png') })
            .catch(() => undefined);
        }
        await page.waitForSelector('[data-testid="weights-entry"]', { timeout: 300_000 });
        const wallMs = performance.now() - t0;
        clearInterval(sampler);
        const after = chromiumProcs();
        const result = page.getByTestId('weights-result');
        if ((await result.getAttribute('data-status')) !== 'done')
          throw new Error(`${f}: ${await page.locator('[data-testid="weights-error"]').textContent()}`);
        const workerMs = Number(await result.getAttribute('data-total-ms'));
        const stages = JSON.parse((await result.getAttribute('data-timings')) ?? '{}') as Record<string, number>;
        const heap = await result.getAttribute('data-peak-heap');
        const entryMeta = (await page.getByTestId('weights-meta').first().textContent()) ?? '';
        const storedBytes = (await page.evaluate(`(async () => {
          const r = indexedDB.open('eac-weights');
          const db = await new Promise((ok, no) => { r.onsuccess = () => ok(r.result); r.onerror = () => no(r.error); });
          const q = db.transaction('weights').objectStore('weights').getAll();
          const all = await new Promise((ok) => { q.onsuccess = () => ok(q.result); });
          db.close();
          return all.filter((v) => v && typeof v === 'object' && 'storedBytes' in v)[0].storedBytes;
        })()`)) as number;
        if (i === 0) await page.getByTestId('weights-panel').screenshot({ path: screenshotPath('weights-imported-fullsize.png') });
        // The same file again: hash and lookup only.
        const t1 = performance.now();
        await page.getByTestId('weights-file').setInputFiles(path.join(DIR, f));
        await page.waitForSelector('[data-testid="weights-result"][data-cached="true"]', { timeout: 120_000 });
        const againWallMs = performance.now() - t1;
        const againWorkerMs = Number(await page.getByTestId('weights-result').getAttribute('data-total-ms'));
        const rendererHwm = Math.max(...after.filter((p) => renderers.includes(p.pid)).map((p) => p.hwm));
        results.push({
          file: f,
          bytes: (JSON.parse(readFileSync(path.join(DIR, 'expected.json'), 'utf8')) as Record<string, Expected>)[f].bytes,
          wallMs,
          workerMs,
          stages,
          againWallMs,
          againWorkerMs,
          totalRssBefore: before.reduce((a, p) => a + p.rss, 0) / MB,
          totalRssPeak: peak / MB,
          rendererRssBefore: Math.max(...before.filter((p) => p.type === 'renderer').map((p) => p.rss)) / MB,
          rendererHwm: rendererHwm / MB,
          workerHeapPeak: heap ? Number(heap) / MB : null,
          storedBytes,
          entryMeta,
        });
      } finally {
        await browser.close();
      }
    }
  } finally {
    await served.close();
  }
  return results;
}

/**
 * loadCachedWeights (what the training worker calls) in Chromium, on the dev server (the built app
 * exposes no modules): the file is imported through the panel, then loaded back from IndexedDB.
 */
async function measureCachedLoad(): Promise<{ file: string; ms: number[]; params: number; head: string }[]> {
  const { launchChromium, serveDev } = await import('../../tests/browser/harness.ts');
  const served = await serveDev();
  const out: { file: string; ms: number[]; params: number; head: string }[] = [];
  try {
    const browser = await launchChromium({ webgpu: false });
    try {
      const page = await browser.newPage();
      // The dev server transforms and optimises dependencies on the first visit: slow on a busy machine.
      await page.goto(served.url, { timeout: 300_000 });
      const logs: string[] = [];
      page.on('console', (m) => logs.push(`[${m.type()}] ${m.text()}`));
      for (const f of FILES) {
        // The dev server may still discover a dependency and reload the page mid-import: try twice.
        for (let attempt = 1; ; attempt++) {
          await page.waitForSelector('[data-testid="weights-list"][data-status="ready"]', { timeout: 120_000 });
          await page.getByTestId('weights-file').setInputFiles(path.join(DIR, f));
          const listed = await page.waitForSelector(`[data-testid="weights-entry"][data-name="${f}"]`, { timeout: 150_000 }).then(
            () => true,
            () => false,
          );
          if (listed) break;
          const err = await page
            .getByTestId('weights-error')
            .textContent({ timeout: 1000 })
            .catch(() => null);
          const why = `${f} not listed after an import on the dev server (${err ?? 'no error shown'}); page log:\n${logs.slice(-10).join('\n')}`;
          if (attempt === 2) throw new Error(why);
          console.error(`${why}\nretrying after a reload`);
          await page.reload({ timeout: 300_000 });
        }
        const key = await page.locator(`[data-testid="weights-entry"][data-name="${f}"]`).getAttribute('data-key');
        // A string: tsx would wrap named functions in a helper the page lacks.
        const r = (await page.evaluate(`(async () => {
          const m = await import('/src/storage/weights-cache.ts');
          const ms = [];
          let last;
          for (let i = 0; i < 3; i++) {
            const t = performance.now();
            last = await m.loadCachedWeights(${JSON.stringify(key)}, i);
            ms.push(performance.now() - t);
          }
          let params = 0;
          for (const v of last.values.values()) params += v.length;
          return { ms, params, head: last.record.head };
        })()`)) as { ms: number[]; params: number; head: string };
        out.push({ file: f, ...r });
      }
    } finally {
      await browser.close();
    }
  } finally {
    await served.close();
  }
  return out;
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] === '--node-one') {
    process.stdout.write(JSON.stringify(await nodeOne(args[1])));
    return;
  }
  if (!FILES.every((f) => existsSync(path.join(DIR, f))) || !existsSync(path.join(DIR, 'expected.json'))) {
    console.error('generating the full-size files (tools/golden/fullsize_weights.py)…');
    const g = spawnSync('/usr/bin/python3', [path.join(ROOT, 'tools/golden/fullsize_weights.py')], { stdio: 'inherit' });
    if (g.status !== 0) throw new Error('tools/golden/fullsize_weights.py failed (it needs Debian python3-torch and python3-numpy)');
  }
  const jsonAt = args.indexOf('--json');
  const out: {
    node?: NodeResult[];
    chromium?: ChromiumResult[];
    cachedLoad?: Awaited<ReturnType<typeof measureCachedLoad>>;
    machine: string;
  } = {
    machine: `${process.platform} ${process.arch}, node ${process.version}, ${readFileSync('/proc/cpuinfo', 'utf8').match(/model name\s*:\s*(.*)/)?.[1] ?? '?'}`,
  };
  if (!args.includes('--chromium-only')) {
    out.node = measureNode();
    console.log('\nNode (one process per file):');
    for (const r of out.node) {
      console.log(
        `  ${r.file} (${mb(r.bytes)} MB, ${r.arch}, head ${r.head}): read ${r.ms.read.toFixed(0)} ms, SHA-256 ${r.ms.hash.toFixed(0)} ms, parse ${r.ms.parse.toFixed(0)} ms, map ${r.ms.map.toFixed(0)} ms = ${r.ms.total.toFixed(0)} ms; ` +
          `peak RSS ${r.peakRss.toFixed(1)} MB (start ${r.rss.start.toFixed(1)}); arrayBuffers after read/parse/map ${r.arrayBuffers.read.toFixed(1)}/${r.arrayBuffers.parse.toFixed(1)}/${r.arrayBuffers.map.toFixed(1)} MB; checked ${r.checked.join(', ')}`,
      );
    }
  }
  if (!args.includes('--node-only')) {
    out.chromium = await measureChromium();
    console.log('\nChromium (built app, headless, a fresh browser per file):');
    for (const r of out.chromium) {
      console.log(
        `  ${r.file}: setInputFiles → listed ${r.wallMs.toFixed(0)} ms (worker ${r.workerMs.toFixed(0)} ms: ${Object.entries(r.stages)
          .map(([k, v]) => `${k} ${v.toFixed(0)}`)
          .join(', ')}); ` +
          `again (cache hit) ${r.againWallMs.toFixed(0)} ms (worker ${r.againWorkerMs.toFixed(0)}); Chromium RSS ${r.totalRssBefore.toFixed(1)} → peak ${r.totalRssPeak.toFixed(1)} MB; ` +
          `renderer ${r.rendererRssBefore.toFixed(1)} → high-water ${r.rendererHwm.toFixed(1)} MB; worker JS heap peak ${r.workerHeapPeak === null ? 'n/a' : r.workerHeapPeak.toFixed(1) + ' MB'}; cached ${mb(r.storedBytes)} MB; ${r.entryMeta}`,
      );
    }
  }
  if (!args.includes('--node-only')) {
    out.cachedLoad = await measureCachedLoad();
    console.log('\nChromium, loadCachedWeights from IndexedDB (dev server, page thread, 3 loads with seeds 0, 1, 2):');
    for (const r of out.cachedLoad)
      console.log(`  ${r.file}: ${r.ms.map((x) => x.toFixed(0)).join(' / ')} ms, ${r.params} values, head ${r.head}`);
  }
  if (jsonAt >= 0) {
    mkdirSync(path.dirname(path.resolve(args[jsonAt + 1])), { recursive: true });
    writeFileSync(args[jsonAt + 1], JSON.stringify(out, null, 1));
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
  process.exit(1);
});
