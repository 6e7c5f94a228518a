// The lab's sweep driver decisions (src/ui/sweep/sweep-decisions.ts): which queue events a change
// of the lab's run means, and what the driver does next (start, resume from the checkpoint, stop a
// skipped cell's run, wait). A whole 2×2 sweep is driven through these pure functions with a
// "reload" in the middle; also the sweep file reader of the comparison view (sweep-files.ts).
//
//   node --import tsx --test tests/unit/sweep-driver.test.ts
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  createSweep,
  reduceSweep,
  sweepFinished,
  sweepJsonText,
  sweepTable,
  type SweepEvent,
  type SweepState,
} from '../../src/engine/sweep/index.ts';
import type { RunSummary } from '../../src/engine/run-types.ts';
import { abandonedRuns, cellOfRun, decide, eventsOf, settingsOfCell, type LabRun } from '../../src/ui/sweep/sweep-decisions.ts';
import { readSweepFile, sweepExport } from '../../src/ui/sweep/sweep-files.ts';
import { formOfSweep, parseList } from '../../src/ui/sweep/sweep-form.ts';
import { freshTinySweep, TINY_SWEEP } from './tiny-sweep.ts';

const fresh = freshTinySweep;
const apply = (s: SweepState, events: SweepEvent[]) => events.reduce(reduceSweep, s);
const summary = (acc: number, stoppedBy: RunSummary['stoppedBy'] = 'completed'): RunSummary => ({
  testAccLast5: acc,
  finalTestAcc: acc,
  bestTestAcc: acc,
  epochs: 4,
  steps: 8,
  seconds: 4,
  stoppedBy,
});
const idle: LabRun = {
  status: 'idle',
  runKey: null,
  progress: null,
  summary: null,
  error: null,
  errorKind: null,
  checkpointEpoch: null,
  checkpointStep: null,
};
const progress = (step: number) =>
  ({
    type: 'progress',
    runId: 1,
    phase: 'train',
    epoch: 1,
    epochs: 4,
    step,
    stepInEpoch: step % 2,
    stepsPerEpoch: 2,
    totalSteps: 8,
    imagesPerSecond: 10,
    etaSeconds: null,
  }) as const;

test('a fresh sweep starts its first cell with the cell’s method, seed and noise rate', () => {
  const a = decide(fresh(), idle, new Map());
  assert.equal(a.type, 'start');
  if (a.type !== 'start') return;
  assert.equal(a.cell.id, 'baseline-noise0-seed0');
  assert.deepEqual(a.config, { ...TINY_SWEEP.config, method: 'baseline', seed: 0 });
  assert.equal(a.data.noiseRate, 0);
  const s = settingsOfCell(fresh(), { ...a.cell, id: 'eac-noise0.3-seed0', method: 'eac', noiseRate: 0.3 }, 2);
  assert.equal(s.method, 'eac');
  assert.equal(s.noiseRate, 0.3);
  assert.equal(s.epochs, 4);
  assert.equal(s.trainCount, 32);
  assert.equal(s.attentionCount, 2);
});

test('the lab’s run becomes progress, checkpoint and finish events; then the next cell starts', () => {
  let s = apply(fresh(), [{ type: 'start', cellId: 'baseline-noise0-seed0', runId: 'k1', at: 1000 }]);
  const starting: LabRun = { ...idle, status: 'starting', runKey: 'k1' };
  const training: LabRun = { ...starting, status: 'training', progress: progress(2) };
  let ev = eventsOf(s, starting, training, 3000, 5);
  assert.deepEqual(ev, [{ type: 'progress', cellId: 'baseline-noise0-seed0', step: 2, totalSteps: 8, seconds: 7 }]);
  s = apply(s, ev);
  const ckpt: LabRun = { ...training, checkpointEpoch: 1, checkpointStep: 2 };
  ev = eventsOf(s, training, ckpt, 3500, 0);
  assert.deepEqual(ev, [{ type: 'checkpoint', cellId: 'baseline-noise0-seed0', epoch: 1, step: 2, at: 3500 }]);
  s = apply(s, ev);
  assert.equal(decide(s, ckpt, new Map([['k1', 'baseline-noise0-seed0']])).type, 'wait');
  const done: LabRun = { ...ckpt, status: 'done', summary: summary(0.5) };
  ev = eventsOf(s, ckpt, done, 4000, 0);
  assert.deepEqual(ev, [{ type: 'finish', cellId: 'baseline-noise0-seed0', summary: summary(0.5), at: 4000 }]);
  s = apply(s, ev);
  assert.equal(s.cells['baseline-noise0-seed0'].status, 'done');
  // A run that is not the sweep's means nothing to it.
  assert.deepEqual(eventsOf(s, idle, { ...done, runKey: 'other' }, 5000, 0), []);
  const next = decide(s, done, new Map());
  assert.equal(next.type === 'start' && next.cell.id, 'baseline-noise0.3-seed0');
});

