// AffectNet (Mollahosseini et al. 2017), its manually annotated part as it unpacks:
//   Manually_Annotated_Images/<dir>/<file>.jpg
//   training.csv, validation.csv (beside it, or in Manually_Annotated_file_lists/), columns
//     subDirectory_filePath, face_x, face_y, face_width, face_height, facial_landmarks,
//     expression, valence, arousal
// expression 0-7 = Neutral, Happy, Sad, Surprise, Fear, Disgust, Anger, Contempt; 8-10 = None,
// Uncertain, Non-Face, skipped and counted. 8 classes, or 7 (contempt dropped, as most papers and
// EAC's use). Train = training.csv, test = validation.csv (AffectNet's test set is not public).
// Each image is cropped by its face box where the row gives one, then to its centre square and
// resized. The CSVs are streamed (csv.ts); a row whose path leads out of the images folder, whose
// expression does not parse, or whose image is unreadable is skipped and listed.
import type { Dataset } from '../../engine/dataset.ts';
import type { Progress } from '../../engine/progress.ts';
import { FileRefusedError, joinPath, readChunks, type FolderFs } from '../folder.ts';
import { CsvError, csvRows } from './csv.ts';
import { IMAGE_FOLDER_SIDE, MAX_FOLDER_IMAGES, readListedSplits, type ListedImage, type SkippedFile } from './image-folder.ts';
import { DatasetFormatError, type FoundDatasetReport } from './read-array-dataset.ts';

export const AFFECTNET_CLASSES = ['Neutral', 'Happy', 'Sad', 'Surprise', 'Fear', 'Disgust', 'Anger', 'Contempt'];
const IMAGES = 'Manually_Annotated_Images';
const LISTS = 'Manually_Annotated_file_lists';
/** training.csv is 120 MB (414,799 rows, each with 68 landmarks). */
const MAX_CSV_BYTES = 1 << 30;
const LIMITS = { maxLineBytes: 64 << 10, maxFields: 64, maxRows: 2_000_000 };
const CONTEMPT = 7;
const NOT_EXPRESSIONS = ['none', 'uncertain', 'non-face'];

export type AffectNetClasses = 7 | 8;

export interface AffectNetReport extends FoundDatasetReport {
  format: 'affectnet';
  classCount: AffectNetClasses;
  skipped: SkippedFile[];
  skippedCount: number;
  notes: string[];
}

/** Whether a folder's entries are AffectNet's (its images folder and CSVs), or why a near miss is not. */
export function affectNetIn(entries: string[]): { ok: boolean; miss: string | null } {
  const images = entries.includes(`${IMAGES}/`);
  const csvs = entries.includes('training.csv') || entries.includes(`${LISTS}/`);
  if (images && csvs) return { ok: true, miss: null };
  if (images) return { ok: false, miss: `${IMAGES}/ without training.csv (AffectNet's annotations) beside it or in ${LISTS}/` };
  return { ok: false, miss: null };
}

/** A path below the images folder: relative, no '..', no empty or '.' parts. */
export function safeRelativePath(p: string): string | null {
  const parts = p.replace(/\\/g, '/').split('/');
  if (p.length > 512 || parts.some((s) => s === '' || s === '.' || s === '..')) return null;
  return parts.join('/');
}

interface Columns {
  path: number;
  expression: number;
  box: [number, number, number, number] | null;
}

function columnsOf(header: string[], where: string): Columns {
  const at = (n: string) => header.findIndex((h) => h.trim() === n);
  const path = at('subDirectory_filePath');
  const expression = at('expression');
  if (path < 0 || expression < 0)
    throw new DatasetFormatError(`${where}: its header has no subDirectory_filePath and expression columns (AffectNet's)`);
  const box = ['face_x', 'face_y', 'face_width', 'face_height'].map(at);
  return { path, expression, box: box.every((i) => i >= 0) ? (box as [number, number, number, number]) : null };
}

export interface AffectNetOptions {
  classes?: AffectNetClasses;
  side?: number;
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
}

async function findCsv(fs: FolderFs, root: string, name: string): Promise<string | null> {
  for (const dir of [root, joinPath(root, LISTS)]) {
    const entries = await fs.list(dir).catch(() => [] as string[]);
    if (entries.includes(name)) return joinPath(dir, name);
  }
  return null;
}

