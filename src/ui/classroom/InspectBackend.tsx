// Where the classroom's models run: the inspect worker's backend (why it was chosen: on hover), or
// why none could start. Shown once the worker has said (it starts on the first request).
import { useEffect, useState } from 'react';
import { BACKEND_LABELS } from '../../worker/protocol.ts';
import type { InspectBackendInfo } from './inspect-client.ts';
import { useControllers } from '../lab-context.tsx';

type Info = InspectBackendInfo;

export function InspectBackend() {
  const [info, setInfo] = useState<Info | null>(null);
  const { inspect } = useControllers();
  useEffect(() => inspect.onBackend(setInfo), [inspect]);
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
