// Tiny-ImageNet (CS231n's 200-class, 64×64 subset of ImageNet), as it unzips:
//   wnids.txt                         the 200 WordNet ids, one a line
//   words.txt                         `wnid<TAB>name, synonym, …` for all of ImageNet (optional)
//   train/<wnid>/images/*.JPEG        500 a class
//   val/val_annotations.txt           `file<TAB>wnid<TAB>x0<TAB>y0<TAB>x1<TAB>y1`, 50 a class
//   val/images/*.JPEG
// (test/ has no labels and is not read.) The classes are the wnids sorted (as ImageFolder sorts
// train/), named by words.txt's first name. Train is train/, test is val/. A train folder or a val
// line whose wnid is not in wnids.txt, a val line that does not parse, and an image that is not a
// readable JPEG or PNG are skipped and reported.
import type { Dataset } from '../../engine/dataset.ts';
import { MAX_CLASSES } from '../../engine/dataset.ts';
import type { Progress } from '../../engine/progress.ts';
import { entryName, FileRefusedError, isDirEntry, isStrayFile, joinPath, type FolderFs } from '../folder.ts';
import { MAX_FOLDER_IMAGES, readListedSplits, type ListedImage, type SkippedFile } from './image-folder.ts';
import { DatasetFormatError, type FoundDatasetReport } from './read-array-dataset.ts';

/** Tiny-ImageNet's images are 64×64: stored as they are. */
export const TINY_IMAGENET_SIDE = 64;
/** wnids.txt is 2 kB; words.txt 2.6 MB; val_annotations.txt 0.4 MB. */
const MAX_WNIDS_BYTES = 1 << 20;
const MAX_WORDS_BYTES = 16 << 20;
const MAX_ANNOTATION_BYTES = 16 << 20;
const WNID = /^[A-Za-z0-9_-]{1,64}$/;
/** A val image's file name: no folder, no white space. */
const FILE_NAME = /^[^/\\\s]{1,255}$/;
const IMAGE_EXT = /\.(jpe?g|png)$/i;

export interface TinyImageNetReport extends FoundDatasetReport {
  format: 'tiny-imagenet';
  /** The wnids, sorted: the classes' order. */
  wnids: string[];
  skipped: SkippedFile[];
  skippedCount: number;
  notes: string[];
}

/** Whether a folder's entries are Tiny-ImageNet's (wnids.txt and train/), or why a near miss is not. */
export function tinyImageNetIn(entries: string[]): { ok: boolean; miss: string | null } {
  const wnids = entries.includes('wnids.txt');
  const train = entries.includes('train/');
  if (wnids && train) return { ok: true, miss: null };
  if (wnids) return { ok: false, miss: 'wnids.txt without train/ (Tiny-ImageNet keeps its images in train/<wnid>/images/)' };
  return { ok: false, miss: null };
}

async function readText(fs: FolderFs, path: string, maxBytes: number): Promise<string> {
  try {
    return new TextDecoder('utf-8').decode(await fs.read(path, maxBytes));
  } catch (e) {
    throw new DatasetFormatError(`${path}: ${e instanceof FileRefusedError ? e.reason : (e as Error).message}`);
  }
}

async function tryList(fs: FolderFs, dir: string): Promise<string[] | null> {
  try {
    return await fs.list(dir);
  } catch {
    return null;
  }
}

/** The wnids of wnids.txt, checked: one a line, no duplicates, 2 to MAX_CLASSES of them. */
export function parseWnids(text: string, where: string): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  const lines = text.split(/\r?\n/);
  if (lines.length > MAX_CLASSES + 64) throw new DatasetFormatError(`${where}: ${lines.length} lines, at most ${MAX_CLASSES} classes`);
  for (const [i, raw] of lines.entries()) {
    const w = raw.trim();
    if (w === '') continue;
    if (!WNID.test(w)) throw new DatasetFormatError(`${where}: line ${i + 1} is not a wnid (letters, digits, '_' or '-')`);
    if (seen.has(w)) throw new DatasetFormatError(`${where}: ${w} is listed twice`);
    seen.add(w);
    out.push(w);
  }
  if (out.length < 2 || out.length > MAX_CLASSES)
    throw new DatasetFormatError(`${where}: ${out.length} wnids, expected 2 to ${MAX_CLASSES}`);
  return out.sort();
}

/** Class names for `wnids` from words.txt (first name of each line); a wnid without one keeps its id; names seen twice get their wnid. */
export function namesFromWords(wnids: string[], text: string | null): string[] {
  const want = new Set(wnids);
  const names = new Map<string, string>();
  if (text)
    for (const line of text.split(/\r?\n/)) {
      const tab = line.indexOf('\t');
      if (tab < 0) continue;
      const w = line.slice(0, tab).trim();
      if (!want.has(w) || names.has(w)) continue;
      const name = line
        .slice(tab + 1)
        .split(',')[0]
        .trim()
        .slice(0, 80);
      if (name) names.set(w, name);
    }
  const out = wnids.map((w) => names.get(w) ?? w);
  const count = new Map<string, number>();
  for (const n of out) count.set(n, (count.get(n) ?? 0) + 1);
  return out.map((n, i) => ((count.get(n) ?? 0) > 1 ? `${n} (${wnids[i]})` : n));
}

