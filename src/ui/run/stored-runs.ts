// The run store as the page reads it: the stored runs (this tab's and other tabs'), which of them
// a worker trains now, and which could be resumed. No state of its own: the lab store holds what
// was read.
import { isInterrupted, listRuns, liveRunKeys, type RunRecord } from '../../storage/run-store.ts';
import { useStoredRuns } from '../stored-runs-store.ts';

/** Re-reads the run store (runs of this and other tabs, and which are alive). */
export async function refreshStoredRuns(): Promise<void> {
  try {
    const [records, live] = await Promise.all([listRuns(), liveRunKeys()]);
    useStoredRuns.getState().setStored({ records, live: [...live] });
  } catch (e) {
    console.warn('[eac] could not read the run store', e);
  }
}

/** Stored runs a reload, crash or lost device interrupted, that have a checkpoint to resume from. */
export function resumableRuns(records: RunRecord[], live: string[], currentKey: string | null): RunRecord[] {
  const liveSet = new Set(live);
  return records.filter(
    (r) =>
      r.key !== currentKey &&
      r.checkpointEpoch !== null &&
      (isInterrupted(r, liveSet) || (r.status === 'stopped' && r.checkpointEpoch < r.request.config.epochs)),
  );
}