test('a reload mid-run: the cell resumes from its checkpoint under its own run key', () => {
  let s = apply(fresh(), [
    { type: 'start', cellId: 'baseline-noise0-seed0', runId: 'k1', at: 1 },
    { type: 'checkpoint', cellId: 'baseline-noise0-seed0', epoch: 2, step: 4, at: 2 },
  ]);
  s = reduceSweep(s, { type: 'reloaded' });
  const a = decide(s, idle, new Map());
  assert.deepEqual(a.type === 'resume' && [a.cell.id, a.runKey], ['baseline-noise0-seed0', 'k1']);
  // The lab is busy with its own run: the sweep waits.
  assert.equal(decide(s, { ...idle, status: 'training', runKey: 'users-own' }, new Map()).type, 'wait');
});

test('skip and cancel stop the running cell’s run; the next cell follows', () => {
  let s = apply(fresh(), [{ type: 'start', cellId: 'baseline-noise0-seed0', runId: 'k1', at: 1 }]);
  const lab: LabRun = { ...idle, status: 'training', runKey: 'k1' };
  const keys = new Map([['k1', 'baseline-noise0-seed0']]);
  s = reduceSweep(s, { type: 'skip', cellId: 'baseline-noise0-seed0' });
  assert.deepEqual(decide(s, lab, keys), { type: 'stop', runKey: 'k1' });
  assert.equal(decide(s, { ...lab, status: 'stopping' }, keys).type, 'wait');
  // The stopped run's late answer does not touch the skipped cell.
  const stopped: LabRun = { ...lab, status: 'stopped', summary: summary(0.1, 'cancelled') };
  assert.deepEqual(eventsOf(s, lab, stopped, 9, 0), []);
  const next = decide(s, stopped, keys);
  assert.equal(next.type === 'start' && next.cell.id, 'baseline-noise0.3-seed0');
  // Cancel: every open cell; the running run is stopped; nothing starts.
  let c = apply(s, [{ type: 'start', cellId: 'baseline-noise0.3-seed0', runId: 'k2', at: 10 }, { type: 'cancel' }]);
  c = apply(c, []);
  assert.deepEqual(decide(c, { ...lab, runKey: 'k2' }, new Map([['k2', 'baseline-noise0.3-seed0']])), { type: 'stop', runKey: 'k2' });
  assert.equal(decide(c, idle, new Map()).type, 'wait');
  assert.ok(sweepFinished(c));
});

test('the user stopping a sweep run pauses the sweep; errors fail the cell; a lost device resumes it', () => {
  const s = apply(fresh(), [
    { type: 'start', cellId: 'eac-noise0-seed0', runId: 'k1', at: 1 },
    { type: 'checkpoint', cellId: 'eac-noise0-seed0', epoch: 1, step: 2, at: 2 },
  ]);
  const lab: LabRun = { ...idle, status: 'training', runKey: 'k1', checkpointEpoch: 1, checkpointStep: 2 };
  const stopped = apply(s, eventsOf(s, lab, { ...lab, status: 'stopped', summary: summary(0.2, 'cancelled') }, 3, 0));
  assert.equal(stopped.paused, true);
  assert.equal(stopped.cells['eac-noise0-seed0'].status, 'resumable');
  assert.equal(decide(stopped, idle, new Map()).type, 'wait');
  const resumed = reduceSweep(stopped, { type: 'resume' });
  assert.equal(decide(resumed, idle, new Map()).type, 'resume');

  const failed = apply(s, eventsOf(s, lab, { ...lab, status: 'error', error: 'out of memory\nstack…', errorKind: 'other' }, 3, 0));
  const fc = failed.cells['eac-noise0-seed0'];
  assert.deepEqual(fc.status === 'failed' && fc.reason, 'out of memory');

  const lost = apply(s, eventsOf(s, lab, { ...lab, status: 'error', error: 'device lost', errorKind: 'device-lost' }, 3, 0));
  assert.equal(lost.cells['eac-noise0-seed0'].status, 'resumable');
  // The runner resumes the run by itself: the cell runs again, its checkpoint kept.
  const again: LabRun = { ...lab, status: 'starting' };
  const back = apply(lost, eventsOf(lost, { ...lab, status: 'error' }, again, 4, 0));
  const bc = back.cells['eac-noise0-seed0'];
  assert.deepEqual(bc.status === 'running' && [bc.runId, bc.checkpoint?.epoch], ['k1', 1]);
  assert.equal(cellOfRun(back, 'k1')?.id, 'eac-noise0-seed0');
});

