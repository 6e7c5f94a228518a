// Weight files: the pickle / torch.save zip / safetensors readers value by value against the
// fixtures of tools/golden/weights_fixtures.py, the key mapping and its report, the refusals of
// hostile and broken files, and `eac weights inspect`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { decodeTyped, FileTensor, readWeightFile, WeightFileError, type WeightTensor } from '../../src/weights/read.ts';
import { storedEntries } from '../../src/weights/torch-zip.ts';
import { unzipSync } from 'fflate';
import { mapWeights, analyseWeights, WeightsRefusedError } from '../../src/weights/keymap.ts';
import { loadWeights, loadSafetensorsWeights } from '../../src/weights/load.ts';
import { inspectWeights } from '../../src/weights/inspect.ts';
import { unpickle } from '../../src/weights/pickle.ts';
import { initialValue, listParams } from '../../src/engine/resnet.ts';
import { Rng } from '../../src/engine/rng.ts';
import { MAX_SAFETENSORS_TENSORS, readSafetensors } from '../../src/weights/safetensors.ts';

const dir = new URL('../fixtures/weights/', import.meta.url).pathname;
const bytesOf = (name: string) => new Uint8Array(readFileSync(dir + name));
const read = (name: string) => readWeightFile(bytesOf(name), name);

interface Expected {
  dtype: string;
  shape: number[];
  sum: number;
  first: number[];
  last: number | null;
  values?: number[];
}
const expected = JSON.parse(readFileSync(dir + 'expected.json', 'utf8')) as {
  fixtures: Record<string, { format: string; tensors: string }>;
  tensorSets: Record<string, Record<string, Expected>>;
};

function checkTensor(file: string, name: string, t: WeightTensor, e: Expected): void {
  const where = `${file}: ${name}`;
  assert.equal(t.dtype, e.dtype, where);
  assert.deepEqual(t.shape, e.shape, where);
  const n = e.shape.reduce((a, b) => a * b, 1);
  assert.equal(t.data.length, n, where);
  const v = (i: number) => Number(t.data[i]);
  let sum = 0;
  let abs = 0;
  for (let i = 0; i < n; i++) {
    sum += v(i);
    abs += Math.abs(v(i));
  }
  assert.ok(Math.abs(sum - e.sum) <= 1e-9 * abs + 1e-12, `${where}: sum ${sum} vs ${e.sum}`);
  // Exact: every stored value is a float32/float16/int the JSON holds exactly.
  e.first.forEach((x, i) => assert.equal(v(i), x, `${where}[${i}]`));
  if (e.last !== null) assert.equal(v(n - 1), e.last, `${where}[last]`);
  if (e.values)
    assert.deepEqual(
      Array.from({ length: n }, (_, i) => v(i)),
      e.values,
      where,
    );
}

for (const [file, fx] of Object.entries(expected.fixtures)) {
  test(`reads ${file} (${fx.format}) value by value`, () => {
    const r = read(file);
    assert.equal(r.format, fx.format);
    const set = expected.tensorSets[fx.tensors];
    assert.deepEqual([...r.tensors.keys()].sort(), Object.keys(set).sort(), `${file}: key set`);
    for (const [name, e] of Object.entries(set)) checkTensor(file, name, r.tensors.get(name)!, e);
  });
}

