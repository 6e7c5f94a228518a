// `eac sweep` end to end: its help and refusals, runs made elsewhere joining a sweep (--import),
// and a tiny sweep killed with SIGINT after its first cell, resumed (in a child process, --jobs 2):
// the finished cell is skipped, the interrupted one continues from its checkpoint.
// The kill-and-resume test trains models: it runs in the wasm suite (scripts/test.mjs) only.
//
//   node --import tsx --test tests/unit/cli-sweep.test.ts
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createSweep, expandGrid, parseSweepJson, sweepJsonText } from '../../src/engine/sweep/index.ts';
import { newRunArgs, specDifference, specFromFlags } from '../../src/cli/sweep-plan.ts';
import { sweepCommand } from '../../src/cli/sweep.ts';
import { UsageError } from '../../src/cli/args.ts';
import { main } from '../../src/cli/main.ts';
import { TINY_DEMO_ARGS } from '../fixtures/tiny-demo-args.ts';

const bin = new URL('../../bin/eac.js', import.meta.url).pathname;
const eac = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
const tmp = mkdtempSync(path.join(tmpdir(), 'eac-sweep-'));
const fixture = new URL('../fixtures/runs/eac-train-out.json', import.meta.url).pathname;
/** The settings of tests/fixtures/runs/eac-train-out.json (an `eac train` run of the tiny demo). */
const tiny = [...TINY_DEMO_ARGS];
const backend = process.env.EAC_TEST_BACKEND === 'wasm' ? 'wasm' : 'cpu';

