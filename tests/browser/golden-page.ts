// The golden-check harness page (tests/browser/golden.html, served by the Vite dev server): selects
// the WebGPU backend (and refuses to run on anything else), fetches the ResNet-50 and ResNet-18
// fixtures, runs runGoldenChecks on each, and leaves the outcome on `window.__golden`.
import { tf } from '../../src/engine/tf.ts';
import { selectBackend } from '../../src/worker/backend.ts';
import { Golden, runGoldenChecks, type CheckResult, type GoldenMeta } from '../golden/checks.ts';

export interface GoldenArchReport {
  arch: 'resnet50' | 'resnet18';
  results: CheckResult[];
  seconds: number;
}

export interface GoldenPageReport {
  done: true;
  backend: string | null;
  adapter: string | null;
  reports: GoldenArchReport[];
  error: string | null;
}

declare global {
  interface Window {
    __golden?: GoldenPageReport;
  }
}

const statusEl = document.getElementById('status')!;
const t0 = performance.now();
const say = (line: string): void => {
  statusEl.textContent += `\n[${((performance.now() - t0) / 1000).toFixed(1)} s] ${line}`;
};

async function fetchBytes(url: string): Promise<Uint8Array> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

async function main(): Promise<GoldenPageReport> {
  const report: GoldenPageReport = { done: true, backend: null, adapter: null, reports: [], error: null };
  try {
    // Only WebGPU: NoBackendError (with the reason) if it cannot start.
    const sel = await selectBackend(['webgpu']);
    report.backend = tf.getBackend();
    report.adapter = sel.adapter;
    if (report.backend !== 'webgpu') throw new Error(`expected the webgpu backend, got ${report.backend}`);
    say(`backend ${report.backend} (${sel.adapter ?? 'unknown adapter'})`);
    for (const arch of ['resnet50', 'resnet18'] as const) {
      const t0 = performance.now();
      const meta = JSON.parse(new TextDecoder().decode(await fetchBytes(`/tests/fixtures/golden/${arch}.json`))) as GoldenMeta;
      const golden = new Golden(await fetchBytes(`/tests/fixtures/golden/${arch}.safetensors`), meta);
      say(`${arch}: running…`);
      const results = await runGoldenChecks(golden);
      const seconds = (performance.now() - t0) / 1000;
      report.reports.push({ arch, results, seconds });
      const failed = results.filter((r) => !r.ok);
      say(`${arch}: ${results.length} comparisons, ${failed.length} failed, ${seconds.toFixed(1)} s`);
      for (const f of failed) say(`  FAIL ${f.name}: ${f.relError.toExponential(2)} > ${f.tolerance.toExponential(2)}`);
    }
    say(`tensors left: ${tf.memory().numTensors}`);
  } catch (e) {
    report.error = e instanceof Error ? `${e.message}\n${e.stack ?? ''}` : String(e);
    say(`ERROR ${report.error}`);
    statusEl.classList.add('fail');
  }
  return report;
}

void main().then((r) => {
  window.__golden = r;
});
