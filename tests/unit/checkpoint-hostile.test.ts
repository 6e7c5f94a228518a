// `eac train --resume` reads checkpoint files, which may come from anyone: the reader refuses, in
// one line naming the field, arrays that alias or overlap, unused or surplus arrays, headers too
// large or too deep, and numbers the flags would refuse or a run cannot continue from (non-finite
// weights or moments, negative variances or second moments). A property test flips random bytes
// and header fields of a real checkpoint: every case is read or refused with a CheckpointFileError,
// none crashes or hangs. Sweep files are bounded the same way before they are parsed.
import { test } from 'node:test';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import assert from 'node:assert/strict';
import { CheckpointFileError, decodeCheckpoint, encodeCheckpoint, type CliRun } from '../../src/cli/checkpoint-file.ts';
import { jsonBoundsExceeded, jsonErrorText } from '../../src/engine/bounded-json.ts';
import { parseSweepJson } from '../../src/engine/sweep/sweep-json.ts';
import { describeResNet, listParams } from '../../src/engine/resnet-layout.ts';
import { defaultTrainConfig } from '../../src/engine/config.ts';
import { CHECKPOINT_VERSION, type TrainCheckpoint } from '../../src/engine/checkpoint.ts';
import { Rng } from '../../src/engine/rng.ts';

// biome-ignore lint/suspicious/noExplicitAny: the tests edit a parsed header freely
type Header = Record<string, any>;

const config = { ...defaultTrainConfig('resnet18'), width: 2, size: 32, batchSize: 8, epochs: 3 };

function checkpoint(): { c: TrainCheckpoint; run: CliRun } {
  const rng = new Rng(1);
  const params = listParams(describeResNet({ arch: 'resnet18', width: 2, numClasses: 7 }));
  const values = new Map(
    params.map((p) => [p.name, Float32Array.from({ length: p.shape.reduce((a, b) => a * b, 1) }, () => rng.uniformRange(0.1, 1))]),
  );
  const trainable = params.filter((p) => p.trainable).map((p) => p.shape.reduce((a, b) => a * b, 1));
  const c: TrainCheckpoint = {
    version: CHECKPOINT_VERSION,
    config,
    epoch: 1,
    step: 2,
    values,
    optimizer: {
      step: 2,
      lr: 2e-4,
      m: trainable.map((n) => new Float32Array(n).fill(0.01)),
      v: trainable.map((n) => new Float32Array(n).fill(0.001)),
    },
    rng: { words: [1, 2, 3, 4], spare: null },
    epochs: [
      {
        epoch: 1,
        steps: 2,
        loss: 2,
        ce: 1.5,
        consistency: 0.1,
        trainAccNoisy: 0.5,
        trainAccClean: 0.5,
        memorisation: { flipped: 3, predictedNoisy: 0.5, predictedClean: null },
        testAcc: 0.25,
        test: {
          accuracy: 0.25,
          perClassAccuracy: [0.25, null, 0, 0, 1, 0, 0],
          confusion: [
            [1, 0],
            [0, 1],
          ],
        },
        lr: 2e-4,
        seconds: 1,
        imagesPerSecond: 16,
      },
    ],
    steps: [],
    imagesSeen: 16,
    seconds: 1,
    partial: null,
  };
  const run: CliRun = {
    data: { demo: true, dataDir: null, labels: null, noise: 0.2, demoTrain: 16, demoTest: 8 },
    backend: 'wasm',
    out: '/tmp/run.json',
    save: null,
    json: false,
    logSteps: false,
    every: { seconds: 300 },
    datasetSha256: 'ab'.repeat(32),
  };
  return { c, run };
}

/** The file with its header edited (the arrays' bytes kept; offsets are relative to the payload). */
function withHeader(bytes: Uint8Array, edit: (h: Header) => void): Uint8Array {
  const hlen = new DataView(bytes.buffer, bytes.byteOffset).getUint32(8, true);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + hlen)));
  edit(header);
  const json = new TextEncoder().encode(JSON.stringify(header));
  const payload = bytes.subarray(12 + hlen);
  const out = new Uint8Array(12 + json.length + payload.length);
  out.set(bytes.subarray(0, 8));
  new DataView(out.buffer).setUint32(8, json.length, true);
  out.set(json, 12);
  out.set(payload, 12 + json.length);
  return out;
}

const refused = (bytes: Uint8Array, why: RegExp) =>
  assert.throws(
    () => decodeCheckpoint(bytes),
    (e: unknown) => e instanceof CheckpointFileError && why.test(e.message),
  );

