// Reads a RAF-DB "basic" folder into the lab's Dataset: the label file(s) in EmoLabel/, every
// JPEG in Image/aligned/ decoded with libjpeg-turbo's decoder (src/data/jpeg.ts) at its native
// 100×100 (any other size is resized to 100×100 with Pillow's exact bilinear filter). Defects are
// skipped and reported, never fatal while the rest is usable. Works on any FolderFs (Node's fs,
// browser directory handles).
import { pillowBilinearCoefficients } from '../engine/pillow-coefficients.ts';
import {
  abortError,
  entryName,
  FileRefusedError,
  isDirEntry,
  isStrayFile,
  joinPath,
  MAX_IMAGE_FILE_BYTES,
  MAX_LABEL_FILE_BYTES,
  type FolderFs,
} from './folder.ts';
import { copyRgb, decodeJpegRgba, JpegError, rgbOf, type DecodedImage, type DecodedRgba } from './jpeg.ts';
import {
  applyTrainingLabels,
  CLEAN_LABEL_FILE,
  LabelFileError,
  parseLabelText,
  splitEntries,
  type BadLine,
  type LabelEntry,
  type NoiseMeasure,
  type ParsedLabels,
} from './labels.ts';
import { CLASS_NAMES, NUM_CLASSES, type Dataset, type Split } from '../engine/dataset.ts';
import { progressAt, throttle, type Progress } from '../engine/progress.ts';

export const RAFDB_SIZE = 100;
/** Image files read ahead of the one being decoded. */
const READ_AHEAD = 16;
/** Files per joined read where the folder offers readMany (two batches are read ahead). */
const READ_BATCH = 64;
/** Images a split's pixel array is first sized for (590 MB at 100×100): past it, it doubles. */
const INITIAL_IMAGES = 20_000;

export class RafDbError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RafDbError';
  }
}

/** Images decoded of all listed. */
type RafDbProgress = Progress;

interface RafDbOptions {
  /** A training label file: a file name in EmoLabel/ (with or without .txt), or a path. Default: the clean file. */
  labels?: string;
  onProgress?: (p: RafDbProgress) => void;
  signal?: AbortSignal;
  /**
   * Decodes one JPEG's bytes (it may take ownership of them); throws JpegError for a file to skip.
   * Default: libjpeg-turbo in this thread, each image when its turn comes, straight into the
   * split's pixels. A pool of decoder workers passes its own, and decodes ahead.
   */
  decode?: (bytes: Uint8Array) => Promise<DecodedImage>;
  /** Decodes in flight at once (with an async `decode`); results are still taken in file order. Default 1. */
  concurrency?: number;
  /**
   * Takes the kept images as they come instead of holding them: `write` gets `chunkImages` of a
   * split's images at a time (a split's last chunk may be shorter) and must be done with the
   * bytes when its promise settles (the buffer is reused). The returned splits' `images` are then
   * empty. The ingest worker streams them into the dataset cache this way.
   */
  sink?: ImageSink;
}

export interface ImageSink {
  chunkImages: number;
  /** `images` holds the split's kept images `first`, `first + 1`, …, S·S·3 bytes each. */
  write(split: 'train' | 'test', images: Uint8Array, first: number): Promise<void>;
}

export interface RafDbReport {
  /** The folder that holds EmoLabel/ and Image/aligned/. */
  root: string;
  train: number;
  test: number;
  classes: string[];
  /** Per class, by the clean labels. */
  trainCounts: number[];
  testCounts: number[];
  /** Label-file names whose image is not in Image/aligned/. */
  missingImages: string[];
  /** Label-file names whose image could not be decoded; reasons in unreadableReasons. */
  unreadableImages: string[];
  unreadableReasons: Record<string, string>;
  /** Images of another size than 100×100, resized. */
  resizedImages: string[];
  badLines: BadLine[];
  /** The training label file measured against the clean labels; null with the clean file. */
  noise: NoiseMeasure | null;
  /** Files in Image/aligned/ no label names (not counting .DS_Store and such). */
  unlabelledImages: number;
  /** The first of them by name (at most UNLABELLED_SAMPLE), to show; absent in reports stored before it existed. */
  unlabelledSample?: string[];
  /** Another format's reader's words on what it found or dropped (FERPlus's majority rule); absent for RAF-DB. */
  notes?: string[];
  seconds: number;
}

