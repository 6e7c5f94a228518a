// The charts' and exports' pure functions: TensorBoard smoothing, min/max thinning, the loss
// chart's rows and epoch boundaries, the per-epoch series, CSV and JSON exports.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { emaSmooth } from '../../src/ui/charts/smoothing.ts';
import { MinMaxBuckets, minMaxIndices } from '../../src/ui/charts/downsample.ts';
import { LossSeriesBuilder, buildLossSeries, labelEvery } from '../../src/ui/charts/loss-series.ts';
import { accuracyRows, isNoisyRun, lrScheduleRows, memorisationRows } from '../../src/ui/charts/epoch-series.ts';
import { maxOf, niceTicks } from '../../src/ui/charts/ticks.ts';
import { linePath, nearestRow } from '../../src/ui/charts/plot-geometry.ts';
import { TurnQueue } from '../../src/ui/turn-queue.ts';
import {
  RUN_JSON_FORMAT,
  buildRunJson,
  csvField,
  epochCsvHeader,
  epochsCsv,
  exportFileStem,
  runJsonText,
  stepsCsv,
  toCsv,
  type RunExportInput,
} from '../../src/ui/export/run-export.ts';
import type { EpochMetrics, StepLog } from '../../src/engine/run-types.ts';
import { defaultTrainConfig } from '../../src/engine/config.ts';

const close = (a: number, b: number, eps = 1e-12) => assert.ok(Math.abs(a - b) <= eps, `${a} vs ${b}`);

test('emaSmooth: TensorBoard formula on a hand-computed example', () => {
  // w = 0.5: m1 = 0.5, m2 = 1.25, m3 = 2.125; debiased by 1 − 0.5^k: 1, 1.25/0.75, 2.125/0.875.
  const s = emaSmooth([1, 2, 3], 0.5);
  close(s[0], 1);
  close(s[1], 5 / 3);
  close(s[2], 17 / 7);
  // w = 0.9 on [10, 0]: m1 = 1 → 1/0.1 = 10; m2 = 0.9 → 0.9/0.19.
  const t = emaSmooth([10, 0], 0.9);
  close(t[0], 10);
  close(t[1], 0.9 / 0.19);
});

test('emaSmooth: weight 0 is the identity; NaN passes through and is skipped; constants stay flat', () => {
  assert.deepEqual(Array.from(emaSmooth([3, 1, 4, 1, 5], 0)), [3, 1, 4, 1, 5]);
  const s = emaSmooth([1, NaN, 3], 0.5);
  close(s[0], 1);
  assert.ok(Number.isNaN(s[1]));
  // The NaN did not count: the third value is the second term of the average (k = 2).
  close(s[2], (0.5 * 0.5 + 0.5 * 3) / 0.75);
  assert.deepEqual(Array.from(emaSmooth([0.3, 0.3, 0.3], 0.99)), [0.3, 0.3, 0.3]);
  assert.equal(emaSmooth([], 0.6).length, 0);
  // A long run: the debias factor reaches 1 without producing NaN or Infinity.
  const long = emaSmooth(
    Float64Array.from({ length: 20000 }, (_, i) => 1 + (i % 2)),
    0.99,
  );
  assert.ok(long.every(Number.isFinite));
  close(long[long.length - 1], 1.5, 0.01);
});

test('minMaxIndices: keeps endpoints and every series extreme, sorted, bounded', () => {
  const n = 10000;
  const a = Float64Array.from({ length: n }, (_, i) => Math.sin(i / 50));
  const b = Float64Array.from({ length: n }, (_, i) => Math.cos(i / 70));
  a[5003] = 100; // a spike
  a[7777] = -50; // a dip
  b[1234] = 42;
  b[4321] = NaN; // ignored, not an extreme
  const keep = minMaxIndices(n, [a, b], 100);
  assert.equal(keep[0], 0);
  assert.equal(keep[keep.length - 1], n - 1);
  for (const i of [5003, 7777, 1234]) assert.ok(keep.includes(i), `index ${i} kept`);
  assert.ok(!keep.includes(4321));
  assert.ok(keep.length <= 2 * 100 * 2 * 2 + 2, `${keep.length} rows`);
  for (let j = 1; j < keep.length; j++) assert.ok(keep[j] > keep[j - 1], 'sorted and distinct');
  // Buckets are power-of-two wide, between 100 and 200 of them: here 64 steps (157 buckets). In
  // each, the kept rows reach the data's minimum and maximum of both series.
  let width = 1;
  while (Math.ceil(n / width) > 200) width *= 2;
  assert.equal(width, 64);
  for (const ys of [a, b]) {
    for (let lo = 0; lo < n; lo += width) {
      const hi = Math.min(n, lo + width);
      const inBucket = Array.from(ys.subarray(lo, hi)).filter(Number.isFinite);
      const kept = Array.from(keep)
        .filter((i) => i >= lo && i < hi)
        .map((i) => ys[i])
        .filter(Number.isFinite);
      assert.equal(Math.max(...kept), Math.max(...inBucket));
      assert.equal(Math.min(...kept), Math.min(...inBucket));
    }
  }
});

