// Every run stored in this browser, from any tab: show or hide it in the charts, rename, delete
// (not while it trains), re-open its charts and attention panel; export all runs as one JSON or
// CSV file, and import runs exported elsewhere (the lab's JSON, `eac train --out`).
import { useRef, useState, type ChangeEvent } from 'react';
import type { RunRecord } from '../../storage/run-store.ts';
import { meanOfLast } from '../../engine/metrics.ts';
import { downloadText } from '../export/download.ts';
import { isRunning, useRun } from '../current-run-store.ts';
import { useCompare, useRunColor } from './compare-store.ts';
import { useControllers } from '../lab-context.tsx';
import { methodOf, noiseRateOf } from './compare-data.ts';
import { runsCsv, runsJson, runsJsonText } from './run-files.ts';
import { openStoredRun } from './open-run.ts';
import { distinctNames } from '../run/run-names.ts';
import { dateText } from '../../engine/format.ts';

const pct = (x: number | null) => (x === null ? '–' : `${(x * 100).toFixed(1)}%`);

function runState(r: RunRecord, live: Set<string>, thisTab: string | null): { id: string; text: string } {
  if (r.key === thisTab) return { id: 'this-tab', text: 'training in this tab' };
  if (live.has(r.key)) return { id: 'live', text: 'training in another tab' };
  if (r.status === 'running' || r.status === 'paused') return { id: 'interrupted', text: 'interrupted' };
  if (r.imported) return { id: 'imported', text: `imported (${r.imported.format})` };
  return { id: r.status, text: r.status };
}

function HistoryRow({
  r,
  name,
  live,
  thisTab,
  hidden,
}: {
  r: RunRecord;
  name: string;
  live: Set<string>;
  thisTab: string | null;
  hidden: boolean;
}) {
  const { rename, remove } = useControllers().compare;
  const [editing, setEditing] = useState<string | null>(null);
  const [opening, setOpening] = useState(false);
  const toggle = useCompare((s) => s.toggle);
  const busy = useRun((s) => isRunning(s.run.status));
  const viewing = useRun((s) => s.viewing?.key ?? null);
  const st = runState(r, live, thisTab);
  const runColor = useRunColor();
  const training = st.id === 'live' || st.id === 'this-tab';
  const save = async () => {
    if (editing !== null && (await rename(r.key, editing))) setEditing(null);
  };
  const open = async () => {
    setOpening(true);
    await openStoredRun(r);
    setOpening(false);
  };
  return (
    <li
      className={`history-row${viewing === r.key ? ' viewing' : ''}`}
      data-testid="history-run"
      data-key={r.key}
      data-state={st.id}
      data-epochs={r.epochs.length}
    >
      <label className="history-show" title="show this run in the charts">
        <input type="checkbox" checked={!hidden} onChange={() => toggle(r.key)} data-testid="history-show" />
        <span className="swatch" style={{ borderColor: runColor(r.key) }} aria-hidden="true" />
      </label>
      <div className="history-main">
        {editing === null ? (
          <b className="history-name" title={r.key}>
            {name}
          </b>
        ) : (
          <form
            className="history-rename"
            onSubmit={(e) => {
              e.preventDefault();
              void save();
            }}
          >
            <input
              value={editing}
              onChange={(e) => setEditing(e.target.value)}
              aria-label="New name"
              // biome-ignore lint/a11y/noAutofocus: the field appears because the user chose Rename
              autoFocus
              maxLength={200}
              data-testid="rename-input"
            />
            <button type="submit" className="primary">
              Save
            </button>
            <button type="button" onClick={() => setEditing(null)}>
              Cancel
            </button>
          </form>
        )}
        <div className="muted history-line">
          <span className={`run-state run-state-${st.id}`}>{st.text}</span>
          <span>
            {methodOf(r) === 'eac' ? 'EAC' : 'baseline'} · {Math.round(noiseRateOf(r) * 100)}% noise
          </span>
          <span>
            epoch {r.epochs.length}/{r.request.config.epochs}
          </span>
          <span>
            last 5:{' '}
            {pct(
              meanOfLast(
                r.epochs.map((e) => e.testAcc),
                5,
              ),
            )}
          </span>
          <span>{dateText(r.createdAt)}</span>
        </div>
      </div>
      <div className="history-actions">
        <button
          type="button"
          onClick={() => void open()}
          disabled={busy || opening || r.epochs.length === 0}
          data-testid="open-run"
          title={
            busy
              ? 'this tab is training: its charts are in use (open the run from another tab)'
              : 'show this run’s charts, epochs and attention panel'
          }
        >
          {opening ? 'Opening…' : 'Open'}
        </button>
        <button type="button" onClick={() => setEditing(r.name)} disabled={editing !== null} data-testid="rename-run">
          Rename
        </button>
        <button
          type="button"
          disabled={training}
          data-testid="delete-run"
          title={training ? 'stop the run first' : 'delete the run, its checkpoint and attention history'}
          onClick={() => {
            if (window.confirm(`Delete the run "${r.name}" and its checkpoint?`)) void remove(r.key);
          }}
        >
          Delete
        </button>
      </div>
    </li>
  );
}

