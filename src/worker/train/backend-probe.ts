// The 'auto' backend choice: a few timed training steps of the run's own model on each backend
// worth trying, the fastest chosen, the result cached per device. Everything that touches
// TensorFlow.js or storage is passed in (ProbeDeps), so the rule runs in Node tests.
//
// The decision rule (also shown in the Backend panel, PROBE_RULE):
// 1. Every backend of the standard order is started once; those that do not start are out.
// 2. A GPU backend on a software adapter (a fallback adapter, SwiftShader, llvmpipe…) and the
//    plain-JavaScript CPU backend are not probed when WebAssembly starts: both compute on the same
//    CPU cores as WebAssembly, with an emulation layer or without SIMD kernels in between, and a
//    software adapter's first step alone (kernel compilation) took ~98 s here, where WebAssembly
//    trained at 30× its speed. Probing them would cost more than the whole demo run.
// 3. The others are probed in the standard order (GPU first): one warm-up step, then
//    PROBE_STEPS timed steps (one when it is the only one: nothing to compare, only the speed to
//    show), at the run's own arch, width, size, batch and method. A backend
//    whose warm-up step took longer than ABANDON_FACTOR × the best step so far plus
//    COMPILE_ALLOWANCE_MS is abandoned (it cannot win); after PROBE_BUDGET_MS of probing no
//    further backend is started.
// 4. The highest images/s wins; within TIE_MARGIN of the best, the earlier backend of the
//    standard order does (a GPU frees the CPU for the page).
// 5. The report is cached under the adapters, the backends that started and the model shape, so
//    a reload does not probe again.
// 6. A backend that cannot hold the run's step (WebAssembly's 4 GiB heap) is 'too-large'; it
//    times a stand-in instead (the cheapest fix's model, src/engine/run-estimate.ts), whose speed
//    the fixes are estimated from. When nothing was measured and what is left is a software GPU,
//    the CPU backend or the one too small, the report carries a refusal: Auto never trains a run
//    there unless asked, and the run bar offers the fixes instead.
import { StepTooLargeError } from '../../engine/errors.ts';
import { standInShape } from '../../engine/run-limits.ts';
import { isSoftwareAdapter } from '../software-adapter.ts';
import { BACKEND_LABELS, BACKEND_ORDER, type BackendName, type ProbeEntry, type ProbeReport, type ProbeShape } from '../protocol.ts';

export { isSoftwareAdapter };

const PROBE_STEPS = 2;
const ABANDON_FACTOR = 10;
const COMPILE_ALLOWANCE_MS = 3000;
export const PROBE_BUDGET_MS = 45_000;
const TIE_MARGIN = 0.1;

export const PROBE_RULE =
  'Auto times one warm-up and 2 training steps of your model on each backend and picks the most images/s; ' +
  'GPUs emulated in software (SwiftShader, llvmpipe, fallback adapters) and the CPU backend are not measured when WebAssembly runs, ' +
  'since they use the same CPU more slowly, and are never trained on unless chosen here. The result is remembered for this device and model shape.';

const SOFTWARE_NAMES: Record<string, string> = {
  swiftshader: 'SwiftShader',
  llvmpipe: 'llvmpipe',
  softpipe: 'softpipe',
  lavapipe: 'lavapipe',
};

/** An adapter's name short enough for a sentence: a software GPU by its name, others cut at 48 characters. */
function shortAdapter(adapter: string): string {
  if (isSoftwareAdapter(adapter)) {
    const m = /swiftshader|llvmpipe|softpipe|lavapipe/i.exec(adapter);
    return `${m ? SOFTWARE_NAMES[m[0].toLowerCase()] : 'a software adapter'} (software)`;
  }
  return adapter.length > 48 ? `${adapter.slice(0, 47)}…` : adapter;
}

/** One backend as started for the probe: its adapter, or why it did not start. */
export type Started = { name: BackendName; ok: true; adapter: string | null } | { name: BackendName; ok: false; detail: string };

/** The probe cache's key: the same device (adapters), the same backends and the same model shape. */
export function probeKey(started: readonly Started[], shape: ProbeShape): string {
  const device = started.map((s) => (s.ok ? `${s.name}=${s.adapter ?? '-'}` : `${s.name}=off`)).join('|');
  return `${device}#${shape.arch}/${shape.width}/${shape.size}/${shape.batchSize}/${shape.method}`;
}