test('MinMaxBuckets: values added in batches give the same rows as all at once', () => {
  const n = 5000;
  const a = Float64Array.from({ length: n }, (_, i) => Math.sin(i * 0.37) * (1 + (i % 7)));
  const whole = minMaxIndices(n, [a], 30);
  const inc = new MinMaxBuckets(1, 30);
  for (let m = 0; m < n; m += 37) inc.add([a], Math.min(n, m + 37));
  assert.deepEqual(Array.from(inc.indices()), Array.from(whole));
  assert.throws(() => new MinMaxBuckets(1, 0), /at least one/);
});

test('minMaxIndices: short series are kept whole', () => {
  assert.deepEqual(Array.from(minMaxIndices(5, [[1, 2, 3, 4, 5]], 250)), [0, 1, 2, 3, 4]);
  assert.deepEqual(Array.from(minMaxIndices(0, [[]], 250)), []);
  assert.deepEqual(Array.from(minMaxIndices(1, [[7]], 250)), [0]);
});

function stepsOf(n: number, perEpoch: number): StepLog[] {
  return Array.from({ length: n }, (_, i) => ({
    step: i + 1,
    epoch: Math.floor(i / perEpoch) + 1,
    loss: 2 - i / n + (i === 17 ? 5 : 0),
    ce: 1.9 - i / n,
    consistency: 0.02,
  }));
}

test('buildLossSeries: λ-weighted consistency, smoothed series, epoch boundaries, thinning', () => {
  const small = buildLossSeries(stepsOf(10, 4), { smoothing: 0, lam: 5 });
  assert.equal(small.rows.length, 10);
  assert.equal(small.total, 10);
  close(small.rows[0].cons, 0.1);
  close(small.rows[3].lossSmooth, small.rows[3].loss); // smoothing 0: identity
  assert.deepEqual(small.boundaries, [
    { x: 4.5, epoch: 2 },
    { x: 8.5, epoch: 3 },
  ]);
  const big = buildLossSeries(stepsOf(100000, 1000), { smoothing: 0.9, lam: 5 });
  assert.equal(big.total, 100000);
  assert.ok(big.rows.length <= 1502, `${big.rows.length} rows`);
  assert.equal(big.rows[0].step, 1);
  assert.equal(big.rows[big.rows.length - 1].step, 100000);
  assert.ok(
    big.rows.some((r) => r.step === 18 && r.loss > 5),
    'the spike is drawn',
  );
  assert.equal(big.boundaries.length, 99);
  // The smoothed value at a kept row is the one of the full series, not of the thinned one.
  const full = emaSmooth(
    stepsOf(100000, 1000).map((s) => s.loss),
    0.9,
  );
  const r = big.rows[Math.floor(big.rows.length / 2)];
  close(r.lossSmooth, full[r.step - 1]);
  assert.equal(labelEvery(99), 9);
  assert.equal(labelEvery(3), 1);
});

function epochOf(epoch: number, over: Partial<EpochMetrics> = {}): EpochMetrics {
  return {
    epoch,
    steps: 10 * epoch,
    loss: 1.5,
    ce: 1.4,
    consistency: 0.02,
    trainAccNoisy: 0.4,
    trainAccClean: 0.45,
    memorisation: { flipped: 20, predictedNoisy: 0.1, predictedClean: 0.6 },
    testAcc: 0.5,
    test: { accuracy: 0.5, perClassAccuracy: [0.1, 0.2, null, 0.4, 0.5, 0.6, 0.7], confusion: [] },
    lr: 2e-4 * 0.9 ** (epoch - 1),
    seconds: 12.5,
    imagesPerSecond: 40,
    ...over,
  };
}

