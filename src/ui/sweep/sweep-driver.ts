// The lab's sweep driver: trains a sweep's cells one after another in this tab. It follows the
// lab store's current run, turns its changes into queue events (sweep-decisions.ts), keeps the
// queue in IndexedDB (src/storage/sweep-store.ts) one transaction per change, and starts the next
// cell or resumes an interrupted one through runner.ts. A Web Lock per sweep makes one tab its
// driver: a reload releases it, and the next page load takes it over and resumes the sweep at the
// interrupted run's last checkpoint. A sweep spread over open tabs (its record's `spread`) needs no
// sweep lock: every tab that joins claims one cell at a time (sweep-claims.ts) under a Web Lock
// per cell, which every tab training a cell holds in either mode, so turning the choice on or off
// mid-sweep never runs a cell twice.
import { create } from 'zustand';
import {
  createSweep,
  reduceSweep,
  sweepCells,
  sweepFinished,
  type SweepEvent,
  type CellParams,
  type SweepAxes,
  type SweepSpec,
  type SweepState,
} from '../../engine/sweep/index.ts';
import type { Method } from '../../engine/config.ts';
import { deleteRun, renameRun, newRunKey } from '../../storage/run-store.ts';
import { addSweep, getSweep, listSweeps, setSweepSpread, sweepLockName, updateSweep, type SweepRecord } from '../../storage/sweep-store.ts';
import { resumeRun, startRequestedRun, stopRun, refreshStoredRuns } from '../runner.ts';
import { configRequestOf, dataOptionsOf, parseSettings } from '../settings.ts';
import { useData } from '../data-store.ts';
import { isRunning, useLab, type RunState } from '../store.ts';
import { useWeights } from '../weights-store.ts';
import { cellLockName, claimedAction, claimNext, heldCells, spreadTabs, takeoverEvents } from './sweep-claims.ts';
import { abandonedRuns, cannotRunHere, decide, eventsOf, settingsOfCell, type DriverAction } from './sweep-decisions.ts';
import { dateText } from '../../engine/format.ts';

/** Progress is kept at most this often (the ETA needs no more; each write is an IndexedDB transaction). */
const PROGRESS_MS = 2000;

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

const setError = (error: string | null) => useSweeps.setState({ error });
const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

function putRecord(rec: SweepRecord): void {
  useSweeps.setState((s) => {
    const i = s.sweeps.findIndex((r) => r.state.id === rec.state.id);
    const sweeps = i < 0 ? [rec, ...s.sweeps] : s.sweeps.map((r, j) => (j === i ? rec : r));
    return { sweeps };
  });
}

interface Driving {
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
  const lab = useLab.getState().run;
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
  void takeLock(cellLockName(d.id, action.cell.id)).then((release) => {
    d.claiming = false;
    if (!release) return;
    const again = driving === d ? decide(d.record.state, useLab.getState().run, d.runKeys) : null;
    if (!again || again.type !== action.type || again.cell.id !== action.cell.id) {
      release();
      kick();
      return;
    }
    d.cell = { id: action.cell.id, release };
    if (!carryOut(d, again)) releaseCell(d);
  });
}

/** Gives the cell's lock back once the queue's last change of it is stored (so no tab sees it free while still running). */
function releaseCell(d: Driving): void {
  const c = d.cell;
  if (!c) return;
  d.cell = null;
  void d.writes.then(c.release);
}

/** Takes a cell's lock for this tab's run of it (a one-tab driver's cell: so turning spread on mid-run leaves it alone). */
function holdCell(d: Driving, cellId: string): void {
  void takeLock(cellLockName(d.id, cellId)).then((release) => {
    if (!release) return;
    const run = useLab.getState().run;
    const still = isRunning(run.status) && run.runKey !== null && d.runKeys.get(run.runKey) === cellId;
    if (driving === d && !d.cell && still) d.cell = { id: cellId, release };
    else release();
  });
}

