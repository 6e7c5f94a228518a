// The 'auto' backend choice without TensorFlow.js: software adapters recognised, the probe's plan,
// its early abandon and time budget, the fastest chosen, the per-device cache; a named backend and
// its labelled fallback; ?backend= in the URL; the Quick demo sized from the probed speed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  abandonAfterMs,
  chooseFastest,
  isSoftwareAdapter,
  planProbe,
  PROBE_BUDGET_MS,
  probeBackends,
  probeKey,
  type ProbeDeps,
  type Started,
} from '../../src/worker/train/backend-probe.ts';
import { BackendChoice, forcedReason } from '../../src/worker/train/backend-fallback.ts';
import type { BackendSelection } from '../../src/worker/backend.ts';
import type { BackendName, ProbeEntry, ProbeReport, ProbeShape } from '../../src/worker/protocol.ts';
import { decodeUrlState, encodeUrlState, parseBackendParam } from '../../src/ui/url-state.ts';
import {
  DEMO_EPOCH_SECONDS,
  DEMO_SETTINGS,
  demoImagesPerSecond,
  demoSizedNotice,
  draftOf,
  sizedDemoSettings,
} from '../../src/ui/settings.ts';
import { firstStepText, secondsText } from '../../src/ui/components/FirstStepStatus.tsx';

const SWIFTSHADER = 'google swiftshader (software fallback adapter)';
const SHAPE: ProbeShape = { arch: 'resnet18', width: 8, size: 64, batchSize: 16, method: 'eac' };

test('software adapters: fallback adapters, SwiftShader, llvmpipe; real GPUs are not', () => {
  assert.ok(isSoftwareAdapter(SWIFTSHADER));
  assert.ok(isSoftwareAdapter('ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device (Subzero) (0x0000C0DE)), SwiftShader driver)'));
  assert.ok(isSoftwareAdapter('llvmpipe (LLVM 15.0.6, 256 bits)'));
  assert.ok(isSoftwareAdapter('nvidia ampere (software fallback adapter)'));
  assert.ok(!isSoftwareAdapter('nvidia ampere'));
  assert.ok(!isSoftwareAdapter('ANGLE (Intel, Mesa Intel(R) UHD Graphics 620 (KBL GT2), OpenGL 4.6)'));
  assert.ok(!isSoftwareAdapter(null));
});

const up = (name: BackendName, adapter: string | null = null): Started => ({ name, ok: true, adapter });
const down = (name: BackendName): Started => ({ name, ok: false, detail: 'navigator.gpu missing' });

test('probe plan: software GPUs and CPU are skipped when WASM starts, probed when it does not', () => {
  const plan = planProbe([up('webgpu', SWIFTSHADER), up('webgl', 'SwiftShader'), up('wasm'), up('cpu')]);
  assert.deepEqual(
    plan.probe.map((p) => p.name),
    ['wasm'],
  );
  assert.deepEqual(
    plan.entries.map((e) => [e.name, e.outcome]),
    [
      ['webgpu', 'skipped'],
      ['webgl', 'skipped'],
      ['cpu', 'skipped'],
    ],
  );
  const noWasm = planProbe([up('webgpu', SWIFTSHADER), down('webgl'), down('wasm'), up('cpu')]);
  assert.deepEqual(
    noWasm.probe.map((p) => p.name),
    ['webgpu', 'cpu'],
  );
  const gpu = planProbe([up('webgpu', 'nvidia ampere'), down('webgl'), up('wasm'), up('cpu')]);
  assert.deepEqual(
    gpu.probe.map((p) => p.name),
    ['webgpu', 'wasm'],
  );
});

