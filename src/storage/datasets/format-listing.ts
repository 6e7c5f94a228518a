// Which dataset a dropped folder holds (src/data/formats/detect.ts, the CLI's detector too), and its
// listing for the cache key: RAF-DB's own (folder-key.ts), or the files another format reads. Lists
// names and sizes only; no pixel is read. Also the reading's report in the shape the data panel shows.
import type { SizedFolderFs } from '../../data/browser-folder.ts';
import { abortError, entryName, isDirEntry, isStrayFile, joinPath } from '../../data/folder.ts';
import { IMAGE_FOLDER_SIDE, locateImageFolder } from '../../data/formats/image-folder.ts';
import { detectDataset, type FoundFormat } from '../../data/formats/detect.ts';
import { skipsOf, type FormatReport } from '../../data/formats/read-dataset.ts';
import { TINY_IMAGENET_SIDE } from '../../data/formats/tiny-imagenet.ts';
import { bytesText, countText } from '../../engine/format.ts';
import { CACHED_SPLIT_BYTES_MAX } from './info-check.ts';
import type { ArrayFormat } from '../../data/formats/read-array-dataset.ts';
import { RafDbError, type RafDbReport } from '../../data/rafdb.ts';
import { folderListing, sizedListing, type FolderListing, type ListingEntry } from './folder-key.ts';

/** Files listed in class folders before giving up (the reader's own cap is 200,000 images). */
const MAX_LISTED_FILES = 250_000;

export type DatasetLocation =
  | { kind: 'rafdb'; listing: FolderListing }
  | { kind: 'array'; format: ArrayFormat; root: string; entries: ListingEntry[] }
  | { kind: 'image-folder'; root: string; entries: ListingEntry[] }
  | { kind: 'tiny-imagenet' | 'ferplus' | 'affectnet'; root: string; entries: ListingEntry[] };

