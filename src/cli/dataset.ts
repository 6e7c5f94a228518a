// `eac dataset inspect DIR`: reads a RAF-DB basic folder the way training will and reports what
// it found (counts per class, missing and unreadable images, bad label lines, measured noise).
// Also the loader `eac train --data` uses.
import { parseWithPositionals, UsageError } from './args.ts';
import { nodeFolderFsWithin } from './node-folder-fs.ts';
import { emitJson, formatSeconds, progress } from './output.ts';
import { MAX_IMAGE_FILE_BYTES, MAX_LABEL_FILE_BYTES } from '../data/folder.ts';
import { bytesText, countText } from '../engine/format.ts';
import { MAX_JPEG_SIDE } from '../data/jpeg.ts';
import { initJpegDecoderNode } from '../data/jpeg-node.ts';
import { MAX_LABEL_LINES } from '../data/labels.ts';
import { locateRafDb, RafDbError, readRafDb, type RafDbReport } from '../data/rafdb.ts';
import { throttle } from '../engine/progress.ts';
import type { Dataset } from '../engine/dataset.ts';
import { FileRefusedError } from '../data/folder.ts';
import { DatasetFormatError, locateArrayDataset, readArrayDataset, type ArrayDatasetReport } from '../data/formats/read-array-dataset.ts';
import { locateImageFolder, readImageFolder, TEST_FRACTION, type ImageFolderReport } from '../data/formats/image-folder.ts';

export { nodeFolderFs } from './node-folder-fs.ts';

export const DATASET_HELP = `eac dataset labels (--demo | DIR) --out FILE [--noise RATE] [--noise-kind K] [--seed N]
  writes the training labels (noisy if asked) as a \`name label\` file for eac train --labels
eac dataset inspect DIR [--labels FILE_OR_NAME] [--json] [--out FILE]
  DIR: RAF-DB's basic/ folder, the RAF-DB folder above it, or its parent; or a folder of IDX files
       (MNIST, Fashion-MNIST; gzip or raw) or of CIFAR-10/100 binary batches (or its parent)
  --labels: a training label file in EmoLabel/ (e.g. noise01.txt) or a path; its noise is measured
  Reads only regular files inside DIR (links leading out are not followed); skips images over
  ${bytesText(MAX_IMAGE_FILE_BYTES, 'binary')} or ${MAX_JPEG_SIDE}×${MAX_JPEG_SIDE} pixels; refuses label files over ${bytesText(MAX_LABEL_FILE_BYTES, 'binary')} or ${countText(MAX_LABEL_LINES)} lines.`;

/** Reads a RAF-DB folder with progress on stderr; errors become one-line UsageErrors. */
export async function loadRafDbFolder(
  dir: string,
  labels?: string,
  opts: { signal?: AbortSignal; flag?: string } = {},
): Promise<{ dataset: Dataset; report: RafDbReport }> {
  await initJpegDecoderNode();
  const due = throttle(2000);
  try {
    // Confined to the folder: a stranger's symlink to /etc/passwd is not read; a --labels path the
    // user typed is theirs to name.
    const fs = nodeFolderFsWithin(dir, { allow: labels !== undefined && /[/\\]/.test(labels) ? [labels] : [] });
    const r = await readRafDb(fs, dir, {
      labels,
      signal: opts.signal,
      onProgress: (p) => {
        if (!due(p.done === p.total)) return;
        progress(
          `reading RAF-DB: ${countText(p.done)}/${countText(p.total)} images, ${(p.perSecond ?? 0).toFixed(0)} img/s, ETA ${formatSeconds(p.etaSeconds)}`,
        );
      },
    });
    for (const line of summary(r.report)) progress(line);
    return r;
  } catch (e) {
    if (e instanceof RafDbError) throw new UsageError(opts.flag ? `${opts.flag}: ${e.message}` : e.message);
    throw e;
  }
}

/** Finds EmoLabel/ and Image/aligned/ without reading a file: a wrong folder is named before any long work. */
export async function checkRafDbFolder(dir: string, flag: string): Promise<void> {
  try {
    await locateRafDb(nodeFolderFsWithin(dir), dir);
  } catch (e) {
    if (e instanceof RafDbError) throw new UsageError(`${flag}: ${e.message}`);
    throw e;
  }
}