/** A tiny fake lab: runs a started cell through epochs, one tick at a time. */
function driveSweep(reloadAtTick: number): { state: SweepState; starts: string[]; resumes: string[] } {
  let s = fresh();
  let lab: LabRun = idle;
  let epoch = 0;
  let nextKey = 1;
  const keys = new Map<string, string>();
  const starts: string[] = [];
  const resumes: string[] = [];
  const accs: Record<string, number> = {};
  const setLab = (next: LabRun, now: number) => {
    s = apply(s, eventsOf(s, lab, next, now, 0));
    lab = next;
  };
  for (let tick = 0; tick < 200 && !sweepFinished(s); tick++) {
    if (tick === reloadAtTick) {
      // The page reloads: the lab forgets its run, the stored queue is read back.
      s = reduceSweep(JSON.parse(JSON.stringify(s)), { type: 'reloaded' });
      lab = idle;
      keys.clear();
      continue;
    }
    const a = decide(s, lab, keys);
    if (a.type === 'start') {
      const key = `k${nextKey++}`;
      keys.set(key, a.cell.id);
      starts.push(a.cell.id);
      accs[key] = a.cell.method === 'eac' ? 0.6 - a.cell.noiseRate : 0.5 - a.cell.noiseRate;
      s = reduceSweep(s, { type: 'start', cellId: a.cell.id, runId: key, at: tick });
      epoch = 0;
      setLab({ ...idle, status: 'starting', runKey: key }, tick);
    } else if (a.type === 'resume') {
      resumes.push(a.runKey);
      const c = s.cells[a.cell.id];
      epoch = c.status === 'resumable' ? c.checkpoint.epoch : 0;
      s = reduceSweep(s, { type: 'start', cellId: a.cell.id, runId: a.runKey, at: tick });
      setLab({ ...idle, status: 'starting', runKey: a.runKey, checkpointEpoch: epoch, checkpointStep: epoch * 2 }, tick);
    } else if (lab.status === 'starting' || lab.status === 'training') {
      epoch++;
      const ck = { checkpointEpoch: epoch, checkpointStep: epoch * 2, progress: progress(epoch * 2) };
      if (epoch < 4) setLab({ ...lab, status: 'training', ...ck }, tick);
      else setLab({ ...lab, ...ck, status: 'done', summary: summary(accs[lab.runKey!]) }, tick);
    }
  }
  return { state: s, starts, resumes };
}

test('a whole 2×2 sweep driven through the decisions, with a reload mid-run, fills every cell once', () => {
  const plain = driveSweep(-1);
  assert.ok(sweepFinished(plain.state));
  assert.equal(plain.starts.length, 4);
  // Tick 8: the second cell has trained past a checkpoint.
  const reloaded = driveSweep(8);
  assert.ok(sweepFinished(reloaded.state));
  assert.deepEqual(reloaded.starts, plain.starts, 'no cell started twice');
  assert.equal(reloaded.resumes.length, 1, 'the interrupted cell resumed from its checkpoint');
  const t = sweepTable(reloaded.state);
  assert.deepEqual(
    t.rows.map((r) => r.cells.map((c) => c.mean)),
    [
      [0.5, 0.5 - 0.3],
      [0.6, 0.6 - 0.3],
    ],
  );
});

