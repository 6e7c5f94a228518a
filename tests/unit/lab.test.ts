// The page's composition root (src/ui/lab.ts): importing the controllers starts nothing; making
// the lab starts no worker (only the data controller's channel to other tabs); the first use of
// the run controller starts the training worker, and dispose ends it.
//
//   node --import tsx --test tests/unit/lab.test.ts
import { test } from 'node:test';
import assert from 'node:assert/strict';

let created = 0;
let terminated = 0;
class FakeWorker {
  onmessage = null;
  onerror = null;
  onmessageerror = null;
  constructor() {
    created++;
  }
  postMessage(): void {}
  terminate(): void {
    terminated++;
  }
}
const channels: FakeChannel[] = [];
class FakeChannel {
  onmessage: unknown = null;
  closed = false;
  constructor() {
    channels.push(this);
  }
  postMessage(): void {}
  close(): void {
    this.closed = true;
  }
}
Object.assign(globalThis, { Worker: FakeWorker, BroadcastChannel: FakeChannel });

test('importing the controllers starts nothing; the lab starts a worker on first use only', async () => {
  const { createLab } = await import('../../src/ui/lab.ts');
  assert.deepEqual([created, channels.length], [0, 0], 'importing made no worker and no channel');
  const lab = createLab();
  assert.equal(created, 0, 'making the lab started no worker');
  assert.equal(channels.length, 1, "the data controller's channel to other tabs");
  lab.run.ensureWorker();
  lab.run.ensureWorker();
  assert.equal(created, 1, 'the training worker starts on first use, once');
  lab.dispose();
  assert.equal(terminated, 1, 'dispose ends the worker');
  assert.equal(channels[0].closed, true, 'and closes the channel');
});
