// The dataset cache: RAF-DB folders decoded once (workers/ingest.worker.ts) and kept in
// IndexedDB, so a reload or a second tab trains without re-reading 15,339 JPEGs.
//
// Keyed by the folder's content listing (datasets/folder-key.ts: the relative names and sizes of
// the label files and images, hashed; no pixel is read), so dropping the same folder again is
// answered at once, and a folder whose files changed gets a new entry. Records of one dataset, written in this order so a
// dataset is listed only once complete:
//   the decoded images, either
//     eac-datasets/<key>.<write>.rgb   one OPFS file, train then test (datasets/pixel-files.ts),
//                                      where the writing worker has sync handles: 3× faster
//     chunk/<key>/<split>/<i>          or IndexedDB values, `chunkImages` per value
//   index/<key>               sample names, clean labels, the text of every EmoLabel/*.txt file
//   meta/<key>                what the lab lists: name, counts, report, label files and noise,
//                             size, and the pixel file's name if there is one
// `pending/<key>` marks a write in progress (with its pixel file); a write that died (tab closed)
// leaves chunks or a file without meta, which `sweepIncomplete` removes once its marker is stale.
import { promisifyRequest } from 'idb-keyval';
import { applyTrainingLabels, CLEAN_LABEL_FILE, parseLabelText, splitEntries, type NoiseMeasure } from '../data/labels.ts';
import type { RafDbReport } from '../data/rafdb.ts';
import { NUM_CLASSES, type Dataset, type Split } from '../engine/dataset.ts';
import type { ImageSink } from '../data/rafdb.ts';
import { DatasetCacheError } from './datasets/errors.ts';
import { datasetIndexProblem, datasetInfoProblem } from './datasets/info-check.ts';
import { escapeControls } from '../engine/bounded-json.ts';
import { CACHE_FORMAT } from './datasets/folder-key.ts';
import {
  chunkKey,
  db,
  deleteAll,
  estimate,
  getValue,
  indexKey,
  isQuotaError,
  metaKey,
  pendingKey,
  pixelFiles,
  prefixRange,
  putValue,
  quotaError,
} from './datasets/idb-layout.ts';
import type { PixelFileWriter } from './datasets/pixel-files.ts';
import { runLimited } from './datasets/limited.ts';
import { progressAt, type Progress } from '../engine/progress.ts';
import { abortError, MAX_LABEL_FILE_BYTES } from '../data/folder.ts';
import { bytesText, countText } from '../engine/format.ts';

/** IndexedDB chunk reads in flight at once: IndexedDB overlaps them; more only holds more memory. */
const CHUNKS_IN_FLIGHT = 3;
const DEFAULT_CHUNK_IMAGES = 1000;
/** How often a write into a pixel file moves its marker: well inside STALE_WRITE_MS. */
const MARKER_REFRESH_MS = 20_000;
/** A write whose marker has not moved for this long is dead (its tab was closed). */
const STALE_WRITE_MS = 5 * 60_000;

/** One label file of EmoLabel/ as a training label choice. */
export interface LabelFileInfo {
  file: string;
  /** Measured against the clean labels; null for the clean file itself. */
  noise: NoiseMeasure | null;
  /** Bad lines in this file (for the clean file: all of its bad lines). */
  badLines: number;
  /** False when it labels no clean training sample (not a training label file). */
  usable: boolean;
}

export interface CachedDatasetInfo {
  format: number;
  key: string;
  /** Shown in lists, e.g. "RAF-DB basic (15,339 images)". */
  name: string;
  /** What readRafDb names the dataset ("RAF-DB basic"); a noisy label file is appended at load. */
  datasetName: string;
  /** The dropped or chosen folder's name. */
  source: string;
  /** Date.now() when stored. */
  createdAt: number;
  /** Bytes stored (images, names, labels, label texts). */
  bytes: number;
  train: number;
  test: number;
  height: number;
  width: number;
  /** Images per write (and, without a pixel file, per IndexedDB chunk). */
  chunkImages: number;
  chunks: { train: number; test: number };
  /** The dataset's class names (IDX, CIFAR, class folders); absent: RAF-DB's seven (records stored before it). */
  classes?: string[];
  /** The OPFS file holding the pixels (train, then test); absent: IndexedDB chunks. */
  pixelFile?: string;
  /** RAF-DB's clean label file; '' for a dataset of another format (it has no label files). */
  cleanLabelFile: string;
  /** Every label file of EmoLabel/, the clean one first; empty for a dataset of another format. */
  labelFiles: LabelFileInfo[];
  /** What reading the folder skipped and why. */
  report: RafDbReport;
}

