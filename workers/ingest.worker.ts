// The ingest worker: reads a dataset folder the page hands over (FileSystemHandles or Files with
// paths): RAF-DB, or any format of src/data/formats (IDX, CIFAR binary, Tiny-ImageNet, FERPlus,
// class folders of JPEG/PNG; found by detect.ts through src/storage/datasets/format-listing.ts,
// read by read-dataset.ts as the CLI reads them, stored with their class names, no label files).
// For RAF-DB it decodes every JPEG with libjpeg-turbo (src/data/jpeg.ts) through the same reader as
// `eac` (src/data/rafdb.ts), itself or, on a machine of 4 cores or more, in a pool of decoder
// workers (workers/jpeg-decode.worker.ts, src/worker/decode-pool.ts), and stores the result in the
// dataset cache (pixels in an OPFS file where it can), so the page never blocks
// and the training worker loads it by key. A folder already cached (same names and sizes) is
// answered from its listing alone. Talks only through src/worker/ingest-protocol.ts.
import wasmUrl from '@jsquash/jpeg/codec/dec/mozjpeg_dec.wasm?url';
import { folderFsOf } from '../src/data/browser-folder.ts';
import { initJpegDecoder } from '../src/data/jpeg.ts';
import { RAFDB_SIZE, RafDbError, readRafDb, type RafDbReport } from '../src/data/rafdb.ts';
import type { Dataset } from '../src/engine/dataset.ts';
import { DecodePool, decodePoolSize, type DecodeWorkerLike } from '../src/worker/decode-pool.ts';
import {
  beginDatasetWrite,
  getCachedDatasetInfo,
  storeDataset,
  sweepIncomplete,
  type CachedDatasetInfo,
  type DatasetWrite,
} from '../src/storage/dataset-cache.ts';
import { DatasetCacheError, DatasetCacheQuotaError } from '../src/storage/datasets/errors.ts';
import { datasetKey, readLabelTexts } from '../src/storage/datasets/folder-key.ts';
import { formatOfLocation, locateDataset, reportOfFormat, type DatasetLocation } from '../src/storage/datasets/format-listing.ts';
import type { SizedFolderFs } from '../src/data/browser-folder.ts';
import { abortError } from '../src/data/folder.ts';
import { DatasetFormatError } from '../src/data/formats/read-array-dataset.ts';
import { needsJpegDecoder, readFormat } from '../src/data/formats/read-dataset.ts';
import {
  INGEST_PROGRESS_INTERVAL_MS,
  type FromIngestWorker,
  type IngestMessage,
  type IngestPhase,
  type ToIngestWorker,
} from '../src/worker/ingest-protocol.ts';
import { progressAt, throttle, type Progress } from '../src/engine/progress.ts';

interface WorkerScope {
  postMessage(message: FromIngestWorker): void;
  onmessage: ((ev: MessageEvent<ToIngestWorker>) => void) | null;
}
const scope = self as unknown as WorkerScope;
const post = (m: FromIngestWorker): void => scope.postMessage(m);

let decoder: Promise<WebAssembly.Module> | null = null;

/** Compiles mozjpeg_dec.wasm once (streaming where the server sends application/wasm); the pool's workers get the module. */
function decoderReady(): Promise<WebAssembly.Module> {
  decoder ??= (async () => {
    let module: WebAssembly.Module;
    try {
      module = await WebAssembly.compileStreaming(fetch(wasmUrl));
    } catch {
      const res = await fetch(wasmUrl);
      if (!res.ok) throw new Error(`cannot load the JPEG decoder (${wasmUrl}): HTTP ${res.status}`);
      module = await WebAssembly.compile(await res.arrayBuffer());
    }
    await initJpegDecoder(module);
    return module;
  })();
  decoder.catch(() => {
    decoder = null;
  });
  return decoder;
}

/** One decoder worker, given the compiled decoder first. */
function startDecoder(module: WebAssembly.Module): DecodeWorkerLike {
  const w = new Worker(new URL('./jpeg-decode.worker.ts', import.meta.url), { type: 'module', name: 'eac-jpeg-decode' });
  w.postMessage({ type: 'init', module });
  return w as unknown as DecodeWorkerLike;
}

