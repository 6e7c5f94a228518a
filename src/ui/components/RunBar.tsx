// The run bar: Train, Pause and Stop with the run's status, epoch and step, ETA and the labels it
// trains on, kept in view at the top of the lab (sticky) so the action and its feedback are
// always on one screen. It also shows why a Train click could not start (focused, with a
// one-click fix) and, after a reload, offers to resume an interrupted run.
import { useEffect, useRef } from 'react';
import { isRunning, useRun } from '../current-run-store.ts';
import { useBackend } from '../backend-store.ts';
import { useStoredRuns } from '../stored-runs-store.ts';
import { useSettings } from '../settings-store.ts';
import { useControllers } from '../lab-context.tsx';
import { resumableRuns } from '../run/stored-runs.ts';
import { selectedInfo, useData } from '../data-store.ts';
import { duration } from '../format.ts';
import { progressFigures } from '../../engine/progress.ts';
import { runDescription } from '../run/run-description.ts';
import { useWeights } from '../weights-store.ts';
import { showStartProblem, useStartProblem } from '../run/start-problem-store.ts';
import { interruptedText, resumeLabel } from '../checkpoint-text.ts';
import { isInterrupted } from '../../storage/run-store.ts';

const STATUS_TEXT: Partial<Record<string, string>> = {
  idle: 'Not started',
  starting: 'Starting…',
  data: 'Preparing the data…',
  training: 'Training',
  evaluating: 'Evaluating…',
  stopping: 'Stopping…',
  done: 'Finished',
  stopped: 'Stopped',
  error: 'Failed',
};

function RunFigures() {
  const run = useRun((s) => s.run);
  const p = run.progress;
  const finished = !isRunning(run.status);
  let figures = '';
  let fraction = run.status === 'done' ? 1 : 0;
  if (p?.phase === 'data') {
    figures = progressFigures(p);
    fraction = p.total > 0 ? p.done / p.total : 0;
  } else if (p) {
    figures = `epoch ${p.epoch} / ${p.epochs} · step ${p.step} / ${p.totalSteps}${finished ? '' : ` · ETA ${p.etaSeconds === null ? 'measuring…' : duration(p.etaSeconds)}`}`;
    if (run.status !== 'done') fraction = p.totalSteps > 0 ? p.step / p.totalSteps : 0;
  }
  const status = run.notStarted ? 'Not started' : run.paused && isRunning(run.status) ? 'Paused' : (STATUS_TEXT[run.status] ?? run.status);
  return (
    <div className="runbar-figures">
      <span className={`runbar-status status-${run.notStarted ? 'idle' : run.status}`} data-testid="runbar-status">
        {status}
      </span>
      <span
        className="runbar-numbers"
        data-testid="runbar-figures"
        data-step={p && p.phase !== 'data' ? p.step : ''}
        data-checkpoint-step={run.checkpointStep ?? ''}
      >
        {figures}
      </span>
      <div className="bar runbar-bar" aria-hidden="true">
        <div className="bar-fill" style={{ width: `${(fraction * 100).toFixed(1)}%` }} />
      </div>
    </div>
  );
}

function LabelsLine() {
  // While a stored run is viewed, "last run" is still this tab's own.
  const status = useRun((s) => (s.viewing ? s.viewing.saved : s.run).status);
  const started = useRun((s) => (s.viewing ? s.viewing.saved : s.run).started);
  const draft = useSettings((s) => s.draft);
  const selected = useData((s) => s.selected);
  const selectedClasses = useData((s) => (s.selected.kind === 'cached' ? selectedInfo(s)?.classes : null) ?? null);
  const weights = useWeights((s) => s.selected);
  const { now, last } = runDescription({ status, started, draft, selected, weights, selectedClasses });
  return (
    <>
      {now ? (
        <p className="runbar-labels muted" data-testid="runbar-labels">
          {now}
        </p>
      ) : null}
      {last ? (
        <p className="runbar-labels runbar-last muted" data-testid="runbar-last-run">
          {last}
        </p>
      ) : null}
    </>
  );
}

