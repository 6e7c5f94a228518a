// Run history and comparison, in Node on fake-indexeddb: concurrent writers of one run record
// (a worker's epochs, a page's rename, a stale full write) all land; the runs' BroadcastChannel;
// export/import round trips (all-runs JSON and CSV, the lab's single-run JSON, `eac train --out`
// from tests/fixtures/runs/eac-train-out.json, a real CLI run) and refusals of wrong files; the
// paper-style table's last-5 means from recorded epochs; the URL state round trip.
//
//   node --import tsx --test tests/unit/run-history.test.ts
import 'fake-indexeddb/auto';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  appendEpoch,
  deleteRun,
  getRun,
  listRuns,
  markStopped,
  renameRun,
  saveRun,
  storeImportedRuns,
  RunStoreError,
  type RunRecord,
} from '../../src/storage/run-store.ts';
import { announceRun, closeRunChannel, listenRuns, type RunAnnouncement } from '../../src/storage/run-channel.ts';
import type { EpochMetrics } from '../../src/engine/run-types.ts';
import { buildRunJson, runJsonText } from '../../src/ui/export/run-export.ts';
import {
  cellEpochsText,
  comparisonTables,
  lastFiveMean,
  nextNoiseRate,
  noiseColumn,
  noiseRateOf,
  overlayRows,
  runColor,
  runColors,
  RUN_PALETTE,
  runStateOfRecord,
} from '../../src/ui/compare/compare-data.ts';
import {
  fingerprintOf,
  newRunsOnly,
  parseRunsFile,
  RunFileError,
  runsCsv,
  runsJson,
  runsJsonText,
} from '../../src/ui/compare/run-files.ts';
import { decodeUrlState, encodeUrlState, urlWithState } from '../../src/ui/url-state.ts';
import { DEFAULT_SETTINGS, draftOf } from '../../src/ui/settings.ts';

const CLI_FIXTURE = new URL('../fixtures/runs/eac-train-out.json', import.meta.url);

function epoch(n: number, testAcc: number, flipped = 3): EpochMetrics {
  return {
    epoch: n,
    steps: 2,
    loss: Math.max(0.1, 2 - n / 10),
    ce: Math.max(0.05, 1.9 - n / 10),
    consistency: 0.1,
    trainAccNoisy: 0.2 + n / 100,
    trainAccClean: 0.15 + n / 100,
    memorisation: {
      flipped,
      predictedNoisy: flipped ? Math.min(1, 0.1 * n) : null,
      predictedClean: flipped ? Math.min(1, 0.05 * n) : null,
    },
    testAcc,
    test: {
      accuracy: testAcc,
      perClassAccuracy: [testAcc, null, 0, 0, 0, 0, 1],
      confusion: [
        [1, 0],
        [0, 1],
      ],
    },
    lr: 1e-3 * 0.9 ** (n - 1),
    seconds: 1.5,
    imagesPerSecond: 20,
  };
}

let keyCount = 0;
function run(
  over: {
    method?: 'eac' | 'baseline';
    noise?: number;
    accs?: number[];
    key?: string;
    epochs?: number;
    arch?: 'resnet18' | 'resnet50';
  } = {},
): RunRecord {
  const accs = over.accs ?? [0.2, 0.3];
  return {
    key: over.key ?? `k${++keyCount}-${Math.random().toString(16).slice(2, 8)}`,
    name: `run ${keyCount}`,
    createdAt: new Date(2024, 0, 1, 0, keyCount).toISOString(),
    updatedAt: '',
    status: 'running',
    request: {
      config: {
        arch: over.arch ?? 'resnet18',
        width: 4,
        method: over.method ?? 'eac',
        lam: 5,
        epochs: over.epochs ?? 10,
        maxSteps: null,
        batchSize: 16,
        lr: 1e-3,
        weightDecay: 1e-4,
        gamma: 0.9,
        size: 32,
        seed: 0,
        augment: 'full',
        erasing: 'independent',
        shuffle: true,
        sampler: 'shuffle',
        layout: 'caffe',
        evalBatchSize: 50,
      },
      data: { kind: 'demo', seed: 0, trainCount: 32, testCount: 16, noiseRate: over.noise ?? 0.3, noiseSeed: 0 },
      weights: null,
      attention: { count: 4, seed: 0 },
    },
    epochs: accs.map((a, i) => epoch(i + 1, a)),
    checkpointEpoch: null,
    summary: null,
    error: null,
  };
}

