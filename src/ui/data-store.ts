// The "Data" step's state (zustand): which dataset training uses (`selected`, read by the run
// settings), the cached datasets, and the folder being read. Ingest-worker messages come in
// through `receive`, which ignores anything about an ingest other than the current one.
import { create } from 'zustand';
import type { CachedDatasetInfo } from '../storage/dataset-cache.ts';
import type { FromIngestWorker, IngestPhase, IngestTimings } from '../worker/ingest-protocol.ts';

/** The dataset a run trains on: the built-in demo, or a cached RAF-DB folder with a label file (null: the clean labels). */
export type DataSelection = { kind: 'demo' } | { kind: 'cached'; key: string; name: string; labelFile: string | null };

export type IngestStatus = 'idle' | 'collecting' | 'running' | 'cancelling' | 'done' | 'cancelled' | 'error';

export interface IngestState {
  id: number;
  status: IngestStatus;
  /** The dropped or chosen folder's name. */
  source: string | null;
  /** 'collecting': the page walks a dropped folder's entries before handing its files over. */
  phase: IngestPhase | 'collecting' | null;
  /** The phase's progress (Progress without its detail: the panel words it per phase). */
  done: number;
  total: number;
  perSecond: number | null;
  etaSeconds: number | null;
  /** The worker's words for what the phase does ("reading files" for IDX and CIFAR files). */
  detail?: string;
  error: string | null;
  /** The finished ingest: its key, whether the cache already held it, how long each phase took. */
  result: { key: string; fromCache: boolean; timings: IngestTimings } | null;
  /** Files the page's folder walk could not open (they count as missing images). */
  unopened: string[];
}

export interface DataState {
  selected: DataSelection;
  datasets: CachedDatasetInfo[];
  /** 'unavailable': IndexedDB cannot be used here (the message says why). */
  datasetsStatus: 'loading' | 'ready' | 'unavailable';
  datasetsError: string | null;
  ingest: IngestState;
  /** FERPlus and AffectNet folders read next: their 7 basic expressions rather than 8. */
  basicClasses: boolean;
  setBasicClasses: (on: boolean) => void;
  select: (sel: DataSelection) => void;
  setLabelFile: (file: string | null) => void;
  setDatasets: (list: CachedDatasetInfo[]) => void;
  datasetsFailed: (message: string) => void;
  beginCollecting: (id: number, source: string) => void;
  collected: (files: number) => void;
  beginIngest: (id: number, source: string, unopened: string[]) => void;
  markCancelling: () => void;
  ingestFailed: (message: string) => void;
  receive: (msg: FromIngestWorker) => void;
}

const idleIngest: IngestState = {
  id: 0,
  status: 'idle',
  source: null,
  phase: null,
  done: 0,
  total: 0,
  perSecond: null,
  etaSeconds: null,
  error: null,
  result: null,
  unopened: [],
};

/** The cached dataset the selection names (undefined: the demo, or not listed yet). */
export function selectedInfo(s: Pick<DataState, 'selected' | 'datasets'>): CachedDatasetInfo | undefined {
  const sel = s.selected;
  return sel.kind === 'cached' ? s.datasets.find((d) => d.key === sel.key) : undefined;
}

export function isIngesting(status: IngestStatus): boolean {
  return status === 'collecting' || status === 'running' || status === 'cancelling';
}

export const useData = create<DataState>((set, get) => ({
  // The data controller restores the saved selection when it is made (src/ui/data-client.ts).
  selected: { kind: 'demo' },
  datasets: [],
  datasetsStatus: 'loading',
  datasetsError: null,
  ingest: idleIngest,
  basicClasses: false,
  setBasicClasses: (basicClasses) => set({ basicClasses }),
  select: (selected) => set({ selected }),
  setLabelFile: (labelFile) => {
    const s = get().selected;
    if (s.kind !== 'cached') return;
    get().select({ ...s, labelFile });
  },
  setDatasets: (datasets) => {
    const s = get().selected;
    // A selection whose dataset is gone (deleted here or in another tab, site data cleared) falls back to the demo.
    if (s.kind === 'cached') {
      const info = datasets.find((d) => d.key === s.key);
      if (!info) get().select({ kind: 'demo' });
      else if (s.labelFile !== null && !info.labelFiles.some((l) => l.file === s.labelFile)) get().select({ ...s, labelFile: null });
    }
    set({ datasets, datasetsStatus: 'ready', datasetsError: null });
  },
  datasetsFailed: (message) => {
    // Without the cache a saved RAF-DB selection cannot be loaded: back to the demo.
    if (get().selected.kind === 'cached') get().select({ kind: 'demo' });
    set({ datasetsStatus: 'unavailable', datasetsError: message });
  },
  beginCollecting: (id, source) => set({ ingest: { ...idleIngest, id, status: 'collecting', source, phase: 'collecting' } }),
  collected: (files) => {
    const ing = get().ingest;
    if (ing.status === 'collecting') set({ ingest: { ...ing, done: files } });
  },
  beginIngest: (id, source, unopened) => set({ ingest: { ...idleIngest, id, status: 'running', source, phase: 'listing', unopened } }),
  markCancelling: () => {
    const ing = get().ingest;
    if (isIngesting(ing.status)) set({ ingest: { ...ing, status: 'cancelling' } });
  },
  ingestFailed: (message) => set({ ingest: { ...get().ingest, status: 'error', error: message, phase: null } }),
  receive: (msg) => {
    const ing = get().ingest;
    if (msg.id !== ing.id) return;
    switch (msg.type) {
      case 'progress':
        if (ing.status === 'cancelling')
          set({
            ingest: {
              ...ing,
              phase: msg.phase,
              done: msg.done,
              total: msg.total,
              perSecond: msg.perSecond,
              etaSeconds: msg.etaSeconds,
              detail: msg.detail,
            },
          });
        else
          set({
            ingest: {
              ...ing,
              status: 'running',
              phase: msg.phase,
              done: msg.done,
              total: msg.total,
              perSecond: msg.perSecond,
              etaSeconds: msg.etaSeconds,
              detail: msg.detail,
            },
          });
        break;
      case 'done': {
        set({
          ingest: {
            ...ing,
            status: 'done',
            phase: null,
            etaSeconds: null,
            result: { key: msg.key, fromCache: msg.fromCache, timings: msg.timings },
          },
        });
        const others = get().datasets.filter((d) => d.key !== msg.key);
        set({ datasets: [msg.info, ...others], datasetsStatus: 'ready' });
        get().select({ kind: 'cached', key: msg.key, name: msg.info.name, labelFile: null });
        break;
      }
      case 'cancelled':
        set({ ingest: { ...ing, status: 'cancelled', phase: null, etaSeconds: null } });
        break;
      case 'error':
        set({ ingest: { ...ing, status: 'error', phase: null, etaSeconds: null, error: msg.message } });
        break;
    }
  },
}));