test('cache key: the device (adapters, backends that start) and the model shape', () => {
  const a = probeKey([up('webgpu', SWIFTSHADER), up('wasm')], SHAPE);
  assert.equal(a, probeKey([up('webgpu', SWIFTSHADER), up('wasm')], { ...SHAPE }));
  assert.notEqual(a, probeKey([up('webgpu', 'nvidia ampere'), up('wasm')], SHAPE), 'another adapter');
  assert.notEqual(a, probeKey([down('webgpu'), up('wasm')], SHAPE), 'WebGPU off');
  for (const k of ['arch', 'width', 'size', 'batchSize', 'method'] as const) {
    const other = { ...SHAPE, [k]: k === 'arch' ? 'resnet50' : k === 'method' ? 'baseline' : 999 };
    assert.notEqual(a, probeKey([up('webgpu', SWIFTSHADER), up('wasm')], other), k);
  }
});

const measured = (name: BackendName, ips: number): ProbeEntry => ({
  name,
  adapter: null,
  software: false,
  outcome: 'measured',
  imagesPerSecond: ips,
  warmupMs: 1,
  msPerStep: 1,
  detail: '',
});

test('decision: the most images/s; within 10% the earlier backend of the standard order', () => {
  assert.equal(chooseFastest([measured('webgpu', 0.2), measured('wasm', 6.7)]), 'wasm');
  assert.equal(chooseFastest([measured('webgpu', 300), measured('wasm', 6.7)]), 'webgpu');
  assert.equal(chooseFastest([measured('wasm', 10), measured('webgpu', 9.5)]), 'webgpu', 'a tie goes to the GPU');
  assert.equal(chooseFastest([measured('wasm', 10), measured('webgpu', 8.5)]), 'wasm');
  assert.equal(chooseFastest([{ ...measured('wasm', 10), outcome: 'abandoned' }]), null);
  assert.equal(abandonAfterMs(null), Number.POSITIVE_INFINITY);
  assert.equal(abandonAfterMs(100), 10 * 100 + 3000);
});

/** Fake backends: each step of backend `name` "takes" ms[name] (warm-up: warm[name]) on a fake clock. */
function fakeDevice(
  started: Started[],
  ms: Partial<Record<BackendName, number>>,
  warm: Partial<Record<BackendName, number>> = {},
): ProbeDeps & { timed: BackendName[]; saved: ProbeReport[]; cache: Map<string, ProbeReport>; progress: string[] } {
  let clock = 0;
  let current: BackendName = 'cpu';
  const cache = new Map<string, ProbeReport>();
  const out = {
    timed: [] as BackendName[],
    saved: [] as ProbeReport[],
    progress: [] as string[],
    cache,
    start: async (name: BackendName) => {
      const s = started.find((x) => x.name === name)!;
      if (s.ok) current = name;
      return s;
    },
    time: async (_shape: ProbeShape, steps: number, after: (ms: number, warmup: boolean) => void) => {
      out.timed.push(current);
      const times: number[] = [];
      for (let i = 0; i <= steps; i++) {
        const t = i === 0 ? (warm[current] ?? ms[current]!) : ms[current]!;
        clock += t;
        after(t, i === 0);
        if (i > 0) times.push(t);
      }
      return times;
    },
    now: () => clock,
    load: async (key: string) => cache.get(key) ?? null,
    save: async (r: ProbeReport) => {
      out.saved.push(r);
      cache.set(r.key, r);
    },
    onProgress: (i: number, n: number, name: BackendName) => out.progress.push(`${i}/${n} ${name}`),
  };
  return out;
}

