// The runs stored in this browser (this tab's and other tabs'): status, progress, last-5 test
// accuracy; resume an interrupted run from its last checkpoint, download its model, delete it.
import { memo, useEffect, useDeferredValue } from 'react';
import { isRunning, useRun } from '../current-run-store.ts';
import { useStoredRuns, type StoredRuns } from '../stored-runs-store.ts';
import { useNotices } from '../notices-store.ts';
import { useControllers } from '../lab-context.tsx';
import { refreshStoredRuns, resumableRuns } from '../run/stored-runs.ts';
import { deleteRun, type RunRecord } from '../../storage/run-store.ts';
import { meanOfLast } from '../../engine/metrics.ts';
import { listenRuns } from '../../storage/run-channel.ts';
import { resumeLabel } from '../checkpoint-text.ts';
import { distinctNames } from '../run/run-names.ts';
import { dateText } from '../../engine/format.ts';

function statusOf(r: RunRecord, live: Set<string>, current: string | null): string {
  if (r.key === current) return 'this tab';
  if (live.has(r.key)) return 'training in another tab';
  if (r.status === 'running' || r.status === 'paused') return 'interrupted';
  return r.status;
}

const pct = (x: number | null) => (x === null ? '–' : `${(x * 100).toFixed(1)}%`);

export function RunsPanel() {
  // The list is re-read at every checkpoint of a run: drawn in a non-blocking render (useDeferredValue).
  const stored = useDeferredValue(useStoredRuns((s) => s.stored));
  const current = useRun((s) => s.run.runKey);
  const busy = useRun((s) => isRunning(s.run.status));
  const exportError = useNotices((s) => s.exportError);
  useEffect(() => {
    void refreshStoredRuns();
    const onFocus = () => void refreshStoredRuns();
    window.addEventListener('focus', onFocus);
    // Runs of other tabs announce themselves on the runs channel.
    const stop = listenRuns(() => void refreshStoredRuns());
    return () => {
      window.removeEventListener('focus', onFocus);
      stop();
    };
  }, []);
  return (
    <section className="panel runs" aria-label="Stored runs" data-testid="runs-panel">
      <h2>Runs in this browser</h2>
      <RunList stored={stored} current={current} busy={busy} />
      {exportError ? <p className="error">Model export failed: {exportError}</p> : null}
    </section>
  );
}

const RunList = memo(function RunList({ stored, current, busy }: { stored: StoredRuns; current: string | null; busy: boolean }) {
  const { exportLabels, exportModel, resumeRun } = useControllers().run;
  const live = new Set(stored.live);
  const resumable = new Set(resumableRuns(stored.records, stored.live, busy ? current : null).map((r) => r.key));
  const names = distinctNames(stored.records);
  return stored.records.length === 0 ? (
    <p className="muted">
      Every run is stored here with a checkpoint after each epoch, every few seconds within one (as often as a checkpoint's measured cost
      allows, at most two minutes apart) and when the tab is hidden, so a reload resumes at about the step it reached.
    </p>
  ) : (
    <ul className="runs-list">
      {stored.records.map((r) => {
        const status = statusOf(r, live, current);
        return (
          <li key={r.key} data-testid="stored-run" data-status={status} data-checkpoint={r.checkpointEpoch ?? ''}>
            <div className="run-line">
              <b title={r.key}>{names.get(r.key) ?? r.name}</b>
              <span className={`run-state run-state-${status.replace(/\s+/g, '-')}`}>{status}</span>
            </div>
            <div className="run-line muted">
              <span>{dateText(r.createdAt)}</span>
              <span>
                epoch {r.epochs.length}/{r.request.config.epochs} · test (last 5){' '}
                {pct(
                  meanOfLast(
                    r.epochs.map((e) => e.testAcc),
                    5,
                  ),
                )}
              </span>
            </div>
            <div className="run-actions">
              {resumable.has(r.key) ? (
                <button type="button" className="primary" disabled={busy} onClick={() => resumeRun(r.key)} data-testid="resume-run">
                  {resumeLabel(r.checkpointEpoch!, r.checkpointStep, r.checkpointPartial)}
                </button>
              ) : null}
              {r.checkpointEpoch !== null ? (
                <button
                  type="button"
                  onClick={() => exportModel(r.key)}
                  title="safetensors with the official EAC key names (features.*, fc.*)"
                >
                  Download model
                </button>
              ) : null}
              <button
                type="button"
                data-testid="export-labels"
                onClick={() => exportLabels(r.key)}
                title="the training labels this run used, its noise applied: name label lines, labels 1…K (as eac dataset labels writes; eac --labels and the Data panel read it)"
              >
                Download labels
              </button>
              <button
                type="button"
                disabled={live.has(r.key) || r.key === current}
                onClick={() => {
                  if (window.confirm(`Delete the run "${r.name}" and its checkpoint?`))
                    void deleteRun(r.key).then(refreshStoredRuns, (e: unknown) => console.warn('[eac] could not delete the run', e));
                }}
              >
                Delete
              </button>
            </div>
          </li>
        );
      })}
    </ul>
  );
});
