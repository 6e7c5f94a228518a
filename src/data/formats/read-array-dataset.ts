// The datasets that ship as arrays rather than image files: IDX (MNIST, Fashion-MNIST) and
// CIFAR-10/100's binary version. Found in a folder (or one level below it), read whole, checked,
// and turned into the lab's Dataset with the classes the files name. Runs on any FolderFs: the
// CLI's Node folder and the page's dropped folder alike.
import type { Dataset, Split } from '../../engine/dataset.ts';
import { entryName, isDirEntry, joinPath, type FolderFs } from '../folder.ts';
import { CIFAR10_CLASSES, CIFAR_SIDE, parseCifarBatch, parseNamesFile } from './cifar.ts';
import { idxImagesRgb, parseIdx } from './idx.ts';

/** The largest array file read (CIFAR-100's train.bin is 150 MB), and the most it may inflate to. */
export const MAX_ARRAY_FILE_BYTES = 256 << 20;
/** A names file (CIFAR-100's fine_label_names.txt is 1 kB). */
const MAX_NAMES_FILE_BYTES = 1 << 20;
/** Sub-folders looked into for a dataset below the one given. */
const MAX_SUBFOLDERS = 64;

export type ArrayFormat = 'idx' | 'cifar-10' | 'cifar-100';

/** What a reader of a dataset other than RAF-DB found (array files here, class folders in image-folder.ts). */
export interface FoundDatasetReport {
  /** A name for people: "Fashion-MNIST", "CIFAR-10". */
  title: string;
  root: string;
  classes: string[];
  trainCounts: number[];
  testCounts: number[];
  height: number;
  width: number;
  seconds: number;
}

export interface ArrayDatasetReport extends FoundDatasetReport {
  format: ArrayFormat;
  /** Grey images, copied to RGB. */
  grayscale: boolean;
  /** Files read, for the report. */
  files: string[];
}

export class DatasetFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DatasetFormatError';
  }
}

const IDX_FILE = /^(train|t10k|test)-(images|labels)[-.]idx([13])-ubyte(\.gz)?$/i;
const CIFAR10_TRAIN = /^data_batch_[1-5]\.bin$/;

interface Found {
  format: ArrayFormat;
  root: string;
  entries: string[];
}

/** The array format a folder's entries name (null: none). */
export function arrayFormatIn(entries: string[]): ArrayFormat | null {
  const files = entries.filter((e) => !isDirEntry(e));
  const idx = files.filter((f) => IDX_FILE.test(f));
  if (idx.length >= 4) return 'idx';
  if (files.some((f) => CIFAR10_TRAIN.test(f)) && files.includes('test_batch.bin')) return 'cifar-10';
  if (files.includes('train.bin') && files.includes('test.bin')) return 'cifar-100';
  return null;
}

/** Finds an array dataset in `dir` or one of its sub-folders; null when there is none. */
export async function locateArrayDataset(fs: FolderFs, dir: string): Promise<Found | null> {
  const entries = await fs.list(dir);
  const here = arrayFormatIn(entries);
  if (here) return { format: here, root: dir, entries };
  for (const sub of entries.filter(isDirEntry).slice(0, MAX_SUBFOLDERS)) {
    const root = joinPath(dir, entryName(sub));
    let inner: string[];
    try {
      inner = await fs.list(root);
    } catch {
      continue;
    }
    const f = arrayFormatIn(inner);
    if (f) return { format: f, root, entries: inner };
  }
  return null;
}

const FASHION = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];

async function readNames(fs: FolderFs, root: string, entries: string[], file: string): Promise<string[] | null> {
  if (!entries.includes(file)) return null;
  return parseNamesFile(new TextDecoder().decode(await fs.read(joinPath(root, file), MAX_NAMES_FILE_BYTES)));
}

function countsOf(labels: Int32Array, k: number): number[] {
  const c = new Array<number>(k).fill(0);
  for (const l of labels) c[l]++;
  return c;
}

function split(prefix: string, rgb: Uint8Array, labels: Int32Array, height: number, width: number): Split {
  const names = Array.from(labels, (_, i) => `${prefix}_${String(i + 1).padStart(5, '0')}`);
  return { names, images: rgb, height, width, labels, cleanLabels: new Int32Array(labels) };
}

