// Child process of weights-hostile.test.ts: reads one hostile input and prints one JSON line with
// the outcome, the time the read took and the process's peak RSS, so that the test can bound
// both and a regression fails (or is killed) instead of hanging or swelling the test runner.
//   node --max-old-space-size=256 --import tsx tests/unit/weights-hostile.child.ts MODE ARG
// MODE: read FILE (readWeightFile), load FILE (loadWeights: the CLI's and the page's mapping),
// file PATH (the CLI's readFileBytes, then readWeightFile), or gen-int|gen-string|gen-unicode|
// gen-many N (an input built here in memory, too large to commit).
import { readFileSync } from 'node:fs';
import { zipSync, type Zippable } from 'fflate';
import { readWeightFile } from '../../src/weights/read.ts';
import { loadWeights } from '../../src/weights/load.ts';
import { readFileBytes } from '../../src/cli/args.ts';

const enc = new TextEncoder();

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) out.set(p, at), (at += p.length);
  return out;
}

/** A protocol-2 pickle line opcode followed by `n` copies of `unit` and a newline, then STOP. */
function lineOpcode(prefix: string, unit: string, n: number, suffix: string): Uint8Array {
  const u = enc.encode(unit);
  const body = new Uint8Array(u.length * n);
  for (let i = 0; i < n; i++) body.set(u, i * u.length);
  return concat([Uint8Array.of(0x80, 0x02), enc.encode(prefix), body, enc.encode(suffix + '\n.')]);
}

// A torch.save archive of `count` one-value tensors, each in its own deflated storage.
const str = (s: string) => {
  const b = enc.encode(s);
  return concat([Uint8Array.of(0x58, b.length & 0xff, (b.length >> 8) & 0xff, 0, 0), b]);
};
const int = (i: number) => Uint8Array.of(0x4a, i & 0xff, (i >> 8) & 0xff, (i >> 16) & 0xff, (i >>> 24) & 0xff);
const glob = (m: string, n: string) => enc.encode(`c${m}\n${n}\n`);
const tuple = (items: Uint8Array[]) => concat([enc.encode('('), ...items, enc.encode('t')]);

function manyStorages(count: number): Uint8Array {
  const parts: Uint8Array[] = [Uint8Array.of(0x80, 0x02), glob('collections', 'OrderedDict'), enc.encode(')R(')];
  for (let i = 0; i < count; i++) {
    const pid = tuple([str('storage'), glob('torch', 'FloatStorage'), str(String(i)), str('cpu'), int(1)]);
    const args = concat([
      enc.encode('('),
      pid,
      enc.encode('Q'),
      int(0),
      tuple([int(1)]),
      tuple([int(1)]),
      Uint8Array.of(0x89),
      glob('collections', 'OrderedDict'),
      enc.encode(')Rt'),
    ]);
    parts.push(str(`w${i}`), glob('torch._utils', '_rebuild_tensor_v2'), args, enc.encode('R'));
  }
  parts.push(enc.encode('u.'));
  const files: Zippable = { 'archive/data.pkl': [concat(parts), { level: 0 }], 'archive/byteorder': [enc.encode('little'), { level: 0 }] };
  for (let i = 0; i < count; i++) files[`archive/data/${i}`] = [new Uint8Array(new Float32Array([i]).buffer), { level: 6 }];
  return zipSync(files);
}

function input(mode: string, arg: string): { bytes: Uint8Array; name: string } {
  const n = Number(arg);
  switch (mode) {
    case 'gen-int':
      return { bytes: lineOpcode('I', '1', n, ''), name: 'int.pkl' };
    case 'gen-string':
      return { bytes: lineOpcode("S'", 'a', n, "'"), name: 'string.pkl' };
    case 'gen-unicode':
      return { bytes: lineOpcode('V', '\\u00e9', Math.floor(n / 6), ''), name: 'unicode.pkl' };
    case 'gen-many':
      return { bytes: manyStorages(n), name: 'many.pth' };
    case 'file':
      return { bytes: readFileBytes(arg), name: arg };
    default:
      return { bytes: new Uint8Array(readFileSync(arg)), name: arg };
  }
}

const [mode, arg] = process.argv.slice(2);
let result: Record<string, unknown>;
const t0 = performance.now();
// The time of the read alone: building an input here is not counted (reading a path is).
let t1 = t0;
try {
  const { bytes, name } = input(mode, arg);
  if (mode !== 'file') t1 = performance.now();
  if (mode === 'load') {
    const w = loadWeights(bytes, { fileName: name });
    result = { ok: true, tensors: w.values.size };
  } else {
    const f = readWeightFile(bytes, name);
    let values = 0;
    for (const t of f.tensors.values()) values += t.data.length;
    result = { ok: true, tensors: f.tensors.size, values };
  }
  result.ms = performance.now() - t1;
} catch (e) {
  result = { ok: false, error: (e as Error).message, errorClass: (e as Error).constructor.name, ms: performance.now() - t1 };
}
result.maxRssMB = process.resourceUsage().maxRSS / 1024;
process.stdout.write(JSON.stringify(result) + '\n');
