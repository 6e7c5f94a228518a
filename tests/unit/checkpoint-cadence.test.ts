// The checkpoint cadence within an epoch (src/engine/trainer.ts checkpointDueByTime): a bound on
// the time a crash loses, and sooner where checkpoints are cheap.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkpointDueByTime } from '../../src/engine/trainer.ts';

const S = 1000;

test('seconds alone: due once they have passed, whatever a checkpoint costs', () => {
  assert.equal(checkpointDueByTime({ seconds: 120 }, 119 * S, 10), false);
  assert.equal(checkpointDueByTime({ seconds: 120 }, 120 * S, 10), true);
  assert.equal(checkpointDueByTime({}, 1e9, 10), false, 'no time bound: never by time');
});

test('with a cost share, cheap checkpoints come sooner, never before minSeconds, never later than seconds', () => {
  const every = { seconds: 120, costShare: 0.02, minSeconds: 5 };
  // Not measured yet: the first comes after minSeconds.
  assert.equal(checkpointDueByTime(every, 4.9 * S, null), false);
  assert.equal(checkpointDueByTime(every, 5 * S, null), true);
  // 50 ms to write: 2% of 2.5 s, so minSeconds (5 s) decides.
  assert.equal(checkpointDueByTime(every, 5 * S, 50), true);
  // 400 ms to write: every 20 s.
  assert.equal(checkpointDueByTime(every, 19 * S, 400), false);
  assert.equal(checkpointDueByTime(every, 20 * S, 400), true);
  // 10 s to write (a big model): 500 s by cost, but a crash may lose at most 120 s.
  assert.equal(checkpointDueByTime(every, 119 * S, 10 * S), false);
  assert.equal(checkpointDueByTime(every, 120 * S, 10 * S), true);
});
