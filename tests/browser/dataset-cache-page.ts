// The dataset-cache page (tests/browser/dataset-cache.html on the Vite dev server). A module
// worker (this file) reads the files named in the URL (?files=, below tests/fixtures/rafdb/) as the
// ingest worker does, streaming the pixels into the dataset cache (an OPFS file there) as it
// reads, and loads them back; the page then lists and deletes the dataset from the main thread,
// where OPFS files can be removed but not written. Results land on `window.__cache`.
import wasmUrl from '@jsquash/jpeg/codec/dec/mozjpeg_dec.wasm?url';
import { fileListFs, type RelativeFile } from '../../src/data/browser-folder.ts';
import { initJpegDecoder } from '../../src/data/jpeg.ts';
import { readRafDb } from '../../src/data/rafdb.ts';
import { beginDatasetWrite, deleteCachedDataset, listCachedDatasets, loadCachedDataset } from '../../src/storage/dataset-cache.ts';
import { pixelFiles } from '../../src/storage/datasets/idb-layout.ts';
import { datasetKey, folderListing, readLabelTexts } from '../../src/storage/datasets/folder-key.ts';

export interface WorkerReport {
  key: string;
  pixelFile: string | null;
  writable: boolean;
  /** sha256 (hex) of train then test pixels: as read, and as loaded back from the cache. */
  readHash: string;
  loadedHash: string;
  loadedNames: string[];
  filesAfterStore: string[];
  progressReports: number;
}

export interface CachePageReport {
  done: true;
  error: string | null;
  worker: WorkerReport | null;
  /** On the page after the worker finished: the listed keys, whether the page may write files, the files left after deleting. */
  listed: string[];
  pageWritable: boolean | null;
  filesAfterDelete: string[];
}

declare global {
  interface Window {
    __cache?: CachePageReport;
  }
}

async function hashOf(...parts: Uint8Array[]): Promise<string> {
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.length;
  }
  const d = new Uint8Array(await crypto.subtle.digest('SHA-256', all));
  return Array.from(d, (b) => b.toString(16).padStart(2, '0')).join('');
}

async function fileNames(): Promise<string[]> {
  const files = pixelFiles();
  return files ? (await files.list()).map((f) => f.name).sort() : [];
}

async function inWorker(files: { path: string; bytes: Uint8Array }[]): Promise<WorkerReport> {
  await initJpegDecoder(await WebAssembly.compileStreaming(fetch(wasmUrl)));
  const rel: RelativeFile[] = files.map((f) => ({
    path: f.path,
    file: new File([f.bytes as Uint8Array<ArrayBuffer>], f.path.split('/').pop()!),
  }));
  const fs = fileListFs(rel);
  const listing = await folderListing(fs);
  const key = await datasetKey(listing.entries);
  const read = await readRafDb(fs, listing.root);
  const labelTexts = await readLabelTexts(fs, listing.emoLabel);
  // As the ingest worker stores: each chunk of 8 images written as the reader fills it.
  const write = await beginDatasetWrite({ key, height: 100, width: 100, expectedBytes: listing.entries.length * 30064, chunkImages: 8 });
  const streamed = await readRafDb(fs, listing.root, { sink: write.sink });
  const info = await write.finish({ dataset: streamed.dataset, report: streamed.report, labelTexts, source: 'clean' });
  const filesAfterStore = await fileNames();
  let progressReports = 0;
  const loaded = await loadCachedDataset(key, null, () => progressReports++);
  return {
    key,
    pixelFile: info.pixelFile ?? null,
    writable: pixelFiles()?.writable ?? false,
    readHash: await hashOf(read.dataset.train.images, read.dataset.test.images),
    loadedHash: await hashOf(loaded.dataset.train.images, loaded.dataset.test.images),
    loadedNames: [...loaded.dataset.train.names, ...loaded.dataset.test.names],
    filesAfterStore,
    progressReports,
  };
}

const isWorker = typeof window === 'undefined';

if (isWorker) {
  self.onmessage = async (ev: MessageEvent<{ path: string; bytes: Uint8Array }[]>) => {
    try {
      self.postMessage({ ok: true, report: await inWorker(ev.data) });
    } catch (e) {
      self.postMessage({ ok: false, error: (e as Error).stack ?? String(e) });
    }
  };
} else {
  const statusEl = document.getElementById('status')!;
  const say = (line: string): void => {
    statusEl.textContent += '\n' + line;
  };
  const main = async (): Promise<CachePageReport> => {
    const paths = (new URLSearchParams(location.search).get('files') ?? '').split(',').filter(Boolean);
    const files = await Promise.all(
      paths.map(async (p) => {
        const res = await fetch(`/tests/fixtures/rafdb/${p}`);
        if (!res.ok) throw new Error(`GET ${p}: HTTP ${res.status}`);
        return { path: p, bytes: new Uint8Array(await res.arrayBuffer()) };
      }),
    );
    const worker = new Worker(new URL('./dataset-cache-page.ts', import.meta.url), { type: 'module' });
    const report = await new Promise<WorkerReport>((resolve, reject) => {
      worker.onmessage = (ev) => (ev.data.ok ? resolve(ev.data.report) : reject(new Error(`worker: ${ev.data.error}`)));
      worker.onerror = (ev) => reject(new Error(`worker: ${ev.message}`));
      worker.postMessage(files);
    });
    worker.terminate();
    say(`stored and loaded ${report.key} (${report.pixelFile})`);
    const listed = (await listCachedDatasets()).map((d) => d.key);
    const pageWritable = pixelFiles()?.writable ?? null;
    await deleteCachedDataset(report.key);
    return { done: true, error: null, worker: report, listed, pageWritable, filesAfterDelete: await fileNames() };
  };
  main()
    .then((r) => {
      window.__cache = r;
      say('done');
    })
    .catch((e) => {
      window.__cache = {
        done: true,
        error: (e as Error).stack ?? String(e),
        worker: null,
        listed: [],
        pageWritable: null,
        filesAfterDelete: [],
      };
      say(`error: ${(e as Error).message}`);
    });
}