/** Reads AffectNet at `root` (the JPEG decoder must be initialised); throws DatasetFormatError with one line. */
export async function readAffectNet(
  fs: FolderFs,
  root: string,
  opts: AffectNetOptions = {},
): Promise<{ dataset: Dataset; report: AffectNetReport }> {
  const t0 = performance.now();
  const k: AffectNetClasses = opts.classes ?? 8;
  const side = opts.side ?? IMAGE_FOLDER_SIDE;
  const classes = AFFECTNET_CLASSES.slice(0, k);
  const skipped: SkippedFile[] = [];
  const dropped = [0, 0, 0];
  let contempt = 0;
  const images = joinPath(root, IMAGES);

  const list = async (file: string): Promise<ListedImage[]> => {
    const path = await findCsv(fs, root, file);
    if (!path) throw new DatasetFormatError(`${root}: no ${file} (AffectNet's annotations) here or in ${LISTS}/`);
    const out: ListedImage[] = [];
    let cols: Columns | null = null;
    try {
      for await (const { line, fields } of csvRows(readChunks(fs, path, MAX_CSV_BYTES), LIMITS, path)) {
        if (!cols) {
          cols = columnsOf(fields, path);
          continue;
        }
        const where = `${file}:${line}`;
        const e = (fields[cols.expression] ?? '').trim();
        const expression = /^\d{1,2}$/.test(e) ? Number(e) : -1;
        if (expression < 0 || expression > 10) {
          skipped.push({ name: where, reason: `expression ${JSON.stringify(e.slice(0, 20))} is not 0-10` });
          continue;
        }
        if (expression >= 8) {
          dropped[expression - 8]++;
          continue;
        }
        if (expression === CONTEMPT && k === 7) {
          contempt++;
          continue;
        }
        const rel = safeRelativePath((fields[cols.path] ?? '').trim());
        if (!rel) {
          skipped.push({ name: where, reason: `path ${JSON.stringify((fields[cols.path] ?? '').slice(0, 60))} leads out of ${IMAGES}/` });
          continue;
        }
        let box: ListedImage['box'];
        if (cols.box) {
          const [x, y, w, h] = cols.box.map((i) => (fields[i] ?? '').trim());
          const nums = [x, y, w, h].map((v) => (/^\d{1,6}$/.test(v) ? Number(v) : Number.NaN));
          if (nums.every(Number.isFinite) && nums[2] > 0 && nums[3] > 0) box = { x: nums[0], y: nums[1], w: nums[2], h: nums[3] };
          else if ([x, y, w, h].some((v) => v !== '')) {
            skipped.push({
              name: where,
              reason: `face box ${JSON.stringify([x, y, w, h].join(',').slice(0, 40))} is not four whole numbers`,
            });
            continue;
          }
        }
        out.push({ path: joinPath(images, rel), label: expression, name: rel, ...(box ? { box } : {}) });
        if (out.length > MAX_FOLDER_IMAGES)
          throw new DatasetFormatError(
            `${path}: more than ${MAX_FOLDER_IMAGES} images of the classes read (the readers' cap); give a part of it`,
          );
      }
    } catch (e) {
      if (e instanceof CsvError) throw new DatasetFormatError(e.message);
      if (e instanceof FileRefusedError) throw new DatasetFormatError(`${path}: ${e.reason}`);
      throw e;
    }
    if (!cols) throw new DatasetFormatError(`${path}: empty`);
    return out;
  };
  const train = await list('training.csv');
  const test = await list('validation.csv');
  const read = await readListedSplits(fs, root, { train, test }, k, { side, skipped, words: ['training', 'validation'], t0 }, opts);
  const notes = [
    `${k} classes${k === 7 ? ' (contempt dropped)' : ''}; train = training.csv, test = validation.csv; images cropped by their face box`,
    `skipped by expression: ${NOT_EXPRESSIONS.map((n, i) => `${dropped[i]} ${n}`).join(', ')}${k === 7 ? `, ${contempt} contempt` : ''}`,
  ];
  const title = k === 7 ? 'AffectNet (7 classes)' : 'AffectNet';
  return {
    dataset: { name: title, classes, train: read.train, test: read.test },
    report: {
      format: 'affectnet',
      title,
      root,
      classes,
      classCount: k,
      ...read.found,
      notes,
      seconds: (performance.now() - t0) / 1000,
    },
  };
}
