// Builds the small RAF-DB-shaped fixtures under tests/fixtures/rafdb/ (committed; tests read them):
//   clean/RAF-DB/basic/…        28 train + 14 test demo faces as JPEG (4:2:0, like RAF-DB), the
//                               real label format; plus RAF-DB/compound/EmoLabel/ (must be ignored)
//   messy/basic/…               every defect the reader must skip and report (see MESSY below)
//   no-emolabel/basic/Image/aligned/…   and   no-aligned/basic/EmoLabel/…   (specific errors)
//   jpeg/*.jpg                  the decode-identity set: 4:2:0, 4:4:4, progressive, odd sizes, grey
// Deterministic: the same bytes on every run.
//
//   node --import tsx scripts/make-rafdb-fixture.ts [OUT_DIR]
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import encode, { init as initEncoder } from '@jsquash/jpeg/encode.js';
import { demoFaceParams, renderDemoFace } from '../src/data/demo.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface JpegOptions {
  quality?: number;
  /** 2: 4:2:0 (RAF-DB's), 1: 4:4:4. */
  subsample?: 1 | 2;
  progressive?: boolean;
  grey?: boolean;
}

let encoderReady: Promise<void> | null = null;

export async function encodeJpeg(rgb: Uint8Array, width: number, height: number, o: JpegOptions = {}): Promise<Uint8Array> {
  encoderReady ??= (async () => {
    const file = createRequire(import.meta.url).resolve('@jsquash/jpeg/codec/enc/mozjpeg_enc.wasm');
    await initEncoder(await WebAssembly.compile(readFileSync(file)));
  })();
  await encoderReady;
  const rgba = new Uint8ClampedArray(width * height * 4);
  for (let i = 0, j = 0; i < rgb.length; i += 3, j += 4) {
    rgba[j] = rgb[i];
    rgba[j + 1] = rgb[i + 1];
    rgba[j + 2] = rgb[i + 2];
    rgba[j + 3] = 255;
  }
  const buf = await encode({ data: rgba, width, height, colorSpace: 'srgb' } as ImageData, {
    quality: o.quality ?? 90,
    progressive: o.progressive ?? false,
    baseline: !(o.progressive ?? false),
    optimize_coding: true,
    auto_subsample: false,
    chroma_subsample: o.subsample ?? 2,
    color_space: o.grey ? 1 : 3,
  });
  return new Uint8Array(buf);
}

/** A demo face rendered at `side` and cropped to width×height from the top-left. */
function face(seed: number, index: number, label: number, side: number, width = side, height = side): Uint8Array {
  const full = renderDemoFace(demoFaceParams(seed, 'train', index, label), side);
  if (width === side && height === side) return full;
  const out = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) out.set(full.subarray(y * side * 3, y * side * 3 + width * 3), y * width * 3);
  return out;
}

/** Fine-grained texture (hash noise plus gradients): stresses IDCT and upsampling rounding. */
function texture(width: number, height: number, seed: number): Uint8Array {
  const out = new Uint8Array(width * height * 3);
  let s = seed >>> 0;
  for (let i = 0; i < width * height; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const x = i % width;
    const y = Math.floor(i / width);
    out[i * 3] = (x * 5 + (s >>> 24)) & 255;
    out[i * 3 + 1] = (y * 7 + ((s >>> 16) & 127)) & 255;
    out[i * 3 + 2] = ((x ^ y) * 3 + ((s >>> 8) & 63)) & 255;
  }
  return out;
}

const trainName = (i: number) => `train_${String(i).padStart(5, '0')}`;
const testName = (i: number) => `test_${String(i).padStart(4, '0')}`;

function write(file: string, data: Uint8Array | string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, data);
}

/** Labels 1..7 cycling with a fixed stride, so every class appears. */
const labelOf = (i: number) => ((i * 3) % 7) + 1;

export const CLEAN = { train: 28, test: 14 };

