// Which TensorFlow.js backend the worker runs on, on which adapter, and why; the user's choice of
// backend (Auto: the probe's fastest, or one by name), with each backend's probed speed.
import type { ChangeEvent } from 'react';
import {
  BACKEND_LABELS,
  BACKEND_PREFERENCES,
  isBackendPreference,
  type BackendPreference,
  type ProbeReport,
} from '../../worker/protocol.ts';
import { PROBE_RULE } from '../../worker/train/backend-probe.ts';
import type { StepTiming } from '../../engine/run-types.ts';
import { isRunning, useRun } from '../current-run-store.ts';
import { useBackend } from '../backend-store.ts';
import { useControllers } from '../lab-context.tsx';

/** An option's text: the backend and, when the last probe measured it, its speed on that model. */
function preferenceLabel(pref: BackendPreference, probe: ProbeReport | null): string {
  if (pref === 'auto') return probe ? `Auto (probe): ${BACKEND_LABELS[probe.chosen]}` : 'Auto (probe)';
  const e = probe?.entries.find((x) => x.name === pref);
  if (!e) return BACKEND_LABELS[pref];
  if (e.outcome === 'measured' && e.imagesPerSecond !== null) return `${BACKEND_LABELS[pref]} · ${e.imagesPerSecond.toFixed(1)} img/s`;
  return `${BACKEND_LABELS[pref]} · ${e.outcome === 'unavailable' ? 'unavailable' : 'not measured'}`;
}

/** Where a training step's time goes: steps/s and the JavaScript part of a step; then how steps are taken. */
export function timingText(t: StepTiming): [string, string] {
  const rest = Math.max(0, t.stepMs - t.javascriptMs);
  const rate = `${t.stepsPerSecond.toFixed(t.stepsPerSecond < 10 ? 2 : 1)} steps/s · ${fmtMs(t.stepMs)} a step`;
  const speed = t.gpu
    ? `${rate}: JavaScript ${fmtMs(t.javascriptMs)}, the device ${fmtMs(rest)} (computing and the read-back; GPU time itself is not measured).`
    : `${rate} (this backend computes while JavaScript encodes the step: no split).`;
  const how =
    t.how === 'replayed'
      ? 'Steps are replayed from the step program: recorded once, no TensorFlow.js work per step.'
      : t.notReplayed
        ? `Each step runs through TensorFlow.js's ops: ${t.notReplayed}.`
        : "Each step runs through TensorFlow.js's ops while the step program is recorded.";
  return [speed, how];
}

const fmtMs = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms < 10 ? ms.toFixed(1) : Math.round(ms)} ms`);

export function BackendPanel() {
  const { setBackendPreference } = useControllers().run;
  const progress = useRun((s) => s.run.progress);
  const timing = progress && progress.phase !== 'data' ? (progress.timing ?? null) : null;
  const backend = useBackend((s) => s.backend);
  const workerError = useBackend((s) => s.workerError);
  const pref = useBackend((s) => s.backendPref);
  const probe = useBackend((s) => s.probe);
  const running = useRun((s) => isRunning(s.run.status));
  const label = backend.name ? BACKEND_LABELS[backend.name] : backend.status === 'failed' ? 'none' : 'choosing…';
  const fallback = backend.name !== null && backend.name !== 'webgpu';
  const onChange = (e: ChangeEvent<HTMLSelectElement>) => {
    if (isBackendPreference(e.target.value)) setBackendPreference(e.target.value);
  };
  return (
    <section className="panel backend" aria-label="Backend">
      <h2>Backend</h2>
      <p className="backend-line">
        <span
          className={`badge ${backend.name ?? 'pending'}${fallback ? ' fallback' : ''}`}
          data-testid="backend-name"
          data-backend={backend.name ?? ''}
        >
          {label}
        </span>
        {backend.adapter && (
          <span className="adapter" data-testid="backend-adapter">
            {backend.name === 'webgpu' ? 'GPU adapter: ' : 'Renderer: '}
            {backend.adapter}
          </span>
        )}
      </p>
      {running && timing && (
        <p className="muted timing" data-testid="backend-timing" data-how={timing.how}>
          {timingText(timing)[0]}
          <br />
          {timingText(timing)[1]}
        </p>
      )}
      {backend.reason && (
        <p className="reason" data-testid="backend-reason">
          {backend.reason}
        </p>
      )}
      <div className="field backend-choice">
        <label htmlFor="backend-pref">Train on</label>
        <select id="backend-pref" data-testid="backend-pref" value={pref} disabled={running} onChange={onChange}>
          {BACKEND_PREFERENCES.map((p) => (
            <option key={p} value={p}>
              {preferenceLabel(p, probe)}
            </option>
          ))}
        </select>
        <small>
          {pref === 'auto' ? PROBE_RULE : 'Not measured: this backend is used (or the next one that starts, with the reason above).'}
          {pref === 'auto' && ' Also ?backend=wasm (webgpu, webgl, cpu) in the address.'}
        </small>
      </div>
      {probe && (
        <p className="muted probe" data-testid="backend-probe" data-chosen={probe.chosen} data-cached={String(probe.cached)}>
          Measured on {probe.shape.arch === 'resnet18' ? 'ResNet-18' : 'ResNet-50'} width {probe.shape.width}, {probe.shape.size} px, batch{' '}
          {probe.shape.batchSize}
          {probe.cached ? ' (remembered for this device)' : ` in ${(probe.ms / 1000).toFixed(1)} s`}:{' '}
          {probe.entries
            .filter((e) => e.outcome === 'measured' && e.imagesPerSecond !== null)
            .map((e) => `${BACKEND_LABELS[e.name]} ${e.imagesPerSecond!.toFixed(1)} img/s`)
            .join(', ') || 'nothing measured'}
          .
        </p>
      )}
      {workerError && (
        <p className="error" role="alert" data-testid="worker-error">
          {workerError}
        </p>
      )}
    </section>
  );
}
