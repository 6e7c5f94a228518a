// The `eac` command end to end: JSON shapes, saving and re-evaluating a model, errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const bin = new URL('../../bin/eac.js', import.meta.url).pathname;
const eac = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
const tmp = mkdtempSync(path.join(tmpdir(), 'eac-cli-'));
const tiny = [
  '--demo',
  '--demo-train',
  '16',
  '--demo-test',
  '8',
  '--arch',
  'resnet18',
  '--width',
  '2',
  '--size',
  '32',
  '--batch-size',
  '8',
  '--backend',
  'cpu',
];

test('eac train --json: config, epochs, steps (before each update), summary; --save; eac eval agrees', () => {
  const model = path.join(tmp, 'model.safetensors');
  const r = eac(
    'train',
    ...tiny,
    '--epochs',
    '2',
    '--noise',
    '0.25',
    '--json',
    '--log-steps',
    '--save',
    model,
    '--out',
    path.join(tmp, 'run.json'),
  );
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.deepEqual(JSON.parse(readFileSync(path.join(tmp, 'run.json'), 'utf8')), out);
  assert.equal(out.config.arch, 'resnet18');
  assert.equal(out.config.lr, 2e-4); // ResNet-18's default learning rate
  assert.equal(out.epochs.length, 2);
  for (const key of ['epoch', 'loss', 'ce', 'consistency', 'trainAccNoisy', 'trainAccClean', 'testAcc', 'lr', 'seconds', 'imagesPerSecond'])
    assert.ok(key in out.epochs[0], key);
  assert.equal(out.steps.length, 4);
  assert.deepEqual(Object.keys(out.steps[0]).sort(), ['ce', 'consistency', 'epoch', 'loss', 'step']);
  assert.ok(out.noise.changed > 0);
  assert.equal(out.summary.testAccLast5, (out.epochs[0].testAcc + out.epochs[1].testAcc) / 2);
  assert.match(r.stderr, /epoch 2: loss/);

  const e = eac('eval', '--demo', '--demo-test', '8', '--weights', model, '--size', '32', '--backend', 'cpu', '--json');
  assert.equal(e.status, 0, e.stderr);
  const ev = JSON.parse(e.stdout);
  assert.equal(ev.samples.length, 8);
  assert.deepEqual(Object.keys(ev.samples[0]).sort(), ['label', 'logits', 'name', 'pred']);
  assert.equal(ev.confusion.length, 7);
  // The saved model evaluated again gives the run's final test accuracy.
  assert.equal(ev.accuracy, out.epochs[1].testAcc);
});

test('eac bench --json reports throughput', () => {
  const r = eac(
    'bench',
    '--arch',
    'resnet18',
    '--width',
    '2',
    '--size',
    '32',
    '--batch-size',
    '4',
    '--steps',
    '1',
    '--warmup',
    '0',
    '--backend',
    'cpu',
    '--json',
  );
  assert.equal(r.status, 0, r.stderr);
  const b = JSON.parse(r.stdout);
  assert.equal(b.arch, 'resnet18');
  assert.equal(b.size, 32);
  assert.equal(b.batchSize, 4);
  assert.equal(b.backend, 'cpu');
  assert.ok(b.msPerStep > 0 && b.imagesPerSecond > 0);
});

test('bad input: a one-line reason and a non-zero exit code', () => {
  const cases: [string[], RegExp][] = [
    [['train', '--demo', '--lr', 'abc'], /--lr must be a number > 0, got "abc"/],
    [['train', '--demo', '--arch', 'vgg'], /--arch must be one of resnet50, resnet18/],
    [['train', '--epochs', '1'], /no dataset: give --demo/],
    [['train', '--demo', '--bogus'], /Unknown option '--bogus'/],
    [['train', '--demo', '--noise', '2'], /--noise must be a rate in \[0, 1\]/],
    [['eval', '--demo', '--weights', path.join(tmp, 'missing.safetensors')], /cannot read .*ENOENT/],
    [['frobnicate'], /unknown command/],
  ];
  for (const [args, pattern] of cases) {
    const r = eac(...args);
    assert.notEqual(r.status, 0, args.join(' '));
    assert.match(r.stderr, pattern);
    assert.equal(r.stderr.trim().split('\n').length, 1, `one line for ${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stdout, '');
  }
});

test('backend out-of-memory failures are explained with what to do', async () => {
  const { explainError } = await import('../../src/cli/main.ts');
  assert.match(
    explainError('Aborted(). Build with -sASSERTIONS for more info.'),
    /^out of memory on this backend .*: lower --batch-size or --size$/,
  );
  assert.equal(explainError('--lr must be a number > 0, got "abc"'), '--lr must be a number > 0, got "abc"');
});

test('eac train stops at Ctrl-C on the wasm backend: the current step ends, the run reports cancelled', async () => {
  // On CPU backends the loop must still let the signal in (src/engine/trainer.ts letEventsIn).
  const args = [
    'train',
    '--demo',
    '--demo-train',
    '64',
    '--demo-test',
    '8',
    '--arch',
    'resnet18',
    '--width',
    '2',
    '--size',
    '32',
    '--batch-size',
    '8',
    '--backend',
    'wasm',
    '--epochs',
    '200',
    '--json',
  ];
  const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  const stepped = new Promise<void>((resolve) =>
    child.stderr.on('data', (d) => {
      stderr += d;
      if (/ step \d+\/\d+ loss/.test(stderr)) resolve();
    }),
  );
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  // Whatever happens, the test must not hang: the run would take many minutes to finish.
  const guard = setTimeout(() => child.kill('SIGKILL'), 240_000);
  await Promise.race([stepped, exited]);
  child.kill('SIGINT');
  const code = await exited;
  clearTimeout(guard);
  assert.equal(code, 0, stderr);
  assert.match(stderr, /interrupted: finishing the current step/);
  const out = JSON.parse(stdout);
  assert.equal(out.summary.stoppedBy, 'cancelled');
  assert.ok(out.summary.epochs < 200, `ran ${out.summary.epochs} epochs`);
});
