// `eac sweep`'s out dir: sweep.json (the queue), a run JSON and a checkpoint per cell, the table
// in three formats, and a lock so that two sweeps never write one dir at once.
import { closeSync, existsSync, lstatSync, mkdirSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from './args.ts';
import { systemFolder, writeFileAtomic } from './output.ts';
import { fileKind, readRegularFile } from './read-file.ts';
import {
  parseSweepJson,
  sweepJsonText,
  sweepTable,
  SWEEP_JSON_MAX_CHARS,
  tableCsv,
  tableLatex,
  tableMarkdown,
  type SweepState,
} from '../engine/sweep/index.ts';

export const SWEEP_FILE = 'sweep.json';
export const TABLE_FILES = { md: 'table.md', csv: 'table.csv', tex: 'table.tex' } as const;
const LOCK_FILE = '.sweep.lock';

/** The out dir, created if missing; a path that is not a folder is a UsageError. */
export function ensureOutDir(dir: string): string {
  const abs = path.resolve(dir);
  // mkdir -p under /proc never returns.
  const special = systemFolder(abs);
  if (special) throw new UsageError(`--out ${dir}: ${special} is the system's, not a place for results`);
  const st = statSync(abs, { throwIfNoEntry: false });
  if (st && !st.isDirectory()) throw new UsageError(`--out ${dir}: not a folder`);
  if (!st) {
    try {
      mkdirSync(abs, { recursive: true });
    } catch (e) {
      throw new UsageError(`--out ${dir}: cannot create it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
  }
  return abs;
}

/** The sweep stored in `dir`, or null when there is none yet. */
export function loadSweep(dir: string): SweepState | null {
  const file = path.join(dir, SWEEP_FILE);
  if (!existsSync(file)) return null;
  const bytes = readRegularFile(file, {
    checkSize(size) {
      if (size > SWEEP_JSON_MAX_CHARS) throw new UsageError(`${file}: ${size} bytes, more than a sweep file can have`);
    },
    notRegular: (m) => new UsageError(`${file}: ${m}`),
    noLinks: true,
  });
  try {
    return parseSweepJson(new TextDecoder().decode(bytes), file);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/** The queue and the table as they are now, each file replaced whole (a kill mid-write leaves the previous one). */
export function saveSweep(dir: string, state: SweepState): void {
  writeFileAtomic(path.join(dir, SWEEP_FILE), sweepJsonText(state));
  const t = sweepTable(state);
  writeFileAtomic(path.join(dir, TABLE_FILES.md), tableMarkdown(t));
  writeFileAtomic(path.join(dir, TABLE_FILES.csv), tableCsv(t));
  writeFileAtomic(path.join(dir, TABLE_FILES.tex), tableLatex(t));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the dir's lock (a file with our pid); a lock left by a process that is gone is taken over. Returns its release. */
export function lockOutDir(dir: string): () => void {
  const file = path.join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => {
        try {
          unlinkSync(file);
        } catch {
          /* already gone */
        }
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST')
        throw new UsageError(`--out ${dir}: cannot write in it (${(e as NodeJS.ErrnoException).code})`);
      // A planted lock may be a FIFO, a device or a link to one: only a small regular file is read.
      const st = lstatSync(file);
      if (!st.isFile()) throw new UsageError(`--out ${dir}: its lock ${LOCK_FILE} is ${fileKind(st)}, not a lock eac wrote`);
      if (st.size > 64) throw new UsageError(`--out ${dir}: its lock ${LOCK_FILE} has ${st.size} bytes, not a lock eac wrote`);
      const pid = Number(readFileSync(file, 'utf8').slice(0, 20));
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid))
        throw new UsageError(`--out ${dir}: another eac sweep (pid ${pid}) is running in it`);
      unlinkSync(file);
    }
  }
  throw new UsageError(`--out ${dir}: cannot take its lock ${file}`);
}