interface IndexRecord {
  trainNames: string[];
  testNames: string[];
  trainClean: Int32Array;
  testClean: Int32Array;
  /** Every *.txt of EmoLabel/ by file name, as read. */
  labelTexts: Record<string, string>;
}

/** Bytes written (storing) or read (loading) of all. */
type CacheProgress = Progress;

/** A write in progress: when it last moved, and the pixel file it writes, if any. */
interface PendingRecord {
  updatedAt: number;
  pixelFile?: string;
}

/** A new pixel file's name: the key (which has no dot), then this write's own tag. */
const newPixelFileName = (key: string) => `${key}.${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}.rgb`;
const keyOfPixelFile = (name: string) => name.slice(0, name.indexOf('.'));

/** Removes every record of `key` and its pixel files (every file named for the key: a dead write's too). */
export async function deleteCachedDataset(key: string): Promise<void> {
  await deleteAll(key);
  const files = pixelFiles();
  if (!files) return;
  // A file a worker is still reading cannot be removed now; no meta names it, so the sweep will.
  for (const f of await files.list()) if (keyOfPixelFile(f.name) === key) await files.remove(f.name).catch(() => undefined);
}

/** One split's bytes as the pixel file's ranges of at most `step` bytes each. */
function fileRanges(images: Uint8Array, from: number, step: number): { at: number; part: Uint8Array }[] {
  const out: { at: number; part: Uint8Array }[] = [];
  for (let o = 0; o < images.length; o += step) out.push({ at: from + o, part: images.subarray(o, Math.min(images.length, o + step)) });
  return out;
}

// ---------------------------------------------------------------------------------------------
// storing

interface StoreInput {
  key: string;
  /** Read with the clean labels (readRafDb without `labels`). */
  dataset: Dataset;
  report: RafDbReport;
  /** From readLabelTexts; must hold the clean file. Empty for a dataset with `classes` (not RAF-DB): it keeps no label files. */
  labelTexts: Record<string, string>;
  /** The dropped or chosen folder's name. */
  source: string;
}

export interface StoreOptions {
  chunkImages?: number;
  onProgress?: (p: CacheProgress) => void;
  signal?: AbortSignal;
}

function cleanFileOf(texts: Record<string, string>): string {
  const f = Object.keys(texts).find((n) => n === CLEAN_LABEL_FILE) ?? Object.keys(texts).find((n) => n.toLowerCase() === CLEAN_LABEL_FILE);
  if (!f) throw new DatasetCacheError(`the label texts do not include ${CLEAN_LABEL_FILE}`);
  return f;
}

/** Every label file as a training choice, measured against the clean file. */
function labelFileInfos(texts: Record<string, string>): LabelFileInfo[] {
  const cleanFile = cleanFileOf(texts);
  const clean = splitEntries(parseLabelText(texts[cleanFile]));
  const out: LabelFileInfo[] = [{ file: cleanFile, noise: null, badLines: clean.badLines.length, usable: true }];
  for (const file of Object.keys(texts).sort()) {
    if (file === cleanFile) continue;
    const applied = applyTrainingLabels(clean.train, file, parseLabelText(texts[file]));
    out.push({ file, noise: applied.noise, badLines: applied.badLines.length, usable: applied.noise.missing < clean.train.length });
  }
  return out;
}

const textBytes = (s: string) => s.length * 2;

