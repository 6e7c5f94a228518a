// The training worker's parts, in Node (fake-indexeddb for the run store): a run session from
// start to done with its messages and stored record, a stop at an epoch's checkpoint and a resume
// that continues exactly, the backend fallback, and errors sorted by class rather than by wording.
import 'fake-indexeddb/auto';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { setupBackend, type BackendName as NodeBackend } from '../../src/cli/node-backends.ts';
import { TrainError } from '../../src/engine/errors.ts';
import { defaultTrainConfig, validateTrainConfig } from '../../src/engine/config.ts';
import { generateDemoDataset } from '../../src/data/demo.ts';
import { noiseReport, symmetricNoise } from '../../src/data/noise.ts';
import { DatasetCacheError } from '../../src/storage/datasets/errors.ts';
import { getRun, loadCheckpoint } from '../../src/storage/run-store.ts';
import { closeRunChannel } from '../../src/storage/run-channel.ts';
import type { FromWorker, ProbeReport, StartMessage } from '../../src/worker/protocol.ts';
import type { BackendSelection } from '../../src/worker/backend.ts';
import { BackendChoice } from '../../src/worker/train/backend-fallback.ts';
import { GpuFault } from '../../src/worker/train/gpu-faults.ts';
import { RunDataLoader } from '../../src/worker/train/run-data.ts';
import { exportRunLabels } from '../../src/worker/train/labels-export.ts';
import { errorKind, failureMessage } from '../../src/worker/train/run-errors.ts';
import { CHECKPOINT_EVERY, RunSession, type RunSessionDeps } from '../../src/worker/train/run-session.ts';
import { reduceRun, useRun } from '../../src/ui/current-run-store.ts';

const backend = (process.env.EAC_TEST_BACKEND ?? 'cpu') as NodeBackend;
before(async () => {
  await setupBackend(backend);
});
// The sessions announce runs on a BroadcastChannel, which would keep the test process alive.
after(() => closeRunChannel());
// Runs with a model train on wasm only (several times faster than cpu); the rest runs everywhere.
const runLogic = { skip: backend !== 'wasm' ? 'trains a model: runs in the wasm suite' : false };

const selection = (name: BackendSelection['name']): BackendSelection => ({
  name,
  adapter: null,
  reason: `${name} runs`,
  attempts: [{ name, ok: true, detail: 'running' }],
});

function deps(messages: FromWorker[], over: Partial<RunSessionDeps> = {}): RunSessionDeps {
  return {
    post: (m) => messages.push(m),
    backends: new BackendChoice({
      select: async (order) => selection(order[0] === 'webgpu' ? 'cpu' : order[0]),
      announce: () => undefined,
      none: () => undefined,
    }),
    data: new RunDataLoader(),
    gpuSettled: async () => undefined,
    ...over,
  };
}

let runCount = 0;
function start(epochs: number): StartMessage {
  runCount++;
  return {
    type: 'start',
    runId: runCount,
    runKey: `test-run-${runCount}`,
    config: { arch: 'resnet18', width: 2, size: 32, batchSize: 8, epochs, evalBatchSize: 10, seed: 3 },
    data: { kind: 'demo', seed: 0, trainCount: 16, testCount: 6, noiseRate: 0.25, noiseSeed: 2 },
    attention: { count: 2, seed: 0 },
  };
}

const ofType = <T extends FromWorker['type']>(ms: FromWorker[], type: T) =>
  ms.filter((m): m is Extract<FromWorker, { type: T }> => m.type === type);

