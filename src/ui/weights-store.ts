// The page's state of pretrained weights (zustand): the cached list, the selection a run starts
// from, the import in progress (or its outcome) and the storage line. The weights worker's
// messages come in through `receive`; src/ui/weights-client.ts does the work.
//
// For the run: `useWeights.getState().selected` is the StartMessage's `weights` ({key, name} or
// null for random init); `selectedRecord` has its arch and width (a run must use those).
import { create } from 'zustand';
import type { Arch } from '../engine/resnet.ts';
import type { KeyReport } from '../weights/keymap.ts';
import type { StorageStatus, WeightsRecord } from '../storage/weights-records.ts';
import type { WeightsChoice } from '../engine/run-request.ts';
import type { FromWeightsWorker } from '../worker/weights-protocol.ts';
import type { ImportErrorKind, ImportStage } from '../storage/import-stages.ts';

export type ImportStatus = 'running' | 'cancelling' | 'done' | 'cancelled' | 'error';

export interface ImportState {
  id: number;
  fileName: string;
  size: number;
  status: ImportStatus;
  stage: ImportStage;
  /** Bytes read so far. */
  done: number;
  perSecond: number | null;
  etaSeconds: number | null;
  startedAt: number;
  /** After 'done'. */
  record: WeightsRecord | null;
  cached: boolean;
  report: KeyReport | null;
  totalMs: number | null;
  timings: Partial<Record<ImportStage, number>>;
  peakHeapBytes: number | null;
  /** After 'error'. */
  error: { kind: ImportErrorKind; message: string } | null;
}

export interface StorageLine extends StorageStatus {
  /** The answer to the last persistence request, if any. */
  message: string | null;
}

export interface WeightsState {
  records: WeightsRecord[];
  listStatus: 'loading' | 'ready' | 'error';
  /** A problem with the cache itself (IndexedDB unavailable, a failed delete or rename). */
  cacheError: string | null;
  selected: WeightsChoice | null;
  selectedRecord: WeightsRecord | null;
  /** Refuse imports that are not this architecture; null: any. */
  expectArch: Arch | null;
  importing: ImportState | null;
  storage: StorageLine | null;
  setRecords: (records: WeightsRecord[]) => void;
  setListError: (message: string) => void;
  setCacheError: (message: string | null) => void;
  select: (key: string | null) => void;
  setExpectArch: (arch: Arch | null) => void;
  beginImport: (id: number, file: { name: string; size: number }) => void;
  markCancelling: () => void;
  receive: (msg: FromWeightsWorker) => void;
  /** The worker died or was terminated. */
  importFailed: (id: number, status: 'cancelled' | 'error', message: string) => void;
  setStorage: (s: StorageLine) => void;
}

function choiceOf(r: WeightsRecord | null): WeightsChoice | null {
  return r ? { key: r.key, name: r.name } : null;
}

/** The running import after one worker message (pure; exported for tests). */
export function reduceImport(cur: ImportState | null, msg: FromWeightsWorker): ImportState | null {
  if (!cur || msg.id !== cur.id || (cur.status !== 'running' && cur.status !== 'cancelling')) return cur;
  switch (msg.type) {
    case 'progress':
      return { ...cur, stage: msg.stage, done: msg.done, perSecond: msg.perSecond ?? cur.perSecond, etaSeconds: msg.etaSeconds };
    case 'done':
      return {
        ...cur,
        status: 'done',
        done: cur.size,
        etaSeconds: null,
        record: msg.record,
        cached: msg.cached,
        report: msg.report,
        totalMs: msg.totalMs,
        timings: msg.timings,
        peakHeapBytes: msg.peakHeapBytes,
      };
    case 'cancelled':
      return { ...cur, status: 'cancelled' };
    case 'error':
      return { ...cur, status: 'error', error: { kind: msg.kind, message: msg.message } };
  }
}

export const useWeights = create<WeightsState>()((set) => ({
  records: [],
  listStatus: 'loading',
  cacheError: null,
  selected: null,
  selectedRecord: null,
  expectArch: null,
  importing: null,
  storage: null,
  setRecords: (records) =>
    set((s) => {
      // A selection whose record is gone (deleted, evicted) falls back to random init.
      const rec = s.selected ? (records.find((r) => r.key === s.selected!.key) ?? null) : null;
      return { records, listStatus: 'ready', selectedRecord: rec, selected: choiceOf(rec) };
    }),
  setListError: (message) => set({ listStatus: 'error', cacheError: message }),
  setCacheError: (message) => set({ cacheError: message }),
  select: (key) =>
    set((s) => {
      const rec = key === null ? null : (s.records.find((r) => r.key === key) ?? null);
      return { selectedRecord: rec, selected: choiceOf(rec) };
    }),
  setExpectArch: (expectArch) => set({ expectArch }),
  beginImport: (id, file) =>
    set({
      importing: {
        id,
        fileName: file.name,
        size: file.size,
        status: 'running',
        stage: 'read',
        done: 0,
        perSecond: null,
        etaSeconds: null,
        startedAt: Date.now(),
        record: null,
        cached: false,
        report: null,
        totalMs: null,
        timings: {},
        peakHeapBytes: null,
        error: null,
      },
    }),
  markCancelling: () => set((s) => (s.importing?.status === 'running' ? { importing: { ...s.importing, status: 'cancelling' } } : {})),
  receive: (msg) => set((s) => ({ importing: reduceImport(s.importing, msg) })),
  importFailed: (id, status, message) =>
    set((s) =>
      s.importing?.id === id && (s.importing.status === 'running' || s.importing.status === 'cancelling')
        ? { importing: { ...s.importing, status, error: status === 'error' ? { kind: 'internal', message } : null } }
        : {},
    ),
  setStorage: (storage) => set({ storage }),
}));

export function isImporting(s: Pick<WeightsState, 'importing'>): boolean {
  return s.importing?.status === 'running' || s.importing?.status === 'cancelling';
}
