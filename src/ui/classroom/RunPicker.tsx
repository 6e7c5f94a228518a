// Choosing the stored run the classroom shows: runs with a checkpoint, newest first, named by
// method, noise rate, epoch and date so a teacher can tell baseline from EAC at a glance.
import type { RunRecord } from '../../storage/run-store.ts';
import { useClassroom, withCheckpoint } from './classroom-store.ts';
import { useControllers } from '../lab-context.tsx';
import { distinctLabels } from '../run/run-names.ts';
import { dateText } from '../../engine/format.ts';

export function runLabel(r: RunRecord): string {
  const method = r.request.config.method === 'eac' ? 'EAC' : 'Baseline';
  const noise =
    r.request.data.noiseRate > 0
      ? `${Math.round(r.request.data.noiseRate * 100)}% noise`
      : r.request.data.kind === 'cached' && r.request.data.labelFile
        ? r.request.data.labelFile
        : 'clean labels';
  const when = dateText(r.createdAt);
  return `${method} · ${noise} · epoch ${r.checkpointEpoch}/${r.request.config.epochs} · ${when}`;
}

export function RunPicker() {
  const runs = useClassroom((s) => s.runs);
  const runKey = useClassroom((s) => s.a.runKey);
  const { selectRun, refreshRuns: refresh } = useControllers().classroom;
  const usable = withCheckpoint(runs);
  const labels = distinctLabels(usable, runLabel);
  return (
    <label className="cr-run-picker">
      <span>Model</span>
      <select
        value={runKey ?? ''}
        onChange={(e) => selectRun('a', e.target.value || null)}
        onFocus={() => void refresh()}
        disabled={usable.length === 0}
        data-testid="cr-run"
      >
        {usable.length === 0 ? <option value="">no stored run with a checkpoint</option> : null}
        {usable.map((r) => (
          <option key={r.key} value={r.key}>
            {labels.get(r.key)}
          </option>
        ))}
      </select>
    </label>
  );
}
