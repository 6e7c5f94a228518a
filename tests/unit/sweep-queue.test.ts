// The sweep's queue state machine (src/engine/sweep/reducer.ts): a reload mid-run resumes from the
// last checkpoint, skip / cancel / requeue / reorder / pause, stale events change nothing, and the
// whole-sweep ETA.
//
//   node --import tsx --test tests/unit/sweep-queue.test.ts
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  createSweep,
  expandGrid,
  moveCell,
  nextCell,
  reduceSweep,
  sweepCounts,
  sweepEta,
  sweepFinished,
  type SweepEvent,
  type SweepSpec,
  type SweepState,
} from '../../src/engine/sweep/index.ts';
import type { RunSummary } from '../../src/engine/run-types.ts';
import { oneLine } from '../../src/engine/sweep/reducer.ts';

const spec: SweepSpec = {
  methods: ['baseline', 'eac'],
  noiseRates: [0, 0.2],
  seeds: [0],
  config: { arch: 'resnet18', width: 2, size: 32, epochs: 2 },
  data: { kind: 'demo', seed: 0, trainCount: 16, testCount: 8, noiseRate: 0, noiseSeed: 0 },
};
const fresh = () => createSweep(spec, { id: 'test', name: 'test sweep', createdAt: 1000 });
const summary = (acc: number, seconds = 10, stoppedBy: RunSummary['stoppedBy'] = 'completed'): RunSummary => ({
  testAccLast5: acc,
  finalTestAcc: acc,
  bestTestAcc: acc,
  epochs: 2,
  steps: 4,
  seconds,
  stoppedBy,
});
const apply = (s: SweepState, ...events: SweepEvent[]) => events.reduce(reduceSweep, s);

test('the grid: stable ids, readable names, seed-major order', () => {
  const g = expandGrid({ ...spec, seeds: [0, 1] });
  assert.deepEqual(
    g.map((c) => c.id),
    [
      'baseline-noise0-seed0',
      'baseline-noise0.2-seed0',
      'eac-noise0-seed0',
      'eac-noise0.2-seed0',
      'baseline-noise0-seed1',
      'baseline-noise0.2-seed1',
      'eac-noise0-seed1',
      'eac-noise0.2-seed1',
    ],
  );
  assert.equal(g[7].name, 'EAC, noise 20%, seed 1');
  assert.equal(g[0].name, 'Baseline, noise 0%, seed 0');
  assert.throws(() => expandGrid({ ...spec, noiseRates: [0.1, 0.1] }), /0\.1 is listed twice/);
  assert.throws(() => expandGrid({ ...spec, noiseRates: [1] }), /noise rate must be a number in \[0, 1\)/);
  assert.throws(() => expandGrid({ ...spec, seeds: [] }), /no seeds/);
});

test('a run goes pending → running → done; nextCell walks the order', () => {
  let s = fresh();
  const first = nextCell(s)!;
  assert.equal(first.cell.id, 'baseline-noise0-seed0');
  assert.equal(first.resume, null);
  s = apply(s, { type: 'start', cellId: first.cell.id, runId: 'r1', at: 2000 });
  assert.equal(s.cells[first.cell.id].status, 'running');
  assert.equal(nextCell(s)!.cell.id, 'baseline-noise0.2-seed0', 'a running cell is not offered again');
  s = apply(s, { type: 'finish', cellId: first.cell.id, summary: summary(0.5), at: 3000 });
  const done = s.cells[first.cell.id];
  assert.equal(done.status, 'done');
  assert.equal(done.status === 'done' && done.runId, 'r1');
  assert.deepEqual(sweepCounts(s), { pending: 3, running: 0, resumable: 0, done: 1, failed: 0, skipped: 0, cancelled: 0, total: 4 });
});

