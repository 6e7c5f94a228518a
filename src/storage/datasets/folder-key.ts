// The dataset cache's key: the folder's content listing (the relative names and sizes of its label
// files and images, hashed; no pixel is read), so the same folder dropped again is found at once
// and a folder whose files changed gets a new entry. Also the label texts stored with a dataset.
import type { SizedFolderFs } from '../../data/browser-folder.ts';
import { abortError, entryName, isDirEntry, isStrayFile, joinPath } from '../../data/folder.ts';
import { checkLabelLineCount } from '../../data/labels.ts';
import { locateRafDb } from '../../data/rafdb.ts';
import { sha256HexOfText } from '../sha256.ts';
import { mapLimited } from './limited.ts';

/** Bumped when the stored layout or the decoding changes: older entries get other keys. */
export const CACHE_FORMAT = 1;
/** A label file larger than this is not a RAF-DB label file (the real one is ~300 kB). */
const MAX_LABEL_FILE_BYTES = 16 << 20;

export interface ListingEntry {
  /** Relative to the RAF-DB root, e.g. `EmoLabel/list_patition_label.txt`, `Image/aligned/train_00001_aligned.jpg`. */
  path: string;
  size: number;
}

export interface FolderListing {
  /** The folder holding EmoLabel/ and Image/aligned/ (as locateRafDb found it). */
  root: string;
  emoLabel: string;
  aligned: string;
  /** Label files and images (no OS litter), sorted by path. */
  entries: ListingEntry[];
}

const relativeTo = (root: string, path: string) =>
  root === '' || root === '.' ? path : path.slice(root.length + (root.endsWith('/') ? 0 : 1));

/**
 * Names and sizes of `files`, relative to `root`, sorted by path: what a cache key is made of. An
 * unreadable file is keyed with size −1 (the reader reports it when it meets it).
 */
export async function sizedListing(
  fs: SizedFolderFs,
  root: string,
  files: readonly string[],
  opts: { signal?: AbortSignal; onProgress?: (done: number, total: number) => void } = {},
): Promise<ListingEntry[]> {
  const { signal, onProgress } = opts;
  let done = 0;
  onProgress?.(0, files.length);
  const sizes = await mapLimited(files, 64, async (p) => {
    if (signal?.aborted) throw abortError(signal);
    let size = -1;
    try {
      size = await fs.size(p);
    } catch {
      /* keyed as unreadable */
    }
    onProgress?.(++done, files.length);
    return size;
  });
  const entries = files.map((p, i) => ({ path: relativeTo(root, p), size: sizes[i] }));
  return entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/**
 * The names and sizes of the files that make the dataset (EmoLabel/ and Image/aligned/), relative
 * to the RAF-DB root, so the same folder gives the same listing whether its root, its parent or
 * basic/ was dropped. Reads no file content.
 */
export async function folderListing(
  fs: SizedFolderFs,
  dir = '',
  opts: { signal?: AbortSignal; onProgress?: (done: number, total: number) => void } = {},
): Promise<FolderListing> {
  const where = await locateRafDb(fs, dir);
  const files: string[] = [];
  for (const d of [where.emoLabel, where.aligned]) {
    for (const e of await fs.list(d)) if (!isDirEntry(e) && !isStrayFile(e)) files.push(joinPath(d, e));
  }
  const entries = await sizedListing(fs, where.root, files, opts);
  return { ...where, entries };
}

/** The cache key of a listing: a hash of its sorted paths and sizes (and the cache format); `kind` (letters, digits, '-') prefixes it. */
export async function datasetKey(entries: readonly ListingEntry[], kind = 'rafdb'): Promise<string> {
  const sorted = [...entries].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  // RAF-DB's keys are as before (no kind in the text); another format's name is hashed too.
  const head = `eac-dataset-cache ${CACHE_FORMAT}${kind === 'rafdb' ? '' : ` ${kind}`}\n`;
  const text = head + sorted.map((e) => `${e.path}\t${e.size}`).join('\n');
  return `${kind}-` + (await sha256HexOfText(text)).slice(0, 32);
}

/** The text of every *.txt label file in EmoLabel/ (so any of them can be chosen at train time). */
export async function readLabelTexts(fs: SizedFolderFs, emoLabel: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const e of await fs.list(emoLabel)) {
    if (isDirEntry(e) || isStrayFile(e) || !/\.txt$/i.test(e)) continue;
    const path = joinPath(emoLabel, entryName(e));
    try {
      if ((await fs.size(path)) > MAX_LABEL_FILE_BYTES) continue;
      const text = new TextDecoder('utf-8').decode(await fs.read(path, MAX_LABEL_FILE_BYTES));
      checkLabelLineCount(text);
      out[entryName(e)] = text;
    } catch {
      // An unreadable extra file only loses that choice; the clean file was read by the reader.
    }
  }
  return out;
}
