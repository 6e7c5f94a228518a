// Classroom mode: a presenter view with large type and few controls. Pick a stored run and a
// sample (arrows, or "show a noisy one"), then walk through "attention erasing explained" step by
// step (Back/Next, the arrow keys, or a presenter clicker's Page Up/Down), or put the same sample
// under two runs side by side; below, the feature picture of the run. The models are evaluated in
// the inspect worker (workers/inspect.worker.ts), never on the page's thread.
import { useEffect } from 'react';
import { useClassroom, useRunClasses, STEPS } from './classroom-store.ts';
import { useControllers } from '../lab-context.tsx';
import { RunPicker } from './RunPicker.tsx';
import { StepNav, WalkthroughStage } from './Walkthrough.tsx';
import { SideBySide } from './SideBySide.tsx';
import { EmbeddingPanel } from './EmbeddingPanel.tsx';
import { InspectBackend } from './InspectBackend.tsx';
import { CameraView } from './camera/CameraView.tsx';
import './classroom.css';

const RUNS_POLL_MS = 4000;

function isTyping(t: EventTarget | null): boolean {
  const el = t as HTMLElement | null;
  if (!el?.tagName) return false;
  return el.tagName === 'INPUT' || el.tagName === 'SELECT' || el.tagName === 'TEXTAREA' || el.isContentEditable;
}

function SampleBar() {
  const a = useClassroom((s) => s.a);
  const classNames = useRunClasses('a');
  const index = useClassroom((s) => s.index);
  const { stepSample, setIndex, noisySample, setCompare } = useControllers().classroom;
  const mapClass = useClassroom((s) => s.mapClass);
  const setMapClass = useClassroom((s) => s.setMapClass);
  const compare = useClassroom((s) => s.compare);
  const n = a.info?.labels.length ?? 0;
  const label = a.info?.labels[index];
  const clean = a.info?.cleanLabels[index];
  const w = a.answer?.result;
  return (
    <div className="cr-bar">
      <RunPicker />
      <div className="cr-sample">
        <button type="button" onClick={() => stepSample(-1)} disabled={!n} aria-label="previous sample" data-testid="cr-prev-sample">
          ◀
        </button>
        <span>
          image{' '}
          <input
            type="number"
            min={1}
            max={n || 1}
            value={index + 1}
            onChange={(e) => setIndex(Number(e.target.value) - 1)}
            disabled={!n}
            aria-label="training image number"
            data-testid="cr-index"
          />{' '}
          of {n}
        </span>
        <button type="button" onClick={() => stepSample(1)} disabled={!n} aria-label="next sample" data-testid="cr-next-sample">
          ▶
        </button>
        <button type="button" onClick={noisySample} disabled={!n} data-testid="cr-noisy">
          Show a noisy one
        </button>
      </div>
      {label !== undefined && clean !== undefined ? (
        <span className={`cr-badge ${label === clean ? 'clean' : 'noisy'}`} data-testid="cr-label">
          {label === clean ? `label ${classNames[label]}` : `label ${classNames[label]} · true ${classNames[clean]}`}
        </span>
      ) : null}
      {w ? (
        <span className="cr-pred">
          predicted <b className={w.pred1 === w.cleanLabel ? 'ok' : 'bad'}>{classNames[w.pred1]}</b>
        </span>
      ) : null}
      {/* biome-ignore lint/a11y/useSemanticElements: a toggle-button group, styled as one row; a fieldset adds a legend and borders */}
      <div className="cr-toggle" role="group" aria-label="Maps for">
        <button type="button" className={mapClass === 'label' ? 'active' : ''} onClick={() => setMapClass('label')}>
          maps for the label
        </button>
        <button type="button" className={mapClass === 'pred' ? 'active' : ''} onClick={() => setMapClass('pred')}>
          for the prediction
        </button>
      </div>
      <label className="cr-compare">
        <input type="checkbox" checked={compare} onChange={(e) => setCompare(e.target.checked)} data-testid="cr-compare" /> two runs side by
        side
      </label>
    </div>
  );
}

