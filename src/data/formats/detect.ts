// Which dataset a folder holds, for the CLI (`eac dataset inspect`, `eac train --data`) and the page
// (a dropped or chosen folder) alike: one function over FolderFs listings, reading no file. In
// order, in DIR itself and then in the folders one and two levels below it:
//   1. formats named by their files: IDX, CIFAR-10/100 binary (read-array-dataset.ts),
//      Tiny-ImageNet (wnids.txt + train/), FERPlus (fer2013.csv + fer2013new.csv), AffectNet
//      (Manually_Annotated_Images/ + training.csv);
//   2. RAF-DB (EmoLabel/ + Image/aligned/, looked for up to 3 levels down: src/data/rafdb.ts);
//   3. class folders of images (image-folder.ts).
// When nothing matches, one line says what was looked for and why each near miss was not taken.
import { entryName, isDirEntry, isStrayFile, joinPath, type FolderFs } from '../folder.ts';
import { locateRafDb, RafDbError } from '../rafdb.ts';
import { locateImageFolder } from './image-folder.ts';
import { arrayFormatIn, type ArrayFormat } from './read-array-dataset.ts';
import { tinyImageNetIn } from './tiny-imagenet.ts';
import { ferPlusIn } from './ferplus.ts';
import { affectNetIn } from './affectnet.ts';

export type DatasetFormat = 'raf-db' | ArrayFormat | 'tiny-imagenet' | 'ferplus' | 'affectnet' | 'image-folder';

/** The formats read by src/data/formats' readers (all but RAF-DB). */
export type FoundFormat = Exclude<DatasetFormat, 'raf-db'>;

export type Detection = { found: true; format: DatasetFormat; root: string; entries: string[] } | { found: false; reason: string };

/** Sub-folders looked into for a dataset below the one given. */
export const MAX_SUBFOLDERS = 64;

/** What a folder's own entries say it is (null: none), or why a near miss is not one (`miss`). */
export function formatByFiles(entries: string[]): { format: FoundFormat | null; miss: string | null } {
  const array = arrayFormatIn(entries);
  if (array) return { format: array, miss: null };
  const tiny = tinyImageNetIn(entries);
  if (tiny.ok) return { format: 'tiny-imagenet', miss: null };
  const fer = ferPlusIn(entries);
  if (fer.ok) return { format: 'ferplus', miss: null };
  const affect = affectNetIn(entries);
  if (affect.ok) return { format: 'affectnet', miss: null };
  return { format: null, miss: tiny.miss ?? fer.miss ?? affect.miss };
}

async function tryList(fs: FolderFs, dir: string): Promise<string[] | null> {
  try {
    return await fs.list(dir);
  } catch {
    return null;
  }
}

const shown = (p: string) => (p === '' || p === '.' ? 'the given folder' : p);

/** Finds the dataset in `dir` (or below it, see the top of this file); reads listings only. */
export async function detectDataset(fs: FolderFs, dir: string): Promise<Detection> {
  const top = await tryList(fs, dir);
  if (!top) return { found: false, reason: `${shown(dir)} is not a readable folder` };
  // Breadth first, two levels (the page's virtual root holds what was dropped: a parent of the
  // dataset is then two levels above it), at most MAX_SUBFOLDERS folders.
  const folders: { path: string; entries: string[] }[] = [{ path: dir, entries: top }];
  let level = [folders[0]];
  for (let depth = 0; depth < 2 && folders.length <= MAX_SUBFOLDERS; depth++) {
    const next: typeof folders = [];
    for (const f of level)
      for (const sub of f.entries.filter((e) => isDirEntry(e) && !isStrayFile(e) && !/^__MACOSX\/$/.test(e))) {
        if (folders.length + next.length > MAX_SUBFOLDERS) break;
        const path = joinPath(f.path, entryName(sub));
        const entries = await tryList(fs, path);
        if (entries) next.push({ path, entries });
      }
    folders.push(...next);
    level = next;
  }
  const misses: string[] = [];
  for (const f of folders) {
    const { format, miss } = formatByFiles(f.entries);
    if (format) return { found: true, format, root: f.path, entries: f.entries };
    if (miss) misses.push(`${shown(f.path)}: ${miss}`);
  }
  let rafdbWhy: string;
  try {
    const r = await locateRafDb(fs, dir);
    return { found: true, format: 'raf-db', root: r.root, entries: (await tryList(fs, r.root)) ?? [] };
  } catch (e) {
    if (!(e instanceof RafDbError)) throw e;
    rafdbWhy = e.message;
  }
  for (const f of folders) {
    const layout = await locateImageFolder(fs, f.path);
    if (layout) return { found: true, format: 'image-folder', root: layout.root, entries: f.entries };
  }
  return {
    found: false,
    reason: `${rafdbWhy}; nor IDX or CIFAR binary files, Tiny-ImageNet (wnids.txt + train/), FERPlus (fer2013.csv + fer2013new.csv), AffectNet (Manually_Annotated_Images/ + training.csv) or class folders of JPEG/PNG images${misses.length ? ` (${misses.slice(0, 3).join('; ')})` : ''}`,
  };
}
