// FERPlus: FER2013's images (`fer2013.csv`: emotion,pixels,Usage; 48×48 grey, the pixels space-
// separated) relabelled by FER+'s ten annotators (`fer2013new.csv`: Usage,Image name, then votes
// for neutral, happiness, surprise, sadness, anger, disgust, fear, contempt, unknown, NF), row i of
// one being row i of the other. The label is the FER+ repository's "majority" mode: votes of 1 are
// dropped as outliers, the class with more than half the remaining votes wins, and a row whose
// winner is unknown or NF (not a face), or that has no winner, is dropped; so is a row without an
// image name. 8 classes (FER+'s), or 7 (contempt dropped, as the EAC paper uses FERPlus).
// Train = Usage "Training", test = "PublicTest" (FER+'s validation set); "PrivateTest" is not read.
// Both CSVs are streamed (src/data/formats/csv.ts): memory holds the kept pixels only.
import type { Dataset, Split } from '../../engine/dataset.ts';
import { progressAt, type Progress } from '../../engine/progress.ts';
import { FileRefusedError, joinPath, readChunks, type FolderFs } from '../folder.ts';
import { CsvError, csvRows } from './csv.ts';
import type { SkippedFile } from './image-folder.ts';
import { DatasetFormatError, type FoundDatasetReport } from './read-array-dataset.ts';

export const FERPLUS_SIDE = 48;
const PIXELS = FERPLUS_SIDE * FERPLUS_SIDE;
export const FERPLUS_CLASSES = ['Neutral', 'Happiness', 'Surprise', 'Sadness', 'Anger', 'Disgust', 'Fear', 'Contempt'];
const VOTE_COLUMNS = ['neutral', 'happiness', 'surprise', 'sadness', 'anger', 'disgust', 'fear', 'contempt', 'unknown', 'NF'];
const UNKNOWN = 8;
const NOT_FACE = 9;
const CONTEMPT = 7;
/** fer2013.csv is 287 MB (35,887 rows); fer2013new.csv 1.4 MB. */
const MAX_CSV_BYTES = 1 << 30;
/** A fer2013.csv line is at most 2,304 × 4 bytes and a few more. */
const LIMITS = { maxLineBytes: 64 << 10, maxFields: 64, maxRows: 1_000_000 };

export type FerPlusClasses = 7 | 8;

export interface FerPlusReport extends FoundDatasetReport {
  format: 'ferplus';
  /** 8: FER+'s classes; 7: contempt dropped. */
  classCount: FerPlusClasses;
  skipped: SkippedFile[];
  skippedCount: number;
  /** Rows dropped by FER+'s rules (not errors), said in words. */
  notes: string[];
  grayscale: true;
}

/** Whether a folder's entries are FERPlus's (both CSVs), or why a near miss is not. */
export function ferPlusIn(entries: string[]): { ok: boolean; miss: string | null } {
  const old = entries.includes('fer2013.csv');
  const votes = entries.includes('fer2013new.csv');
  if (old && votes) return { ok: true, miss: null };
  if (old) return { ok: false, miss: "fer2013.csv without FER+'s fer2013new.csv beside it (the labels)" };
  if (votes) return { ok: false, miss: 'fer2013new.csv without fer2013.csv beside it (the images)' };
  return { ok: false, miss: null };
}

/**
 * FER+'s majority label of ten vote counts: the index (0-9) of the class with more than half the
 * votes once single votes are dropped; -1 when none has.
 */
export function majorityLabel(votes: readonly number[]): number {
  const v = votes.map((x) => (x <= 1 ? 0 : x));
  const sum = v.reduce((a, b) => a + b, 0);
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
  return sum > 0 && v[best] > 0.5 * sum ? best : -1;
}

/** One fer2013new.csv row's votes, or why they do not parse. */
export function parseVotes(fields: readonly string[]): number[] | string {
  if (fields.length < 2 + VOTE_COLUMNS.length) return `${fields.length} fields, not ${2 + VOTE_COLUMNS.length}`;
  const out: number[] = [];
  for (const [i, f] of fields.slice(2, 2 + VOTE_COLUMNS.length).entries()) {
    const t = f.trim();
    if (!/^\d{1,4}(\.\d{1,6})?$/.test(t)) return `${VOTE_COLUMNS[i]} votes ${JSON.stringify(t.slice(0, 20))} are not a count`;
    out.push(Number(t));
  }
  return out;
}

