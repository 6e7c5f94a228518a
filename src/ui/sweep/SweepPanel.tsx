// The lab's "Sweep" panel: pick methods × noise rates × seeds over the run settings above, start
// the queue, and steer it (pause, skip, reorder, requeue, cancel) while this tab trains its cells
// one after another, or spread over the open lab tabs when the user asks. The table and exports are in
// the comparison view (SweepTableView.tsx).
import { useEffect, useState } from 'react';
import type { Method } from '../../engine/config.ts';
import {
  HYPER_AXES,
  moveCell,
  sweepCells,
  sweepCounts,
  sweepEta,
  sweepFinished,
  type CellState,
  type HyperAxis,
  type SweepEvent,
  type SweepState,
} from '../../engine/sweep/index.ts';
import { duration } from '../format.ts';
import { useSweeps } from './sweeps-store.ts';
import { useControllers } from '../lab-context.tsx';
import { axesFromTexts, formOfSweep, parseList, type AxisTexts } from './sweep-form.ts';
import './sweep.css';

/** How often the panel re-reads the sweeps (other tabs' cells, a spread sweep to join, tabs training). */
const POLL_MS = 2000;

const STATUS_TEXT: Record<CellState['status'], string> = {
  pending: 'queued',
  running: 'training',
  resumable: 'interrupted',
  done: 'done',
  failed: 'failed',
  skipped: 'skipped',
  cancelled: 'cancelled',
};

function cellDetail(c: CellState): string {
  if (c.status === 'done') return c.summary.testAccLast5 === null ? 'no test accuracy' : `${(c.summary.testAccLast5 * 100).toFixed(1)}%`;
  if (c.status === 'failed') return c.reason;
  if ((c.status === 'running' || c.status === 'resumable') && c.progress && c.progress.totalSteps > 0)
    return `${Math.round((100 * c.progress.step) / c.progress.totalSteps)}%${c.checkpoint ? ` · checkpoint epoch ${c.checkpoint.epoch}` : ''}`;
  if (c.status === 'resumable') return `from epoch ${c.checkpoint.epoch}`;
  return '';
}

export function SweepQueue({
  state,
  driven,
  inCompare = false,
  tabs = null,
}: {
  state: SweepState;
  driven: boolean;
  inCompare?: boolean;
  /** Tabs training this sweep: a sweep spread over tabs; null: one tab trains it. */
  tabs?: number | null;
}) {
  const cells = sweepCells(state);
  const n = sweepCounts(state);
  const finished = sweepFinished(state);
  const eta = sweepEta(state, Math.max(1, tabs ?? 1));
  const { sweepAction } = useControllers().sweep;
  const act = (e: SweepEvent) => void sweepAction(state.id, e);
  return (
    <div className="sweep-queue" data-testid="sweep-queue" data-sweep={state.id} data-finished={finished} data-paused={state.paused}>
      <p className="sweep-summary" data-testid="sweep-summary">
        <b>{state.name}</b>: {n.done} of {n.total} done
        {n.failed ? `, ${n.failed} failed` : ''}
        {n.skipped ? `, ${n.skipped} skipped` : ''}
        {n.cancelled ? `, ${n.cancelled} cancelled` : ''}
        {finished ? ' · finished' : state.paused ? ' · paused' : ''}
        {!finished ? (
          <span data-testid="sweep-eta"> · {eta === null ? 'ETA after the first steps' : `about ${duration(eta)} left`}</span>
        ) : null}
        {tabs !== null && !finished ? (
          <span data-testid="sweep-tabs" data-tabs={tabs}>
            {' '}
            · {tabs} {tabs === 1 ? 'tab' : 'tabs'} training
          </span>
        ) : null}
      </p>
      {!driven && !finished && tabs === null ? (
        <p className="muted">Another tab (or nobody: an imported sweep) drives this sweep.</p>
      ) : null}
      <div className="sweep-actions">
        {!finished ? (
          <>
            <button type="button" data-testid="sweep-pause" onClick={() => act({ type: state.paused ? 'resume' : 'pause' })}>
              {state.paused ? 'Resume sweep' : 'Pause sweep'}
            </button>
            <button type="button" data-testid="sweep-cancel" onClick={() => act({ type: 'cancel' })}>
              Cancel sweep
            </button>
          </>
        ) : null}
        {inCompare ? null : (
          <a href="#compare" className="sweep-link">
            Table and curves →
          </a>
        )}
      </div>
      <ol className="sweep-cells">
        {cells.map((c, i) => {
          const s = c.state;
          const open = s.status === 'pending' || s.status === 'running' || s.status === 'resumable';
          return (
            <li
              key={c.id}
              className={`sweep-cell status-${s.status}`}
              data-testid="sweep-cell"
              data-cell={c.id}
              data-status={s.status}
              data-checkpoint={s.status === 'running' || s.status === 'resumable' ? (s.checkpoint?.epoch ?? '') : ''}
            >
              <span className="sweep-cell-name">{c.name}</span>
              <span className="sweep-cell-status">
                {STATUS_TEXT[s.status]} <small className="muted">{cellDetail(s)}</small>
              </span>
              <span className="sweep-cell-actions">
                <button
                  type="button"
                  aria-label={`Move ${c.name} up`}
                  disabled={i === 0}
                  onClick={() => act({ type: 'reorder', order: moveCell(state.order, c.id, i - 1) })}
                >
                  ↑
                </button>
                <button
                  type="button"
                  aria-label={`Move ${c.name} down`}
                  disabled={i === cells.length - 1}
                  onClick={() => act({ type: 'reorder', order: moveCell(state.order, c.id, i + 1) })}
                >
                  ↓
                </button>
                {open ? (
                  <button type="button" data-testid="sweep-skip" onClick={() => act({ type: 'skip', cellId: c.id })}>
                    Skip
                  </button>
                ) : s.status !== 'done' ? (
                  <button type="button" data-testid="sweep-requeue" onClick={() => act({ type: 'requeue', cellId: c.id })}>
                    Requeue
                  </button>
                ) : null}
              </span>
            </li>
          );
        })}
      </ol>
    </div>
  );
}

