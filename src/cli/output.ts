// Where the CLI's results go: JSON on stdout (--json) and/or a file (--out); progress on stderr.
import { closeSync, fsyncSync, openSync, realpathSync, renameSync, type Stats, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { UsageError } from './args.ts';
import { escapeControls } from '../engine/bounded-json.ts';

export function emitJson(result: unknown, opts: { json: boolean; out?: string }): void {
  const text = JSON.stringify(result, null, 2) + '\n';
  if (opts.out) writeFileAtomic(opts.out, text);
  if (opts.json) process.stdout.write(text);
}

/**
 * A new file in `dir` with `data`, on disk, under a name no other process (on this machine or
 * another sharing the folder) can pick: `.eac-RANDOM.tmp`, created exclusively (never through a
 * link planted under that name). Returns its path; the caller renames or links it.
 */
export function writeTempFile(dir: string, data: string | Uint8Array, base = 'eac'): string {
  const tmp = path.join(dir, `.${base}.${randomBytes(6).toString('hex')}.tmp`);
  const fd = openSync(tmp, 'wx');
  try {
    writeFileSync(fd, data);
    // On disk before the rename: a power cut must not leave the new name on unwritten blocks.
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    unlinkSync(tmp);
    throw e;
  }
  closeSync(fd);
  return tmp;
}

/**
 * Replaces `file` whole: written to a temporary file, then renamed over it, so that a reader (or
 * a kill at any moment) sees the old file or the new one, never part of one. `beforeRename` lets
 * a test stop it there, as a crash would.
 */
export function writeFileAtomic(file: string, data: string | Uint8Array, hooks: { beforeRename?: (tmp: string) => void } = {}): void {
  const tmp = writeTempFile(path.dirname(file), data, path.basename(file));
  try {
    hooks.beforeRename?.(tmp);
    renameSync(tmp, file);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      /* already gone */
    }
    throw e;
  }
}

/**
 * Proves before a run that `file` can be written (flag names the option), so that a typo in a
 * path fails in a second, not after hours of training. Creates and removes a probe file in the
 * directory (permission bits alone lie for root and on read-only mounts); an existing file is
 * opened for writing without being changed.
 */
export function checkWritable(flag: string, file: string): void {
  const fail = (why: string) => new UsageError(`--${flag} ${file}: ${why}`);
  const dir = path.dirname(path.resolve(file));
  let dirStat: Stats;
  try {
    dirStat = statSync(dir);
  } catch (e) {
    throw fail(`its folder ${dir} does not exist (${(e as NodeJS.ErrnoException).code ?? 'unreadable'})`);
  }
  if (!dirStat.isDirectory()) throw fail(`${dir} is not a folder`);
  const special = systemFolder(dir);
  if (special) throw fail(`${special} is the system's, not a place for results`);
  const existing = statSync(file, { throwIfNoEntry: false });
  if (existing?.isDirectory()) throw fail('is a folder');
  if (existing && !existing.isFile()) throw fail('is not a regular file');
  // The real write makes a temp file beside the target and renames it over (writeFileAtomic):
  // proven the same way, in the folder, whether or not the file exists.
  const probe = path.join(dir, `.${path.basename(file)}.${process.pid}.probe`);
  try {
    closeSync(openSync(probe, 'wx'));
    unlinkSync(probe);
  } catch (e) {
    throw fail(`cannot be written: its folder refuses a new file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

/** /proc, /sys or /dev where `dir` (resolved, symlinks followed as far as they exist) lies in one; else null. */
export function systemFolder(dir: string): string | null {
  let real = path.resolve(dir);
  for (let p = real; ; p = path.dirname(p)) {
    try {
      real = path.join(realpathSync(p), path.relative(p, real));
      break;
    } catch {
      if (p === path.dirname(p)) break;
    }
  }
  const top = real.split(path.sep)[1];
  return ['proc', 'sys', 'dev'].includes(top) ? `/${top}` : null;
}

/** Refuses two output flags naming the same file (one would silently overwrite the other). */
export function checkDistinct(outputs: [flag: string, file: string | undefined][]): void {
  const seen = new Map<string, string>();
  for (const [flag, file] of outputs) {
    if (file === undefined) continue;
    const key = path.resolve(file);
    const other = seen.get(key);
    if (other) throw new UsageError(`--${flag} and --${other} name the same file ${file}`);
    seen.set(key, flag);
  }
}

export function progress(line: string): void {
  process.stderr.write(line + '\n');
}

/** Seconds as "45s", "3m00s", "1h02m" (src/engine/format.ts). */
export { clockText as formatSeconds } from '../engine/format.ts';

/**
 * Text that came from a file, for a message or a terminal: control characters escaped as \uXXXX (a
 * path in a checkpoint must not set the terminal's title or clear its screen), cut to `max` characters.
 */
export function printable(s: string, max = 200): string {
  return escapeControls(s.length > max ? `${s.slice(0, max)}…` : s);
}
