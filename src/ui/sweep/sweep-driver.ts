// The sweep driver, the driving loop: trains a sweep's cells one after another in this tab. It
// follows the lab store's current run, turns its changes into queue events (sweep-decisions.ts),
// keeps the queue in IndexedDB (src/storage/sweep-store.ts) one transaction per change, and starts
// the next cell or resumes an interrupted one through the run controller. A Web Lock per sweep
// makes one tab its driver: a reload releases it, and the next page load takes it over and resumes
// the sweep at the interrupted run's last checkpoint. A sweep spread over open tabs (its record's
// `spread`) needs no sweep lock: every tab that joins claims one cell at a time (sweep-claims.ts,
// the locks in sweep-locks.ts) under a Web Lock per cell, which every tab training a cell holds in
// either mode, so turning the choice on or off mid-sweep never runs a cell twice.
//
// The driver decides its next action after the store update that caused it, never inside it
// (`kick`, a zero-delay timer: the run controller it calls sets the store itself). Every promise
// it starts ends in a handler that shows the failure in the sweeps store.
// The queue state the page shows is sweeps-store.ts; the user's actions are sweep-controller.ts.
import { reduceSweep, sweepCells, sweepFinished, type SweepEvent, type SweepState } from '../../engine/sweep/index.ts';
import { deleteRun, renameRun } from '../../storage/run-store.ts';
import { getSweep, listSweeps, sweepLockName, updateSweep, type SweepRecord } from '../../storage/sweep-store.ts';
import type { RunController } from '../runner.ts';
import { isRunning, type RunState, useRun } from '../current-run-store.ts';
import { cellLockName, claimedAction, claimNext, heldCells, takeoverEvents } from './sweep-claims.ts';
import { abandonedRuns, cannotRunHere, decide, eventsOf, settingsOfCell, type DriverAction } from './sweep-decisions.ts';
import { heldLockNames, takeLock } from './sweep-locks.ts';
import { errorMessage as message, putSweepRecord as putRecord, setSweepError as setError, useSweeps } from './sweeps-store.ts';

/** Progress is kept at most this often (the ETA needs no more; each write is an IndexedDB transaction). */
const PROGRESS_MS = 2000;

/** What the driver needs of the run controller. */
export type SweepRunPort = Pick<RunController, 'startRequestedRun' | 'resumeRun' | 'stopRun' | 'refreshStoredRuns'>;

export interface Driving {
  id: string;
  record: SweepRecord;
  /** Gives the sweep's lock back; null: this tab joined a spread sweep without it. */
  release: (() => void) | null;
  /** The cell this tab trains and its lock's release (held in either mode). */
  cell: { id: string; release: () => void } | null;
  /** A claim of a cell (its lock, for a spread sweep also the store) is under way. */
  claiming: boolean;
  /** Queue changes this tab made (a stored copy read before the last one is not adopted). */
  changes: number;
  /** Run keys this tab started for the sweep → their cells (to stop a run whose cell was skipped). */
  runKeys: Map<string, string>;
  /** Training seconds the running cell had before this attempt. */
  base: number;
  lastProgress: number;
  renamed: Set<string>;
  writes: Promise<void>;
  pendingWrites: number;
  unsubscribe: () => void;
}

function cellNameOf(state: SweepState, id: string): string {
  return sweepCells(state).find((c) => c.id === id)?.name ?? id;
}

/** The sweep driver (one per lab: the sweep controller makes it). */
export type SweepDriver = ReturnType<typeof createSweepDriver>;

