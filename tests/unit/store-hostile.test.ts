// The page's stored runs read back as untrusted (issue 24), in Node on fake-indexeddb: damaged
// records (wrong types, NaN, huge arrays, missing fields, control characters) planted next to good
// ones. The good ones all load; each damaged one is reported in one line that names it and its
// field, and is left out; a damaged checkpoint is refused, never resumed from; the Compare import
// skips a damaged run of an all-runs file and takes the others.
//
//   node --import tsx --test tests/unit/store-hostile.test.ts
import 'fake-indexeddb/auto';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createStore, set } from 'idb-keyval';
import {
  getRun,
  listRuns,
  loadCheckpoint,
  readRuns,
  RunStoreError,
  saveCheckpoint,
  saveRun,
  type RunRecord,
} from '../../src/storage/run-store.ts';
import { parseRunsFile, runsJson, runsJsonText } from '../../src/ui/compare/run-files.ts';
import { defaultTrainConfig } from '../../src/engine/config.ts';
import { describeResNet, listParams } from '../../src/engine/resnet-layout.ts';
import type { TrainCheckpoint } from '../../src/engine/checkpoint.ts';
import type { EpochMetrics } from '../../src/engine/run-types.ts';
import { Rng } from '../../src/engine/rng.ts';
import { readRunRecord } from '../../src/storage/run-record-check.ts';
import { SweepError } from '../../src/engine/sweep/errors.ts';
import { readCheckpointState } from '../../src/engine/checkpoint-check.ts';

const config = { ...defaultTrainConfig('resnet18'), width: 1, size: 32, batchSize: 8, epochs: 3 };

const epoch = (n: number, testAcc = 0.25): EpochMetrics => ({
  epoch: n,
  steps: 2,
  loss: 2,
  ce: 1.5,
  consistency: 0.1,
  trainAccNoisy: 0.5,
  trainAccClean: 0.4,
  memorisation: { flipped: 3, predictedNoisy: 0.5, predictedClean: null },
  testAcc,
  test: {
    accuracy: testAcc,
    perClassAccuracy: [0.25, null, 0, 0, 1, 0, 0],
    confusion: [
      [1, 0],
      [0, 1],
    ],
  },
  lr: 2e-4,
  seconds: 1,
  imagesPerSecond: 16,
});

const record = (key: string, createdAt: string): RunRecord => ({
  key,
  name: `run ${key}`,
  createdAt,
  updatedAt: createdAt,
  status: 'done',
  request: {
    config,
    data: { kind: 'demo', seed: 0, trainCount: 32, testCount: 16, noiseRate: 0.2, noiseSeed: 0 },
    weights: null,
    attention: { count: 4, seed: 0 },
  },
  epochs: [epoch(1), epoch(2, 0.5)],
  checkpointEpoch: null,
  summary: { testAccLast5: 0.375, finalTestAcc: 0.5, bestTestAcc: 0.5, epochs: 2, steps: 4, seconds: 2, stoppedBy: 'completed' },
  error: null,
});

const raw = createStore('eac-runs', 'runs');
/** Writes a value under a run's key as a damaged or edited profile would hold it. */
const plant = (key: string, value: unknown) => set(`run:${key}`, value, raw);

