// The lab's sweep store (src/storage/sweep-store.ts) on fake-indexeddb: a sweep stored and read
// back, the same id twice refused, concurrent queue changes (the driver's events, another tab's
// import) all landing, and a stored record that is not a sweep left out with a one-line reason.
//
//   node --import tsx --test tests/unit/sweep-store.test.ts
import 'fake-indexeddb/auto';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSweep, reduceSweep, type SweepSpec } from '../../src/engine/sweep/index.ts';
import { createStore, set } from 'idb-keyval';
import {
  addSweep,
  deleteSweep,
  getSweep,
  listSweeps,
  setSweepSpread,
  SweepStoreError,
  updateSweep,
} from '../../src/storage/sweep-store.ts';

const spec: SweepSpec = {
  methods: ['baseline', 'eac'],
  noiseRates: [0, 0.3],
  seeds: [0, 1],
  config: { arch: 'resnet18', width: 4, size: 32, epochs: 2 },
  data: { kind: 'demo', seed: 0, trainCount: 32, testCount: 16, noiseRate: 0, noiseSeed: 0 },
};
const sweep = (id: string, createdAt = 1) => createSweep(spec, { id, name: `sweep ${id}`, createdAt });
/** Writes a raw value under a sweep's key, as a corrupted or foreign record would be. */
const putRaw = (id: string, value: unknown) => set(`sweep:${id}`, value, createStore('eac-sweeps', 'sweeps'));
const summary = {
  testAccLast5: 0.5,
  finalTestAcc: 0.5,
  bestTestAcc: 0.5,
  epochs: 2,
  steps: 4,
  seconds: 3,
  stoppedBy: 'completed' as const,
};

test('a sweep is stored, read back, listed newest first, deleted; its id only once', async () => {
  await addSweep({ state: sweep('a', 1), weights: null, attentionCount: 2, updatedAt: 0 });
  await addSweep({ state: sweep('b', 2), weights: { key: 'w1', name: 'face.safetensors' }, attentionCount: 0, updatedAt: 0 });
  const a = await getSweep('a');
  assert.deepEqual(a?.state, sweep('a', 1));
  assert.equal(a?.attentionCount, 2);
  assert.equal(a?.spread, false, 'spread over tabs is off by default');
  await setSweepSpread('a', true);
  assert.equal((await getSweep('a'))?.spread, true);
  assert.deepEqual((await getSweep('a'))?.state, sweep('a', 1), 'the queue is unchanged');
  assert.deepEqual(
    (await listSweeps()).sweeps.map((r) => r.state.id),
    ['b', 'a'],
  );
  await assert.rejects(
    addSweep({ state: sweep('a', 3), weights: null, attentionCount: 0, updatedAt: 0 }),
    (e: Error) => e instanceof SweepStoreError && e.message === 'a sweep with the id a is already stored',
  );
  assert.equal((await getSweep('a'))?.state.createdAt, 1, 'the stored sweep is not overwritten');
  await deleteSweep('a');
  await deleteSweep('b');
  assert.equal(await getSweep('a'), null);
});

test('concurrent changes of one queue all land (one transaction each)', async () => {
  await addSweep({ state: sweep('c'), weights: null, attentionCount: 0, updatedAt: 0 });
  const ids = sweep('c').order;
  await Promise.all([
    updateSweep('c', (s) => reduceSweep(s, { type: 'start', cellId: ids[0], runId: 'k1', at: 1 })),
    updateSweep('c', (s) => reduceSweep(s, { type: 'import', cellId: ids[1], runId: 'elsewhere', summary, at: 2 })),
    updateSweep('c', (s) => reduceSweep(s, { type: 'skip', cellId: ids[2] })),
    updateSweep('c', (s) => reduceSweep(s, { type: 'pause' })),
  ]);
  const s = (await getSweep('c'))!.state;
  assert.deepEqual(
    ids.slice(0, 4).map((id) => s.cells[id].status),
    ['running', 'done', 'skipped', 'pending'],
  );
  assert.equal(s.paused, true);
  // A change that changes nothing writes nothing.
  const before = (await getSweep('c'))!.updatedAt;
  const same = await updateSweep('c', (x) => reduceSweep(x, { type: 'pause' }));
  assert.equal(same.updatedAt, before);
  await assert.rejects(
    updateSweep('gone', (x) => x),
    /no stored sweep gone/,
  );
  await deleteSweep('c');
});

test('a stored record that is not a sweep is left out with a one-line reason', async () => {
  await addSweep({ state: sweep('good'), weights: null, attentionCount: 0, updatedAt: 0 });
  await putRaw('junk', { state: { ...sweep('junk'), order: ['nope'] }, weights: null, attentionCount: 0 });
  await putRaw('text', 'hello');
  const { sweeps, problems } = await listSweeps();
  assert.deepEqual(
    sweeps.map((r) => r.state.id),
    ['good'],
  );
  assert.equal(problems.length, 2);
  for (const p of problems) assert.ok(!p.includes('\n') && p.startsWith('stored sweep '), p);
  assert.ok(
    problems.some((p) => p.includes('nope is not a cell of this sweep')),
    problems.join(' | '),
  );
  await assert.rejects(getSweep('junk'), SweepStoreError);
});