/** 48×48 grey pixels from fer2013.csv's space-separated field into `out` (RGB at `at`), or why not. */
export function parsePixels(text: string, out: Uint8Array, at: number): string | null {
  const parts = text.trim().split(/\s+/);
  if (parts.length !== PIXELS) return `${parts.length} pixel values, not ${PIXELS}`;
  for (let i = 0; i < PIXELS; i++) {
    const s = parts[i];
    const v = s.length <= 3 && /^\d+$/.test(s) ? Number(s) : 256;
    if (v > 255) return `pixel ${i + 1} is ${JSON.stringify(s.slice(0, 10))}, not 0-255`;
    out[at + 3 * i] = out[at + 3 * i + 1] = out[at + 3 * i + 2] = v;
  }
  return null;
}

export interface FerPlusOptions {
  classes?: FerPlusClasses;
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
}

const TRAIN = 1;
const TEST = 2;

function refused(path: string, e: unknown): never {
  if (e instanceof CsvError) throw new DatasetFormatError(e.message);
  if (e instanceof FileRefusedError) throw new DatasetFormatError(`${path}: ${e.reason}`);
  throw e;
}

/** Reads FERPlus at `root` (fer2013.csv and fer2013new.csv); throws DatasetFormatError with one line. */
export async function readFerPlus(
  fs: FolderFs,
  root: string,
  opts: FerPlusOptions = {},
): Promise<{ dataset: Dataset; report: FerPlusReport }> {
  const t0 = performance.now();
  const k: FerPlusClasses = opts.classes ?? 8;
  const classes = FERPLUS_CLASSES.slice(0, k);
  const skipped: SkippedFile[] = [];
  const dropped = { noName: 0, unknown: 0, notFace: 0, noMajority: 0, contempt: 0, privateTest: 0, otherUsage: 0 };
  const newPath = joinPath(root, 'fer2013new.csv');
  const oldPath = joinPath(root, 'fer2013.csv');

  // Pass 1, fer2013new.csv: each row's split (0 = not read), label and image name.
  const split: number[] = [];
  const label: number[] = [];
  const names: string[] = [];
  try {
    let header = true;
    for await (const { line, fields } of csvRows(readChunks(fs, newPath, MAX_CSV_BYTES), LIMITS, newPath)) {
      if (header) {
        header = false;
        if (fields[0]?.trim() !== 'Usage' || !/image/i.test(fields[1] ?? ''))
          throw new DatasetFormatError(`${newPath}: its header is not FER+'s (Usage,Image name,neutral,…,NF)`);
        continue;
      }
      const usage = fields[0]?.trim();
      const name = (fields[1] ?? '').trim();
      let s = usage === 'Training' ? TRAIN : usage === 'PublicTest' ? TEST : 0;
      let l = -1;
      if (usage === 'PrivateTest') dropped.privateTest++;
      else if (s === 0)
        skipped.push({
          name: `fer2013new.csv:${line}`,
          reason: `usage ${JSON.stringify((usage ?? '').slice(0, 20))} is not Training, PublicTest or PrivateTest`,
        });
      if (s !== 0) {
        const votes = parseVotes(fields);
        if (typeof votes === 'string') {
          skipped.push({ name: `fer2013new.csv:${line}`, reason: votes });
          s = 0;
        } else if (name === '') {
          dropped.noName++;
          s = 0;
        } else {
          l = majorityLabel(votes);
          if (l === UNKNOWN) dropped.unknown++;
          else if (l === NOT_FACE) dropped.notFace++;
          else if (l < 0) dropped.noMajority++;
          else if (l === CONTEMPT && k === 7) dropped.contempt++;
          if (l < 0 || l >= k) s = 0;
        }
      }
      split.push(s);
      label.push(l);
      names.push(s ? name.replace(/\s/g, '_').slice(0, 128) : '');
      if (opts.signal?.aborted) throw opts.signal.reason;
    }
    if (header) throw new DatasetFormatError(`${newPath}: empty`);
  } catch (e) {
    refused(newPath, e);
  }

  // Pass 2, fer2013.csv: the pixels of the rows kept, straight into each split's array.
  const wanted = [0, 0];
  for (const s of split) if (s) wanted[s - 1]++;
  const rgb = [new Uint8Array(wanted[0] * PIXELS * 3), new Uint8Array(wanted[1] * PIXELS * 3)];
  const kept: { names: string[]; labels: number[] }[] = [
    { names: [], labels: [] },
    { names: [], labels: [] },
  ];
  let row = -1;
  let total = 0;
  const want = wanted[0] + wanted[1];
  try {
    for await (const { line, fields } of csvRows(readChunks(fs, oldPath, MAX_CSV_BYTES), LIMITS, oldPath)) {
      if (row === -1) {
        row = 0;
        if (fields[0]?.trim() !== 'emotion' || fields[1]?.trim() !== 'pixels')
          throw new DatasetFormatError(`${oldPath}: its header is not FER2013's (emotion,pixels,Usage)`);
        continue;
      }
      const i = row++;
      if (i >= split.length) {
        skipped.push({ name: `fer2013.csv:${line}`, reason: 'no row of votes in fer2013new.csv' });
        continue;
      }
      const s = split[i];
      if (!s) continue;
      const into = kept[s - 1];
      const why = fields.length < 2 ? 'no pixels field' : parsePixels(fields[1], rgb[s - 1], into.names.length * PIXELS * 3);
      if (why) skipped.push({ name: `fer2013.csv:${line}`, reason: why });
      else {
        into.names.push(names[i]);
        into.labels.push(label[i]);
      }
      total++;
      if (total % 512 === 0 || total === want) opts.onProgress?.(progressAt(total, want, 'reading FER2013 rows', t0, performance.now()));
      if (opts.signal?.aborted) throw opts.signal.reason;
    }
  } catch (e) {
    refused(oldPath, e);
  }
  if (row < split.length) {
    const missing = split.slice(Math.max(row, 0)).filter((s) => s).length;
    if (missing)
      skipped.push({ name: 'fer2013.csv', reason: `${missing} rows of fer2013new.csv have no row of pixels (fer2013.csv ends early)` });
  }
  const splits: Split[] = kept.map((kp, j) => {
    const l = Int32Array.from(kp.labels);
    return {
      names: kp.names,
      images: rgb[j].subarray(0, kp.names.length * PIXELS * 3),
      height: FERPLUS_SIDE,
      width: FERPLUS_SIDE,
      labels: l,
      cleanLabels: new Int32Array(l),
    };
  });
  if (splits[0].names.length === 0) throw new DatasetFormatError(`${root}: no FERPlus training image (${skipped.length} rows skipped)`);
  const counts = (s: Split) => {
    const c = new Array<number>(k).fill(0);
    for (const x of s.cleanLabels) c[x]++;
    return c;
  };
  const notes = [
    `${k} classes${k === 7 ? ' (contempt dropped)' : ''}; train = Training, test = PublicTest; ${dropped.privateTest} PrivateTest rows not read`,
    `dropped by FER+'s majority rule: ${dropped.unknown} unknown, ${dropped.notFace} not a face, ${dropped.noMajority} without a majority, ${dropped.noName} without an image name${k === 7 ? `, ${dropped.contempt} contempt` : ''}`,
  ];
  const title = k === 7 ? 'FERPlus (7 classes)' : 'FERPlus';
  return {
    dataset: { name: title, classes, train: splits[0], test: splits[1] },
    report: {
      format: 'ferplus',
      title,
      root,
      classes,
      classCount: k,
      trainCounts: counts(splits[0]),
      testCounts: counts(splits[1]),
      height: FERPLUS_SIDE,
      width: FERPLUS_SIDE,
      skipped: skipped.slice(0, 20),
      skippedCount: skipped.length,
      notes,
      grayscale: true,
      seconds: (performance.now() - t0) / 1000,
    },
  };
}
