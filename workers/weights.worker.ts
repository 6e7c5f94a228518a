// The weights import worker: reads, hashes, parses and caches a weight file off the page's
// thread (a 165 MB pickle takes seconds), one import at a time. Talks only through
// src/worker/weights-protocol.ts; the work itself is src/storage/weights-import.ts.
import { describeImportError, importWeightsFile } from '../src/storage/weights-import.ts';
import { pruneOrphanTensors } from '../src/storage/weights-cache.ts';
import {
  PROGRESS_INTERVAL_MS,
  type FromWeightsWorker,
  type ImportWeightsMessage,
  type ToWeightsWorker,
} from '../src/worker/weights-protocol.ts';

interface WorkerScope {
  postMessage(message: FromWeightsWorker): void;
  onmessage: ((ev: MessageEvent<ToWeightsWorker>) => void) | null;
}
const scope = self as unknown as WorkerScope;
const post = (m: FromWeightsWorker): void => scope.postMessage(m);

let current: { id: number; controller: AbortController } | null = null;
/** A tab closed mid-write can leave a tensors blob without its record: clear those once. */
let pruned = false;

/** Chromium's performance.memory (non-standard); null elsewhere. */
function heapBytes(): number | null {
  const m = (performance as Performance & { memory?: { usedJSHeapSize?: number } }).memory;
  return typeof m?.usedJSHeapSize === 'number' ? m.usedJSHeapSize : null;
}

async function runImport(msg: ImportWeightsMessage): Promise<void> {
  const controller = new AbortController();
  current = { id: msg.id, controller };
  let peak = heapBytes();
  const sample = () => {
    const h = heapBytes();
    if (h !== null) peak = Math.max(peak ?? 0, h);
  };
  try {
    if (!pruned) {
      pruned = true;
      await pruneOrphanTensors().catch(() => 0);
    }
    const result = await importWeightsFile(msg.file, msg.file.name, {
      arch: msg.arch,
      signal: controller.signal,
      progressIntervalMs: PROGRESS_INTERVAL_MS,
      onProgress: (p) => {
        sample();
        post({ type: 'progress', id: msg.id, ...p });
      },
    });
    sample();
    post({ type: 'done', id: msg.id, ...result, peakHeapBytes: peak });
  } catch (e) {
    if (controller.signal.aborted) post({ type: 'cancelled', id: msg.id });
    else post({ type: 'error', id: msg.id, ...describeImportError(e, msg.file.name, msg.file.size) });
  } finally {
    if (current?.controller === controller) current = null;
  }
}

scope.onmessage = (ev: MessageEvent<ToWeightsWorker>) => {
  const msg = ev.data;
  if (msg.type === 'cancel') {
    if (current?.id === msg.id) current.controller.abort(new DOMException('import cancelled', 'AbortError'));
    return;
  }
  if (current) {
    post({ type: 'error', id: msg.id, kind: 'internal', message: 'another import is still running; wait for it or cancel it' });
    return;
  }
  void runImport(msg);
};