/** Runs a command in this process (no start-up cost), its stdout and stderr captured. */
async function captured(run: () => Promise<number>): Promise<{ status: number; stdout: string; stderr: string; error: Error | null }> {
  const out = process.stdout.write;
  const err = process.stderr.write;
  let stdout = '';
  let stderr = '';
  process.stdout.write = ((c: string | Uint8Array) => ((stdout += String(c)), true)) as typeof process.stdout.write;
  process.stderr.write = ((c: string | Uint8Array) => ((stderr += String(c)), true)) as typeof process.stderr.write;
  try {
    return { status: await run(), stdout, stderr, error: null };
  } catch (e) {
    return { status: e instanceof UsageError ? 2 : 1, stdout, stderr, error: e as Error };
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
}
const sweep = (...args: string[]) => captured(() => sweepCommand(args));

test('eac sweep --help documents the grid, the out dir, resuming and --import', async () => {
  const r = eac('sweep', '--help');
  assert.equal(r.status, 0, r.stderr);
  for (const s of ['--methods', '--noise', '--seeds', '--jobs', '--out DIR', '--import', 'sweep.json', 'table.md', 'resume', '130'])
    assert.ok(r.stdout.includes(s), s);
  const help = await captured(() => main(['help']));
  assert.match(help.stdout, /eac sweep \[options\] --out DIR/);
});

test('eac sweep refuses bad flags with one line', async () => {
  const cases: [string[], RegExp][] = [
    [[...tiny], /--out DIR is required/],
    [['--noise', '0,1', ...tiny, '--out', tmp], /--noise must be rates in \[0, 1\), got "1"/],
    [['--methods', 'eac,mixup', ...tiny, '--out', tmp], /--methods must be one of baseline, eac, got "mixup"/],
    [['--noise', '0.1,0.1', ...tiny, '--out', tmp], /0\.1 is listed twice/],
    [['--method', 'eac', ...tiny, '--out', tmp], /Unknown option '--method'/],
    [['--seeds', '0', '--out', path.join(tmp, 'empty')], /no dataset/],
    [['--out', path.join(tmp, 'nothing-here')], /no sweep there yet/],
    [['--jobs', '0', ...tiny, '--out', tmp], /--jobs must be an integer in \[1, 64\]/],
    [['--out', fixture], /not a folder/],
    [[...tiny, 'stray', '--out', tmp], /unexpected argument "stray"/],
  ];
  for (const [args, why] of cases) {
    const r = await sweep(...args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.error?.message}`);
    assert.match(r.error!.message, why);
    assert.ok(!r.error!.message.includes('\n'), r.error!.message);
  }
});

test('a rerun with other settings is refused, naming the flag; a broken sweep.json is refused', async () => {
  const dir = path.join(tmp, 'other');
  // The sweep file a first `eac sweep --demo … --epochs 2 --noise 0,0.2` writes (--import: no training).
  const first = await sweep(...tiny, '--epochs', '2', '--noise', '0,0.2', '--import', fixture, '--out', dir);
  assert.equal(first.status, 1, 'the fixture (6 epochs, noise 0.25) fits no cell: refused');
  assert.match(first.stderr, /refused .*eac-train-out\.json: the run's epochs is 6, the sweep's 2/);
  for (const [args, why] of [
    [['--epochs', '3'], /is a different sweep: --epochs is 3, the sweep's is 2/],
    [['--noise', '0,0.3'], /--noise is 0,0\.3, the sweep's is 0,0\.2/],
    [['--lr', '0.001'], /--lr is 0\.001, the sweep's is 0\.0002/],
    [['--data', tmp], /the dataset is a RAF-DB folder \(--data\), the sweep's is the demo dataset/],
  ] as [string[], RegExp][]) {
    const r = await sweep(...args, '--import', fixture, '--out', dir);
    assert.equal(r.status, 2, r.error?.message);
    assert.match(r.error!.message, why);
  }
  writeFileSync(
    path.join(dir, 'sweep.json'),
    readFileSync(path.join(dir, 'sweep.json'), 'utf8').replace('"paused": false', '"paused": "no"'),
  );
  const r = await sweep('--out', dir);
  assert.equal(r.status, 2);
  assert.match(r.error!.message, /sweep\.json\.paused: expected true or false, got "no"/);
});

test('eac sweep --import: a run made elsewhere fills its cell and the table', async () => {
  const dir = path.join(tmp, 'import');
  const r = await sweep(...tiny, '--epochs', '6', '--methods', 'baseline,eac', '--noise', '0,0.25', '--import', fixture, '--out', dir);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /imported .*eac-train-out\.json as eac-noise0\.25-seed0/);
  const state = parseSweepJson(readFileSync(path.join(dir, 'sweep.json'), 'utf8'));
  const cell = state.cells['eac-noise0.25-seed0'];
  assert.equal(cell.status === 'done' && cell.imported, true);
  assert.deepEqual(JSON.parse(readFileSync(path.join(dir, 'eac-noise0.25-seed0.json'), 'utf8')), JSON.parse(readFileSync(fixture, 'utf8')));
  const md = readFileSync(path.join(dir, 'table.md'), 'utf8');
  assert.match(md, /\| EAC \| – \| 10\.00 \|/, 'the fixture’s mean of its last 5 epochs, 10%');
  assert.equal(r.stdout, md);
  const again = await sweep('--import', fixture, '--out', dir);
  assert.equal(again.status, 1);
  assert.match(again.stderr, /refused .*: eac-noise0\.25-seed0 already has a result/);
  const hostile = path.join(dir, 'not-json.json');
  writeFileSync(hostile, '{"config": ');
  const bad = await sweep('--import', '/dev/zero', hostile, '--out', dir);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /refused \/dev\/zero: not a regular file \(a character device\)\n/);
  assert.match(bad.stderr, /refused .*not-json\.json: not JSON/);
});

test("a sweep of the lab's cached dataset is not trained by eac", async () => {
  const dir = path.join(tmp, 'lab');
  const s = createSweep(
    {
      methods: ['eac'],
      noiseRates: [0],
      seeds: [0],
      config: { arch: 'resnet18' },
      data: { kind: 'cached', key: 'k', name: 'RAF-DB', labelFile: null, noiseRate: 0, noiseSeed: 0 },
    },
    { id: 'lab', name: 'lab', createdAt: 0 },
  );
  mkdirSync(dir);
  writeFileSync(path.join(dir, 'sweep.json'), sweepJsonText(s));
  const r = await sweep('--out', dir);
  assert.equal(r.status, 2);
  assert.match(r.error!.message, /trains on a dataset of the lab's cache: run it in the lab/);
  assert.equal(readFileSync(path.join(dir, 'sweep.json'), 'utf8'), sweepJsonText(s), 'left as it was');
});

/** Runs `eac sweep` and sends SIGINT once `when` matches its stderr. */
function runUntil(args: string[], when: RegExp): Promise<{ status: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let sent = false;
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => {
      stderr += d;
      if (!sent && when.test(stderr)) {
        sent = true;
        child.kill('SIGINT');
      }
    });
    child.stdout.resume();
    child.on('close', (status) => resolve({ status, stderr }));
  });
}

test('killed after its first cell, a sweep resumes: the finished cell is skipped, the other continues from its checkpoint', {
  skip: backend !== 'wasm' && 'trains models: runs in the wasm suite',
}, async () => {
  const dir = path.join(tmp, 'kill');
  const args = ['sweep', '--demo', '--demo-train', '16', '--demo-test', '8', '--arch', 'resnet18', '--width', '2', '--size', '32'];
  args.push('--batch-size', '8', '--epochs', '3', '--methods', 'baseline,eac', '--noise', '0.25', '--backend', backend, '--out', dir);
  // Stopped at the second cell's first step line: the first cell is done, the second mid-run.
  const first = await runUntil(args, /cell 2\/2 EAC, noise 25%, seed 0: epoch 1\/3 step/);
  assert.equal(first.status, 130, first.stderr);
  assert.match(first.stderr, /cell 1\/2 Baseline, noise 25%, seed 0: done/);
  assert.match(first.stderr, /sweep stopped: 1\/2 cells done; rerun with --out/);
  const stopped = parseSweepJson(readFileSync(path.join(dir, 'sweep.json'), 'utf8'));
  assert.equal(stopped.cells['baseline-noise0.25-seed0'].status, 'done');
  const mid = stopped.cells['eac-noise0.25-seed0'];
  assert.equal(mid.status, 'resumable', JSON.stringify(mid));
  const at = mid.status === 'resumable' ? mid.checkpoint.step : -1;
  assert.ok(at > 0 && at < 6, `stopped mid-run at step ${at}`);
  assert.ok(existsSync(path.join(dir, 'eac-noise0.25-seed0.ckpt')));
  assert.ok(!existsSync(path.join(dir, 'baseline-noise0.25-seed0.ckpt')), "a finished cell's checkpoint is removed");
  const doneJson = path.join(dir, 'baseline-noise0.25-seed0.json');
  const before = { text: readFileSync(doneJson, 'utf8'), mtime: statSync(doneJson).mtimeMs };

  // The rerun: same out dir, no settings (the sweep's own), the cell in a child process.
  const second = eac('sweep', '--out', dir, '--jobs', '2', '--backend', backend);
  assert.equal(second.status, 0, second.stderr);
  assert.doesNotMatch(second.stderr, /cell 1\/2 Baseline[^\n]*starting/, 'the finished cell is not run again');
  assert.match(second.stderr, new RegExp(`cell 2/2 EAC, noise 25%, seed 0: resuming from eac-noise0\\.25-seed0\\.ckpt \\(step ${at}\\)`));
  assert.match(second.stderr, new RegExp(`\\[eac-noise0\\.25-seed0\\] resuming from .*: step ${at},`));
  assert.deepEqual({ text: readFileSync(doneJson, 'utf8'), mtime: statSync(doneJson).mtimeMs }, before);
  const run = JSON.parse(readFileSync(path.join(dir, 'eac-noise0.25-seed0.json'), 'utf8'));
  assert.equal(run.epochs.length, 3);
  assert.equal(run.summary.steps, 6);
  assert.equal(run.summary.stoppedBy, 'completed');
  const end = parseSweepJson(readFileSync(path.join(dir, 'sweep.json'), 'utf8'));
  const cell = end.cells['eac-noise0.25-seed0'];
  assert.deepEqual(cell.status === 'done' && cell.summary, run.summary);
  assert.equal(second.stdout, readFileSync(path.join(dir, 'table.md'), 'utf8'));
  assert.match(second.stdout, /\| Baseline \| \d+\.\d\d \|\n/);
});

test('a sweep of a slice of a folder dataset passes --train-count/--test-count to each cell, keeps them, refuses others', () => {
  const spec = specFromFlags({ data: tmp, 'train-count': '2000', 'test-count': '500', noise: '0.4', methods: 'eac' });
  assert.deepEqual([spec.data.kind === 'folder' && spec.data.trainCount, spec.data.kind === 'folder' && spec.data.testCount], [2000, 500]);
  const state = createSweep(spec, { id: 's', name: 's', createdAt: 0 });
  const back = parseSweepJson(sweepJsonText(state));
  assert.equal(specDifference(state.spec, back.spec), null, 'the counts survive sweep.json');
  const [cell] = expandGrid(back.spec);
  const args = newRunArgs(back.spec, cell!, tmp, { backend: 'cpu', logSteps: false, every: [] });
  const after = (flag: string) => args[args.indexOf(flag) + 1];
  assert.deepEqual([after('--train-count'), after('--test-count')], ['2000', '500']);
  const other = specFromFlags({ data: tmp, 'train-count': '1000', 'test-count': '500', noise: '0.4', methods: 'eac' });
  assert.match(specDifference(back.spec, other) ?? '', /--train-count is 1000, the sweep's is 2000/);
  // A sweep.json written before the counts existed reads as the whole dataset.
  const old = sweepJsonText(state)
    .replace(/\n\s*"trainCount": 2000,/, '')
    .replace(/\n\s*"testCount": 500,/, '');
  assert.ok(!old.includes('trainCount'));
  const whole = parseSweepJson(old).spec.data;
  assert.deepEqual(whole.kind === 'folder' && [whole.trainCount, whole.testCount], [null, null]);
});
