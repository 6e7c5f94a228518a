// The first page of the EAC lab: settings, backend, progress, loss chart and per-epoch table.
import { useEffect } from 'react';
import { ensureWorker } from './runner.ts';
import { SettingsForm } from './components/SettingsForm.tsx';
import { WeightsPanel } from './components/WeightsPanel.tsx';
import { BackendPanel } from './components/BackendPanel.tsx';
import { ProgressPanel } from './components/ProgressPanel.tsx';
import { LossChart } from './components/LossChart.tsx';
import { EpochTable } from './components/EpochTable.tsx';

export function App() {
  // Start the worker at once: it picks its backend before the first run.
  useEffect(() => {
    ensureWorker();
  }, []);
  return (
    <div className="app">
      <header>
        <h1>EAC lab</h1>
        <p className="lede">
          Train a facial-expression classifier with noisy labels in your browser, using <em>Erasing Attention Consistency</em> (EAC, ECCV
          2022), on TensorFlow.js in a background worker.
        </p>
      </header>
      <main className="layout">
        <div className="side">
          <SettingsForm />
          <WeightsPanel />
          <BackendPanel />
        </div>
        <div className="content">
          <ProgressPanel />
          <LossChart />
          <EpochTable />
        </div>
      </main>
    </div>
  );
}
