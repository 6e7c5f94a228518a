// The comparison view's state (zustand): every stored run of this browser (all tabs), which of them
// a worker trains now, which the user has hidden from the charts, and the outcome of the last
// import or history action. State only: the compare controller (compare-controller.ts) reads and
// writes the run store and follows it.
import { useMemo } from 'react';
import { create } from 'zustand';
import type { RunRecord } from '../../storage/run-store.ts';
import { runColor, runColors } from './compare-data.ts';

export interface CompareState {
  records: RunRecord[];
  live: string[];
  status: 'loading' | 'ready' | 'error';
  error: string | null;
  /** Runs left out of the charts (new runs show up by default). */
  hidden: string[];
  /** Stored records that do not read back as runs: one line each; they are left out, the others shown. */
  problems: string[];
  /** What the last import, rename or delete did (or why it failed). */
  message: { kind: 'info' | 'error'; text: string } | null;
  setRecords: (records: RunRecord[], live: string[], problems?: string[]) => void;
  upsert: (record: RunRecord) => void;
  remove: (key: string) => void;
  setLive: (live: string[]) => void;
  failed: (message: string) => void;
  toggle: (key: string) => void;
  showOnly: (keys: string[] | null) => void;
  setMessage: (m: CompareState['message']) => void;
}

const newestFirst = (a: RunRecord, b: RunRecord) => b.createdAt.localeCompare(a.createdAt);

export const useCompare = create<CompareState>()((set) => ({
  records: [],
  live: [],
  status: 'loading',
  error: null,
  hidden: [],
  problems: [],
  message: null,
  setRecords: (records, live, problems = []) => set({ records, live, problems, status: 'ready', error: null }),
  upsert: (record) =>
    set((s) => ({
      records: s.records
        .filter((r) => r.key !== record.key)
        .concat([record])
        .sort(newestFirst),
    })),
  remove: (key) => set((s) => ({ records: s.records.filter((r) => r.key !== key), hidden: s.hidden.filter((k) => k !== key) })),
  setLive: (live) => set({ live }),
  failed: (message) => set({ status: 'error', error: message }),
  toggle: (key) => set((s) => ({ hidden: s.hidden.includes(key) ? s.hidden.filter((k) => k !== key) : s.hidden.concat([key]) })),
  showOnly: (keys) => set((s) => ({ hidden: keys === null ? [] : s.records.map((r) => r.key).filter((k) => !keys.includes(k)) })),
  setMessage: (message) => set({ message }),
}));

/** Each run's colour (the same in every tab and chart). */
export function useRunColor(): (key: string) => string {
  const records = useCompare((s) => s.records);
  return useMemo(() => {
    const colors = runColors(records);
    return (key: string) => colors.get(key) ?? runColor(key);
  }, [records]);
}