test('probe on a software fallback adapter: WASM is timed alone and chosen; the reload reads the cache', async () => {
  const dev = fakeDevice([up('webgpu', SWIFTSHADER), up('webgl', 'SwiftShader'), up('wasm'), up('cpu')], {
    webgpu: 80_000,
    wasm: 2400,
  });
  const r = await probeBackends(SHAPE, dev);
  assert.equal(r.chosen, 'wasm');
  assert.deepEqual(dev.timed, ['wasm'], 'the software GPU is never timed');
  assert.deepEqual(dev.progress, ['1/1 wasm']);
  assert.equal(dev.now(), 2 * 2400, 'the only candidate: a warm-up and one timed step');
  assert.equal(r.cached, false);
  const wasm = r.entries.find((e) => e.name === 'wasm')!;
  assert.equal(wasm.imagesPerSecond, (16 * 1000) / 2400);
  assert.match(
    r.summary,
    /^WebAssembly \(WASM\): 6\.7 img\/s; WebGPU on SwiftShader \(software\): not measured \(a software GPU: slower than WebAssembly on the same CPU\); WebGL on SwiftShader/,
  );
  assert.match(r.summary, / — WebAssembly \(WASM\) chosen$/);
  assert.equal(dev.saved.length, 1);

  const again = await probeBackends(SHAPE, dev);
  assert.equal(again.cached, true);
  assert.equal(again.chosen, 'wasm');
  assert.deepEqual(dev.timed, ['wasm'], 'nothing timed again');
  await probeBackends({ ...SHAPE, batchSize: 8 }, dev);
  assert.deepEqual(dev.timed, ['wasm', 'wasm'], 'another batch size is probed');
});

test('probe with a hardware GPU: both timed, the faster wins; a backend far slower after its warm-up is abandoned', async () => {
  const fast = fakeDevice([up('webgpu', 'nvidia ampere'), down('webgl'), up('wasm'), up('cpu')], { webgpu: 50, wasm: 2000 });
  const r = await probeBackends(SHAPE, fast);
  assert.equal(r.chosen, 'webgpu');
  assert.deepEqual(fast.progress, ['1/2 webgpu', '2/2 wasm']);
  assert.equal(fast.now(), 3 * 50 + 3 * 2000, 'two candidates: a warm-up and 2 timed steps each');
  const wasm = r.entries.find((e) => e.name === 'wasm')!;
  assert.equal(wasm.outcome, 'measured', '2000 ms is under 10 × 50 + 3000');

  const slow = fakeDevice([up('webgpu', 'nvidia ampere'), down('webgl'), up('wasm'), up('cpu')], { webgpu: 50, wasm: 9000 });
  const r2 = await probeBackends(SHAPE, slow);
  const w2 = r2.entries.find((e) => e.name === 'wasm')!;
  assert.equal(w2.outcome, 'abandoned');
  assert.equal(w2.warmupMs, 9000);
  assert.equal(slow.now(), 3 * 50 + 9000, 'no timed WASM step after its warm-up');
  assert.equal(r2.chosen, 'webgpu');

  // A GPU slower than WASM (an integrated GPU's long first step included) loses.
  const weak = fakeDevice(
    [up('webgpu', 'intel gen9'), down('webgl'), up('wasm'), up('cpu')],
    { webgpu: 4000, wasm: 2000 },
    { webgpu: 20_000 },
  );
  assert.equal((await probeBackends(SHAPE, weak)).chosen, 'wasm');
});

test('probe budget: no backend starts after the budget is spent; a failure is an entry, not the end', async () => {
  const dev = fakeDevice([up('webgpu', 'nvidia ampere'), up('webgl', 'nvidia'), up('wasm'), up('cpu')], {
    webgpu: PROBE_BUDGET_MS / 2,
    webgl: 10,
    wasm: 10,
  });
  const r = await probeBackends(SHAPE, dev);
  assert.deepEqual(dev.timed, ['webgpu']);
  assert.deepEqual(
    r.entries.filter((e) => e.outcome === 'skipped').map((e) => e.name),
    ['webgl', 'wasm', 'cpu'],
  );
  const failing = fakeDevice([up('webgpu', 'nvidia ampere'), down('webgl'), up('wasm'), up('cpu')], { wasm: 100 });
  let calls = 0;
  const base = failing.time;
  failing.time = async (shape, steps, after) => {
    if (calls++ === 0) throw new Error('shader compilation failed\nlong trace');
    return base(shape, steps, after);
  };
  const r2 = await probeBackends(SHAPE, failing);
  assert.equal(r2.entries.find((e) => e.name === 'webgpu')?.outcome, 'failed');
  assert.equal(r2.entries.find((e) => e.name === 'webgpu')?.detail, 'failed: shader compilation failed');
  assert.equal(r2.chosen, 'wasm');
});

