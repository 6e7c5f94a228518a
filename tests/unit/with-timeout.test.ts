// withTimeout (src/worker/with-timeout.ts): a promise that never settles is given up with one line,
// and whatever way the race ends, its timer is cleared (a timer left would hold a worker's event loop).
import { afterEach, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { TimeoutError, withTimeout } from '../../src/worker/with-timeout.ts';

/** setTimeout and clearTimeout, wrapped to count the timers still pending. */
const real = { set: globalThis.setTimeout, clear: globalThis.clearTimeout };
let pending = new Set<unknown>();
beforeEach(() => {
  pending = new Set();
  globalThis.setTimeout = ((fn: (...a: unknown[]) => void, ms?: number, ...args: unknown[]) => {
    const id = real.set(() => {
      pending.delete(id);
      fn(...args);
    }, ms);
    pending.add(id);
    return id;
  }) as typeof setTimeout;
  globalThis.clearTimeout = ((id: Parameters<typeof clearTimeout>[0]) => {
    pending.delete(id);
    real.clear(id);
  }) as typeof clearTimeout;
});
afterEach(() => {
  globalThis.setTimeout = real.set;
  globalThis.clearTimeout = real.clear;
});

test('a promise that never settles is given up with a one-line reason', async () => {
  await assert.rejects(withTimeout(new Promise(() => {}), 20, 'starting WebAssembly'), (e: unknown) => {
    assert.ok(e instanceof TimeoutError);
    assert.equal((e as Error).message, 'starting WebAssembly did not finish within 0 s');
    return true;
  });
  assert.equal(pending.size, 0);
});

test('a value or an error in time passes through, and no timer is left behind', async () => {
  assert.equal(await withTimeout(Promise.resolve(7), 10_000, 'x'), 7);
  assert.equal(pending.size, 0, 'the timer of a race won by a value is cleared');
  await assert.rejects(withTimeout(Promise.reject(new Error('boom')), 10_000, 'x'), /boom/);
  assert.equal(pending.size, 0, 'the timer of a race won by an error is cleared');
});
