// The compare controller: reads the run store into the compare store and follows it while the
// comparison view is shown (the runs' BroadcastChannel re-reads one record per announcement, and a
// poll every few seconds is the fallback); renames, deletes and imports runs. Made once by
// createLab.
import { deleteRun, getRun, readRuns, liveRunKeys, newRunKey, renameRun, storeImportedRuns } from '../../storage/run-store.ts';
import { announceRun, listenRuns, type RunAnnouncement } from '../../storage/run-channel.ts';
import { newRunsOnly, parseRunsFile, RunFileError } from './run-files.ts';
import { useCompare } from './compare-store.ts';

export const POLL_MS = 5000;

const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** The compare controller's methods (one per lab: createLab). */
export type CompareController = ReturnType<typeof createCompareController>;

export function createCompareController() {
  /** Re-reads every record and which runs are alive. */
  async function refreshAll(): Promise<void> {
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

  function onAnnouncement(msg: RunAnnouncement): void {
    if (msg.type === 'run-deleted') useCompare.getState().remove(msg.key);
    else if (msg.type === 'run-imported') void refreshAll();
    else void refreshOne(msg.key);
  }

  /** Follows the run store while the comparison view is shown; returns the function that stops. */
  function followRuns(): () => void {
    void refreshAll();
    const stopListening = listenRuns(onAnnouncement);
    const timer = setInterval(() => void refreshAll(), POLL_MS);
    return () => {
      stopListening();
      clearInterval(timer);
    };
  }

  async function rename(key: string, name: string): Promise<boolean> {
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

  async function remove(key: string): Promise<void> {
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
  async function importFiles(files: readonly { name: string; text: () => Promise<string> }[]): Promise<void> {
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

  return { refreshAll, followRuns, rename, remove, importFiles };
}
