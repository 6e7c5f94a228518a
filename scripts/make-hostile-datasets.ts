// Writes the hostile and degenerate RAF-DB folders of issue 14 (defects 10-15), each the committed
// clean fixture with one thing wrong, for scripts/measure-hostile-datasets.mjs and the unit tests
// (tests/unit/hostile-data.test.ts builds the same inputs through these functions). Small on disk:
// the /dev/zero and /dev/urandom entries are symlinks, the FIFO is a FIFO.
//
//   node --import tsx scripts/make-hostile-datasets.ts OUT_DIR
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const CLEAN_BASIC = path.join(ROOT, 'tests/fixtures/rafdb/clean/RAF-DB/basic');
export const CMYK_JPEG = path.join(ROOT, 'tests/fixtures/hostile-data/cmyk-32x32.jpg');
const FACE_JPEG = path.join(ROOT, 'tests/fixtures/rafdb/jpeg/face-420-100x100.jpg');
export const FIRST_IMAGE = 'Image/aligned/train_00001_aligned.jpg';
export const LABELS = 'EmoLabel/list_patition_label.txt';

/** A copy of the clean fixture's basic/ folder at `dir`. */
export function cleanCopy(dir: string): string {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(path.dirname(dir), { recursive: true });
  cpSync(CLEAN_BASIC, dir, { recursive: true });
  return dir;
}

/** Replaces a file of the folder with a symlink to `target`. */
export function linkInstead(dir: string, rel: string, target: string): void {
  rmSync(path.join(dir, rel), { force: true });
  symlinkSync(target, path.join(dir, rel));
}

/** Replaces a file of the folder with a FIFO nobody writes to (reading it would wait for ever). */
export function fifoInstead(dir: string, rel: string): void {
  rmSync(path.join(dir, rel), { force: true });
  execFileSync('mkfifo', [path.join(dir, rel)]);
}

/** A real small JPEG whose frame header (SOF) claims `width`×`height`: a few KB that would decode to gigabytes. */
export function jpegClaiming(width: number, height: number, bytes: Uint8Array = new Uint8Array(readFileSync(FACE_JPEG))): Uint8Array {
  const out = bytes.slice();
  for (let i = 2; i + 9 < out.length; ) {
    if (out[i] !== 0xff) throw new Error('jpegClaiming: lost the marker chain');
    const m = out[i + 1];
    const len = (out[i + 2] << 8) | out[i + 3];
    if (m >= 0xc0 && m <= 0xc2) {
      out[i + 5] = height >> 8;
      out[i + 6] = height & 255;
      out[i + 7] = width >> 8;
      out[i + 8] = width & 255;
      return out;
    }
    i += 2 + len;
  }
  throw new Error('jpegClaiming: no SOF0-2 marker');
}

/** The clean label file plus one line `name` + `spaces` spaces + `tail` (the /\s+$/ backtracking case). */
export function longSpaceLine(spaces: number, tail = 'x'): string {
  return `train_00001.jpg${' '.repeat(spaces)}${tail}`;
}

/** A label file listing `n` training names (none of which has an image). */
export function absurdLabelText(n: number): string {
  const parts: string[] = [];
  for (let i = 0; i < n; i++) parts.push(`train_${String(i).padStart(7, '0')}.jpg ${(i % 7) + 1}\n`);
  return parts.join('');
}

/** One sample written six ways: each variant names the same image (train_00001_aligned.jpg). */
export const DUPLICATE_VARIANTS = ['train_00001.jpg', 'train_00001.png', 'train_00001.JPG', 'train_00001.jpeg', 'train_00001_aligned.jpg', 'train_00001'];

export interface HostileCase {
  /** The defect number. */
  defect: number;
  name: string;
  /** What the folder holds, for the table. */
  input: string;
  dir: string;
}

/** Writes every case under `out` and lists them. */
export function makeHostileDatasets(out: string): HostileCase[] {
  const cases: HostileCase[] = [];
  const add = (defect: number, name: string, input: string, make: (dir: string) => void) => {
    const dir = cleanCopy(path.join(out, name));
    make(dir);
    cases.push({ defect, name, input, dir });
  };
  const labelsOf = (dir: string) => readFileSync(path.join(dir, LABELS), 'utf8');
  add(0, 'clean', 'the clean fixture, 28 train / 14 test (reference)', () => undefined);
  add(10, 'dev-zero', 'an image that is a symlink to /dev/zero', (d) => linkInstead(d, FIRST_IMAGE, '/dev/zero'));
  add(10, 'dev-urandom', 'an image that is a symlink to /dev/urandom', (d) => linkInstead(d, FIRST_IMAGE, '/dev/urandom'));
  add(10, 'fifo', 'an image that is a FIFO', (d) => fifoInstead(d, FIRST_IMAGE));
  add(10, 'etc-passwd', 'an image that is a symlink to /etc/passwd', (d) => linkInstead(d, FIRST_IMAGE, '/etc/passwd'));
  add(10, 'labels-etc-passwd', 'the label file is a symlink to /etc/passwd', (d) => linkInstead(d, LABELS, '/etc/passwd'));
  add(11, 'long-spaces-150k', 'a label line with a run of 150,000 spaces (150 KB)', (d) => writeFileSync(path.join(d, LABELS), labelsOf(d) + longSpaceLine(150_000) + '\n'));
  add(11, 'long-spaces-10m', 'a label line with a run of 10,000,000 spaces (10 MB, under the file cap)', (d) => writeFileSync(path.join(d, LABELS), labelsOf(d) + longSpaceLine(10_000_000) + '\n'));
  add(11, 'long-spaces-50m', 'a label line with a run of 50,000,000 spaces (50 MB)', (d) => writeFileSync(path.join(d, LABELS), labelsOf(d) + longSpaceLine(50_000_000) + '\n'));
  add(12, 'jpeg-16000', 'a 3 KB JPEG claiming 16000×16000', (d) => writeFileSync(path.join(d, FIRST_IMAGE), jpegClaiming(16000, 16000)));
  add(13, 'labels-2.5m', 'a label file listing 2,500,000 names (50 MB)', (d) => writeFileSync(path.join(d, LABELS), labelsOf(d) + absurdLabelText(2_500_000)));
  add(13, 'labels-200k', 'a label file listing 200,000 names (4 MB, under the file cap)', (d) => writeFileSync(path.join(d, LABELS), labelsOf(d) + absurdLabelText(200_000)));
  add(14, 'duplicate-variants', 'train_00001 listed as .jpg, .png, .JPG, .jpeg, _aligned.jpg and bare, each with its own label', (d) =>
    writeFileSync(path.join(d, LABELS), labelsOf(d) + DUPLICATE_VARIANTS.slice(1).map((n, i) => `${n} ${((i + 1) % 7) + 1}\n`).join('')),
  );
  add(15, 'cmyk', 'a CMYK JPEG (Adobe, 4 components)', (d) => writeFileSync(path.join(d, FIRST_IMAGE), readFileSync(CMYK_JPEG)));
  return cases;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = process.argv[2];
  if (!out) throw new Error('usage: node --import tsx scripts/make-hostile-datasets.ts OUT_DIR');
  for (const c of makeHostileDatasets(path.resolve(out))) console.log(`${c.defect}\t${c.name}\t${c.dir}`);
}
