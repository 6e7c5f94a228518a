// FolderFs adapters for the three ways a browser hands over a folder, so the RAF-DB reader
// (src/data/rafdb.ts) runs on them unchanged:
//   - FileSystemHandles (DataTransferItem.getAsFileSystemHandle() on drop, showDirectoryPicker()):
//     structured-cloneable, so the page posts them to the ingest worker, which reads them there;
//   - FileSystemEntries (webkitGetAsEntry() on drop, where handles are missing): NOT cloneable, so
//     the page walks them (readEntries until an empty batch) into a list of Files with paths;
//   - a flat list of Files with relative paths (<input webkitdirectory>, or the walk above):
//     Files are cloneable and reading them in the worker is cheap.
// Every source is presented as one virtual root folder that holds the dropped or chosen items, so
// paths look like `RAF-DB/basic/EmoLabel/list_patition_label.txt` whichever way they came.
// No DOM types beyond what a worker has: the handle and entry shapes are declared structurally.
import { abortError, checkFileSize, joinPath, type FolderFs } from './folder.ts';

/** A FolderFs that also knows file sizes without reading them (for the dataset cache's key). */
export interface SizedFolderFs extends FolderFs {
  /** A file's size in bytes. */
  size(path: string): Promise<number>;
}

/** What the reader needs of a File (or Blob); `slice` (a real Blob's) lets a large file be read in chunks. */
interface FileLike {
  readonly size: number;
  arrayBuffer(): Promise<ArrayBuffer>;
  slice?(start: number, end: number): { arrayBuffer(): Promise<ArrayBuffer> };
}

/** A file and its path below the virtual root, e.g. `RAF-DB/basic/Image/aligned/train_00001_aligned.jpg`. */
export interface RelativeFile<F extends FileLike = File> {
  path: string;
  file: F;
}

// The File System Access API, as far as the reader uses it.
export interface FileHandleLike {
  readonly kind: 'file';
  readonly name: string;
  getFile(): Promise<FileLike>;
}
export interface DirectoryHandleLike {
  readonly kind: 'directory';
  readonly name: string;
  values(): AsyncIterable<FileHandleLike | DirectoryHandleLike>;
  getDirectoryHandle(name: string): Promise<DirectoryHandleLike>;
  getFileHandle(name: string): Promise<FileHandleLike>;
}
export type HandleLike = FileHandleLike | DirectoryHandleLike;

// The older File and Directory Entries API (webkitGetAsEntry), callback-based.
interface FileEntryLike {
  readonly isFile: true;
  readonly isDirectory: false;
  readonly name: string;
  file(success: (f: File) => void, failure?: (e: unknown) => void): void;
}
interface DirectoryReaderLike {
  readEntries(success: (batch: EntryLike[]) => void, failure?: (e: unknown) => void): void;
}
export interface DirectoryEntryLike {
  readonly isFile: false;
  readonly isDirectory: true;
  readonly name: string;
  createReader(): DirectoryReaderLike;
}
export type EntryLike = FileEntryLike | DirectoryEntryLike;

const norm = (p: string): string =>
  p
    .replace(/^\.?\/+/, '')
    .replace(/\/+$/, '')
    .replace(/^\.$/, '');
const splitPath = (p: string): string[] =>
  norm(p)
    .split('/')
    .filter((s) => s !== '' && s !== '.');

/**
 * A File's bytes, refused by its size before any is read: a huge file (a dropped disk image, a
 * link to a device the browser snapshotted) costs nothing. The length is checked again in case
 * the size was stale.
 */
async function readCapped(file: FileLike, maxBytes: number): Promise<Uint8Array> {
  checkFileSize(file.size, maxBytes);
  const bytes = new Uint8Array(await file.arrayBuffer());
  checkFileSize(bytes.length, maxBytes);
  return bytes;
}

/** A File in chunks (Blob slices), refused by its size first; without `slice`, the whole file cut in chunks. */
async function* streamCapped(file: FileLike, maxBytes: number, chunkBytes: number): AsyncIterable<Uint8Array> {
  checkFileSize(file.size, maxBytes);
  if (!file.slice) {
    const b = await readCapped(file, maxBytes);
    for (let i = 0; i < b.length; i += chunkBytes) yield b.subarray(i, i + chunkBytes);
    return;
  }
  for (let at = 0; at < file.size; at += chunkBytes)
    yield new Uint8Array(await file.slice(at, Math.min(file.size, at + chunkBytes)).arrayBuffer());
}

