// A sweep spread over open tabs (src/ui/sweep/sweep-claims.ts): tabs claim cells through fake Web
// Locks (a shared set of held names) and a fake store (one queue, each update atomic), as the
// lab's driver does through navigator.locks and IndexedDB.
//
//   node --import tsx --test tests/unit/sweep-claims.test.ts
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { reduceSweep, sweepEta, type SweepEvent, type SweepState } from '../../src/engine/sweep/index.ts';
import {
  claimedAction,
  claimNext,
  claimOrder,
  cellLockName,
  heldCells,
  spreadTabs,
  takeoverEvents,
  type ClaimPorts,
} from '../../src/ui/sweep/sweep-claims.ts';
import { freshTinySweep } from './tiny-sweep.ts';

const ORDER = ['baseline-noise0-seed0', 'baseline-noise0.3-seed0', 'eac-noise0-seed0', 'eac-noise0.3-seed0'];

/** One origin: a queue in a store, and the Web Locks held by its tabs (name → tab). */
function origin(state: SweepState = freshTinySweep()) {
  const o = { state, locks: new Map<string, string>() };
  const tab = (name: string): ClaimPorts & { dies(): void } => ({
    held: async () => [...o.locks.keys()],
    tryLock: async (lock) => {
      await Promise.resolve(); // another tab may run in between, as in a browser
      if (o.locks.has(lock)) return null;
      o.locks.set(lock, name);
      return () => {
        if (o.locks.get(lock) === name) o.locks.delete(lock);
      };
    },
    update: async (fn) => {
      await Promise.resolve();
      o.state = fn(o.state);
      return o.state;
    },
    // A closed or crashed tab: the browser frees its locks, the queue still says "running".
    dies: () => {
      for (const [lock, owner] of o.locks) if (owner === name) o.locks.delete(lock);
    },
  });
  const write = (events: SweepEvent[]) => (o.state = events.reduce(reduceSweep, o.state));
  return { o, tab, write };
}

test('two tabs claiming at once never take the same cell, and take them in run order', async () => {
  const { o, tab, write } = origin();
  const [a, b] = [tab('a'), tab('b')];
  const [ca, cb] = await Promise.all([claimNext(o.state, a), claimNext(o.state, b)]);
  assert.ok(ca && cb);
  assert.notEqual(ca.cellId, cb.cellId);
  assert.deepEqual([ca.cellId, cb.cellId].sort(), ORDER.slice(0, 2).sort());
  write([
    { type: 'start', cellId: ca.cellId, runId: 'run-a', at: 1 },
    { type: 'start', cellId: cb.cellId, runId: 'run-b', at: 1 },
  ]);
  // A third tab gets the next one in order; the lock names count the tabs training.
  const cc = await claimNext(o.state, tab('c'));
  assert.equal(cc?.cellId, ORDER[2]);
  assert.equal(spreadTabs('s1', o.locks.keys()), 3);
  assert.equal(spreadTabs('other', o.locks.keys()), 0);
  assert.equal(claimedAction(o.state, ORDER[2]).type, 'start');
});

test('a cell whose tab died is reclaimed before pending ones and resumes from its checkpoint', async () => {
  const { o, tab, write } = origin();
  const a = tab('a');
  const ca = await claimNext(o.state, a);
  assert.equal(ca?.cellId, ORDER[0]);
  write([
    { type: 'start', cellId: ORDER[0], runId: 'run-a', at: 1 },
    { type: 'checkpoint', cellId: ORDER[0], epoch: 2, step: 4, at: 2 },
  ]);
  // While tab a lives its running cell is not free.
  assert.deepEqual(claimOrder(o.state, heldCells('s1', o.locks.keys())), ORDER.slice(1));
  a.dies();
  assert.deepEqual(claimOrder(o.state, heldCells('s1', o.locks.keys())), ORDER);
  const cb = await claimNext(o.state, tab('b'));
  assert.equal(cb?.cellId, ORDER[0]);
  assert.equal(o.state.cells[ORDER[0]].status, 'resumable');
  const act = claimedAction(o.state, ORDER[0]);
  assert.equal(act.type, 'resume');
  assert.equal(act.type === 'resume' && `${act.cell.id} ${act.runKey}`, `${ORDER[0]} run-a`);
  assert.equal(o.locks.get(cellLockName('s1', ORDER[0])), 'b');
});

test('a cell closed meanwhile is given back and the next is claimed; nothing while paused', async () => {
  const { o, tab, write } = origin();
  const a = tab('a');
  // The tab's copy is stale: the first cell was skipped in another tab.
  const stale = o.state;
  write([{ type: 'skip', cellId: ORDER[0] }]);
  const ca = await claimNext(stale, a);
  assert.equal(ca?.cellId, ORDER[1]);
  assert.equal(o.locks.has(cellLockName('s1', ORDER[0])), false);
  write([{ type: 'pause' }]);
  assert.equal(await claimNext(o.state, tab('b')), null);
});

test('the ETA divides the work left over the tabs training', () => {
  let s = freshTinySweep();
  s = reduceSweep(s, { type: 'start', cellId: ORDER[0], runId: 'r', at: 0 });
  s = reduceSweep(s, { type: 'progress', cellId: ORDER[0], step: 4, totalSteps: 8, seconds: 10 });
  assert.equal(sweepEta(s, 1), 70);
  assert.equal(sweepEta(s, spreadTabs('s1', [cellLockName('s1', ORDER[0]), cellLockName('s1', ORDER[1])])), 35);
});

test('a tab taking a sweep over interrupts only the running cells no live tab holds', () => {
  let s = freshTinySweep();
  s = [0, 1].reduce((x, i) => reduceSweep(x, { type: 'start', cellId: ORDER[i], runId: `r${i}`, at: 0 }), s);
  assert.deepEqual(takeoverEvents(s, new Set()), [{ type: 'reloaded' }]);
  const after = takeoverEvents(s, new Set([ORDER[1]])).reduce(reduceSweep, s);
  assert.deepEqual(
    ORDER.map((id) => after.cells[id].status),
    ['pending', 'running', 'pending', 'pending'],
  );
});
