// The ingest throughput page (scripts/measure/ingest-page/index.html, built and driven by
// scripts/measure/ingest.ts). The page exposes `window.__bench`; the same module, loaded as a
// worker, does the reading that is not the ingest worker's: reading the bytes only, and loading a
// dataset back from the cache. The full ingest goes through the lab's own ingest worker.
import {
  fileListFs,
  filesFromInput,
  handlesFs,
  type HandleLike,
  type RelativeFile,
  type SizedFolderFs,
} from '../../../src/data/browser-folder.ts';
import { isDirEntry, joinPath, MAX_LABEL_FILE_BYTES } from '../../../src/data/folder.ts';
import { deleteCachedDataset, listCachedDatasets, loadCachedDataset } from '../../../src/storage/dataset-cache.ts';
import type { FromIngestWorker, IngestDoneMessage, ToIngestWorker } from '../../../src/worker/ingest-protocol.ts';

type BenchRequest =
  | { type: 'read-files'; files: RelativeFile[]; inFlight: number }
  | { type: 'read-handles'; handles: HandleLike[]; inFlight: number }
  | { type: 'load'; key: string }
  | { type: 'delete'; key: string };

export interface ReadResult {
  files: number;
  bytes: number;
  /** Seconds in the worker, from the request's arrival to the last byte. */
  seconds: number;
}
export interface LoadResult {
  train: number;
  test: number;
  bytes: number;
  seconds: number;
}
export interface IngestResult {
  done: IngestDoneMessage;
  /** Seconds from posting the source to the `done` answer, measured on the page. */
  wallSeconds: number;
  /** Mean decode rate the worker reported last. */
  lastRate: number;
}

declare global {
  interface Window {
    __bench?: {
      fileCount(): number;
      dropped(): number;
      readFiles(inFlight: number): Promise<ReadResult>;
      readHandles(inFlight: number): Promise<ReadResult>;
      ingestFiles(): Promise<IngestResult>;
      ingestHandles(): Promise<IngestResult>;
      load(key: string): Promise<LoadResult>;
      remove(key: string): Promise<void>;
    };
  }
}

/** Every file below the root, depth first, in name order (what reading a folder touches). */
async function allFiles(fs: SizedFolderFs, dir = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await fs.list(dir)) {
    const p = joinPath(dir, isDirEntry(e) ? e.slice(0, -1) : e);
    if (isDirEntry(e)) out.push(...(await allFiles(fs, p)));
    else out.push(p);
  }
  return out;
}

/** Reads every file's bytes, `inFlight` at a time (1: one after the other; the RAF-DB reader keeps 16 in flight). */
async function readAll(fs: SizedFolderFs, t0: number, inFlight: number): Promise<ReadResult> {
  const paths = await allFiles(fs);
  let bytes = 0;
  let next = 0;
  const lane = async () => {
    while (next < paths.length) bytes += (await fs.read(paths[next++], MAX_LABEL_FILE_BYTES)).length;
  };
  await Promise.all(Array.from({ length: inFlight }, lane));
  return { files: paths.length, bytes, seconds: (performance.now() - t0) / 1000 };
}

const isWorker = typeof window === 'undefined';