test('sweep files: a sweep re-imports, a train --out run joins its cell, bad files get one line', () => {
  const s = fresh();
  const back = readSweepFile('a.json', sweepJsonText(s), null, 1);
  assert.equal(back.kind, 'sweep');
  assert.deepEqual(back.state, s);
  for (const f of ['csv', 'md', 'tex', 'json'] as const) assert.ok(sweepExport(s, f).text.length > 0);
  assert.throws(() => readSweepFile('x.json', 'nope', s, 1), /^Error: x\.json: not JSON/);
  assert.throws(
    () => readSweepFile('x.json', '{"format":"eac-sweep"}', s, 1),
    (e: Error) => e.message.startsWith('x.json') && !e.message.includes('\n'),
  );
  assert.throws(() => readSweepFile('r.json', '{"config":{}}', null, 1), /open or start a sweep first/);
  // Bounded before parsing; a name's control characters escaped; a run's fields range-checked.
  assert.throws(
    () => readSweepFile('deep\u001b.json', `{"a":${'['.repeat(40)}`, s, 1),
    (e: Error) => e.message === 'deep\\u001b.json: it nests deeper than 32 levels (a sweep file or an eac train --out run was expected)',
  );
  // The CLI's own run file joins a sweep with its settings (fixture: tests/fixtures/runs/eac-train-out.json).
  const text = readFileSync(new URL('../fixtures/runs/eac-train-out.json', import.meta.url), 'utf8');
  const doc = JSON.parse(text);
  const mismatched = readSweepFile.bind(null, 'run.json', text, s, 1);
  assert.throws(mismatched, /^Error: run\.json: /);
  const { method: _m, seed: _s, ...shared } = doc.config;
  const own = createSweep(
    {
      methods: [doc.config.method],
      noiseRates: [doc.noise ? doc.noise.rate : 0],
      seeds: [doc.config.seed],
      config: shared,
      data: { kind: 'demo', seed: 0, trainCount: doc.data.train, testCount: doc.data.test, noiseRate: 0, noiseSeed: 0 },
    },
    { id: 'own', name: 'own', createdAt: 0 },
  );
  const edited = { ...doc, epochs: doc.epochs.map((e: { loss: number }, i: number) => (i === 1 ? { ...e, loss: -2 } : e)) };
  assert.throws(
    () => readSweepFile('run.json', JSON.stringify(edited), own, 7),
    (e: Error) => e.message === 'run.json.epochs[1].loss: expected a finite loss ≥ 0, got -2',
  );
  const joined = readSweepFile('run.json', text, own, 7);
  assert.equal(joined.kind, 'run');
  if (joined.kind !== 'run') return;
  const c = joined.state.cells[joined.cellId];
  assert.ok(c.status === 'done' && c.imported);
  assert.throws(() => readSweepFile('run.json', text, joined.state, 8), /already has a result/);
});

test('the panel’s lists: rates as fractions or percents, seeds as whole numbers, errors in one line', () => {
  assert.deepEqual(parseList('0, 0.1 20%;30%', 'noise'), [0, 0.1, 0.2, 0.3]);
  assert.deepEqual(parseList('0 1 2', 'seed'), [0, 1, 2]);
  assert.equal(parseList('1', 'noise'), 'noise rates are from 0 to below 1 (or 0% to 99%), got 1');
  assert.equal(parseList('1.5', 'seed'), 'seeds are whole numbers from 0, got 1.5');
  assert.equal(parseList('', 'seed'), 'at least one seed');
});

test('a reload leaves one run per cell: a run that died before its first checkpoint is dropped, a checkpointed one resumed', () => {
  let s = fresh();
  const [a, b] = s.order;
  s = apply(s, [
    { type: 'start', cellId: a, runId: 'run-a', at: 1 },
    { type: 'checkpoint', cellId: a, epoch: 0, step: 3, at: 2 },
  ]);
  const before = s;
  // Cell a has a checkpoint: resumed under its own run, nothing dropped.
  const reloaded = reduceSweep(before, { type: 'reloaded' });
  assert.deepEqual(abandonedRuns(before, reloaded), []);
  assert.equal(decide(reloaded, idle, new Map()).type, 'resume');
  // Cell b died before any checkpoint: it starts afresh, and its dead run goes.
  const bRunning = apply(fresh(), [{ type: 'start', cellId: b, runId: 'run-b', at: 1 }]);
  assert.deepEqual(abandonedRuns(bRunning, reduceSweep(bRunning, { type: 'reloaded' })), ['run-b']);
  assert.deepEqual(abandonedRuns(bRunning, bRunning), [], 'no change, nothing dropped');
});

test('the sweep form of a running sweep shows its axes, not the defaults', () => {
  assert.deepEqual(formOfSweep(TINY_SWEEP, 'tiny'), {
    methods: ['baseline', 'eac'],
    noise: '0, 0.3',
    seeds: '0',
    name: 'tiny',
    axisTexts: {},
  });
  assert.deepEqual(
    formOfSweep({ ...TINY_SWEEP, axes: { lr: [1e-4, 2e-4] } }, 'lr').axisTexts,
    { lr: '0.0001, 0.0002' },
    'its other axes too',
  );
  const f = formOfSweep({ ...TINY_SWEEP, methods: ['eac'], noiseRates: [0.1, 0.2], seeds: [0, 1] }, 's');
  assert.equal(
    f.methods.length * (parseList(f.noise, 'noise') as number[]).length * (parseList(f.seeds, 'seed') as number[]).length,
    4,
    '4 runs, not 8',
  );
});
