// The run store as this page last read it (zustand): the stored runs of this and other tabs, and
// which of them a worker (in any tab) trains now. run/stored-runs.ts reads them.
import { create } from 'zustand';
import type { RunRecord } from '../storage/run-store.ts';

/** The runs in the run store, and which of them a worker (in any tab) is training now. */
export interface StoredRuns {
  records: RunRecord[];
  live: string[];
}

export interface StoredRunsState {
  stored: StoredRuns;
  setStored: (stored: StoredRuns) => void;
}

export const useStoredRuns = create<StoredRunsState>()((set) => ({
  stored: { records: [], live: [] },
  setStored: (stored) => set({ stored }),
}));
