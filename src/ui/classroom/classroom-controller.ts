// The classroom controller: asks the inspect worker (through the inspect controller) for the runs
// and walk-throughs the classroom view shows, and writes the answers into the classroom store.
// Only the newest request per run slot is shown; while one is in flight, later changes wait for it
// (a dragged slider sends one request at a time, then the latest settings). Made once by createLab.
import { listRuns, type RunRecord } from '../../storage/run-store.ts';
import type { InspectController } from './inspect-client.ts';
import {
  defaultRun,
  emptySlot,
  nextNoisy,
  partnerRun,
  useClassroom,
  withCheckpoint,
  type ClassroomMode,
  type ClassroomState,
  type Slot,
  type SlotState,
} from './classroom-store.ts';

const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** The classroom controller's methods (one per lab: createLab). */
export type ClassroomController = ReturnType<typeof createClassroomController>;

export function createClassroomController(inspect: Pick<InspectController, 'openRun' | 'requestWalkthrough'>) {
  const set = useClassroom.setState;
  const get = useClassroom.getState;
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
        info = await inspect.openRun(runKey, onProgress);
        if (get()[slot].runKey !== runKey) return;
        patch(slot, { info });
        // Keep the sample inside the (first) run's training split.
        if (slot === 'a' && get().index >= info.labels.length) set({ index: 0 });
      }
      const { index, seed, scale } = get();
      if (index >= info.labels.length)
        throw new Error(`this run's training split has ${info.labels.length} samples: sample ${index + 1} is not in it`);
      const answer = await inspect.requestWalkthrough(runKey, index, seed, scale, onProgress);
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

  const controller = {
    async refreshRuns(): Promise<void> {
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
        controller.selectRun('a', defaultRun(usable)?.key ?? null);
      }
      if (s.compare && (!s.b.runKey || !usable.some((r) => r.key === s.b.runKey)))
        controller.selectRun('b', partnerRun(runs, get().a.runKey));
      // A run still training has written a newer checkpoint: show its current model.
      for (const slot of ['a', 'b'] as Slot[]) {
        const st = get()[slot];
        const rec = runs.find((r) => r.key === st.runKey);
        if (st.answer && rec && rec.checkpointEpoch !== null && rec.checkpointEpoch !== st.answer.epoch && (slot === 'a' || get().compare))
          void fetchSlot(slot);
      }
    },

    selectRun(slot: Slot, runKey: string | null): void {
      if (get()[slot].runKey === runKey) return;
      set({ [slot]: { ...emptySlot, runKey } } as Partial<ClassroomState>);
      if (slot === 'a' || get().compare) void fetchSlot(slot);
    },

    setCompare(on: boolean): void {
      set({ compare: on });
      if (!on) return;
      if (!get().b.runKey) controller.selectRun('b', partnerRun(get().runs, get().a.runKey));
      else void fetchSlot('b');
    },

    setIndex(index: number): void {
      const n = get().a.info?.labels.length ?? Infinity;
      const i = Math.max(0, Math.min(n - 1, Math.floor(index)));
      set({ index: i, notice: null });
      refetch();
    },

    stepSample(delta: number): void {
      const n = get().a.info?.labels.length;
      if (!n) return;
      controller.setIndex((((get().index + delta) % n) + n) % n);
    },

    noisySample(): void {
      const info = get().a.info;
      if (!info) return;
      const i = nextNoisy(info, get().index);
      if (i === null) {
        set({ notice: 'This run trained on clean labels: no sample has a flipped label.' });
        return;
      }
      controller.setIndex(i);
    },

    reroll(): void {
      set((s) => ({ seed: (s.seed * 1103515245 + 12345) >>> 0 || 1 }));
      refetch();
    },

    setScale(scale: [number, number]): void {
      const lo = Math.max(0, Math.min(scale[0], scale[1]));
      const hi = Math.min(0.9, Math.max(scale[0], scale[1]));
      set({ scale: [lo, hi] });
      refetch();
    },

    setMode(mode: ClassroomMode): void {
      if (get().mode === mode) return;
      set({ mode });
      if (mode === 'walkthrough') refetch();
    },
  };
  return controller;
}