async function readIdx(fs: FolderFs, found: Found): Promise<{ dataset: Dataset; report: Omit<ArrayDatasetReport, 'seconds'> }> {
  const pick = (which: 'train' | 'test', kind: 'images' | 'labels') =>
    found.entries.find((e) => {
      const m = IDX_FILE.exec(e);
      return m && (m[1].toLowerCase() === 'train') === (which === 'train') && m[2].toLowerCase() === kind;
    });
  const files: string[] = [];
  const read = async (which: 'train' | 'test', kind: 'images' | 'labels') => {
    const name = pick(which, kind);
    if (!name) throw new DatasetFormatError(`${found.root}: no ${which} ${kind} IDX file`);
    files.push(name);
    try {
      return parseIdx(await fs.read(joinPath(found.root, name), MAX_ARRAY_FILE_BYTES), MAX_ARRAY_FILE_BYTES);
    } catch (e) {
      throw new DatasetFormatError(`${joinPath(found.root, name)}: ${(e as Error).message}`);
    }
  };
  const names =
    (await readNames(fs, found.root, found.entries, 'classes.txt')) ??
    (/fashion/i.test(found.root) ? FASHION : Array.from({ length: 10 }, (_, i) => String(i)));
  const splits: Split[] = [];
  let shape: [number, number] | null = null;
  for (const which of ['train', 'test'] as const) {
    const images = idxImagesRgb(await read(which, 'images'));
    const labelArr = await read(which, 'labels');
    if (labelArr.dims.length !== 1 || labelArr.dims[0] !== images.count)
      throw new DatasetFormatError(`${found.root}: ${images.count} ${which} images but ${labelArr.dims.join('×')} labels`);
    const labels = Int32Array.from(labelArr.data);
    const bad = labels.findIndex((l) => l >= names.length);
    if (bad >= 0)
      throw new DatasetFormatError(`${found.root}: ${which} label ${bad} is ${labels[bad]}, not one of ${names.length} classes`);
    if (shape && (shape[0] !== images.height || shape[1] !== images.width))
      throw new DatasetFormatError(`${found.root}: train images are ${shape.join('×')}, test images ${images.height}×${images.width}`);
    shape = [images.height, images.width];
    splits.push(split(which, images.rgb, labels, images.height, images.width));
  }
  const title = /fashion/i.test(found.root) ? 'Fashion-MNIST' : 'MNIST-style IDX';
  return {
    dataset: { name: title, classes: names, train: splits[0], test: splits[1] },
    report: reportOf('idx', title, found.root, names, splits, files, true),
  };
}

async function readCifar(fs: FolderFs, found: Found): Promise<{ dataset: Dataset; report: Omit<ArrayDatasetReport, 'seconds'> }> {
  const ten = found.format === 'cifar-10';
  const names = ten
    ? ((await readNames(fs, found.root, found.entries, 'batches.meta.txt')) ?? CIFAR10_CLASSES)
    : await readNames(fs, found.root, found.entries, 'fine_label_names.txt');
  if (!names) throw new DatasetFormatError(`${found.root}: CIFAR-100 without fine_label_names.txt (the class names)`);
  const trainFiles = ten ? found.entries.filter((e) => CIFAR10_TRAIN.test(e)).sort() : ['train.bin'];
  const testFiles = ten ? ['test_batch.bin'] : ['test.bin'];
  const files: string[] = [];
  const readSplit = async (which: 'train' | 'test', list: string[]) => {
    const parts: { labels: Int32Array; rgb: Uint8Array }[] = [];
    for (const f of list) {
      files.push(f);
      try {
        parts.push(parseCifarBatch(await fs.read(joinPath(found.root, f), MAX_ARRAY_FILE_BYTES), ten ? 1 : 2, names.length));
      } catch (e) {
        throw new DatasetFormatError(`${joinPath(found.root, f)}: ${(e as Error).message}`);
      }
    }
    const n = parts.reduce((a, p) => a + p.labels.length, 0);
    const labels = new Int32Array(n);
    const rgb = new Uint8Array(n * CIFAR_SIDE * CIFAR_SIDE * 3);
    let at = 0;
    for (const p of parts) {
      labels.set(p.labels, at);
      rgb.set(p.rgb, at * CIFAR_SIDE * CIFAR_SIDE * 3);
      at += p.labels.length;
    }
    return split(which, rgb, labels, CIFAR_SIDE, CIFAR_SIDE);
  };
  const splits = [await readSplit('train', trainFiles), await readSplit('test', testFiles)];
  const title = ten ? 'CIFAR-10' : 'CIFAR-100';
  return {
    dataset: { name: title, classes: names, train: splits[0], test: splits[1] },
    report: reportOf(found.format, title, found.root, names, splits, files, false),
  };
}

function reportOf(
  format: ArrayFormat,
  title: string,
  root: string,
  classes: string[],
  [train, test]: Split[],
  files: string[],
  grayscale: boolean,
): Omit<ArrayDatasetReport, 'seconds'> {
  return {
    format,
    title,
    root,
    classes,
    trainCounts: countsOf(train.cleanLabels, classes.length),
    testCounts: countsOf(test.cleanLabels, classes.length),
    height: train.height,
    width: train.width,
    grayscale,
    files,
  };
}

/** Reads the array dataset in `dir` (or below it); throws DatasetFormatError with one line when there is none or it is damaged. */
export async function readArrayDataset(fs: FolderFs, dir: string): Promise<{ dataset: Dataset; report: ArrayDatasetReport }> {
  const t0 = performance.now();
  const found = await locateArrayDataset(fs, dir);
  if (!found) throw new DatasetFormatError(`${dir}: no IDX or CIFAR binary files here or in a folder below`);
  const r = found.format === 'idx' ? await readIdx(fs, found) : await readCifar(fs, found);
  return { dataset: r.dataset, report: { ...r.report, seconds: (performance.now() - t0) / 1000 } };
}