export function ClassroomView() {
  const classroom = useControllers().classroom;
  const { refreshRuns, setMode } = classroom;
  const runsLoaded = useClassroom((s) => s.runsLoaded);
  const runsError = useClassroom((s) => s.runsError);
  const a = useClassroom((s) => s.a);
  const compare = useClassroom((s) => s.compare);
  const notice = useClassroom((s) => s.notice);
  const mode = useClassroom((s) => s.mode);

  useEffect(() => {
    void refreshRuns();
    // Runs training in this or another tab write a checkpoint per epoch: pick them up.
    // Not under the camera: reading the run records is page-thread work between its frames (the
    // model picker still refreshes the list when it gets focus).
    const timer = setInterval(() => {
      if (useClassroom.getState().mode !== 'camera') void refreshRuns();
    }, RUNS_POLL_MS);
    return () => clearInterval(timer);
  }, [refreshRuns]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (isTyping(e.target) || e.altKey || e.ctrlKey || e.metaKey) return;
      const s = useClassroom.getState();
      if (s.mode === 'camera') return;
      const fwd = e.key === 'ArrowRight' || e.key === 'PageDown';
      const back = e.key === 'ArrowLeft' || e.key === 'PageUp';
      if (!fwd && !back) return;
      e.preventDefault();
      // Side by side has no steps: the arrows move through the samples.
      if (s.compare) classroom.stepSample(fwd ? 1 : -1);
      else s.setStep(s.step + (fwd ? 1 : -1));
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [classroom]);

  const noRun = runsLoaded && !a.runKey;
  const modes = (
    // biome-ignore lint/a11y/useSemanticElements: a toggle-button group, as the maps' one
    <div className="cr-toggle cr-modes" role="group" aria-label="Classroom mode">
      <button
        type="button"
        className={mode === 'walkthrough' ? 'active' : ''}
        onClick={() => setMode('walkthrough')}
        data-testid="cr-mode-walkthrough"
      >
        Stored images
      </button>
      <button type="button" className={mode === 'camera' ? 'active' : ''} onClick={() => setMode('camera')} data-testid="cr-mode-camera">
        Camera
      </button>
    </div>
  );
  if (mode === 'camera')
    return (
      <section className="classroom" aria-label="Classroom" data-testid="classroom">
        <div className="panel cr-main">
          <h2 className="cr-title">The camera: where the model looks on a face {modes}</h2>
          {runsError ? <p className="cr-error">{runsError}</p> : null}
          <CameraView />
        </div>
      </section>
    );
  return (
    <section className="classroom" aria-label="Classroom" data-testid="classroom">
      <div className="panel cr-main">
        <h2 className="cr-title">Attention erasing, explained {modes}</h2>
        <SampleBar />
        {runsError ? <p className="cr-error">{runsError}</p> : null}
        {notice ? <p className="cr-notice">{notice}</p> : null}
        {noRun ? (
          <p className="cr-empty" data-testid="cr-no-run">
            No stored run has a checkpoint yet. Train a run in the <a href="#lab">Train</a> view: a checkpoint is written after every epoch,
            and the classroom shows that model.
          </p>
        ) : null}
        {a.error ? (
          <p className="cr-error" data-testid="cr-error">
            {a.error}
          </p>
        ) : null}
        {a.loading && !a.answer ? <p className="muted cr-loading">{a.detail ?? 'Loading the model…'}</p> : null}
        {compare ? (
          <SideBySide />
        ) : a.answer ? (
          <>
            <WalkthroughStage answer={a.answer} />
            <StepNav />
            <p className="muted cr-hint">
              ← → or Page Up/Down: steps {1}–{STEPS} · model of epoch {a.answer.epoch}
              {a.loading ? ' · updating…' : ''}
            </p>
          </>
        ) : null}
        <InspectBackend />
      </div>
      <EmbeddingPanel runKey={a.runKey} trainCount={a.info?.labels.length} />
    </section>
  );
}
