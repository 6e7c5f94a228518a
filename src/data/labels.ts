// RAF-DB "basic" label files (`EmoLabel/list_patition_label.txt` and noisy variants such as the
// paper's noise01.txt): one `name label` pair per line, labels 1..7 in the file, 0..6 in memory.
// Pure: no Node or browser APIs, so the Node reader and the browser drop path share it.
import { NUM_CLASSES } from '../engine/dataset.ts';
import { countText } from '../engine/format.ts';

/** The clean label file's real (misspelt) name. */
export const CLEAN_LABEL_FILE = 'list_patition_label.txt';
/** RAF-DB basic's label file has 15,339 lines; a file with more than this is not a RAF-DB label file. */
export const MAX_LABEL_LINES = 100_000;
/** A label line is ~20 characters; a longer one is reported (quoted in part), never split or trimmed. */
const MAX_LABEL_LINE_CHARS = 1000;
/** Text from a file quoted in a report or an error is cut to this many characters. */
export const QUOTE_CHARS = 200;

/** A label file refused as a whole (see MAX_LABEL_LINES). */
export class LabelFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LabelFileError';
  }
}

/**
 * File text as it may be shown: control characters (a terminal's escape sequences) written as
 * \xNN, cut to QUOTE_CHARS characters.
 */
export function quoteText(s: string): string {
  const cut = s.length > QUOTE_CHARS ? s.slice(0, QUOTE_CHARS) : s;
  let out = '';
  for (let i = 0; i < cut.length; i++) {
    const c = cut.charCodeAt(i);
    out += c < 0x20 || c === 0x7f ? '\\x' + c.toString(16).padStart(2, '0') : cut[i];
  }
  return s.length > QUOTE_CHARS ? `${out}… (${countText(s.length)} characters)` : out;
}

/**
 * The sample a label name stands for, whatever its spelling: `train_00001.jpg`, `.JPG`, `.png`,
 * `.jpeg`, `train_00001_aligned.jpg` and `train_00001` all name the image train_00001_aligned.jpg.
 */
export function sampleKey(name: string): string {
  let k = name.toLowerCase();
  const dot = k.lastIndexOf('.');
  if (dot > 0) k = k.slice(0, dot);
  return k.endsWith('_aligned') ? k.slice(0, -'_aligned'.length) : k;
}

/** Throws LabelFileError for a text of more than MAX_LABEL_LINES lines, before it is split (a scan, no copies). */
export function checkLabelLineCount(text: string): void {
  let lines = 1;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10 || (c === 13 && text.charCodeAt(i + 1) !== 10)) {
      if (++lines > MAX_LABEL_LINES)
        throw new LabelFileError(
          `more than ${countText(MAX_LABEL_LINES)} lines: not a RAF-DB label file (RAF-DB basic lists 15,339 images)`,
        );
    }
  }
}

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

type SplitName = 'train' | 'test';

/** train_/test_ by name prefix; null for anything else. */
export function splitOf(name: string): SplitName | null {
  if (name.startsWith('train_')) return 'train';
  if (name.startsWith('test_')) return 'test';
  return null;
}

/**
 * Parses a label file. CRLF or LF endings, a UTF-8 BOM, tabs or runs of spaces between fields,
 * trailing spaces and blank lines are all fine; a line with a wrong number of fields, a label that
 * is not an integer 1..7, a name with control characters, a line over MAX_LABEL_LINE_CHARS, or a
 * name already seen under any spelling (see sampleKey; the first one wins) is skipped and
 * reported. Throws LabelFileError for a file of more than MAX_LABEL_LINES lines. Linear time: no
 * regular expression here can backtrack.
 */
export function parseLabelText(text: string, numClasses = NUM_CLASSES): ParsedLabels {
  const entries: LabelEntry[] = [];
  const badLines: BadLine[] = [];
  const seen = new Map<string, { line: number; name: string }>();
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  checkLabelLineCount(body);
  const lines = body.split(/\r\n|\r|\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = i + 1;
    if (lines[i].length > MAX_LABEL_LINE_CHARS) {
      badLines.push({
        line,
        text: quoteText(lines[i]),
        reason: `line longer than ${countText(MAX_LABEL_LINE_CHARS)} characters (${countText(lines[i].length)})`,
      });
      continue;
    }
    const raw = lines[i].trimEnd();
    if (raw.trim() === '') continue;
    const text = quoteText(raw);
    const fields = raw.trim().split(/\s+/);
    if (fields.length !== 2) {
      badLines.push({ line, text, reason: `expected 2 fields (name label), got ${fields.length}` });
      continue;
    }
    const [name, labelText] = fields;
    if (!/^[0-9]+$/.test(labelText) || Number(labelText) < 1 || Number(labelText) > numClasses) {
      badLines.push({ line, text, reason: `label ${quoteText(JSON.stringify(labelText))} is not an integer 1..${numClasses}` });
      continue;
    }
    if (/[\x00-\x1f\x7f]/.test(name)) {
      badLines.push({ line, text, reason: `name ${quoteText(name)} has control characters` });
      continue;
    }
    const key = sampleKey(name);
    const first = seen.get(key);
    if (first !== undefined) {
      const reason =
        first.name === name
          ? `duplicate name ${name} (first on line ${first.line})`
          : `duplicate of ${first.name} (line ${first.line}): ${name} names the same image`;
      badLines.push({ line, text, reason });
      continue;
    }
    seen.set(key, { line, name });
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
    else
      badLines.push({
        line: e.line,
        text: quoteText(`${e.name} ${e.label + 1}`),
        reason: `name ${quoteText(e.name)} is neither train_… nor test_…`,
      });
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
      const why =
        splitOf(e.name) === 'test'
          ? 'a test row in a training label file (the test split always uses the clean labels)'
          : `name ${quoteText(e.name)} is not a clean training sample`;
      badLines.push({ line: e.line, text: quoteText(`${e.name} ${e.label + 1}`), reason: why, file });
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
