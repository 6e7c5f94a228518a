// A minimal read-only file-system interface, so the RAF-DB reader runs the same on Node's fs
// (nodeFolderFs in src/cli/dataset.ts) and on the browser's directory handles or dropped files.
// Paths are '/'-joined strings; a directory listing marks sub-directories with a trailing '/'.

export interface FolderFs {
  /** Entry names of a directory (not paths); sub-directories end with '/'. Rejects if `dir` is not a directory. */
  list(dir: string): Promise<string[]>;
  /** A file's bytes. */
  read(path: string): Promise<Uint8Array>;
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
    async read(path) {
      const b = files.get(norm(path));
      if (!b) throw new Error(`no such file: ${path}`);
      return b;
    },
  };
}