test('LossSeriesBuilder: appended batches give what a fresh build gives; a new array or setting starts over', () => {
  const all = stepsOf(7000, 900);
  const opts = { smoothing: 0.8, lam: 5 };
  const builder = new LossSeriesBuilder();
  let steps: StepLog[] = [];
  for (let m = 0; m < all.length; m += 123) {
    steps = steps.concat(all.slice(m, m + 123)); // as the store does: a new, longer array each time
    const inc = builder.update(steps, opts);
    if (m % (123 * 10) === 0 || steps.length === all.length) assert.deepEqual(inc, buildLossSeries(steps, opts));
  }
  assert.deepEqual(builder.update(steps, { ...opts, smoothing: 0.3 }), buildLossSeries(steps, { ...opts, smoothing: 0.3 }));
  const other = stepsOf(50, 10).map((s) => ({ ...s, loss: s.loss * 2 }));
  assert.deepEqual(builder.update(other, opts), buildLossSeries(other, opts), 'a new run (a different array) starts over');
  const baseline = stepsOf(20, 10).map((s) => ({ ...s, consistency: 0 }));
  assert.ok(
    buildLossSeries(baseline, opts).rows.every((r) => r.consSmooth === 0),
    'a constant series is drawn as is',
  );
});

test('epoch series: accuracy, memorisation, noisy or clean run, learning-rate schedule', () => {
  const epochs = [epochOf(1), epochOf(2, { testAcc: 0.55 })];
  assert.deepEqual(accuracyRows(epochs)[1], { epoch: 2, trainNoisy: 0.4, trainClean: 0.45, test: 0.55 });
  assert.deepEqual(memorisationRows(epochs)[0], { epoch: 1, noisy: 0.1, clean: 0.6, flipped: 20 });
  assert.equal(isNoisyRun(0, epochs), false);
  assert.equal(isNoisyRun(12, []), true);
  assert.equal(isNoisyRun(null, []), null);
  assert.equal(isNoisyRun(undefined, [epochOf(1, { memorisation: { flipped: 0, predictedNoisy: null, predictedClean: null } })]), false);
  const lr = lrScheduleRows(epochs, { lr: 2e-4, gamma: 0.9, epochs: 4 });
  assert.equal(lr.length, 4);
  close(lr[2].planned, 2e-4 * 0.9 * 0.9, 1e-18);
  assert.equal(lr[1].actual, epochs[1].lr);
  assert.equal(lr[3].actual, null);
  assert.deepEqual(
    lrScheduleRows(epochs, null).map((r) => r.planned),
    epochs.map((e) => e.lr),
  );
});

test('niceTicks: round steps from 0 to a round top at or above the maximum', () => {
  assert.deepEqual(niceTicks(2.55), [0, 1, 2, 3]);
  assert.deepEqual(niceTicks(1.9), [0, 0.5, 1, 1.5, 2]);
  assert.deepEqual(niceTicks(0.17), [0, 0.05, 0.1, 0.15, 0.2]);
  assert.deepEqual(niceTicks(0.3), [0, 0.1, 0.2, 0.3]);
  assert.deepEqual(niceTicks(0), [0, 1]);
  assert.deepEqual(niceTicks(NaN), [0, 1]);
  assert.equal(
    maxOf(
      [
        { a: 1, b: 3 },
        { a: NaN, b: 2 },
      ],
      ['a', 'b'],
    ),
    3,
  );
});

test('csvField / toCsv: RFC 4180 quoting, exact numbers, empty nulls', () => {
  assert.equal(csvField('plain'), 'plain');
  assert.equal(csvField('a,b'), '"a,b"');
  assert.equal(csvField('say "hi"'), '"say ""hi"""');
  assert.equal(csvField('two\nlines'), '"two\nlines"');
  assert.equal(csvField(' padded'), '" padded"');
  assert.equal(csvField(null), '');
  assert.equal(csvField(undefined), '');
  assert.equal(csvField(NaN), 'NaN');
  assert.equal(csvField(-Infinity), '-Infinity');
  assert.equal(Number(csvField(0.1 + 0.2)), 0.1 + 0.2);
  assert.equal(toCsv(['a', 'b'], [[1, 'x,y']]), 'a,b\r\n1,"x,y"\r\n');
  assert.throws(() => toCsv(['a', 'b'], [[1]]), /1 fields, the header 2/);
});

