// The data controller, the page's side of the ingest worker: turns a drop, a directory picker or
// an <input webkitdirectory> into a FolderSource, posts it to workers/ingest.worker.ts (started on
// first use, through a WorkerHost), forwards its answers to the data store, and lists and deletes
// cached datasets. Components call its methods (through the lab, src/ui/lab.ts); they never touch
// the worker or IndexedDB themselves. Importing this file starts nothing: createDataController
// makes the host and the channel to other tabs.
import { filesFromInput, readDrop, sourceNameOf, type FolderSource, type HandleLike } from '../data/browser-folder.ts';
import { addLabelFile, deleteCachedDataset, listCachedDatasets } from '../storage/dataset-cache.ts';
import { MAX_LABEL_FILE_BYTES } from '../data/folder.ts';
import { bytesText } from '../engine/format.ts';
import type { FromIngestWorker, ToIngestWorker } from '../worker/ingest-protocol.ts';
import { isIngesting, useData } from './data-store.ts';
import { WorkerHost } from './worker-host.ts';
import { savedSelection, saveSelection } from './saved-selection.ts';

/** How long a cancel may take before the worker is terminated (one JPEG or one chunk write is short). */
const CANCEL_GRACE_MS = 10_000;

const ARCHIVE = /\.(zip|7z|rar|tar|tgz|gz|bz2|xz)$/i;

/** Why a source cannot be a RAF-DB folder, before any worker is bothered; null if it may be one. */
function obviouslyNotAFolder(source: FolderSource): string | null {
  const names =
    source.kind === 'files' ? source.files.map((f) => f.path) : source.handles.map((h) => (h.kind === 'directory' ? h.name + '/' : h.name));
  if (names.length === 0) return 'the folder is empty (or the browser gave no files): choose the RAF-DB folder, its parent or basic/';
  if (names.every((n) => ARCHIVE.test(n)))
    return `${names.join(', ')}: an archive; unpack it first, then drop or choose the unpacked RAF-DB folder`;
  return null;
}

interface DirectoryPickerWindow {
  showDirectoryPicker?: (opts?: { id?: string; mode?: 'read' | 'readwrite' }) => Promise<FileSystemDirectoryHandle>;
}

export function hasDirectoryPicker(): boolean {
  return typeof (globalThis as DirectoryPickerWindow).showDirectoryPicker === 'function';
}

/** The data controller's methods (one per lab: createLab). */
export type DataController = ReturnType<typeof createDataController>;