if (isWorker) {
  self.onmessage = async (ev: MessageEvent<BenchRequest>) => {
    const t0 = performance.now();
    const msg = ev.data;
    try {
      if (msg.type === 'read-files') self.postMessage({ ok: true, result: await readAll(fileListFs(msg.files), t0, msg.inFlight) });
      else if (msg.type === 'read-handles') self.postMessage({ ok: true, result: await readAll(handlesFs(msg.handles), t0, msg.inFlight) });
      else if (msg.type === 'load') {
        const { dataset } = await loadCachedDataset(msg.key, null);
        const result: LoadResult = {
          train: dataset.train.names.length,
          test: dataset.test.names.length,
          bytes: dataset.train.images.length + dataset.test.images.length,
          seconds: (performance.now() - t0) / 1000,
        };
        self.postMessage({ ok: true, result });
      } else {
        await deleteCachedDataset(msg.key);
        self.postMessage({ ok: true, result: null });
      }
    } catch (e) {
      self.postMessage({ ok: false, error: (e as Error).stack ?? String(e) });
    }
  };
} else {
  const log = (line: string) => {
    document.getElementById('log')!.textContent += line + '\n';
    console.log(line);
  };
  const input = document.getElementById('dir') as HTMLInputElement;
  const zone = document.getElementById('zone')!;
  let handles: HandleLike[] = [];
  zone.addEventListener('dragover', (e) => e.preventDefault());
  zone.addEventListener('drop', (e) => {
    e.preventDefault();
    const items = Array.from(e.dataTransfer!.items);
    void Promise.all(items.map((it) => (it as unknown as { getAsFileSystemHandle(): Promise<HandleLike> }).getAsFileSystemHandle())).then(
      (hs) => {
        handles = hs;
        log(`dropped: ${hs.map((h) => h.name).join(', ')}`);
      },
    );
  });
  const files = (): RelativeFile[] => filesFromInput(Array.from(input.files ?? []));

  const ask = <T>(req: BenchRequest): Promise<T> => {
    const w = new Worker(new URL('./page.ts', import.meta.url), { type: 'module' });
    return new Promise<T>((resolve, reject) => {
      w.onmessage = (ev) => {
        w.terminate();
        if (ev.data.ok) resolve(ev.data.result as T);
        else reject(new Error(ev.data.error));
      };
      w.onerror = (ev) => {
        w.terminate();
        reject(new Error(ev.message));
      };
      w.postMessage(req);
    });
  };

  let nextId = 1;
  const ingest = (source: ToIngestWorker & { type: 'ingest' }): Promise<IngestResult> => {
    const w = new Worker(new URL('../../../workers/ingest.worker.ts', import.meta.url), { type: 'module' });
    const t0 = performance.now();
    let lastRate = 0;
    let lastLog = 0;
    return new Promise<IngestResult>((resolve, reject) => {
      w.onmessage = (ev: MessageEvent<FromIngestWorker>) => {
        const m = ev.data;
        if (m.type === 'progress') {
          if (m.phase === 'decoding') lastRate = m.perSecond ?? 0;
          if (performance.now() - lastLog > 3000) {
            lastLog = performance.now();
            log(`  ${m.phase}: ${m.done}/${m.total} at ${(m.perSecond ?? 0).toFixed(0)}/s`);
          }
          return;
        }
        w.terminate();
        if (m.type === 'done') resolve({ done: m, wallSeconds: (performance.now() - t0) / 1000, lastRate });
        else reject(new Error(m.type === 'error' ? m.message : 'cancelled'));
      };
      w.onerror = (ev) => {
        w.terminate();
        reject(new Error(ev.message));
      };
      w.postMessage(source);
    });
  };

  const bench: NonNullable<Window['__bench']> = {
    fileCount: () => input.files?.length ?? 0,
    dropped: () => handles.length,
    readFiles: (inFlight) => ask<ReadResult>({ type: 'read-files', files: files(), inFlight }),
    readHandles: (inFlight) => ask<ReadResult>({ type: 'read-handles', handles, inFlight }),
    ingestFiles: () => ingest({ type: 'ingest', id: nextId++, source: { kind: 'files', files: files(), name: 'input' } }),
    ingestHandles: () =>
      ingest({ type: 'ingest', id: nextId++, source: { kind: 'handles', handles, name: handles[0]?.name ?? 'dropped' } }),
    load: (key) => ask<LoadResult>({ type: 'load', key }),
    remove: (key) => ask<void>({ type: 'delete', key }),
  };
  // As the lab does when it opens (src/ui/data-client.ts refreshDatasets): list the cached datasets,
  // which creates the cache's database in a new profile (1.5 s here), before any folder is read.
  void listCachedDatasets()
    .catch(() => [])
    .then(() => {
      window.__bench = bench;
      log('ready');
    });
}