test(
  'a run posts started, steps, epochs and done; stopped at a checkpoint within an epoch, it resumes there and ends as the uninterrupted run',
  runLogic,
  async () => {
    const whole: FromWorker[] = [];
    const ref = start(2);
    await new RunSession(ref.runId, ref, deps(whole)).run();
    const types = whole.map((m) => m.type);
    assert.deepEqual(types.slice(0, 2), ['first-step', 'progress']); // starting the backend, then the data phase
    assert.ok(types.indexOf('started') < types.indexOf('step'), types.join(','));
    assert.deepEqual(
      ofType(whole, 'epoch').map((m) => m.metrics.epoch),
      [1, 2],
    );
    assert.deepEqual(
      ofType(whole, 'checkpoint').map((m) => m.epoch),
      [1, 2],
    );
    assert.equal(ofType(whole, 'attention').length, 3, 'epoch 0, 1 and 2');
    assert.equal(ofType(whole, 'step').flatMap((m) => m.points).length, 4, '2 epochs of 2 steps');
    const clean = generateDemoDataset({ seed: 0, trainCount: 16, testCount: 0 }).train.cleanLabels;
    const expectFlipped = noiseReport(clean, symmetricNoise(clean, 0.25, 2), 0.25, 2).changed;
    assert.ok(expectFlipped > 0);
    assert.equal(ofType(whole, 'started')[0].flippedLabels, expectFlipped);
    // Its training labels download as a `name label` file: the noisy labels it trained on.
    const labels = await exportRunLabels(ref.runKey, new RunDataLoader());
    assert.equal(labels.error, null);
    const lines = labels.text!.trim().split('\n');
    const noisy = symmetricNoise(clean, 0.25, 2);
    assert.deepEqual(
      lines.map((l) => Number(l.split(' ')[1]) - 1),
      [...noisy],
    );
    assert.match(lines[0], /^train_\d+\.jpg [1-7]$/);
    assert.equal((await exportRunLabels('no-such-run', new RunDataLoader())).error, 'this run is not in the run store any more');
    const done = ofType(whole, 'done');
    assert.equal(done.length, 1);
    assert.equal(done[0].summary.stoppedBy, 'completed');
    const record = await getRun(ref.runKey);
    assert.equal(record?.status, 'done');
    assert.equal(record?.checkpointEpoch, 2);
    assert.deepEqual(record?.summary, done[0].summary);
    // postMessage structured-clones each message the session built: each must come through
    // unchanged (no functions, no class instances), and the page's reducer takes them to a finished run.
    for (const m of whole) assert.deepEqual(structuredClone(m), m, `a ${m.type} message survives postMessage`);
    useRun.getState().beginRun(ref.runId, null, ref.runKey);
    const page = whole.reduce(reduceRun, useRun.getState().run);
    assert.equal(page.status, 'done');
    assert.deepEqual(
      page.epochs.map((e) => e.epoch),
      [1, 2],
    );
    assert.equal(page.steps.length, 4);
    assert.equal(page.checkpointEpoch, 2);

    // Checkpoints after every step: stopped at the first (within epoch 1), it resumes from step 1.
    const first: FromWorker[] = [];
    const msg = { ...start(2), config: ref.config };
    let session: RunSession | null = null;
    const stopAtCheckpoint = (m: FromWorker) => {
      first.push(m);
      if (m.type === 'checkpoint') session!.stop();
    };
    session = new RunSession(msg.runId, msg, deps(first, { post: stopAtCheckpoint, checkpointEvery: { steps: 1 } }));
    await session.run();
    assert.deepEqual(
      ofType(first, 'checkpoint').map((m) => [m.epoch, m.step, m.partial]),
      [[0, 1, true]],
    );
    assert.equal(ofType(first, 'done')[0]?.summary.stoppedBy, 'cancelled');
    const stored = await getRun(msg.runKey);
    assert.deepEqual([stored?.status, stored?.checkpointEpoch, stored?.checkpointStep, stored?.checkpointPartial], ['stopped', 0, 1, true]);
    assert.equal((await loadCheckpoint(msg.runKey))?.partial?.position, 1);

    const second: FromWorker[] = [];
    await new RunSession(99, { type: 'resume', runId: 99, runKey: msg.runKey }, deps(second)).run();
    assert.equal(ofType(second, 'started')[0].resumedFrom, 0);
    assert.equal(ofType(second, 'step').flatMap((m) => m.points)[0].step, 2, 'the resumed run goes on at step 2');
    const resumed = ofType(second, 'epoch').map((m) => m.metrics);
    const uninterrupted = ofType(whole, 'epoch').map((m) => m.metrics);
    assert.deepEqual(
      resumed.map((e) => [e.epoch, e.loss, e.testAcc, e.trainAccNoisy]),
      uninterrupted.map((e) => [e.epoch, e.loss, e.testAcc, e.trainAccNoisy]),
    );
    assert.equal((await getRun(msg.runKey))?.status, 'done');
  },
);

