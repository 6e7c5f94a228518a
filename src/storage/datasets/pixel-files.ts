// Where the dataset cache keeps decoded pixels when the browser allows it: one file per dataset
// in the origin private file system (OPFS), folder `eac-datasets/`, written through a
// synchronous access handle in the ingest worker. Why not IndexedDB values: every put is a
// structured clone and a trip through the browser process. Measured on the test VM (Chromium
// 156, a profile on disk), 480 MB took 3.9 s to write and 3.8 s to read as IndexedDB values,
// against 1.4 s and 0.1 s through a sync handle. Where OPFS is missing `opfsPixelFiles()` is
// null; where sync handles are (a page's main thread) its files can be read and removed, not
// written. The cache then stores IndexedDB chunks.

/** A file being written: whole chunks at byte offsets, then closed. */
export interface PixelFileWriter {
  write(bytes: Uint8Array, at: number): void;
  close(): void;
}

/** One byte range of a file, read into `into` (into.length bytes from `at`). */
interface PixelRange {
  at: number;
  into: Uint8Array;
}

export interface PixelFiles {
  /** Whether `create` works here: sync handles exist only in workers. Reading and removing work anywhere. */
  readonly writable: boolean;
  /** A new, empty file (an existing one of that name is truncated). */
  create(name: string): Promise<PixelFileWriter>;
  /** The file's size in bytes, or null if there is no such file. */
  size(name: string): Promise<number | null>;
  /** Reads the ranges in order; `onRead` after each with its byte count. A short read throws. */
  read(name: string, ranges: PixelRange[], onRead?: (bytes: number) => void): Promise<void>;
  /** Removes the file; a missing one is not an error. */
  remove(name: string): Promise<void>;
  /** Every file, with its last modification (ms since the epoch). */
  list(): Promise<{ name: string; lastModified: number }[]>;
}

const FOLDER = 'eac-datasets';

// The parts of the File System Access API used here, typed locally: the DOM library's types
// lag (read-only sync handles, directory iteration).
interface SyncHandle {
  read(into: Uint8Array, opts: { at: number }): number;
  write(bytes: Uint8Array, opts: { at: number }): number;
  truncate(size: number): void;
  getSize(): number;
  flush(): void;
  close(): void;
}
interface FileHandle {
  getFile(): Promise<File>;
  createSyncAccessHandle(opts?: { mode: 'read-only' | 'readwrite' }): Promise<SyncHandle>;
}
interface DirHandle {
  getFileHandle(name: string, opts?: { create: boolean }): Promise<FileHandle>;
  getDirectoryHandle(name: string, opts?: { create: boolean }): Promise<DirHandle>;
  removeEntry(name: string): Promise<void>;
  keys(): AsyncIterable<string>;
}

const isNotFound = (e: unknown) => (e as { name?: string } | null)?.name === 'NotFoundError';

/** Reads the ranges through a read-only sync handle where the browser shares one, else through File slices. */
async function readRanges(handle: FileHandle, ranges: PixelRange[], onRead?: (bytes: number) => void): Promise<void> {
  let sync: SyncHandle | null = null;
  try {
    // Read-only handles may be open in several workers at once (two tabs training on one
    // dataset); a browser without them locks the file, and the second reader falls back below.
    sync = await handle.createSyncAccessHandle({ mode: 'read-only' });
  } catch {
    sync = null;
  }
  if (sync) {
    try {
      for (const r of ranges) {
        const n = sync.read(r.into, { at: r.at });
        if (n !== r.into.length) throw new Error(`short read: ${n} of ${r.into.length} bytes at ${r.at}`);
        onRead?.(n);
      }
    } finally {
      sync.close();
    }
    return;
  }
  const file = await handle.getFile();
  for (const r of ranges) {
    const got = new Uint8Array(await file.slice(r.at, r.at + r.into.length).arrayBuffer());
    if (got.length !== r.into.length) throw new Error(`short read: ${got.length} of ${r.into.length} bytes at ${r.at}`);
    r.into.set(got);
    onRead?.(got.length);
  }
}

/** The OPFS pixel files, or null where there is no OPFS. */
export function opfsPixelFiles(): PixelFiles | null {
  const g = globalThis as unknown as {
    navigator?: { storage?: { getDirectory?: () => Promise<DirHandle> } };
    FileSystemFileHandle?: { prototype: object };
  };
  const getDirectory = g.navigator?.storage?.getDirectory;
  if (!getDirectory || !g.FileSystemFileHandle) return null;
  const writable = 'createSyncAccessHandle' in g.FileSystemFileHandle.prototype;
  let folder: Promise<DirHandle> | null = null;
  const dir = (): Promise<DirHandle> => {
    folder ??= getDirectory.call(g.navigator?.storage).then((root) => root.getDirectoryHandle(FOLDER, { create: true }));
    folder.catch(() => (folder = null));
    return folder;
  };
  return {
    writable,
    async create(name) {
      const handle = await (await dir()).getFileHandle(name, { create: true });
      const sync = await handle.createSyncAccessHandle();
      sync.truncate(0);
      return {
        write(bytes, at) {
          const n = sync.write(bytes, { at });
          if (n !== bytes.length) throw new Error(`short write: ${n} of ${bytes.length} bytes at ${at}`);
        },
        close() {
          try {
            sync.flush();
          } finally {
            sync.close();
          }
        },
      };
    },
    async size(name) {
      try {
        return (await (await (await dir()).getFileHandle(name)).getFile()).size;
      } catch (e) {
        if (isNotFound(e)) return null;
        throw e;
      }
    },
    async read(name, ranges, onRead) {
      await readRanges(await (await dir()).getFileHandle(name), ranges, onRead);
    },
    async remove(name) {
      try {
        await (await dir()).removeEntry(name);
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    },
    async list() {
      const d = await dir();
      const out: { name: string; lastModified: number }[] = [];
      for await (const name of d.keys()) {
        try {
          out.push({ name, lastModified: (await (await d.getFileHandle(name)).getFile()).lastModified });
        } catch {
          // removed meanwhile, or a folder: not ours
        }
      }
      return out;
    },
  };
}