// ---------------------------------------------------------------------------------------------
// The registry: concurrent writers

test('concurrent writers of one run: epochs, a rename and a stale full write all land', async () => {
  const r = run({ accs: [] });
  await saveRun(r);
  // A worker appending epochs while a page renames the run (twice) and another write races in.
  await Promise.all([
    appendEpoch(r.key, epoch(1, 0.1)),
    renameRun(r.key, '  first name '),
    appendEpoch(r.key, epoch(2, 0.2)),
    renameRun(r.key, 'Baseline at 30%'),
    appendEpoch(r.key, epoch(3, 0.3)),
  ]);
  let got = (await getRun(r.key))!;
  assert.equal(got.name, 'Baseline at 30%');
  assert.deepEqual(
    got.epochs.map((e) => e.epoch),
    [1, 2, 3],
    'every epoch written concurrently is there',
  );
  // The worker's own copy is stale (no name change, epochs from its last checkpoint): its write keeps both.
  await saveRun({ ...r, status: 'done', epochs: [epoch(1, 0.1)] });
  got = (await getRun(r.key))!;
  assert.equal(got.status, 'done');
  assert.equal(got.name, 'Baseline at 30%', 'the rename survives the worker’s write');
  assert.deepEqual(
    got.epochs.map((e) => e.epoch),
    [1, 2, 3],
    'epochs stored after the worker’s copy survive',
  );
  // A resumed run redoes epoch 2: it replaces epochs 2 and 3, it does not add to them.
  await appendEpoch(r.key, epoch(2, 0.25));
  got = (await getRun(r.key))!;
  assert.deepEqual(
    got.epochs.map((e) => [e.epoch, e.testAcc]),
    [
      [1, 0.1],
      [2, 0.25],
    ],
  );
});

test('many writers at once (two tabs renaming, a worker appending): nothing is lost', async () => {
  const r = run({ accs: [] });
  await saveRun(r);
  const writes: Promise<unknown>[] = [];
  for (let i = 1; i <= 20; i++) {
    writes.push(appendEpoch(r.key, epoch(i, i / 100)));
    if (i % 5 === 0) writes.push(renameRun(r.key, `name ${i}`));
  }
  await Promise.all(writes);
  const got = (await getRun(r.key))!;
  assert.equal(got.epochs.length, 20);
  assert.equal(got.name, 'name 20');
});

test('rename and epochs of a missing run, and bad names, fail with clear errors', async () => {
  await assert.rejects(renameRun('nope', 'x'), (e: unknown) => e instanceof RunStoreError && /no stored run nope/.test(e.message));
  await assert.rejects(appendEpoch('nope', epoch(1, 0.5)), /no stored run nope/);
  const r = run();
  await saveRun(r);
  await assert.rejects(renameRun(r.key, '   '), /a run needs a name/);
  await assert.rejects(renameRun(r.key, 'x'.repeat(201)), /at most 200 characters/);
  assert.equal((await getRun(r.key))!.name, r.name, 'a refused rename changes nothing');
  await assert.rejects(storeImportedRuns([r]), /already stored/, 'an import never overwrites a stored run');
  await deleteRun(r.key);
  assert.equal(await getRun(r.key), null);
});

test('markStopped: a run whose worker was terminated on Stop reads "stopped", not "interrupted"; a finished one is left as it is', async () => {
  const r = run({ accs: [0.2] });
  await saveRun({ ...r, status: 'running' });
  await markStopped(r.key);
  assert.equal((await getRun(r.key))?.status, 'stopped');
  const done = run({ accs: [0.3] });
  await saveRun({ ...done, status: 'done' });
  await markStopped(done.key);
  assert.equal((await getRun(done.key))?.status, 'done');
  await assert.rejects(markStopped('no-such-run'), /no stored run/);
});

test('run channel: announcements reach other listeners, foreign messages are ignored', async () => {
  const got: RunAnnouncement[] = [];
  const stop = listenRuns((m) => got.push(m));
  const other = new BroadcastChannel('eac-runs');
  other.postMessage({ type: 'something-else', key: 'x' });
  other.postMessage({ type: 'run-epoch' });
  announceRun({ type: 'run-started', key: 'a' });
  announceRun({ type: 'run-epoch', key: 'a', epoch: 1 });
  announceRun({ type: 'run-imported', keys: ['b', 'c'] });
  for (let i = 0; i < 50 && got.length < 3; i++) await new Promise((r) => setTimeout(r, 10));
  stop();
  other.close();
  closeRunChannel();
  assert.deepEqual(got, [
    { type: 'run-started', key: 'a' },
    { type: 'run-epoch', key: 'a', epoch: 1 },
    { type: 'run-imported', keys: ['b', 'c'] },
  ]);
});

