// Decoding in a pool (src/worker/decode-pool.ts) and readRafDb's injectable async decoder
// (src/data/rafdb.ts): results in file order with several decodes in flight, a bounded window,
// per-file errors, and cancellation; the pool driven by fake workers that answer like
// workers/jpeg-decode.worker.ts (the messages cloned with their transfer lists).
//
//   node --import tsx --test tests/unit/decode-pool.test.ts
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { initJpegDecoderNode } from '../../src/data/jpeg-node.ts';
import { decodeJpeg, JpegError, type DecodedImage } from '../../src/data/jpeg.ts';
import { readRafDb } from '../../src/data/rafdb.ts';
import { nodeFolderFs } from '../../src/cli/dataset.ts';
import { DecodePool, decodePoolSize, type DecodeWorkerLike } from '../../src/worker/decode-pool.ts';
import type { FromDecodeWorker, ToDecodeWorker } from '../../src/worker/jpeg-decode-protocol.ts';
import { CLEAN } from '../../tools/fixtures/make-rafdb-fixture.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLEAN_BASIC = path.join(ROOT, 'tests/fixtures/rafdb/clean/RAF-DB/basic');
const MESSY_BASIC = path.join(ROOT, 'tests/fixtures/rafdb/messy/basic');

before(async () => {
  await initJpegDecoderNode();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** An async decoder that finishes out of order (a pseudo-random delay each) and counts what is in flight. */
function outOfOrderDecoder(fail?: (n: number) => boolean) {
  let inFlight = 0;
  let most = 0;
  let calls = 0;
  // The first decode waits (up to 2 s) for a second one to start: overlap, when the reader allows
  // it, is then certain rather than a matter of timing on a busy machine.
  let secondStarted: () => void = () => {};
  const second = new Promise<void>((r) => {
    secondStarted = r;
  });
  const decode = async (bytes: Uint8Array): Promise<DecodedImage> => {
    const n = calls++;
    inFlight++;
    most = Math.max(most, inFlight);
    if (n === 1) secondStarted();
    try {
      if (n === 0) await Promise.race([second, sleep(2000)]);
      await sleep((n * 7919) % 5);
      if (fail?.(n)) throw new JpegError(`fake failure ${n}`);
      return decodeJpeg(bytes);
    } finally {
      inFlight--;
    }
  };
  return { decode, stats: () => ({ most, calls }) };
}

test('an async decoder finishing out of order: the same dataset and report as in-thread decoding, a bounded window', async () => {
  const base = await readRafDb(nodeFolderFs, CLEAN_BASIC);
  const fake = outOfOrderDecoder();
  const got = await readRafDb(nodeFolderFs, CLEAN_BASIC, { decode: fake.decode, concurrency: 12 });
  assert.deepEqual(got.dataset, base.dataset);
  assert.deepEqual({ ...got.report, seconds: 0 }, { ...base.report, seconds: 0 });
  const { most, calls } = fake.stats();
  assert.equal(calls, CLEAN.train + CLEAN.test);
  assert.ok(most > 1, `decodes overlapped (at most ${most} at once)`);
  // The window is 2 × concurrency files ahead of the one being taken, which is in flight too.
  assert.ok(most <= 25, `at most 2 × concurrency + 1 in flight, saw ${most}`);
});

test('a file the decoder refuses is skipped with its reason; the messy fixture reports as in-thread', async () => {
  const fake = outOfOrderDecoder((n) => n === 3);
  const { dataset, report } = await readRafDb(nodeFolderFs, CLEAN_BASIC, { decode: fake.decode, concurrency: 4 });
  assert.equal(report.unreadableImages.length, 1);
  const skipped = report.unreadableImages[0];
  assert.equal(report.unreadableReasons[skipped], 'fake failure 3');
  assert.ok(!dataset.train.names.includes(skipped) && !dataset.test.names.includes(skipped));
  assert.equal(dataset.train.names.length + dataset.test.names.length, CLEAN.train + CLEAN.test - 1);

  const base = await readRafDb(nodeFolderFs, MESSY_BASIC);
  const got = await readRafDb(nodeFolderFs, MESSY_BASIC, { decode: outOfOrderDecoder().decode, concurrency: 4 });
  assert.deepEqual(got.dataset, base.dataset);
  assert.deepEqual(got.report.unreadableReasons, base.report.unreadableReasons);
});

test('an abort stops the fan-out: readRafDb rejects and starts no more decodes', async () => {
  const ac = new AbortController();
  const fake = outOfOrderDecoder();
  let started = 0;
  const decode = (b: Uint8Array) => {
    if (++started === 10) ac.abort(new DOMException('stop', 'AbortError'));
    return fake.decode(b);
  };
  await assert.rejects(
    readRafDb(nodeFolderFs, CLEAN_BASIC, { decode, concurrency: 4, signal: ac.signal }),
    (e: Error) => e.name === 'AbortError',
  );
  await sleep(20);
  assert.equal(started, 10, 'no decode started after the abort');
});

/** A fake decoder worker: answers like workers/jpeg-decode.worker.ts, after a delay, through structuredClone with the transfers. */
class FakeDecodeWorker implements DecodeWorkerLike {
  onmessage: ((ev: MessageEvent<FromDecodeWorker>) => void) | null = null;
  onerror: ((ev: ErrorEvent) => void) | null = null;
  terminated = false;
  handled = 0;
  postMessage(message: ToDecodeWorker, transfer: Transferable[]): void {
    const m = structuredClone(message, { transfer: transfer as ArrayBuffer[] });
    if (m.type !== 'decode') return;
    setTimeout(
      () => {
        if (this.terminated) return;
        this.handled++;
        let reply: FromDecodeWorker;
        try {
          const img = decodeJpeg(m.bytes);
          reply = { type: 'decoded', id: m.id, ...img };
        } catch (e) {
          reply = { type: 'failed', id: m.id, jpeg: e instanceof JpegError, reason: e instanceof JpegError ? e.reason : String(e) };
        }
        this.onmessage?.({ data: structuredClone(reply) } as MessageEvent<FromDecodeWorker>);
      },
      (m.id * 3) % 4,
    );
  }
  terminate(): void {
    this.terminated = true;
  }
}

test('the pool: pixels identical to in-thread decoding on the messy fixture, work spread over its workers, JpegErrors kept', async () => {
  const workers: FakeDecodeWorker[] = [];
  const pool = new DecodePool(() => {
    const w = new FakeDecodeWorker();
    workers.push(w);
    return w;
  }, 3);
  const base = await readRafDb(nodeFolderFs, MESSY_BASIC);
  const got = await readRafDb(nodeFolderFs, MESSY_BASIC, { decode: (b) => pool.decode(b), concurrency: pool.size * 2 });
  pool.close();
  assert.deepEqual(got.dataset, base.dataset);
  assert.deepEqual(got.report.unreadableReasons, base.report.unreadableReasons);
  assert.equal(workers.length, 3);
  for (const w of workers) assert.ok(w.handled > 0, 'every worker decoded some');
  assert.ok(
    workers.every((w) => w.terminated),
    'close() terminates the workers',
  );
  await assert.rejects(pool.decode(new Uint8Array([0xff, 0xd8, 0xff])), /closed/);
});

test('closing the pool rejects what is pending with the reason; a crashed worker fails its jobs and is replaced', async () => {
  const workers: FakeDecodeWorker[] = [];
  const pool = new DecodePool(() => {
    const w = new FakeDecodeWorker();
    workers.push(w);
    return w;
  }, 1);
  const pending = [1, 2, 3].map(() => pool.decode(new Uint8Array([1, 2, 3])));
  workers[0].onerror?.({ message: 'boom' } as ErrorEvent);
  await assert.rejects(pending[0], /decoder worker failed: boom/);
  await assert.rejects(pending[1], /decoder worker failed: boom/);
  assert.equal(workers.length, 2, 'a new worker replaced the dead one');
  await assert.rejects(pending[2], (e: unknown) => e instanceof JpegError && /not a JPEG/.test(e.reason));
  const stop = new DOMException('cancelled', 'AbortError');
  const late = [pool.decode(new Uint8Array([1])), pool.decode(new Uint8Array([2])), pool.decode(new Uint8Array([3]))];
  pool.close(stop);
  for (const p of late) await assert.rejects(p, (e) => e === stop);
  assert.ok(workers[1].terminated);
});

test('the pool size: none below 4 cores (the ingest worker decodes), else cores - 2, at most 8', () => {
  assert.deepEqual([undefined, 1, 2, 3, 4, 8, 10, 64].map(decodePoolSize), [0, 0, 0, 0, 2, 6, 8, 8]);
});
