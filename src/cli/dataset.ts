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
import { DatasetFormatError } from '../data/formats/read-array-dataset.ts';
import { TEST_FRACTION } from '../data/formats/image-folder.ts';
import { detectDataset, type Detection } from '../data/formats/detect.ts';
import type { FerPlusClasses } from '../data/formats/ferplus.ts';
import { needsJpegDecoder, readFormat, skipsOf, type FormatReport } from '../data/formats/read-dataset.ts';

export { nodeFolderFs } from './node-folder-fs.ts';

export const DATASET_HELP = `eac dataset labels (--demo | DIR) --out FILE [--noise RATE] [--noise-kind K] [--seed N]
  writes the training labels (noisy if asked) as a \`name label\` file for eac train --labels
eac dataset inspect DIR [--labels FILE_OR_NAME] [--json] [--out FILE]
  DIR: RAF-DB's basic/ folder, the RAF-DB folder above it, or its parent; or a folder (or its
       parent) of IDX files (MNIST, Fashion-MNIST; gzip or raw), CIFAR-10/100 binary batches,
       Tiny-ImageNet (wnids.txt, train/, val/), FERPlus (fer2013.csv + fer2013new.csv), AffectNet
       (Manually_Annotated_Images/ + training.csv, validation.csv), or class
       folders of JPEG/PNG images (train/<class>/ with test/ or val/, or <class>/ alone)
  --ferplus-classes 8|7, --affectnet-classes 8|7: FERPlus's or AffectNet's 8 classes (default)
       or the 7 basic ones (contempt dropped)
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

/** What `dir` holds (src/data/formats/detect.ts, as the page finds it); a one-line UsageError when nothing. */
async function detect(dir: string, flag: string): Promise<Extract<Detection, { found: true }>> {
  const d = await detectDataset(nodeFolderFsWithin(dir), dir);
  if (!d.found) throw new UsageError(`${flag}: ${d.reason}`);
  return d;
}

/** Any dataset folder the lab reads (see detect.ts); throws a one-line UsageError for any other. */
export async function checkDataFolder(dir: string, flag: string): Promise<void> {
  await detect(dir, flag);
}

export interface LoadedFolder {
  dataset: Dataset;
  rafdb: RafDbReport | null;
  /** What an IDX, CIFAR, Tiny-ImageNet, FERPlus or class-folder reader found. */
  array: FolderDatasetReport | null;
}

export type FolderDatasetReport = FormatReport;

export interface LoadOptions {
  /** FERPlus: 8 classes (FER+'s) or 7 (contempt dropped). */
  ferPlusClasses?: FerPlusClasses;
  /** AffectNet: 8 classes or 7 (contempt dropped). */
  affectNetClasses?: 7 | 8;
}

/** Reads whichever dataset `dir` holds, with its report on stderr. */
export async function loadDataFolder(dir: string, labels: string | undefined, flag: string, opts: LoadOptions = {}): Promise<LoadedFolder> {
  const found = await detect(dir, flag);
  if (found.format === 'raf-db') {
    const r = await loadRafDbFolder(dir, labels, { flag });
    return { dataset: r.dataset, rafdb: r.report, array: null };
  }
  try {
    if (needsJpegDecoder(found.format)) await initJpegDecoderNode();
    const due = throttle(2000);
    const r = await readFormat(nodeFolderFsWithin(dir), found.format, found.root, {
      ferPlusClasses: opts.ferPlusClasses,
      affectNetClasses: opts.affectNetClasses,
      onProgress: (p) => {
        if (due(p.done === p.total))
          progress(`${p.detail}: ${p.done}/${p.total}, ${(p.perSecond ?? 0).toFixed(0)}/s, ETA ${formatSeconds(p.etaSeconds)}`);
      },
    });
    for (const line of folderSummary(r.report)) progress(line);
    return { dataset: r.dataset, rafdb: null, array: r.report };
  } catch (e) {
    if (e instanceof DatasetFormatError || e instanceof FileRefusedError) throw new UsageError(`${flag}: ${e.message}`);
    throw e;
  }
}

/** What a reader found, per class and per split, and what it skipped or dropped, as lines for stderr. */
export function folderSummary(r: FormatReport): string[] {
  const lines = arraySummary(r);
  if (r.format === 'image-folder' && r.split === 'fraction')
    lines[0] += `; no test/ or val/ folder: ${TEST_FRACTION * 100}% of each class held out (seeded)`;
  const { skipped, skippedCount, notes } = skipsOf(r);
  for (const n of notes) lines.push(`  ${n}`);
  if (skippedCount)
    lines.push(
      `  skipped ${skippedCount}: ${list(
        skipped.map((s) => `${s.name}: ${s.reason}`),
        5,
      )}`,
    );
  return lines;
}

export function arraySummary(r: FolderDatasetReport): string[] {
  const grey = 'grayscale' in r && r.grayscale;
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

/** --ferplus-classes / --affectnet-classes 8|7 (undefined: the reader's default, 8). */
export function classCountFlag(v: string | undefined, flag: string, whose: string): 7 | 8 | undefined {
  if (v === undefined) return undefined;
  if (v === '8' || v === '7') return Number(v) as 7 | 8;
  throw new UsageError(`${flag}: ${JSON.stringify(v)} is not 8 (${whose} classes) or 7 (contempt dropped, as the EAC paper)`);
}

/** --ferplus-classes 8|7. */
export const ferPlusClassesFlag = (v: string | undefined): FerPlusClasses | undefined => classCountFlag(v, '--ferplus-classes', "FER+'s");

export async function datasetCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    process.stdout.write(DATASET_HELP + '\n');
    return sub === undefined ? 2 : 0;
  }
  if (sub !== 'inspect') throw new UsageError(`unknown dataset command ${JSON.stringify(sub)} (try: eac dataset inspect DIR)`);
  const { values: v, positionals: dirs } = parseWithPositionals(rest, {
    labels: { type: 'string' },
    'ferplus-classes': { type: 'string' },
    'affectnet-classes': { type: 'string' },
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
  const loaded = await loadDataFolder(dirs[0], v.labels as string | undefined, 'DIR', {
    ferPlusClasses: ferPlusClassesFlag(v['ferplus-classes'] as string | undefined),
    affectNetClasses: classCountFlag(v['affectnet-classes'] as string | undefined, '--affectnet-classes', "AffectNet's"),
  });
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
        grayscale: 'grayscale' in a && a.grayscale,
        files: 'files' in a ? a.files : [],
        ...skipsOf(a),
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
