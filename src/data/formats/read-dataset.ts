// The one reader of every format detect.ts finds except RAF-DB (src/data/rafdb.ts reads that): the
// CLI (src/cli/dataset.ts) and the page's ingest worker both call it with what detectDataset found.
import type { Dataset } from '../../engine/dataset.ts';
import type { Progress } from '../../engine/progress.ts';
import type { FolderFs } from '../folder.ts';
import type { FoundFormat } from './detect.ts';
import { readFerPlus, type FerPlusClasses, type FerPlusReport } from './ferplus.ts';
import { readAffectNet, type AffectNetClasses, type AffectNetReport } from './affectnet.ts';
import { readImageFolder, type ImageFolderReport } from './image-folder.ts';
import { readArrayDataset, type ArrayDatasetReport } from './read-array-dataset.ts';
import { readTinyImageNet, type TinyImageNetReport } from './tiny-imagenet.ts';

export type FormatReport = ArrayDatasetReport | ImageFolderReport | TinyImageNetReport | FerPlusReport | AffectNetReport;

export interface ReadFormatOptions {
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
  /** FERPlus: its 8 classes (default) or the 7 basic ones. */
  ferPlusClasses?: FerPlusClasses;
  /** AffectNet: its 8 classes (default) or 7 (contempt dropped). */
  affectNetClasses?: AffectNetClasses;
  /** Class folders: seeds the held-out test share. */
  seed?: number;
}

/** Whether a format's images are JPEG/PNG files (the JPEG decoder must be initialised first). */
export const needsJpegDecoder = (f: FoundFormat): boolean => f === 'image-folder' || f === 'tiny-imagenet' || f === 'affectnet';

/** Reads the dataset of `format` at `root`; throws DatasetFormatError with one line when it is damaged. */
export async function readFormat(
  fs: FolderFs,
  format: FoundFormat,
  root: string,
  opts: ReadFormatOptions = {},
): Promise<{ dataset: Dataset; report: FormatReport }> {
  switch (format) {
    case 'image-folder':
      return readImageFolder(fs, root, { signal: opts.signal, onProgress: opts.onProgress, seed: opts.seed });
    case 'tiny-imagenet':
      return readTinyImageNet(fs, root, { signal: opts.signal, onProgress: opts.onProgress });
    case 'affectnet':
      return readAffectNet(fs, root, { classes: opts.affectNetClasses, signal: opts.signal, onProgress: opts.onProgress });
    case 'ferplus':
      return readFerPlus(fs, root, { classes: opts.ferPlusClasses, signal: opts.signal, onProgress: opts.onProgress });
    default:
      return readArrayDataset(fs, root);
  }
}

/** What a reader skipped (the first 20, with why) and said, whatever the format. */
export function skipsOf(r: FormatReport): { skipped: { name: string; reason: string }[]; skippedCount: number; notes: string[] } {
  if (r.format === 'image-folder') return { skipped: r.skipped, skippedCount: r.skippedCount, notes: [] };
  if (r.format === 'tiny-imagenet' || r.format === 'ferplus' || r.format === 'affectnet')
    return { skipped: r.skipped, skippedCount: r.skippedCount, notes: r.notes };
  return { skipped: [], skippedCount: 0, notes: [] };
}