test('a well-formed checkpoint reads back', () => {
  const { c, run } = checkpoint();
  const back = decodeCheckpoint(encodeCheckpoint(c, run));
  assert.equal(back.checkpoint.step, 2);
  assert.deepEqual(back.checkpoint.values.get('conv1.weight'), c.values.get('conv1.weight'));
});

test('arrays that alias, overlap, repeat or are not part of a checkpoint are refused', () => {
  const { c, run } = checkpoint();
  const good = encodeCheckpoint(c, run);
  refused(
    withHeader(good, (h) => {
      h.arrays[1].offset = h.arrays[0].offset;
    }),
    /overlap/,
  );
  // 3,000 entries pointing at the same bytes (the 825 KB file of 4,000 such entries took 2.26 GB).
  refused(
    withHeader(good, (h) => {
      const first = h.arrays[0];
      for (let i = 0; i < 3000; i++) h.arrays.push({ ...first, name: `alias/${i}` });
    }),
    /overlap/,
  );
  refused(
    withHeader(good, (h) => {
      for (let i = 0; i < 5000; i++) h.arrays.push({ name: `x/${i}`, dtype: 'f32', offset: 0, length: 0 });
    }),
    /more than 4096 arrays/,
  );
  // An extra array in a region of its own: not part of a checkpoint.
  const extra = withHeader(good, (h) => {
    const end = Math.max(...h.arrays.map((a: { offset: number; length: number }) => a.offset + 4 * a.length));
    h.arrays.push({ name: 'junk', dtype: 'f32', offset: end, length: 1 });
  });
  const padded = new Uint8Array(extra.length + 4);
  padded.set(extra);
  refused(padded, /array junk is not part of a checkpoint/);
});

test('headers too large or too deep are refused without being parsed', () => {
  const { c, run } = checkpoint();
  const good = encodeCheckpoint(c, run);
  const huge = good.slice();
  new DataView(huge.buffer).setUint32(8, 100 * 2 ** 20, true);
  refused(huge, /its header claims 104857600 bytes/);
  let deep: unknown = 1;
  for (let i = 0; i < 40; i++) deep = [deep];
  refused(
    withHeader(good, (h) => {
      h.checkpoint.steps = [deep];
    }),
    /nests deeper than 16 levels/,
  );
});

test('numbers a run cannot continue from are refused, each named', () => {
  const cases: [string, (h: Header) => void, RegExp][] = [
    [
      'weight decay ∞',
      (h) => (h.checkpoint.config.weightDecay = { $float: 'Infinity' }),
      /^not a valid eac checkpoint: checkpoint\.config\.weightDecay: expected a number ≥ 0, got Infinity$/,
    ],
    ['1e15 epochs', (h) => (h.checkpoint.config.epochs = 1e15), /checkpoint\.config\.epochs: expected an integer in \[1, 100000\]/],
    ['width 1e6', (h) => (h.checkpoint.config.width = 1e6), /checkpoint\.config\.width: expected an integer in \[1, 1024\]/],
    ['demo count 1e9', (h) => (h.run.data.demoTrain = 1e9), /demo training count is not an integer in \[1, 20000\]/],
    ['demo count −5', (h) => (h.run.data.demoTest = -5), /demo test count/],
    ['noise 3', (h) => (h.run.data.noise = 3), /noise rate is not in \[0, 1\]/],
    ['cadence −5 steps', (h) => (h.run.every = { steps: -5 }), /cadence in steps/],
    [
      'cadence 1e8 seconds',
      (h) => (h.run.every = { seconds: 1e8 }),
      /cadence in seconds is not in \(0, 10000000\] \(as --checkpoint-every-s\)/,
    ],
    ['noise 1.5', (h) => (h.run.data.noise = 1.5), /noise rate is not in \[0, 1\]/],
    ['loss −1', (h) => (h.checkpoint.epochs[0].loss = -1), /epochs\[0\]\.loss: expected a finite loss ≥ 0, got -1/],
    ['loss NaN', (h) => (h.checkpoint.epochs[0].ce = { $float: 'NaN' }), /epochs\[0\]\.ce: expected a finite loss ≥ 0, got NaN/],
    ['train accuracy 2', (h) => (h.checkpoint.epochs[0].trainAccClean = 2), /epochs\[0\]\.trainAccClean: expected an accuracy/],
    ['per-class accuracy −1', (h) => (h.checkpoint.epochs[0].test.perClassAccuracy[1] = -1), /epochs\[0\]\.test\.perClassAccuracy\[1\]/],
    ['1e6 confusion rows', (h) => (h.checkpoint.epochs[0].test.confusion = Array(1e6).fill([])), /test\.confusion: at most 1000 entries/],
    ['epoch 0.5', (h) => (h.checkpoint.epochs[0].epoch = 0.5), /epochs\[0\]\.epoch: expected an integer in \[1, 100000\]/],
    ['step log step −1', (h) => (h.checkpoint.steps = [{ step: -1, epoch: 1, loss: 1, ce: 1, consistency: 0 }]), /steps\[0\]\.step/],
    ['optimiser steps ≠ run steps', (h) => (h.checkpoint.optimizer.step = 99), /checkpoint\.optimizer\.step: 99 steps, the run 2/],
    [
      'NaN learning rate',
      (h) => (h.checkpoint.optimizer.lr = { $float: 'NaN' }),
      /checkpoint\.optimizer\.lr: expected a number > 0, got NaN/,
    ],
    ['test accuracy 7', (h) => (h.checkpoint.epochs[0].testAcc = 7), /epochs\[0\]\.testAcc: expected an accuracy in \[0, 1\], got 7/],
    [
      'training time ∞',
      (h) => (h.checkpoint.seconds = { $float: 'Infinity' }),
      /checkpoint\.seconds: expected a finite number ≥ 0, got Infinity/,
    ],
    ['a path of control bytes', (h) => (h.run.out = 1234), /JSON output is not a path/],
  ];
  const { c, run } = checkpoint();
  const good = encodeCheckpoint(c, run);
  for (const [what, edit, why] of cases) {
    assert.throws(
      () => decodeCheckpoint(withHeader(good, edit)),
      (e: unknown) => e instanceof CheckpointFileError && why.test(e.message),
      what,
    );
  }
});

