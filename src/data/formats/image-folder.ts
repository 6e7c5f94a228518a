// Class folders, as torchvision's ImageFolder reads them: `train/<class>/*.jpg` with `test/` or
// `val/` beside it, or one folder of `<class>/` folders split by a seeded fraction. The class names
// are the folder names, sorted. Every image is cropped to its centre square and resized to one
// side (Pillow's bilinear, as RAF-DB's odd-sized images are), so a split is one array. Files that
// are not readable JPEGs or PNGs are skipped and reported, never read past their cap.
import type { Dataset, Split } from '../../engine/dataset.ts';
import { MAX_CLASSES } from '../../engine/dataset.ts';
import { progressAt, type Progress } from '../../engine/progress.ts';
import { Rng } from '../../engine/rng.ts';
import { entryName, FileRefusedError, isDirEntry, isStrayFile, joinPath, MAX_IMAGE_FILE_BYTES, type FolderFs } from '../folder.ts';
import { decodeImageFile, isImageFileError } from '../image-file.ts';
import { resizeRgbPillow } from '../rafdb.ts';
import { DatasetFormatError, type FoundDatasetReport } from './read-array-dataset.ts';

/** The side images are stored at (the training pipeline resizes from it to the run's input size). */
export const IMAGE_FOLDER_SIDE = 112;
/** Images read from one class folder dataset. */
export const MAX_FOLDER_IMAGES = 200_000;
/** Share of each class held out for testing when the folder has no test/ or val/ split. */
export const TEST_FRACTION = 0.2;

const IMAGE_EXT = /\.(jpe?g|png|gif|webp|bmp|tiff?)$/i;

export interface ImageFolderLayout {
  root: string;
  /** Folder of the training classes, and of the test classes (null: split `train` by TEST_FRACTION). */
  train: string;
  test: string | null;
  classes: string[];
}

export interface SkippedFile {
  name: string;
  reason: string;
}

export interface ImageFolderReport extends FoundDatasetReport {
  format: 'image-folder';
  /** How the test split was made. */
  split: 'folders' | 'fraction';
  /** Files skipped (the first 20), with why: { name: 'cat/x.png', reason: 'not a JPEG (a PNG file)' }. */
  skipped: SkippedFile[];
  skippedCount: number;
}

async function tryList(fs: FolderFs, dir: string): Promise<string[] | null> {
  try {
    return await fs.list(dir);
  } catch {
    return null;
  }
}

const subfolders = (entries: string[]) => entries.filter((e) => isDirEntry(e) && !isStrayFile(e)).map(entryName);
const findDir = (entries: string[], names: string[]) => subfolders(entries).find((e) => names.includes(e.toLowerCase())) ?? null;

/** Class folders under `dir`: at least two folders, at least one holding an image file. */
async function classFoldersIn(fs: FolderFs, dir: string): Promise<string[] | null> {
  const entries = await tryList(fs, dir);
  if (!entries) return null;
  const classes = subfolders(entries).sort();
  if (classes.length < 2) return null;
  for (const c of classes.slice(0, 8)) {
    const inner = await tryList(fs, joinPath(dir, c));
    if (inner?.some((e) => !isDirEntry(e) && IMAGE_EXT.test(e))) return classes;
  }
  return null;
}

/** Finds class folders in `dir`; null when it does not look like one. */
export async function locateImageFolder(fs: FolderFs, dir: string): Promise<ImageFolderLayout | null> {
  const entries = await tryList(fs, dir);
  if (!entries) return null;
  const trainDir = findDir(entries, ['train', 'training']);
  if (trainDir) {
    const train = joinPath(dir, trainDir);
    const classes = await classFoldersIn(fs, train);
    if (!classes) return null;
    const testDir = findDir(entries, ['test', 'val', 'valid', 'validation']);
    return { root: dir, train, test: testDir ? joinPath(dir, testDir) : null, classes };
  }
  const classes = await classFoldersIn(fs, dir);
  return classes ? { root: dir, train: dir, test: null, classes } : null;
}

interface Listed {
  path: string;
  label: number;
}

async function listClasses(fs: FolderFs, dir: string, classes: string[], skipped: SkippedFile[]): Promise<Listed[]> {
  const out: Listed[] = [];
  for (const [label, c] of classes.entries()) {
    const entries = (await tryList(fs, joinPath(dir, c))) ?? [];
    for (const e of entries.sort()) {
      if (isDirEntry(e) || isStrayFile(e)) continue;
      if (!IMAGE_EXT.test(e)) {
        skipped.push({ name: `${c}/${e}`, reason: 'not an image file name' });
        continue;
      }
      out.push({ path: joinPath(joinPath(dir, c), e), label });
    }
  }
  return out;
}