// ---------------------------------------------------------------------------------------------
// Export and import

test('all runs → JSON → import: the same runs (fresh keys, no checkpoint), re-imports spotted', async () => {
  const a = { ...run({ method: 'baseline', noise: 0, accs: [0.1, 0.2, 0.3] }), checkpointEpoch: 3, name: 'a, "quoted" name' };
  a.epochs[1] = { ...a.epochs[1], loss: NaN };
  const b = run({ method: 'eac', noise: 0.3 });
  const text = runsJsonText(runsJson([a, b], new Date('2024-01-02T03:04:05Z')));
  let n = 0;
  const parsed = parseRunsFile(text, 'all.json', () => `imp-${++n}`, new Date('2024-02-01T00:00:00Z'));
  assert.equal(parsed.format, 'eac-lab-runs');
  assert.deepEqual(parsed.skipped, []);
  assert.deepEqual(
    parsed.records.map((r) => r.key),
    ['imp-1', 'imp-2'],
  );
  const [ra, rb] = parsed.records;
  assert.equal(ra.name, a.name);
  assert.equal(ra.checkpointEpoch, null);
  assert.equal(ra.imported?.file, 'all.json');
  assert.deepEqual(ra.request.config, a.request.config);
  assert.deepEqual(ra.request.data, a.request.data);
  assert.equal(ra.epochs.length, 3);
  assert.ok(Number.isNaN(ra.epochs[1].loss), 'a NaN loss (null in JSON) reads back as NaN');
  assert.deepEqual(
    ra.epochs.map((e) => e.testAcc),
    a.epochs.map((e) => e.testAcc),
  );
  assert.deepEqual(rb.epochs, b.epochs);
  assert.equal(lastFiveMean(rb), lastFiveMean(b));
  // Importing what this browser already has (or importing twice) adds nothing.
  const { fresh, duplicates } = newRunsOnly(parsed.records, [a, b]);
  assert.equal(fresh.length, 0);
  assert.equal(duplicates.length, 2);
  assert.equal(newRunsOnly(parsed.records, []).fresh.length, 2);
  assert.equal(fingerprintOf(ra), fingerprintOf(a));
  // Stored imports list with the others and keep their fields.
  await storeImportedRuns([rb]);
  const listed = (await listRuns()).find((r) => r.key === 'imp-2')!;
  assert.equal(listed.imported?.format, 'eac-lab-runs');
  assert.deepEqual(listed.epochs, b.epochs);
});

test('all runs → CSV: one row per run and epoch, with the run’s identity and last-5 mean', () => {
  const a = { ...run({ method: 'baseline', noise: 0.1, accs: [0.1, 0.2] }), name: 'has, comma' };
  const csv = runsCsv([a, run({ accs: [0.5] })]);
  const lines = csv.trimEnd().split('\r\n');
  assert.equal(lines.length, 1 + 2 + 1);
  const header = lines[0].split(',');
  assert.deepEqual(header.slice(0, 12), [
    'runKey',
    'runName',
    'status',
    'method',
    'arch',
    'width',
    'size',
    'noiseRate',
    'data',
    'epochsPlanned',
    'testAccLast5',
    'epoch',
  ]);
  assert.ok(lines[1].startsWith(`${a.key},"has, comma",running,baseline,resnet18,4,32,0.1,demo,10,${(0.1 + 0.2) / 2},1,`));
  assert.ok(header.includes('testAcc') && header.includes('memorisationPredictedNoisy'));
});

