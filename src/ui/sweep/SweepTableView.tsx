// The sweep in the comparison view: its table filling live as cells finish (mean ± sample std over
// seeds, n, the paper's number beside), the curves of its runs, the exports (table as CSV,
// Markdown, LaTeX; the whole sweep as JSON) and the import of a sweep file or of a run that joins
// one of its cells. Shown only where this browser has a sweep.
import { useEffect, useMemo, useState } from 'react';
import { formatNoise, paramsId, rowLabel, sweepFinished, sweepTable, type SweepState } from '../../engine/sweep/index.ts';
import type { RunRecord } from '../../storage/run-store.ts';
import { CompareCharts } from '../compare/CompareCharts.tsx';
import { useCompare } from '../compare/compare-store.ts';
import { downloadText } from '../export/download.ts';
import { useSweeps } from './sweeps-store.ts';
import { useControllers } from '../lab-context.tsx';
import { readSweepFile, sweepExport, type TableFormat } from './sweep-files.ts';
import { SweepQueue } from './SweepPanel.tsx';
import { PaperTable } from '../compare/PaperTable.tsx';
import './sweep.css';

const pct = (x: number) => (x * 100).toFixed(2);
/** Another tab's driver changes the stored queue: re-read it this often. */
const POLL_MS = 3000;

function SweepTable({ state }: { state: SweepState }) {
  const t = useMemo(() => sweepTable(state), [state]);
  return (
    <PaperTable
      className="sweep-table"
      testId="sweep-table"
      caption={`${state.name}: test accuracy (%), mean of the last 5 epochs${state.spec.seeds.length > 1 ? `, mean ± std over ${state.spec.seeds.length} seeds` : ''}`}
      paperTitle={`the paper's RAF-DB test accuracy, ${t.paperArch}`}
      columns={t.noiseRates.map((r) => ({ key: r, label: r === 0 ? 'clean' : `${formatNoise(r)} noise` }))}
      rows={t.rows.map((row) => ({
        key: rowLabel(row),
        label: rowLabel(row),
        cells: row.cells.map((c) => ({
          figure: c.mean === null ? null : `${pct(c.mean)}${c.std !== null ? ` ± ${pct(c.std)}` : ''}`,
          note: `n = ${c.n}/${c.planned}`,
          paper: c.paper,
          testId: `sweep-cell-${row.method}-${c.noiseRate}${paramsId(row.params)}`,
          data: { mean: c.mean ?? '', n: c.n },
        })),
      }))}
    />
  );
}

const EXPORTS: { format: TableFormat; label: string }[] = [
  { format: 'csv', label: 'Table CSV' },
  { format: 'md', label: 'Table Markdown' },
  { format: 'tex', label: 'Table LaTeX' },
  { format: 'json', label: 'Sweep JSON' },
];

export function SweepTableView() {
  const { addImportedSweep, loadSweeps, replaceSweepState } = useControllers().sweep;
  const sweeps = useSweeps((s) => s.sweeps);
  const drivenId = useSweeps((s) => s.drivenId);
  const problems = useSweeps((s) => s.problems);
  const records = useCompare((s) => s.records);
  const [picked, setPicked] = useState<string | null>(null);
  const [importMsg, setImportMsg] = useState<{ ok: boolean; text: string } | null>(null);
  useEffect(() => {
    void loadSweeps();
    const t = setInterval(() => void loadSweeps(), POLL_MS);
    return () => clearInterval(t);
  }, [loadSweeps]);
  const shown = sweeps.find((r) => r.state.id === picked) ?? sweeps.find((r) => r.state.id === drivenId) ?? sweeps[0] ?? null;
  const state = shown?.state ?? null;
  const runs = useMemo(() => {
    if (!state) return [];
    const keys = new Set(state.order.map((id) => (state.cells[id] as { runId?: string }).runId).filter(Boolean));
    return records.filter((r: RunRecord) => keys.has(r.key));
  }, [state, records]);
  const onFiles = async (files: FileList | null) => {
    if (!files) return;
    for (const f of Array.from(files)) {
      try {
        const got = readSweepFile(f.name, await f.text(), state, Date.now());
        if (got.kind === 'sweep') {
          await addImportedSweep(got.state);
          setPicked(got.state.id);
          setImportMsg({ ok: true, text: `${f.name}: sweep "${got.state.name}" imported` });
        } else {
          const s = state!;
          await replaceSweepState(s.id, () => got.state);
          setImportMsg({ ok: true, text: `${f.name}: joined ${got.cellId}` });
        }
      } catch (e) {
        setImportMsg({ ok: false, text: e instanceof Error ? e.message : String(e) });
      }
    }
  };
  const importControl = (
    <label className="sweep-import">
      Import a sweep JSON or an <code>eac train --out</code> run{' '}
      <input
        type="file"
        accept=".json,application/json"
        multiple
        data-testid="sweep-import"
        onChange={(e) => {
          void onFiles(e.target.files);
          e.target.value = '';
        }}
      />
    </label>
  );
  if (!state)
    return (
      <section className="panel sweep-view" aria-label="Sweep" data-testid="sweep-view-empty">
        <h2>Sweep</h2>
        <p className="hint">No sweep yet: start one in the Train view's Sweep panel, or import a sweep file.</p>
        {importControl}
        {importMsg ? <p className={importMsg.ok ? 'ok' : 'error'}>{importMsg.text}</p> : null}
      </section>
    );
  return (
    <section className="panel sweep-view" aria-label="Sweep" data-testid="sweep-view" data-sweep={state.id}>
      <div className="sweep-view-head">
        <h2>Sweep</h2>
        {sweeps.length > 1 ? (
          <select value={state.id} onChange={(e) => setPicked(e.target.value)} aria-label="Sweep shown" data-testid="sweep-pick">
            {sweeps.map((r) => (
              <option key={r.state.id} value={r.state.id}>
                {r.state.name}
              </option>
            ))}
          </select>
        ) : null}
      </div>
      {problems.map((p) => (
        <p key={p} className="error">
          {p}
        </p>
      ))}
      <SweepTable state={state} />
      <div className="sweep-exports">
        {EXPORTS.map((x) => (
          <button
            key={x.format}
            type="button"
            data-testid={`sweep-export-${x.format}`}
            onClick={() => {
              const f = sweepExport(state, x.format);
              downloadText(f.text, f.fileName, f.mime);
            }}
          >
            {x.label}
          </button>
        ))}
        {importControl}
      </div>
      {importMsg ? (
        <p className={importMsg.ok ? 'ok' : 'error'} role={importMsg.ok ? undefined : 'alert'} data-testid="sweep-import-message">
          {importMsg.text}
        </p>
      ) : null}
      {/* Open while the sweep runs: its queue is what changes. */}
      <details className="sweep-queue-details" open={!sweepFinished(state)}>
        <summary>Queue</summary>
        <SweepQueue state={state} driven={state.id === drivenId} inCompare />
      </details>
      {runs.length ? <CompareCharts runs={runs} /> : <p className="muted">The curves of the sweep's runs show here as they train.</p>}
    </section>
  );
}