export interface ListedImage {
  path: string;
  label: number;
  /** The name the split keeps (white space becomes '_': label files are `name label` lines). */
  name: string;
  /** A box to crop first (AffectNet's face box), in the image's pixels; clamped to the image. */
  box?: { x: number; y: number; w: number; h: number };
}

/** The part of an RGB image inside `box` (clamped to the image); null when nothing of it is inside. */
export function cropRgb(
  rgb: Uint8Array,
  h: number,
  w: number,
  box: { x: number; y: number; w: number; h: number },
): { rgb: Uint8Array; height: number; width: number } | null {
  const x0 = Math.max(0, Math.floor(box.x));
  const y0 = Math.max(0, Math.floor(box.y));
  const x1 = Math.min(w, Math.floor(box.x + box.w));
  const y1 = Math.min(h, Math.floor(box.y + box.h));
  if (x1 <= x0 || y1 <= y0) return null;
  if (x0 === 0 && y0 === 0 && x1 === w && y1 === h) return { rgb, height: h, width: w };
  const cw = x1 - x0;
  const out = new Uint8Array((y1 - y0) * cw * 3);
  for (let y = y0; y < y1; y++) out.set(rgb.subarray((y * w + x0) * 3, (y * w + x1) * 3), (y - y0) * cw * 3);
  return { rgb: out, height: y1 - y0, width: cw };
}

/**
 * Reads and decodes listed JPEG or PNG files into one split of side × side images (centre square,
 * resized); a file refused by its cap or its decoder is skipped, its name and reason pushed to
 * `skipped`. Memory: the split's pixels and one file at a time.
 */
async function readImageList(
  fs: FolderFs,
  list: readonly ListedImage[],
  side: number,
  skipped: SkippedFile[],
  opts: { signal?: AbortSignal; onImage?: () => void } = {},
): Promise<Split> {
  const per = side * side * 3;
  const images = new Uint8Array(list.length * per);
  const names: string[] = [];
  const labels: number[] = [];
  for (const item of list) {
    if (opts.signal?.aborted) throw opts.signal.reason ?? new DOMException('reading the dataset was cancelled', 'AbortError');
    const name = item.name.replace(/\s/g, '_');
    let bytes: Uint8Array;
    try {
      bytes = await fs.read(item.path, MAX_IMAGE_FILE_BYTES);
    } catch (e) {
      // A file an annotation names but the folder lacks (or cannot hand over) is skipped, not fatal.
      if ((e as { name?: string } | null)?.name === 'AbortError') throw e;
      skipped.push({ name, reason: e instanceof FileRefusedError ? e.reason : missingReason(e) });
      opts.onImage?.();
      continue;
    }
    try {
      let img: { rgb: Uint8Array; height: number; width: number } | null = decodeImageFile(bytes);
      if (item.box) {
        const whole = img;
        img = cropRgb(img.rgb, img.height, img.width, item.box);
        if (!img) {
          skipped.push({ name, reason: `its face box lies outside the ${whole.width}×${whole.height} image` });
          opts.onImage?.();
          continue;
        }
      }
      images.set(centreSquare(img.rgb, img.height, img.width, side), names.length * per);
      names.push(name);
      labels.push(item.label);
    } catch (e) {
      if (!(isImageFileError(e) || e instanceof FileRefusedError)) throw e;
      skipped.push({ name, reason: e.reason });
    }
    opts.onImage?.();
  }
  const l = Int32Array.from(labels);
  return { names, images: images.subarray(0, names.length * per), height: side, width: side, labels: l, cleanLabels: new Int32Array(l) };
}

/** Why a file could not be read, in a few words: "no such file" for a missing one. */
function missingReason(e: unknown): string {
  const code = (e as { code?: string } | null)?.code;
  if (code === 'ENOENT' || code === 'ENOTDIR' || /no such file|not ?found/i.test(String((e as Error)?.message ?? e))) return 'no such file';
  return `cannot be read (${code ?? String((e as Error)?.message ?? e).slice(0, 80)})`;
}

/** The centre square of an RGB image, resized to side × side. */
export function centreSquare(rgb: Uint8Array, h: number, w: number, side: number): Uint8Array {
  const s = Math.min(h, w);
  let sq = rgb;
  if (h !== w) {
    const top = Math.floor((h - s) / 2);
    const left = Math.floor((w - s) / 2);
    sq = new Uint8Array(s * s * 3);
    for (let y = 0; y < s; y++) sq.set(rgb.subarray(((top + y) * w + left) * 3, ((top + y) * w + left + s) * 3), y * s * 3);
  }
  return s === side ? sq : resizeRgbPillow(sq, s, s, side, side);
}

