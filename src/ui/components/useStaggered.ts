// A value that follows `value`, but takes its turn with the other charts: at most one chart takes
// a new value per STAGGER_MS.
//
// Why: a recharts chart keeps its state in its own Redux store, and after new data it re-renders
// its components once more from a requestAnimationFrame callback, synchronously. When an epoch
// ends, every chart gets new data in the same React commit, so all their callbacks ran in the same
// frame: one main-thread task of 50–90 ms here. Taking turns puts each chart's callback in its own
// frame, so the longest task is one chart's, not the sum of all of them.
//
// The new value is set in a transition, so React renders the chart in non-blocking slices (as
// useDeferredValue did), and a later value replaces a queued one rather than queueing again.
import { startTransition, useEffect, useRef, useState } from 'react';
import { TurnQueue, type Job } from '../turn-queue.ts';

/** Longer than a frame (16.7 ms at 60 Hz) plus the chart's own render slices. */
const STAGGER_MS = 80;

const charts = new TurnQueue({ gapMs: STAGGER_MS });

export function useStaggered<T>(value: T): T {
  const [shown, setShown] = useState(value);
  const latest = useRef(value);
  const queued = useRef<Job | null>(null);

  useEffect(() => {
    latest.current = value;
    if (Object.is(value, shown) || queued.current) return;
    const job: Job = () => {
      queued.current = null;
      startTransition(() => setShown(latest.current));
    };
    queued.current = job;
    charts.enqueue(job);
  }, [value, shown]);

  // Unmounting drops the turn this chart was waiting for.
  useEffect(
    () => () => {
      if (queued.current) charts.remove(queued.current);
      queued.current = null;
    },
    [],
  );
  return shown;
}