export function createDataController() {
  let nextId = 1;
  let collecting: AbortController | null = null;
  /** Tells other tabs of the lab that the cached datasets changed. */
  const channel = typeof BroadcastChannel === 'function' ? new BroadcastChannel('eac-datasets') : null;

  // The selection of the last visit, and every later choice remembered for the next.
  useData.setState({ selected: savedSelection() });
  const unsubscribe = useData.subscribe((s, prev) => {
    if (s.selected !== prev.selected) saveSelection(s.selected);
  });

  const host = new WorkerHost<ToIngestWorker, FromIngestWorker>({
    create: () => new Worker(new URL('../../workers/ingest.worker.ts', import.meta.url), { type: 'module', name: 'eac-ingest' }),
    label: 'ingest',
    onMessage: (msg) => {
      if (msg.type !== 'progress') host.cancelKill();
      useData.getState().receive(msg);
      if (msg.type === 'done' && !msg.fromCache) channel?.postMessage('changed');
    },
    onError: (message) => useData.getState().ingestFailed(message),
    onMessageError: (message) => useData.getState().ingestFailed(message),
    dropOnError: true,
  });

  function send(msg: ToIngestWorker): void {
    host.send(msg);
  }

  function busy(): boolean {
    return isIngesting(useData.getState().ingest.status);
  }

  /** Hands a folder to the ingest worker. */
  function ingestSource(source: FolderSource, unopened: string[] = [], id = nextId++): void {
    const refusal = obviouslyNotAFolder(source);
    if (refusal) {
      useData.getState().beginIngest(id, source.name, unopened);
      useData.getState().ingestFailed(refusal);
      return;
    }
    useData.getState().beginIngest(id, source.name, unopened);
    send({ type: 'ingest', id, source, basicClasses: useData.getState().basicClasses });
  }

  /**
   * A drop on the drop zone. Call it synchronously from the `drop` handler: the DataTransfer is
   * emptied when the handler returns. Dropped entries are walked here (they cannot go to a worker).
   */
  function ingestDrop(dt: DataTransfer): void {
    if (busy()) return;
    const id = nextId++;
    const controller = new AbortController();
    collecting = controller;
    // readDrop first: it must see the items before this handler returns.
    const reading = readDrop(dt, { signal: controller.signal, onProgress: (p) => useData.getState().collected(p.files) });
    useData.getState().beginCollecting(id, 'the dropped folder');
    reading
      .then((source) => {
        if (collecting !== controller) return;
        collecting = null;
        const plain: FolderSource =
          source.kind === 'handles'
            ? { kind: 'handles', handles: source.handles, name: source.name }
            : { kind: 'files', files: source.files, name: source.name };
        ingestSource(plain, source.failed ?? [], id);
      })
      .catch((e: unknown) => {
        if (collecting !== controller) return;
        collecting = null;
        if (controller.signal.aborted) useData.getState().receive({ type: 'cancelled', id });
        else useData.getState().ingestFailed(`cannot read what was dropped: ${e instanceof Error ? e.message : String(e)}`);
      });
  }

  /** Files of an <input type=file webkitdirectory>. */
  function ingestInputFiles(files: FileList | File[]): void {
    if (busy()) return;
    const list = filesFromInput(Array.from(files));
    ingestSource({ kind: 'files', files: list, name: sourceNameOf(list.map((f) => f.path.split('/')[0])) });
  }

  /** showDirectoryPicker, then ingest. Resolves false when the user closed the picker. */
  async function pickFolder(): Promise<boolean> {
    const picker = (globalThis as DirectoryPickerWindow).showDirectoryPicker;
    if (!picker || busy()) return false;
    let handle: FileSystemDirectoryHandle;
    try {
      handle = await picker({ id: 'eac-rafdb', mode: 'read' });
    } catch (e) {
      if ((e as { name?: string } | null)?.name === 'AbortError') return false;
      throw e;
    }
    ingestSource({ kind: 'handles', handles: [handle as unknown as HandleLike], name: handle.name });
    return true;
  }

  /** Cancels the folder being read (the worker answers `cancelled`; terminated if it does not in time). */
  function cancelIngest(): void {
    const ing = useData.getState().ingest;
    if (!isIngesting(ing.status)) return;
    if (collecting) {
      collecting.abort(new DOMException('cancelled', 'AbortError'));
      collecting = null;
      useData.getState().receive({ type: 'cancelled', id: ing.id });
      return;
    }
    useData.getState().markCancelling();
    send({ type: 'cancel', id: ing.id });
    // Any answer but progress cancels the kill, so a kill that fires is always still waiting.
    host.killAfter(
      CANCEL_GRACE_MS,
      () => true,
      () => useData.getState().receive({ type: 'cancelled', id: ing.id }),
    );
  }

  /** Reads the list of cached datasets (metadata only). */
  async function refreshDatasets(): Promise<void> {
    try {
      useData.getState().setDatasets(await listCachedDatasets());
    } catch (e) {
      useData
        .getState()
        .datasetsFailed(
          `the dataset cache is unavailable in this browser window (${e instanceof Error ? e.message : String(e)}); folders can still be read, but not kept`,
        );
    }
  }

  async function removeDataset(key: string): Promise<void> {
    try {
      await deleteCachedDataset(key);
    } finally {
      await refreshDatasets();
      channel?.postMessage('changed');
    }
  }

  /**
   * Adds a `name label` file (e.g. `eac dataset labels` output) to a cached dataset that names its
   * classes, and selects it; resolves to why not (one line), or null.
   */
  async function addDatasetLabelFile(key: string, file: File): Promise<string | null> {
    // Checked before reading: a huge file is never read into memory.
    if (file.size > MAX_LABEL_FILE_BYTES)
      return `${file.name} is ${bytesText(file.size)}, more than a label file may be (${bytesText(MAX_LABEL_FILE_BYTES)})`;
    try {
      await addLabelFile(key, file.name, await file.text());
    } catch (e) {
      return e instanceof Error ? e.message : String(e);
    }
    await refreshDatasets();
    channel?.postMessage('changed');
    const sel = useData.getState().selected;
    if (sel.kind === 'cached' && sel.key === key) useData.getState().setLabelFile(file.name);
    return null;
  }

  // Another tab added or removed a dataset: list them again.
  if (channel)
    channel.onmessage = () => {
      void refreshDatasets();
    };

  return {
    ingestSource,
    ingestDrop,
    ingestInputFiles,
    pickFolder,
    cancelIngest,
    refreshDatasets,
    removeDataset,
    addDatasetLabelFile,
    dispose(): void {
      unsubscribe();
      channel?.close();
      host.drop();
    },
  };
}