test('the page asks for a checkpoint now (tab hidden): the run checkpoints after its current step', runLogic, async () => {
  // The default cadence follows a checkpoint's measured cost, bounded: 2% of the run, every 5 s to 120 s.
  assert.deepEqual(CHECKPOINT_EVERY, { seconds: 120, costShare: 0.02, minSeconds: 5 });
  const msgs: FromWorker[] = [];
  const msg = { ...start(1), data: { ...start(1).data, trainCount: 32 } };
  let session: RunSession | null = null;
  const post = (m: FromWorker) => {
    msgs.push(m);
    if (m.type === 'started') session!.checkpointNow();
  };
  // No checkpoint by time within this run: only the one asked for, then the epoch's own.
  session = new RunSession(msg.runId, msg, deps(msgs, { post, checkpointEvery: { seconds: 3600 } }));
  await session.run();
  const ckpts = ofType(msgs, 'checkpoint').map((m) => [m.epoch, m.step, m.partial]);
  assert.equal(ckpts.length, 2, JSON.stringify(ckpts));
  assert.deepEqual(ckpts[0].slice(0, 1).concat(ckpts[0].slice(2)), [0, true], 'within epoch 1');
  assert.ok((ckpts[0][1] as number) <= 2, `right after the step in flight: ${ckpts[0][1]}`);
  assert.deepEqual(ckpts[1], [1, 4, false]);

  // A pause checkpoints too, as the run stops: a paused tab that is closed loses nothing.
  const paused: FromWorker[] = [];
  const msg2 = { ...start(1), data: { ...start(1).data, trainCount: 32 } };
  let s2: RunSession | null = null;
  let atPause = -1;
  const post2 = (m: FromWorker) => {
    paused.push(m);
    if (m.type === 'step' && ofType(paused, 'step').length === 1) s2!.setPaused(true);
    if (m.type === 'paused' && m.holding) {
      atPause = ofType(paused, 'checkpoint').length;
      // As the page answers: later, once the run holds.
      setTimeout(() => s2!.setPaused(false), 0);
    }
  };
  s2 = new RunSession(msg2.runId, msg2, deps(paused, { post: post2, checkpointEvery: { seconds: 3600 } }));
  await s2.run();
  assert.equal(atPause, 1, 'checkpointed before holding');
  assert.equal(ofType(paused, 'checkpoint')[0].partial, true);
});