/** Which started backends to time, and the entries of those that are not (rule 2). */
export function planProbe(started: readonly Started[]): { probe: { name: BackendName; adapter: string | null }[]; entries: ProbeEntry[] } {
  const wasm = started.some((s) => s.ok && s.name === 'wasm');
  const probe: { name: BackendName; adapter: string | null }[] = [];
  const entries: ProbeEntry[] = [];
  const entry = (name: BackendName, adapter: string | null, outcome: ProbeEntry['outcome'], detail: string): ProbeEntry => ({
    name,
    adapter,
    software: isSoftwareAdapter(adapter),
    outcome,
    imagesPerSecond: null,
    warmupMs: null,
    msPerStep: null,
    detail,
  });
  for (const s of started) {
    if (!s.ok) entries.push(entry(s.name, null, 'unavailable', s.detail));
    else if (wasm && isSoftwareAdapter(s.adapter))
      entries.push(entry(s.name, s.adapter, 'skipped', 'not measured (a software GPU: slower than WebAssembly on the same CPU)'));
    else if (wasm && s.name === 'cpu') entries.push(entry(s.name, s.adapter, 'skipped', 'not measured (always slower than WebAssembly)'));
    else probe.push({ name: s.name, adapter: s.adapter });
  }
  return { probe, entries };
}

/** The longest a warm-up step may take before its backend is abandoned (rule 3); Infinity before any is measured. */
export function abandonAfterMs(bestMsPerStep: number | null): number {
  return bestMsPerStep === null ? Number.POSITIVE_INFINITY : ABANDON_FACTOR * bestMsPerStep + COMPILE_ALLOWANCE_MS;
}

/** The fastest measured backend (rule 4); null when none was measured. */
export function chooseFastest(entries: readonly ProbeEntry[]): BackendName | null {
  const measured = entries.filter((e) => e.outcome === 'measured' && e.imagesPerSecond !== null);
  if (measured.length === 0) return null;
  const best = Math.max(...measured.map((e) => e.imagesPerSecond!));
  const close = measured.filter((e) => e.imagesPerSecond! >= best * (1 - TIE_MARGIN));
  close.sort((a, b) => BACKEND_ORDER.indexOf(a.name) - BACKEND_ORDER.indexOf(b.name));
  return close[0].name;
}

function rate(ips: number): string {
  return ips >= 10 ? ips.toFixed(0) : ips >= 1 ? ips.toFixed(1) : ips.toPrecision(2);
}

/** One entry for people: "WebGPU on <adapter>: 0.20 img/s" or "…: not measured (why)". */
function entryText(e: ProbeEntry): string {
  const on = e.adapter && (e.name === 'webgpu' || e.name === 'webgl') ? ` on ${shortAdapter(e.adapter)}` : '';
  const what = e.outcome === 'measured' && e.imagesPerSecond !== null ? `${rate(e.imagesPerSecond)} img/s` : e.detail;
  return `${BACKEND_LABELS[e.name]}${on}: ${what}`;
}

/** The report's line for people: what each backend did, then the choice. */
function probeSummary(entries: readonly ProbeEntry[], chosen: BackendName): string {
  const order = (e: ProbeEntry) => (e.outcome === 'measured' ? 0 : e.outcome === 'unavailable' ? 2 : 1);
  const shown = [...entries].sort((a, b) => order(a) - order(b) || (b.imagesPerSecond ?? 0) - (a.imagesPerSecond ?? 0));
  return `${shown.map(entryText).join('; ')} — ${BACKEND_LABELS[chosen]} chosen`;
}

/** Thrown from a step callback to end a backend's probe early. */
class ProbeAbandoned extends Error {}

