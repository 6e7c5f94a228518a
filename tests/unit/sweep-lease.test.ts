// The claims of `eac sweep --cell` (src/cli/sweep-claims.ts) without training anything: one
// winner per claim generation, a lease that ends during a long step (a clock the test moves), a
// released claim free at once, hostile claim files, the cell index from the array variables, and
// a write torn by a crash that no reader can see.
//
//   node --import tsx --test tests/unit/sweep-lease.test.ts
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CLAIM_FORMAT, claimFile, createClaim, leaseLive, topClaim, tryClaim, type ClaimRecord } from '../../src/cli/sweep-claims.ts';
import { cellIndex } from '../../src/cli/sweep-cell.ts';
import { writeFileAtomic } from '../../src/cli/output.ts';
import { sweepCommand } from '../../src/cli/sweep.ts';
import { parseSweepJson } from '../../src/engine/sweep/index.ts';

const fresh = () => mkdtempSync(path.join(tmpdir(), 'eac-lease-'));
/** A clock the test sets: a "long step" is the test moving it on while the holder renews nothing. */
function clock(t = 1_000_000) {
  const c = { t, now: () => c.t };
  return c;
}
const rec = (cell: string, gen: number, host: string): ClaimRecord => ({
  format: CLAIM_FORMAT,
  cell,
  gen,
  host,
  pid: 1,
  token: host,
  claimedAt: 0,
  renewedAt: 0,
  leaseMs: 1000,
  state: 'running',
  progress: null,
  checkpoint: null,
});

test('of two processes creating one claim generation, exactly one gets it, and its claim is whole', () => {
  const dir = fresh();
  assert.equal(createClaim(dir, rec('c', 0, 'a')), true);
  assert.equal(createClaim(dir, rec('c', 0, 'b')), false, 'the second creator of generation 0 is refused');
  assert.equal(topClaim(dir, 'c')?.record?.host, 'a', 'and the first one’s claim is left as it was');
  assert.deepEqual(
    readdirSync(path.join(dir, 'claims')).filter((f) => f.endsWith('.tmp')),
    [],
    'no temporary file is left behind',
  );
});

test('a lease that ends during a long step: the cell is taken over, and the old holder finds out', () => {
  const dir = fresh();
  const c = clock();
  const a = tryClaim(dir, 'cell', { now: c.now, leaseMs: 1000, host: 'a', pid: 11 });
  assert.equal(a.kind, 'claimed');
  if (a.kind !== 'claimed') return;
  c.t += 500;
  const early = tryClaim(dir, 'cell', { now: c.now, leaseMs: 1000, host: 'b', pid: 22 });
  assert.equal(early.kind, 'held', 'within its lease the cell is the holder’s');
  assert.equal(early.kind === 'held' && early.by.host, 'a');
  assert.equal(a.lease.renew({ progress: { step: 3, totalSteps: 10, seconds: 6 } }), 'ok');
  c.t += 999;
  assert.equal(tryClaim(dir, 'cell', { now: c.now, leaseMs: 1000, host: 'b', pid: 22 }).kind, 'held', 'a renewal extends the lease');
  // A's next step takes longer than its lease: nothing renews meanwhile.
  c.t += 5000;
  const b = tryClaim(dir, 'cell', { now: c.now, leaseMs: 1000, host: 'b', pid: 22 });
  assert.equal(b.kind, 'claimed', 'a lease that ended is taken over');
  if (b.kind !== 'claimed') return;
  assert.equal(b.lease.record.gen, 1);
  assert.equal(b.previous?.host, 'a');
  assert.deepEqual(b.lease.record.progress, { step: 3, totalSteps: 10, seconds: 6 }, 'the new holder knows how far the cell was');
  // A's step ends: its renewal (and its end) finds the cell taken and writes nothing.
  assert.equal(a.lease.renew(), 'lost');
  assert.equal(a.lease.end('done'), 'lost');
  assert.equal(a.lease.lost()?.host, 'b');
  assert.equal(topClaim(dir, 'cell')?.record?.host, 'b');
  assert.equal(readFileSync(claimFile(dir, 'cell', 0), 'utf8').includes('"state":"running"'), true, 'A’s claim was not ended');
  // B finishes: the cell is done for everyone.
  assert.equal(b.lease.end('done'), 'ok');
  c.t += 1e9;
  assert.equal(tryClaim(dir, 'cell', { now: c.now, leaseMs: 1000, host: 'c', pid: 33 }).kind, 'done');
});

test('a released claim is free at once; a failed one only to its own --cell', () => {
  const dir = fresh();
  const c = clock();
  const opts = { now: c.now, leaseMs: 60_000, host: 'a', pid: 1 };
  const a = tryClaim(dir, 'x', opts);
  assert.equal(a.kind === 'claimed' && a.lease.end('released'), 'ok');
  const b = tryClaim(dir, 'x', { ...opts, host: 'b' });
  assert.equal(b.kind, 'claimed', 'released: taken at once, without waiting for the lease');
  assert.equal(b.kind === 'claimed' && b.lease.end('failed', 'eac train exited with 1\nsecond line'), 'ok');
  assert.equal(tryClaim(dir, 'x', opts).kind, 'failed');
  const retry = tryClaim(dir, 'x', opts, true);
  assert.equal(retry.kind, 'claimed');
  assert.equal(retry.kind === 'claimed' && retry.previous?.reason, 'eac train exited with 1', 'one line');
});