test('typed arrays: int64 as BigInt64Array, float16 widened, float64 kept, strided views contiguous', () => {
  const r = read('shared_storage.pth');
  assert.ok(r.tensors.get('num_batches_tracked')!.data instanceof BigInt64Array);
  assert.equal(r.tensors.get('num_batches_tracked')!.data[0], 987654321012n);
  assert.ok(r.tensors.get('half')!.data instanceof Float32Array);
  assert.equal(r.tensors.get('half')!.dtype, 'float16');
  assert.ok(r.tensors.get('double')!.data instanceof Float64Array);
  assert.ok(r.tensors.get('int32')!.data instanceof Int32Array);
  // transposed = base.transpose(0, 2): [5, 4, 3]; element (x, y, z) = base[z][y][x] = 0.5·(20z + 5y + x) − 7.
  const t = r.tensors.get('transposed')!;
  assert.deepEqual(t.shape, [5, 4, 3]);
  assert.equal(t.data[(4 * 4 + 2) * 3 + 1], 0.5 * (20 * 1 + 5 * 2 + 4) - 7);
  const big = read('shared_storage_bigendian.pth');
  const arr = (t: WeightTensor) => Array.from(t.data as ArrayLike<number | bigint>);
  for (const [k, v] of r.tensors) assert.deepEqual(arr(big.tensors.get(k)!), arr(v), k);
  const p = read('dtypes_numpy2_p4.pkl');
  assert.ok(p.tensors.get('i64')!.data instanceof BigInt64Array);
  assert.equal(p.tensors.get('i64')!.data[4], -(2n ** 50n));
  assert.ok(p.tensors.get('u8')!.data instanceof Uint8Array);
});

test('format detection from magic bytes; a file name only for protocol 0/1 pickles and safetensors', () => {
  assert.equal(read('resnet50_caffe_w2_h10_p3.pkl').format, 'pickle');
  assert.equal(readWeightFile(bytesOf('resnet18_w4_h12_msceleb.pth')).format, 'torch-zip');
  assert.equal(readWeightFile(bytesOf('resnet18_w4_h7.safetensors')).format, 'safetensors');
  assert.throws(() => readWeightFile(new Uint8Array(0)), /unrecognised weight file.*empty file/);
  // A protocol-0 pickle (no PROTO opcode) of a dict with a numpy array, named .pkl.
  const p0 = new TextEncoder().encode(
    "(dp0\nS'w'\np1\ncnumpy.core.multiarray\n_reconstruct\np2\n(cnumpy\nndarray\np3\n(I0\ntp4\nS'b'\np5\ntp6\nRp7\n(I1\n(I2\ntp8\ncnumpy\ndtype\np9\n(S'f8'\np10\nI0\nI1\ntp11\nRp12\n(I3\nS'<'\np13\nNNNI-1\nI-1\nI0\ntp14\nbI00\nS'\\x00\\x00\\x00\\x00\\x00\\x00\\xf0?\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\xc0'\np15\ntp16\nbs.",
  );
  const r0 = readWeightFile(p0, 'old.pkl');
  assert.deepEqual(Array.from(r0.tensors.get('w')!.data as Float64Array), [1, -2]);
});

// ---------------------------------------------------------------- key mapping

const oihwAt = (t: WeightTensor, o: number, i: number, y: number, x: number) => {
  const [, I, H, W] = t.shape;
  return Number(t.data[((o * I + i) * H + y) * W + x]);
};

test('py2 VGGFace2-style pickle: resnet50-caffe (file name), width 4, 10-way head dropped, 7-class head drawn as nn.Linear', () => {
  const name = 'resnet50_ft_weight_w4_h10_py2.pkl';
  const file = read(name);
  const m = mapWeights(file.tensors, { fileName: name, seed: 3 });
  assert.equal(m.report.arch, 'resnet50-caffe');
  assert.match(m.report.archReason, /file name/);
  assert.equal(m.spec.config.arch, 'resnet50');
  assert.equal(m.spec.config.width, 4);
  assert.equal(m.report.headClasses, 10);
  assert.equal(m.report.head, 'initialised');
  assert.deepEqual([m.report.missing, m.report.unexpected, m.report.mismatched], [[], [], []]);
  // Every engine parameter, in engine layout.
  const params = listParams(m.spec);
  assert.deepEqual([...m.values.keys()].sort(), params.map((p) => p.name).sort());
  for (const p of params)
    assert.equal(
      m.values.get(p.name)!.length,
      p.shape.reduce((a, b) => a * b, 1),
      p.name,
    );
  // OIHW → HWIO: engine [y, x, i, o] = file [o, i, y, x] (layer2.0.conv2 is 3×3, 8 → 8).
  const src = file.tensors.get('layer2.0.conv2.weight')!;
  const dst = m.values.get('layer2.0.conv2.weight')!;
  const [O, I, , W] = src.shape;
  for (const [o, i, y, x] of [
    [0, 0, 0, 0],
    [7, 3, 2, 1],
    [5, 6, 1, 2],
  ])
    assert.equal(dst[((y * W + x) * I + i) * O + o], oihwAt(src, o, i, y, x));
  // The fresh head: nn.Linear(128, 7) init from Rng(seed): weight, then bias, uniform ±1/sqrt(128).
  const rng = new Rng(3);
  const head = params.filter((p) => p.kind === 'fc.weight' || p.kind === 'fc.bias');
  for (const p of head) assert.deepEqual(m.values.get(p.name), initialValue(p, rng), p.name);
  assert.ok(m.values.get('fc.weight')!.every((v) => Math.abs(v) <= 1 / Math.sqrt(128)));
  // The Python-3 protocol-2 pickle of the same arrays maps to the same values.
  const m2 = mapWeights(read('resnet50_caffe_w4_h10_p2.pkl').tensors, { fileName: 'resnet50_caffe_w4_h10_p2.pkl', seed: 3 });
  for (const [k, v] of m.values) assert.deepEqual(m2.values.get(k), v, k);
});

