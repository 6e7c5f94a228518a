// Live progress of the current run: phase, epoch, step, throughput, ETA, and the final summary.
import { useLab, type RunStatus } from '../store.ts';
import { duration, pct, sci } from '../format.ts';

const STATUS_TEXT: Record<RunStatus, string> = {
  idle: 'Not started',
  starting: 'Starting…',
  data: 'Generating the demo dataset…',
  training: 'Training',
  evaluating: 'Evaluating on the test split…',
  stopping: 'Stopping after the current step…',
  done: 'Finished',
  stopped: 'Stopped',
  error: 'Failed',
};

export function ProgressPanel() {
  const run = useLab((s) => s.run);
  const p = run.progress;
  let fraction = 0;
  let line: string | null = null;
  let detail: string | null = null;
  if (p?.phase === 'data') {
    fraction = p.total > 0 ? p.done / p.total : 0;
    line = `${p.detail}: ${p.done} / ${p.total}`;
  } else if (p) {
    fraction = p.totalSteps > 0 ? p.step / p.totalSteps : 0;
    line = `Epoch ${p.epoch} / ${p.epochs} · step ${p.stepInEpoch} / ${p.stepsPerEpoch}${p.epochs > 1 ? ` (${p.step} / ${p.totalSteps} in all)` : ''}`;
    detail = `${p.imagesPerSecond.toFixed(1)} images/s · ETA ${run.status === 'done' || run.status === 'stopped' ? '–' : duration(p.etaSeconds)}`;
  }
  if (run.status === 'done') fraction = 1;
  const summary = run.summary;
  const st = run.started;
  return (
    <section className="panel progress" aria-label="Progress">
      <h2>Progress</h2>
      <p className={`status status-${run.status}`} data-testid="run-status" data-status={run.status}>
        {STATUS_TEXT[run.status]}
      </p>
      <div className="bar" role="progressbar" aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(fraction * 100)}>
        <div className="bar-fill" style={{ width: `${(fraction * 100).toFixed(1)}%` }} />
      </div>
      {st && (
        <p className="muted run-config" data-testid="run-config">
          {st.config.arch === 'resnet18' ? 'ResNet-18' : 'ResNet-50'} width {st.config.width} at {st.config.size} px ·{' '}
          {st.config.method === 'eac' ? `EAC (λ = ${st.config.lam})` : 'baseline'} · batch {st.config.batchSize} · lr {sci(st.config.lr, 0)} ·{' '}
          {st.trainCount} train / {st.testCount} test faces · {st.flippedLabels} training labels flipped ({pct(st.flippedLabels / Math.max(1, st.trainCount))})
        </p>
      )}
      {line && <p data-testid="progress-line">{line}</p>}
      {detail && <p className="muted" data-testid="progress-speed">{detail}</p>}
      {summary && (
        <p className="summary" data-testid="run-summary">
          {summary.stoppedBy === 'cancelled' ? 'Stopped' : 'Done'} after {summary.steps} steps in {duration(summary.seconds)}
          {summary.finalTestAcc !== null && (
            <>
              {' '}· final test accuracy <strong>{pct(summary.finalTestAcc)}</strong> (best {pct(summary.bestTestAcc)})
            </>
          )}
        </p>
      )}
      {run.error && (
        <p className="error" role="alert" data-testid="run-error">
          {run.error}
        </p>
      )}
    </section>
  );
}
