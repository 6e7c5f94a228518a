// Files the sweep view reads and writes: a sweep file (sweepJsonText, also `eac sweep`'s
// sweep.json) or an `eac train --out` run JSON that joins one of a sweep's cells. Pure: a file's
// text in, a sweep or a one-line error out; nothing in a file is ever run.
import {
  importRun,
  parseSweepJson,
  runFromTrainJson,
  SWEEP_JSON_FORMAT,
  SWEEP_JSON_MAX_CHARS,
  sweepTable,
  tableCsv,
  tableLatex,
  tableMarkdown,
  sweepJsonText,
  type SweepState,
} from '../../engine/sweep/index.ts';

import { escapeControls, parseBoundedJson, RUN_FILE_BOUNDS } from '../../engine/bounded-json.ts';

type SweepFile = { kind: 'sweep'; state: SweepState } | { kind: 'run'; state: SweepState; cellId: string };

/** Names a file the way the error lines do: short, one line. */
const label = (name: string) => escapeControls(name.slice(0, 80)) || 'file';

/**
 * Reads one dropped or chosen file: a sweep file becomes a sweep of its own; a run file joins its
 * cell of `into` (the sweep on screen). Throws an Error with one line naming the file.
 */
export function readSweepFile(name: string, text: string, into: SweepState | null, at: number): SweepFile {
  const file = label(name);
  if (text.length > SWEEP_JSON_MAX_CHARS) throw new Error(`${file}: ${text.length} characters, more than a sweep or run file has`);
  // Depth and the count of objects and arrays bounded before JSON.parse builds anything.
  const doc = parseBoundedJson(
    text,
    RUN_FILE_BOUNDS,
    (why) => new Error(`${file}: ${why.startsWith('not JSON') ? 'not JSON' : why} (a sweep file or an eac train --out run was expected)`),
  );
  const format = (doc as { format?: unknown } | null)?.format;
  if (format === SWEEP_JSON_FORMAT) {
    try {
      return { kind: 'sweep', state: parseSweepJson(text, file) };
    } catch (e) {
      throw new Error((e as Error).message);
    }
  }
  if (!into) throw new Error(`${file}: a run joins a sweep: open or start a sweep first`);
  try {
    const run = runFromTrainJson(doc, file);
    const state = importRun(into, run, { runId: `imported:${file}`, at });
    const cellId = state.order.find((id) => state.cells[id] !== into.cells[id]) ?? '';
    return { kind: 'run', state, cellId };
  } catch (e) {
    const m = (e as Error).message;
    throw new Error(m.startsWith(file) ? m : `${file}: ${m}`);
  }
}

export type TableFormat = 'csv' | 'md' | 'tex' | 'json';

/** An export of the sweep: the table as CSV, Markdown or LaTeX, or the whole sweep as JSON. */
export function sweepExport(state: SweepState, format: TableFormat): { text: string; fileName: string; mime: string } {
  const base = state.id;
  if (format === 'json') return { text: sweepJsonText(state), fileName: `${base}.json`, mime: 'application/json' };
  const t = sweepTable(state);
  if (format === 'csv') return { text: tableCsv(t), fileName: `${base}-table.csv`, mime: 'text/csv' };
  if (format === 'md') return { text: tableMarkdown(t), fileName: `${base}-table.md`, mime: 'text/markdown' };
  return { text: tableLatex(t), fileName: `${base}-table.tex`, mime: 'application/x-tex' };
}