test('an idle probe interrupted by a run: it stops between two steps and caches nothing', async () => {
  const dev = fakeDevice([up('webgpu', 'nvidia ampere'), down('webgl'), up('wasm'), up('cpu')], { webgpu: 50, wasm: 2000 });
  const ctl = new AbortController();
  const time = dev.time;
  dev.time = (shape, steps, after) =>
    time(shape, steps, (ms, warmup) => {
      if (warmup) ctl.abort(new Error('a run starts'));
      after(ms, warmup);
    });
  await assert.rejects(probeBackends(SHAPE, dev, ctl.signal), /a run starts/);
  assert.equal(dev.now(), 50, 'only the warm-up step ran');
  assert.equal(dev.saved.length, 0);
});

const selection = (name: BackendName, attempts: BackendSelection['attempts'] = []): BackendSelection => ({
  name,
  adapter: null,
  reason: `${name} runs`,
  attempts: [...attempts, { name, ok: true, detail: 'running' }],
});

test('a named backend: started as asked, or the next one with the reason; auto follows the probe', async () => {
  const announced: BackendSelection[] = [];
  const available = new Set<BackendName>(['webgpu', 'wasm', 'cpu']);
  const choice = new BackendChoice({
    select: async (order) => {
      const attempts = order
        .slice(
          0,
          order.findIndex((n) => available.has(n)),
        )
        .map((name) => ({ name, ok: false, detail: 'no WebGL context could be created' }));
      return selection(order.find((n) => available.has(n))!, attempts);
    },
    announce: (s) => announced.push(s),
    none: () => undefined,
    probe: async () => ({
      key: 'k',
      shape: SHAPE,
      entries: [measured('wasm', 6.7)],
      chosen: 'wasm',
      summary: 'WebAssembly (WASM): 6.7 img/s — WebAssembly (WASM) chosen',
      ms: 5,
      cached: false,
      at: '2026-01-01T00:00:00Z',
    }),
  });
  assert.equal((await choice.get())?.name, 'webgpu', 'the standard order at start-up');
  const cpu = await choice.prefer('cpu');
  assert.equal(cpu?.name, 'cpu');
  assert.match(cpu!.reason, /^CPU \(plain JavaScript\), as chosen in the Backend setting/);
  const webgl = await choice.prefer('webgl');
  assert.equal(webgl?.name, 'webgpu');
  assert.equal(
    webgl!.reason,
    'WebGL was chosen in the Backend setting but is unavailable (no WebGL context could be created). Using WebGPU instead.',
  );
  assert.equal(forcedReason('webgl', webgl!), webgl!.reason);
  const auto = await choice.settle('auto', SHAPE, () => undefined);
  assert.equal(auto.sel?.name, 'wasm');
  assert.equal(auto.sel?.reason, 'Auto: WebAssembly (WASM): 6.7 img/s — WebAssembly (WASM) chosen.');
  assert.equal(auto.report?.chosen, 'wasm');
  assert.deepEqual(
    announced.map((s) => s.name),
    ['webgpu', 'cpu', 'webgpu', 'wasm'],
  );
});

test('?backend= in the URL: a backend or auto, any case; bad values reported; encoded only when not auto', () => {
  assert.deepEqual(parseBackendParam('wasm'), { value: 'wasm', problem: null });
  assert.deepEqual(parseBackendParam('CPU'), { value: 'cpu', problem: null });
  assert.deepEqual(parseBackendParam(null), { value: 'auto', problem: null });
  const bad = parseBackendParam('cuda');
  assert.equal(bad.value, 'auto');
  assert.match(bad.problem ?? '', /backend=cuda \(backend must be one of auto, webgpu, webgl, wasm, cpu; auto is used\)/);
  const decoded = decodeUrlState('?backend=cpu');
  assert.equal(decoded.backend, 'cpu');
  assert.equal(decoded.present, false, 'the backend alone leaves the remembered data and weights');
  const draft = draftOf(DEMO_SETTINGS);
  assert.equal(encodeUrlState({ draft, data: { kind: 'demo' }, weights: null, backend: 'wasm' }).toString(), 'backend=wasm');
  assert.equal(encodeUrlState({ draft, data: { kind: 'demo' }, weights: null, backend: 'auto' }).toString(), '');
});

