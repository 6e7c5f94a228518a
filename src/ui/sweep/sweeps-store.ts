// The sweeps the page shows (zustand): every stored sweep, the one this tab drives, the tabs
// training it, and the last sweep action that failed. State only: the sweep driver
// (sweep-driver.ts) and the sweep controller (sweep-controller.ts) write it.
import { create } from 'zustand';
import type { SweepRecord } from '../../storage/sweep-store.ts';

export interface SweepsState {
  /** Every stored sweep, newest first. */
  sweeps: SweepRecord[];
  /** The sweep this tab drives (null: none). */
  drivenId: string | null;
  /** Stored sweeps that could not be read, one line each. */
  problems: string[];
  /** The last sweep action that failed, one line. */
  error: string | null;
  loaded: boolean;
  /** Tabs training a cell of the driven sweep now (for a spread sweep's panel and ETA). */
  tabs: number;
}

export const useSweeps = create<SweepsState>()(() => ({ sweeps: [], drivenId: null, problems: [], error: null, loaded: false, tabs: 0 }));

/** Shows (or clears) the last sweep action's failure. */
export const setSweepError = (error: string | null): void => useSweeps.setState({ error });

/** Puts a stored sweep in the list: in its place, or first when new. */
export function putSweepRecord(rec: SweepRecord): void {
  useSweeps.setState((s) => {
    const i = s.sweeps.findIndex((r) => r.state.id === rec.state.id);
    const sweeps = i < 0 ? [rec, ...s.sweeps] : s.sweeps.map((r, j) => (j === i ? rec : r));
    return { sweeps };
  });
}

/** One line for a failure. */
export const errorMessage = (e: unknown): string => (e instanceof Error ? e.message : String(e));