/** How many unlabelled file names a report keeps to show (the count is exact). */
const UNLABELLED_SAMPLE = 5;

async function tryList(fs: FolderFs, dir: string): Promise<string[] | null> {
  try {
    return await fs.list(dir);
  } catch {
    return null;
  }
}

const findEntry = (entries: string[], name: string, dir: boolean): string | null =>
  entries.find((e) => isDirEntry(e) === dir && entryName(e) === name) ??
  entries.find((e) => isDirEntry(e) === dir && entryName(e).toLowerCase() === name.toLowerCase()) ??
  null;

/**
 * Folders listed at most while looking for RAF-DB below the given one (breadth first, basic/ first):
 * a parent of 100,000 subfolders, or `/`, is given up on in a second instead of walked for minutes.
 */
export const MAX_DISCOVERY_FOLDERS = 2000;

/**
 * Finds the folder holding EmoLabel/ and Image/: `dir` itself, or below it (RAF-DB's root with
 * basic/, or its parent), breadth first, preferring basic/ and never compound/.
 */
export async function locateRafDb(fs: FolderFs, dir: string): Promise<{ root: string; emoLabel: string; aligned: string }> {
  const top = await tryList(fs, dir);
  // '' is the browser's virtual root (what was dropped or chosen).
  const shown = (p: string) => (p === '' || p === '.' ? 'the given folder' : p);
  if (!top) throw new RafDbError(`${shown(dir)} is not a readable folder`);
  let level: { path: string; entries: string[] }[] = [{ path: dir, entries: top }];
  let emoOnly: string | null = null;
  let listed = 0;
  for (let depth = 0; depth <= 3 && level.length; depth++) {
    for (const { path, entries } of level) {
      const emo = findEntry(entries, 'EmoLabel', true);
      if (!emo) continue;
      const image = findEntry(entries, 'Image', true);
      const imageEntries = image ? await tryList(fs, joinPath(path, entryName(image))) : null;
      const aligned = imageEntries ? findEntry(imageEntries, 'aligned', true) : null;
      if (image && aligned)
        return {
          root: path,
          emoLabel: joinPath(path, entryName(emo)),
          aligned: joinPath(joinPath(path, entryName(image)), entryName(aligned)),
        };
      emoOnly ??= path;
    }
    const next: { path: string; entries: string[] }[] = [];
    for (const { path, entries } of level) {
      const subdirs = entries
        .filter((e) => isDirEntry(e) && !isStrayFile(e) && !/^(compound|EmoLabel|Image|__MACOSX)\/$/i.test(e))
        .sort((a, b) => Number(/^basic\/$/i.test(b)) - Number(/^basic\/$/i.test(a)));
      for (const s of subdirs) {
        if (++listed > MAX_DISCOVERY_FOLDERS)
          throw new RafDbError(
            `looked in ${MAX_DISCOVERY_FOLDERS} folders below ${shown(dir)} without finding RAF-DB's EmoLabel/: give the RAF-DB folder itself, or basic/`,
          );
        const p = joinPath(path, entryName(s));
        const list = await tryList(fs, p);
        if (list) next.push({ path: p, entries: list });
      }
    }
    level = next;
  }
  if (emoOnly !== null)
    throw new RafDbError(
      `${shown(emoOnly)} has EmoLabel/ but no Image/aligned/ beside it (RAF-DB basic keeps its images in Image/aligned/)`,
    );
  throw new RafDbError(
    `no EmoLabel/ folder in or below ${shown(dir)}: give the RAF-DB folder (basic/ with EmoLabel/list_patition_label.txt and Image/aligned/), its parent, or basic/ itself`,
  );
}