test('epochsCsv / stepsCsv: one row per epoch or step, every scalar and per-class test accuracy', () => {
  const header = epochCsvHeader();
  assert.equal(header.length, 14 + 7);
  assert.deepEqual(header.slice(0, 3), ['epoch', 'steps', 'loss']);
  assert.ok(header.includes('memorisationPredictedNoisy'));
  assert.equal(header[header.length - 1], 'testAcc_Neutral');
  const text = epochsCsv([epochOf(1), epochOf(2)]);
  const lines = text.trimEnd().split('\r\n');
  assert.equal(lines.length, 3);
  const row = lines[1].split(',');
  assert.equal(row.length, header.length);
  const col = (name: string) => row[header.indexOf(name)];
  assert.equal(col('epoch'), '1');
  assert.equal(col('trainAccClean'), '0.45');
  assert.equal(col('memorisationFlipped'), '20');
  assert.equal(col('lr'), '0.0002');
  assert.equal(col('testAcc_Disgust'), '', 'a class with no test samples is empty');
  assert.equal(col('testAcc_Neutral'), '0.7');
  assert.equal(epochsCsv([]), header.join(',') + '\r\n');

  const steps = stepsCsv(stepsOf(3, 2)).trimEnd().split('\r\n');
  assert.equal(steps[0], 'step,epoch,loss,ce,consistency');
  assert.equal(steps.length, 4);
  assert.deepEqual(steps[3].split(',').slice(0, 2), ['3', '2']);
});

function runOf(): RunExportInput {
  const config = { ...defaultTrainConfig('resnet18'), seed: 7, epochs: 2 };
  return {
    status: 'done',
    settings: { noiseRate: 0.2 },
    started: Object.assign(
      {
        config,
        data: { kind: 'demo' as const, seed: 3, trainCount: 40, testCount: 10, noiseRate: 0.2, noiseSeed: 11 },
        flippedLabels: 8,
        trainCount: 40,
        testCount: 10,
      },
      { labelsHash: 'abc123', history: { epochs: [], steps: [] } },
    ),
    steps: [...stepsOf(4, 2), { step: 5, epoch: 2, loss: NaN, ce: 1, consistency: 0 }],
    epochs: [epochOf(1), epochOf(2)],
    summary: { testAccLast5: 0.5, finalTestAcc: 0.5, bestTestAcc: 0.55, epochs: 2, steps: 5, seconds: 25, stoppedBy: 'completed' },
    error: null,
    startedAt: Date.UTC(2024, 0, 2, 3, 4, 5),
  };
}

test('buildRunJson / runJsonText: configuration, data, seeds, versions, metrics; valid JSON', () => {
  const run = runOf();
  const doc = buildRunJson(run, {
    backend: { name: 'webgpu', adapter: 'google swiftshader', reason: 'WebGPU available' },
    versions: { app: '0.1.0', 'tfjs-core': '4.22.0' },
    exportedAt: new Date(Date.UTC(2024, 0, 2, 4, 0, 0)),
  });
  assert.equal(doc.format, RUN_JSON_FORMAT);
  assert.equal(doc.exportedAt, '2024-01-02T04:00:00.000Z');
  assert.equal(doc.startedAt, '2024-01-02T03:04:05.000Z');
  assert.equal(doc.config?.seed, 7);
  assert.equal(doc.config?.arch, 'resnet18');
  assert.deepEqual(doc.seeds, { train: 7, data: 3, noise: 11 });
  assert.deepEqual(doc.versions, { app: '0.1.0', 'tfjs-core': '4.22.0' });
  assert.equal(doc.backend.adapter, 'google swiftshader');
  assert.deepEqual(doc.dataset, { flippedLabels: 8, trainCount: 40, testCount: 10, labelsHash: 'abc123' });
  assert.deepEqual(doc.steps.step, [1, 2, 3, 4, 5]);
  assert.equal(doc.steps.loss.length, 5);
  assert.equal(doc.epochs.length, 2);

  const text = runJsonText(doc);
  const back = JSON.parse(text);
  assert.deepEqual(back, JSON.parse(JSON.stringify(doc)));
  assert.equal(back.steps.loss[4], null, 'NaN is written as null');
  assert.deepEqual(Object.keys(back).slice(-2), ['epochs', 'steps']);
  // Bulky parts stay compact: one line per epoch, one per step field (the head has a line per
  // configuration field: 80 lines once the sampler and the layout joined them).
  assert.ok(text.split('\n').length < 90, `${text.split('\n').length} lines`);

  const empty = buildRunJson(
    { ...run, started: null, steps: [], epochs: [], summary: null, startedAt: null },
    { backend: { name: null, adapter: null, reason: null }, versions: {}, exportedAt: new Date(0) },
  );
  assert.equal(empty.config, null);
  assert.deepEqual(empty.seeds, { train: null, data: null, noise: null });
  assert.deepEqual(JSON.parse(runJsonText(empty)).epochs, []);
});