export interface ProbeDeps {
  /** Starts one backend alone (and leaves TensorFlow.js on it). */
  start(name: BackendName): Promise<Started>;
  /**
   * Runs 1 warm-up and `steps` timed training steps of `shape` on the current backend; calls
   * `after` after each step (it may throw ProbeAbandoned); returns the timed steps' ms.
   */
  time(shape: ProbeShape, steps: number, after: (ms: number, warmup: boolean) => void): Promise<number[]>;
  now(): number;
  load(key: string): Promise<ProbeReport | null>;
  save(report: ProbeReport): Promise<void>;
  /** Backend `index` (1-based) of `total` is being timed. */
  onProgress(index: number, total: number, name: BackendName): void;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * Starts the backends, then returns this device's cached report for `shape`, or probes and caches
 * a new one. `signal` interrupts it between two steps (a run starts while an idle probe runs):
 * it then throws the signal's reason and caches nothing.
 */
export async function probeBackends(shape: ProbeShape, deps: ProbeDeps, signal?: AbortSignal): Promise<ProbeReport> {
  const t0 = deps.now();
  const started: Started[] = [];
  for (const name of BACKEND_ORDER) started.push(await deps.start(name));
  const key = probeKey(started, shape);
  const cached = await deps.load(key).catch(() => null);
  if (cached && started.some((s) => s.ok && s.name === cached.chosen)) return { ...cached, cached: true };
  const { probe, entries } = planProbe(started);
  let best: number | null = null;
  const steps = probe.length === 1 ? 1 : PROBE_STEPS;
  for (const [i, { name, adapter }] of probe.entries()) {
    const base = { name, adapter, software: isSoftwareAdapter(adapter), imagesPerSecond: null, warmupMs: null, msPerStep: null };
    if (i > 0 && deps.now() - t0 > PROBE_BUDGET_MS) {
      entries.push({ ...base, outcome: 'skipped', detail: `not measured (the probe's ${PROBE_BUDGET_MS / 1000} s were spent)` });
      continue;
    }
    signal?.throwIfAborted();
    deps.onProgress(i + 1, probe.length, name);
    let warmupMs: number | null = null;
    const limit = abandonAfterMs(best);
    try {
      const s = await deps.start(name);
      if (!s.ok) throw new Error(s.detail);
      const ms = await deps.time(shape, steps, (stepMs, warmup) => {
        signal?.throwIfAborted();
        if (!warmup) return;
        warmupMs = stepMs;
        if (stepMs > limit)
          throw new ProbeAbandoned(
            `abandoned: its first step took ${(stepMs / 1000).toFixed(1)} s, over ${ABANDON_FACTOR}× the best step time (${((best ?? 0) / 1000).toFixed(2)} s)`,
          );
      });
      const msPerStep = median(ms);
      best = best === null ? msPerStep : Math.min(best, msPerStep);
      entries.push({
        ...base,
        outcome: 'measured',
        warmupMs,
        msPerStep,
        imagesPerSecond: (shape.batchSize * 1000) / msPerStep,
        detail: '',
      });
    } catch (e) {
      if (signal?.aborted) throw e;
      if (e instanceof StepTooLargeError) {
        entries.push({
          ...base,
          outcome: 'too-large',
          detail: `cannot hold it (${e.message})`,
          reference: await timeStandIn(shape, deps, signal),
        });
        continue;
      }
      const abandoned = e instanceof ProbeAbandoned;
      const detail = abandoned ? e.message : `failed: ${(e instanceof Error ? e.message : String(e)).split('\n')[0].slice(0, 160)}`;
      entries.push({ ...base, warmupMs, outcome: abandoned ? 'abandoned' : 'failed', detail });
    }
  }
  entries.sort((a, b) => BACKEND_ORDER.indexOf(a.name) - BACKEND_ORDER.indexOf(b.name));
  signal?.throwIfAborted();
  const firstUp = started.find((s) => s.ok)?.name ?? null;
  const chosen = chooseFastest(entries) ?? firstUp;
  if (!chosen) throw new Error('no TensorFlow.js backend could start');
  const refusal = refusalOf(entries, chosen);
  const report: ProbeReport = {
    key,
    shape,
    entries,
    chosen,
    summary: probeSummary(entries, chosen),
    ms: deps.now() - t0,
    cached: false,
    at: new Date().toISOString(),
    refusal,
  };
  // Only a measured choice (or a refusal with a measured stand-in) is worth remembering: a probe
  // where nothing ran says nothing of the device.
  if (chooseFastest(entries) || (refusal && entries.some((e) => e.reference))) await deps.save(report).catch(() => undefined);
  return report;
}

/** The stand-in's speed on the current backend (1 warm-up + 1 step); null if it failed. */
async function timeStandIn(shape: ProbeShape, deps: ProbeDeps, signal?: AbortSignal): Promise<ProbeEntry['reference']> {
  const standIn = standInShape(shape);
  let warmupMs: number | null = null;
  try {
    const ms = await deps.time(standIn, 1, (stepMs, warmup) => {
      signal?.throwIfAborted();
      if (warmup) warmupMs = stepMs;
    });
    return { shape: standIn, imagesPerSecond: (standIn.batchSize * 1000) / median(ms), warmupMs };
  } catch (e) {
    if (signal?.aborted) throw e;
    return null;
  }
}

/**
 * Rule 6: why Auto refuses the run (null: it does not). Only when no backend was measured, a fast
 * one was too small for the step, and `chosen` (what is left) is that one, a software GPU or the
 * CPU backend.
 */
export function refusalOf(entries: readonly ProbeEntry[], chosen: BackendName): string | null {
  if (entries.some((e) => e.outcome === 'measured')) return null;
  if (!entries.some((e) => e.outcome === 'too-large')) return null;
  const left = entries.find((e) => e.name === chosen);
  if (!left || !(left.software || left.name === 'cpu' || left.outcome === 'too-large')) return null;
  const parts = entries.filter((e) => e.outcome === 'too-large').map((e) => `${BACKEND_LABELS[e.name]} ${e.detail}`);
  const software = entries.filter((e) => e.software && e.outcome !== 'unavailable');
  if (software.length) {
    const names = software.map((e) => BACKEND_LABELS[e.name]).join(' and ');
    const adapters = [...new Set(software.map((e) => shortAdapter(e.adapter ?? '')))].join(', ');
    const verb = software.length > 1 ? 'run' : 'runs';
    parts.push(`${names} ${verb} on ${adapters}, a GPU emulated on the CPU, far slower: used only when chosen under Train on`);
  }
  if (entries.some((e) => e.name === 'cpu' && e.outcome !== 'unavailable')) parts.push('CPU (plain JavaScript) is slower still');
  return `Auto found no fast backend that can hold this run: ${parts.join('; ')}.`;
}
