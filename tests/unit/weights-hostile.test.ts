// Hostile and degenerate weight files (issue 14, defects 1-9): each is refused with its one-line
// reason, read in a child process (weights-hostile.child.ts) under a 256 MB heap, whose peak RSS is
// bounded here. No timings are asserted (scripts/measure/hostile-weights.mjs measures them); a child
// that runs past KILL_MS is killed and fails, so a regression cannot hang the suite.
// The files come from tools/hostile/weights_fixtures.py (tests/fixtures/hostile/); inputs too
// large to commit are built by the child from a size.
import 'fake-indexeddb/auto';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createStore } from 'idb-keyval';
import { readWeightFile } from '../../src/weights/read.ts';
import { loadWeights } from '../../src/weights/load.ts';
import { unpickle } from '../../src/weights/pickle.ts';
import { clipMessage, quote } from '../../src/weights/tensor.ts';
import { describeImportError, importWeightsFile } from '../../src/storage/weights-import.ts';

const dir = new URL('../fixtures/hostile/', import.meta.url).pathname;
const child = new URL('./weights-hostile.child.ts', import.meta.url).pathname;
const bin = new URL('../../bin/eac.js', import.meta.url).pathname;

/** Generous bounds: a fixed read takes a few MB; the defects took GBs (or never ended: the kill). */
const KILL_MS = 60_000;
const RSS_MB = 400;

interface Outcome {
  ok: boolean;
  error?: string;
  errorClass?: string;
  ms: number;
  maxRssMB: number;
  values?: number;
}