const report = (ips: number, shape: ProbeShape = SHAPE): ProbeReport => ({
  key: 'k',
  shape,
  entries: [measured('wasm', ips)],
  chosen: 'wasm',
  summary: '',
  ms: 1,
  cached: false,
  at: '',
});

test('Quick demo sized from the probe: its first epoch within the target at the probed speed, whole batches', () => {
  assert.deepEqual(sizedDemoSettings(null), DEMO_SETTINGS, 'no probe: the preset as is');
  assert.deepEqual(sizedDemoSettings(500), DEMO_SETTINGS, 'a fast machine: the preset as is');
  for (const ips of [0.2, 1, 3, 6.7, 12]) {
    const s = sizedDemoSettings(ips);
    assert.equal(s.trainCount % s.batchSize, 0, `${ips}: whole batches`);
    assert.ok(s.trainCount / s.batchSize >= 4, `${ips}: at least 4 steps`);
    assert.ok(s.trainCount <= DEMO_SETTINGS.trainCount);
    if (ips * DEMO_EPOCH_SECONDS >= 4 * DEMO_SETTINGS.batchSize)
      assert.ok(s.trainCount / ips <= DEMO_EPOCH_SECONDS, `${ips}: ${s.trainCount / ips} s`);
    assert.deepEqual(
      { ...s, trainCount: 0, testCount: 0 },
      { ...DEMO_SETTINGS, trainCount: 0, testCount: 0 },
      'the probed model and batch kept',
    );
    assert.deepEqual(sizedDemoSettings(ips), s, 'deterministic');
  }
  assert.deepEqual(
    [6.7, 1].map((ips) => {
      const s = sizedDemoSettings(ips);
      return [s.batchSize, s.trainCount, s.testCount];
    }),
    [
      [16, 256, 85],
      [16, 64, 32],
    ],
  );
  assert.equal(demoImagesPerSecond(report(6.7)), 6.7);
  assert.equal(demoImagesPerSecond(report(6.7, { ...SHAPE, batchSize: 32 })), 6.7, 'the batch aside');
  assert.equal(demoImagesPerSecond(report(6.7, { ...SHAPE, width: 64 })), null, 'another model says nothing of the demo');
  assert.equal(demoImagesPerSecond(null), null);
  assert.equal(
    demoSizedNotice(sizedDemoSettings(6.7), 6.7, 'WebAssembly (WASM)'),
    'Quick demo sized for this device: WebAssembly (WASM) trains its model at 6.7 images/s, so 256 training images (first epoch about 38 s).',
  );
  assert.equal(demoSizedNotice(sizedDemoSettings(500), 500, 'WebGPU'), null, 'unchanged: nothing to say');
});

test('first-step line: the phase in words', () => {
  assert.equal(firstStepText({ phase: 'backend', at: 0 }), 'Starting the backend');
  assert.equal(
    firstStepText({ phase: 'probe', index: 1, total: 2, backend: 'wasm', at: 0 }),
    'Probing backends (1/2): timing training steps on WebAssembly (WASM)',
  );
  assert.equal(firstStepText({ phase: 'first-step', backend: 'webgpu', at: 0 }), 'Compiling kernels and taking the first step on WebGPU');
  assert.equal(secondsText(98_400), '1 min 38 s');
  assert.equal(secondsText(7_900), '7 s');
});