/** A spread sweep: while the lab is idle, claim the next free cell and train it; else as one tab does. */
function actSpread(d: Driving): void {
  const lab = useLab.getState().run;
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
    if (driving !== d || isRunning(useLab.getState().run.status)) {
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

/** The origin's held Web Lock names (every tab's); none without Web Locks. */
async function heldLockNames(): Promise<string[]> {
  const locks = (globalThis.navigator as Navigator | undefined)?.locks;
  if (!locks) return [];
  const q = await locks.query();
  return (q.held ?? []).flatMap((l) => (l.name ? [l.name] : []));
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

function cellNameOf(state: SweepState, id: string): string {
  return sweepCells(state).find((c) => c.id === id)?.name ?? id;
}

/** Takes a Web Lock if no other tab holds it; resolves to its release, or null. */
async function takeLock(name: string): Promise<(() => void) | null> {
  const locks = (globalThis.navigator as Navigator | undefined)?.locks;
  if (!locks) return () => {};
  return new Promise((resolve) => {
    void locks.request(name, { ifAvailable: true }, (lock) => {
      if (!lock) {
        resolve(null);
        return undefined;
      }
      return new Promise<void>((release) => resolve(release));
    });
  });
}

async function drive(record: SweepRecord): Promise<boolean> {
  if (driving?.id === record.state.id) return true;
  if (cannotRunHere(record.state) || sweepFinished(record.state)) return false;
  // A spread sweep is trained by every tab that joins: no tab needs it to itself.
  const release = record.spread ? null : await takeLock(sweepLockName(record.state.id));
  if (!release && !record.spread) return false;
  const held = record.spread ? null : heldCells(record.state.id, await heldLockNames());
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
  d.unsubscribe = useLab.subscribe((s, p) => {
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

/** Reads the stored sweeps and, if one is unfinished and no other tab drives it, drives it. */
export async function loadSweeps(): Promise<void> {
  const sweeps = await readSweeps();
  if (sweeps && !driving) {
    const runnable = (r: SweepRecord) => !sweepFinished(r.state) && !cannotRunHere(r.state);
    const open = sweeps.find((r) => runnable(r) && !r.state.paused) ?? sweeps.find(runnable);
    if (open) await drive(open);
  }
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

export interface SweepForm {
  methods: Method[];
  noiseRates: number[];
  seeds: number[];
  name: string;
  /** Hyperparameter axes (lists of two values or more) and single values over the run settings. */
  axes?: SweepAxes;
  fixed?: CellParams;
}

/** Starts a sweep of the form's settings over the given axes; returns a one-line error, or null. */
export async function startSweep(form: SweepForm): Promise<string | null> {
  const lab = useLab.getState();
  if (driving && !sweepFinished(driving.record.state) && !driving.record.state.paused)
    return 'a sweep is already running in this tab: cancel it or let it finish first';
  const parsed = parseSettings(lab.draft);
  if (!parsed.settings) {
    lab.setErrors(parsed.errors);
    return 'fix the run settings first (they are marked in the form)';
  }
  const settings = parsed.settings;
  const selection = useData.getState().selected;
  if (selection.kind === 'cached' && selection.labelFile)
    return `a sweep sets each cell's noise rate: choose the clean labels instead of ${selection.labelFile}`;
  const weights = useWeights.getState();
  const w = weights.selected ? weights.selectedRecord : null;
  if (w && (form.axes?.arch || form.axes?.width))
    return 'pretrained weights fit one backbone and width: list one backbone and one width, or choose random init';
  if (w && (w.arch !== (form.fixed?.arch ?? settings.arch) || w.width !== (form.fixed?.width ?? settings.width)))
    return `the selected weights are a ${w.arch} of width ${w.width}: choose that backbone and width, or random init`;
  const wLayout = w?.layout === 'resnet50-torchvision' ? 'torchvision' : 'caffe';
  if (w && w.arch === 'resnet50' && wLayout !== settings.layout)
    return `the selected weights are a ResNet-50 in the ${wLayout} layout: choose that layout, or random init`;
  const { method: _m, seed: _s, ...own } = configRequestOf(settings);
  const config = { ...own, ...form.fixed };
  const spec: SweepSpec = {
    methods: form.methods,
    noiseRates: form.noiseRates,
    seeds: form.seeds,
    config,
    data: dataOptionsOf(settings, selection),
  };
  if (form.axes && Object.keys(form.axes).length) spec.axes = form.axes;
  const createdAt = Date.now();
  let state: SweepState;
  try {
    state = createSweep(spec, {
      id: `sweep-${newRunKey(createdAt)}`,
      name: form.name.trim() || `Sweep ${dateText(createdAt)}`,
      createdAt,
    });
  } catch (e) {
    return message(e);
  }
  try {
    const rec = await addSweep({ state, weights: weights.selected, attentionCount: settings.attentionCount, updatedAt: createdAt });
    putRecord(rec);
    setError(null);
    if (!(await drive(rec))) return 'the sweep is stored, but another tab drives it';
    return null;
  } catch (e) {
    return message(e);
  }
}

/** A queue event from the user (pause, skip, reorder…): on the driven sweep, or straight to the store. */
export async function sweepAction(id: string, event: SweepEvent): Promise<void> {
  if (driving?.id === id) {
    dispatch(driving, [event]);
    return;
  }
  try {
    const rec = await updateSweep(id, (s) => reduceSweep(s, event));
    putRecord(rec);
    if (!driving && !sweepFinished(rec.state)) await drive(rec);
  } catch (e) {
    setError(message(e));
  }
}

/** Stores a sweep read from a file (its cells as they were; open ones wait for a driver). */
export async function addImportedSweep(state: SweepState): Promise<void> {
  const rec = await addSweep({ state: reduceSweep(state, { type: 'pause' }), weights: null, attentionCount: 0, updatedAt: Date.now() });
  putRecord(rec);
}

/** Replaces a stored sweep's queue with `next` (an imported run joined a cell). */
export async function replaceSweepState(id: string, fn: (s: SweepState) => SweepState): Promise<void> {
  if (driving?.id === id) {
    const next = fn(driving.record.state);
    // Through the reducer's own import event, so the stored copy takes the same change.
    const changed = next.order.filter((c) => next.cells[c] !== driving!.record.state.cells[c]);
    dispatch(
      driving,
      changed.flatMap((c): SweepEvent[] => {
        const cell = next.cells[c];
        return cell.status === 'done' ? [{ type: 'import', cellId: c, runId: cell.runId, summary: cell.summary, at: cell.finishedAt }] : [];
      }),
    );
    return;
  }
  const rec = await updateSweep(id, fn);
  putRecord(rec);
}

/** Turns spreading a sweep over open tabs on or off (stored: the other tabs see it on their next poll). */
export async function setSpread(id: string, spread: boolean): Promise<void> {
  try {
    const rec = await setSweepSpread(id, spread);
    if (driving?.id === id) driving.record = { ...driving.record, spread };
    putRecord(driving?.id === id ? driving.record : rec);
    kick();
  } catch (e) {
    setError(message(e));
  }
}

/**
 * Every few seconds while the sweep panel is shown: re-reads the sweeps, joins a spread sweep
 * when this tab drives none, lets go of one that is no longer spread (after its cell; the tab
 * holding its lock, or the next page load, drives it alone), and counts the tabs training.
 */
export async function pollSweeps(): Promise<void> {
  const sweeps = await readSweeps();
  const d = driving;
  // A tab training a run of its own does not join.
  if (!d && !isRunning(useLab.getState().run.status)) {
    const open = sweeps?.find((r) => r.spread && !r.state.paused && !sweepFinished(r.state) && !cannotRunHere(r.state));
    if (open) await drive(open);
  } else if (d && !d.release && !d.record.spread && !d.cell && !isRunning(useLab.getState().run.status)) {
    stopDriving();
    await loadSweeps();
  } else if (d) kick();
  const now = driving;
  useSweeps.setState({ tabs: now ? spreadTabs(now.id, await heldLockNames().catch(() => [])) : 0 });
}
