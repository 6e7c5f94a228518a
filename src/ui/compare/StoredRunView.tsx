// A re-opened stored run, read-only: the lab's own charts, per-epoch table and attention panel,
// fed from the run store instead of a training worker.
import { useRun } from '../current-run-store.ts';
import { RunCharts } from '../components/RunCharts.tsx';
import { AttentionPanel } from '../components/AttentionPanel.tsx';
import { EpochTable } from '../components/EpochTable.tsx';

export function StoredRunView() {
  const viewing = useRun((s) => s.viewing);
  const close = useRun((s) => s.closeStoredRun);
  const frames = useRun((s) => s.run.attention.frames.length);
  const steps = useRun((s) => s.run.steps.length);
  if (!viewing) return null;
  return (
    <section className="stored-run" aria-label={`Stored run ${viewing.name}`} data-testid="stored-run-view">
      <div className="banner banner-info stored-run-head">
        <span>
          Viewing the stored run <b>{viewing.name}</b> (read-only{steps === 0 ? ', per-epoch figures only' : ''}
          {frames === 0 ? ', no attention maps stored' : ''}).
        </span>
        <button type="button" onClick={close} data-testid="close-stored-run">
          Close
        </button>
      </div>
      <RunCharts />
      {frames > 0 ? <AttentionPanel /> : null}
      <EpochTable />
    </section>
  );
}