function displayName(ds: Dataset): string {
  const n = ds.train.names.length + ds.test.names.length;
  return `${ds.name} (${countText(n)} images)`;
}

/** Bytes of a dataset other than its pixels: names, labels, label texts (an estimate of what IndexedDB keeps). */
function otherBytesOf(dataset: Dataset, labelTexts: Record<string, string>): number {
  const { train, test } = dataset;
  return (
    Object.values(labelTexts).reduce((s, t) => s + textBytes(t), 0) +
    [...train.names, ...test.names].reduce((s, n) => s + textBytes(n) + 8, 0) +
    (train.names.length + test.names.length) * 4
  );
}

interface WriteOptions extends StoreOptions {
  key: string;
  height: number;
  width: number;
  /** Bytes the finished dataset will need, about (checked against the quota before writing). */
  expectedBytes: number;
}

/** A dataset being written: images streamed in, then `finish`, or `abort`. */
export interface DatasetWrite {
  /** Takes the images in order, train then test, `chunkImages` at a time (readRafDb's `sink`). */
  sink: ImageSink;
  /** Writes the index and the meta, after which the dataset is listed; the dataset's images may be empty (streamed). */
  finish(input: Omit<StoreInput, 'key'>): Promise<CachedDatasetInfo>;
  /** Removes everything written so far (after a failure or a cancel). */
  abort(): Promise<void>;
}

/**
 * Starts writing a dataset under `key`, replacing what an earlier write of the key left. All or
 * nothing: the dataset is listed only once `finish` has written its meta; a write that is
 * aborted, or dies with its tab, leaves nothing listed (and `sweepIncomplete` removes the rest).
 * Pixels go to one OPFS file where this context writes files, else to IndexedDB chunks.
 */
