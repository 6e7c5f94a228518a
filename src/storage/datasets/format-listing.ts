// Which dataset a dropped folder holds, and its listing for the cache key: RAF-DB first (its own
// listing, folder-key.ts), else IDX or CIFAR binary files (src/data/formats/read-array-dataset.ts),
// else class folders of images (src/data/formats/image-folder.ts). Lists names and sizes only; no
// pixel is read. Also the reading's report in the shape the data panel shows.
import type { SizedFolderFs } from '../../data/browser-folder.ts';
import { abortError, entryName, isDirEntry, isStrayFile, joinPath } from '../../data/folder.ts';
import { IMAGE_FOLDER_SIDE, locateImageFolder, type ImageFolderReport } from '../../data/formats/image-folder.ts';
import { bytesText, countText } from '../../engine/format.ts';
import { CACHED_SPLIT_BYTES_MAX } from './info-check.ts';
import { locateArrayDataset, type ArrayDatasetReport, type ArrayFormat } from '../../data/formats/read-array-dataset.ts';
import { RafDbError, type RafDbReport } from '../../data/rafdb.ts';
import { folderListing, sizedListing, type FolderListing, type ListingEntry } from './folder-key.ts';

/** Files listed in class folders before giving up (the reader's own cap is 200,000 images). */
const MAX_LISTED_FILES = 250_000;
/** Folders looked into for a dataset below the one given. */
const MAX_FOLDERS_LOOKED_IN = 64;

export type DatasetLocation =
  | { kind: 'rafdb'; listing: FolderListing }
  | { kind: 'array'; format: ArrayFormat; root: string; entries: ListingEntry[] }
  | { kind: 'image-folder'; root: string; entries: ListingEntry[] };

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

/** `dir` and the folders below it, `depth` levels down, breadth first (at most MAX_FOLDERS_LOOKED_IN). */
async function foldersDown(fs: SizedFolderFs, dir: string, depth: number): Promise<string[]> {
  const out = [dir];
  let level = [dir];
  for (let d = 0; d < depth && out.length < MAX_FOLDERS_LOOKED_IN; d++) {
    const next: string[] = [];
    for (const p of level) {
      let entries: string[];
      try {
        entries = await fs.list(p);
      } catch {
        continue;
      }
      for (const e of entries) if (isDirEntry(e) && !isStrayFile(e)) next.push(joinPath(p, entryName(e)));
    }
    level = next.slice(0, MAX_FOLDERS_LOOKED_IN - out.length);
    out.push(...level);
  }
  return out;
}

/**
 * The dataset in `dir`: RAF-DB, an array dataset or class folders. When none is found, RAF-DB's own
 * reason (e.g. EmoLabel/ without Image/aligned/) is the one line thrown, with the other formats named.
 */
export async function locateDataset(fs: SizedFolderFs, dir = '', opts: ListOptions = {}): Promise<DatasetLocation> {
  let rafdbWhy: RafDbError;
  try {
    return { kind: 'rafdb', listing: await folderListing(fs, dir, opts) };
  } catch (e) {
    if (!(e instanceof RafDbError)) throw e;
    rafdbWhy = e;
  }
  // The page's root holds what was dropped: the dataset may be that folder or one or two below it.
  let array = null;
  let layout = null;
  for (const d of await foldersDown(fs, dir, 1)) {
    array = await locateArrayDataset(fs, d);
    if (array) break;
    layout = await locateImageFolder(fs, d);
    if (layout) break;
  }
  if (array) {
    const files = array.entries.filter((e) => !isDirEntry(e) && !isStrayFile(e)).map((e) => joinPath(array.root, e));
    return { kind: 'array', format: array.format, root: array.root, entries: await sizedListing(fs, array.root, files, opts) };
  }
  if (layout) {
    const files: string[] = [];
    for (const split of [layout.train, layout.test]) {
      if (split === null) continue;
      for (const c of layout.classes) {
        files.push(...(await filesIn(fs, joinPath(split, c))));
        if (files.length > MAX_LISTED_FILES)
          throw new RafDbError(`${entryName(layout.root) || 'the given folder'}: more than ${MAX_LISTED_FILES} files in its class folders`);
        if (opts.signal?.aborted) throw abortError(opts.signal);
      }
    }
    const tooBig = imageFolderSizeProblem(files.length);
    if (tooBig) throw new RafDbError(`${entryName(layout.root) || 'the given folder'}: ${tooBig}`);
    return { kind: 'image-folder', root: layout.root, entries: await sizedListing(fs, layout.root, files, opts) };
  }
  throw new RafDbError(`${rafdbWhy.message} (nor IDX or CIFAR binary files, nor class folders of JPEGs)`);
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

/** The data panel's report (RAF-DB's shape) of an array dataset or class folders: counts per class, and what was skipped. */
export function reportOfFormat(r: ArrayDatasetReport | ImageFolderReport): RafDbReport {
  const unreadable: string[] = [];
  const reasons: Record<string, string> = {};
  if (r.format === 'image-folder') {
    for (const s of r.skipped) {
      unreadable.push(s.name);
      reasons[s.name] = s.reason;
    }
    if (r.skippedCount > r.skipped.length) {
      const more = `… and ${r.skippedCount - r.skipped.length} more`;
      unreadable.push(more);
      reasons[more] = 'not listed';
    }
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
    seconds: r.seconds,
  };
}