test('reload mid-run: the running cell resumes from its last checkpoint, first', () => {
  let s = fresh();
  s = apply(
    s,
    { type: 'reorder', order: ['eac-noise0.2-seed0', 'baseline-noise0-seed0', 'baseline-noise0.2-seed0', 'eac-noise0-seed0'] },
    { type: 'start', cellId: 'eac-noise0-seed0', runId: 'r9', at: 1 },
    { type: 'checkpoint', cellId: 'eac-noise0-seed0', step: 2, epoch: 1, at: 5 },
    { type: 'progress', cellId: 'eac-noise0-seed0', step: 3, totalSteps: 4, seconds: 6 },
  );
  // The state as stored survives JSON (the lab's IndexedDB, the CLI's sweep.json).
  s = apply(JSON.parse(JSON.stringify(s)) as SweepState, { type: 'reloaded' });
  assert.deepEqual(s.cells['eac-noise0-seed0'], {
    status: 'resumable',
    runId: 'r9',
    checkpoint: { step: 2, epoch: 1, at: 5 },
    progress: { step: 3, totalSteps: 4, seconds: 6 },
  });
  const n = nextCell(s)!;
  assert.equal(n.cell.id, 'eac-noise0-seed0', 'the interrupted run comes before the first pending cell');
  assert.deepEqual(n.resume, { runId: 'r9', checkpoint: { step: 2, epoch: 1, at: 5 } });
  s = apply(s, { type: 'start', cellId: 'eac-noise0-seed0', runId: 'r9', at: 7 });
  const c = s.cells['eac-noise0-seed0'];
  assert.equal(c.status === 'running' && c.checkpoint?.step, 2, 'resuming keeps the checkpoint');
});

test('reload of a run that never checkpointed: back to pending (nothing to resume), never lost', () => {
  const s = apply(fresh(), { type: 'start', cellId: 'eac-noise0-seed0', runId: 'r1', at: 1 }, { type: 'reloaded' });
  assert.deepEqual(s.cells['eac-noise0-seed0'], { status: 'pending' });
  assert.equal(sweepCounts(s).pending, 4);
});

test('a run stopped by cancel (Ctrl-C) is interrupted, not done', () => {
  const s = apply(
    fresh(),
    { type: 'start', cellId: 'eac-noise0-seed0', runId: 'r1', at: 1 },
    { type: 'checkpoint', cellId: 'eac-noise0-seed0', step: 1, epoch: 0, at: 2 },
    { type: 'finish', cellId: 'eac-noise0-seed0', summary: summary(0.3, 1, 'cancelled'), at: 3 },
  );
  assert.equal(s.cells['eac-noise0-seed0'].status, 'resumable');
});

test('skip, cancel one, cancel all, requeue, fail', () => {
  let s = apply(fresh(), { type: 'skip', cellId: 'baseline-noise0-seed0' });
  assert.equal(s.cells['baseline-noise0-seed0'].status, 'skipped');
  assert.equal(nextCell(s)!.cell.id, 'baseline-noise0.2-seed0');
  s = apply(
    s,
    { type: 'start', cellId: 'baseline-noise0.2-seed0', runId: 'r2', at: 1 },
    { type: 'skip', cellId: 'baseline-noise0.2-seed0' },
  );
  assert.equal(s.cells['baseline-noise0.2-seed0'].status, 'skipped', 'skipping the running cell (the runner stops it)');
  const late = reduceSweep(s, { type: 'finish', cellId: 'baseline-noise0.2-seed0', summary: summary(0.4), at: 2 });
  assert.equal(late, s, "a late finish of a skipped cell's run changes nothing");
  s = apply(s, { type: 'cancel', cellId: 'eac-noise0-seed0' });
  assert.equal(s.cells['eac-noise0-seed0'].status, 'cancelled');
  s = apply(s, { type: 'start', cellId: 'eac-noise0.2-seed0', runId: 'r4', at: 1 });
  s = apply(s, { type: 'fail', cellId: 'eac-noise0.2-seed0', reason: 'out of memory\n  at stack frame' });
  assert.deepEqual(s.cells['eac-noise0.2-seed0'], { status: 'failed', runId: 'r4', reason: 'out of memory' });
  // A reason quoting a file's path keeps no terminal control characters.
  assert.equal(oneLine('cannot read /tmp/x\u001b]0;owned\u0007.json'), 'cannot read /tmp/x\\u001b]0;owned\\u0007.json');
  assert.ok(sweepFinished(s));
  assert.equal(nextCell(s), null);
  s = apply(s, { type: 'requeue', cellId: 'eac-noise0.2-seed0' }, { type: 'requeue', cellId: 'baseline-noise0-seed0' });
  assert.equal(sweepCounts(s).pending, 2);
  s = apply(s, { type: 'start', cellId: 'baseline-noise0-seed0', runId: 'r5', at: 1 }, { type: 'cancel' });
  assert.deepEqual(sweepCounts(s), { pending: 0, running: 0, resumable: 0, done: 0, failed: 0, skipped: 1, cancelled: 3, total: 4 });
});

