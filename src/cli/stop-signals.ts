// Ctrl-C and SIGTERM as a stop: the first one says what will happen and aborts the signal; the
// work stops at its next step and keeps its checkpoints. The exit status is a shell's for the
// signal (130 for SIGINT, 143 for SIGTERM).

export interface StopOnSignals {
  signal: AbortSignal;
  /** The first signal that came, or null. */
  stoppedBy(): NodeJS.Signals | null;
  /** Removes the handlers (the process then dies of a second Ctrl-C as usual). */
  release(): void;
}

export function stopOnSignals(say: (sig: NodeJS.Signals) => void): StopOnSignals {
  const controller = new AbortController();
  let stoppedBy: NodeJS.Signals | null = null;
  const onSignal = (sig: NodeJS.Signals) => {
    if (!stoppedBy) say(sig);
    stoppedBy ??= sig;
    controller.abort();
  };
  const onInt = () => onSignal('SIGINT');
  const onTerm = () => onSignal('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  return {
    signal: controller.signal,
    stoppedBy: () => stoppedBy,
    release: () => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
    },
  };
}

/** The exit status after a stop by `sig`. */
export const signalExitCode = (sig: NodeJS.Signals): number => (sig === 'SIGTERM' ? 143 : 130);