export function createSweepDriver(run: SweepRunPort) {
  const { resumeRun, startRequestedRun, stopRun, refreshStoredRuns } = run;
  let driving: Driving | null = null;
  let kickPending = false;

  /** Applies queue events to the driven sweep: at once in memory, then in IndexedDB in order. */
  function dispatch(d: Driving, events: SweepEvent[]): void {
    if (!events.length) return;
    const state = events.reduce(reduceSweep, d.record.state);
    if (state === d.record.state) return;
    // One run per cell: a run that died before its first checkpoint is replaced, not kept beside its successor.
    const dropped = abandonedRuns(d.record.state, state);
    if (dropped.length)
      void Promise.all(dropped.map((key) => deleteRun(key)))
        .then(() => refreshStoredRuns())
        .catch((e) => setError(`could not remove an interrupted run of the sweep: ${message(e)}`));
    d.record = { ...d.record, state, updatedAt: Date.now() };
    d.changes++;
    putRecord(d.record);
    d.pendingWrites++;
    d.writes = d.writes
      .then(async () => {
        const stored = await updateSweep(d.id, (s) => events.reduce(reduceSweep, s));
        // The stored queue also holds other tabs' changes (an imported run): adopt it when nothing of ours is in flight.
        if (d.pendingWrites === 1 && driving === d) {
          d.record = stored;
          putRecord(stored);
        }
      })
      .catch((e) => setError(`the sweep's queue could not be saved: ${message(e)}`))
      .finally(() => d.pendingWrites--);
    kick();
  }

  /** Decides the next action soon (not inside a store update: the runner sets the store itself). */
  function kick(): void {
    if (kickPending) return;
    kickPending = true;
    setTimeout(() => {
      kickPending = false;
      act();
    }, 0);
  }

  function act(): void {
    const d = driving;
    if (!d) return;
    const lab = useRun.getState().run;
    if (d.cell && !isRunning(lab.status)) releaseCell(d);
    if (d.claiming) return;
    if (d.record.spread) {
      actSpread(d);
      return;
    }
    const action = decide(d.record.state, lab, d.runKeys);
    if (action.type !== 'start' && action.type !== 'resume') {
      carryOut(d, action);
      return;
    }
    // The cell's lock first: a tab of this sweep while it was spread may still hold it (then wait).
    d.claiming = true;
    takeLock(cellLockName(d.id, action.cell.id))
      .then((release) => {
        d.claiming = false;
        if (!release) return;
        const again = driving === d ? decide(d.record.state, useRun.getState().run, d.runKeys) : null;
        if (!again || again.type !== action.type || again.cell.id !== action.cell.id) {
          release();
          kick();
          return;
        }
        d.cell = { id: action.cell.id, release };
        if (!carryOut(d, again)) releaseCell(d);
      })
      .catch((e: unknown) => {
        d.claiming = false;
        setError(`could not start a cell of the sweep: ${message(e)}`);
      });
  }

  /** Gives the cell's lock back once the queue's last change of it is stored (so no tab sees it free while still running). */
  function releaseCell(d: Driving): void {
    const c = d.cell;
    if (!c) return;
    d.cell = null;
    // d.writes never rejects (each write's failure is shown where it happens).
    void d.writes.then(c.release);
  }

  /** Takes a cell's lock for this tab's run of it (a one-tab driver's cell: so turning spread on mid-run leaves it alone). */
  function holdCell(d: Driving, cellId: string): void {
    takeLock(cellLockName(d.id, cellId))
      .then((release) => {
        if (!release) return;
        const run = useRun.getState().run;
        const still = isRunning(run.status) && run.runKey !== null && d.runKeys.get(run.runKey) === cellId;
        if (driving === d && !d.cell && still) d.cell = { id: cellId, release };
        else release();
      })
      .catch((e: unknown) => setError(`could not hold a cell of the sweep: ${message(e)}`));
  }

  /** A spread sweep: while the lab is idle, claim the next free cell and train it; else as one tab does. */
  function actSpread(d: Driving): void {
    const lab = useRun.getState().run;
    if (isRunning(lab.status)) {
      const a = decide(d.record.state, lab, d.runKeys);
      if (a.type === 'stop') stopRun();
      return;
    }
    if (d.cell) return;
    d.claiming = true;
    const ports = {
      held: heldLockNames,
      tryLock: takeLock,
      update: async (fn: (s: SweepState) => SweepState) => (await updateSweep(d.id, fn)).state,
    };
    void (async () => {
      await d.writes; // the queue's last change of this tab's previous cell first
      const stored = await getSweep(d.id);
      if (!stored?.spread) return;
      const claim = await claimNext(stored.state, ports);
      if (!claim) return;
      if (driving !== d || isRunning(useRun.getState().run.status)) {
        claim.release();
        return;
      }
      d.record = { ...d.record, state: claim.state };
      d.changes++;
      putRecord(d.record);
      d.cell = { id: claim.cellId, release: claim.release };
      if (!carryOut(d, claimedAction(claim.state, claim.cellId))) releaseCell(d);
    })()
      .catch((e) => setError(`could not claim a cell of the sweep: ${message(e)}`))
      .finally(() => {
        d.claiming = false;
      });
  }

  /** Carries out a driver action on the driven sweep; false when no run started. */
  function carryOut(d: Driving, action: DriverAction): boolean {
    const state = d.record.state;
    const now = Date.now();
    if (action.type === 'stop') stopRun();
    else if (action.type === 'start') {
      const key = startRequestedRun(
        {
          config: action.config,
          data: action.data,
          weights: d.record.weights,
          attention: { count: d.record.attentionCount, seed: action.cell.seed },
        },
        settingsOfCell(state, action.cell, d.record.attentionCount),
      );
      if (!key) return false;
      d.runKeys.set(key, action.cell.id);
      d.base = 0;
      if (!d.cell) holdCell(d, action.cell.id);
      dispatch(d, [{ type: 'start', cellId: action.cell.id, runId: key, at: now }]);
      return true;
    } else if (action.type === 'resume') {
      const c = state.cells[action.cell.id];
      if (!resumeRun(action.runKey)) return false;
      d.runKeys.set(action.runKey, action.cell.id);
      d.base = c.status === 'resumable' ? (c.progress?.seconds ?? 0) : 0;
      if (!d.cell) holdCell(d, action.cell.id);
      dispatch(d, [{ type: 'start', cellId: action.cell.id, runId: action.runKey, at: now }]);
      return true;
    }
    return false;
  }

  function onRun(d: Driving, run: RunState, prev: RunState): void {
    const now = Date.now();
    let events = eventsOf(d.record.state, prev, run, now, d.base);
    // Progress alone is kept every PROGRESS_MS; anything else at once.
    if (events.every((e) => e.type === 'progress')) {
      if (now - d.lastProgress < PROGRESS_MS) events = [];
    }
    if (events.some((e) => e.type === 'progress')) d.lastProgress = now;
    dispatch(d, events);
    const key = run.runKey;
    if (key && run.started && !prev.started && d.runKeys.has(key) && !d.renamed.has(key)) {
      d.renamed.add(key);
      const cell = d.record.state.cells[d.runKeys.get(key)!] ? d.runKeys.get(key)! : null;
      const name = cell ? `${d.record.state.name} · ${cellNameOf(d.record.state, cell)}` : null;
      if (name)
        renameRun(key, name)
          .then(() => refreshStoredRuns())
          .catch(() => {});
    }
    // A run of ours running again on its own (after a lost GPU device) keeps its cell's lock.
    if (key && isRunning(run.status) && !isRunning(prev.status) && d.runKeys.has(key) && !d.cell) holdCell(d, d.runKeys.get(key)!);
    if (run.status !== prev.status) kick();
  }

  /** Drives `record` in this tab if no other tab does; false when it cannot (never rejects: a failure is shown). */
  async function drive(record: SweepRecord): Promise<boolean> {
    if (driving?.id === record.state.id) return true;
    if (cannotRunHere(record.state) || sweepFinished(record.state)) return false;
    // A spread sweep is trained by every tab that joins: no tab needs it to itself.
    const release = record.spread ? null : await takeLock(sweepLockName(record.state.id));
    if (!release && !record.spread) return false;
    let held: Set<string> | null = null;
    try {
      held = record.spread ? null : heldCells(record.state.id, await heldLockNames());
    } catch (e) {
      release?.();
      setError(`could not read which tabs train the sweep: ${message(e)}`);
      return false;
    }
    stopDriving();
    const d: Driving = {
      id: record.state.id,
      record,
      release,
      cell: null,
      claiming: false,
      changes: 0,
      runKeys: new Map(),
      base: 0,
      lastProgress: 0,
      renamed: new Set(),
      writes: Promise.resolve(),
      pendingWrites: 0,
      unsubscribe: () => {},
    };
    driving = d;
    useSweeps.setState({ drivenId: d.id });
    // Holding the lock, no other tab drives this sweep: a run it marks running died with its page,
    // unless a tab still holds its cell's lock (it was spread until now). A spread sweep's dead
    // cells are reclaimed one by one, each under its lock.
    if (held) dispatch(d, takeoverEvents(record.state, held));
    d.unsubscribe = useRun.subscribe((s, p) => {
      if (s.run !== p.run && driving === d) onRun(d, s.run, p.run);
    });
    kick();
    return true;
  }

  function stopDriving(): void {
    if (!driving) return;
    driving.unsubscribe();
    driving.release?.();
    driving.cell?.release();
    driving = null;
    useSweeps.setState({ drivenId: null });
  }

  /** Reads the stored sweeps into the store; null when they could not be read (the error is shown). */
  async function readSweeps(): Promise<SweepRecord[] | null> {
    const changes = driving?.changes;
    try {
      const { sweeps, problems } = await listSweeps();
      // The driven sweep's memory is newer than its stored copy while writes are in flight.
      // A spread sweep's stored copy has the other tabs' cells: adopt it when none of ours is in flight.
      // The spread choice is always the stored one (another tab may turn it on or off).
      const d = driving;
      const stored = d && sweeps.find((r) => r.state.id === d.id);
      const settled = d?.pendingWrites === 0 && d.changes === changes;
      if (d && stored) d.record = d.record.spread && settled ? stored : { ...d.record, spread: stored.spread };
      const merged = sweeps.map((r) => (d && r.state.id === d.id ? d.record : r));
      useSweeps.setState({ sweeps: merged, problems, loaded: true });
      return sweeps;
    } catch (e) {
      useSweeps.setState({ loaded: true, error: `could not read the stored sweeps: ${message(e)}` });
      return null;
    }
  }

  return {
    /** The sweep this tab drives now (null: none). */
    current: (): Driving | null => driving,
    drive,
    stopDriving,
    dispatch,
    kick,
    readSweeps,
  };
}
