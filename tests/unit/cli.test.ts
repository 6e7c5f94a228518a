// The `eac` command end to end: JSON shapes, saving and re-evaluating a model, errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { TINY_DEMO_ARGS } from '../fixtures/tiny-demo-args.ts';

const bin = new URL('../../bin/eac.js', import.meta.url).pathname;
const eac = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
const tmp = mkdtempSync(path.join(tmpdir(), 'eac-cli-'));
/** The `__metadata__` of a safetensors file. */
function safetensorsMetadata(file: string): Record<string, string> {
  const b = readFileSync(file);
  return JSON.parse(b.subarray(8, 8 + Number(b.readBigUInt64LE(0))).toString('utf8')).__metadata__;
}
const tiny = [...TINY_DEMO_ARGS, '--backend', 'cpu'];

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
  // As the page does, the CLI says when EAC's attention maps are too coarse to say where the network looks.
  assert.match(r.stderr, /note: At this input size the attention maps are 1×1, a single cell/);
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
  assert.doesNotMatch(r.stderr, /looks like you are running TensorFlow\.js in Node/, 'no tfjs-node advertisement');

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
    [['train', '--demo', '--lr', 'abc'], /--lr must be a number in \(0, 10\], got "abc"/],
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

test('eval progress: images done, img/s and ETA on stderr, every 2 s and at the end', async () => {
  const { evalProgressLine, evalProgressReporter } = await import('../../src/cli/eval-progress.ts');
  assert.equal(evalProgressLine(500, 2000, 10), 'eval: 500/2000 images, 50.0 img/s, ETA 30s');
  assert.equal(evalProgressLine(2000, 2000, 40), 'eval: 2000/2000 images, 50.0 img/s, ETA 0s');
  assert.equal(evalProgressLine(0, 2000, 0), 'eval: 0/2000 images, ETA ?');
  let t = 0;
  const lines: string[] = [];
  const report = evalProgressReporter(
    (l) => lines.push(l),
    () => t,
  );
  for (let done = 100; done <= 1000; done += 100) {
    t += 500;
    report(done, 1000);
  }
  assert.deepEqual(lines, [
    'eval: 400/1000 images, 200.0 img/s, ETA 3s',
    'eval: 800/1000 images, 200.0 img/s, ETA 1s',
    'eval: 1000/1000 images, 200.0 img/s, ETA 0s',
  ]);
  // Quiet (each epoch of eac train): an evaluation over within 2 s writes nothing; a long one does.
  const quietLines: string[] = [];
  t = 0;
  const quick = evalProgressReporter(
    (l) => quietLines.push(l),
    () => t,
    2000,
    true,
  );
  t = 1500;
  quick(1000, 1000);
  assert.equal(quietLines.length, 0);
  const slow = evalProgressReporter(
    (l) => quietLines.push(l),
    () => t,
    2000,
    true,
  );
  t += 2500;
  slow(500, 1000);
  t += 2500;
  slow(1000, 1000);
  assert.deepEqual(quietLines, ['eval: 500/1000 images, 200.0 img/s, ETA 3s', 'eval: 1000/1000 images, 200.0 img/s, ETA 0s']);
});

