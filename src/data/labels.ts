// RAF-DB "basic" label files (`EmoLabel/list_patition_label.txt` and noisy variants such as the
// paper's noise01.txt): one `name label` pair per line, labels 1..7 in the file, 0..6 in memory.
// Pure: no Node or browser APIs, so the Node reader and the browser drop path share it.
import { NUM_CLASSES } from '../engine/dataset.ts';

/** The clean label file's real (misspelt) name. */
export const CLEAN_LABEL_FILE = 'list_patition_label.txt';

export interface LabelEntry {
  /** As the file writes it, e.g. `train_00001.jpg`. */
  name: string;
  /** 0..6 */
  label: number;
  /** 1-based line number in the file. */
  line: number;
}

export interface BadLine {
  /** 1-based line number. */
  line: number;
  /** The line as written (trailing CR/space removed). */
  text: string;
  reason: string;
  /** The label file it came from (set when more than one file is read). */
  file?: string;
}

export interface ParsedLabels {
  entries: LabelEntry[];
  badLines: BadLine[];
}

export type SplitName = 'train' | 'test';

/** train_/test_ by name prefix; null for anything else. */
export function splitOf(name: string): SplitName | null {
  if (name.startsWith('train_')) return 'train';
  if (name.startsWith('test_')) return 'test';
  return null;
}

/**
 * Parses a label file. CRLF or LF endings, a UTF-8 BOM, tabs or runs of spaces between fields,
 * trailing spaces and blank lines are all fine; a line with a wrong number of fields, a label that
 * is not an integer 1..7, or a name already seen (the first one wins) is skipped and reported.
 */
export function parseLabelText(text: string): ParsedLabels {
  const entries: LabelEntry[] = [];
  const badLines: BadLine[] = [];
  const seen = new Map<string, number>();
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/);
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i].replace(/\s+$/, '');
    const line = i + 1;
    if (raw.trim() === '') continue;
    const fields = raw.trim().split(/\s+/);
    if (fields.length !== 2) {
      badLines.push({ line, text: raw, reason: `expected 2 fields (name label), got ${fields.length}` });
      continue;
    }
    const [name, labelText] = fields;
    if (!/^[0-9]+$/.test(labelText) || Number(labelText) < 1 || Number(labelText) > NUM_CLASSES) {
      badLines.push({ line, text: raw, reason: `label ${JSON.stringify(labelText)} is not an integer 1..${NUM_CLASSES}` });
      continue;
    }
    const first = seen.get(name);
    if (first !== undefined) {
      badLines.push({ line, text: raw, reason: `duplicate name ${name} (first on line ${first})` });
      continue;
    }
    seen.set(name, line);
    entries.push({ name, label: Number(labelText) - 1, line });
  }
  return { entries, badLines };
}

/** Splits the clean file's entries by name prefix; a name that is neither train_ nor test_ is a bad line. */
export function splitEntries(parsed: ParsedLabels): { train: LabelEntry[]; test: LabelEntry[]; badLines: BadLine[] } {
  const train: LabelEntry[] = [];
  const test: LabelEntry[] = [];
  const badLines = [...parsed.badLines];
  for (const e of parsed.entries) {
    const s = splitOf(e.name);
    if (s === 'train') train.push(e);
    else if (s === 'test') test.push(e);
    else badLines.push({ line: e.line, text: `${e.name} ${e.label + 1}`, reason: `name ${e.name} is neither train_… nor test_…` });
  }
  badLines.sort((a, b) => a.line - b.line);
  return { train, test, badLines };
}

export interface NoiseMeasure {
  /** The training label file's name. */
  file: string;
  /** Training samples whose label in this file differs from the clean one. */
  changed: number;
  /** changed / training samples that the file labels. */
  rate: number;
  /** Clean training names the file gives no label for (they keep their clean label). */
  missing: number;
}

/**
 * Applies a training label file (train rows only, same format) to the clean training entries:
 * the noisy label of each clean training name (the clean one where the file has none), the
 * measured noise, and the file's bad lines (including rows for names that are not clean training
 * samples).
 */
export function applyTrainingLabels(
  clean: readonly LabelEntry[],
  file: string,
  parsed: ParsedLabels,
): { labels: Int32Array; noise: NoiseMeasure; badLines: BadLine[] } {
  const index = new Map<string, number>();
  clean.forEach((e, i) => index.set(e.name, i));
  const labels = new Int32Array(clean.length).fill(-1);
  const badLines: BadLine[] = parsed.badLines.map((b) => ({ ...b, file }));
  for (const e of parsed.entries) {
    const i = index.get(e.name);
    if (i === undefined) {
      const why = splitOf(e.name) === 'test' ? 'a test row in a training label file (the test split always uses the clean labels)' : `name ${e.name} is not a clean training sample`;
      badLines.push({ line: e.line, text: `${e.name} ${e.label + 1}`, reason: why, file });
      continue;
    }
    labels[i] = e.label;
  }
  let changed = 0;
  let labelled = 0;
  let missing = 0;
  for (let i = 0; i < clean.length; i++) {
    if (labels[i] < 0) {
      labels[i] = clean[i].label;
      missing++;
      continue;
    }
    labelled++;
    if (labels[i] !== clean[i].label) changed++;
  }
  badLines.sort((a, b) => a.line - b.line);
  return { labels, noise: { file, changed, rate: labelled ? changed / labelled : 0, missing }, badLines };
}