function StartProblemAlert() {
  const { applyStartFix } = useControllers().run;
  const { problem, seq } = useStartProblem();
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    // Each refused click (seq) moves the focus here again, even with the same problem.
    if (!problem || !ref.current || seq === 0) return;
    ref.current.scrollIntoView({ block: 'nearest' });
    ref.current.focus();
  }, [problem, seq]);
  if (!problem) return null;
  return (
    <div
      className={`banner ${problem.tone === 'warning' ? 'banner-warning' : 'banner-error'} runbar-alert`}
      role="alert"
      tabIndex={-1}
      ref={ref}
      data-testid="start-problem"
      data-tone={problem.tone ?? 'error'}
    >
      <b>{problem.title ?? 'Cannot start:'}</b> <span data-testid="start-problem-text">{problem.message}</span>
      {problem.fix ? (
        <button type="button" className="fix" data-testid="start-problem-fix" onClick={() => applyStartFix(problem.fix!)}>
          {problem.fix.label}
        </button>
      ) : null}
      {problem.fixes?.length ? (
        <div className="runbar-fixes" data-testid="start-problem-fixes">
          {problem.fixes.map((f) => (
            <button type="button" className="fix runbar-fix" key={f.label} data-testid="run-fix" onClick={() => applyStartFix(f)}>
              <span className="runbar-fix-label">{f.label}</span>
              {f.kind === 'run' ? (
                <span className="runbar-fix-detail">
                  {f.differs} · {f.estimate}
                </span>
              ) : null}
            </button>
          ))}
        </div>
      ) : null}
      {problem.notes?.map((n) => (
        <p className="runbar-note" key={n}>
          {n}
        </p>
      ))}
      {problem.tone === 'warning' ? (
        <button type="button" className="fix" data-testid="start-problem-dismiss" onClick={() => showStartProblem(null)}>
          Keep training
        </button>
      ) : null}
    </div>
  );
}

/** After a reload or a crash: the newest interrupted run of this browser, one click from going on. */
function ResumeOffer() {
  const { resumeRun } = useControllers().run;
  const stored = useStoredRuns((s) => s.stored);
  const status = useRun((s) => s.run.status);
  const viewing = useRun((s) => s.viewing);
  if (status !== 'idle' || viewing) return null;
  const live = new Set(stored.live);
  // The store lists the newest first.
  const offer = resumableRuns(stored.records, stored.live, null).find((r) => isInterrupted(r, live));
  if (!offer) return null;
  return (
    <div className="banner banner-info runbar-resume" data-testid="resume-offer">
      <span>
        <b>{offer.name}</b>{' '}
        {interruptedText(offer.checkpointEpoch!, offer.request.config.epochs, offer.checkpointStep, offer.checkpointPartial)} (a reload or a
        crash).
      </span>
      <button type="button" className="fix" data-testid="resume-offer-button" onClick={() => resumeRun(offer.key)}>
        {resumeLabel(offer.checkpointEpoch!, offer.checkpointStep, offer.checkpointPartial)}
      </button>
    </div>
  );
}

export function RunBar() {
  const { setPaused, startRun, stopRun } = useControllers().run;
  const status = useRun((s) => s.run.status);
  const paused = useRun((s) => s.run.paused);
  const backendStatus = useBackend((s) => s.backend.status);
  const running = isRunning(status);
  return (
    <section className="runbar" aria-label="Run">
      <div className="runbar-row">
        <div className="runbar-actions">
          <button
            type="button"
            className="primary"
            data-testid="train"
            disabled={running || backendStatus === 'failed'}
            onClick={() => startRun()}
            title="start a run with the settings on the left"
          >
            Train
          </button>
          <button type="button" data-testid="pause" disabled={!running || status === 'stopping'} onClick={() => setPaused(!paused)}>
            {paused ? 'Continue' : 'Pause'}
          </button>
          <button type="button" data-testid="stop" disabled={!running || status === 'stopping'} onClick={() => stopRun()}>
            {status === 'stopping' ? 'Stopping…' : 'Stop'}
          </button>
        </div>
        <RunFigures />
      </div>
      <LabelsLine />
      <StartProblemAlert />
      <ResumeOffer />
    </section>
  );
}