test('backend out-of-memory failures are explained with what to do', async () => {
  const { explainError } = await import('../../src/cli/main.ts');
  assert.match(
    explainError('Aborted(). Build with -sASSERTIONS for more info.'),
    /^out of memory on this backend .*: lower --batch-size or --size$/,
  );
  assert.equal(explainError('--lr must be a number > 0, got "abc"'), '--lr must be a number > 0, got "abc"');
  // With the step's shape: at batch 1 a smaller batch cannot help, so the advice is the size or width.
  const { withOomAdvice } = await import('../../src/cli/memory.ts');
  const oom = new Error('Failed to allocate 123 bytes');
  const at = (batchSize: number) => (withOomAdvice(oom, { batchSize, size: 112, width: 32 }) as Error).message;
  assert.equal(
    at(16),
    'out of memory on this backend (Failed to allocate 123 bytes): lower --batch-size (now 16; try 8) or --size (now 112)',
  );
  assert.equal(
    at(1),
    'out of memory on this backend (Failed to allocate 123 bytes): not even a batch of 1 fits: lower --size (now 112) or --width (now 32)',
  );
  assert.equal(explainError(at(1)), at(1), 'explained once');
  // Refused up front when not even a batch of 1 fits: the advice pairs batch 1 with a size or width that fits.
  const { memoryRefusal } = await import('../../src/cli/memory.ts');
  const huge = { arch: 'resnet50', width: 64, size: 2048, batchSize: 4096, method: 'eac' } as const;
  const refusal = memoryRefusal(huge, 'wasm') ?? '';
  const m = /not even a batch of 1 fits; use --batch-size 1 --size (\d+), or --batch-size 1 --width (\d+)/.exec(refusal);
  assert.ok(m, refusal);
  assert.equal(memoryRefusal({ ...huge, batchSize: 1, size: Number(m[1]) }, 'wasm'), null, 'the suggested size fits');
  assert.equal(memoryRefusal({ ...huge, batchSize: 1, width: Number(m[2]) }, 'wasm'), null, 'the suggested width fits');
  const other = new Error('no such file');
  assert.equal(withOomAdvice(other, { batchSize: 1, size: 32, width: 1 }), other);
});