test('damaged run records are reported by name and field and left out; the good ones all load', async () => {
  await saveRun(record('good-a', '2024-01-01T00:00:00Z'));
  await saveRun(record('good-b', '2024-01-02T00:00:00Z'));
  const damaged: [string, (r: RunRecord) => unknown, RegExp][] = [
    ['epochs-text', (r) => ({ ...r, epochs: 'many' }), /^stored run epochs-text\.epochs: expected an array, got "many"$/],
    [
      'nan-acc',
      (r) => ({ ...r, epochs: [epoch(1, Number.NaN)] }),
      /^stored run nan-acc\.epochs\[0\]\.testAcc: expected an accuracy in \[0, 1\], got NaN$/,
    ],
    [
      'huge-array',
      (r) => ({ ...r, epochs: new Array(200_000).fill(epoch(1)) }),
      /^stored run huge-array\.epochs: at most 100000 entries, got 200000$/,
    ],
    [
      'huge-confusion',
      (r) => ({ ...r, epochs: [{ ...epoch(1), test: { ...epoch(1).test, confusion: new Array(1e6).fill([]) } }] }),
      /\.epochs\[0\]\.test\.confusion: at most 1000 entries/,
    ],
    ['no-request', ({ request: _r, ...rest }) => rest, /^stored run no-request: missing field request$/],
    ['one-class', (r) => ({ ...r, classes: ['only'] }), /^stored run one-class\.classes: 1 classes, expected 2 to 1000$/],
    ['no-created', ({ createdAt: _c, ...rest }) => rest, /^stored run no-created: missing field createdAt$/],
    [
      'epochs-1e15',
      (r) => ({ ...r, request: { ...r.request, config: { ...config, epochs: 1e15 } } }),
      /\.request\.config\.epochs: expected an integer in \[1, 100000\]/,
    ],
    [
      'demo-1e9',
      (r) => ({ ...r, request: { ...r.request, data: { ...r.request.data, trainCount: 1e9 } } }),
      /\.request\.data\.trainCount: expected an integer in \[1, 20000\]/,
    ],
    ['neg-loss', (r) => ({ ...r, epochs: [{ ...epoch(1), ce: -1 }] }), /\.epochs\[0\]\.ce: expected a finite loss ≥ 0, got -1$/],
    ['bad-status', (r) => ({ ...r, status: { toString: 1 } }), /\.status: expected one of running, paused, done, stopped, error/],
    [
      'summary-inf',
      (r) => ({ ...r, summary: { ...r.summary, seconds: Number.POSITIVE_INFINITY } }),
      /\.summary\.seconds: expected a number ≥ 0, got Infinity$/,
    ],
    ['other-key', (r) => ({ ...r, key: 'good-a' }), /^stored run other-key\.key: "good-a", stored under "other-key"$/],
    ['not-an-object', () => 42, /^stored run not-an-object: expected an object$/],
    ['esc\u001b]0;x\u0007', (r) => ({ ...r, epochs: 0 }), /^stored run esc\\u001b\]0;x\\u0007\.key: expected a valid name/],
  ];
  for (const [key, damage] of damaged) await plant(key, damage(record(key, '2024-01-03T00:00:00Z')));
  const { runs, problems } = await readRuns();
  assert.deepEqual(
    runs.map((r) => r.key),
    ['good-b', 'good-a'],
  );
  assert.equal(problems.length, damaged.length);
  for (const [key, , why] of damaged) {
    const p = problems.find((x) => why.test(x));
    assert.ok(p, `${JSON.stringify(key)} is reported (${why}); got ${JSON.stringify(problems)}`);
    assert.ok(!/[\u0000-\u001f]/.test(p), 'one line, no control characters');
  }
  // The list the lab's views read holds the good runs, whatever else is stored.
  assert.equal((await listRuns()).length, 2);
  // A damaged record asked for by key is a one-line error, not a crash later.
  await assert.rejects(getRun('nan-acc'), (e: unknown) => e instanceof RunStoreError && /testAcc: expected an accuracy/.test(e.message));
  assert.equal((await getRun('good-a'))?.key, 'good-a');
  const named = { ...record('named', '2024-01-03T00:00:00Z'), classes: ['T-shirt/top', 'Trouser'] };
  assert.deepEqual(readRunRecord(named, 'stored run named').classes, ['T-shirt/top', 'Trouser'], "a run's class names are kept");
  assert.equal(readRunRecord(record('old', '2024-01-03T00:00:00Z'), 'stored run old').classes, undefined);
});

function checkpoint(): TrainCheckpoint {
  const params = listParams(describeResNet({ arch: config.arch, width: config.width, numClasses: 7 }));
  const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
  const trainable = params.filter((p) => p.trainable).map((p) => size(p.shape));
  return {
    version: 2,
    config,
    epoch: 1,
    step: 2,
    values: new Map(params.map((p) => [p.name, new Float32Array(size(p.shape)).fill(p.kind === 'bn.running_var' ? 1 : 0.01)])),
    optimizer: {
      step: 2,
      lr: 2e-4,
      m: trainable.map((n) => new Float32Array(n).fill(0.01)),
      v: trainable.map((n) => new Float32Array(n).fill(0.001)),
    },
    rng: { words: [1, 2, 3, 4], spare: null },
    epochs: [epoch(1)],
    steps: [],
    imagesSeen: 16,
    seconds: 1,
    partial: null,
  };
}