test('the lab’s single-run JSON export imports as one run', () => {
  const r = run({ method: 'baseline', noise: 0.2, accs: [0.3, 0.4, 0.5] });
  const doc = buildRunJson(
    {
      status: 'done',
      settings: null,
      error: null,
      startedAt: Date.parse('2024-03-01T10:00:00Z'),
      steps: [{ step: 1, epoch: 1, loss: 2, ce: 1.9, consistency: 0.1 }],
      epochs: r.epochs,
      summary: { testAccLast5: 0.4, finalTestAcc: 0.5, bestTestAcc: 0.5, epochs: 3, steps: 6, seconds: 12, stoppedBy: 'completed' },
      started: { config: r.request.config, data: r.request.data, flippedLabels: 6, trainCount: 32, testCount: 16 },
    },
    { backend: { name: 'wasm', adapter: null, reason: null }, versions: { tfjs: '4.22.0' }, exportedAt: new Date() },
  );
  const parsed = parseRunsFile(runJsonText(doc), 'one.json', () => 'imp-x');
  assert.equal(parsed.format, 'eac-lab-run');
  const [got] = parsed.records;
  assert.equal(got.status, 'done');
  assert.equal(got.createdAt, '2024-03-01T10:00:00.000Z');
  assert.equal(got.request.config.method, 'baseline');
  assert.equal(noiseRateOf(got), 0.2);
  assert.deepEqual(got.epochs, r.epochs);
  assert.equal(got.summary?.seconds, 12);
  assert.match(got.name, /^Baseline resnet18 · 20% noise · one\.json$/);
});

test('eac train --out imports: config, epochs, noise rate, summary', () => {
  const text = readFileSync(CLI_FIXTURE, 'utf8');
  const cli = JSON.parse(text);
  const parsed = parseRunsFile(text, 'run.json', () => 'imp-cli');
  assert.equal(parsed.format, 'eac-train');
  const [got] = parsed.records;
  assert.equal(got.request.config.arch, cli.config.arch);
  assert.equal(got.request.config.epochs, cli.config.epochs);
  assert.equal(got.request.data.kind, 'demo');
  assert.equal(noiseRateOf(got), cli.noise.rate);
  assert.equal(noiseColumn(noiseRateOf(got)), 25);
  assert.deepEqual(
    got.epochs.map((e) => e.testAcc),
    cli.epochs.map((e: EpochMetrics) => e.testAcc),
  );
  assert.equal(lastFiveMean(got), cli.summary.testAccLast5);
  assert.equal(got.summary?.seconds, cli.summary.seconds);
  assert.equal(got.checkpointEpoch, null);
  assert.equal(got.status, 'done');
});

