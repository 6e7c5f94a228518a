// One line about the current run when it needs the user: paused, resumed, or failed (with what
// to do: lower the batch size after out-of-memory, resume after a lost GPU device).
import { useRun, type RunState as CurrentRun } from '../current-run-store.ts';
import { useNotices } from '../notices-store.ts';
import { useControllers } from '../lab-context.tsx';
import { resumeLabel } from '../checkpoint-text.ts';

export function RunBanner() {
  const run = useRun((s) => s.run);
  const notice = useNotices((s) => s.notice);
  return (
    <>
      {notice ? (
        <div className="banner banner-info" data-testid="run-notice">
          {notice}
        </div>
      ) : null}
      <RunState run={run} />
    </>
  );
}

function RunState({ run }: { run: CurrentRun }) {
  const { resumeRun, setPaused } = useControllers().run;
  // A run refused before it started says why in the run bar only.
  if (run.status === 'error' && run.notStarted) return null;
  if (run.status === 'error') {
    const canResume = run.runKey !== null && run.checkpointEpoch !== null && run.errorKind === 'device-lost';
    return (
      <div className="banner banner-error" role="alert" data-testid="run-banner-error">
        <b>
          {run.errorKind === 'out-of-memory'
            ? 'Out of memory.'
            : run.errorKind === 'nan'
              ? 'The loss diverged.'
              : run.errorKind === 'device-lost'
                ? 'GPU device lost.'
                : 'The run failed.'}
        </b>{' '}
        {run.error}
        {canResume ? (
          <button type="button" className="primary" onClick={() => resumeRun(run.runKey!)}>
            {resumeLabel(run.checkpointEpoch!, run.checkpointStep, run.checkpointPartial)}
          </button>
        ) : null}
      </div>
    );
  }
  if (run.paused && run.status !== 'done' && run.status !== 'stopped') {
    return (
      <div className="banner" data-testid="run-paused" data-holding={run.holding ? 'true' : 'false'}>
        {run.holding
          ? `Paused after step ${run.steps.length ? run.steps[run.steps.length - 1].step : 0}.`
          : 'Pausing after the current step…'}{' '}
        <button type="button" onClick={() => setPaused(false)}>
          Continue
        </button>
      </div>
    );
  }
  if (run.started && run.started.resumedFrom > 0) {
    return (
      <div className="banner banner-info" data-testid="run-resumed">
        Resumed from the checkpoint of epoch {run.started.resumedFrom}: the run continues exactly as if uninterrupted.
      </div>
    );
  }
  return null;
}