let active: { id: number; controller: AbortController } | null = null;

const isAbort = (e: unknown, signal: AbortSignal) => signal.aborted || (e as { name?: string } | null)?.name === 'AbortError';

async function ingest(msg: IngestMessage): Promise<void> {
  const { id } = msg;
  if (active) {
    post({ type: 'error', id, message: `another folder is being read (ingest ${active.id}); cancel it first` });
    return;
  }
  const controller = new AbortController();
  const { signal } = controller;
  active = { id, controller };
  let pool: DecodePool | null = null;
  let write: DatasetWrite | null = null;
  const t0 = performance.now();
  const due = throttle(INGEST_PROGRESS_INTERVAL_MS);
  const progress = (phase: IngestPhase, p: Progress, force = false) => {
    if (due(force || p.done === p.total)) post({ type: 'progress', id, phase, ...p });
  };
  try {
    const fs = folderFsOf(msg.source);
    progress('listing', progressAt(0, 0, 'listing files', t0, t0), true);
    const location = await locateDataset(fs, '', {
      signal,
      onProgress: (done, total) => progress('listing', progressAt(done, total, 'listing files', t0, performance.now())),
    });
    // FERPlus and AffectNet read as 7 classes are another dataset: another cache entry.
    const seven = msg.basicClasses === true && (location.kind === 'ferplus' || location.kind === 'affectnet');
    const key =
      location.kind === 'rafdb'
        ? await datasetKey(location.listing.entries)
        : await datasetKey(
            location.entries,
            location.kind === 'array'
              ? location.format
              : location.kind === 'image-folder'
                ? 'folders'
                : seven
                  ? `${location.kind}-7`
                  : location.kind,
          );
    const tListed = performance.now();
    const known = await getCachedDatasetInfo(key);
    if (known) {
      const listingSecs = (tListed - t0) / 1000;
      post({
        type: 'done',
        id,
        key,
        fromCache: true,
        info: known,
        timings: { listing: listingSecs, decoding: 0, storing: 0, total: (performance.now() - t0) / 1000 },
      });
      return;
    }
    await sweepIncomplete().catch(() => []);
    if (location.kind !== 'rafdb') {
      const tDecode = performance.now();
      const info = await ingestOtherFormat(fs, location, key, msg.source.name, signal, progress, seven ? 7 : undefined);
      const tEnd = performance.now();
      post({
        type: 'done',
        id,
        key,
        fromCache: false,
        info: info.info,
        timings: {
          listing: (tListed - t0) / 1000,
          decoding: (info.tStore - tDecode) / 1000,
          storing: (tEnd - info.tStore) / 1000,
          total: (tEnd - t0) / 1000,
        },
      });
      return;
    }
    const listing = location.listing;
    const module = await decoderReady();
    if (signal.aborted) throw signal.reason;
    const tDecode = performance.now();
    // The pixels go to the cache as they are decoded, a chunk at a time: the worker never holds
    // the whole dataset, and the writes overlap the reads. The quota is checked against the
    // files listed (images, and a few label files), each with a few bytes of name and labels.
    write = await beginDatasetWrite({
      key,
      height: RAFDB_SIZE,
      width: RAFDB_SIZE,
      expectedBytes: listing.entries.length * (RAFDB_SIZE * RAFDB_SIZE * 3 + 64),
      signal,
    });
    const decoders = decodePoolSize(navigator.hardwareConcurrency);
    const decodePool = decoders > 0 ? new DecodePool(() => startDecoder(module), decoders) : null;
    pool = decodePool;
    const stopPool = () => pool?.close(signal.reason);
    signal.addEventListener('abort', stopPool, { once: true });
    const { dataset, report } = await readRafDb(fs, listing.root, {
      signal,
      onProgress: (p) => progress('decoding', p),
      sink: write.sink,
      ...(decodePool ? { decode: (bytes: Uint8Array) => decodePool.decode(bytes), concurrency: decodePool.size * 2 } : {}),
    }).finally(() => {
      signal.removeEventListener('abort', stopPool);
      pool?.close();
      pool = null;
    });
    const labelTexts = await readLabelTexts(fs, listing.emoLabel);
    const tStore = performance.now();
    progress('storing', progressAt(0, 0, "saving the dataset's index", tStore, tStore), true);
    const info = await write.finish({ dataset, report, labelTexts, source: msg.source.name });
    write = null;
    const tEnd = performance.now();
    post({
      type: 'done',
      id,
      key,
      fromCache: false,
      info,
      timings: {
        listing: (tListed - t0) / 1000,
        decoding: (tStore - tDecode) / 1000,
        storing: (tEnd - tStore) / 1000,
        total: (tEnd - t0) / 1000,
      },
    });
  } catch (e) {
    await write?.abort();
    if (isAbort(e, signal)) post({ type: 'cancelled', id });
    else if (e instanceof DatasetCacheQuotaError)
      post({ type: 'error', id, message: e.message, quota: { neededBytes: e.neededBytes, availableBytes: e.availableBytes } });
    else if (e instanceof RafDbError || e instanceof DatasetCacheError || e instanceof DatasetFormatError)
      post({ type: 'error', id, message: e.message });
    else post({ type: 'error', id, message: `reading the folder failed: ${e instanceof Error ? e.message : String(e)}` });
  } finally {
    pool?.close();
    pool = null;
    active = null;
  }
}