/** An IDX or CIFAR dataset in `dir` (or a folder below), else null; a folder that cannot be listed is RAF-DB's check's to name. */
async function arrayDatasetIn(dir: string) {
  try {
    return await locateArrayDataset(nodeFolderFsWithin(dir), dir);
  } catch {
    return null;
  }
}

/** Class folders in `dir`, else null. */
async function imageFolderIn(dir: string) {
  try {
    return await locateImageFolder(nodeFolderFsWithin(dir), dir);
  } catch {
    return null;
  }
}

/** Which reader `dir` is for: array files first, then RAF-DB, then class folders; a one-line UsageError when none. */
async function kindOf(dir: string, flag: string): Promise<'array' | 'raf-db' | 'image-folder'> {
  if (await arrayDatasetIn(dir)) return 'array';
  try {
    await locateRafDb(nodeFolderFsWithin(dir), dir);
    return 'raf-db';
  } catch (e) {
    if (!(e instanceof RafDbError)) throw e;
    if (await imageFolderIn(dir)) return 'image-folder';
    // A folder that cannot be read is said as such; one that can is named for every format tried.
    if (
      !(await nodeFolderFsWithin(dir)
        .list(dir)
        .then(
          () => true,
          () => false,
        ))
    )
      throw new UsageError(`${flag}: ${e.message}`);
    throw new UsageError(
      `${flag}: ${e.message}; nor does it hold IDX or CIFAR files, or class folders (train/<class>/ or <class>/ of images)`,
    );
  }
}

/** Any dataset folder the lab reads: RAF-DB, IDX (MNIST, Fashion-MNIST), CIFAR-10/100 binary, or class folders. */
export async function checkDataFolder(dir: string, flag: string): Promise<void> {
  await kindOf(dir, flag);
}

export interface LoadedFolder {
  dataset: Dataset;
  rafdb: RafDbReport | null;
  /** What an IDX, CIFAR or class-folder reader found. */
  array: FolderDatasetReport | null;
}

export type FolderDatasetReport = ArrayDatasetReport | ImageFolderReport;

/** Reads whichever dataset `dir` holds, with its report on stderr. */
export async function loadDataFolder(dir: string, labels: string | undefined, flag: string): Promise<LoadedFolder> {
  const kind = await kindOf(dir, flag);
  if (kind === 'raf-db') {
    const r = await loadRafDbFolder(dir, labels, { flag });
    return { dataset: r.dataset, rafdb: r.report, array: null };
  }
  try {
    if (kind === 'image-folder') {
      await initJpegDecoderNode();
      const due = throttle(2000);
      const r = await readImageFolder(nodeFolderFsWithin(dir), dir, {
        onProgress: (p) => {
          if (due(p.done === p.total))
            progress(
              `reading class folders: ${p.done}/${p.total} images, ${(p.perSecond ?? 0).toFixed(0)} img/s, ETA ${formatSeconds(p.etaSeconds)}`,
            );
        },
      });
      for (const line of folderSummary(r.report)) progress(line);
      return { dataset: r.dataset, rafdb: null, array: r.report };
    }
    // kind === 'array'
    const r = await readArrayDataset(nodeFolderFsWithin(dir), dir);
    for (const line of arraySummary(r.report)) progress(line);
    return { dataset: r.dataset, rafdb: null, array: r.report };
  } catch (e) {
    if (e instanceof DatasetFormatError || e instanceof FileRefusedError) throw new UsageError(`${flag}: ${e.message}`);
    throw e;
  }
}

export function folderSummary(r: ImageFolderReport): string[] {
  const lines = arraySummary(r);
  lines[0] += r.split === 'fraction' ? `; no test/ or val/ folder: ${TEST_FRACTION * 100}% of each class held out (seeded)` : '';
  if (r.skippedCount)
    lines.push(
      `  skipped ${r.skippedCount} files: ${list(
        r.skipped.map((s) => `${s.name}: ${s.reason}`),
        5,
      )}`,
    );
  return lines;
}

export function arraySummary(r: FolderDatasetReport): string[] {
  const grey = r.format !== 'image-folder' && r.grayscale;
  const n = (xs: number[]) => countText(xs.reduce((a, b) => a + b, 0));
  const perClass = (xs: number[]) =>
    list(
      r.classes.map((c, i) => `${c} ${countText(xs[i])}`),
      12,
    );
  return [
    `${r.title} (${r.format}) at ${r.root}: ${n(r.trainCounts)} train / ${n(r.testCounts)} test images of ${r.height}×${r.width}${grey ? ', grey (copied to RGB)' : ''}, ${r.classes.length} classes (${r.seconds.toFixed(1)}s)`,
    `  train per class: ${perClass(r.trainCounts)}`,
    `  test per class:  ${perClass(r.testCounts)}`,
  ];
}

