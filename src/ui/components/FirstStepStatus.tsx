// What a run does before its first step, with the seconds spent: starting the backend, probing
// the backends (i of N), compiling kernels and taking the first step. On a slow backend this is
// where a minute or more goes, and a bare "Starting…" leaves the user guessing.
import { useEffect, useState } from 'react';
import { isRunning, useRun } from '../current-run-store.ts';
import { BACKEND_LABELS, type FirstStepMessage } from '../../worker/protocol.ts';

type Phase = Omit<FirstStepMessage, 'type' | 'runId'>;

/** The phase in words (pure; exported for tests). */
export function firstStepText(p: Phase): string {
  const on = p.backend ? ` on ${BACKEND_LABELS[p.backend]}` : '';
  if (p.phase === 'backend') return 'Starting the backend';
  if (p.phase === 'probe') return `Probing backends (${p.index ?? '?'}/${p.total ?? '?'}): timing training steps${on}`;
  return `Compiling kernels and taking the first step${on}`;
}

/** Seconds, whole: "7 s", "1 min 05 s". */
export function secondsText(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
}

export function FirstStepStatus() {
  const phase = useRun((s) => s.run.firstStep ?? null);
  const running = useRun((s) => isRunning(s.run.status));
  const dataPhase = useRun((s) => s.run.status === 'data');
  const startedAt = useRun((s) => s.run.startedAt);
  const [now, setNow] = useState(() => Date.now());
  const show = phase !== null && running && !dataPhase;
  useEffect(() => {
    if (!show) return;
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, [show]);
  if (!show) return null;
  const total = startedAt !== null ? ` · ${secondsText(now - startedAt)} since Train` : '';
  return (
    <p className="muted first-step" data-testid="first-step" data-phase={phase.phase} aria-live="polite">
      {firstStepText(phase)}… {secondsText(now - phase.at)}
      {total}
    </p>
  );
}