test('eac train stops at Ctrl-C on the wasm backend: the current step ends, the run reports cancelled', async () => {
  // On CPU backends the loop must still let the signal in (src/engine/trainer.ts letEventsIn).
  const saved = path.join(tmp, 'cancelled.safetensors');
  // 80 steps an epoch: Ctrl-C, sent at the first step's line, lands inside the first epoch (with
  // 8, it could land at an epoch's start, which leaves no unfinished epoch to report).
  const args = [
    'train',
    '--demo',
    '--demo-train',
    '640',
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
    '--save',
    saved,
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
  // A cancelled run says so in its exit status (128 + SIGINT), its JSON and its saved model.
  assert.equal(code, 130, stderr);
  assert.match(stderr, /interrupted: finishing the current step/);
  const out = JSON.parse(stdout);
  assert.equal(out.summary.stoppedBy, 'cancelled');
  assert.ok(out.summary.epochs < 200, `ran ${out.summary.epochs} epochs`);
  // The steps of the unfinished epoch are in the model, so the JSON reports them.
  const done = out.epochs.reduce((n: number, e: { steps: number }) => n + e.steps, 0);
  assert.equal(done + (out.unfinishedEpoch?.steps ?? 0), out.summary.steps);
  assert.ok(out.unfinishedEpoch && out.unfinishedEpoch.steps > 0, JSON.stringify(out.unfinishedEpoch));
  const meta = safetensorsMetadata(saved);
  assert.deepEqual([meta.stoppedBy, meta.steps], ['cancelled', String(out.summary.steps)]);
});

/** Fails fast: one line naming the flag, status 2, nothing trained (no dataset was even built). */
function refusedUpFront(args: string[], pattern: RegExp): void {
  const r = eac(...args);
  assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
  assert.match(r.stderr, pattern, args.join(' '));
  assert.equal(r.stderr.trim().split('\n').length, 1, `one line for ${args.join(' ')}: ${r.stderr}`);
  assert.doesNotMatch(r.stderr, /demo dataset/);
}

test('numeric flags are parsed strictly: integers, ranges, no hex, negatives get the range (not "ambiguous")', () => {
  const cases: [string[], RegExp][] = [
    [['--seed', '4294967296'], /^eac train: error: --seed must be an integer in \[0, 4294967295 \(2\^32 - 1\)\], got "4294967296"$/m],
    [['--seed', '1.5'], /--seed must be an integer in \[0, 4294967295/],
    [['--seed', '-1'], /--seed must be an integer in \[0, 4294967295.*got "-1"/],
    [['--seed', '1e3'], /--seed must be an integer/],
    [['--seed', '0x10'], /--seed must be an integer/],
    [['--lr', '0x10'], /--lr must be a number in \(0, 10\], got "0x10"/],
    [['--lr', '-1'], /--lr must be a number in \(0, 10\], got "-1"/],
    [['--lr', 'Infinity'], /--lr must be a number in \(0, 10\]/],
    [['--lr', '1e999'], /--lr must be a number in \(0, 10\]/],
    [['--lr', ' 1'], /--lr must be a number in \(0, 10\]/],
    [['--epochs', '-3'], /--epochs must be an integer in \[1, 100000\], got "-3"/],
    [['--epochs=-3'], /--epochs must be an integer in \[1, 100000\]/],
    [['--epochs', '2.0'], /--epochs must be an integer/],
    [['--batch-size', '0'], /--batch-size must be an integer in \[1, 4096\]/],
    [['--size', '0b1000000'], /--size must be an integer in \[32, 2048\]/],
    [['--noise', '-0.1'], /--noise must be a rate in \[0, 1\], got "-0.1"/],
    [['--gamma', '0x1'], /--gamma must be a number in \(0, 1\]/],
    [['--max-steps', '99999999999'], /--max-steps must be an integer in \[1, 2147483647\]/],
    [['--demo-train', '1e9'], /--demo-train must be an integer in \[1, 20000\]/],
    [
      ['--checkpoint-every-s', '-5', '--checkpoint', path.join(tmp, 'c.ckpt')],
      /--checkpoint-every-s must be a number of seconds in \(0, 10000000\], got "-5"/,
    ],
  ];
  for (const [flags, pattern] of cases) refusedUpFront(['train', '--demo', ...flags], pattern);
  refusedUpFront(['eval', '--demo', '--weights', 'x', '--size', '0x40'], /--size must be an integer in \[32, 2048\], got "0x40"/);
  refusedUpFront(['bench', '--steps', '-1'], /--steps must be an integer in \[1, 100000\], got "-1"/);
});

test('--out, --save and --checkpoint are checked before the first step (and before the dataset is built)', () => {
  const tiny1 = [...tiny, '--epochs', '1'];
  const missing = path.join(tmp, 'no-such-folder', 'run.json');
  refusedUpFront(
    ['train', ...tiny1, '--out', missing],
    /^eac train: error: --out .*run\.json: its folder .*no-such-folder does not exist \(ENOENT\)$/m,
  );
  refusedUpFront(['train', ...tiny1, '--save', tmp], /--save .*: is a folder/);
  refusedUpFront(['train', ...tiny1, '--checkpoint', path.join(missing, 'x.ckpt')], /--checkpoint .*does not exist/);
  refusedUpFront(
    ['train', ...tiny1, '--out', path.join(tmp, 'same'), '--save', path.join(tmp, 'same')],
    /--save and --out name the same file/,
  );
  refusedUpFront(['train', ...tiny1, '--checkpoint-every-steps', '5'], /--checkpoint-every-steps needs --checkpoint FILE/);
  refusedUpFront(
    ['eval', '--demo', '--weights', path.join(tmp, 'missing.safetensors'), '--out', missing],
    /^eac eval: error: --out .*does not exist/m,
  );
});

test("defaults that cannot fit the backend are refused up front, with the flags to lower; README's first train example fits", async () => {
  refusedUpFront(
    ['train', '--demo'],
    /^eac train: error: a training step of resnet50 width 64 at 224px, batch 32 \(eac\), pass 1 recomputed, needs about [\d.]+ GiB, more than the wasm backend's 4 GiB heap: lower one: --batch-size \d+, or --size \d+.*\(or use --backend (cpu or )?webgpu\)$/m,
  );
  // The suggested batch size is one the estimate lets through.
  const { memoryRefusal } = await import('../../src/cli/memory.ts');
  const r = eac('train', '--demo');
  const batch = Number(/--batch-size (\d+)/.exec(r.stderr)![1]);
  // eac train plans an EAC step that fits only so with pass 1 recomputed.
  const shape = { arch: 'resnet50', width: 64, size: 224, method: 'eac', recompute: true } as const;
  assert.equal(memoryRefusal({ ...shape, batchSize: batch }, 'wasm'), null);
  assert.notEqual(memoryRefusal({ ...shape, batchSize: batch + 1 }, 'wasm'), null);
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const first = /npx eac (train .*)/.exec(readme)![1].trim().split(/\s+/);
  const flag = (f: string, d: string) => (first.includes(f) ? first[first.indexOf(f) + 1] : d);
  assert.equal(
    memoryRefusal(
      {
        arch: flag('--arch', 'resnet50') as 'resnet18',
        width: +flag('--width', '64'),
        size: +flag('--size', '224'),
        batchSize: +flag('--batch-size', '32'),
        method: flag('--method', 'eac') as 'eac',
      },
      'wasm',
    ),
    null,
    first.join(' '),
  );
});

test('eac train killed (SIGKILL) mid-epoch and resumed from its checkpoint ends bit-identical to an uninterrupted run', async () => {
  const run = [
    'train',
    '--demo',
    '--demo-train',
    '32',
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
    '--epochs',
    '3',
    '--noise',
    '0.25',
    '--log-steps',
  ];
  const straightModel = path.join(tmp, 'straight.safetensors');
  const straight = eac(...run, '--save', straightModel, '--json');
  assert.equal(straight.status, 0, straight.stderr);

  const ckpt = path.join(tmp, 'run.ckpt');
  const model = path.join(tmp, 'resumed.safetensors');
  const outFile = path.join(tmp, 'resumed.json');
  const child = spawn(
    process.execPath,
    [bin, ...run, '--save', model, '--out', outFile, '--checkpoint', ckpt, '--checkpoint-every-steps', '1'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  // Killed without warning right after its second checkpoint (step 2 of epoch 1's 4).
  child.stderr.on('data', (d) => {
    stderr += d;
    if (/checkpoint: step 2 /.test(stderr)) child.kill('SIGKILL');
  });
  const guard = setTimeout(() => child.kill('SIGKILL'), 240_000);
  await exited;
  clearTimeout(guard);
  assert.equal(child.signalCode, 'SIGKILL', stderr);

  // A checkpoint never chooses what is overwritten: the paths stored in it (here edited to point
  // at two files of the user's) are not used; with no --out/--save the resumed run writes beside
  // the checkpoint.
  const whole0 = readFileSync(ckpt);
  const victims = [path.join(tmp, 'victims.json'), path.join(tmp, 'victims.safetensors')];
  for (const v of victims) writeFileSync(v, 'keep me');
  const planted = Buffer.from(whole0.toString('latin1').replaceAll('resumed.', 'victims.'), 'latin1');
  assert.equal(planted.length, whole0.length);
  writeFileSync(ckpt, planted);
  const resumed = eac('train', '--resume', ckpt);
  assert.equal(resumed.status, 0, resumed.stderr);
  for (const v of victims) assert.equal(readFileSync(v, 'utf8'), 'keep me', `${v} untouched`);
  assert.match(
    resumed.stderr,
    /--resume: the model goes to .*run\.safetensors \(the checkpoint's run wrote .*victims\.safetensors; --save chooses\)/,
  );
  const at = Number(/resuming from .*: step (\d+)/.exec(resumed.stderr)![1]);
  assert.ok(at >= 2 && at < 12, `resumed before the end (step ${at})`);
  const sha = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');
  assert.equal(sha(path.join(tmp, 'run.safetensors')), sha(straightModel));
  assert.ok(!existsSync(model), 'nothing written where the killed run would have');
  const timeless = (o: { epochs: object[]; summary: object }) => ({
    ...o,
    epochs: o.epochs.map((e) => ({ ...e, seconds: 0, imagesPerSecond: 0 })),
    summary: { ...o.summary, seconds: 0 },
  });
  assert.deepEqual(timeless(JSON.parse(readFileSync(path.join(tmp, 'run.json'), 'utf8'))), timeless(JSON.parse(straight.stdout)));
  assert.ok(!existsSync(outFile));

  // Settings that would change the run are refused; a damaged checkpoint is named, not trained on.
  refusedUpFront(['train', '--resume', ckpt, '--lr', '0.1'], /--resume continues the run with the settings it was started with: drop --lr/);
  refusedUpFront(['train', '--resume', '/dev/zero'], /--resume: \/dev\/zero is not a regular file/);
  const cut = path.join(tmp, 'cut.ckpt');
  const whole = readFileSync(ckpt);
  writeFileSync(cut, whole.subarray(0, 12 + whole.readUInt32LE(8) + 1000)); // the header, then part of the arrays
  refusedUpFront(
    ['train', '--resume', cut],
    /--resume: not a valid eac checkpoint: array .* runs past the end of the file \(truncated\?\)/,
  );
  writeFileSync(cut, 'PK\x03\x04 not a checkpoint');
  refusedUpFront(['train', '--resume', cut], /not a valid eac checkpoint: it does not start with the checkpoint signature/);
});

test('outputs under /proc, /sys or /dev are refused up front; a planted .sweep.lock that is not a lock is refused', () => {
  refusedUpFront(
    ['train', '--demo', '--out', '/proc/self/x.json'],
    /--out \/proc\/self\/x\.json: \/proc is the system's, not a place for results/,
  );
  refusedUpFront(['train', '--demo', '--save', '/sys/kernel/x.safetensors'], /--save .*: \/sys is the system's/);
  refusedUpFront(['sweep', '--demo', '--out', '/proc/eac-sweep'], /--out \/proc\/eac-sweep: \/proc is the system's/);
  // A lock planted as a link to /dev/zero (it grew past 4 GB) and as a FIFO (it hung).
  for (const [name, plant] of [
    ['link', (f: string) => symlinkSync('/dev/zero', f)],
    ['fifo', (f: string) => execFileSync('mkfifo', [f])],
  ] as const) {
    const dir = path.join(tmp, `locked-${name}`);
    mkdirSync(dir);
    plant(path.join(dir, '.sweep.lock'));
    const r = spawnSync(process.execPath, [bin, 'sweep', '--demo', '--out', dir], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /its lock \.sweep\.lock is (a symbolic link|a FIFO), not a lock eac wrote/);
  }
});

test("a sweep folder's files are never links, and no refusal quotes a file's bytes", () => {
  const dir = path.join(tmp, 'linked-sweep');
  mkdirSync(dir);
  symlinkSync('/etc/passwd', path.join(dir, 'sweep.json'));
  const r = eac('sweep', '--out', dir);
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /sweep\.json: not a regular file \(a symbolic link\)/);
  // Imported by name, a link is followed (the user named it), but its text is never quoted.
  const link = path.join(tmp, 'passwd-link.json');
  symlinkSync('/etc/passwd', link);
  const other = path.join(tmp, 'import-sweep');
  const imp = eac(
    'sweep',
    '--demo',
    '--demo-train',
    '16',
    '--demo-test',
    '8',
    '--width',
    '2',
    '--size',
    '32',
    '--epochs',
    '1',
    '--out',
    other,
    '--import',
    link,
    '--max-steps',
    '1',
    '--methods',
    'baseline',
    '--noise',
    '0',
  );
  assert.match(imp.stderr, /refused .*passwd-link\.json: not JSON \(Unexpected token …, … is not valid JSON\)/);
  for (const out of [r.stderr, imp.stderr]) assert.doesNotMatch(out, /root:/);
});