const decodeText = (b: Uint8Array) => new TextDecoder('utf-8').decode(b);

/** A label file's text; a refused file (too large, not a regular file, outside the folder) is a RafDbError. */
async function readLabelText(fs: FolderFs, path: string): Promise<string> {
  try {
    return decodeText(await fs.read(path, MAX_LABEL_FILE_BYTES));
  } catch (e) {
    if (e instanceof FileRefusedError) throw new RafDbError(`${path}: ${e.reason}`);
    throw e;
  }
}

/** Parses a label file; one refused as a whole (absurdly many lines) is a RafDbError naming it. */
function parseLabelFile(path: string, text: string): ParsedLabels {
  try {
    return parseLabelText(text);
  } catch (e) {
    if (e instanceof LabelFileError) throw new RafDbError(`${path}: ${e.message}`);
    throw e;
  }
}

async function readLabelFile(fs: FolderFs, emoLabel: string, spec: string): Promise<{ file: string; path: string; text: string }> {
  const emoEntries = (await tryList(fs, emoLabel)) ?? [];
  const isPath = /[/\\]/.test(spec);
  if (!isPath) {
    for (const cand of [spec, `${spec}.txt`]) {
      const e = findEntry(emoEntries, cand, false);
      if (e) {
        const path = joinPath(emoLabel, entryName(e));
        return { file: entryName(e), path, text: await readLabelText(fs, path) };
      }
    }
  }
  try {
    const text = await readLabelText(fs, spec);
    return { file: spec.split(/[/\\]/).pop() ?? spec, path: spec, text };
  } catch (e) {
    if (e instanceof RafDbError) throw new RafDbError(`--labels ${e.message}`);
    const others = emoEntries.filter((e) => !isDirEntry(e) && !isStrayFile(e)).map(entryName);
    throw new RafDbError(
      `--labels ${spec}: no such label file in ${emoLabel}/ (${others.length ? `it has ${others.join(', ')}` : 'it is empty'}) nor as a path`,
    );
  }
}

/** Exact Pillow bilinear resize (horizontal pass, round to uint8, vertical pass) of an RGB image, on the CPU. */
export function resizeRgbPillow(src: Uint8Array, inH: number, inW: number, outH: number, outW: number): Uint8Array {
  const ONE = 1 << 22;
  const HALF = 1 << 21;
  const pass = (
    data: Uint8Array,
    rows: number,
    cols: number,
    outCols: number,
    stride: number,
    step: number,
    lineStride: number,
    outStride: number,
    outStep: number,
    outLineStride: number,
    out: Uint8Array,
  ) => {
    const kk = pillowBilinearCoefficients(cols, outCols);
    const lo = new Int32Array(outCols);
    const hi = new Int32Array(outCols);
    for (let o = 0; o < outCols; o++) {
      let a = cols;
      let b = -1;
      for (let i = 0; i < cols; i++) {
        if (kk[o * cols + i] !== 0) {
          a = Math.min(a, i);
          b = i;
        }
      }
      lo[o] = a;
      hi[o] = b;
    }
    for (let r = 0; r < rows; r++) {
      for (let o = 0; o < outCols; o++) {
        for (let c = 0; c < 3; c++) {
          let s = HALF;
          for (let i = lo[o]; i <= hi[o]; i++) s += data[r * lineStride + i * step + c * stride] * kk[o * cols + i];
          const v = Math.floor(s / ONE);
          out[r * outLineStride + o * outStep + c * outStride] = v < 0 ? 0 : v > 255 ? 255 : v;
        }
      }
    }
  };
  let cur = src;
  let w = inW;
  if (outW !== inW) {
    const tmp = new Uint8Array(inH * outW * 3);
    pass(cur, inH, inW, outW, 1, 3, inW * 3, 1, 3, outW * 3, tmp);
    cur = tmp;
    w = outW;
  }
  if (outH !== inH) {
    const tmp = new Uint8Array(outH * w * 3);
    // Columns as "rows": for each x, run along y.
    pass(cur, w, inH, outH, 1, w * 3, 3, 1, w * 3, 3, tmp);
    cur = tmp;
  }
  return cur === src ? src.slice() : cur;
}

