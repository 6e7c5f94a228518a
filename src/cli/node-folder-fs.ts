// Node's file system as a FolderFs (src/data/folder.ts) that is safe to point at a stranger's
// folder: only regular files are opened (a FIFO would block the read for ever, /dev/zero would
// grow without end), a file over the caller's cap is refused from its size before a byte is read,
// and, when given a root, a path that resolves outside it (a symlink to /etc/passwd) is refused.
import { readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { checkFileSize, FileRefusedError, type FolderFs } from '../data/folder.ts';
import { readRegularFileAsync, streamRegularFile } from './read-file.ts';

interface NodeFolderFsOptions {
  /** Paths outside `root` that may still be read (a label file the user named on the command line). */
  allow?: readonly string[];
}

/**
 * A FolderFs on Node's fs. With a `root`, every listed folder and read file must resolve (symlinks
 * followed) inside the root's real path; null reads anywhere (regular files only, capped).
 */
export function nodeFolderFsWithin(root: string | null, opts: NodeFolderFsOptions = {}): FolderFs {
  let bounds: Promise<{ root: string; allow: Set<string> } | null> | null = null;
  const boundsOf = () =>
    (bounds ??= (async () => {
      if (root === null) return null;
      const allow = new Set<string>();
      for (const a of opts.allow ?? [])
        await realpath(a).then(
          (r) => allow.add(r),
          () => undefined,
        );
      return { root: await realpath(root), allow };
    })());
  const confined = async (p: string): Promise<string> => {
    const b = await boundsOf();
    if (!b) return p;
    const real = await realpath(p);
    if (real === b.root || real.startsWith(b.root.endsWith(path.sep) ? b.root : b.root + path.sep) || b.allow.has(real)) return real;
    throw new FileRefusedError('a link leading outside the folder (not followed)');
  };
  return {
    async list(dir) {
      const real = await confined(dir);
      const entries = await readdir(real, { withFileTypes: true });
      const out: string[] = [];
      for (const e of entries) {
        let isDir = e.isDirectory();
        if (e.isSymbolicLink())
          isDir = await stat(path.join(real, e.name)).then(
            (s) => s.isDirectory(),
            () => false,
          );
        out.push(isDir ? e.name + '/' : e.name);
      }
      return out.sort();
    },
    async read(p, maxBytes) {
      return readRegularFileAsync(await confined(p), {
        checkSize: (size) => checkFileSize(size, maxBytes),
        notRegular: (message) => new FileRefusedError(message),
      });
    },
    async *stream(p, maxBytes, chunkBytes) {
      yield* streamRegularFile(await confined(p), chunkBytes, {
        checkSize: (size) => checkFileSize(size, maxBytes),
        notRegular: (message) => new FileRefusedError(message),
      });
    },
  };
}

/** Regular files only, capped, anywhere (tests and tools that read the fixtures). */
export const nodeFolderFs: FolderFs = nodeFolderFsWithin(null);