/** A folder whose reads report each file read and stop at a cancel (the array readers read whole files). */
function watchedFs(fs: SizedFolderFs, signal: AbortSignal, onRead: () => void): SizedFolderFs {
  return {
    list: (dir) => fs.list(dir),
    size: (path) => fs.size(path),
    stream: fs.stream ? (path, maxBytes, chunkBytes) => fs.stream!(path, maxBytes, chunkBytes) : undefined,
    async read(path, maxBytes) {
      if (signal.aborted) throw abortError(signal, 'reading the folder was cancelled');
      const bytes = await fs.read(path, maxBytes);
      if (signal.aborted) throw abortError(signal, 'reading the folder was cancelled');
      onRead();
      return bytes;
    },
  };
}

/** Reads an IDX, CIFAR, Tiny-ImageNet, FERPlus or class-folder dataset whole and stores it (with its classes, no label files). */
async function ingestOtherFormat(
  fs: SizedFolderFs,
  location: Exclude<DatasetLocation, { kind: 'rafdb' }>,
  key: string,
  source: string,
  signal: AbortSignal,
  progress: (phase: IngestPhase, p: Progress, force?: boolean) => void,
  classes?: 7,
): Promise<{ info: CachedDatasetInfo; tStore: number }> {
  const t0 = performance.now();
  let read: { dataset: Dataset; report: RafDbReport };
  const format = formatOfLocation(location);
  if (location.kind === 'array') {
    const total = location.entries.length;
    let done = 0;
    progress('decoding', progressAt(0, total, 'reading files', t0, t0), true);
    const watched = watchedFs(fs, signal, () => progress('decoding', progressAt(++done, total, 'reading files', t0, performance.now())));
    const r = await readFormat(watched, format, location.root);
    read = { dataset: r.dataset, report: reportOfFormat(r.report) };
  } else {
    if (needsJpegDecoder(format)) await decoderReady();
    const r = await readFormat(fs, format, location.root, {
      signal,
      onProgress: (p) => progress('decoding', p),
      ferPlusClasses: classes,
      affectNetClasses: classes,
    });
    read = { dataset: r.dataset, report: reportOfFormat(r.report) };
  }
  if (signal.aborted) throw abortError(signal, 'reading the folder was cancelled');
  const tStore = performance.now();
  progress('storing', progressAt(0, 0, 'storing the dataset', tStore, tStore), true);
  const info = await storeDataset(
    { key, dataset: read.dataset, report: read.report, labelTexts: {}, source },
    { signal, onProgress: (p) => progress('storing', p) },
  );
  return { info, tStore };
}

scope.onmessage = (ev) => {
  const msg = ev.data;
  switch (msg.type) {
    case 'ingest':
      void ingest(msg);
      break;
    case 'cancel':
      if (active && active.id === msg.id) active.controller.abort(new DOMException('reading the folder was cancelled', 'AbortError'));
      break;
  }
};
