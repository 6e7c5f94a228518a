// The sweep controller: the user's sweep actions (start, pause, skip, reorder, spread over tabs,
// import) and the panel's polling, on top of the driving loop (sweep-driver.ts). Made once by
// createLab, with the run controller the driver starts cells through.
import {
  createSweep,
  reduceSweep,
  sweepFinished,
  type CellParams,
  type SweepAxes,
  type SweepEvent,
  type SweepSpec,
  type SweepState,
} from '../../engine/sweep/index.ts';
import type { Method } from '../../engine/config.ts';
import { newRunKey } from '../../storage/run-store.ts';
import { addSweep, setSweepSpread, updateSweep, type SweepRecord } from '../../storage/sweep-store.ts';
import { configRequestOf, dataOptionsOf, parseSettings } from '../settings.ts';
import { useData } from '../data-store.ts';
import { isRunning, useRun } from '../current-run-store.ts';
import { useSettings } from '../settings-store.ts';
import { useWeights } from '../weights-store.ts';
import { spreadTabs } from './sweep-claims.ts';
import { cannotRunHere } from './sweep-decisions.ts';
import { createSweepDriver, type SweepRunPort } from './sweep-driver.ts';
import { heldLockNames } from './sweep-locks.ts';
import { errorMessage as message, putSweepRecord as putRecord, setSweepError as setError, useSweeps } from './sweeps-store.ts';
import { dateText } from '../../engine/format.ts';

export interface SweepForm {
  methods: Method[];
  noiseRates: number[];
  seeds: number[];
  name: string;
  /** Hyperparameter axes (lists of two values or more) and single values over the run settings. */
  axes?: SweepAxes;
  fixed?: CellParams;
}

/** The sweep controller's methods (one per lab: createLab). */
export type SweepController = ReturnType<typeof createSweepController>;

export function createSweepController(run: SweepRunPort) {
  const driver = createSweepDriver(run);
  const { drive, stopDriving, dispatch, kick, readSweeps } = driver;

  /** Reads the stored sweeps and, if one is unfinished and no other tab drives it, drives it. */
  async function loadSweeps(): Promise<void> {
    const sweeps = await readSweeps();
    if (sweeps && !driver.current()) {
      const runnable = (r: SweepRecord) => !sweepFinished(r.state) && !cannotRunHere(r.state);
      const open = sweeps.find((r) => runnable(r) && !r.state.paused) ?? sweeps.find(runnable);
      if (open) await drive(open);
    }
  }

  /** Starts a sweep of the form's settings over the given axes; returns a one-line error, or null. */
  async function startSweep(form: SweepForm): Promise<string | null> {
    const lab = useSettings.getState();
    const driving = driver.current();
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
  async function sweepAction(id: string, event: SweepEvent): Promise<void> {
    const driving = driver.current();
    if (driving?.id === id) {
      dispatch(driving, [event]);
      return;
    }
    try {
      const rec = await updateSweep(id, (s) => reduceSweep(s, event));
      putRecord(rec);
      if (!driver.current() && !sweepFinished(rec.state)) await drive(rec);
    } catch (e) {
      setError(message(e));
    }
  }

  /** Stores a sweep read from a file (its cells as they were; open ones wait for a driver). */
  async function addImportedSweep(state: SweepState): Promise<void> {
    const rec = await addSweep({ state: reduceSweep(state, { type: 'pause' }), weights: null, attentionCount: 0, updatedAt: Date.now() });
    putRecord(rec);
  }

  /** Replaces a stored sweep's queue with `next` (an imported run joined a cell). */
  async function replaceSweepState(id: string, fn: (s: SweepState) => SweepState): Promise<void> {
    const driving = driver.current();
    if (driving?.id === id) {
      const next = fn(driving.record.state);
      // Through the reducer's own import event, so the stored copy takes the same change.
      const changed = next.order.filter((c) => next.cells[c] !== driving!.record.state.cells[c]);
      dispatch(
        driving,
        changed.flatMap((c): SweepEvent[] => {
          const cell = next.cells[c];
          return cell.status === 'done'
            ? [{ type: 'import', cellId: c, runId: cell.runId, summary: cell.summary, at: cell.finishedAt }]
            : [];
        }),
      );
      return;
    }
    const rec = await updateSweep(id, fn);
    putRecord(rec);
  }

  /** Turns spreading a sweep over open tabs on or off (stored: the other tabs see it on their next poll). */
  async function setSpread(id: string, spread: boolean): Promise<void> {
    try {
      const rec = await setSweepSpread(id, spread);
      const driving = driver.current();
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
  async function pollSweeps(): Promise<void> {
    const sweeps = await readSweeps();
    const d = driver.current();
    // A tab training a run of its own does not join.
    if (!d && !isRunning(useRun.getState().run.status)) {
      const open = sweeps?.find((r) => r.spread && !r.state.paused && !sweepFinished(r.state) && !cannotRunHere(r.state));
      if (open) await drive(open);
    } else if (d && !d.release && !d.record.spread && !d.cell && !isRunning(useRun.getState().run.status)) {
      stopDriving();
      await loadSweeps();
    } else if (d) kick();
    const now = driver.current();
    useSweeps.setState({ tabs: now ? spreadTabs(now.id, await heldLockNames().catch(() => [])) : 0 });
  }

  return { loadSweeps, startSweep, sweepAction, addImportedSweep, replaceSweepState, setSpread, pollSweeps, dispose: stopDriving };
}
