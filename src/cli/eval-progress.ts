// Progress of a long evaluation on stderr: images done, images/s and the time left, at most every
// couple of seconds (and at the end), so a large test set never looks hung.
import { formatSeconds } from './output.ts';

/** One progress line (pure). */
export function evalProgressLine(done: number, total: number, seconds: number): string {
  const rate = seconds > 0 ? done / seconds : null;
  const eta = rate && done < total ? formatSeconds((total - done) / rate) : done >= total ? '0s' : '?';
  return `eval: ${done}/${total} images${rate ? `, ${rate.toFixed(1)} img/s` : ''}, ETA ${eta}`;
}

/**
 * A callback for predict() that writes a line every `everyMs` and at the end; `quiet`: an
 * evaluation over within `everyMs` writes nothing (each epoch of `eac train` evaluates).
 */
export function evalProgressReporter(write: (line: string) => void, now = () => performance.now(), everyMs = 2000, quiet = false) {
  const t0 = now();
  let last = t0;
  let wrote = false;
  return (done: number, total: number): void => {
    const t = now();
    if (done < total && t - last < everyMs) return;
    if (done >= total && quiet && !wrote && t - t0 < everyMs) return;
    last = t;
    wrote = true;
    write(evalProgressLine(done, total, (t - t0) / 1000));
  };
}