export function RunHistory() {
  const { importFiles } = useControllers().compare;
  const records = useCompare((s) => s.records);
  const liveKeys = useCompare((s) => s.live);
  const hidden = useCompare((s) => s.hidden);
  const showOnly = useCompare((s) => s.showOnly);
  const message = useCompare((s) => s.message);
  const problems = useCompare((s) => s.problems);
  const thisTab = useRun((s) => (isRunning(s.run.status) ? s.run.runKey : null));
  const fileInput = useRef<HTMLInputElement>(null);
  const live = new Set(liveKeys);
  const stamp = new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-');
  const onFiles = (e: ChangeEvent<HTMLInputElement>) => {
    const files = [...(e.target.files ?? [])];
    e.target.value = '';
    if (files.length) void importFiles(files.map((f) => ({ name: f.name, text: () => f.text() })));
  };
  const names = distinctNames(records);
  return (
    <section className="panel history" aria-label="Run history" data-testid="run-history">
      <div className="history-head">
        <h2>Runs in this browser</h2>
        <div className="history-tools">
          <button type="button" onClick={() => showOnly(null)}>
            Show all
          </button>
          <button type="button" onClick={() => showOnly([])}>
            Hide all
          </button>
          <button
            type="button"
            disabled={records.length === 0}
            onClick={() => downloadText(runsJsonText(runsJson(records, new Date())), `eac-runs-${stamp}.json`, 'application/json')}
            data-testid="export-runs-json"
          >
            Export all (JSON)
          </button>
          <button
            type="button"
            disabled={records.length === 0}
            onClick={() => downloadText(runsCsv(records), `eac-runs-${stamp}.csv`, 'text/csv')}
            data-testid="export-runs-csv"
          >
            Export all (CSV)
          </button>
          <button
            type="button"
            onClick={() => fileInput.current?.click()}
            data-testid="import-runs"
            title="the lab’s JSON exports, or the output of eac train --out FILE"
          >
            Import runs…
          </button>
          <input
            ref={fileInput}
            type="file"
            accept=".json,application/json"
            multiple
            hidden
            onChange={onFiles}
            data-testid="import-input"
          />
        </div>
      </div>
      {message ? (
        <p
          className={message.kind === 'error' ? 'error' : 'muted'}
          role={message.kind === 'error' ? 'alert' : 'status'}
          data-testid="history-message"
        >
          {message.text}
        </p>
      ) : null}
      {problems.length ? (
        <div className="error" role="status" data-testid="history-problems">
          <p>
            {problems.length} stored {problems.length === 1 ? 'record does' : 'records do'} not read back as a run and{' '}
            {problems.length === 1 ? 'is' : 'are'} left out (the others are shown):
          </p>
          <ul>
            {problems.slice(0, 10).map((p) => (
              <li key={p}>{p}</li>
            ))}
          </ul>
        </div>
      ) : null}
      {records.length === 0 ? (
        <p className="placeholder muted">No runs yet: train one in the lab (here or in another tab), or import runs exported elsewhere.</p>
      ) : (
        <ul className="history-list">
          {records.map((r) => (
            <HistoryRow key={r.key} r={r} name={names.get(r.key) ?? r.name} live={live} thisTab={thisTab} hidden={hidden.includes(r.key)} />
          ))}
        </ul>
      )}
    </section>
  );
}