interface ListOptions {
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

async function filesIn(fs: SizedFolderFs, dir: string): Promise<string[]> {
  try {
    return (await fs.list(dir)).filter((e) => !isDirEntry(e) && !isStrayFile(e)).map((e) => joinPath(dir, e));
  } catch {
    return [];
  }
}

/** The files of folders `dirs` (one level each), refused past MAX_LISTED_FILES. */
async function filesOf(fs: SizedFolderFs, root: string, dirs: string[], opts: ListOptions): Promise<string[]> {
  const files: string[] = [];
  for (const d of dirs) {
    files.push(...(await filesIn(fs, d)));
    if (files.length > MAX_LISTED_FILES)
      throw new RafDbError(`${entryName(root) || 'the given folder'}: more than ${MAX_LISTED_FILES} files in its image folders`);
    if (opts.signal?.aborted) throw abortError(opts.signal);
  }
  return files;
}

/** The folders Tiny-ImageNet's images are in: train/<wnid>/images/ (or train/<wnid>/) and val/images/. */
async function tinyImageNetDirs(fs: SizedFolderFs, root: string): Promise<string[]> {
  const dirs: string[] = [];
  const train = joinPath(root, 'train');
  for (const w of (await fs.list(train).catch(() => [] as string[])).filter((e) => isDirEntry(e) && !isStrayFile(e))) {
    const classDir = joinPath(train, entryName(w));
    const inner = await fs.list(classDir).catch(() => [] as string[]);
    dirs.push(inner.includes('images/') ? joinPath(classDir, 'images') : classDir);
  }
  dirs.push(joinPath(joinPath(root, 'val'), 'images'));
  return dirs;
}

/**
 * The dataset in `dir`, as src/data/formats/detect.ts finds it (the CLI's rule), with the sized
 * listing of its files for the cache key. When none is found, the detector's one line is thrown.
 */
export async function locateDataset(fs: SizedFolderFs, dir = '', opts: ListOptions = {}): Promise<DatasetLocation> {
  const found = await detectDataset(fs, dir);
  if (!found.found) throw new RafDbError(found.reason);
  const { format, root } = found;
  if (format === 'raf-db') return { kind: 'rafdb', listing: await folderListing(fs, root, opts) };
  const here = found.entries.filter((e) => !isDirEntry(e) && !isStrayFile(e)).map((e) => joinPath(root, e));
  if (format === 'idx' || format === 'cifar-10' || format === 'cifar-100')
    return { kind: 'array', format, root, entries: await sizedListing(fs, root, here, opts) };
  if (format === 'ferplus') {
    const csvs = here.filter((p) => /\/fer2013(new)?\.csv$|^fer2013(new)?\.csv$/.test(p));
    return { kind: 'ferplus', root, entries: await sizedListing(fs, root, csvs, opts) };
  }
  if (format === 'affectnet') {
    // Its CSVs (here or in Manually_Annotated_file_lists/) and the images, one folder level down.
    const lists = joinPath(root, 'Manually_Annotated_file_lists');
    const images = joinPath(root, 'Manually_Annotated_Images');
    const subdirs = (await fs.list(images).catch(() => [] as string[])).filter((e) => isDirEntry(e) && !isStrayFile(e));
    const files = [
      ...here.filter((p) => /\.csv$/i.test(p)),
      ...(await filesIn(fs, lists)).filter((p) => /\.csv$/i.test(p)),
      ...(await filesOf(fs, root, [images, ...subdirs.map((d) => joinPath(images, entryName(d)))], opts)),
    ];
    const tooBig = imageFolderSizeProblem(files.length);
    if (tooBig) throw new RafDbError(`${entryName(root) || 'the given folder'}: ${tooBig}`);
    return { kind: 'affectnet', root, entries: await sizedListing(fs, root, files, opts) };
  }
  if (format === 'tiny-imagenet') {
    const files = [
      ...here,
      joinPath(joinPath(root, 'val'), 'val_annotations.txt'),
      ...(await filesOf(fs, root, await tinyImageNetDirs(fs, root), opts)),
    ];
    const tooBig = imageFolderSizeProblem(files.length, TINY_IMAGENET_SIDE);
    if (tooBig) throw new RafDbError(`${entryName(root) || 'the given folder'}: ${tooBig}`);
    return { kind: 'tiny-imagenet', root, entries: await sizedListing(fs, root, files, opts) };
  }
  const layout = await locateImageFolder(fs, root);
  if (!layout) throw new RafDbError(`${entryName(root) || 'the given folder'}: its class folders could not be listed`);
  const dirs: string[] = [];
  for (const split of [layout.train, layout.test]) if (split !== null) for (const c of layout.classes) dirs.push(joinPath(split, c));
  const files = await filesOf(fs, layout.root, dirs, opts);
  const tooBig = imageFolderSizeProblem(files.length);
  if (tooBig) throw new RafDbError(`${entryName(layout.root) || 'the given folder'}: ${tooBig}`);
  return { kind: 'image-folder', root: layout.root, entries: await sizedListing(fs, layout.root, files, opts) };
}

/** The reader's format of a location other than RAF-DB's. */
export function formatOfLocation(l: Exclude<DatasetLocation, { kind: 'rafdb' }>): FoundFormat {
  return l.kind === 'array' ? l.format : l.kind;
}

/**
 * Why class folders cannot be cached (null: they can): their images at the stored side must fit
 * the cache's bytes per split, checked on the listing before a pixel is decoded.
 */
export function imageFolderSizeProblem(files: number, side = IMAGE_FOLDER_SIDE): string | null {
  const bytes = files * side * side * 3;
  if (bytes <= CACHED_SPLIT_BYTES_MAX) return null;
  const most = Math.floor(CACHED_SPLIT_BYTES_MAX / (side * side * 3));
  return `${countText(files)} image files at ${side}×${side} px would need ${bytesText(bytes)}, more than the dataset cache holds (${countText(most)} images)`;
}

/** The data panel's report (RAF-DB's shape) of any other format: counts per class and split, what was skipped and dropped. */
export function reportOfFormat(r: FormatReport): RafDbReport {
  const unreadable: string[] = [];
  const reasons: Record<string, string> = {};
  const { skipped, skippedCount, notes } = skipsOf(r);
  for (const s of skipped) {
    unreadable.push(s.name);
    reasons[s.name] = s.reason;
  }
  if (skippedCount > skipped.length) {
    const more = `… and ${skippedCount - skipped.length} more`;
    unreadable.push(more);
    reasons[more] = 'not listed';
  }

  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  return {
    root: r.root,
    train: sum(r.trainCounts),
    test: sum(r.testCounts),
    classes: r.classes,
    trainCounts: r.trainCounts,
    testCounts: r.testCounts,
    missingImages: [],
    unreadableImages: unreadable,
    unreadableReasons: reasons,
    resizedImages: [],
    badLines: [],
    noise: null,
    unlabelledImages: 0,
    ...(notes.length ? { notes } : {}),
    seconds: r.seconds,
  };
}
