// Which TensorFlow.js backend the worker runs on, on which adapter, and why.
import { BACKEND_LABELS } from '../../worker/protocol.ts';
import { useLab } from '../store.ts';

export function BackendPanel() {
  const backend = useLab((s) => s.backend);
  const workerError = useLab((s) => s.workerError);
  const label = backend.name ? BACKEND_LABELS[backend.name] : backend.status === 'failed' ? 'none' : 'choosing…';
  const fallback = backend.name !== null && backend.name !== 'webgpu';
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
      {backend.reason && (
        <p className="reason" data-testid="backend-reason">
          {backend.reason}
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