/** val_annotations.txt's lines as (file, class index); bad lines and unknown wnids are skipped into `skipped`. */
export function parseValAnnotations(text: string, index: Map<string, number>, skipped: SkippedFile[]): { file: string; label: number }[] {
  const out: { file: string; label: number }[] = [];
  const lines = text.split(/\r?\n/);
  if (lines.length > MAX_FOLDER_IMAGES)
    throw new DatasetFormatError(`val/val_annotations.txt: ${lines.length} lines, at most ${MAX_FOLDER_IMAGES}`);
  for (const [i, line] of lines.entries()) {
    if (line.trim() === '') continue;
    const [file = '', wnid = ''] = line.split('\t').map((s) => s.trim());
    const where = `val/val_annotations.txt:${i + 1}`;
    if (!FILE_NAME.test(file) || file === '.' || file === '..') {
      skipped.push({ name: where, reason: 'not `file<TAB>wnid<TAB>box`' });
      continue;
    }
    const label = index.get(wnid);
    if (label === undefined) {
      skipped.push({ name: `val/images/${file}`, reason: `wnid ${JSON.stringify(wnid.slice(0, 64))} is not in wnids.txt` });
      continue;
    }
    out.push({ file, label });
  }
  return out;
}

export interface TinyImageNetOptions {
  side?: number;
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
}

/** Reads Tiny-ImageNet at `root` (the JPEG decoder must be initialised); throws DatasetFormatError with one line. */
export async function readTinyImageNet(
  fs: FolderFs,
  root: string,
  opts: TinyImageNetOptions = {},
): Promise<{ dataset: Dataset; report: TinyImageNetReport }> {
  const t0 = performance.now();
  const side = opts.side ?? TINY_IMAGENET_SIDE;
  const entries = (await tryList(fs, root)) ?? [];
  const wnids = parseWnids(await readText(fs, joinPath(root, 'wnids.txt'), MAX_WNIDS_BYTES), joinPath(root, 'wnids.txt'));
  const words = entries.includes('words.txt') ? await readText(fs, joinPath(root, 'words.txt'), MAX_WORDS_BYTES) : null;
  const classes = namesFromWords(wnids, words);
  const index = new Map(wnids.map((w, i) => [w, i]));
  const skipped: SkippedFile[] = [];
  const notes: string[] = [];
  if (!words) notes.push('no words.txt: classes are named by their wnids');

  const train: ListedImage[] = [];
  const trainDir = joinPath(root, 'train');
  const trainFolders = ((await tryList(fs, trainDir)) ?? []).filter((e) => isDirEntry(e) && !isStrayFile(e)).map(entryName);
  for (const f of trainFolders) if (!index.has(f)) skipped.push({ name: `train/${f}/`, reason: 'a folder whose wnid is not in wnids.txt' });
  const missing: string[] = [];
  for (const [label, w] of wnids.entries()) {
    const classDir = joinPath(trainDir, w);
    const inner = await tryList(fs, classDir);
    if (!inner) {
      missing.push(w);
      continue;
    }
    // train/<wnid>/images/ as shipped; images straight in train/<wnid>/ are taken too.
    const imagesDir = inner.includes('images/') ? joinPath(classDir, 'images') : classDir;
    const files = imagesDir === classDir ? inner : ((await tryList(fs, imagesDir)) ?? []);
    for (const e of files.sort()) {
      if (isDirEntry(e) || isStrayFile(e)) continue;
      const rel = `${imagesDir.slice(root.length).replace(/^\/+/, '')}/${e}`;
      if (!IMAGE_EXT.test(e)) {
        if (!/_boxes\.txt$/.test(e)) skipped.push({ name: rel, reason: 'not an image file name' });
        continue;
      }
      train.push({ path: joinPath(imagesDir, e), label, name: rel });
    }
    if (train.length > MAX_FOLDER_IMAGES) throw new DatasetFormatError(`${root}: more than ${MAX_FOLDER_IMAGES} training images`);
  }
  if (missing.length) notes.push(`${missing.length} wnids of wnids.txt have no train/ folder: ${missing.slice(0, 5).join(', ')}`);

  const valDir = joinPath(root, 'val');
  const annotations = (await tryList(fs, valDir))?.includes('val_annotations.txt')
    ? await readText(fs, joinPath(valDir, 'val_annotations.txt'), MAX_ANNOTATION_BYTES)
    : null;
  if (annotations === null) throw new DatasetFormatError(`${root}: no val/val_annotations.txt (the labels of the test split)`);
  const test: ListedImage[] = parseValAnnotations(annotations, index, skipped).map((a) => ({
    path: joinPath(joinPath(valDir, 'images'), a.file),
    label: a.label,
    name: `val/images/${a.file}`,
  }));
  const read = await readListedSplits(fs, root, { train, test }, classes.length, { side, skipped, words: ['train', 'val'], t0 }, opts);
  const title = 'Tiny-ImageNet';
  return {
    dataset: { name: title, classes, train: read.train, test: read.test },
    report: {
      format: 'tiny-imagenet',
      title,
      root,
      classes,
      wnids,
      ...read.found,
      notes,
      seconds: (performance.now() - t0) / 1000,
    },
  };
}
