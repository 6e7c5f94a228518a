// The EAC lab's page: three steps on the left (data, backbone weights, run settings) with the
// backend and the stored runs; on the right, the current run: progress, live charts, the
// attention panel, per-epoch figures and exports. State lives in zustand stores (listed in
// docs/page-state.md); the controllers come from the lab (src/ui/lab.ts); the workers do the work.
import { useEffect } from 'react';
import { useControllers } from './lab-context.tsx';
import { DataPanel } from './components/DataPanel.tsx';
import { SettingsForm } from './components/SettingsForm.tsx';
import { SweepPanel } from './sweep/SweepPanel.tsx';
import { WeightsPanel } from './components/WeightsPanel.tsx';
import { BackendPanel } from './components/BackendPanel.tsx';
import { RunsPanel } from './components/RunsPanel.tsx';
import { RunBanner } from './components/RunBanner.tsx';
import { RunBar } from './components/RunBar.tsx';
import { ProgressPanel } from './components/ProgressPanel.tsx';
import { RunCharts } from './components/RunCharts.tsx';
import { AttentionPanel } from './components/AttentionPanel.tsx';
import { EpochTable } from './components/EpochTable.tsx';
import { ConfusionPanel } from './components/ConfusionPanel.tsx';
import { ExportPanel } from './components/ExportPanel.tsx';
import { ComparisonView } from './compare/ComparisonView.tsx';
import { ClassroomView } from './classroom/ClassroomView.tsx';
import { ShareLink } from './compare/ShareLink.tsx';
import { useView, VIEWS } from './view.ts';

export function App() {
  const { run } = useControllers();
  // Start the worker at once: it picks its backend before the first run.
  useEffect(() => {
    run.ensureWorker();
  }, [run]);
  // A tab hidden or unloaded mid-run checkpoints at once: a reload then resumes at the step reached.
  useEffect(() => run.checkpointOnHide(), [run]);
  const [view, setView] = useView();
  return (
    <div className={`app view-${view}`}>
      <header>
        <div className="title-row">
          <h1>EAC lab</h1>
          <nav className="views" aria-label="Views">
            {VIEWS.map((v) => (
              <button
                key={v.id}
                type="button"
                className={v.id === view ? 'active' : ''}
                aria-current={v.id === view ? 'page' : undefined}
                onClick={() => setView(v.id)}
                data-testid={`view-${v.id}`}
              >
                {v.label}
              </button>
            ))}
          </nav>
        </div>
        {view === 'lab' ? (
          <p className="lede">
            Train a facial-expression classifier with noisy labels in your browser, using <em>Erasing Attention Consistency</em> (EAC, ECCV
            2022), on TensorFlow.js in a background worker. Everything stays on this machine.
          </p>
        ) : null}
      </header>
      {view === 'compare' ? <ComparisonView /> : null}
      {view === 'classroom' ? <ClassroomView /> : null}
      {/* The lab stays mounted in the other views (its run and charts keep updating), laid out but
          invisible and inert: hidden with display:none, its charts would measure 0×0 and recharts warn. */}
      <main className={`layout${view === 'lab' ? '' : ' offstage'}`} inert={view !== 'lab'} aria-hidden={view !== 'lab' || undefined}>
        <RunBar />
        <div className="side">
          <DataPanel />
          <WeightsPanel />
          <SettingsForm />
          <SweepPanel />
          <BackendPanel />
          <RunsPanel />
          <section className="panel" aria-label="Share these settings">
            <h2>Share these settings</h2>
            <ShareLink />
          </section>
        </div>
        <div className="content">
          <RunBanner />
          <ProgressPanel />
          <RunCharts />
          <AttentionPanel />
          <EpochTable />
          <ConfusionPanel />
          <ExportPanel />
        </div>
      </main>
    </div>
  );
}