const asError = (e: unknown): Error => (e instanceof Error ? e : new Error(String(e)));

/**
 * Several Files' bytes with one read: a Blob made of them is read at once and cut at their sizes.
 * Each File read is a round trip to the browser process; one read of 64 joined files costs about
 * what a few single reads do (RAF-DB's 15,340 files here: 15.1 s one by one with 16 in flight,
 * 6.2 s in joined reads of 64). Files over the cap are refused one by one, before any read; if
 * the joined read fails or comes back short (a file changed or vanished, a stand-in that is not a
 * Blob), each file is read alone, so only the bad one is reported.
 */
async function readJoined(files: ReadonlyArray<FileLike | Error>, maxBytes: number): Promise<Array<Uint8Array | Error>> {
  const out: Array<Uint8Array | Error> = files.map((f) => (f instanceof Error ? f : new Uint8Array(0)));
  const ok: number[] = [];
  files.forEach((f, i) => {
    if (f instanceof Error) return;
    try {
      checkFileSize(f.size, maxBytes);
      ok.push(i);
    } catch (e) {
      out[i] = asError(e);
    }
  });
  if (ok.length === 0) return out;
  const parts = ok.map((i) => files[i] as FileLike);
  try {
    const bytes = new Uint8Array(await new Blob(parts as unknown as Blob[]).arrayBuffer());
    if (bytes.length !== parts.reduce((n, f) => n + f.size, 0)) throw new Error('the files changed size');
    let offset = 0;
    for (const i of ok) {
      const n = (files[i] as FileLike).size;
      // A copy per file: each has its own buffer, which a decoder pool takes by transfer.
      out[i] = bytes.slice(offset, offset + n);
      offset += n;
    }
  } catch {
    await Promise.all(
      ok.map(async (i) => {
        out[i] = await readCapped(files[i] as FileLike, maxBytes).catch(asError);
      }),
    );
  }
  return out;
}

/**
 * A flat list of files with relative paths as a folder tree. Directories are implied by the paths;
 * the root ('') holds the top-level names.
 */
export function fileListFs<F extends FileLike>(files: readonly RelativeFile<F>[]): SizedFolderFs {
  const byPath = new Map<string, F>();
  const dirs = new Map<string, Set<string>>([['', new Set()]]);
  for (const { path, file } of files) {
    const parts = splitPath(path);
    if (parts.length === 0) continue;
    const full = parts.join('/');
    byPath.set(full, file);
    let dir = '';
    for (let i = 0; i < parts.length; i++) {
      const last = i === parts.length - 1;
      let entries = dirs.get(dir);
      if (!entries) dirs.set(dir, (entries = new Set()));
      entries.add(last ? parts[i] : parts[i] + '/');
      dir = joinPath(dir, parts[i]);
    }
  }
  const fileAt = (path: string): F => {
    const f = byPath.get(norm(path));
    if (!f) throw new Error(`no such file: ${path}`);
    return f;
  };
  return {
    async list(dir) {
      const entries = dirs.get(norm(dir));
      if (!entries) throw new Error(`no such directory: ${dir}`);
      return [...entries].sort();
    },
    async read(path, maxBytes) {
      return readCapped(fileAt(path), maxBytes);
    },
    stream(path, maxBytes, chunkBytes) {
      return streamCapped(fileAt(path), maxBytes, chunkBytes);
    },
    async readMany(paths, maxBytes) {
      return readJoined(
        paths.map((p) => {
          try {
            return fileAt(p);
          } catch (e) {
            return asError(e);
          }
        }),
        maxBytes,
      );
    },
    async size(path) {
      return fileAt(path).size;
    },
  };
}

/** The relative path a File from an <input webkitdirectory> carries (its name when it has none). */
function relativePathOf(file: File): string {
  return (file as File & { webkitRelativePath?: string }).webkitRelativePath || file.name;
}

/** Files of an <input type=file webkitdirectory> with their relative paths (the chosen folder first). */
export function filesFromInput(list: ArrayLike<File>): RelativeFile[] {
  return Array.from(list, (file) => ({ path: relativePathOf(file), file }));
}

