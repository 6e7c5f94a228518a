// Progress of a long evaluation on stderr: images done, images/s and the time left, at most every
// couple of seconds (and at the end), so a large test set never looks hung.
import { formatSeconds } from './output.ts';

/** One progress line (pure). */
export function evalProgressLine(done: number, total: number, seconds: number): string {
  const rate = seconds > 0 ? done / seconds : null;
  const eta = rate && done < total ? formatSeconds((total - done) / rate) : done >= total ? '0s' : '?';
  return `eval: ${done}/${total} images${rate ? `, ${rate.toFixed(1)} img/s` : ''}, ETA ${eta}`;
}

/** A callback for predict() that writes a line every `everyMs` and at the end. */
export function evalProgressReporter(write: (line: string) => void, now = () => performance.now(), everyMs = 2000) {
  const t0 = now();
  let last = t0;
  return (done: number, total: number): void => {
    const t = now();
    if (done < total && t - last < everyMs) return;
    last = t;
    write(evalProgressLine(done, total, (t - t0) / 1000));
  };
}