test(
  'before its first step a run posts its phases (backend, probe i/N, first step); the backend asked for and why go into its record',
  runLogic,
  async () => {
    const probed: FromWorker[] = [];
    const report: ProbeReport = {
      key: 'fake',
      shape: { arch: 'resnet18', width: 2, size: 32, batchSize: 8, method: 'eac' },
      entries: [],
      chosen: 'wasm',
      summary: 'WebAssembly (WASM): 6.7 img/s — WebAssembly (WASM) chosen',
      ms: 1,
      cached: false,
      at: '2026-01-01T00:00:00Z',
    };
    const shapes: unknown[] = [];
    const backends = new BackendChoice({
      select: async (order) => selection(order[0] === 'webgpu' ? 'cpu' : order[0]),
      announce: () => undefined,
      none: () => undefined,
      probe: async (shape, onProgress) => {
        shapes.push(shape);
        onProgress(1, 2, 'webgpu');
        onProgress(2, 2, 'wasm');
        return report;
      },
    });
    const auto = { ...start(1), data: { ...start(1).data, trainCount: 8 } };
    await new RunSession(auto.runId, auto, deps(probed, { backends })).run();
    const phases = probed.flatMap((m) =>
      m.type === 'first-step' ? [`${m.phase}${m.index ? ` ${m.index}/${m.total}` : ''}${m.backend ? ` ${m.backend}` : ''}`] : [],
    );
    assert.deepEqual(phases, ['backend', 'probe 1/2 webgpu', 'probe 2/2 wasm', 'first-step wasm']);
    assert.deepEqual(shapes, [report.shape], 'the probe times the run’s own model and batch');
    const types = probed.map((m) => m.type);
    assert.ok(types.indexOf('probe') < types.indexOf('started'), types.join(','));
    assert.ok(types.lastIndexOf('first-step') < types.indexOf('step'), 'the first-step phase comes before the first step');
    assert.deepEqual((await getRun(auto.runKey))?.backend, {
      name: 'wasm',
      preference: 'auto',
      reason: `Auto: ${report.summary}.`,
      probe: report.summary,
    });

    const forced: FromWorker[] = [];
    const cpu = { ...auto, runId: 500, runKey: 'test-run-forced', backend: 'cpu' as const };
    await new RunSession(cpu.runId, cpu, deps(forced, { backends })).run();
    assert.equal(ofType(forced, 'probe').length, 0, 'a named backend is not probed');
    const record = await getRun(cpu.runKey);
    assert.equal(record?.backend?.name, 'cpu');
    assert.equal(record?.backend?.preference, 'cpu');
    assert.match(record?.backend?.reason ?? '', /^CPU \(plain JavaScript\), as chosen in the Backend setting/);
    assert.equal(shapes.length, 1);
  },
);

test('a resume without a stored run, or a second run while one trains, fails as a config error', runLogic, async () => {
  const messages: FromWorker[] = [];
  await new RunSession(7, { type: 'resume', runId: 7, runKey: 'no-such-run' }, deps(messages)).run();
  const err = ofType(messages, 'error')[0];
  assert.equal(err.kind, 'config');
  assert.match(err.message, /^cannot resume: no stored run no-such-run/);
});

test('a step too large for the device is refused before the data load, with the batch size that fits', async () => {
  const messages: FromWorker[] = [];
  const msg = start(1);
  msg.config = { ...msg.config, arch: 'resnet50', width: 64, size: 224, batchSize: 64 };
  const onWasm = new BackendChoice({ select: async () => selection('wasm'), announce: () => undefined, none: () => undefined });
  await new RunSession(msg.runId, msg, deps(messages, { backends: onWasm })).run();
  const [err] = ofType(messages, 'error');
  assert.ok(err, messages.map((m) => m.type).join(','));
  assert.equal(err.kind, 'out-of-memory');
  assert.ok(err.fitBatch && err.fitBatch >= 1 && err.fitBatch < 64, String(err.fitBatch));
  assert.match(
    err.message,
    /ResNet-50 width 64 at 224 px, batch 64 \(EAC\) needs about [\d.]+ GiB, more than the wasm backend's 4 GiB heap: batch \d+ fits$/,
  );
  assert.equal(ofType(messages, 'started').length, 0, 'nothing was loaded or started');
  assert.equal(err.notStarted, true, 'the page shows "not started", not "failed"');
});