test('ResNet-50 layout: an 8631-way head or the user says caffe; otherwise torchvision, said in a note', () => {
  const tensors = read('resnet50_caffe_w2_h10_p4.pkl').tensors;
  const tv = analyseWeights(tensors, { fileName: 'backbone.pkl' });
  assert.equal(tv.arch, 'resnet50-torchvision');
  assert.match(tv.notes.join(' '), /taken as torchvision's layout .*--layout caffe if/);
  assert.equal(analyseWeights(tensors, { fileName: 'backbone.pkl', layout: 'caffe' }).arch, 'resnet50-caffe');
  // Torchvision-layout weights load into the engine's torchvision-layout ResNet-50.
  const mapped = mapWeights(tensors, { fileName: 'backbone.pkl' }).spec.config;
  assert.deepEqual([mapped.arch, mapped.layout], ['resnet50', 'torchvision']);
  assert.equal(mapWeights(tensors, { fileName: 'backbone.pkl', layout: 'caffe' }).spec.config.layout, 'caffe');
  const vgg = new Map(tensors);
  vgg.set('fc.weight', { dtype: 'float32', shape: [8631, 64], data: new Float32Array(8631 * 64) });
  vgg.set('fc.bias', { dtype: 'float32', shape: [8631], data: new Float32Array(8631) });
  const r = analyseWeights(vgg, { fileName: 'x.pkl' });
  assert.equal(r.arch, 'resnet50-caffe');
  assert.equal(r.headClasses, 8631);
});

test('torch.save ResNet-18 in {"state_dict": …}: num_batches_tracked skipped, 12-way head dropped', () => {
  const w = loadWeights(bytesOf('resnet18_w4_h12_msceleb.pth'), { fileName: 'resnet18_w4_h12_msceleb.pth' });
  assert.equal(w.format, 'torch-zip');
  assert.equal(w.report.arch, 'resnet18');
  assert.equal(w.spec.config.width, 4);
  assert.equal(w.report.headClasses, 12);
  assert.equal(w.report.head, 'initialised');
  assert.deepEqual([w.report.missing, w.report.unexpected, w.report.mismatched], [[], [], []]);
  const file = read('resnet18_w4_h12_msceleb.pth');
  assert.equal(file.path, 'state_dict');
  assert.deepEqual(w.values.get('bn1.running_var'), file.tensors.get('bn1.running_var')!.data);
});

test('official EAC model (features.N keys): resnet50-caffe, the 7-class head loaded and transposed', () => {
  const file = read('eac_official_w2.pth');
  const m = mapWeights(file.tensors);
  assert.equal(m.report.keyStyle, 'official-eac');
  assert.equal(m.report.arch, 'resnet50-caffe');
  assert.equal(m.report.head, 'loaded');
  const fw = file.tensors.get('fc.weight')!; // [7, 64]
  const ew = m.values.get('fc.weight')!; // [64, 7]
  for (const [c, f] of [
    [0, 0],
    [6, 63],
    [3, 17],
  ])
    assert.equal(ew[f * 7 + c], fw.data[c * 64 + f]);
  assert.deepEqual(m.values.get('layer4.2.bn3.bias'), file.tensors.get('features.7.2.bn3.bias')!.data);
  assert.deepEqual(m.values.get('fc.bias'), file.tensors.get('fc.bias')!.data);
});

test('safetensors through the same path; the old loadSafetensorsWeights takes every format', () => {
  const s = loadSafetensorsWeights(bytesOf('resnet18_w4_h7.safetensors'));
  assert.equal(s.spec.config.arch, 'resnet18');
  assert.equal(s.report!.head, 'loaded');
  const p = loadSafetensorsWeights(bytesOf('resnet50_caffe_w2_h10_p5.pkl'), 'resnet50');
  assert.equal(p.spec.config.width, 2);
});

test('refuses a file that does not fit, saying which keys differ; reports unexpected keys; strips module.', () => {
  const r18 = read('resnet18_w4_h7.safetensors').tensors;
  assert.throws(
    () => mapWeights(r18, { arch: 'resnet50' }),
    (e: Error) => e instanceof WeightsRefusedError && /holds a resnet18, but --arch resnet50/.test(e.message),
  );
  const missing = new Map(r18);
  missing.delete('layer3.1.bn2.running_mean');
  assert.throws(() => mapWeights(missing), /weights do not fit resnet18 width 4: missing layer3\.1\.bn2\.running_mean$/);
  const bad = new Map(r18);
  bad.set('layer1.0.conv1.weight', { dtype: 'float32', shape: [4, 4, 1, 1], data: new Float32Array(16) });
  assert.throws(() => mapWeights(bad), /mis-shaped layer1\.0\.conv1\.weight \[4, 4, 1, 1\] \(expected \[4, 4, 3, 3\]\)/);
  const badHead = new Map(r18);
  badHead.set('fc.weight', { dtype: 'float32', shape: [7, 5], data: new Float32Array(35) });
  assert.throws(() => mapWeights(badHead), /mis-shaped fc\.weight \[7, 5\] \(expected \[7, 32\]\)/);
  const extra = new Map<string, WeightTensor>();
  for (const [k, v] of r18) extra.set('module.' + k, v);
  extra.set('module.feature.weight', { dtype: 'float32', shape: [3], data: new Float32Array(3) });
  const m = mapWeights(extra);
  assert.equal(m.report.strippedPrefix, 'module.');
  assert.deepEqual(m.report.unexpected, ['module.feature.weight']);
  const notResNet = new Map<string, WeightTensor>([['w', { dtype: 'float32', shape: [2], data: new Float32Array(2) }]]);
  assert.equal(analyseWeights(notResNet).arch, null);
  assert.throws(() => mapWeights(notResNet), /no conv1\.weight .*not a ResNet state_dict/);
});

// ---------------------------------------------------------------- memory: about two copies of a file

test('parsing copies nothing: pickle and safetensors tensors are decoded on first use, aligned little-endian ones as views of the file', () => {
  for (const name of ['resnet50_ft_weight_w4_h10_py2.pkl', 'resnet18_w4_h7.safetensors', 'dtypes_numpy2_p5.pkl']) {
    const bytes = bytesOf(name);
    const file = readWeightFile(bytes, name);
    let views = 0;
    for (const [k, t] of file.tensors) {
      assert.ok(t instanceof FileTensor && !t.decoded, `${name}: ${k} decoded by parsing`);
      const data = t.data;
      assert.ok(t.decoded && t.data === data, `${name}: ${k} kept once decoded`);
      if (data.buffer === bytes.buffer) views++;
      // A view exactly where the bytes allow one (aligned, no byte swap, no widening).
      else assert.ok(data.buffer.byteLength === data.byteLength, `${name}: ${k} is neither a view of the file nor an array of its own`);
    }
    assert.ok(views > 0, `${name}: no tensor is a view of the file`);
  }
  // safetensors data is 8-byte aligned: every tensor is a view.
  const st = bytesOf('resnet18_w4_h7.safetensors');
  assert.ok([...readWeightFile(st).tensors.values()].every((t) => t.data.buffer === st.buffer));
});

test('torch.save storages stored in the zip are views of the file (the big-endian one is swapped into copies)', () => {
  for (const name of ['resnet18_w4_h12_msceleb.pth', 'eac_official_w2.pth', 'shared_storage.pth', 'shared_storage_bigendian.pth']) {
    const bytes = bytesOf(name);
    // The zero-copy entry table agrees with fflate, entry by entry.
    const all = unzipSync(bytes);
    const stored = storedEntries(bytes);
    assert.equal(stored.size, Object.keys(all).length, name);
    for (const [entry, { start, end }] of stored) assert.deepEqual(bytes.subarray(start, end), all[entry], `${name}: ${entry}`);
    const tensors = [...readWeightFile(bytes).tensors.values()];
    const views = tensors.filter((t) => t.data.buffer === bytes.buffer).length;
    if (name.includes('bigendian')) assert.equal(views, 0, name);
    else if (name !== 'shared_storage.pth') assert.equal(views, tensors.length, name);
    else assert.ok(views > 0, name);
  }
});

test('decodeTyped: a view only with alias, aligned and little-endian; otherwise a copy of its own', () => {
  const buf = new Uint8Array(20);
  new DataView(buf.buffer).setFloat32(4, 1.5, true);
  new DataView(buf.buffer).setFloat32(9, -2, true);
  new DataView(buf.buffer).setFloat32(16, 3, false);
  const aligned = decodeTyped(buf.subarray(4, 8), 'float32', true, true);
  assert.equal(aligned.buffer, buf.buffer);
  assert.deepEqual(Array.from(aligned as Float32Array), [1.5]);
  const copied = decodeTyped(buf.subarray(4, 8), 'float32', true);
  assert.notEqual(copied.buffer, buf.buffer);
  const odd = decodeTyped(buf.subarray(9, 13), 'float32', true, true);
  assert.notEqual(odd.buffer, buf.buffer);
  assert.deepEqual(Array.from(odd as Float32Array), [-2]);
  const big = decodeTyped(buf.subarray(16, 20), 'float32', false, true);
  assert.notEqual(big.buffer, buf.buffer);
  assert.deepEqual(Array.from(big as Float32Array), [3]);
  assert.equal(new DataView(buf.buffer).getFloat32(16, false), 3, 'the byte swap leaves the file alone');
});

test('mapWeights({ release }) empties the map as it converts, never decodes the dropped head, and keeps no view of the file', () => {
  const name = 'resnet50_ft_weight_w4_h10_py2.pkl';
  const bytes = bytesOf(name);
  const file = readWeightFile(bytes, name);
  const head = [file.tensors.get('fc.weight')!, file.tensors.get('fc.bias')!] as FileTensor[];
  const want = mapWeights(read(name).tensors, { fileName: name, seed: 3 }).values;
  const m = mapWeights(file.tensors, { fileName: name, seed: 3, release: true });
  assert.equal(file.tensors.size, 0, 'the parsed tensors are let go');
  assert.ok(
    head.every((t) => !t.decoded),
    'the dropped 10-way head was decoded',
  );
  assert.equal(m.report.head, 'initialised');
  for (const [k, v] of m.values) {
    assert.notEqual(v.buffer, bytes.buffer, `${k} keeps the file in memory`);
    assert.equal(v.byteLength, v.buffer.byteLength, `${k} is a view of a larger buffer`);
    assert.deepEqual(v, want.get(k), k);
  }
  // Without release the caller's map is left as it was.
  const kept = read(name).tensors;
  mapWeights(kept, { fileName: name });
  assert.equal(kept.size, 267);
  // A head that is dropped is never read, whatever holds it.
  const r18 = new Map(read('resnet18_w4_h7.safetensors').tensors);
  const untouchable = (shape: number[]): WeightTensor => ({
    dtype: 'float32',
    shape,
    get data(): Float32Array {
      throw new Error('the dropped head was read');
    },
  });
  r18.set('fc.weight', untouchable([10, 32]));
  r18.set('fc.bias', untouchable([10]));
  assert.equal(mapWeights(r18, { release: true }).report.head, 'initialised');
  assert.equal(r18.size, 0);
});

// ---------------------------------------------------------------- hostile and broken files

const refusals: [string, RegExp][] = [
  ['hostile_os_system.pkl', /^refused: the pickle references os\.system, which is not a tensor or array constructor$/],
  ['hostile_builtins_eval.pkl', /^refused: the pickle references builtins\.eval, which is not a tensor or array constructor$/],
  ['hostile_getattr_py2.pkl', /^refused: the pickle references __builtin__\.getattr, which is not a tensor or array constructor$/],
  ['hostile_subprocess.pkl', /^refused: the pickle references subprocess\.Popen, which is not a tensor or array constructor$/],
  ['hostile_posix_system_p5.pkl', /^refused: the pickle references posix\.system, which is not a tensor or array constructor$/],
  ['hostile_zip_os_system.pth', /^refused: the pickle references os\.system, which is not a tensor or array constructor$/],
  ['hostile_missing_storage.pth', /^torch-zip: data\.pkl refers to storage "1", but the archive has no archive\/data\/1$/],
  [
    'bad_strides.pth',
    /^torch-zip: tensor base: a view \[3, 4, 5\] with strides \[20, 5, 1\] at offset 0 runs past its storage of 2 elements$/,
  ],
  ['truncated_p4.pkl', /^pickle: truncated: a frame of \d+ bytes in a file of 643 bytes$/],
  ['truncated.pth', /^torch-zip: not a readable zip archive \(.*truncated\?\)$/],
  [
    'truncated.safetensors',
    /^safetensors: not a valid safetensors file: header length \d+ runs past the end of the file \(4000 bytes: truncated\?\)$/,
  ],
  ['huge_header.safetensors', /^safetensors: not a valid safetensors file: header length \d+ is too large$/],
  [
    'random_bytes.bin',
    /^unrecognised weight file: not a torch\.save zip, a pickle or a safetensors file \(first bytes af c4 19 f6 43 d3 97 67\)$/,
  ],
  ['random_after_proto.pkl', /^pickle: not a valid pickle: unknown opcode 0x[0-9a-f]{2} at offset \d+$/],
  ['deep_marks.pkl', /^pickle: too many nested marks$/],
  ['huge_binbytes8.pkl', /^pickle: truncated: BINBYTES8 of \d+ bytes in a file of 15 bytes$/],
];
for (const [file, re] of refusals) {
  test(`refuses ${file} with a clear message`, () => {
    assert.throws(
      () => read(file),
      (e: Error) => (e instanceof WeightFileError && re.test(e.message) ? true : assert.fail(`${e.constructor.name}: ${e.message}`)),
    );
  });
}

test('a refused global stops the interpreter before anything is called', () => {
  let called = false;
  // GLOBAL os.system, then a persistent id (would call persistentLoad): never reached.
  const b = new Uint8Array([0x80, 0x02, ...new TextEncoder().encode('cos\nsystem\n'), 0x4e, 0x51, 0x2e]);
  assert.throws(
    () =>
      unpickle(b, {
        persistentLoad: () => {
          called = true;
          return null;
        },
      }),
    /refused: the pickle references os\.system/,
  );
  assert.equal(called, false);
});

test('fuzz: mutated and truncated fixtures end in a WeightFileError or a result, never a crash', () => {
  const rng = new Rng(11);
  const sources = [
    'dtypes_numpy2_p2.pkl',
    'dtypes_numpy2_p4.pkl',
    'dtypes_numpy2_p5.pkl',
    'shared_storage.pth',
    'hostile_getattr_py2.pkl',
    'resnet50_caffe_w2_h10_p3.pkl',
  ].map(bytesOf);
  let errors = 0;
  for (let k = 0; k < 400; k++) {
    const src = sources[k % sources.length];
    let b = src.slice();
    const edits = 1 + (rng.nextU32() % 4);
    for (let j = 0; j < edits; j++) b[rng.nextU32() % b.length] = rng.nextU32() & 0xff;
    if (k % 3 === 0) b = b.subarray(0, rng.nextU32() % b.length);
    try {
      readWeightFile(b, 'x.pkl');
    } catch (e) {
      if (!(e instanceof WeightFileError)) assert.fail(`mutation ${k}: ${(e as Error).constructor.name}: ${(e as Error).message}`);
      errors++;
    }
  }
  assert.ok(errors > 50);
});

// ---------------------------------------------------------------- eac weights inspect

test('inspectWeights: report shape and --stats under the file’s own key names', () => {
  const r = inspectWeights(bytesOf('shared_storage.pth'), { stats: true });
  assert.equal(r.format, 'torch-zip');
  assert.equal(r.arch, null);
  assert.equal(r.tensors, 11);
  const s = r.stats!.find((x) => x.name === 'base')!;
  assert.deepEqual(s.shape, [3, 4, 5]);
  assert.equal(s.min, -7);
  assert.equal(s.max, 22.5);
  assert.equal(s.mean, 7.75);
  const py2 = inspectWeights(bytesOf('resnet50_ft_weight_w4_h10_py2.pkl'), { fileName: 'resnet50_ft_weight_w4_h10_py2.pkl' });
  assert.deepEqual(
    {
      format: py2.format,
      arch: py2.arch,
      tensors: py2.tensors,
      head: py2.head,
      missing: py2.missing,
      unexpected: py2.unexpected,
      mismatched: py2.mismatched,
    },
    {
      format: 'pickle',
      arch: 'resnet50-caffe',
      tensors: 267,
      head: { classes: 10, action: 'dropped' },
      missing: [],
      unexpected: [],
      mismatched: [],
    },
  );
  const expectedValues = Object.values(expected.tensorSets[expected.fixtures['resnet50_ft_weight_w4_h10_py2.pkl'].tensors]).reduce(
    (a, e) => a + e.shape.reduce((x, y) => x * y, 1),
    0,
  );
  assert.equal(py2.parameters, expectedValues);
});

const bin = new URL('../../bin/eac.js', import.meta.url).pathname;
const eac = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });

