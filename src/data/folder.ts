// A minimal read-only file-system interface, so the RAF-DB reader runs the same on Node's fs
// (nodeFolderFs in src/cli/dataset.ts) and on the browser's directory handles or dropped files.
// Paths are '/'-joined strings; a directory listing marks sub-directories with a trailing '/'.
// A folder may come from a stranger: every read names a byte cap, and only regular files inside
// the folder are read (a link to /dev/zero, a FIFO or /etc/passwd is refused, never read).

import { bytesText } from '../engine/format.ts';

export interface FolderFs {
  /** Entry names of a directory (not paths); sub-directories end with '/'. Rejects if `dir` is not a directory. */
  list(dir: string): Promise<string[]>;
  /**
   * A regular file's bytes. Rejects with FileRefusedError, before reading, when the file is larger
   * than `maxBytes`, is not a regular file, or (where the file system can tell) lies outside the folder.
   */
  read(path: string, maxBytes: number): Promise<Uint8Array>;
  /**
   * Several files' bytes at once, where that is cheaper than one read each (a browser's Files:
   * one round trip to the browser process). Each entry is the file's bytes or why it could not be
   * read, as `read` would have rejected; one bad file does not fail the others.
   */
  readMany?(paths: readonly string[], maxBytes: number): Promise<Array<Uint8Array | Error>>;
  /**
   * A regular file's bytes in chunks of at most `chunkBytes`, refused as `read` would be, so a
   * large text file (FERPlus's 290 MB CSV) is parsed without holding it whole. Without it,
   * `readChunks` falls back to `read`.
   */
  stream?(path: string, maxBytes: number, chunkBytes: number): AsyncIterable<Uint8Array>;
}

/** Chunk size of streamed reads. */
export const STREAM_CHUNK_BYTES = 1 << 20;

/** A file's bytes in chunks: `fs.stream` where there is one, else the whole file (capped) cut in chunks. */
export async function* readChunks(
  fs: FolderFs,
  path: string,
  maxBytes: number,
  chunkBytes = STREAM_CHUNK_BYTES,
): AsyncIterable<Uint8Array> {
  if (fs.stream) {
    yield* fs.stream(path, maxBytes, chunkBytes);
    return;
  }
  const b = await fs.read(path, maxBytes);
  for (let i = 0; i < b.length; i += chunkBytes) yield b.subarray(i, i + chunkBytes);
}

/** A file the reader will not read; `reason` is one short phrase for the report. */
export class FileRefusedError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'FileRefusedError';
  }
}

/** RAF-DB's aligned images are 2-5 kB; a 4096×4096 JPEG of a face fits in 4 MiB. */
export const MAX_IMAGE_FILE_BYTES = 4 << 20;
/** RAF-DB's label file is 0.3 MB (15,339 lines); the label-line cap (labels.ts) binds long before this. */
export const MAX_LABEL_FILE_BYTES = 16 << 20;

/** What to throw when `signal` stopped the work: its reason, or an AbortError that says what was cancelled. */
export function abortError(signal: AbortSignal, what = 'cancelled'): unknown {
  return signal.reason ?? new DOMException(what, 'AbortError');
}

/** The refusal for a file over its cap (the same words in Node and in the page). */
function tooLargeError(size: number, maxBytes: number): FileRefusedError {
  return new FileRefusedError(`too large: ${bytesText(size, 'binary')} (the cap is ${bytesText(maxBytes, 'binary')})`);
}

/** Throws unless `size` fits the cap. */
export function checkFileSize(size: number, maxBytes: number): void {
  if (size > maxBytes) throw tooLargeError(size, maxBytes);
}

export function joinPath(dir: string, name: string): string {
  if (dir === '' || dir === '.') return name;
  return dir.endsWith('/') ? dir + name : `${dir}/${name}`;
}

export const isDirEntry = (name: string): boolean => name.endsWith('/');
export const entryName = (name: string): string => (name.endsWith('/') ? name.slice(0, -1) : name);

/** Files no dataset folder should be judged by: OS litter and hidden files. */
export function isStrayFile(name: string): boolean {
  const n = entryName(name);
  return n.startsWith('.') || n === 'Thumbs.db' || n === 'desktop.ini' || n === 'Icon\r' || n.startsWith('._');
}

/** An in-memory FolderFs (tests, and browsers that hand over a flat list of files with paths). */
export function memoryFs(files: Map<string, Uint8Array>): FolderFs {
  const norm = (p: string) => p.replace(/\/+$/, '').replace(/^\.\//, '');
  return {
    async list(dir) {
      const d = norm(dir);
      const prefix = d === '' || d === '.' ? '' : d + '/';
      const out = new Set<string>();
      for (const p of files.keys()) {
        if (!p.startsWith(prefix)) continue;
        const rest = p.slice(prefix.length);
        const slash = rest.indexOf('/');
        out.add(slash < 0 ? rest : rest.slice(0, slash + 1));
      }
      if (out.size === 0) throw new Error(`no such directory: ${dir}`);
      return [...out].sort();
    },
    async read(path, maxBytes) {
      const b = files.get(norm(path));
      if (!b) throw new Error(`no such file: ${path}`);
      checkFileSize(b.length, maxBytes);
      return b;
    },
  };
}
