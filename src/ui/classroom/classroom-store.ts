// The classroom view's state: the stored runs to choose from, the run shown (and a second one for
// the side-by-side), the sample, the erasing draw (seed and erased-area range), the step of the
// walk-through and the answers of the inspect worker. Answers arrive asynchronously; only the
// newest request per run slot is shown, and while one is in flight later changes wait for it
// (a dragged slider sends one request at a time, then the latest settings).
import { create } from 'zustand';
import { listRuns, type RunRecord } from '../../storage/run-store.ts';
import { classesOf } from '../../engine/dataset.ts';
import type { RunInfo } from '../../worker/inspect-protocol.ts';
import { openRun, requestWalkthrough, type WalkthroughAnswer } from './inspect-client.ts';

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

const emptySlot: SlotState = { runKey: null, info: null, answer: null, loading: false, detail: null, error: null };

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

  refreshRuns(): Promise<void>;
  selectRun(slot: Slot, runKey: string | null): void;
  setCompare(on: boolean): void;
  setIndex(index: number): void;
  stepSample(delta: number): void;
  noisySample(): void;
  reroll(): void;
  setScale(scale: [number, number]): void;
  setStep(step: number): void;
  setMapClass(c: MapClass): void;
  setMode(mode: ClassroomMode): void;
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

const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

export const useClassroom = create<ClassroomState>()((set, get) => {
  // Per slot: a request in flight, and whether settings changed meanwhile.
  const inFlight: Record<Slot, boolean> = { a: false, b: false };
  const dirty: Record<Slot, boolean> = { a: false, b: false };

  const patch = (slot: Slot, p: Partial<SlotState>) => set((s) => ({ [slot]: { ...s[slot], ...p } }) as Partial<ClassroomState>);

  async function fetchSlot(slot: Slot): Promise<void> {
    const runKey = get()[slot].runKey;
    // The camera keeps the inspect worker for its frames: walk-throughs wait for the mode's return.
    if (!runKey || get().mode === 'camera') return;
    if (inFlight[slot]) {
      dirty[slot] = true;
      return;
    }
    inFlight[slot] = true;
    dirty[slot] = false;
    patch(slot, { loading: true, error: null });
    try {
      const onProgress = (p: { detail: string; done: number; total: number }) =>
        patch(slot, { detail: `${p.detail} (${p.total ? Math.round((p.done / p.total) * 100) : 0}%)` });
      let info = get()[slot].info;
      if (!info || info.runKey !== runKey) {
        info = await openRun(runKey, onProgress);
        if (get()[slot].runKey !== runKey) return;
        patch(slot, { info });
        // Keep the sample inside the (first) run's training split.
        if (slot === 'a' && get().index >= info.labels.length) set({ index: 0 });
      }
      const { index, seed, scale } = get();
      if (index >= info.labels.length)
        throw new Error(`this run's training split has ${info.labels.length} samples: sample ${index + 1} is not in it`);
      const answer = await requestWalkthrough(runKey, index, seed, scale, onProgress);
      if (get()[slot].runKey === runKey) patch(slot, { answer, error: null });
    } catch (e) {
      if (get()[slot].runKey === runKey) patch(slot, { error: errorText(e) });
    } finally {
      inFlight[slot] = false;
      patch(slot, { loading: false, detail: null });
      if (dirty[slot]) void fetchSlot(slot);
    }
  }

  const refetch = () => {
    void fetchSlot('a');
    if (get().compare) void fetchSlot('b');
  };

  return {
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

    async refreshRuns() {
      let runs: RunRecord[];
      try {
        runs = await listRuns();
      } catch (e) {
        set({ runsError: `could not read the stored runs: ${errorText(e)}`, runsLoaded: true });
        return;
      }
      set({ runs, runsError: null, runsLoaded: true });
      const s = get();
      const usable = withCheckpoint(runs);
      if (!s.a.runKey || !usable.some((r) => r.key === s.a.runKey)) {
        get().selectRun('a', defaultRun(usable)?.key ?? null);
      }
      if (s.compare && (!s.b.runKey || !usable.some((r) => r.key === s.b.runKey))) get().selectRun('b', partnerRun(runs, get().a.runKey));
      // A run still training has written a newer checkpoint: show its current model.
      for (const slot of ['a', 'b'] as Slot[]) {
        const st = get()[slot];
        const rec = runs.find((r) => r.key === st.runKey);
        if (st.answer && rec && rec.checkpointEpoch !== null && rec.checkpointEpoch !== st.answer.epoch && (slot === 'a' || get().compare))
          void fetchSlot(slot);
      }
    },

    selectRun(slot, runKey) {
      if (get()[slot].runKey === runKey) return;
      set({ [slot]: { ...emptySlot, runKey } } as Partial<ClassroomState>);
      if (slot === 'a' || get().compare) void fetchSlot(slot);
    },

    setCompare(on) {
      set({ compare: on });
      if (!on) return;
      if (!get().b.runKey) get().selectRun('b', partnerRun(get().runs, get().a.runKey));
      else void fetchSlot('b');
    },

    setIndex(index) {
      const n = get().a.info?.labels.length ?? Infinity;
      const i = Math.max(0, Math.min(n - 1, Math.floor(index)));
      set({ index: i, notice: null });
      refetch();
    },

    stepSample(delta) {
      const n = get().a.info?.labels.length;
      if (!n) return;
      get().setIndex((((get().index + delta) % n) + n) % n);
    },

    noisySample() {
      const info = get().a.info;
      if (!info) return;
      const i = nextNoisy(info, get().index);
      if (i === null) {
        set({ notice: 'This run trained on clean labels: no sample has a flipped label.' });
        return;
      }
      get().setIndex(i);
    },

    reroll() {
      set((s) => ({ seed: (s.seed * 1103515245 + 12345) >>> 0 || 1 }));
      refetch();
    },

    setScale(scale) {
      const lo = Math.max(0, Math.min(scale[0], scale[1]));
      const hi = Math.min(0.9, Math.max(scale[0], scale[1]));
      set({ scale: [lo, hi] });
      refetch();
    },

    setStep(step) {
      set({ step: Math.max(1, Math.min(STEPS, Math.round(step))) });
    },

    setMapClass(mapClass) {
      set({ mapClass });
    },

    setMode(mode) {
      if (get().mode === mode) return;
      set({ mode });
      if (mode === 'walkthrough') refetch();
    },
  };
});