test('eac weights inspect --json; refusals exit non-zero with one line', () => {
  const r = eac('weights', 'inspect', dir + 'eac_official_w2.pth', '--json', '--stats');
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  for (const k of ['format', 'arch', 'tensors', 'parameters', 'head', 'missing', 'unexpected', 'mismatched', 'stats'])
    assert.ok(k in out, k);
  assert.equal(out.arch, 'resnet50-caffe');
  assert.deepEqual(out.head, { classes: 7, action: 'loaded' });
  assert.deepEqual(Object.keys(out.stats[0]).sort(), ['dtype', 'max', 'mean', 'min', 'name', 'shape', 'std']);
  assert.equal(out.stats[0].name, 'features.0.weight');
  const h = eac('weights', 'inspect', dir + 'hostile_os_system.pkl', '--json');
  assert.equal(h.status, 1);
  assert.equal(h.stdout, '');
  assert.equal(h.stderr, 'eac weights: error: refused: the pickle references os.system, which is not a tensor or array constructor\n');
  const u = eac('weights', 'inspect');
  assert.equal(u.status, 2);
  assert.match(u.stderr, /FILE is required/);
});

test('a safetensors header of 200,000 zero-size tensors is refused before it is parsed', () => {
  const h: Record<string, unknown> = {};
  for (let i = 0; i < 2 * MAX_SAFETENSORS_TENSORS; i++) h[`t${i}`] = { dtype: 'F32', shape: [0], data_offsets: [0, 0] };
  const json = new TextEncoder().encode(JSON.stringify(h));
  const buf = new Uint8Array(8 + json.length);
  new DataView(buf.buffer).setBigUint64(0, BigInt(json.length), true);
  buf.set(json, 8);
  assert.throws(() => readSafetensors(buf), /its header holds more than 300002 objects and arrays \(more than 100000 tensors/);
});