const AXIS_LABEL: Record<HyperAxis, string> = {
  lr: 'Learning rates',
  lam: 'λ values',
  arch: 'Backbones',
  width: 'Widths',
  batchSize: 'Batch sizes',
  erasing: 'Erasing modes',
};
const AXIS_PLACEHOLDER: Record<HyperAxis, string> = {
  lr: 'e.g. 1e-4, 2e-4',
  lam: 'e.g. 1, 3, 5',
  arch: 'resnet18, resnet50',
  width: 'e.g. 4, 8',
  batchSize: 'e.g. 32, 64',
  erasing: 'independent, mirrored',
};

export function SweepPanel() {
  const { loadSweeps, pollSweeps, setSpread, startSweep } = useControllers().sweep;
  const sweeps = useSweeps((s) => s.sweeps);
  const drivenId = useSweeps((s) => s.drivenId);
  const error = useSweeps((s) => s.error);
  const tabs = useSweeps((s) => s.tabs);
  const [methods, setMethods] = useState<Method[]>(['baseline', 'eac']);
  const [noise, setNoise] = useState('0, 0.1, 0.2, 0.3');
  const [seeds, setSeeds] = useState('0');
  const [name, setName] = useState('');
  const [axisTexts, setAxisTexts] = useState<AxisTexts>({});
  const [formError, setFormError] = useState<string | null>(null);
  useEffect(() => {
    void loadSweeps();
    const t = setInterval(() => void pollSweeps(), POLL_MS);
    return () => clearInterval(t);
  }, [pollSweeps, loadSweeps]);
  const shown = sweeps.find((r) => r.state.id === drivenId) ?? sweeps[0] ?? null;
  const busy = !!shown && shown.state.id === drivenId && !sweepFinished(shown.state) && !shown.state.paused;
  // While a sweep runs (after a reload too), the form shows that sweep, not its own defaults.
  const running = !!shown && !sweepFinished(shown.state) && !shown.state.paused;
  const fields = running ? formOfSweep(shown.state.spec, shown.state.name) : { methods, noise, seeds, name, axisTexts };
  const toggle = (m: Method) =>
    setMethods((ms) =>
      ms.includes(m) ? ms.filter((x) => x !== m) : (['baseline', 'eac'] as Method[]).filter((x) => x === m || ms.includes(x)),
    );
  const start = async () => {
    const rates = parseList(noise, 'noise');
    const sds = parseList(seeds, 'seed');
    if (!methods.length) return setFormError('pick at least one method');
    if (typeof rates === 'string') return setFormError(`noise rates: ${rates}`);
    if (typeof sds === 'string') return setFormError(`seeds: ${sds}`);
    const ax = axesFromTexts(axisTexts);
    if (typeof ax === 'string') return setFormError(ax);
    setFormError(await startSweep({ methods, noiseRates: rates, seeds: sds, name, axes: ax.axes, fixed: ax.fixed }));
  };
  const count = (v: unknown[] | string) => (typeof v === 'string' ? 0 : v.length);
  const ax = axesFromTexts(fields.axisTexts);
  const combos = typeof ax === 'string' ? 0 : Object.values(ax.axes).reduce((n, xs) => n * (xs as unknown[]).length, 1);
  const cells = fields.methods.length * count(parseList(fields.noise, 'noise')) * count(parseList(fields.seeds, 'seed')) * combos;
  return (
    <section className="panel sweep" aria-label="Sweep" data-testid="sweep-panel">
      <h2>Sweep</h2>
      <p className="hint">
        The paper's table in one go: every method × noise rate × seed, with the run settings above, trained one after another in this tab
        (or, spread over open tabs, one cell per tab at a time). A reload resumes the sweep at the last checkpoint.
      </p>
      <fieldset className="sweep-form" disabled={busy || running} data-testid="sweep-form" data-showing={running ? 'running' : 'new'}>
        <div className="sweep-methods">
          {(['baseline', 'eac'] as Method[]).map((m) => (
            <label key={m}>
              <input type="checkbox" checked={fields.methods.includes(m)} onChange={() => toggle(m)} data-testid={`sweep-method-${m}`} />{' '}
              {m === 'eac' ? 'EAC' : 'Baseline'}
            </label>
          ))}
        </div>
        <label>
          Noise rates <input value={fields.noise} onChange={(e) => setNoise(e.target.value)} data-testid="sweep-noise" />
        </label>
        <label>
          Seeds <input value={fields.seeds} onChange={(e) => setSeeds(e.target.value)} data-testid="sweep-seeds" />
        </label>
        <details className="sweep-axes" data-testid="sweep-axes">
          <summary>More axes: learning rate, λ, backbone, width, batch size, erasing</summary>
          <p className="hint">
            A list of two values or more is an axis of the grid (every cell at each value); one value replaces the run setting above; empty
            keeps it.
          </p>
          {HYPER_AXES.map((k) => (
            <label key={k}>
              {AXIS_LABEL[k]}{' '}
              <input
                value={fields.axisTexts[k] ?? ''}
                placeholder={AXIS_PLACEHOLDER[k]}
                onChange={(e) => {
                  setFormError(null);
                  setAxisTexts((t) => ({ ...t, [k]: e.target.value }));
                }}
                data-testid={`sweep-axis-${k}`}
              />
            </label>
          ))}
        </details>
        <label>
          Name <input value={fields.name} placeholder="optional" onChange={(e) => setName(e.target.value)} data-testid="sweep-name" />
        </label>
        <button type="button" className="primary" onClick={() => void start()} data-testid="sweep-start">
          {running ? `Sweep running (${cells} runs)` : `Start sweep (${cells} runs)`}
        </button>
      </fieldset>
      {formError ? (
        <p className="error" role="alert" data-testid="sweep-error">
          {formError}
        </p>
      ) : null}
      {error ? (
        <p className="error" role="alert">
          {error}
        </p>
      ) : null}
      {shown && !sweepFinished(shown.state) ? (
        <label className="sweep-spread">
          <input
            type="checkbox"
            checked={shown.spread === true}
            onChange={(e) => void setSpread(shown.state.id, e.target.checked)}
            data-testid="sweep-spread"
          />{' '}
          Spread over open tabs: every lab tab open here that is not training a run of its own trains one of its cells at a time
        </label>
      ) : null}
      {shown ? <SweepQueue state={shown.state} driven={shown.state.id === drivenId} tabs={shown.spread ? tabs : null} /> : null}
    </section>
  );
}
