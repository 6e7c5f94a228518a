// Live progress of the current run: status and bar, the run's configuration, then a fixed grid of
// figures (epoch, step, images/s, ETA, phase, backend and GPU adapter, memory in use) that keeps
// its layout while the numbers change, and the final summary or error.
import { isRunning, useRun } from '../current-run-store.ts';
import { useBackend } from '../backend-store.ts';
import { BACKEND_LABELS } from '../../worker/protocol.ts';
import { duration, pct, sci } from '../format.ts';
import { bytesText, countText } from '../../engine/format.ts';
import { progressFigures } from '../../engine/progress.ts';
import { FirstStepStatus } from './FirstStepStatus.tsx';
import '../charts.css';

/** Unknown statuses (added later) fall back to the status name itself. */
const STATUS_TEXT: Partial<Record<string, string>> = {
  idle: 'Not started',
  starting: 'Starting…',
  data: 'Preparing the data…',
  training: 'Training',
  evaluating: 'Evaluating on the test split…',
  stopping: 'Stopping after the current step…',
  paused: 'Paused',
  done: 'Finished',
  stopped: 'Stopped',
  error: 'Failed',
};

const PHASE_TEXT: Partial<Record<string, string>> = { data: 'preparing data', train: 'training', evaluate: 'evaluating (test split)' };

/** The worker's memory report, read defensively: older workers send none. */
function memoryOf(p: unknown): { bytes: number; tensors: number | null; gpuBytes: number | null } | null {
  const m = (p as { memory?: { bytes?: unknown; tensors?: unknown; gpuBytes?: unknown } } | null)?.memory;
  if (!m || typeof m.bytes !== 'number') return null;
  return {
    bytes: m.bytes,
    tensors: typeof m.tensors === 'number' ? m.tensors : null,
    gpuBytes: typeof m.gpuBytes === 'number' ? m.gpuBytes : null,
  };
}

function memoryText(m: ReturnType<typeof memoryOf>): string {
  if (!m) return '–';
  const parts = [bytesText(m.bytes)];
  if (m.tensors !== null) parts.push(`${m.tensors} tensors`);
  if (m.gpuBytes !== null && m.gpuBytes !== m.bytes) parts.push(`${bytesText(m.gpuBytes)} on GPU`);
  return parts.join(' · ');
}

function Stat({ label, value, testId, title }: { label: string; value: string; testId: string; title?: string }) {
  return (
    <div className="stat" title={title}>
      <dt>{label}</dt>
      <dd data-testid={testId} title={value}>
        {value}
      </dd>
    </div>
  );
}

export function ProgressPanel() {
  const run = useRun((s) => s.run);
  const backend = useBackend((s) => s.backend);
  const p = run.progress;
  const finished = run.status === 'done' || run.status === 'stopped' || run.status === 'error';
  let fraction = 0;
  let epoch = '–';
  let step = '–';
  let speed = '–';
  let eta = '–';
  let dataLine: string | null = null;
  if (p?.phase === 'data') {
    fraction = p.total > 0 ? p.done / p.total : 0;
    dataLine = progressFigures(p);
  } else if (p) {
    fraction = p.totalSteps > 0 ? p.step / p.totalSteps : 0;
    epoch = `${p.epoch} / ${p.epochs} (step ${p.stepInEpoch} / ${p.stepsPerEpoch})`;
    step = `${p.step} / ${p.totalSteps}`;
    speed = `${p.imagesPerSecond.toFixed(1)} images/s`;
    eta = finished ? '–' : p.etaSeconds === null ? 'measuring…' : duration(p.etaSeconds);
  }
  if (run.status === 'done') fraction = 1;
  const phase = p && !finished ? (PHASE_TEXT[p.phase] ?? p.phase) : '–';
  const memory = memoryOf(p);
  const backendName = backend.name ? BACKEND_LABELS[backend.name] : backend.status === 'failed' ? 'none' : 'choosing…';
  const paused = (run as { paused?: boolean }).paused === true && isRunning(run.status);
  const summary = run.summary;
  const st = run.started;
  return (
    <section className="panel progress" aria-label="Progress">
      <h2>Progress</h2>
      <p
        className={`status status-${run.notStarted ? 'idle' : run.status}`}
        data-testid="run-status"
        data-status={run.status}
        data-not-started={run.notStarted ? 'true' : undefined}
      >
        {run.notStarted ? 'Not started' : paused ? 'Paused' : (STATUS_TEXT[run.status] ?? run.status)}
      </p>
      <FirstStepStatus />
      <div className="bar" role="progressbar" aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(fraction * 100)}>
        <div className="bar-fill" style={{ width: `${(fraction * 100).toFixed(1)}%` }} />
      </div>
      {st && (
        <p className="muted run-config" data-testid="run-config">
          {st.config.arch === 'resnet18' ? 'ResNet-18' : 'ResNet-50'} width {st.config.width} at {st.config.size} px ·{' '}
          {st.config.method === 'eac' ? `EAC (λ = ${st.config.lam})` : 'baseline'} · batch {st.config.batchSize} · lr {sci(st.config.lr, 0)}{' '}
          · {countText(st.trainCount)} train / {countText(st.testCount)} test faces · {countText(st.flippedLabels)} training labels flipped
          ({pct(st.flippedLabels / Math.max(1, st.trainCount))})
        </p>
      )}
      <dl className="stats" data-testid="progress-stats">
        <Stat label="Epoch" value={epoch} testId="progress-epoch" title="Epoch, and the step within it" />
        <Stat label="Step" value={step} testId="progress-step" title="Optimiser steps, whole run" />
        <Stat label="Speed" value={speed} testId="progress-speed" />
        <Stat label="ETA" value={eta} testId="progress-eta" />
        <Stat label="Phase" value={phase} testId="progress-phase" />
        <Stat label="Backend" value={backendName} testId="progress-backend" title={backend.reason ?? undefined} />
        <Stat
          label={backend.name === 'webgl' ? 'Renderer' : 'GPU adapter'}
          value={backend.adapter ?? '–'}
          testId="progress-adapter"
          title={backend.adapter ?? undefined}
        />
        <Stat
          label="Memory in use"
          value={memoryText(memory)}
          testId="progress-memory"
          title="tf.memory() in the worker: bytes held by tensors on the backend"
        />
      </dl>
      {dataLine && (
        <p className="muted" data-testid="progress-line">
          {dataLine}
        </p>
      )}
      {summary && (
        <p className="summary" data-testid="run-summary">
          {summary.stoppedBy === 'cancelled' ? 'Stopped' : 'Done'} after {summary.steps} steps in {duration(summary.seconds)}
          {summary.finalTestAcc !== null && (
            <>
              {' '}
              · final test accuracy <strong>{pct(summary.finalTestAcc)}</strong> (best {pct(summary.bestTestAcc)})
            </>
          )}
        </p>
      )}
      {/* A failure is said once: in the run bar (not started) or the banner above; here only a stop's reason. */}
      {run.error && run.status !== 'error' && (
        <p className="error" role="alert" data-testid="run-error">
          {run.error}
        </p>
      )}
    </section>
  );
}