test('exportFileStem', () => {
  const run = runOf();
  const stem = exportFileStem(run, new Date());
  assert.match(stem, /^eac-resnet18-eac-seed7-\d{8}-\d{6}$/);
  assert.match(exportFileStem({ started: null, startedAt: null }, new Date()), /^eac-run-\d{8}-\d{6}$/);
});

test('linePath: M then one L per drawable row, clamped to the plot; nearestRow: the row drawn nearest a pixel', () => {
  const row = (step: number, loss: number) => ({
    step,
    epoch: 1,
    loss,
    ce: loss,
    cons: 0,
    lossSmooth: loss,
    ceSmooth: loss,
    consSmooth: 0,
  });
  const rows = [row(1, 1), row(2, 5), row(4, NaN), row(8, 0.5)];
  const x = (v: number) => 10 * v;
  const y = (v: number) => (Number.isFinite(v) ? 100 - 10 * v : undefined);
  assert.equal(
    linePath(rows, 'step', 'loss', x, y, 60, 100),
    'M10.0,90.0L20.0,60.0M80.0,95.0',
    'the NaN row breaks the line; 5 → 50 px is clamped to the top (60)',
  );
  assert.equal(
    linePath(
      [
        { epoch: 1, v: 0.5 },
        { epoch: 2, v: null },
        { epoch: 3, v: 0.25 },
        { epoch: 4, v: 0 },
      ],
      'epoch',
      'v',
      x,
      y,
      0,
      100,
    ),
    'M10.0,95.0M30.0,97.5L40.0,100.0',
    'a null value breaks the line',
  );
  assert.equal(linePath([], 'step', 'loss', x, y, 0, 100), '');
  assert.equal(nearestRow([], 'step', 50, x), -1);
  // Pixels of the rows: 10, 20, 40, 80.
  assert.deepEqual(
    [0, 14, 16, 31, 59, 61, 500].map((px) => nearestRow(rows, 'step', px, x)),
    [0, 0, 1, 2, 2, 3, 3],
  );
  assert.equal(nearestRow(rows, 'step', 15, x), 0, 'a tie goes to the earlier row');
});

test('TurnQueue: one job per turn, a gap between turns, all at once while the page is hidden', () => {
  const timers: { run: () => void; ms: number }[] = [];
  let hidden = false;
  const q = new TurnQueue({ gapMs: 80, hidden: () => hidden, schedule: (run, ms) => void timers.push({ run, ms }) });
  const ran: string[] = [];
  const job = (name: string) => () => void ran.push(name);
  const a = job('a');
  const b = job('b');
  const c = job('c');
  q.enqueue(a);
  q.enqueue(b);
  q.enqueue(c);
  assert.deepEqual(ran, [], 'nothing runs in the task that queued it');
  assert.deepEqual(
    timers.map((t) => t.ms),
    [0],
    'one timer for the burst',
  );
  timers.shift()!.run();
  assert.deepEqual(ran, ['a']);
  assert.deepEqual(
    timers.map((t) => t.ms),
    [80],
  );
  q.remove(b);
  timers.shift()!.run();
  assert.deepEqual(ran, ['a', 'c'], 'a removed job loses its turn');
  timers.shift()!.run();
  assert.equal(timers.length, 0, 'the gap after the last job ends with no timer left');
  q.enqueue(a);
  assert.deepEqual(
    timers.map((t) => t.ms),
    [0],
  );
  q.enqueue(b);
  q.enqueue(c);
  hidden = true;
  timers.shift()!.run();
  assert.deepEqual(ran, ['a', 'c', 'a', 'b', 'c'], 'hidden: no frames to keep apart');
  assert.equal(q.length, 0);
});

test('TurnQueue with a time budget: jobs run in one turn until the budget is spent', () => {
  const timers: (() => void)[] = [];
  let clock = 0;
  const q = new TurnQueue({ gapMs: 0, budgetMs: 6, hidden: () => false, schedule: (run) => void timers.push(run), now: () => clock });
  const ran: number[] = [];
  // Each job takes 2 ms of the clock.
  for (let i = 0; i < 7; i++)
    q.enqueue(() => {
      ran.push(i);
      clock += 2;
    });
  timers.shift()!();
  assert.deepEqual(ran, [0, 1, 2], '3 jobs of 2 ms in a 6 ms budget');
  timers.shift()!();
  assert.deepEqual(ran, [0, 1, 2, 3, 4, 5]);
  timers.shift()!();
  assert.deepEqual(ran, [0, 1, 2, 3, 4, 5, 6]);
  assert.equal(q.length, 0);
});