test('non-finite moments, negative second moments and negative running variances are refused', () => {
  const make = (edit: (c: TrainCheckpoint) => void) => {
    const { c, run } = checkpoint();
    edit(c);
    return encodeCheckpoint(c, run);
  };
  refused(
    make((c) => (c.optimizer.m[3][0] = Number.NaN)),
    /checkpoint\.optimizer\.m\[3\]: holds a non-finite value \(NaN at index 0\)/,
  );
  refused(
    make((c) => (c.optimizer.v[0][5] = -1)),
    /checkpoint\.optimizer\.v\[0\]: holds a negative second moment \(-1 at index 5\)/,
  );
  // A checkpoint within an epoch, its sums edited: named before anything is resumed.
  refused(
    make((c) => {
      c.partial = { order: new Int32Array([1, 0]), seenPreds: new Int32Array(0), position: 0, loss: -1, ce: 0, consistency: 0, seconds: 0 };
    }),
    /checkpoint\.partial\.loss: expected a finite number ≥ 0, got -1/,
  );
  refused(
    make((c) => (c.epochs[0].epoch = 2)),
    /checkpoint\.epochs\[0\]\.epoch: 2, expected 1/,
  );
  refused(
    make((c) => (c.values.get('bn1.running_var')![0] = -0.5)),
    /checkpoint\.values\.bn1\.running_var: holds a negative running variance \(-0\.5 at index 0\)/,
  );
});