/**
 * FileSystemHandles (directories or files, e.g. several items dropped at once) as a folder tree
 * whose root holds them. Directory handles are resolved once and remembered; a file's File object
 * is taken once (its size for the cache key, then its bytes).
 */
export function handlesFs(handles: readonly HandleLike[]): SizedFolderFs {
  const dirHandles = new Map<string, DirectoryHandleLike>();
  const fileHandles = new Map<string, FileHandleLike>();
  const fileObjects = new Map<string, Promise<FileLike>>();
  const rootEntries = new Set<string>();
  for (const h of handles) {
    if (h.kind === 'directory') {
      dirHandles.set(h.name, h);
      rootEntries.add(h.name + '/');
    } else {
      fileHandles.set(h.name, h);
      rootEntries.add(h.name);
    }
  }
  const dirAt = async (dir: string): Promise<DirectoryHandleLike> => {
    const d = norm(dir);
    const known = dirHandles.get(d);
    if (known) return known;
    if (d === '') throw new Error(`no such directory: ${dir}`); // the root is virtual: its children are known
    const parts = d.split('/');
    const parent = await dirAt(parts.slice(0, -1).join('/'));
    const h = await parent.getDirectoryHandle(parts[parts.length - 1]);
    dirHandles.set(d, h);
    return h;
  };
  const fileAt = (path: string): Promise<FileLike> => {
    const p = norm(path);
    let f = fileObjects.get(p);
    if (!f) {
      f = (async () => {
        let h = fileHandles.get(p);
        if (!h) {
          const slash = p.lastIndexOf('/');
          if (slash < 0) throw new Error(`no such file: ${path}`);
          h = await (await dirAt(p.slice(0, slash))).getFileHandle(p.slice(slash + 1));
        }
        return h.getFile();
      })();
      // A failure (file gone, permission) is reported where it is read; do not remember it.
      f.catch(() => fileObjects.delete(p));
      fileObjects.set(p, f);
    }
    return f;
  };
  return {
    async list(dir) {
      const d = norm(dir);
      if (d === '') return [...rootEntries].sort();
      const h = await dirAt(d);
      const out: string[] = [];
      for await (const child of h.values()) {
        const path = joinPath(d, child.name);
        if (child.kind === 'directory') {
          dirHandles.set(path, child);
          out.push(child.name + '/');
        } else {
          fileHandles.set(path, child);
          out.push(child.name);
        }
      }
      return out.sort();
    },
    async read(path, maxBytes) {
      return readCapped(await fileAt(path), maxBytes);
    },
    async *stream(path, maxBytes, chunkBytes) {
      yield* streamCapped(await fileAt(path), maxBytes, chunkBytes);
    },
    async readMany(paths, maxBytes) {
      return readJoined(await Promise.all(paths.map((p) => fileAt(p).catch(asError))), maxBytes);
    },
    async size(path) {
      return (await fileAt(path)).size;
    },
  };
}

/** All entries of a directory: readEntries returns them in batches (100 in Chromium) until an empty one. */
export async function readAllEntries(dir: DirectoryEntryLike): Promise<EntryLike[]> {
  const reader = dir.createReader();
  const all: EntryLike[] = [];
  for (;;) {
    const batch = await new Promise<EntryLike[]>((resolve, reject) =>
      reader.readEntries(resolve, (e) => reject(e instanceof Error ? e : new Error(`cannot list ${dir.name}: ${String(e)}`))),
    );
    if (batch.length === 0) return all;
    all.push(...batch);
  }
}

const fileOfEntry = (entry: FileEntryLike): Promise<File> =>
  new Promise((resolve, reject) =>
    entry.file(resolve, (e) => reject(e instanceof Error ? e : new Error(`cannot open ${entry.name}: ${String(e)}`))),
  );

interface CollectProgress {
  /** Files found so far. */
  files: number;
  /** Files that could not be opened (skipped; the reader reports them as missing). */
  failed: number;
}

/**
 * Walks dropped FileSystemEntries into Files with relative paths (on the page: entries cannot be
 * posted to a worker, Files can). Unreadable files are left out and counted, never fatal.
 */
