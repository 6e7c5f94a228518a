// The comparison view's state (zustand): every stored run of this browser (all tabs), which of them
// a worker trains now, which the user has hidden from the charts, and the outcome of the last
// import or history action. It follows the run store through the runs' BroadcastChannel (each
// announcement re-reads that one record) and a poll every few seconds as a fallback.
import { useMemo } from 'react';
import { create } from 'zustand';
import {
  deleteRun,
  getRun,
  readRuns,
  liveRunKeys,
  newRunKey,
  renameRun,
  storeImportedRuns,
  type RunRecord,
} from '../../storage/run-store.ts';
import { announceRun, listenRuns, type RunAnnouncement } from '../../storage/run-channel.ts';
import { newRunsOnly, parseRunsFile, RunFileError } from './run-files.ts';
import { runColor, runColors } from './compare-data.ts';

export const POLL_MS = 5000;

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

const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** Re-reads every record and which runs are alive. */
export async function refreshAll(): Promise<void> {
  try {
    const [{ runs, problems }, live] = await Promise.all([readRuns(), liveRunKeys()]);
    useCompare.getState().setRecords(runs, [...live], problems);
  } catch (e) {
    useCompare.getState().failed(`the run store (IndexedDB) cannot be read: ${errorText(e)}`);
  }
}

async function refreshOne(key: string): Promise<void> {
  try {
    const [record, live] = await Promise.all([getRun(key), liveRunKeys()]);
    const s = useCompare.getState();
    if (record) s.upsert(record);
    else s.remove(key);
    s.setLive([...live]);
  } catch (e) {
    console.warn('[eac] could not re-read a run', e);
  }
}

export function onAnnouncement(msg: RunAnnouncement): void {
  if (msg.type === 'run-deleted') useCompare.getState().remove(msg.key);
  else if (msg.type === 'run-imported') void refreshAll();
  else void refreshOne(msg.key);
}

/** Follows the run store while the comparison view is shown; returns the function that stops. */
export function followRuns(): () => void {
  void refreshAll();
  const stopListening = listenRuns(onAnnouncement);
  const timer = setInterval(() => void refreshAll(), POLL_MS);
  return () => {
    stopListening();
    clearInterval(timer);
  };
}

export async function rename(key: string, name: string): Promise<boolean> {
  try {
    const r = await renameRun(key, name);
    useCompare.getState().upsert(r);
    announceRun({ type: 'run-renamed', key, name: r.name });
    return true;
  } catch (e) {
    useCompare.getState().setMessage({ kind: 'error', text: `Rename failed: ${errorText(e)}` });
    return false;
  }
}

export async function remove(key: string): Promise<void> {
  try {
    const live = await liveRunKeys();
    if (live.has(key)) throw new Error('the run is training (in this or another tab): stop it first');
    await deleteRun(key);
    useCompare.getState().remove(key);
    announceRun({ type: 'run-deleted', key });
  } catch (e) {
    useCompare.getState().setMessage({ kind: 'error', text: `Delete failed: ${errorText(e)}` });
  }
}

/** Imports every file; a bad file is reported and the others still come in. */
export async function importFiles(files: readonly { name: string; text: () => Promise<string> }[]): Promise<void> {
  const lines: string[] = [];
  let imported = 0;
  let failed = false;
  const keys: string[] = [];
  for (const f of files) {
    try {
      const parsed = parseRunsFile(await f.text(), f.name, () => `imp-${newRunKey()}`);
      const { fresh, duplicates } = newRunsOnly(parsed.records, useCompare.getState().records);
      const stored = await storeImportedRuns(fresh);
      stored.forEach((r) => useCompare.getState().upsert(r));
      keys.push(...stored.map((r) => r.key));
      imported += stored.length;
      const parts = [`${f.name}: ${stored.length} run${stored.length === 1 ? '' : 's'} imported`];
      if (duplicates.length) parts.push(`${duplicates.length} already here`);
      if (parsed.skipped.length) {
        failed = true;
        parts.push(`${parsed.skipped.length} skipped (${parsed.skipped.join('; ')})`);
      }
      lines.push(parts.join(', '));
    } catch (e) {
      failed = true;
      lines.push(e instanceof RunFileError ? e.message : `${f.name}: ${errorText(e)}`);
    }
  }
  if (keys.length) announceRun({ type: 'run-imported', keys });
  useCompare.getState().setMessage({ kind: failed && imported === 0 ? 'error' : 'info', text: lines.join('. ') });
}
