// The page's worker lifecycle (src/ui/worker-host.ts) with a fake Worker: started once on first
// use, messages forwarded, a crash reported with its message (preventDefault called, the worker
// dropped only when asked), the kill timer terminating only a worker still waiting, cancelKill,
// and drop making the next send start a fresh worker.
import { test, mock } from 'node:test';
import assert from 'node:assert/strict';
import { WorkerHost, type WorkerLike } from '../../src/ui/worker-host.ts';

class FakeWorker implements WorkerLike {
  onmessage: ((ev: MessageEvent) => unknown) | null = null;
  onerror: ((ev: ErrorEvent) => unknown) | null = null;
  onmessageerror: ((ev: MessageEvent) => unknown) | null = null;
  posted: { msg: unknown; transfer?: Transferable[] }[] = [];
  terminated = 0;
  postMessage(msg: unknown, transfer?: Transferable[]): void {
    this.posted.push(transfer ? { msg, transfer } : { msg });
  }
  terminate(): void {
    this.terminated++;
  }
  /** The worker posts `data` to the page. */
  answer(data: unknown): void {
    this.onmessage?.({ data } as MessageEvent);
  }
  /** The worker throws (or fails to load); returns whether the page called preventDefault. */
  crash(message: string): boolean {
    let prevented = false;
    this.onerror?.({ message, preventDefault: () => (prevented = true) } as unknown as ErrorEvent);
    return prevented;
  }
}

type To = { type: 'go' | 'stop'; n?: number };
type From = { type: 'progress' | 'done'; n: number };

function setup(dropOnError = false) {
  const workers: FakeWorker[] = [];
  const messages: From[] = [];
  const errors: string[] = [];
  const messageErrors: string[] = [];
  const host = new WorkerHost<To, From, FakeWorker>({
    create: () => {
      const w = new FakeWorker();
      workers.push(w);
      return w;
    },
    label: 'test',
    onMessage: (m) => messages.push(m),
    onError: (m) => errors.push(m),
    onMessageError: (m) => messageErrors.push(m),
    dropOnError,
  });
  return { host, workers, messages, errors, messageErrors };
}

test('the worker is created lazily, once, and messages go both ways', () => {
  const { host, workers, messages } = setup();
  assert.equal(workers.length, 0, 'nothing is started before first use');
  host.send({ type: 'go', n: 1 });
  host.send({ type: 'go', n: 2 });
  assert.equal(host.ensure(), workers[0]);
  assert.equal(workers.length, 1);
  assert.deepEqual(workers[0].posted, [{ msg: { type: 'go', n: 1 } }, { msg: { type: 'go', n: 2 } }]);
  const buf = new ArrayBuffer(4);
  host.send({ type: 'go', n: 3 }, [buf]);
  assert.deepEqual(workers[0].posted[2], { msg: { type: 'go', n: 3 }, transfer: [buf] });
  workers[0].answer({ type: 'progress', n: 1 });
  workers[0].answer({ type: 'done', n: 2 });
  assert.deepEqual(messages, [
    { type: 'progress', n: 1 },
    { type: 'done', n: 2 },
  ]);
});

test('a crash is reported with its message and preventDefault; the worker is kept unless dropOnError', () => {
  const kept = setup(false);
  kept.host.ensure();
  assert.equal(kept.workers[0].crash('boom'), true);
  assert.deepEqual(kept.errors, ['the test worker failed: boom']);
  assert.equal(kept.workers[0].terminated, 0);
  kept.host.send({ type: 'go' });
  assert.equal(kept.workers.length, 1, 'the same worker still answers');

  const dropped = setup(true);
  dropped.host.ensure();
  assert.equal(dropped.workers[0].crash(''), true);
  assert.deepEqual(dropped.errors, ['the test worker failed: could not load or crashed (see the console)']);
  assert.equal(dropped.workers[0].terminated, 1);
  dropped.host.send({ type: 'go' });
  assert.equal(dropped.workers.length, 2, 'the next send starts a fresh worker');

  dropped.workers[1].onmessageerror?.({} as MessageEvent);
  assert.deepEqual(dropped.messageErrors, ['a message from the test worker could not be read']);
  assert.equal(dropped.workers[1].terminated, 0, 'an unreadable message does not drop the worker');
});

test('drop terminates the worker and a later send creates a new one', () => {
  const { host, workers } = setup();
  host.drop(); // nothing to drop
  assert.equal(workers.length, 0);
  host.send({ type: 'go' });
  host.drop();
  assert.equal(workers[0].terminated, 1);
  host.drop();
  assert.equal(workers[0].terminated, 1, 'a dropped worker is not terminated twice');
  host.send({ type: 'go', n: 2 });
  assert.equal(workers.length, 2);
  assert.deepEqual(workers[1].posted, [{ msg: { type: 'go', n: 2 } }]);
});

test('killAfter terminates only a worker still waiting; cancelKill and drop prevent it', (t) => {
  mock.timers.enable({ apis: ['setTimeout'] });
  t.after(() => mock.timers.reset());
  const { host, workers } = setup();
  let waiting = true;
  let killed = 0;
  const stillWaiting = () => waiting;
  const onKilled = () => killed++;

  // Still waiting at the deadline: dropped, then onKilled; the next send starts a new worker.
  host.send({ type: 'stop' });
  host.killAfter(1000, stillWaiting, onKilled);
  mock.timers.tick(999);
  assert.equal(workers[0].terminated, 0);
  assert.equal(killed, 0);
  mock.timers.tick(1);
  assert.equal(workers[0].terminated, 1);
  assert.equal(killed, 1);
  host.send({ type: 'go' });
  assert.equal(workers.length, 2);

  // Answered (no longer waiting) by the deadline: kept.
  host.killAfter(1000, stillWaiting, onKilled);
  waiting = false;
  mock.timers.tick(1000);
  assert.equal(workers[1].terminated, 0);
  assert.equal(killed, 1);

  // cancelKill: kept, though still waiting.
  waiting = true;
  host.killAfter(1000, stillWaiting, onKilled);
  host.cancelKill();
  mock.timers.tick(5000);
  assert.equal(workers[1].terminated, 0);
  assert.equal(killed, 1);

  // A second killAfter replaces the first: one kill, at the second deadline.
  host.killAfter(1000, stillWaiting, onKilled);
  mock.timers.tick(500);
  host.killAfter(1000, stillWaiting, onKilled);
  mock.timers.tick(600);
  assert.equal(killed, 1, 'the first deadline was replaced');
  mock.timers.tick(400);
  assert.equal(killed, 2);
  assert.equal(workers[1].terminated, 1);

  // drop forgets a pending kill.
  host.send({ type: 'go' });
  host.killAfter(1000, stillWaiting, onKilled);
  host.drop();
  mock.timers.tick(5000);
  assert.equal(killed, 2);
  assert.equal(workers[2].terminated, 1);
});

test('sendIfRunning reaches a running worker and never starts one', () => {
  const { host, workers } = setup();
  host.sendIfRunning({ type: 'stop' });
  assert.equal(workers.length, 0, 'a cancel with no worker starts none');
  host.send({ type: 'go', n: 1 });
  host.sendIfRunning({ type: 'stop' });
  assert.deepEqual(
    workers[0].posted.map((p) => p.msg),
    [{ type: 'go', n: 1 }, { type: 'stop' }],
  );
  host.drop();
  host.sendIfRunning({ type: 'stop' });
  assert.equal(workers.length, 1);
});