test('Auto with no fast backend that holds the run: refused before the data load, with the estimate and fixes', async () => {
  const messages: FromWorker[] = [];
  const msg = { ...start(60), backend: 'auto' as const };
  msg.config = { ...msg.config, arch: 'resnet50', width: 64, size: 224, batchSize: 32, epochs: 60 };
  msg.data = { kind: 'demo', seed: 0, trainCount: 3000, testCount: 1000, noiseRate: 0.1, noiseSeed: 0 };
  const entry = (name: 'webgpu' | 'wasm', over: Partial<ProbeReport['entries'][number]>): ProbeReport['entries'][number] => ({
    name,
    adapter: null,
    software: false,
    outcome: 'skipped',
    imagesPerSecond: null,
    warmupMs: null,
    msPerStep: null,
    detail: '',
    ...over,
  });
  const report: ProbeReport = {
    key: 'fake',
    shape: { arch: 'resnet50', width: 64, size: 224, batchSize: 32, method: 'eac' },
    entries: [
      entry('webgpu', { adapter: 'google swiftshader', software: true }),
      entry('wasm', {
        outcome: 'too-large',
        detail: 'cannot hold it',
        reference: { shape: { arch: 'resnet18', width: 64, size: 96, batchSize: 8, method: 'eac' }, imagesPerSecond: 4, warmupMs: 2500 },
      }),
    ],
    chosen: 'webgpu',
    summary: '',
    ms: 1,
    cached: false,
    at: '2026-01-01T00:00:00Z',
    refusal: 'Auto found no fast backend that can hold this run: …',
  };
  const backends = new BackendChoice({
    select: async (order) => selection(order[0] === 'webgpu' ? 'cpu' : order[0]),
    announce: () => undefined,
    none: () => undefined,
    probe: async () => report,
  });
  let loads = 0;
  const data = { load: async () => (loads++, Promise.reject(new Error('not loaded'))) };
  await new RunSession(msg.runId, msg, deps(messages, { backends, data })).run();
  const [err] = ofType(messages, 'error');
  assert.ok(err?.refusal, JSON.stringify(err));
  assert.equal(err.notStarted, true);
  assert.equal(err.kind, 'config');
  assert.equal(err.message, report.refusal);
  assert.equal(err.refusal.backend, 'wasm');
  assert.equal(err.refusal.trainCount, 3000);
  assert.ok(err.refusal.fixes.length >= 1 && err.refusal.fixes.every((f) => f.runSeconds <= 2 * 3600));
  assert.equal(loads, 0, 'no data was loaded');
  assert.equal(ofType(messages, 'started').length, 0);
  assert.equal(await getRun(msg.runKey), null, 'nothing was stored');
});

test('the backend choice falls back past a GPU backend that failed while training, and says why', async () => {
  const calls: string[][] = [];
  const announced: string[] = [];
  const choice = new BackendChoice({
    select: async (order, earlier) => {
      calls.push([...order]);
      return { ...selection(order[0]), attempts: [...earlier, { name: order[0], ok: true, detail: 'running' }] };
    },
    announce: (sel) => announced.push(sel.name),
    none: () => assert.fail('a backend starts'),
  });
  const gpu = (await choice.get())!;
  assert.equal(gpu.name, 'webgpu');
  const shaderError = new Error('Failed to compile shader module\nline 2');
  assert.equal(choice.isBackendFailure(gpu, shaderError), true);
  assert.equal(choice.isBackendFailure(gpu, new TrainError('nan', 'the loss became NaN')), false, 'a run problem is not the backend');
  assert.equal(choice.isBackendFailure(selection('wasm'), shaderError), false, 'only GPU backends are left');
  const next = (await choice.fallBack(gpu, shaderError))!;
  assert.deepEqual(calls, [
    ['webgpu', 'webgl', 'wasm', 'cpu'],
    ['webgl', 'wasm', 'cpu'],
  ]);
  assert.deepEqual(announced, ['webgpu', 'webgl']);
  assert.deepEqual(next.attempts[0], { name: 'webgpu', ok: false, detail: 'failed while training (Failed to compile shader module)' });
  assert.equal(await choice.get(), next);
});

test('no backend: the choice resolves to null and reports the error', async () => {
  let reported: unknown = null;
  const choice = new BackendChoice({
    select: async () => {
      throw new Error('nothing runs');
    },
    announce: () => undefined,
    none: (e) => (reported = e),
  });
  assert.equal(await choice.get(), null);
  assert.match(String(reported), /nothing runs/);
});

test('the engine refuses a seed its 32-bit generators would alias, as a config error', () => {
  const config = { ...defaultTrainConfig('resnet18'), seed: 2 ** 32 };
  assert.throws(
    () => validateTrainConfig(config),
    (e: unknown) =>
      e instanceof TrainError && e.kind === 'config' && /seed must be an integer in \[0, 4294967295\], got 4294967296/.test(e.message),
  );
  validateTrainConfig({ ...config, seed: 2 ** 32 - 1 });
});