export async function collectEntryFiles(
  entries: readonly EntryLike[],
  opts: { onProgress?: (p: CollectProgress) => void; signal?: AbortSignal } = {},
): Promise<{ files: RelativeFile[]; failed: string[] }> {
  const files: RelativeFile[] = [];
  const failed: string[] = [];
  const visit = async (entry: EntryLike, parent: string): Promise<void> => {
    if (opts.signal?.aborted) throw abortError(opts.signal);
    const path = joinPath(parent, entry.name);
    if (entry.isDirectory) {
      let children: EntryLike[];
      try {
        children = await readAllEntries(entry);
      } catch {
        failed.push(path + '/');
        return;
      }
      // Files of one batch in parallel (each file() is a round trip to the browser process).
      const subdirs = children.filter((c): c is DirectoryEntryLike => c.isDirectory);
      await Promise.all(
        children
          .filter((c): c is FileEntryLike => c.isFile)
          .map(async (c) => {
            try {
              files.push({ path: joinPath(path, c.name), file: await fileOfEntry(c) });
            } catch {
              failed.push(joinPath(path, c.name));
            }
          }),
      );
      opts.onProgress?.({ files: files.length, failed: failed.length });
      for (const s of subdirs) await visit(s, path);
    } else {
      try {
        files.push({ path, file: await fileOfEntry(entry) });
      } catch {
        failed.push(path);
      }
    }
  };
  for (const e of entries) await visit(e, '');
  opts.onProgress?.({ files: files.length, failed: failed.length });
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { files, failed };
}

/** A folder the page hands to the ingest worker: directory handles, or Files with paths. */
export type FolderSource =
  | { kind: 'handles'; handles: HandleLike[]; name: string }
  | { kind: 'files'; files: RelativeFile[]; name: string };

/** The FolderFs of a source (in the worker). */
export function folderFsOf(source: FolderSource): SizedFolderFs {
  return source.kind === 'handles' ? handlesFs(source.handles) : fileListFs(source.files);
}

/** A name for what was dropped or chosen: the one top-level folder's name, or "N items". */
export function sourceNameOf(topNames: readonly string[]): string {
  const uniq = [...new Set(topNames)];
  return uniq.length === 1 ? uniq[0] : `${uniq.length} items`;
}

interface DataTransferItemWithHandles {
  readonly kind: string;
  getAsFileSystemHandle?: () => Promise<HandleLike | null>;
  webkitGetAsEntry?: () => EntryLike | null;
  getAsFile(): File | null;
}

/**
 * What a drop event carries, as a FolderSource. Must be called synchronously inside the `drop`
 * handler (the DataTransfer's items are emptied when the handler returns); the returned promise may
 * be awaited later. Prefers FileSystemHandles (cloneable, read in the worker), then the entries
 * walk, then the plain file list (webkitRelativePath where the browser sets it).
 */
export function readDrop(
  dt: DataTransfer,
  opts: { onProgress?: (p: CollectProgress) => void; signal?: AbortSignal } = {},
): Promise<FolderSource & { failed?: string[] }> {
  const items = Array.from(dt.items as unknown as ArrayLike<DataTransferItemWithHandles>).filter((it) => it.kind === 'file');
  const handlePromises = items.every((it) => typeof it.getAsFileSystemHandle === 'function')
    ? items.map((it) => it.getAsFileSystemHandle!())
    : null;
  const entries = items.map((it) => (typeof it.webkitGetAsEntry === 'function' ? it.webkitGetAsEntry() : null));
  const plain = filesFromInput(Array.from(dt.files));
  return (async () => {
    if (handlePromises) {
      // A synthetic or odd drop may resolve to null or undefined.
      const handles = await Promise.all(handlePromises.map((p) => Promise.resolve(p).catch(() => null)));
      if (
        handles.length > 0 &&
        handles.every((h): h is HandleLike => h?.kind === 'file' || h?.kind === 'directory') &&
        handles.some((h) => h.kind === 'directory')
      ) {
        return { kind: 'handles', handles, name: sourceNameOf(handles.map((h) => h.name)) };
      }
    }
    if (
      entries.length > 0 &&
      entries.every((e): e is EntryLike => !!e && typeof e.isDirectory === 'boolean') &&
      entries.some((e) => e.isDirectory)
    ) {
      const { files, failed } = await collectEntryFiles(entries, opts);
      return { kind: 'files', files, name: sourceNameOf(entries.map((e) => e.name)), failed };
    }
    return { kind: 'files', files: plain, name: sourceNameOf(plain.map((f) => f.path.split('/')[0])) };
  })();
}
