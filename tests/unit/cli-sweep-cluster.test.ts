// `eac sweep --cell` end to end: three processes over one out dir, as a SLURM array or a
// Kubernetes Indexed Job runs them (--cell K, and --cell env with each scheduler's variable). One
// is killed (SIGKILL, as a lost node) after its cell's first epoch; the scheduler's retry of that
// index (or a process done with its own cell) takes the cell over when the lease ends and resumes
// it from its checkpoint. No cell is run twice, and the table equals a one-process sweep's.
// Trains models: runs in the wasm suite (scripts/test.mjs) only.
//
//   EAC_TEST_BACKEND=wasm node --import tsx --test tests/unit/cli-sweep-cluster.test.ts
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseSweepJson } from '../../src/engine/sweep/index.ts';

const bin = new URL('../../bin/eac.js', import.meta.url).pathname;
const backend = process.env.EAC_TEST_BACKEND === 'wasm' ? 'wasm' : 'cpu';
const tmp = mkdtempSync(path.join(tmpdir(), 'eac-cluster-'));
const grid = ['--demo', '--demo-train', '16', '--demo-test', '8', '--arch', 'resnet18', '--width', '2', '--size', '32'];
grid.push('--batch-size', '8', '--epochs', '4', '--methods', 'eac', '--noise', '0.25', '--seeds', '0,1,2');

interface Proc {
  child: ChildProcess;
  stderr: string;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}
function start(args: string[], env: Record<string, string> = {}): Proc {
  const child = spawn(process.execPath, [bin, 'sweep', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  const p: Proc = { child, stderr: '', done: null! };
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (d: string) => (p.stderr += d));
  child.stdout!.resume();
  p.done = new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  return p;
}
const until = (p: Proc, re: RegExp) =>
  new Promise<void>((resolve, reject) => {
    const check = () => {
      if (re.test(p.stderr)) resolve();
      else if (p.child.exitCode !== null) reject(new Error(`exited before ${re}:\n${p.stderr}`));
      else setTimeout(check, 20);
    };
    check();
  });
const count = (text: string, re: RegExp) => (text.match(new RegExp(re, 'g')) ?? []).length;

test('three eac sweep --cell processes, one killed mid-cell: taken over, resumed, no cell run twice, the one-process table', {
  skip: backend !== 'wasm' && 'trains models: runs in the wasm suite',
}, async () => {
  const dir = path.join(tmp, 'cluster');
  const own = [...grid, '--backend', backend, '--checkpoint-every-steps', '1', '--lease-s', '6', '--out', dir];
  const p0 = start([...own, '--cell', '0']);
  const p1 = start([...own, '--cell', 'env'], { SLURM_ARRAY_TASK_ID: '1' });
  const p2 = start([...own, '--cell', 'env'], { JOB_COMPLETION_INDEX: '2' });
  // Killed like a lost node once its cell has a checkpoint after its first epoch (4 epochs: mid-cell).
  await until(p1, /\[eac-noise0\.25-seed1\] checkpoint: step 2 \(end of epoch 1\)/);
  p1.child.kill('SIGKILL');
  const killed = await p1.done;
  assert.equal(killed.signal, 'SIGKILL');
  // The scheduler runs index 1 again (SLURM --requeue, a Job's pod restart).
  const retry = start([...own, '--cell', '1']);
  const ends = await Promise.all([p0.done, p2.done, retry.done]);
  const logs = [p0, p1, p2, retry].map((p) => p.stderr);
  const all = logs.join('\n');
  assert.deepEqual(
    ends.map((e) => e.code),
    [0, 0, 0],
    all,
  );
  for (const seed of [0, 1, 2]) {
    const id = `EAC, noise 25%, seed ${seed}`;
    assert.equal(count(all, new RegExp(`cell ${seed} ${id}: starting`)), 1, `${id} started once:\n${all}`);
    assert.equal(count(all, new RegExp(`cell ${seed} ${id}: done`)), 1, `${id} finished once:\n${all}`);
  }
  // The killed cell: taken over once its lease ended, resumed from its checkpoint (not step 0).
  assert.equal(
    count(all, /cell 1 EAC, noise 25%, seed 1: resuming from eac-noise0\.25-seed1\.ckpt \(taken over from [^)]+, whose lease ended\)/),
    1,
    all,
  );
  const at = Number(/\[eac-noise0\.25-seed1\] resuming from .*: step (\d+),/.exec(all)?.[1]);
  assert.ok(at >= 2 && at < 8, `resumed at step ${at}`);
  assert.ok(existsSync(path.join(dir, 'claims', 'eac-noise0.25-seed1.1.claim')), 'the second claim of the cell');
  const state = parseSweepJson(readFileSync(path.join(dir, 'sweep.json'), 'utf8'));
  for (const id of state.order) assert.equal(state.cells[id].status, 'done', id);
  const run = JSON.parse(readFileSync(path.join(dir, 'eac-noise0.25-seed1.json'), 'utf8'));
  assert.equal(run.summary.steps, 8);
  assert.equal(run.summary.stoppedBy, 'completed');
  const status = spawnSync(process.execPath, [bin, 'sweep', '--status', '--out', dir], { encoding: 'utf8' });
  assert.equal(status.status, 0, status.stderr);
  assert.match(status.stdout, /3 cells, 3 done, 0 running/);
  assert.match(status.stdout, /1 +eac-noise0\.25-seed1 +done +\S+\/\d+ \(claim 1\) +8 steps/);
  writeFileSync(path.join(tmp, 'transcript.txt'), `${all}\n${status.stdout}\n${readFileSync(path.join(dir, 'table.md'), 'utf8')}`);

  // The same grid in one process: the same numbers, cell for cell.
  const one = path.join(tmp, 'one');
  const single = spawnSync(process.execPath, [bin, 'sweep', ...grid, '--backend', backend, '--out', one], { encoding: 'utf8' });
  assert.equal(single.status, 0, single.stderr);
  assert.equal(readFileSync(path.join(dir, 'table.csv'), 'utf8'), readFileSync(path.join(one, 'table.csv'), 'utf8'));
  assert.equal(readFileSync(path.join(dir, 'table.md'), 'utf8'), single.stdout);
});