export interface ImageFolderOptions {
  side?: number;
  /** Seeds the held-out test share when there is no test folder. */
  seed?: number;
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
}

/** Reads class folders (the JPEG decoder must be initialised); throws DatasetFormatError when `dir` holds none. */
export async function readImageFolder(
  fs: FolderFs,
  dir: string,
  opts: ImageFolderOptions = {},
): Promise<{ dataset: Dataset; report: ImageFolderReport }> {
  const t0 = performance.now();
  const side = opts.side ?? IMAGE_FOLDER_SIDE;
  const layout = await locateImageFolder(fs, dir);
  if (!layout) throw new DatasetFormatError(`${dir}: no class folders (train/<class>/ or <class>/ folders of images)`);
  const { classes } = layout;
  if (classes.length > MAX_CLASSES) throw new DatasetFormatError(`${dir}: ${classes.length} class folders, at most ${MAX_CLASSES}`);
  const skipped: SkippedFile[] = [];
  let train = await listClasses(fs, layout.train, classes, skipped);
  let test = layout.test ? await listClasses(fs, layout.test, classes, skipped) : [];
  if (!layout.test) {
    // A seeded share of each class is held out, the same one on every machine.
    const rng = new Rng(opts.seed ?? 0);
    const held = new Set<Listed>();
    for (let c = 0; c < classes.length; c++) {
      const own = train.filter((t) => t.label === c);
      const order = own.map((_, i) => i);
      for (let i = order.length - 1; i > 0; i--) {
        const j = rng.int(0, i);
        [order[i], order[j]] = [order[j], order[i]];
      }
      for (const i of order.slice(0, Math.round(own.length * TEST_FRACTION))) held.add(own[i]);
    }
    test = train.filter((t) => held.has(t));
    train = train.filter((t) => !held.has(t));
  }
  const rel = (p: string) => p.slice(layout.root.length).replace(/^\/+/, '');
  const named = (list: Listed[]) => list.map((l) => ({ ...l, name: rel(l.path) }));
  const read = await readListedSplits(
    fs,
    dir,
    { train: named(train), test: named(test) },
    classes.length,
    { side, skipped, words: ['train', 'test'], t0 },
    opts,
  );
  const title = `class folders ${entryName(layout.root.split('/').filter(Boolean).pop() ?? layout.root)}`;
  return {
    dataset: { name: title, classes, train: read.train, test: read.test },
    report: {
      format: 'image-folder',
      title,
      root: layout.root,
      classes,
      ...read.found,
      split: layout.test ? 'folders' : 'fraction',
      seconds: (performance.now() - t0) / 1000,
    },
  };
}

/** Both listed splits read (at most MAX_FOLDER_IMAGES in all), progress counted over both, and what a report says of them. */
/** A report's fields on the images read: per class and split, their size, the first skipped files and how many. */
interface SplitsFound {
  trainCounts: number[];
  testCounts: number[];
  height: number;
  width: number;
  skipped: SkippedFile[];
  skippedCount: number;
}

export async function readListedSplits(
  fs: FolderFs,
  root: string,
  lists: { train: readonly ListedImage[]; test: readonly ListedImage[] },
  k: number,
  read: { side: number; skipped: SkippedFile[]; words: [string, string]; t0: number },
  opts: { signal?: AbortSignal; onProgress?: (p: Progress) => void },
): Promise<{ train: Split; test: Split; found: SplitsFound }> {
  const total = lists.train.length + lists.test.length;
  if (total > MAX_FOLDER_IMAGES) throw new DatasetFormatError(`${root}: ${total} images, at most ${MAX_FOLDER_IMAGES}`);
  let done = 0;
  const onImage = (what: string) => () => {
    done++;
    if (done % 64 === 0 || done === total) opts.onProgress?.(progressAt(done, total, `reading ${what} images`, read.t0, performance.now()));
  };
  const train = await readImageList(fs, lists.train, read.side, read.skipped, { signal: opts.signal, onImage: onImage(read.words[0]) });
  const test = await readImageList(fs, lists.test, read.side, read.skipped, { signal: opts.signal, onImage: onImage(read.words[1]) });
  if (train.names.length === 0) throw new DatasetFormatError(`${root}: no readable training image (${read.skipped.length} skipped)`);
  const counts = (s: Split) => {
    const c = new Array<number>(k).fill(0);
    for (const l of s.cleanLabels) c[l]++;
    return c;
  };
  const found: SplitsFound = {
    trainCounts: counts(train),
    testCounts: counts(test),
    height: read.side,
    width: read.side,
    skipped: read.skipped.slice(0, 20),
    skippedCount: read.skipped.length,
  };
  return { train, test, found };
}