async function makeClean(out: string): Promise<void> {
  const basic = path.join(out, 'clean/RAF-DB/basic');
  const lines: string[] = [];
  for (const [split, n, nameOf] of [['train', CLEAN.train, trainName], ['test', CLEAN.test, testName]] as const) {
    for (let i = 1; i <= n; i++) {
      const label = labelOf(i + (split === 'test' ? 100 : 0));
      lines.push(`${nameOf(i)}.jpg ${label}`);
      const rgb = face(split === 'train' ? 1 : 2, i, label - 1, 100);
      write(path.join(basic, 'Image/aligned', `${nameOf(i)}_aligned.jpg`), await encodeJpeg(rgb, 100, 100, { quality: 90 }));
    }
  }
  write(path.join(basic, 'EmoLabel/list_patition_label.txt'), lines.join('\n') + '\n');
  // RAF-DB's compound set sits beside basic/ and has its own EmoLabel/: the reader must not pick it.
  write(path.join(out, 'clean/RAF-DB/compound/EmoLabel/list_patition_label.txt'), 'train_0001.jpg 9\n');
}

/**
 * The messy folder: 24 train + 8 test names in the label file, CRLF line endings, and:
 *   bad lines: label 0, label 8, label "happy", one field, three fields, a duplicate name,
 *     a name that is neither train_ nor test_; blank lines and trailing spaces (fine)
 *   train_00014: no image; train_00015: zero bytes; train_00016: truncated JPEG;
 *   train_00017: a text file; test_0003: a PNG named .jpg; train_00019: 120×90 (resized)
 *   .DS_Store and Thumbs.db in Image/aligned/, .DS_Store in EmoLabel/, an unlabelled image
 *   EmoLabel/noise01.txt: train rows only, 6 of the 24 labels changed (rate measured on the
 *     rows it labels: train_00001…00024 less the bad ones), one test row, one bad label.
 */
export const MESSY = {
  trainNames: 24,
  testNames: 8,
  missing: ['train_00014.jpg'],
  unreadable: { 'train_00015.jpg': 'empty file', 'train_00016.jpg': 'truncated', 'train_00017.jpg': 'not a JPEG', 'test_0003.jpg': 'not a JPEG (a PNG file)' } as Record<string, string>,
  resized: ['train_00019.jpg'],
  noiseChanged: [2, 5, 7, 11, 20, 23],
};

async function makeMessy(out: string): Promise<void> {
  const basic = path.join(out, 'messy/basic');
  const aligned = path.join(basic, 'Image/aligned');
  const lines: string[] = [];
  const noise: string[] = [];
  for (let i = 1; i <= MESSY.trainNames; i++) {
    const label = labelOf(i);
    lines.push(`${trainName(i)}.jpg ${label}${i % 5 === 0 ? '  ' : ''}`);
    const noisy = MESSY.noiseChanged.includes(i) ? (label % 7) + 1 : label;
    noise.push(`${trainName(i)}.jpg ${noisy}`);
    if (i === 3) lines.push('');
    if (i === 6) lines.push('train_00101.jpg 0', 'train_00102.jpg 8', 'train_00103.jpg happy');
    if (i === 9) lines.push('train_00104.jpg', 'train_00105.jpg 3 extra', `${trainName(1)}.jpg 2`, 'val_0001.jpg 3', '   ');
  }
  for (let i = 1; i <= MESSY.testNames; i++) lines.push(`${testName(i)}.jpg ${labelOf(i + 50)}`);
  noise.push('test_0001.jpg 2', 'train_00003.jpg 9');
  write(path.join(basic, 'EmoLabel/list_patition_label.txt'), lines.join('\r\n') + '\r\n');
  write(path.join(basic, 'EmoLabel/noise01.txt'), noise.join('\n') + '\n');
  write(path.join(basic, 'EmoLabel/.DS_Store'), new Uint8Array([0, 0, 0, 1, 66, 117, 100, 49]));

  const good = async (name: string, i: number, label: number, w = 100, h = 100) => {
    const rgb = w === 100 && h === 100 ? face(3, i, label - 1, 100) : face(3, i, label - 1, 128, w, h);
    const jpg = await encodeJpeg(rgb, w, h, { quality: 88 });
    write(path.join(aligned, `${name}_aligned.jpg`), jpg);
    return jpg;
  };
  for (let i = 1; i <= MESSY.trainNames; i++) {
    const name = trainName(i);
    if (i === 14) continue;
    if (i === 15) write(path.join(aligned, `${name}_aligned.jpg`), new Uint8Array(0));
    else if (i === 16) {
      const jpg = await encodeJpeg(face(3, i, 0, 100), 100, 100, { quality: 88 });
      write(path.join(aligned, `${name}_aligned.jpg`), jpg.subarray(0, Math.floor(jpg.length * 0.6)));
    } else if (i === 17) write(path.join(aligned, `${name}_aligned.jpg`), 'this is not an image\n');
    else if (i === 19) await good(name, i, labelOf(i), 120, 90);
    else await good(name, i, labelOf(i));
  }
  for (let i = 1; i <= MESSY.testNames; i++) {
    const name = testName(i);
    if (i === 3) write(path.join(aligned, `${name}_aligned.jpg`), new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]));
    else await good(name, 100 + i, labelOf(i + 50));
  }
  await good('train_09999', 999, 1); // an image no label names
  write(path.join(aligned, '.DS_Store'), new Uint8Array([0, 0, 0, 1, 66, 117, 100, 49]));
  write(path.join(aligned, 'Thumbs.db'), new Uint8Array([0xd0, 0xcf, 0x11, 0xe0]));

  // Folders missing one half.
  const one = await encodeJpeg(face(4, 1, 0, 100), 100, 100, { quality: 80 });
  write(path.join(out, 'no-emolabel/basic/Image/aligned/train_00001_aligned.jpg'), one);
  write(path.join(out, 'no-aligned/basic/EmoLabel/list_patition_label.txt'), 'train_00001.jpg 1\ntest_0001.jpg 2\n');
}