/** The image file expected for a label-file name: `train_00001.jpg` → `train_00001_aligned.jpg`. */
function alignedFileName(name: string): string {
  return name.replace(/\.[^.]*$/, '') + '_aligned.jpg';
}

/** Reads a RAF-DB basic folder (its root, its parent, or basic/). */
export async function readRafDb(fs: FolderFs, dir: string, opts: RafDbOptions = {}): Promise<{ dataset: Dataset; report: RafDbReport }> {
  const t0 = performance.now();
  const { signal, onProgress } = opts;
  if (signal?.aborted) throw abortError(signal, 'reading the dataset was cancelled');
  const decodeAhead = opts.decode;
  // Files read (and decoding) ahead of the one taken: enough to keep every decoder busy, and a
  // bound on the bytes and pixels held at once.
  const ahead = Math.max(fs.readMany ? 2 * READ_BATCH : READ_AHEAD, 2 * Math.max(1, Math.floor(opts.concurrency ?? 1)));
  const where = await locateRafDb(fs, dir);
  const emoEntries = (await tryList(fs, where.emoLabel)) ?? [];
  const cleanEntry = findEntry(emoEntries, CLEAN_LABEL_FILE, false);
  if (!cleanEntry)
    throw new RafDbError(
      `${where.emoLabel}/ has no ${CLEAN_LABEL_FILE} (the clean label file RAF-DB ships; found: ${
        emoEntries
          .filter((e) => !isStrayFile(e))
          .map(entryName)
          .join(', ') || 'nothing'
      })`,
    );
  const cleanFile = entryName(cleanEntry);
  const cleanPath = joinPath(where.emoLabel, cleanFile);
  const parsed = parseLabelFile(cleanPath, await readLabelText(fs, cleanPath));
  const split = splitEntries(parsed);
  const badLines: BadLine[] = split.badLines.map((b) => ({ ...b, file: cleanFile }));
  if (split.train.length + split.test.length === 0)
    throw new RafDbError(
      `${joinPath(where.emoLabel, cleanFile)} has no usable label line (${badLines.length} bad lines${badLines.length ? `, first: line ${badLines[0].line}: ${badLines[0].reason}` : ''})`,
    );

  let trainLabels: Int32Array = Int32Array.from(split.train, (e) => e.label);
  let noise: NoiseMeasure | null = null;
  if (opts.labels !== undefined && opts.labels !== cleanFile && opts.labels !== cleanFile.replace(/\.txt$/, '')) {
    const lf = await readLabelFile(fs, where.emoLabel, opts.labels);
    const applied = applyTrainingLabels(split.train, lf.file, parseLabelFile(lf.path, lf.text));
    trainLabels = applied.labels;
    noise = applied.noise;
    badLines.push(...applied.badLines);
  }

  const imageList = await fs.list(where.aligned);
  const imageFiles = new Map<string, string>();
  for (const e of imageList) if (!isDirEntry(e) && !isStrayFile(e)) imageFiles.set(e, e);
  const lowerFiles = new Map<string, string>();
  for (const f of imageFiles.keys()) lowerFiles.set(f.toLowerCase(), f);
  const fileFor = (name: string): string | null => {
    for (const cand of [alignedFileName(name), name]) {
      const f = imageFiles.get(cand) ?? lowerFiles.get(cand.toLowerCase());
      if (f) return f;
    }
    return null;
  };

  const missingImages: string[] = [];
  const unreadableImages: string[] = [];
  const unreadableReasons: Record<string, string> = {};
  const resizedImages: string[] = [];
  const used = new Set<string>();
  const all = [...split.train, ...split.test];
  const total = all.length;
  let done = 0;
  const tStart = performance.now();
  const due = throttle(200);
  const report = (force: boolean) => {
    if (onProgress && due(force)) onProgress(progressAt(done, total, 'decoding images', tStart, performance.now()));
  };

  const sink = opts.sink;
  const readSplit = async (splitName: 'train' | 'test', entries: LabelEntry[], labels: Int32Array): Promise<Split> => {
    const S = RAFDB_SIZE;
    const pixels = S * S * 3;
    const names: string[] = [];
    const keptLabels: number[] = [];
    const keptClean: number[] = [];
    // Reads run ahead of decoding: a file read is a round trip (a browser File, a directory
    // handle, a disk) that would otherwise sit idle between two decodes.
    const files = entries.map((e) => fileFor(e.name));
    // Room for the image files found (a label file's line count does not size it), allocated
    // once up to INITIAL_IMAGES (RAF-DB's 15,339 fit): growing by doubling writes every pixel
    // again into fresh pages, and first touches of fresh memory cost as much as the copies
    // (3.6 s of 10 s for RAF-DB in a VM). A folder of more files than that grows by doubling.
    const found = files.reduce((n, f) => n + (f ? 1 : 0), 0);
    // With a sink, one chunk's room, written out and reused whenever it is full.
    const chunk = sink ? Math.max(1, Math.floor(sink.chunkImages)) : 0;
    let images = new Uint8Array((sink ? Math.min(found, chunk) : Math.min(found, INITIAL_IMAGES)) * pixels);
    /** Where the next kept image goes (growing the array when it is full). */
    const nextSlot = (): number => {
      if (sink) return (names.length % chunk) * pixels;
      const at = names.length * pixels;
      if (at + pixels > images.length) {
        const grown = new Uint8Array(Math.min(found, Math.max(1, 2 * (images.length / pixels))) * pixels);
        grown.set(images);
        images = grown;
      }
      return at;
    };
    /** Puts a decoded image in the next slot (resized to S×S where it is not); false if resized. */
    const keep = (img: DecodedImage | DecodedRgba): boolean => {
      const at = nextSlot();
      if (img.width === S && img.height === S) {
        if ('rgba' in img) copyRgb(img.rgba, images, at);
        else images.set(img.rgb, at);
        return true;
      }
      const rgb = 'rgba' in img ? rgbOf(img) : img.rgb;
      images.set(resizeRgbPillow(rgb, img.height, img.width, S, S), at);
      return false;
    };
    // Each file is read then decoded as soon as it enters the window; with an async decoder
    // (a worker pool) several decode at once, and results are still taken in file order below.
    // Where the folder reads several files more cheaply than one at a time (a browser's Files),
    // the window is read in batches of READ_BATCH.
    const reads = new Map<number, Promise<DecodedImage | Uint8Array>>();
    const batches = new Map<number, Promise<Array<Uint8Array | Error>>>();
    const bytesOf = (j: number): Promise<Uint8Array> => {
      const f = files[j] as string;
      if (!fs.readMany) return fs.read(joinPath(where.aligned, f), MAX_IMAGE_FILE_BYTES);
      const b = Math.floor(j / READ_BATCH);
      let batch = batches.get(b);
      if (!batch) {
        const members = files.slice(b * READ_BATCH, (b + 1) * READ_BATCH).flatMap((g) => (g ? [joinPath(where.aligned, g)] : []));
        batch = fs.readMany(members, MAX_IMAGE_FILE_BYTES);
        batches.set(b, batch);
      }
      // This file's place among its batch's files that exist.
      let k = 0;
      for (let i = b * READ_BATCH; i < j; i++) if (files[i]) k++;
      return batch.then((all) => {
        const r = all[k];
        if (r instanceof Error) throw r;
        return r;
      });
    };
    const readAndDecode = (j: number): Promise<DecodedImage | Uint8Array> =>
      bytesOf(j).then<DecodedImage | Uint8Array>((bytes) => {
        // A read that lands after a cancel is not decoded (the pool may already be gone).
        if (signal?.aborted) throw abortError(signal, 'reading the dataset was cancelled');
        // Without a pool the bytes wait their turn: the decoder's output lives only until its
        // next decode, and one thread gains nothing from decoding early.
        return decodeAhead ? decodeAhead(bytes) : bytes;
      });
    const startRead = (j: number) => {
      const f = j < entries.length ? files[j] : null;
      if (!f || reads.has(j) || signal?.aborted) return;
      const p = readAndDecode(j);
      p.catch(() => undefined); // awaited (and reported) in order below
      reads.set(j, p);
    };
    for (let j = 0; j < ahead; j++) startRead(j);
    for (let i = 0; i < entries.length; i++) {
      if (signal?.aborted) throw abortError(signal, 'reading the dataset was cancelled');
      const e = entries[i];
      const file = files[i];
      startRead(i + ahead);
      done++;
      if (!file) {
        missingImages.push(e.name);
        report(false);
        continue;
      }
      used.add(file);
      let reason: string | null = null;
      try {
        const pending = reads.get(i) ?? readAndDecode(i);
        reads.delete(i);
        // The batch's bytes are held by its files' reads from here on, not by the batch.
        if ((i + 1) % READ_BATCH === 0) batches.delete(Math.floor(i / READ_BATCH));
        const got = await pending;
        if (!keep(got instanceof Uint8Array ? decodeJpegRgba(got) : got)) resizedImages.push(e.name);
        names.push(e.name);
        keptLabels.push(labels[i]);
        keptClean.push(e.label);
      } catch (err) {
        if (signal?.aborted) throw abortError(signal, 'reading the dataset was cancelled');
        reason =
          err instanceof JpegError || err instanceof FileRefusedError
            ? err.reason
            : `cannot read: ${(err as Error).message ?? String(err)}`;
      }
      if (reason !== null) {
        unreadableImages.push(e.name);
        unreadableReasons[e.name] = reason;
      } else if (sink && names.length % chunk === 0) {
        await sink.write(splitName, images, names.length - chunk);
      }
      report(false);
    }
    const rest = sink ? names.length % chunk : 0;
    if (sink && rest > 0) await sink.write(splitName, images.subarray(0, rest * pixels), names.length - rest);
    return {
      names,
      images: sink ? new Uint8Array(0) : images.length === names.length * pixels ? images : images.slice(0, names.length * pixels),
      height: S,
      width: S,
      labels: Int32Array.from(keptLabels),
      cleanLabels: Int32Array.from(keptClean),
    };
  };

  const train = await readSplit('train', split.train, trainLabels);
  const test = await readSplit(
    'test',
    split.test,
    Int32Array.from(split.test, (e) => e.label),
  );
  report(true);
  if (train.names.length === 0)
    throw new RafDbError(
      `no usable training image in ${where.aligned}/ (${missingImages.length} missing, ${unreadableImages.length} unreadable)`,
    );
  if (test.names.length === 0)
    throw new RafDbError(
      `no usable test image in ${where.aligned}/ (${missingImages.length} missing, ${unreadableImages.length} unreadable)`,
    );

  const counts = (labels: Int32Array) => {
    const c = new Array<number>(NUM_CLASSES).fill(0);
    for (const l of labels) c[l]++;
    return c;
  };
  badLines.sort((a, b) => (a.file === b.file ? a.line - b.line : a.file === cleanFile ? -1 : 1));
  const unlabelled = [...imageFiles.keys()].filter((f) => !used.has(f));
  return {
    dataset: { name: noise ? `RAF-DB basic (${noise.file})` : 'RAF-DB basic', train, test },
    report: {
      root: where.root,
      train: train.names.length,
      test: test.names.length,
      classes: [...CLASS_NAMES],
      trainCounts: counts(train.cleanLabels),
      testCounts: counts(test.cleanLabels),
      missingImages,
      unreadableImages,
      unreadableReasons,
      resizedImages,
      badLines,
      noise,
      unlabelledImages: unlabelled.length,
      unlabelledSample: unlabelled.sort().slice(0, UNLABELLED_SAMPLE),
      seconds: (performance.now() - t0) / 1000,
    },
  };
}