test('errors are sorted by class; only backend out-of-memory is recognised by its wording', () => {
  assert.equal(errorKind(new TrainError('nan', 'x')), 'nan');
  assert.equal(errorKind(new TrainError('config', 'x')), 'config');
  assert.equal(errorKind(new TrainError('data', 'x')), 'data');
  assert.equal(errorKind(new GpuFault('device-lost', 'x')), 'device-lost');
  assert.equal(errorKind(new DatasetCacheError('x')), 'data');
  assert.equal(errorKind(new Error('Aborted(). Build with -sASSERTIONS for more info.')), 'out-of-memory');
  assert.equal(errorKind(new Error('the loss became NaN at step 3')), 'other', 'wording alone decides nothing');
  assert.equal(
    failureMessage(new TrainError('nan', 'the loss became NaN at step 3'), 'nan', 2),
    'the loss became NaN at step 3; the last good checkpoint (epoch 2) is kept',
  );
  assert.match(
    failureMessage(new Error('failed to allocate 4 GB\nstack'), 'out-of-memory', null),
    /^out of memory on this backend \(failed to allocate 4 GB\): lower the batch size/,
  );
});

test('a run whose own pace passes the long-run bound is flagged once, with its speed and time, and trains on', runLogic, async () => {
  const messages: FromWorker[] = [];
  const msg = start(3);
  // Any remaining time counts as long here: the notice comes once the ETA is measured.
  await new RunSession(msg.runId, msg, deps(messages, { longRunSeconds: 1e-6 })).run();
  const types = messages.map((m) => m.type);
  const long = ofType(messages, 'long-run');
  assert.equal(long.length, 1, types.join(','));
  const at = types.indexOf('long-run');
  assert.ok(types.slice(0, at).includes('step') || types.slice(0, at).includes('progress'), 'after steps were measured');
  assert.equal(long[0].long.backend, (await getRun(msg.runKey))?.backend?.name, 'the backend it trains on');
  assert.ok(long[0].long.speed.imagesPerSecond > 0 && long[0].long.remainingSeconds > 0);
  assert.equal(long[0].long.trainCount, 16);
  assert.equal(ofType(messages, 'done')[0]?.summary.stoppedBy, 'completed', 'the run goes on');
  assert.deepEqual(structuredClone(long[0]), long[0]);
  // Not flagged under the default bound (days).
  const quiet: FromWorker[] = [];
  const msg2 = start(1);
  await new RunSession(msg2.runId, msg2, deps(quiet)).run();
  assert.equal(ofType(quiet, 'long-run').length, 0);
});

test('the run data: asymmetric noise moves each flipped label to its fixed next class; symmetric anywhere else', async () => {
  const opts = { kind: 'demo' as const, seed: 0, trainCount: 140, testCount: 7, noiseRate: 0.5, noiseSeed: 4 };
  const asym = await new RunDataLoader().load({ ...opts, noiseKind: 'asymmetric' }, () => undefined);
  const { labels, cleanLabels } = asym.dataset.train;
  let flipped = 0;
  for (let i = 0; i < labels.length; i++)
    if (labels[i] !== cleanLabels[i]) {
      flipped++;
      assert.equal(labels[i], (cleanLabels[i] + 1) % 7, `image ${i}`);
    }
  assert.equal(asym.flipped, flipped);
  assert.ok(flipped > 40 && flipped < 100, String(flipped));
  const sym = await new RunDataLoader().load(opts, () => undefined);
  const { labels: s, cleanLabels: c } = sym.dataset.train;
  const offsets = new Set<number>();
  for (let i = 0; i < s.length; i++) if (s[i] !== c[i]) offsets.add((s[i] - c[i] + 7) % 7);
  assert.ok(offsets.size > 1, 'symmetric flips go to several classes');
});
