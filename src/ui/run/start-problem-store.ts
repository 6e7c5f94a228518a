// The reason the last Train click could not start a run (null: it started, or none yet). Kept
// apart from the lab's store: only the run bar shows it, and any new attempt replaces it.
import { create } from 'zustand';
import type { StartProblem } from './start-problem.ts';

export const useStartProblem = create<{ problem: StartProblem | null; seq: number }>(() => ({ problem: null, seq: 0 }));

/** A new problem (each click counts: the run bar moves the focus to it again). */
export function showStartProblem(problem: StartProblem | null): void {
  useStartProblem.setState((s) => ({ problem, seq: problem ? s.seq + 1 : s.seq }));
}