test('pause holds the queue, resume releases it; reorder takes only a permutation', () => {
  let s = apply(fresh(), { type: 'pause' });
  assert.equal(nextCell(s), null);
  s = apply(s, { type: 'resume' });
  assert.equal(nextCell(s)!.cell.id, 'baseline-noise0-seed0');
  const order = moveCell(s.order, 'eac-noise0.2-seed0', 0);
  assert.deepEqual(order, ['eac-noise0.2-seed0', 'baseline-noise0-seed0', 'baseline-noise0.2-seed0', 'eac-noise0-seed0']);
  s = apply(s, { type: 'reorder', order });
  assert.equal(nextCell(s)!.cell.id, 'eac-noise0.2-seed0');
  for (const bad of [order.slice(1), [...order.slice(1), order[1]], [...order.slice(1), 'eac-noise0.5-seed0']])
    assert.equal(reduceSweep(s, { type: 'reorder', order: bad }), s, `refused: ${bad.join(',')}`);
  assert.equal(reduceSweep(s, { type: 'start', cellId: 'no-such-cell', runId: 'x', at: 0 }), s);
  assert.equal(
    reduceSweep(s, { type: 'checkpoint', cellId: 'eac-noise0-seed0', step: 1, epoch: 0, at: 0 }),
    s,
    'no checkpoint for a pending cell',
  );
});

test('ETA: finished cells’ mean duration for what is left; the running cell’s own pace; parallel jobs', () => {
  let s = fresh();
  assert.equal(sweepEta(s), null, 'nothing measured yet');
  s = apply(s, { type: 'start', cellId: 'baseline-noise0-seed0', runId: 'a', at: 0 });
  s = apply(s, { type: 'progress', cellId: 'baseline-noise0-seed0', step: 1, totalSteps: 4, seconds: 5 });
  // The running cell projects 20 s a cell: 15 s left of it, and 3 pending cells × 20 s.
  assert.equal(sweepEta(s), 75);
  s = apply(s, { type: 'finish', cellId: 'baseline-noise0-seed0', summary: summary(0.5, 10), at: 1 });
  s = apply(s, { type: 'start', cellId: 'baseline-noise0.2-seed0', runId: 'b', at: 0 });
  s = apply(s, { type: 'finish', cellId: 'baseline-noise0.2-seed0', summary: summary(0.5, 30), at: 1 });
  s = apply(s, { type: 'start', cellId: 'eac-noise0-seed0', runId: 'c', at: 0 });
  s = apply(s, { type: 'progress', cellId: 'eac-noise0-seed0', step: 3, totalSteps: 4, seconds: 30 });
  // Mean of finished: 20 s. Running: its own pace, 40 s a cell, a quarter left = 10 s; one pending: 20 s.
  assert.equal(sweepEta(s), 30);
  assert.equal(sweepEta(s, 2), 15);
  s = apply(s, { type: 'cancel' });
  assert.equal(sweepEta(s), 0);
});
