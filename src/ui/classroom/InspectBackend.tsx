// Where the classroom's models run: the inspect worker's backend (why it was chosen: on hover), or
// why none could start. Shown once the worker has said (it starts on the first request).
import { useEffect, useState } from 'react';
import { BACKEND_LABELS } from '../../worker/protocol.ts';
import { onInspectBackend } from './inspect-client.ts';

type Info = Parameters<Parameters<typeof onInspectBackend>[0]>[0];

export function InspectBackend() {
  const [info, setInfo] = useState<Info | null>(null);
  useEffect(() => onInspectBackend(setInfo), []);
  if (!info) return null;
  if ('error' in info)
    return (
      <p className="cr-error" data-testid="cr-backend">
        The models cannot be evaluated: {info.error}
      </p>
    );
  return (
    <p className="muted cr-backend" data-testid="cr-backend" title={info.reason}>
      Models evaluated on {BACKEND_LABELS[info.name]}
    </p>
  );
}
