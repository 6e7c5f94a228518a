// The comparison view, in every tab: the paper-style table over all runs of this browser, the
// selected runs' curves overlaid live (whichever tab trains them), the run history (rename,
// delete, re-open, export, import), and a "new comparison tab" action with a shareable link.
import { useEffect, useMemo } from 'react';
import { useRun } from '../current-run-store.ts';
import { useCompare } from './compare-store.ts';
import { useControllers } from '../lab-context.tsx';
import { CompareTable } from './CompareTable.tsx';
import { CompareCharts } from './CompareCharts.tsx';
import { RunHistory } from './RunHistory.tsx';
import { NewTabPanel } from './NewTabPanel.tsx';
import { StoredRunView } from './StoredRunView.tsx';
import { SweepTableView } from '../sweep/SweepTableView.tsx';
import './compare.css';

export function ComparisonView() {
  const { followRuns } = useControllers().compare;
  const records = useCompare((s) => s.records);
  const hidden = useCompare((s) => s.hidden);
  const status = useCompare((s) => s.status);
  const error = useCompare((s) => s.error);
  useEffect(() => {
    const stop = followRuns();
    // A re-opened run belongs to this view: leaving it gives the lab its own run back.
    return () => {
      stop();
      useRun.getState().closeStoredRun();
    };
  }, [followRuns]);
  const shown = useMemo(() => records.filter((r) => !hidden.includes(r.key)), [records, hidden]);
  return (
    <main className="compare" data-testid="compare-view" data-status={status}>
      {error ? (
        <p className="error" role="alert">
          {error}
        </p>
      ) : null}
      <StoredRunView />
      <SweepTableView />
      <CompareTable records={records} />
      <CompareCharts runs={shown} />
      <RunHistory />
      <NewTabPanel />
    </main>
  );
}
