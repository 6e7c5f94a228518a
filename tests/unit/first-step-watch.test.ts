// The first step's watchdog (src/ui/run/first-step-watch.ts): a run whose first step does not
// come within its bound is stopped; a step or the run's end in time clears it. Fake timers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FirstStepWatch, firstStepEstimateMs } from '../../src/ui/run/first-step-watch.ts';
import { FIRST_STEP_BOUND_MS } from '../../src/engine/run-limits.ts';
import type { ProbeReport } from '../../src/worker/protocol.ts';

function fakeTimers() {
  let now = 0;
  let next = 1;
  const timers = new Map<number, { at: number; fn: () => void }>();
  return {
    setTimer: (fn: () => void, ms: number) => {
      const id = next++;
      timers.set(id, { at: now + ms, fn });
      return id;
    },
    clearTimer: (id: unknown) => void timers.delete(id as number),
    advance(ms: number) {
      now += ms;
      for (const [id, t] of [...timers].sort((a, b) => a[1].at - b[1].at))
        if (t.at <= now) {
          timers.delete(id);
          t.fn();
        }
    },
    pending: () => timers.size,
  };
}

test('no first step within the bound: the run is stopped, once, with the bound', () => {
  const timers = fakeTimers();
  const stopped: [number, number][] = [];
  const watch = new FirstStepWatch({ ...timers, onTimeout: (id, ms) => stopped.push([id, ms]) });
  assert.equal(watch.arm(7, null), FIRST_STEP_BOUND_MS);
  timers.advance(FIRST_STEP_BOUND_MS - 1);
  assert.deepEqual(stopped, []);
  timers.advance(1);
  assert.deepEqual(stopped, [[7, FIRST_STEP_BOUND_MS]]);
  timers.advance(10 * FIRST_STEP_BOUND_MS);
  assert.equal(stopped.length, 1);
});

test('a step in time, or a new arm, clears the watch; an estimate shortens the bound', () => {
  const timers = fakeTimers();
  const stopped: number[] = [];
  const watch = new FirstStepWatch({ ...timers, onTimeout: (id) => stopped.push(id) });
  watch.arm(1, 20_000);
  timers.advance(199_000);
  watch.clear();
  timers.advance(FIRST_STEP_BOUND_MS);
  assert.deepEqual(stopped, []);
  watch.arm(2, 20_000);
  watch.arm(3, 5_000);
  assert.equal(timers.pending(), 1, 're-armed, not doubled');
  timers.advance(60_000);
  assert.deepEqual(stopped, [3]);
});

test('the estimate: a fix’s, else the probe’s warm-up of the same model on the same backend', () => {
  const probe = {
    shape: { arch: 'resnet18', width: 8, size: 64, batchSize: 16, method: 'eac' },
    entries: [{ name: 'wasm', outcome: 'measured', warmupMs: 4200 }],
  } as unknown as ProbeReport;
  const model = { arch: 'resnet18', width: 8, size: 64, batchSize: 16 };
  assert.equal(firstStepEstimateMs(9000, probe, model, 'wasm'), 9000);
  assert.equal(firstStepEstimateMs(null, probe, model, 'wasm'), 4200);
  assert.equal(firstStepEstimateMs(null, probe, model, 'webgpu'), null, 'another backend was not measured');
  assert.equal(firstStepEstimateMs(null, probe, { ...model, size: 96 }, 'wasm'), null, 'another model');
  assert.equal(firstStepEstimateMs(null, null, model, 'wasm'), null);
});