test('claim files that eac did not write count as ended, and are read bounded, never through a link', () => {
  const dir = fresh();
  mkdirSync(path.join(dir, 'claims'));
  const c = clock();
  const opts = { now: c.now, leaseMs: 60_000, host: 'me', pid: 1 };
  // A link to a device (reading /dev/zero would never end), a huge file, a torn one, another cell's.
  symlinkSync('/dev/zero', claimFile(dir, 'l', 0));
  writeFileSync(claimFile(dir, 'big', 0), `{"format":"${CLAIM_FORMAT}","pad":"${'x'.repeat(10_000)}"}`);
  writeFileSync(claimFile(dir, 'torn', 0), `{"format":"${CLAIM_FORMAT}","cell":"torn","gen":0,"ho`);
  writeFileSync(claimFile(dir, 'other', 0), JSON.stringify({ ...rec('else', 0, 'x'), renewedAt: c.t, leaseMs: 1e9 }));
  for (const cell of ['l', 'big', 'torn', 'other']) {
    assert.equal(topClaim(dir, cell)?.record, null, cell);
    const r = tryClaim(dir, cell, opts);
    assert.equal(r.kind, 'claimed', cell);
    assert.equal(r.kind === 'claimed' && r.lease.record.gen, 1, `${cell}: the next generation, the planted file left alone`);
  }
  assert.equal(leaseLive(null, c.t), false);
  // Generations beyond any real sweep's are not ours: ignored, not overflowed.
  writeFileSync(claimFile(dir, 'g', 99_999_999), '{}');
  assert.equal(topClaim(dir, 'g'), null);
});

test('--cell K and --cell env: the index from SLURM or Kubernetes, one clear line otherwise', () => {
  assert.equal(cellIndex('2', {}, 3), 2);
  assert.equal(cellIndex('env', { SLURM_ARRAY_TASK_ID: '1' }, 3), 1);
  assert.equal(cellIndex('env', { JOB_COMPLETION_INDEX: '0' }, 3), 0);
  const cases: [string, Record<string, string>, RegExp][] = [
    ['env', {}, /^--cell env: neither SLURM_ARRAY_TASK_ID nor JOB_COMPLETION_INDEX is set \(give --cell K instead\)$/],
    ['env', { SLURM_ARRAY_TASK_ID: '3' }, /^--cell env \(SLURM_ARRAY_TASK_ID=3\): the sweep has 3 cells \(indices 0 to 2\), no cell 3$/],
    ['env', { JOB_COMPLETION_INDEX: '-1' }, /a cell index must be an integer ≥ 0, got "-1"/],
    ['7', {}, /^--cell: the sweep has 3 cells \(indices 0 to 2\), no cell 7$/],
    ['1.5', {}, /a cell index must be an integer/],
  ];
  for (const [flag, env, why] of cases)
    assert.throws(
      () => cellIndex(flag, env, 3),
      (e: Error) => why.test(e.message) && !e.message.includes('\n'),
    );
});

test('a table write torn by a crash cannot be read: the reader sees the old file whole', () => {
  const dir = fresh();
  const file = path.join(dir, 'sweep.json');
  writeFileAtomic(file, 'old\n');
  const text = `{"format":"eac-sweep",${'"pad":1,'.repeat(1000)}"x":1}\n`;
  let tmpSeen = '';
  assert.throws(
    () =>
      writeFileAtomic(file, text, {
        beforeRename(tmp) {
          tmpSeen = tmp;
          // The new bytes are all written, under another name, and the file is still the old one.
          assert.equal(readFileSync(tmp, 'utf8'), text);
          assert.equal(readFileSync(file, 'utf8'), 'old\n');
          throw new Error('killed');
        },
      }),
    /killed/,
  );
  assert.equal(readFileSync(file, 'utf8'), 'old\n');
  assert.ok(path.basename(tmpSeen).startsWith('.'), 'a hidden temporary name, never one of the tables');
  assert.equal(existsSync(tmpSeen), false);
  // Had a reader met half a sweep file, it would refuse it, not read part of a queue.
  assert.throws(() => parseSweepJson(text.slice(0, text.length / 2), 'sweep.json'), /^SweepError: sweep\.json: not JSON/);
});

test('a cell done without a claim (a one-process sweep, --import) is not run again by --cell', async () => {
  const dir = fresh();
  const fixture = new URL('../fixtures/runs/eac-train-out.json', import.meta.url).pathname;
  const tiny = ['--demo', '--demo-train', '16', '--demo-test', '8', '--arch', 'resnet18', '--width', '2', '--size', '32'];
  const flags = [...tiny, '--batch-size', '8', '--epochs', '6', '--methods', 'eac', '--noise', '0.25'];
  const err: string[] = [];
  const write = process.stderr.write;
  const out = process.stdout.write;
  process.stderr.write = ((c: string) => (err.push(String(c)), true)) as typeof process.stderr.write;
  process.stdout.write = (() => true) as typeof process.stdout.write;
  try {
    assert.equal(await sweepCommand([...flags, '--import', fixture, '--out', dir]), 0);
    assert.equal(await sweepCommand(['--cell', '0', '--out', dir, '--backend', 'cpu']), 0);
  } finally {
    process.stderr.write = write;
    process.stdout.write = out;
  }
  const log = err.join('');
  assert.match(log, /cell 0 EAC, noise 25%, seed 0: already done/);
  assert.doesNotMatch(log, /starting/);
  assert.deepEqual(
    readdirSync(path.join(dir, 'claims')).filter((f) => f.endsWith('.claim')),
    [],
    'nothing claimed',
  );
});
