// The page's side of pretrained weights: owns the weights import worker (started on the first
// import, through a WorkerHost), forwards its messages to the weights store, and does the cheap
// cache operations (list, rename, delete, storage estimate, persistence) on the page directly.
// Components call its methods (through the lab, src/ui/lab.ts); they never touch the worker or
// IndexedDB themselves. Importing this file starts nothing: createWeightsController makes the host.
import {
  deleteCachedWeights,
  listCachedWeights,
  renameCachedWeights,
  requestPersistentStorage,
  storageStatus,
} from '../storage/weights-records.ts';
import type { FromWeightsWorker, ToWeightsWorker } from '../worker/weights-protocol.ts';
import { isImporting, useWeights } from './weights-store.ts';
import { WorkerHost } from './worker-host.ts';

/** How long a cancel may take before the worker is terminated (a large pickle parses for seconds in one go). */
const CANCEL_GRACE_MS = 4_000;
const SELECTED_KEY = 'eac-weights-selected';

const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e));

function rememberSelection(key: string | null): void {
  try {
    if (key) localStorage.setItem(SELECTED_KEY, key);
    else localStorage.removeItem(SELECTED_KEY);
  } catch {
    // Private modes may refuse localStorage: the selection then lasts for this page only.
  }
}

function savedSelection(): string | null {
  try {
    return localStorage.getItem(SELECTED_KEY);
  } catch {
    return null;
  }
}

/** The weights controller's methods (one per lab: createLab). */
export type WeightsController = ReturnType<typeof createWeightsController>;

export function createWeightsController() {
  let nextId = 1;
  /** The cached keys when the current import began: what a killed import may have added. */
  let keysBefore = new Set<string>();

  /** A failed worker fails the running import, if any. */
  function failImport(message: string): void {
    const id = useWeights.getState().importing?.id;
    if (id !== undefined) useWeights.getState().importFailed(id, 'error', message);
  }

  const host = new WorkerHost<ToWeightsWorker, FromWeightsWorker>({
    create: () => new Worker(new URL('../../workers/weights.worker.ts', import.meta.url), { type: 'module', name: 'eac-weights' }),
    label: 'weights',
    onMessage: (msg) => {
      const state = useWeights.getState();
      if (msg.id !== state.importing?.id) return;
      if (msg.type !== 'progress') host.cancelKill();
      state.receive(msg);
      if (msg.type === 'done') {
        // The user imported it to use it.
        void refreshWeights().then(() => selectWeights(msg.record.key));
        if (!msg.cached) void requestPersistence();
        else void refreshStorage();
      }
    },
    onError: failImport,
    onMessageError: failImport,
    dropOnError: true,
  });

  function send(msg: ToWeightsWorker): void {
    host.send(msg);
  }

  /** Loads the cached list (and restores the last selection). */
  async function refreshWeights(): Promise<void> {
    const state = useWeights.getState();
    try {
      const records = await listCachedWeights();
      const first = state.listStatus === 'loading';
      useWeights.getState().setRecords(records);
      if (first) {
        const saved = savedSelection();
        if (saved && records.some((r) => r.key === saved)) useWeights.getState().select(saved);
      }
    } catch (e) {
      useWeights.getState().setListError(`the weights cache (IndexedDB) cannot be read: ${errorText(e)}`);
    }
  }

  async function refreshStorage(): Promise<void> {
    const s = await storageStatus();
    useWeights.getState().setStorage({ ...s, message: useWeights.getState().storage?.message ?? null });
  }

  /** Asks for persistent storage (navigator.storage.persist) and shows the answer. */
  async function requestPersistence(): Promise<void> {
    const r = await requestPersistentStorage();
    const s = await storageStatus();
    useWeights.getState().setStorage({ ...s, persisted: s.persisted ?? r.persisted, message: r.message });
  }

  /** Starts importing a file off the main thread; false if another import is running. */
  function importWeights(file: File): boolean {
    const state = useWeights.getState();
    if (isImporting(state)) return false;
    const id = nextId++;
    keysBefore = new Set(state.records.map((r) => r.key));
    state.beginImport(id, file);
    send({ type: 'import', id, file, arch: state.expectArch });
    return true;
  }

  /** Stops the import at its next chunk or stage; terminates the worker if it does not answer in time. */
  function cancelImport(): void {
    const state = useWeights.getState();
    const imp = state.importing;
    if (imp?.status !== 'running') return;
    state.markCancelling();
    send({ type: 'cancel', id: imp.id });
    host.killAfter(
      CANCEL_GRACE_MS,
      () => useWeights.getState().importing?.id === imp.id && useWeights.getState().importing?.status === 'cancelling',
      () => {
        useWeights.getState().importFailed(imp.id, 'cancelled', '');
        // A write that committed just before the kill: remove it, as the user cancelled.
        void listCachedWeights()
          .then(async (records) => {
            for (const r of records) if (!keysBefore.has(r.key) && r.sourceFile === imp.fileName) await deleteCachedWeights(r.key);
          })
          .catch(() => undefined)
          .finally(() => void refreshWeights());
      },
    );
  }

  function selectWeights(key: string | null): void {
    useWeights.getState().select(key);
    rememberSelection(useWeights.getState().selected?.key ?? null);
  }

  async function renameWeights(key: string, name: string): Promise<boolean> {
    try {
      await renameCachedWeights(key, name);
      useWeights.getState().setCacheError(null);
      await refreshWeights();
      return true;
    } catch (e) {
      useWeights.getState().setCacheError(`rename failed: ${errorText(e)}`);
      await refreshWeights();
      return false;
    }
  }

  async function deleteWeights(key: string): Promise<void> {
    try {
      await deleteCachedWeights(key);
      useWeights.getState().setCacheError(null);
    } catch (e) {
      useWeights.getState().setCacheError(`delete failed: ${errorText(e)}`);
    }
    if (useWeights.getState().selected?.key === key) selectWeights(null);
    await refreshWeights();
    await refreshStorage();
  }

  return {
    refreshWeights,
    refreshStorage,
    requestPersistence,
    importWeights,
    cancelImport,
    selectWeights,
    renameWeights,
    deleteWeights,
    dispose(): void {
      host.drop();
    },
  };
}