const list = (xs: string[], n = 5) => xs.slice(0, n).join(', ') + (xs.length > n ? `, … (${xs.length - n} more)` : '');

export function summary(r: RafDbReport): string[] {
  const lines = [
    `RAF-DB basic at ${r.root}: ${r.train} train / ${r.test} test images (${r.seconds.toFixed(1)}s)`,
    `  train per class: ${r.classes.map((c, i) => `${c} ${r.trainCounts[i]}`).join(', ')}`,
    `  test per class:  ${r.classes.map((c, i) => `${c} ${r.testCounts[i]}`).join(', ')}`,
  ];
  if (r.noise)
    lines.push(
      `  training labels from ${r.noise.file}: ${r.noise.changed} changed (${(r.noise.rate * 100).toFixed(2)}%)${r.noise.missing ? `, ${r.noise.missing} names without a label there kept the clean one` : ''}`,
    );
  if (r.missingImages.length) lines.push(`  skipped ${r.missingImages.length} names with no image: ${list(r.missingImages)}`);
  if (r.unreadableImages.length)
    lines.push(
      `  skipped ${r.unreadableImages.length} unreadable images: ${list(r.unreadableImages.map((n) => `${n} (${r.unreadableReasons[n]})`))}`,
    );
  if (r.resizedImages.length) lines.push(`  resized ${r.resizedImages.length} images to 100×100: ${list(r.resizedImages)}`);
  if (r.badLines.length)
    lines.push(
      `  skipped ${r.badLines.length} bad label lines: ${list(
        r.badLines.map((b) => `${b.file ?? ''}:${b.line} ${b.reason}`),
        3,
      )}`,
    );
  if (r.unlabelledImages)
    lines.push(
      `  ${r.unlabelledImages} image${r.unlabelledImages === 1 ? '' : 's'} in Image/aligned/ named in no label file (ignored)${r.unlabelledSample?.length ? `: ${r.unlabelledSample.join(', ')}${r.unlabelledImages > r.unlabelledSample.length ? ', …' : ''}` : ''}`,
    );
  return lines;
}

export async function datasetCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    process.stdout.write(DATASET_HELP + '\n');
    return sub === undefined ? 2 : 0;
  }
  if (sub !== 'inspect') throw new UsageError(`unknown dataset command ${JSON.stringify(sub)} (try: eac dataset inspect DIR)`);
  const { values: v, positionals: dirs } = parseWithPositionals(rest, {
    labels: { type: 'string' },
    json: { type: 'boolean' },
    out: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (v.help) {
    process.stdout.write(DATASET_HELP + '\n');
    return 0;
  }
  if (dirs.length !== 1)
    throw new UsageError(
      dirs.length ? `give one folder, got ${dirs.length}: ${dirs.join(' ')}` : 'give the RAF-DB folder: eac dataset inspect DIR',
    );
  const loaded = await loadDataFolder(dirs[0], v.labels as string | undefined, 'DIR');
  if (loaded.array) {
    const a = loaded.array;
    emitJson(
      {
        format: a.format,
        title: a.title,
        root: a.root,
        classes: a.classes,
        trainCounts: a.trainCounts,
        testCounts: a.testCounts,
        height: a.height,
        width: a.width,
        grayscale: a.format !== 'image-folder' && a.grayscale,
        files: a.format === 'image-folder' ? [] : a.files,
      },
      { json: !!v.json, out: v.out as string | undefined },
    );
    return 0;
  }
  const report = loaded.rafdb!;
  const out = {
    format: 'raf-db',
    root: report.root,
    train: report.train,
    test: report.test,
    classes: report.classes,
    trainCounts: report.trainCounts,
    testCounts: report.testCounts,
    missingImages: report.missingImages,
    unreadableImages: report.unreadableImages,
    unreadableReasons: report.unreadableReasons,
    resizedImages: report.resizedImages,
    badLines: report.badLines,
    noise: report.noise,
    unlabelledImages: report.unlabelledImages,
  };
  emitJson(out, { json: !!v.json, out: v.out as string | undefined });
  return 0;
}