test('wrong files are refused with a message that says what was expected', () => {
  const key = () => 'k';
  const refuse = (text: string, re: RegExp) =>
    assert.throws(
      () => parseRunsFile(text, 'f.json', key),
      (e: unknown) => e instanceof RunFileError && re.test(e.message),
    );
  refuse('not json', /f\.json is not JSON .*expected the lab's run export or the output of eac train --out/);
  refuse('[1,2]', /expected a JSON object/);
  refuse('{"hello": 1}', /not a run export: expected the lab's JSON export/);
  refuse('{"format": "eac-bench"}', /is a "eac-bench" file, not a run export/);
  refuse('{"format": "eac-lab-runs", "formatVersion": 9, "runs": []}', /version 9; this lab reads version 1/);
  const cli = JSON.parse(readFileSync(CLI_FIXTURE, 'utf8'));
  refuse(
    JSON.stringify({ ...cli, config: { ...cli.config, arch: 'vgg' } }),
    /^f\.json\.config\.arch: expected one of resnet50, resnet18, got "vgg"$/,
  );
  refuse(
    JSON.stringify({ ...cli, epochs: [{ ...cli.epochs[0], testAcc: 7 }] }),
    /^f\.json\.epochs\[0\]\.testAcc: expected an accuracy in \[0, 1\], got 7$/,
  );
  // The same rules as eac sweep --import: every field, by its flag's range.
  refuse(
    JSON.stringify({ ...cli, config: { ...cli.config, epochs: 1e15 } }),
    /^f\.json\.config\.epochs: expected an integer in \[1, 100000\]/,
  );
  refuse(JSON.stringify({ ...cli, data: { ...cli.data, train: 1e9 } }), /^f\.json\.data\.train: expected an integer in \[1, 20000\]/);
  refuse(JSON.stringify({ ...cli, epochs: [{ ...cli.epochs[0], loss: -1 }] }), /^f\.json\.epochs\[0\]\.loss: expected a finite loss ≥ 0/);
  refuse(`{"a":${'['.repeat(40)}`, /f\.json is refused: it nests deeper than 32 levels/);
  // A file name with control characters is escaped in the message.
  assert.throws(
    () => parseRunsFile('x', 'a\u001b]0;t\u0007.json', key),
    (e: unknown) => e instanceof RunFileError && e.message.startsWith('a\\u001b]0;t\\u0007.json is not JSON'),
  );
  // In an all-runs file, a bad run is skipped and reported; the others come in.
  const good = run();
  const parsed = parseRunsFile(
    JSON.stringify({ format: 'eac-lab-runs', formatVersion: 1, runs: [good, { name: 'broken' }] }),
    'f.json',
    key,
  );
  assert.equal(parsed.records.length, 1);
  assert.match(parsed.skipped[0], /f\.json, run 2: not a stored run/);
});

// ---------------------------------------------------------------------------------------------
// The table and the curves

test('table: each cell is the mean of the last 5 recorded test accuracies (mean over its runs), paper columns always there', () => {
  const accs = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7];
  const eac30 = run({ method: 'eac', noise: 0.3, accs, epochs: 10 });
  // Planned for 10 epochs like eac30, stopped after 2: the same cell.
  const eac30b = run({ method: 'eac', noise: 0.3, accs: [0.5, 0.9], epochs: 10 });
  const base0 = run({ method: 'baseline', noise: 0, accs: [0.4] });
  const base15 = run({ method: 'baseline', noise: 0.15, accs: [0.25, 0.35] });
  const empty = run({ method: 'baseline', noise: 0.1, accs: [] });
  const other = run({ method: 'eac', noise: 0.3, accs: [0.9], arch: 'resnet50' });
  const short = run({ method: 'eac', noise: 0.3, accs: [0.2, 0.3], epochs: 2 });
  const tables = comparisonTables([eac30, eac30b, base0, base15, empty, other, short]);
  assert.equal(tables.length, 3, 'another backbone, and another number of planned epochs, get their own tables');
  const shortTable = tables.find((t) => t.cells.eac[30]?.keys.includes(short.key));
  assert.ok(shortTable && shortTable.cells.eac[30].runs === 1, 'a 2-epoch run is not merged with 10-epoch runs');
  assert.match(shortTable.label, /2 epochs$/);
  const t = tables[0];
  assert.deepEqual(t.columns, [0, 10, 15, 20, 30]);
  const last5 = (0.3 + 0.4 + 0.5 + 0.6 + 0.7) / 5;
  assert.equal(lastFiveMean(eac30), last5);
  const cell = t.cells.eac[30];
  assert.equal(cell.runs, 2);
  assert.ok(Math.abs(cell.mean - (last5 + 0.7) / 2) < 1e-12);
  assert.deepEqual(cell.epochsDone, [7, 2]);
  assert.equal(cellEpochsText(cell), '2 runs, 2–7 epochs');
  assert.equal(t.cells.baseline[0].mean, 0.4);
  assert.equal(cellEpochsText(t.cells.baseline[0]), '1/10 epochs');
  assert.ok(Math.abs(t.cells.baseline[15].mean - 0.3) < 1e-12);
  assert.equal(t.cells.baseline[10], undefined, 'a run without an epoch is not in the table');
  assert.equal(tables.find((x) => x.label.includes('ResNet-50'))?.cells.eac[30].mean, 0.9);
});

test('noise rate of cached runs from a RAF-DB noise file, and the next comparison tab’s rate', () => {
  const r = run({ noise: 0 });
  r.request.data = { kind: 'cached', key: 'abc', name: 'RAF-DB', labelFile: 'noise02.txt', noiseRate: 0, noiseSeed: 0 };
  assert.equal(noiseRateOf(r), 0.2);
  assert.equal(noiseRateOf({ ...r, labelNoise: 0.3033 }), 0.3033);
  assert.equal(noiseColumn(0.3033), 30);
  assert.deepEqual([0, 0.1, 0.2, 0.3, 0.25].map(nextNoiseRate), [0.1, 0.2, 0.3, 0, 0.3]);
});

test('curves: one column per run, aligned by epoch; colours stable per key', () => {
  const a = run({ accs: [0.1, 0.2, 0.3] });
  const b = run({ accs: [0.5] });
  const rows = overlayRows([a, b], (e) => e.testAcc, { prefix: 'c', pick: (e) => e.memorisation.predictedClean });
  assert.deepEqual(
    rows.map((r) => [r.epoch, r.s0, r.s1 ?? null]),
    [
      [1, 0.1, 0.5],
      [2, 0.2, null],
      [3, 0.3, null],
    ],
  );
  assert.equal(rows[0].c0, 0.05);
  assert.equal(runColor(a.key), runColor(a.key));
  assert.ok((RUN_PALETTE as readonly string[]).includes(runColor(a.key)));
  const spread = new Set(Array.from({ length: 200 }, (_, i) => runColor(`key-${i}`)));
  assert.equal(spread.size, RUN_PALETTE.length, 'keys spread over the whole palette');
  // Stored runs get distinct colours up to the palette's size, the same whatever order a tab lists them in.
  const many = Array.from({ length: RUN_PALETTE.length }, () => run());
  const colors = runColors(many);
  assert.equal(new Set(colors.values()).size, RUN_PALETTE.length);
  assert.deepEqual([...runColors(many.slice().reverse())].sort(), [...colors].sort());
  const oldest = many.slice().sort((x, y) => x.createdAt.localeCompare(y.createdAt))[0];
  assert.equal(colors.get(oldest.key), runColor(oldest.key), 'the oldest run keeps its own colour');
});

test('a stored run as the lab’s read-only run state', () => {
  const r = { ...run({ method: 'baseline', noise: 0.3, accs: [0.2, 0.4] }), status: 'done' as const, checkpointEpoch: 2 };
  const st = runStateOfRecord(r, [{ step: 1, epoch: 1, loss: 2, ce: 2, consistency: 0 }], null);
  assert.equal(st.id, 0, 'id 0: worker messages never touch it');
  assert.equal(st.status, 'done');
  assert.equal(st.settings?.method, 'baseline');
  assert.equal(st.settings?.noiseRate, 0.3);
  assert.equal(st.started?.flippedLabels, 3);
  assert.equal(st.steps.length, 1);
  assert.deepEqual(st.epochs, r.epochs);
  assert.equal(runStateOfRecord({ ...r, status: 'running' }, [], null).status, 'stopped');
});

// ---------------------------------------------------------------------------------------------
// URL state

test('URL state: only non-default settings, the data and the weights; round trip; bad values skipped', () => {
  const draft = { ...draftOf(DEFAULT_SETTINGS), noiseRate: '0.3', method: 'baseline' as const, width: '4', size: '32', lr: '0.0010' };
  const q = encodeUrlState({ draft, data: { kind: 'cached', key: 'ds-1', labelFile: 'noise03.txt' }, weights: 'w-9' });
  assert.equal(
    q.toString(),
    'width=4&method=baseline&noise=0.3&size=32&data=ds-1&labels=noise03.txt&weights=w-9',
    'lr 0.0010 equals the default 0.001: left out',
  );
  const back = decodeUrlState(`?${q}`);
  assert.equal(back.present, true);
  assert.deepEqual(back.problems, []);
  assert.deepEqual(back.draft, { width: '4', method: 'baseline', noiseRate: '0.3', size: '32' });
  assert.deepEqual(back.data, { kind: 'cached', key: 'ds-1', labelFile: 'noise03.txt' });
  assert.equal(back.weights, 'w-9');
  // Every setting survives the trip.
  const full = decodeUrlState(`?${encodeUrlState({ draft, data: { kind: 'demo' }, weights: null })}`);
  assert.deepEqual({ ...draftOf(DEFAULT_SETTINGS), ...full.draft }, { ...draft, lr: String(DEFAULT_SETTINGS.lr) });
  assert.equal(encodeUrlState({ draft: draftOf(DEFAULT_SETTINGS), data: { kind: 'demo' }, weights: null }).toString(), '');

  const bad = decodeUrlState('?width=abc&method=sgd&noise=1.5&epochs=2&debug');
  assert.deepEqual(bad.draft, { epochs: '2' });
  assert.equal(bad.problems.length, 3);
  assert.match(bad.problems.join('\n'), /width=abc \(network width must be a number\)/);
  assert.match(bad.problems.join('\n'), /method=sgd \(method must be one of EAC, Baseline\)/);
  assert.equal(decodeUrlState('?debug').present, false, 'other parameters are not lab state');

  const url = urlWithState('http://x/?debug&noise=0.1&epochs=9#compare', {
    draft: { ...draftOf(DEFAULT_SETTINGS), epochs: '3' },
    data: { kind: 'demo' },
    weights: null,
  });
  assert.equal(url, 'http://x/?debug=&epochs=3#compare', 'other parameters and the hash kept, stale ones dropped');
});
