import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TimeoutError, withTimeout } from '../../src/worker/with-timeout.ts';

test('a promise that never settles is given up with a one-line reason', async () => {
  await assert.rejects(withTimeout(new Promise(() => {}), 20, 'starting WebAssembly'), (e: unknown) => {
    assert.ok(e instanceof TimeoutError);
    assert.equal((e as Error).message, 'starting WebAssembly did not finish within 0 s');
    return true;
  });
});

test('a value or an error in time passes through, and no timer is left behind', async () => {
  assert.equal(await withTimeout(Promise.resolve(7), 10_000, 'x'), 7);
  await assert.rejects(withTimeout(Promise.reject(new Error('boom')), 10_000, 'x'), /boom/);
  // A 10 s timer left running would keep this test process alive for 10 s (node:test waits).
});