test('random damage: every flipped byte or header field is read or refused, never a crash', () => {
  const { c, run } = checkpoint();
  const good = encodeCheckpoint(c, run);
  const hlen = new DataView(good.buffer).getUint32(8, true);
  const rng = new Rng(42);
  let accepted = 0;
  let refusedCount = 0;
  const tryOne = (bytes: Uint8Array) => {
    try {
      decodeCheckpoint(bytes);
      accepted++;
    } catch (e) {
      assert.ok(e instanceof CheckpointFileError, `not a CheckpointFileError: ${(e as Error).stack}`);
      assert.ok(!/[\u0000-\u001f\u007f-\u009f]/.test(e.message), `control characters in ${JSON.stringify(e.message)}`);
      refusedCount++;
    }
  };
  for (let i = 0; i < 400; i++) {
    const b = good.slice();
    // Mostly the header (where the structure is), sometimes the arrays.
    const at = rng.uniform() < 0.8 ? 8 + rng.int(0, hlen + 3) : rng.int(0, b.length - 1);
    b[at] = rng.int(0, 255);
    tryOne(b);
  }
  const junk = [null, -1, 0, 1e308, 2 ** 53, 'x\u001b]0;owned\u0007', [], {}, [[[[]]]], { $float: 'NaN' }, true];
  const fields: ((h: Header, v: unknown) => void)[] = [
    (h, v) => (h.checkpoint.step = v),
    (h, v) => (h.checkpoint.epoch = v),
    (h, v) => (h.checkpoint.config.batchSize = v),
    (h, v) => (h.checkpoint.config.size = v),
    (h, v) => (h.checkpoint.rng.words[0] = v),
    (h, v) => (h.checkpoint.partial = v),
    (h, v) => (h.checkpoint.epochs[0].loss = v),
    (h, v) => (h.run.data = v),
    (h, v) => (h.run.every = v),
    (h, v) => (h.arrays[rng.int(0, 20)].length = v),
    (h, v) => (h.arrays[rng.int(0, 20)].name = v),
    (h, v) => (h.arrays = v),
  ];
  for (let i = 0; i < 300; i++) {
    const field = fields[rng.int(0, fields.length - 1)];
    const value = junk[rng.int(0, junk.length - 1)];
    tryOne(withHeader(good, (h) => field(h, structuredClone(value))));
  }
  console.log(`# 700 damaged checkpoints: ${accepted} read, ${refusedCount} refused`);
  assert.equal(accepted + refusedCount, 700);
  assert.ok(refusedCount > 300);
});

test('JSON bounds are checked on the bytes: depth and containers, brackets in strings not counted', () => {
  const enc = (s: string) => new TextEncoder().encode(s);
  assert.equal(jsonBoundsExceeded(enc('{"a":"[[[[\\"[[","b":[1,2]}'), { maxDepth: 2, maxContainers: 2 }), null);
  assert.match(jsonBoundsExceeded(enc('[[[1]]]'), { maxDepth: 2, maxContainers: 10 }) ?? '', /deeper than 2 levels/);
  assert.match(jsonBoundsExceeded(enc('[{},{},{}]'), { maxDepth: 5, maxContainers: 3 }) ?? '', /more than 3 objects and arrays/);
  // A checkpoint header of 2.1 million empty objects (the 40 MB of `{}` took 25.7 s and 1.34 GB).
  const { c, run } = checkpoint();
  const many = withHeader(encodeCheckpoint(c, run), (h) => {
    h.checkpoint.steps = Array.from({ length: 2_100_000 }, () => ({}));
  });
  refused(many, /its header: it holds more than 2000000 objects and arrays/);
});

test('a sweep file of 2 million empty objects or 40 levels of brackets is refused before parsing', () => {
  assert.throws(
    () => parseSweepJson(`{"x":[${'{},'.repeat(2_000_001)}{}]}`, 'sweep.json'),
    /sweep\.json: it holds more than 2000000 objects and arrays/,
  );
  assert.throws(() => parseSweepJson(`${'['.repeat(40)}${']'.repeat(40)}`, 'sweep.json'), /sweep\.json: it nests deeper than 32 levels/);
});

test("JSON.parse's complaints lose the text they quote", () => {
  for (const text of ['root:x:0:0:root:/root:/bin/bash', '{"secret": x', '["a\\u001b]0;t\\u0007"']) {
    let message = '';
    try {
      JSON.parse(text);
    } catch (e) {
      message = jsonErrorText(e);
    }
    assert.ok(message.length > 0, text);
    assert.doesNotMatch(message, /root|secret|\u001b/, message);
  }
});

test('a newline or terminal control bytes in a stored path are escaped in the one-line refusal', () => {
  const { c, run } = checkpoint();
  const dir = mkdtempSync(path.join(tmpdir(), 'eac-ckpt-nl-'));
  try {
    const file = path.join(dir, 'nl.ckpt');
    const bad = { ...run, data: { ...run.data, demo: false, dataDir: '/no such\nfolder\u001b]0;owned\u0007', noise: null } };
    writeFileSync(file, encodeCheckpoint(c, bad));
    const bin = new URL('../../bin/eac.js', import.meta.url).pathname;
    const r = spawnSync(process.execPath, [bin, 'train', '--resume', file], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 2, r.stderr);
    const lines = r.stderr.trimEnd().split('\n');
    const line = lines[lines.length - 1];
    assert.equal(line, 'eac train: error: --data: /no such\\u000afolder\\u001b]0;owned\\u0007 is not a readable folder');
    assert.ok(!/[\u0000-\u0009\u000b-\u001f]/.test(r.stderr), 'no control byte reaches the terminal');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