export async function beginDatasetWrite(opts: WriteOptions): Promise<DatasetWrite> {
  const { key, signal } = opts;
  const chunkImages = Math.max(1, Math.floor(opts.chunkImages ?? DEFAULT_CHUNK_IMAGES));
  const per = opts.height * opts.width * 3;
  const needed = opts.expectedBytes;
  const checkCancel = () => {
    if (signal?.aborted) throw abortError(signal, 'storing the dataset was cancelled');
  };
  const fail = async (e: unknown): Promise<never> => {
    throw isQuotaError(e) ? await quotaError(needed, e) : e;
  };
  checkCancel();
  const est = await estimate();
  if (est?.quota !== undefined && est.usage !== undefined && est.quota - est.usage < needed * 1.05) throw await quotaError(needed);

  await deleteCachedDataset(key);
  const files = pixelFiles();
  const pixelFile = files?.writable ? newPixelFileName(key) : undefined;
  await putValue(pendingKey(key), { updatedAt: Date.now(), pixelFile } satisfies PendingRecord).catch(fail);
  let writer: PixelFileWriter | null = null;
  if (pixelFile && files) {
    try {
      writer = await files.create(pixelFile);
    } catch (e) {
      await deleteCachedDataset(key).catch(() => undefined);
      await fail(e);
    }
  }
  let open = writer !== null;
  const closeFile = () => {
    if (open) {
      open = false;
      writer?.close();
    }
  };
  const written = { train: 0, test: 0 };
  let markedAt = Date.now();
  const t0 = performance.now();
  let doneBytes = 0;

  const sink: ImageSink = {
    chunkImages,
    async write(split, images, first) {
      checkCancel();
      const n = images.length / per;
      if (first !== written[split] || (split === 'train' && written.test > 0) || first % chunkImages !== 0 || n > chunkImages)
        throw new DatasetCacheError(`dataset write out of order: ${split} images ${first}..${first + n - 1} after ${written[split]}`);
      try {
        if (writer) {
          writer.write(images, (split === 'train' ? first : written.train + first) * per);
          // The marker moves with the write (other tabs' sweeps must see it alive), though not
          // at every chunk: a transaction each would cost more than the write.
          if (Date.now() - markedAt > MARKER_REFRESH_MS) {
            markedAt = Date.now();
            await putValue(pendingKey(key), { updatedAt: markedAt, pixelFile } satisfies PendingRecord);
          } else await new Promise<void>((resolve) => setTimeout(resolve, 0)); // a turn for a cancel message
        } else {
          await db()('readwrite', (s) => {
            s.put(images, chunkKey(key, split, first / chunkImages));
            s.put({ updatedAt: Date.now() } satisfies PendingRecord, pendingKey(key));
            return promisifyRequest(s.transaction);
          });
        }
      } catch (e) {
        await fail(e);
      }
      written[split] = first + n;
      doneBytes += images.length;
      opts.onProgress?.(progressAt(doneBytes, needed, 'storing the dataset', t0, performance.now(), 'bytes'));
    },
  };

  return {
    sink,
    async finish({ dataset, report, labelTexts, source }) {
      checkCancel();
      const { train, test } = dataset;
      if (written.train !== train.names.length || written.test !== test.names.length)
        throw new DatasetCacheError(
          `dataset write incomplete: ${written.train} + ${written.test} images written for ${train.names.length} + ${test.names.length}`,
        );
      const labelled = !dataset.classes;
      if (!labelled && Object.keys(labelTexts).length > 0) throw new DatasetCacheError('label files are kept for RAF-DB only');
      closeFile();
      const info: CachedDatasetInfo = {
        format: CACHE_FORMAT,
        key,
        name: displayName(dataset),
        datasetName: dataset.name,
        source,
        createdAt: Date.now(),
        bytes: (train.names.length + test.names.length) * per + otherBytesOf(dataset, labelTexts),
        train: train.names.length,
        test: test.names.length,
        height: opts.height,
        width: opts.width,
        chunkImages,
        chunks: { train: Math.ceil(train.names.length / chunkImages), test: Math.ceil(test.names.length / chunkImages) },
        ...(dataset.classes ? { classes: dataset.classes } : {}),
        ...(pixelFile ? { pixelFile } : {}),
        cleanLabelFile: labelled ? cleanFileOf(labelTexts) : '',
        labelFiles: labelled ? labelFileInfos(labelTexts) : [],
        report,
      };
      const index: IndexRecord = {
        trainNames: train.names,
        testNames: test.names,
        trainClean: train.cleanLabels,
        testClean: test.cleanLabels,
        labelTexts,
      };
      await db()('readwrite', (s) => {
        s.put(index, indexKey(key));
        s.put(info, metaKey(key));
        s.delete(pendingKey(key));
        return promisifyRequest(s.transaction);
      }).catch(fail);
      opts.onProgress?.(progressAt(needed, needed, 'storing the dataset', t0, performance.now(), 'bytes'));
      return info;
    },
    async abort() {
      try {
        closeFile();
      } catch {
        // closing a failed file may fail too; it is removed below
      }
      await deleteCachedDataset(key).catch(() => undefined);
    },
  };
}

/**
 * Stores a decoded dataset (its images held in memory) under `key`, `chunkImages` images a write.
 * All or nothing: on a quota error, a cancel or any other failure every record written so far is
 * deleted before the error is thrown.
 */
