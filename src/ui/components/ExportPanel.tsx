// Saving the current run (finished or still going): per-epoch and per-step metrics as CSV, the
// whole run as JSON (configuration, data, seeds, versions, metrics), and the charts as one PNG.
import { classesOf } from '../../engine/dataset.ts';
import { useState } from 'react';
import { useRun } from '../current-run-store.ts';
import { useBackend } from '../backend-store.ts';
import { buildRunJson, epochsCsv, exportFileStem, runJsonText, stepsCsv, trainConfusionCsv } from '../export/run-export.ts';
import { downloadBlob } from '../export/download.ts';
import { chartSections, chartsToPng } from '../export/chart-png.ts';
import { mergeVersions } from '../export/versions.ts';
import { bytesText } from '../../engine/format.ts';
import '../charts.css';

type Outcome = { ok: true; text: string } | { ok: false; text: string } | null;

export function ExportPanel() {
  const hasEpochs = useRun((s) => s.run.epochs.length > 0);
  const hasSteps = useRun((s) => s.run.steps.length > 0);
  const hasConfusion = useRun((s) => s.run.epochs.some((e) => e.trainConfusion));
  const hasRun = useRun((s) => s.run.started !== null);
  const [outcome, setOutcome] = useState<Outcome>(null);
  const [busy, setBusy] = useState(false);

  /** Builds a file from the store as it is now, saves it, and says what was saved or why not. */
  const save = async (kind: string, make: (stem: string) => Promise<{ blob: Blob; name: string }> | { blob: Blob; name: string }) => {
    setBusy(true);
    try {
      const { run } = useRun.getState();
      const { blob, name } = await make(exportFileStem(run, new Date()));
      downloadBlob(blob, name);
      setOutcome({ ok: true, text: `Saved ${name} (${bytesText(blob.size)})` });
    } catch (e) {
      setOutcome({ ok: false, text: `${kind} export failed: ${e instanceof Error ? e.message : String(e)}` });
    } finally {
      setBusy(false);
    }
  };
  const csv = (text: string) => new Blob([text], { type: 'text/csv;charset=utf-8' });

  return (
    <section className="panel export" aria-label="Export">
      <h2>Export</h2>
      <p className="muted export-lede">The run so far, as files on this computer (nothing is uploaded).</p>
      <div className="export-buttons">
        <button
          type="button"
          data-testid="export-epochs-csv"
          disabled={busy || !hasEpochs}
          onClick={() =>
            save('CSV', (stem) => ({
              blob: csv(epochsCsv(useRun.getState().run.epochs, classesOf(useRun.getState().run.started ?? {}))),
              name: `${stem}-epochs.csv`,
            }))
          }
        >
          Epoch metrics (CSV)
        </button>
        <button
          type="button"
          data-testid="export-confusion-csv"
          disabled={busy || !hasConfusion}
          title="Each epoch's training predictions against the noisy and the true labels, one row per label and predicted class"
          onClick={() =>
            save('CSV', (stem) => ({
              blob: csv(trainConfusionCsv(useRun.getState().run.epochs, classesOf(useRun.getState().run.started ?? {}))),
              name: `${stem}-train-confusion.csv`,
            }))
          }
        >
          Training confusion (CSV)
        </button>
        <button
          type="button"
          data-testid="export-steps-csv"
          disabled={busy || !hasSteps}
          onClick={() => save('CSV', (stem) => ({ blob: csv(stepsCsv(useRun.getState().run.steps)), name: `${stem}-steps.csv` }))}
        >
          Step losses (CSV)
        </button>
        <button
          type="button"
          data-testid="export-json"
          disabled={busy || !hasRun}
          onClick={() =>
            save('JSON', (stem) => {
              const s = { run: useRun.getState().run, backend: useBackend.getState().backend };
              const versions = (s.backend as { versions?: Record<string, string> }).versions;
              const doc = buildRunJson(s.run, {
                backend: { name: s.backend.name, adapter: s.backend.adapter, reason: s.backend.reason },
                versions: mergeVersions(versions),
                exportedAt: new Date(),
              });
              return { blob: new Blob([runJsonText(doc)], { type: 'application/json' }), name: `${stem}.json` };
            })
          }
        >
          Run (JSON)
        </button>
        <button
          type="button"
          data-testid="export-charts-png"
          disabled={busy || !hasSteps}
          onClick={() => save('PNG', async (stem) => ({ blob: await chartsToPng(chartSections()), name: `${stem}-charts.png` }))}
        >
          Charts (PNG)
        </button>
      </div>
      <p
        className={outcome?.ok === false ? 'error' : 'muted export-outcome'}
        role={outcome?.ok === false ? 'alert' : 'status'}
        data-testid="export-outcome"
      >
        {outcome?.text ?? '\u00a0'}
      </p>
    </section>
  );
}