/** The decode-identity set (name → how it was encoded). */
export const JPEG_SET: { name: string; width: number; height: number; opts: JpegOptions; kind: 'face' | 'texture' }[] = [
  { name: 'face-420-100x100.jpg', width: 100, height: 100, opts: { subsample: 2, quality: 90 }, kind: 'face' },
  { name: 'face-444-100x100.jpg', width: 100, height: 100, opts: { subsample: 1, quality: 90 }, kind: 'face' },
  { name: 'face-420-progressive-100x100.jpg', width: 100, height: 100, opts: { subsample: 2, quality: 75, progressive: true }, kind: 'face' },
  { name: 'face-420-odd-37x23.jpg', width: 37, height: 23, opts: { subsample: 2, quality: 85 }, kind: 'face' },
  { name: 'face-444-progressive-odd-101x77.jpg', width: 101, height: 77, opts: { subsample: 1, quality: 80, progressive: true }, kind: 'face' },
  { name: 'face-420-120x90.jpg', width: 120, height: 90, opts: { subsample: 2, quality: 70 }, kind: 'face' },
  { name: 'face-grey-64x64.jpg', width: 64, height: 64, opts: { grey: true, quality: 85 }, kind: 'face' },
  { name: 'texture-420-65x49.jpg', width: 65, height: 49, opts: { subsample: 2, quality: 95 }, kind: 'texture' },
  { name: 'texture-444-progressive-64x48.jpg', width: 64, height: 48, opts: { subsample: 1, quality: 60, progressive: true }, kind: 'texture' },
];

async function makeJpegSet(out: string): Promise<void> {
  for (const [k, j] of JPEG_SET.entries()) {
    const side = Math.max(128, j.width, j.height);
    const rgb = j.kind === 'face' ? face(5, k, k % 7, side, j.width, j.height) : texture(j.width, j.height, k + 1);
    write(path.join(out, 'jpeg', j.name), await encodeJpeg(rgb, j.width, j.height, j.opts));
  }
}

export async function makeRafDbFixtures(out = path.join(ROOT, 'tests/fixtures/rafdb')): Promise<void> {
  for (const d of ['clean', 'messy', 'no-emolabel', 'no-aligned', 'jpeg']) rmSync(path.join(out, d), { recursive: true, force: true });
  await makeClean(out);
  await makeMessy(out);
  await makeJpegSet(out);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = process.argv[2] ? path.resolve(process.argv[2]) : undefined;
  await makeRafDbFixtures(out);
  process.stdout.write(`RAF-DB fixtures written to ${out ?? path.join(ROOT, 'tests/fixtures/rafdb')}\n`);
}