test('a damaged stored checkpoint is refused in one line, never resumed from', async () => {
  const r = record('ckpt-run', '2024-01-04T00:00:00Z');
  await saveCheckpoint(r, checkpoint(), null);
  assert.equal((await loadCheckpoint('ckpt-run'))?.epoch, 1);
  const put = (c: unknown) => set('ckpt:ckpt-run', c, raw);
  const cases: [string, (c: TrainCheckpoint) => unknown, RegExp][] = [
    [
      'a NaN weight',
      (c) => (c.values.get('conv1.weight')![3] = Number.NaN),
      /values\.conv1\.weight: holds a non-finite value \(NaN at index 3\)/,
    ],
    [
      'a negative variance',
      (c) => (c.values.get('bn1.running_var')![0] = -0.5),
      /values\.bn1\.running_var: holds a negative running variance/,
    ],
    ['a negative second moment', (c) => (c.optimizer.v[2][0] = -1), /optimizer\.v\[2\]: holds a negative second moment/],
    ['a short moment', (c) => (c.optimizer.m[0] = new Float32Array(1)), /optimizer\.m\[0\]: 1 values, the model needs/],
    ['weights as a list', (c) => ((c as unknown as { values: unknown }).values = []), /\.values: expected a Map/],
    [
      'weight decay ∞',
      (c) => (c.config = { ...config, weightDecay: Number.POSITIVE_INFINITY }),
      /\.config\.weightDecay: expected a number ≥ 0/,
    ],
    ['a test accuracy of 9', (c) => (c.epochs[0].testAcc = 9), /\.epochs\[0\]\.testAcc: expected an accuracy/],
    ['a step of −1', (c) => (c.step = -1), /\.step: expected an integer/],
  ];
  for (const [what, damage, why] of cases) {
    const c = checkpoint();
    damage(c);
    await put(c);
    await assert.rejects(
      loadCheckpoint('ckpt-run'),
      (e: unknown) => e instanceof RunStoreError && why.test(e.message) && e.message.startsWith('stored checkpoint of run ckpt-run'),
      what,
    );
  }
});

test('the Compare import: a damaged run of an all-runs file is skipped by name, the others come in', () => {
  const good = record('x', '2024-01-01T00:00:00Z');
  const doc = JSON.parse(runsJsonText(runsJson([good, good, good], new Date(0))));
  doc.runs[1].epochs[0].trainAccClean = 3;
  doc.runs[2].request.config.width = 1e6;
  let n = 0;
  const parsed = parseRunsFile(JSON.stringify(doc), 'all.json', () => `k${++n}`);
  assert.equal(parsed.records.length, 1);
  assert.deepEqual(parsed.skipped, [
    'all.json, run 2.epochs[0].trainAccClean: expected an accuracy in [0, 1], got 3',
    'all.json, run 3.request.config.width: expected an integer in [1, 1024], got 1000000',
  ]);
});

test('random damage to a stored run record: read or reported in one line, never a throw', () => {
  const rng = new Rng(11);
  const junk = [
    undefined,
    null,
    -1,
    0,
    1e308,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    'x\u001b]0;t\u0007\n',
    [],
    {},
    [[[]]],
    true,
    new Float32Array(3),
  ];
  const good = record('r', '2024-01-01T00:00:00Z');
  const paths: (string | number)[][] = [];
  const walk = (v: unknown, at: (string | number)[]) => {
    if (at.length) paths.push(at);
    if (v && typeof v === 'object')
      for (const k of Object.keys(v)) walk((v as Record<string, unknown>)[k], [...at, Array.isArray(v) ? Number(k) : k]);
  };
  walk(good, []);
  let read = 0;
  let reported = 0;
  for (let i = 0; i < 500; i++) {
    const r = structuredClone(good) as unknown as Record<string | number, unknown>;
    const p = paths[rng.int(0, paths.length - 1)];
    let o = r;
    for (const k of p.slice(0, -1)) o = o[k] as Record<string | number, unknown>;
    o[p[p.length - 1]] = structuredClone(junk[rng.int(0, junk.length - 1)]);
    try {
      readRunRecord(r, 'stored run r');
      read++;
    } catch (e) {
      // The reader's own one-line error, never a TypeError from a field it did not check.
      assert.ok(e instanceof SweepError, (e as Error).stack);
      assert.ok(!/[\u0000-\u001f\u007f-\u009f]/.test(e.message), JSON.stringify(e.message));
      reported++;
    }
  }
  console.log(`# 500 damaged run records: ${read} read, ${reported} reported`);
  assert.ok(reported > 300);
});

