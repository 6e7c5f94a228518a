// The classroom view's state: the stored runs to choose from, the run shown (and a second one for
// the side-by-side), the sample, the erasing draw (seed and erased-area range), the step of the
// walk-through and the answers of the inspect worker. Answers arrive asynchronously; only the
// newest request per run slot is shown, and while one is in flight later changes wait for it
// (a dragged slider sends one request at a time, then the latest settings). The store holds the
// state; the classroom controller (classroom-controller.ts) asks the inspect worker and writes
// the answers here.
import { create } from 'zustand';
import type { RunRecord } from '../../storage/run-store.ts';
import { classesOf } from '../../engine/dataset.ts';
import type { RunInfo } from '../../worker/inspect-protocol.ts';
import type { WalkthroughAnswer } from './inspect-client.ts';

export const STEPS = 7;
export type MapClass = 'label' | 'pred';
export type Slot = 'a' | 'b';
/** The walk-through of stored images, or the camera (src/ui/classroom/camera/). */
export type ClassroomMode = 'walkthrough' | 'camera';

export interface SlotState {
  runKey: string | null;
  info: RunInfo | null;
  answer: WalkthroughAnswer | null;
  loading: boolean;
  /** What the worker is doing (loading data), while loading. */
  detail: string | null;
  error: string | null;
}

export interface ClassroomState {
  runs: RunRecord[];
  runsError: string | null;
  runsLoaded: boolean;
  a: SlotState;
  b: SlotState;
  /** Side-by-side: the same sample under run a and run b. */
  compare: boolean;
  index: number;
  seed: number;
  scale: [number, number];
  step: number;
  mapClass: MapClass;
  notice: string | null;
  mode: ClassroomMode;

  setStep(step: number): void;
  setMapClass(c: MapClass): void;
}

/** The class names of the run shown in `slot` (RAF-DB's seven for runs that name none). */
export function useRunClasses(slot: Slot = 'a'): readonly string[] {
  return useClassroom((s) => classesOf(s.runs.find((r) => r.key === s[slot].runKey) ?? {}));
}

/** Runs the classroom can show: those with a checkpoint. */
export const withCheckpoint = (runs: RunRecord[]): RunRecord[] => runs.filter((r) => r.checkpointEpoch !== null);

/** The run the classroom opens on: the newest EAC run (what the lessons are about), else the newest run. Runs come newest first. */
export function defaultRun<T extends { request: { config: { method: string } } }>(usable: readonly T[]): T | null {
  return usable.find((r) => r.request.config.method === 'eac') ?? usable[0] ?? null;
}

/** A second run for the side-by-side: another method if there is one (baseline vs EAC), else another run. */
export function partnerRun(runs: RunRecord[], key: string | null): string | null {
  const usable = withCheckpoint(runs).filter((r) => r.key !== key);
  const mine = runs.find((r) => r.key === key);
  const other = usable.find((r) => mine && r.request.config.method !== mine.request.config.method);
  return (other ?? usable[0])?.key ?? null;
}

/** The next training sample after `from` (wrapping, in direction `dir`) whose label was flipped; null: none. */
export function nextNoisy(info: RunInfo, from: number, dir = 1): number | null {
  const n = info.labels.length;
  for (let k = 1; k <= n; k++) {
    const i = (((from + dir * k) % n) + n) % n;
    if (info.labels[i] !== info.cleanLabels[i]) return i;
  }
  return null;
}

export const emptySlot: SlotState = { runKey: null, info: null, answer: null, loading: false, detail: null, error: null };

export const useClassroom = create<ClassroomState>()((set) => ({
  runs: [],
  runsError: null,
  runsLoaded: false,
  a: emptySlot,
  b: emptySlot,
  compare: false,
  index: 0,
  seed: 1,
  scale: [0.02, 0.25],
  step: 1,
  mapClass: 'label',
  notice: null,
  mode: 'walkthrough',

  setStep(step) {
    set({ step: Math.max(1, Math.min(STEPS, Math.round(step))) });
  },

  setMapClass(mapClass) {
    set({ mapClass });
  },
}));
