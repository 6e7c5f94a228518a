// Re-opening a stored run: its record, the step losses of its last checkpoint and its attention
// history, loaded from the run store into the lab's charts and attention panel (read-only; the
// tab's own last run comes back when the view is closed).
import { loadAttention, loadCheckpoint, type RunRecord } from '../../storage/run-store.ts';
import { useRun } from '../current-run-store.ts';
import { useCompare } from './compare-store.ts';
import { runStateOfRecord } from './compare-data.ts';

export async function openStoredRun(r: RunRecord): Promise<boolean> {
  try {
    // Imported runs have no checkpoint: their epochs only (no steps, no attention maps).
    let damagedMaps: string | null = null;
    const maps = () =>
      loadAttention(r.key).catch((e: unknown) => {
        damagedMaps = e instanceof Error ? e.message : String(e);
        return null;
      });
    const [ckpt, attention] = r.checkpointEpoch === null ? [null, null] : await Promise.all([loadCheckpoint(r.key), maps()]);
    const ok = useRun.getState().viewStoredRun(runStateOfRecord(r, ckpt?.steps ?? [], attention), r.name);
    // The run opens without its attention maps when they are damaged, and says so.
    if (ok && damagedMaps)
      useCompare.getState().setMessage({ kind: 'error', text: `"${r.name}" opened without its attention maps: ${damagedMaps}` });
    if (!ok)
      useCompare
        .getState()
        .setMessage({ kind: 'error', text: 'This tab is training: its charts are in use. Open the run from another tab.' });
    return ok;
  } catch (e) {
    useCompare.getState().setMessage({ kind: 'error', text: `Could not open "${r.name}": ${e instanceof Error ? e.message : String(e)}` });
    return false;
  }
}