test('a checkpoint is stored as parts of at most PART_BYTES; a lost or forged part is refused; delete removes them', async () => {
  const { splitCheckpoint, joinCheckpoint, PART_BYTES } = await import('../../src/storage/checkpoint-parts.ts');
  const { deleteRun } = await import('../../src/storage/run-store.ts');
  const { keys, del } = await import('idb-keyval');
  // Split small: every part holds at most the cap (or one array above it), and they join back whole.
  const c = checkpoint();
  const { head, parts } = splitCheckpoint(c, 4096);
  assert.ok(parts.length > 3, `${parts.length} parts`);
  for (const p of parts) {
    const bytes = p.arrays.reduce((a, [, x]) => a + x.byteLength, 0);
    assert.ok(bytes <= 4096 || p.arrays.length === 1, `a part of ${bytes} bytes`);
  }
  const back = readCheckpointState(joinCheckpoint(head, parts));
  assert.deepEqual([...back.values.keys()], [...c.values.keys()]);
  assert.deepEqual(back.optimizer.v[3], c.optimizer.v[3]);
  assert.throws(() => joinCheckpoint(head, [...parts, parts[0]]), /repeats m\[0\]|values/);
  // Through the store: parts under their own keys, each under PART_BYTES.
  const r = record('parts-run', '2024-01-05T00:00:00Z');
  await saveCheckpoint(r, checkpoint(), null);
  const partKeys = (await keys(raw)).filter((k) => String(k).startsWith('ckpt-part:parts-run:'));
  assert.ok(partKeys.length >= 1);
  assert.ok(PART_BYTES <= 64 << 20);
  assert.equal((await loadCheckpoint('parts-run'))?.step, 2);
  await del(partKeys[0], raw);
  await assert.rejects(loadCheckpoint('parts-run'), /stored checkpoint of run parts-run: part 0 is missing or malformed/);
  await saveCheckpoint(r, checkpoint(), null);
  await deleteRun('parts-run');
  assert.deepEqual(
    (await keys(raw)).filter((k) => String(k).includes('parts-run')),
    [],
    'no part is left behind',
  );
});

test('a damaged stored attention history is refused in one line, naming the field', async () => {
  const { loadAttention } = await import('../../src/storage/run-store.ts');
  const size = 32;
  const sample = (i: number) => ({
    index: i,
    name: `train_${i}`,
    label: 1,
    cleanLabel: 2,
    view1: new Uint8Array(size * size * 3),
    view2: new Uint8Array(size * size * 3),
    box1: { top: 1, left: 2, h: 3, w: 4 },
    box2: null,
  });
  const maps = (i: number) => ({
    index: i,
    pred: 3,
    probs: new Float32Array(7).fill(1 / 7),
    hm1: new Float32Array(4 * 7),
    hm2: new Float32Array(4 * 7),
    consistency: 0.5,
  });
  const history = () => ({
    views: { size, mapHeight: 2, mapWidth: 2, numClasses: 7, samples: [sample(0), sample(5)] },
    frames: [
      { epoch: 0, samples: [maps(0), maps(5)] },
      { epoch: 1, samples: [maps(0), maps(5)] },
    ],
  });
  const r = record('attn-run', '2024-01-06T00:00:00Z');
  await saveCheckpoint(r, checkpoint(), history());
  assert.equal((await loadAttention('attn-run'))?.frames.length, 2);
  const named = history();
  Object.assign(named.views, { classes: ['a', 'b', 'c', 'd', 'e', 'f', 'g'] });
  await set('attn:attn-run', named, raw);
  assert.deepEqual((await loadAttention('attn-run'))?.views.classes, ['a', 'b', 'c', 'd', 'e', 'f', 'g'], 'class names kept');
  type H = ReturnType<typeof history>;
  const cases: [string, (h: H) => void, RegExp][] = [
    ['short maps', (h) => (h.frames[1].samples[0].hm1 = new Float32Array(3)), /frames\[1\]\.samples\[0\]\.hm1: 3 values, expected 28/],
    [
      'a NaN probability',
      (h) => (h.frames[0].samples[1].probs[2] = Number.NaN),
      /frames\[0\]\.samples\[1\]\.probs: holds a non-finite value at index 2/,
    ],
    [
      'a box past the view',
      (h) => (h.views.samples[0].box1 = { top: 30, left: 0, h: 4, w: 1 }),
      /samples\[0\]\.box1: reaches past the 32-pixel view/,
    ],
    ['a 1e6-pixel view', (h) => (h.views.size = 1e6), /views\.size: expected an integer in \[\d+, 2048\]/],
    ['a label beyond the classes', (h) => (h.views.samples[1].label = 9), /samples\[1\]\.label: expected an integer in \[0, 6\]/],
    ['a frame missing a sample', (h) => h.frames[1].samples.pop(), /frames\[1\]\.samples: 1 samples, the views have 2/],
    [
      'class names not matching the class count',
      (h) => Object.assign(h.views, { classes: ['a', 'b'] }),
      /views\.classes: 2 names for 7 classes/,
    ],
  ];
  for (const [what, damage, why] of cases) {
    const h = history();
    damage(h);
    await set('attn:attn-run', h, raw);
    await assert.rejects(
      loadAttention('attn-run'),
      (e: unknown) => e instanceof RunStoreError && why.test(e.message) && e.message.startsWith('stored attention history of run attn-run'),
      what,
    );
  }
});