test('rule 6: the recipe does not fit WASM and only SwiftShader is left: a stand-in is timed, Auto refuses, says why, caches it', async () => {
  const { StepTooLargeError } = await import('../../src/engine/errors.ts');
  const { refusalOf } = await import('../../src/worker/train/run-session.ts');
  const official: ProbeShape = { arch: 'resnet50', width: 64, size: 224, batchSize: 32, method: 'eac' };
  const dev = fakeDevice([up('webgpu', SWIFTSHADER), up('webgl', 'SwiftShader'), up('wasm'), up('cpu')], { webgpu: 80_000, wasm: 2000 });
  const shapes: ProbeShape[] = [];
  const time = dev.time;
  dev.time = async (shape, steps, after) => {
    shapes.push(shape);
    if (shape.arch === 'resnet50') throw new StepTooLargeError('needs about 6.9 GiB, more than the 4 GiB heap: batch 17 fits', 17);
    return time(shape, steps, after);
  };
  const r = await probeBackends(official, dev);
  assert.deepEqual(dev.timed, ['wasm'], 'the software GPU is never timed, not even now');
  assert.deepEqual(
    shapes.map((s) => `${s.arch}/${s.size}/${s.batchSize}`),
    ['resnet50/224/32', 'resnet18/96/8'],
    'the run first, then the stand-in',
  );
  const wasm = r.entries.find((e) => e.name === 'wasm')!;
  assert.equal(wasm.outcome, 'too-large');
  assert.deepEqual(wasm.reference, {
    shape: { ...official, arch: 'resnet18', size: 96, batchSize: 8 },
    imagesPerSecond: 4,
    warmupMs: 2000,
  });
  assert.equal(r.chosen, 'webgpu');
  assert.match(r.refusal ?? '', /^Auto found no fast backend that can hold this run: /);
  assert.match(r.refusal ?? '', /WebAssembly \(WASM\) cannot hold it \(needs about 6\.9 GiB/);
  assert.match(
    r.refusal ?? '',
    /; WebGPU and WebGL run on SwiftShader \(software\), a GPU emulated on the CPU, far slower: used only when chosen under Train on; CPU \(plain JavaScript\) is slower still\.$/,
  );
  assert.equal(dev.saved.length, 1, 'a refusal with a measured stand-in is remembered');
  assert.equal((await probeBackends(official, dev)).refusal, r.refusal);

  // The run as asked on WASM's stand-in speed, and fixes that fit the heap: demo faces, 3000 images.
  const config = { ...official, epochs: 60 } as Parameters<typeof refusalOf>[1];
  const refusal = refusalOf(r, config, 3000, true)!;
  assert.equal(refusal.backend, 'wasm');
  assert.ok(refusal.asked.runSeconds > 24 * 3600, String(refusal.asked.runSeconds));
  assert.ok(refusal.fixes.length >= 1 && refusal.fixes.every((f) => f.sensible));

  // Neither WebGPU nor WebGL: WASM alone cannot hold it; refused too (not a bare memory error).
  const wasmOnly = fakeDevice([down('webgpu'), down('webgl'), up('wasm'), up('cpu')], { wasm: 2000 });
  wasmOnly.time = dev.time;
  const alone = await probeBackends(official, wasmOnly);
  assert.equal(alone.chosen, 'wasm');
  assert.match(
    alone.refusal ?? '',
    /^Auto found no fast backend that can hold this run: WebAssembly \(WASM\) cannot hold it .*; CPU \(plain JavaScript\) is slower still\.$/,
  );

  // A hardware GPU that is measured, or WASM holding the run: no refusal.
  const gpu = fakeDevice([up('webgpu', 'nvidia ampere'), down('webgl'), up('wasm'), up('cpu')], { webgpu: 50, wasm: 2000 });
  assert.equal((await probeBackends(official, gpu)).refusal, null);
  assert.equal(
    (await probeBackends(SHAPE, fakeDevice([up('webgpu', SWIFTSHADER), down('webgl'), up('wasm'), down('cpu')], { wasm: 2000 }))).refusal,
    null,
  );
});
