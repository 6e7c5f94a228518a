// The same sample, with the same erasing, under two runs (say, baseline and EAC): for each run the
// erased view 1 with its attention map, view 2's map flipped back, their difference, the
// prediction and the consistency loss, one row per run.
import { useMemo } from 'react';
import { classesOf } from '../../engine/dataset.ts';
import type { RunRecord } from '../../storage/run-store.ts';
import { ImageCanvas } from './ImageCanvas.tsx';
import { useClassroom, withCheckpoint, type Slot, type SlotState } from './classroom-store.ts';
import { useControllers } from '../lab-context.tsx';
import { formatNumber, walkthroughLayers } from './overlays.ts';
import { runLabel } from './RunPicker.tsx';
import { distinctLabels } from '../run/run-names.ts';

const SIZE = 190;

function Row({ slot, state, runs }: { slot: Slot; state: SlotState; runs: RunRecord[] }) {
  const mapClass = useClassroom((s) => s.mapClass);
  const { selectRun } = useControllers().classroom;
  const w = state.answer?.result ?? null;
  const layers = useMemo(() => (w ? walkthroughLayers(w, mapClass) : null), [w, mapClass]);
  const rec = runs.find((r) => r.key === state.runKey);
  const classNames = classesOf(rec ?? {});
  const usable = withCheckpoint(runs);
  const labels = distinctLabels(usable, runLabel);
  return (
    <div className="cr-sbs-row" data-testid={`cr-sbs-${slot}`}>
      <div className="cr-sbs-head">
        <select
          value={state.runKey ?? ''}
          onChange={(e) => selectRun(slot, e.target.value || null)}
          aria-label={`run ${slot === 'a' ? 'A' : 'B'}`}
          data-testid={`cr-sbs-run-${slot}`}
        >
          {usable.map((r) => (
            <option key={r.key} value={r.key}>
              {labels.get(r.key)}
            </option>
          ))}
        </select>
        {rec ? (
          <span className={`cr-method ${rec.request.config.method}`}>{rec.request.config.method === 'eac' ? 'EAC' : 'baseline'}</span>
        ) : null}
        {state.loading ? <span className="muted">{state.detail ?? 'computing…'}</span> : null}
      </div>
      {state.error ? <p className="cr-error">{state.error}</p> : null}
      <div className="cr-sbs-pictures">
        <ImageCanvas
          rgb={w?.view1 ?? null}
          size={w?.size ?? 1}
          box={w?.box1}
          overlay={layers?.map1}
          display={SIZE}
          caption="view 1’s attention"
          testId={`cr-sbs-map1-${slot}`}
        />
        <ImageCanvas rgb={w?.view1 ?? null} size={w?.size ?? 1} overlay={layers?.map2} display={SIZE} caption="view 2’s, flipped back" />
        <ImageCanvas
          rgb={null}
          size={w?.size ?? 1}
          overlay={layers?.diff}
          display={SIZE}
          caption={layers ? `difference (±${formatNumber(layers.maxAbsDiff)})` : 'difference'}
        />
        {w && layers ? (
          <div className="cr-sbs-numbers">
            <div>
              predicts <b className={w.pred1 === w.cleanLabel ? 'ok' : 'bad'}>{classNames[w.pred1]}</b> (
              {Math.round(w.probs1[w.pred1] * 100)}%)
            </div>
            <div>
              map of <b>{classNames[layers.cls]}</b>
            </div>
            <div className="cr-sbs-loss" data-testid={`cr-sbs-consistency-${slot}`}>
              consistency <b>{formatNumber(w.consistency)}</b>
            </div>
            <div className="muted">epoch {state.answer!.epoch} checkpoint</div>
          </div>
        ) : null}
      </div>
    </div>
  );
}

export function SideBySide() {
  const a = useClassroom((s) => s.a);
  const b = useClassroom((s) => s.b);
  const runs = useClassroom((s) => s.runs);
  const index = useClassroom((s) => s.index);
  const sameData = a.info && b.info ? a.info.datasetName === b.info.datasetName && a.info.labels.length === b.info.labels.length : true;
  return (
    <div className="cr-sbs" data-testid="cr-side-by-side">
      <p className="cr-text-small">
        The same image, with the same random erasing, under two models. A model that learned the expressions attends to the face the same
        way in both views (a small difference); one that memorised noisy labels often does not.
      </p>
      {!sameData ? (
        <p className="cr-warning">The two runs trained on different datasets: sample {index + 1} is not the same image in both.</p>
      ) : null}
      <Row slot="a" state={a} runs={runs} />
      {b.runKey ? (
        <Row slot="b" state={b} runs={runs} />
      ) : (
        <p className="muted">Train a second run (for example the baseline) to compare.</p>
      )}
    </div>
  );
}