function inChild(mode: string, arg: string): Outcome {
  const r = spawnSync(process.execPath, ['--max-old-space-size=256', '--import', 'tsx', child, mode, arg], {
    encoding: 'utf8',
    timeout: KILL_MS,
    killSignal: 'SIGKILL',
  });
  assert.equal(r.signal, null, `${mode} ${arg}: killed after ${KILL_MS} ms (${r.signal})`);
  assert.equal(r.status, 0, `${mode} ${arg}: the child crashed: ${r.stderr.slice(-500)}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Outcome;
}

/** Refused with a message matching `re`, one line of at most ~300 characters, within the memory bound. */
function refused(mode: string, arg: string, re: RegExp, rssMB = RSS_MB): Outcome {
  const o = inChild(mode, arg);
  assert.equal(o.ok, false, `${mode} ${arg}: accepted (${JSON.stringify(o).slice(0, 300)})`);
  assert.match(o.error!, re, `${mode} ${arg}`);
  assert.ok(!o.error!.includes('\n') && o.error!.length <= 400, `${mode} ${arg}: a ${o.error!.length}-character message`);
  assert.ok(o.maxRssMB < rssMB, `${mode} ${arg}: peak RSS ${o.maxRssMB.toFixed(0)} MB`);
  return o;
}

const LIMIT = /more than the limit of 8× the file's \d+ bytes \+ 16 MiB/;

// ---------------------------------------------------------------- 1. views larger than their storage

test('1: a stride-0 view of 2^28 values (a 1 GiB tensor from 637 bytes) is refused by the decode limit', () => {
  refused('read', dir + 'stride0.pth', new RegExp(`^torch-zip: the tensors would decode to 1073741824 bytes, ${LIMIT.source}$`));
});

test('1: a stride-0 view under the limit is refused as larger than its storage', () => {
  refused(
    'read',
    dir + 'stride0_small.pth',
    /^torch-zip: tensor w: a view \[1048576\] with strides \[0\] has 1048576 values, more than the 1 its storage holds from offset 0 \(overlapping strides\)$/,
  );
});

test('1: overlapping strides and many views of one storage are refused by the decode limit', () => {
  refused('read', dir + 'overlap.pth', LIMIT);
  refused('read', dir + 'many_views.pth', LIMIT);
});

// ---------------------------------------------------------------- 2. zip bomb

test('2: deflated storages that inflate to 1 GiB are refused before anything is inflated', () => {
  refused('read', dir + 'zip_bomb.pth', LIMIT);
  refused(
    'read',
    dir + 'zip_bomb_small_views.pth',
    /^torch-zip: the deflated storages would inflate to 1073741824 bytes, more than the limit of .* \(a zip bomb\?\)$/,
  );
});

// ---------------------------------------------------------------- 3. many deflated storages

test('3: 20,000 deflated storages are read, each inflated once, within the memory bound', () => {
  const o = inChild('gen-many', '20000');
  assert.equal(o.ok, true, o.error);
  assert.equal(o.values, 20000);
  assert.ok(o.maxRssMB < RSS_MB, `${o.maxRssMB.toFixed(0)} MB`);
});

// ---------------------------------------------------------------- 4. pickle keys from shared tuples

test('4: a dict key of 2^24 shared tuples is refused at once, the message short', () => {
  refused('read', dir + 'tuple_key_24.pkl', /^pickle: a dict key built from nested tuples runs past 4096 characters$/);
  refused('read', dir + 'tuple_key_19.pkl', /^pickle: a dict key built from nested tuples runs past 4096 characters$/);
});

test('4: every error quotes at most ~200 characters of the file', () => {
  // A long key in the "no tensors" message, a long name in a refused global.
  const long = 'k'.repeat(10_000);
  const key = new TextEncoder().encode(long);
  const len = key.length;
  const pkl = new Uint8Array([
    0x80,
    0x02,
    0x7d,
    0x58,
    len & 0xff,
    (len >> 8) & 0xff,
    (len >> 16) & 0xff,
    len >>> 24,
    ...key,
    0x4e,
    0x73,
    0x2e,
  ]);
  assert.throws(
    () => readWeightFile(pkl, 'x.pkl'),
    (e: Error) => {
      assert.ok(e.message.length < 300, `${e.message.length} characters`);
      assert.match(e.message, /^no tensors found \(top-level keys: "k{40}…" \(10000 characters\)\)$/);
      return true;
    },
  );
  assert.equal(quote('a\nb'), '"a\\nb"');
  assert.equal(clipMessage('x'.repeat(1000)).length, 300 + ' (message cut at 300 characters)'.length + 1);
});

// ---------------------------------------------------------------- 5. INT digits, protocol-0 strings

test('5: an INT of 100 MB of digits is refused after 4300', () => {
  refused('gen-int', String(100 * 2 ** 20), /^pickle: INT: a line longer than 4302 bytes$/, RSS_MB + 100);
});

test('5: a 32 MB protocol-0 STRING and UNICODE cost about their size, not 27 times it', () => {
  // Read, then refused as not a dict: the point is the bounded memory of the read.
  refused('gen-string', String(32 * 2 ** 20), /^the file holds a non-dict value, not a dict of tensors$/, 300);
  refused('gen-unicode', String(32 * 2 ** 20), /^the file holds a non-dict value, not a dict of tensors$/, 300);
});

test('5: protocol-0 STRING and UNICODE escapes decode as Python does', () => {
  const p = (s: string) => unpickle(new Uint8Array([0x80, 0x02, ...new TextEncoder().encode(s), 0x2e])).value;
  const str = p("S'a\\x41\\n\\\\\\'b\\q'\n") as { bytes: Uint8Array };
  assert.deepEqual(Array.from(str.bytes), [0x61, 0x41, 0x0a, 0x5c, 0x27, 0x62, 0x5c, 0x71]);
  assert.equal(p('V\\u00e9t\\U0001f600\\u12\n'), 'ét😀\\u12');
});

// ---------------------------------------------------------------- 6. names from a file meet tables as own keys only

test('6: storage types and globals named constructor, __proto__, toString are refused', () => {
  refused(
    'read',
    dir + 'storage_constructor.pth',
    /^refused: the pickle references torch\.constructor, which is not a tensor or array constructor$/,
  );
  refused(
    'read',
    dir + 'storage_proto.pth',
    /^refused: the pickle references torch\.__proto__, which is not a tensor or array constructor$/,
  );
  refused(
    'read',
    dir + 'global_tostring.pkl',
    /^refused: the pickle references torch\.toString, which is not a tensor or array constructor$/,
  );
  refused(
    'read',
    dir + 'dtype_constructor.safetensors',
    /^safetensors: not a valid safetensors file: tensor "w": unsupported dtype "constructor"$/,
  );
});

// ---------------------------------------------------------------- 7. regular files only

test('7: /dev/zero, a FIFO and a directory are refused at once', () => {
  refused('file', '/dev/zero', /^not a regular file \(a character device\)$/);
  const tmp = mkdtempSync(path.join(tmpdir(), 'eac-fifo-'));
  try {
    const fifo = path.join(tmp, 'weights.pth');
    assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
    refused('file', fifo, /^not a regular file \(a FIFO\)$/);
    refused('file', tmp, /^not a regular file \(a folder\)$/);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  const r = spawnSync(process.execPath, [bin, 'weights', 'inspect', '/dev/zero'], {
    encoding: 'utf8',
    timeout: KILL_MS,
    killSignal: 'SIGKILL',
  });
  assert.equal(r.status, 2, r.stderr);
  assert.equal(r.stderr, 'eac weights: error: cannot read /dev/zero: not a regular file (a character device)\n');
});

// ---------------------------------------------------------------- 8. values a network never holds

const degenerate: [string, RegExp][] = [
  [
    'resnet18_w1_nan.pth',
    /^weights: layer2\.0\.conv1\.weight holds a non-finite value \(NaN at index 4 of 18\): a diverged or corrupt checkpoint$/,
  ],
  [
    'resnet18_w1_inf_var.pth',
    /^weights: layer3\.1\.bn2\.running_var holds a non-finite value \(Infinity at index 1 of 4\): a diverged or corrupt checkpoint$/,
  ],
  [
    'resnet18_w1_negative_var.pth',
    /^weights: layer1\.0\.bn1\.running_var holds a negative running variance \(-0\.25 at index 0 of 1\): BatchNorm variances are never below 0$/,
  ],
  ['resnet18_w0.pth', /^weights: conv1\.weight has shape \[0, 3, 7, 7\]: a degenerate model \(no channels or an empty kernel\)$/],
];

test('8: NaN/Inf values, negative running variances and width 0 are refused, naming the tensor', () => {
  const ok = inChild('load', dir + 'resnet18_w1_ok.pth');
  assert.equal(ok.ok, true, ok.error);
  for (const [file, re] of degenerate) refused('load', dir + file, re);
});

test('8: eac eval refuses them with the same line; the page import too', async () => {
  const [file, re] = degenerate[0];
  const r = spawnSync(process.execPath, [bin, 'eval', '--weights', dir + file, '--demo', '--json'], {
    encoding: 'utf8',
    timeout: KILL_MS,
    killSignal: 'SIGKILL',
  });
  assert.equal(r.status, 1, r.stderr);
  assert.equal(r.stdout, '');
  assert.match(r.stderr.trim().replace(/^eac eval: error: /, ''), re);
  const bytes = readFileSync(dir + file);
  const store = createStore('eac-hostile-test', 'weights');
  await assert.rejects(importWeightsFile(new Blob([bytes]), file, { store }), (e: Error) => {
    const d = describeImportError(e, file, bytes.length);
    assert.equal(d.kind, 'refused');
    assert.match(d.message, re);
    return true;
  });
});

// ---------------------------------------------------------------- 9. bf16 safetensors, duplicate zip entries

test('9: BF16 safetensors are read, with the values of the same tensor saved by torch.save', () => {
  const st = readWeightFile(readFileSync(dir + 'bf16.safetensors'), 'bf16.safetensors').tensors.get('w')!;
  const pt = readWeightFile(readFileSync(dir + 'bf16.pth'), 'bf16.pth').tensors.get('w')!;
  assert.equal(st.dtype, 'bfloat16');
  assert.deepEqual(st.shape, [2, 4]);
  assert.ok(st.data instanceof Float32Array && pt.data instanceof Float32Array);
  assert.deepEqual(st.data, pt.data);
  // bf16 keeps 8 bits of mantissa: 1e-3 → 0.00099945068359375, 65504 → 65536.
  assert.deepEqual(Array.from(st.data).slice(0, 4), [1, -2.5, 3.140625, 0.00099945068359375]);
  assert.equal(st.data[4], 65536);
});

test('9: a zip with two entries of one name (torch.load takes the first, zip readers the last) is refused', () => {
  refused(
    'read',
    dir + 'duplicate_entry.pth',
    /^torch-zip: the archive has two entries named "archive\/data\/0" \(zip readers disagree about which one counts\): refused$/,
  );
});

test('a deflated torch.save archive of real weights reads as the stored one (the inflater is exact)', () => {
  const stored = readWeightFile(readFileSync(dir + 'resnet18_w1_ok.pth'));
  const deflated = readWeightFile(readFileSync(dir + 'resnet18_w1_deflated.pth'));
  assert.deepEqual([...deflated.tensors.keys()], [...stored.tensors.keys()]);
  for (const [k, t] of stored.tensors) assert.deepEqual(deflated.tensors.get(k)!.data, t.data, k);
  assert.equal(loadWeights(new Uint8Array(readFileSync(dir + 'resnet18_w1_deflated.pth'))).spec.config.width, 1);
});