export async function storeDataset(input: StoreInput, opts: StoreOptions = {}): Promise<CachedDatasetInfo> {
  const { key, dataset, labelTexts } = input;
  const { train, test } = dataset;
  if (train.height !== test.height || train.width !== test.width) throw new DatasetCacheError('train and test images differ in size');
  if (!dataset.classes) cleanFileOf(labelTexts);
  const write = await beginDatasetWrite({
    ...opts,
    key,
    height: train.height,
    width: train.width,
    expectedBytes: train.images.length + test.images.length + otherBytesOf(dataset, labelTexts),
  });
  try {
    const per = train.height * train.width * 3;
    const step = write.sink.chunkImages * per;
    for (const [name, split] of [
      ['train', train],
      ['test', test],
    ] as const) {
      for (let o = 0; o < split.images.length; o += step) {
        // A copy, not a view: IndexedDB would clone the whole split's buffer behind a view.
        await write.sink.write(name, split.images.slice(o, o + step), o / per);
      }
    }
    return await write.finish(input);
  } catch (e) {
    await write.abort();
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------
// reading

/** Every meta record, of any cache format. */
const allMeta = () => db()('readonly', (s) => promisifyRequest(s.getAll(prefixRange('meta/')) as IDBRequest<CachedDatasetInfo[]>));

/** Every complete cached dataset, newest first. */
export async function listCachedDatasets(): Promise<CachedDatasetInfo[]> {
  const all = (await allMeta()) as unknown[];
  const out: CachedDatasetInfo[] = [];
  for (const m of all) {
    if ((m as CachedDatasetInfo | null)?.format !== CACHE_FORMAT) continue;
    // A damaged description is left out (and said), never offered to train on.
    const why = datasetInfoProblem(m);
    if (why) console.warn(`[eac] a cached dataset is left out: ${escapeControls(why)}`);
    else out.push(m as CachedDatasetInfo);
  }
  return out.sort((a, b) => b.createdAt - a.createdAt);
}

/** A cached dataset's description, or null if the cache does not hold it; a damaged one is a DatasetCacheError. */
export async function getCachedDatasetInfo(key: string): Promise<CachedDatasetInfo | null> {
  const m = await getValue<CachedDatasetInfo>(metaKey(key));
  if (!m || m.format !== CACHE_FORMAT) return null;
  const why = datasetInfoProblem(m);
  if (why)
    throw new DatasetCacheError(
      `the dataset cache's entry ${escapeControls(key.slice(0, 100))} is damaged (${escapeControls(why)}): delete it and choose the folder again`,
    );
  return m;
}

/** A label file's name as the page keeps it: one line, no path. */
const LABEL_FILE_NAME = /^[^/\\\u0000-\u001f\u007f]{1,200}$/;

/**
 * Adds a `name label` file (labels 1..K, e.g. `eac dataset labels` output) to a cached dataset of a
 * format that names its classes (RAF-DB's come with its folder), as a training choice measured
 * against the clean labels. Refused in one line: an unknown or RAF-DB dataset, a name already
 * there (a file never replaces another), a file over MAX_LABEL_FILE_BYTES, or one that labels none
 * of the training images.
 */
export async function addLabelFile(key: string, file: string, text: string): Promise<LabelFileInfo> {
  if (!LABEL_FILE_NAME.test(file)) throw new DatasetCacheError(`a label file's name must be one line of at most 200 characters`);
  if (text.length > MAX_LABEL_FILE_BYTES)
    throw new DatasetCacheError(`${escapeControls(file)} is larger than a label file may be (${bytesText(MAX_LABEL_FILE_BYTES)})`);
  const meta = await getCachedDatasetInfo(key);
  if (!meta) throw new DatasetCacheError('that dataset is not in the dataset cache any more: choose its folder again');
  if (!meta.classes) throw new DatasetCacheError(`${meta.name}: RAF-DB's label files come with its folder (EmoLabel/)`);
  const index = await getValue<IndexRecord>(indexKey(key));
  const why = index ? datasetIndexProblem(index, { ...meta, numClasses: meta.classes.length }) : 'its index is missing';
  if (!index || why)
    throw new DatasetCacheError(`the dataset cache's entry for ${meta.name} is damaged (${why}): delete it and choose the folder again`);
  if (Object.hasOwn(index.labelTexts, file))
    throw new DatasetCacheError(`${meta.name} already has a label file named ${escapeControls(file)}: rename the new one`);
  const applied = applyTrainingLabels(cleanEntries(index), file, parseLabelText(text, meta.classes.length));
  if (applied.noise.missing === index.trainNames.length) {
    const first = applied.badLines[0];
    throw new DatasetCacheError(
      `${escapeControls(file)} labels none of the ${countText(index.trainNames.length)} training images of ${meta.name}${first ? ` (line ${first.line}: ${first.reason})` : ''}`,
    );
  }
  const info: LabelFileInfo = { file, noise: applied.noise, badLines: applied.badLines.length, usable: true };
  const labelTexts = { ...index.labelTexts, [file]: text };
  const next: CachedDatasetInfo = {
    ...meta,
    bytes: meta.bytes + textBytes(text),
    labelFiles: [...meta.labelFiles, info].sort((a, b) => a.file.localeCompare(b.file)),
  };
  await db()('readwrite', (s) => {
    s.put({ ...index, labelTexts }, indexKey(key));
    s.put(next, metaKey(key));
    return promisifyRequest(s.transaction);
  });
  return info;
}

/** A dataset's clean training labels as label-file entries (names in split order). */
const cleanEntries = (index: IndexRecord) => index.trainNames.map((name, i) => ({ name, label: index.trainClean[i], line: i + 1 }));

/**
 * Removes what dead writes left (chunks and indexes without meta, whose write marker is missing
 * or stale). Returns the keys it cleaned.
 */
export async function sweepIncomplete(now = Date.now()): Promise<string[]> {
  const allKeys = await db()('readonly', (s) => promisifyRequest(s.getAllKeys() as IDBRequest<IDBValidKey[]>));
  const keys = allKeys.map(String);
  const complete = new Set(keys.filter((k) => k.startsWith('meta/')).map((k) => k.slice(5)));
  const orphans = new Set<string>();
  for (const k of keys) {
    const m = /^(?:chunk|index|pending)\/([^/]+)/.exec(k);
    if (m && !complete.has(m[1])) orphans.add(m[1]);
  }
  const cleaned: string[] = [];
  for (const key of orphans) {
    const marker = await getValue<PendingRecord>(pendingKey(key));
    if (marker && now - marker.updatedAt < STALE_WRITE_MS) continue; // another tab is writing it
    await deleteAll(key);
    cleaned.push(key);
  }
  // Pixel files no complete dataset names and no live write is writing.
  const files = pixelFiles();
  if (files) {
    const named = new Set<string>();
    for (const m of await allMeta()) if (m.pixelFile) named.add(m.pixelFile);
    for (const f of await files.list()) {
      if (named.has(f.name) || now - f.lastModified < STALE_WRITE_MS) continue;
      const key = keyOfPixelFile(f.name);
      const marker = await getValue<PendingRecord>(pendingKey(key));
      if (marker?.pixelFile === f.name && now - marker.updatedAt < STALE_WRITE_MS) continue;
      await files.remove(f.name).catch(() => undefined); // still open in a worker: next time
      if (!cleaned.includes(key)) cleaned.push(key);
    }
  }
  return cleaned;
}

/**
 * Loads a cached dataset for training. `labelFile` null (or the clean file's name): the clean
 * labels; otherwise that EmoLabel/ file's labels for the training split, applied as readRafDb's
 * `labels` option does (names it does not label keep their clean label; the test split always
 * uses the clean labels), with its measured noise.
 */
export async function loadCachedDataset(
  key: string,
  labelFile: string | null,
  onProgress?: (p: CacheProgress) => void,
): Promise<{ dataset: Dataset; noise: NoiseMeasure | null }> {
  const meta = await getCachedDatasetInfo(key);
  if (!meta)
    throw new DatasetCacheError(
      `the dataset ${key} is not in the dataset cache (deleted, or the browser cleared site data): choose its folder again`,
    );
  const index = await getValue<IndexRecord>(indexKey(key));
  if (!index)
    throw new DatasetCacheError(`the dataset cache's entry for ${meta.name} is incomplete: delete it and choose the folder again`);
  const indexWhy = datasetIndexProblem(index, { ...meta, numClasses: meta.classes?.length ?? NUM_CLASSES });
  if (indexWhy)
    throw new DatasetCacheError(
      `the dataset cache's entry for ${escapeControls(meta.name)} is damaged (${indexWhy}): delete it and choose the folder again`,
    );

  let trainLabels = index.trainClean.slice();
  let noise: NoiseMeasure | null = null;
  if (labelFile !== null && labelFile !== meta.cleanLabelFile) {
    const text = index.labelTexts[labelFile];
    if (text === undefined) {
      throw new DatasetCacheError(
        `${meta.name} has no label file ${labelFile} (it has ${Object.keys(index.labelTexts).sort().join(', ')})`,
      );
    }
    if (meta.classes) {
      // A label file added to a dataset of another format (addLabelFile): by the split's own names.
      const applied = applyTrainingLabels(cleanEntries(index), labelFile, parseLabelText(text, meta.classes.length));
      trainLabels = Int32Array.from(applied.labels);
      noise = applied.noise;
    } else {
      const clean = splitEntries(parseLabelText(index.labelTexts[meta.cleanLabelFile]));
      const applied = applyTrainingLabels(clean.train, labelFile, parseLabelText(text));
      const byName = new Map<string, number>();
      clean.train.forEach((e, i) => byName.set(e.name, applied.labels[i]));
      trainLabels = Int32Array.from(index.trainNames, (n, i) => byName.get(n) ?? index.trainClean[i]);
      noise = applied.noise;
    }
  }

  const per = meta.height * meta.width * 3;
  const totalBytes = (meta.train + meta.test) * per;
  let doneBytes = 0;
  const t0 = performance.now();
  const readSplit = async (split: 'train' | 'test', count: number): Promise<Uint8Array> => {
    const images = new Uint8Array(count * per);
    await runLimited(meta.chunks[split], CHUNKS_IN_FLIGHT, async (c) => {
      const chunk = await getValue<Uint8Array>(chunkKey(key, split, c));
      const at = c * meta.chunkImages * per;
      const want = Math.min(meta.chunkImages, count - c * meta.chunkImages) * per;
      if (!chunk || chunk.length !== want)
        throw new DatasetCacheError(
          `the dataset cache's entry for ${meta.name} is damaged (${split} chunk ${c}): delete it and choose the folder again`,
        );
      images.set(chunk, at);
      doneBytes += chunk.length;
      onProgress?.(progressAt(doneBytes, totalBytes, `reading ${meta.name}`, t0, performance.now(), 'bytes'));
    });
    return images;
  };
  const splitOf = (names: string[], images: Uint8Array, labels: Int32Array, cleanLabels: Int32Array): Split => ({
    names,
    images,
    height: meta.height,
    width: meta.width,
    labels,
    cleanLabels,
  });
  let trainImages: Uint8Array;
  let testImages: Uint8Array;
  if (meta.pixelFile) {
    const damaged = (why: string) =>
      new DatasetCacheError(`the dataset cache's entry for ${meta.name} is damaged (${why}): delete it and choose the folder again`);
    const files = pixelFiles();
    if (!files) throw damaged('this browser context cannot read its pixel file');
    const size = await files.size(meta.pixelFile);
    if (size !== totalBytes)
      throw damaged(size === null ? 'its pixel file is gone' : `its pixel file has ${size} bytes, not ${totalBytes}`);
    trainImages = new Uint8Array(meta.train * per);
    testImages = new Uint8Array(meta.test * per);
    const step = meta.chunkImages * per;
    const ranges = [...fileRanges(trainImages, 0, step), ...fileRanges(testImages, trainImages.length, step)].map((r) => ({
      at: r.at,
      into: r.part,
    }));
    try {
      await files.read(meta.pixelFile, ranges, (n) => {
        doneBytes += n;
        onProgress?.(progressAt(doneBytes, totalBytes, `reading ${meta.name}`, t0, performance.now(), 'bytes'));
      });
    } catch (e) {
      throw damaged(`reading its pixel file failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  } else {
    trainImages = await readSplit('train', meta.train);
    testImages = await readSplit('test', meta.test);
  }
  return {
    dataset: {
      name: noise ? `${meta.datasetName} (${noise.file})` : meta.datasetName,
      ...(meta.classes ? { classes: meta.classes } : {}),
      train: splitOf(index.trainNames, trainImages, trainLabels, index.trainClean.slice()),
      test: splitOf(index.testNames, testImages, index.testClean.slice(), index.testClean.slice()),
    },
    noise,
  };
}
