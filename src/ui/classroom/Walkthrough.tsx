// "Attention erasing explained", step by step, for one sample under one run's model: the image,
// the random erasing (re-roll, erased-area range), the flip, the attention map of view 1, view 2's
// map flipped back, their difference and the consistency loss. Big pictures and one or two plain
// sentences per step; Back/Next (and the arrow keys, see ClassroomView) move between steps.
import { useMemo, type ReactElement } from 'react';
import { ImageCanvas } from './ImageCanvas.tsx';
import { useClassroom, useRunClasses, STEPS } from './classroom-store.ts';
import { useControllers } from '../lab-context.tsx';
import { formatNumber, walkthroughLayers } from './overlays.ts';
import type { WalkthroughAnswer } from './inspect-client.ts';

const STEP_TITLES = [
  'The image',
  'Random erasing',
  'The flip',
  'Where view 1 looks',
  'Where view 2 looks, flipped back',
  'The difference',
  'The consistency loss',
] as const;

const BIG = 260;

function ScaleControls() {
  const scale = useClassroom((s) => s.scale);
  const { setScale, reroll } = useControllers().classroom;
  const pct = (x: number) => Math.round(x * 100);
  return (
    <div className="cr-erasing-controls">
      <button type="button" onClick={reroll} data-testid="cr-reroll">
        Re-roll the erasing
      </button>
      <label>
        erased area from <b>{pct(scale[0])}%</b>
        <input
          type="range"
          min={0}
          max={60}
          step={1}
          value={pct(scale[0])}
          onChange={(e) => setScale([Number(e.target.value) / 100, scale[1]])}
          data-testid="cr-scale-lo"
          aria-label="smallest erased area, percent of the image"
        />
      </label>
      <label>
        to <b>{pct(scale[1])}%</b>
        <input
          type="range"
          min={0}
          max={60}
          step={1}
          value={pct(scale[1])}
          onChange={(e) => setScale([scale[0], Number(e.target.value) / 100])}
          data-testid="cr-scale-hi"
          aria-label="largest erased area, percent of the image"
        />
      </label>
      <span className="muted">the recipe: 2% to 25%</span>
    </div>
  );
}

export function WalkthroughStage({ answer }: { answer: WalkthroughAnswer }) {
  const step = useClassroom((s) => s.step);
  const mapClass = useClassroom((s) => s.mapClass);
  const scale = useClassroom((s) => s.scale);
  const w = answer.result;
  const layers = useMemo(() => walkthroughLayers(w, mapClass), [w, mapClass]);
  const classNames = useRunClasses('a');
  const cls = classNames[layers.cls];
  const flipped = w.label !== w.cleanLabel;
  const pct = (x: number) => `${Math.round(x * 100)}%`;
  const boxArea = w.box1 ? (w.box1.h * w.box1.w) / (w.size * w.size) : 0;
  const config = useClassroom((s) => s.a.info?.config);
  // View 2 gets its own erasing draw in the official noisy-label setting; else it mirrors view 1.
  const independent = config?.augment === 'full' && config.erasing === 'independent';

  let pictures: ReactElement[] = [];
  let text: ReactElement;
  const img = (key: string, props: Parameters<typeof ImageCanvas>[0]) => <ImageCanvas key={key} {...props} />;
  switch (step) {
    case 1:
      pictures = [img('image', { rgb: w.image, size: w.size, display: BIG + 60, caption: `${w.name}`, testId: 'cr-image' })];
      text = (
        <p>
          A training image, as the network sees it ({w.size}×{w.size} pixels). Its training label says <b>{classNames[w.label]}</b>
          {flipped ? (
            <>
              {' '}
              but the face shows <b>{classNames[w.cleanLabel]}</b>: this label is one of the noisy ones.
            </>
          ) : (
            <>, and that is right.</>
          )}
        </p>
      );
      break;
    case 2:
      pictures = [
        img('image', { rgb: w.image, size: w.size, display: BIG, caption: 'the image' }),
        img('view1', {
          rgb: w.view1,
          size: w.size,
          box: w.box1,
          display: BIG,
          caption: w.box1 ? `view 1: ${pct(boxArea)} erased` : 'view 1: nothing erased',
          testId: 'cr-view1',
        }),
      ];
      text = (
        <p>
          <b>Random erasing</b> blanks a random rectangle covering {pct(scale[0])} to {pct(scale[1])} of the image. The network must still
          find the expression in what is left. Re-roll it, or change the range.
        </p>
      );
      break;
    case 3:
      pictures = [
        img('view1', { rgb: w.view1, size: w.size, box: w.box1, display: BIG, caption: 'view 1', testId: 'cr-view1' }),
        img('view2', {
          rgb: w.view2,
          size: w.size,
          box: w.box2,
          display: BIG,
          caption: independent ? 'view 2: flipped, its own erasing' : 'view 2: view 1 flipped',
          testId: 'cr-view2',
        }),
      ];
      text = (
        <p>
          The second view is the same face <b>flipped left to right</b>
          {independent ? ', with its own random erasing' : ''}. A flip does not change an expression, so a good model should look at the
          same parts of the face in both.
        </p>
      );
      break;
    case 4:
      pictures = [
        img('view1', { rgb: w.view1, size: w.size, box: w.box1, display: BIG, caption: 'view 1' }),
        img('map1', { rgb: w.view1, size: w.size, overlay: layers.map1, display: BIG, caption: `attention for ${cls}`, testId: 'cr-map1' }),
      ];
      text = (
        <p>
          The <b>attention map</b> of view 1 for <b>{cls}</b>: for each region of the image, how strongly the network’s features vote for{' '}
          {cls}. Yellow is strong, dark blue weak.
        </p>
      );
      break;
    case 5:
      pictures = [
        img('map2raw', { rgb: w.view2, size: w.size, overlay: layers.map2Raw, display: BIG, caption: `view 2: attention for ${cls}` }),
        img('map2', {
          rgb: w.view1,
          size: w.size,
          overlay: layers.map2,
          display: BIG,
          caption: 'flipped back onto view 1',
          testId: 'cr-map2',
        }),
        img('map1', { rgb: w.view1, size: w.size, overlay: layers.map1, display: BIG, caption: 'view 1’s, for comparison' }),
      ];
      text = (
        <p>
          View 2’s attention map, then <b>flipped back</b> so that left and right line up with view 1. If the model looks at the face the
          same way whatever is erased or flipped, the two maps match.
        </p>
      );
      break;
    case 6:
      pictures = [
        img('m1', { rgb: null, size: w.size, overlay: layers.map1Solid, display: BIG - 40, caption: 'view 1' }),
        img('m2', { rgb: null, size: w.size, overlay: layers.map2Solid, display: BIG - 40, caption: 'view 2, flipped back' }),
        img('diff', {
          rgb: null,
          size: w.size,
          overlay: layers.diff,
          display: BIG - 40,
          caption: `difference (±${formatNumber(layers.maxAbsDiff)})`,
          testId: 'cr-diff',
        }),
      ];
      text = (
        <p>
          Their <b>difference</b>, region by region: red where view 1 attends more, blue where view 2 does, white where they agree.
        </p>
      );
      break;
    default: {
      const lossShare = answer.lam * w.consistency;
      pictures = [img('diff', { rgb: null, size: w.size, overlay: layers.diff, display: BIG - 40, caption: 'difference for this class' })];
      text = (
        <>
          <p className="cr-loss" data-testid="cr-consistency" data-value={w.consistency}>
            consistency loss = <b>{formatNumber(w.consistency)}</b>
          </p>
          <p>
            The mean of the squared differences over every region and all 7 classes. EAC adds it to the training loss, weighted by λ ={' '}
            {answer.lam}: <b>+{formatNumber(lossShare)}</b> for this image. Keeping the maps consistent stops the network from memorising a
            wrong label through odd details of one view.
          </p>
        </>
      );
    }
  }
  return (
    <div className="cr-stage" data-testid="cr-stage" data-step={step}>
      <h3>
        <span className="cr-stepno">{step}</span> {STEP_TITLES[step - 1]}
      </h3>
      <div className="cr-pictures">{pictures}</div>
      {step === 2 ? <ScaleControls /> : null}
      <div className="cr-text">{text}</div>
    </div>
  );
}

export function StepNav() {
  const step = useClassroom((s) => s.step);
  const setStep = useClassroom((s) => s.setStep);
  return (
    <div className="cr-stepnav">
      <button type="button" onClick={() => setStep(step - 1)} disabled={step <= 1} data-testid="cr-back">
        ← Back
      </button>
      <ol className="cr-dots" aria-label="Steps">
        {STEP_TITLES.map((t, i) => (
          <li key={t}>
            <button
              type="button"
              className={i + 1 === step ? 'active' : i + 1 < step ? 'done' : ''}
              onClick={() => setStep(i + 1)}
              title={t}
              aria-current={i + 1 === step ? 'step' : undefined}
            >
              {i + 1}
            </button>
          </li>
        ))}
      </ol>
      <button type="button" className="primary" onClick={() => setStep(step + 1)} disabled={step >= STEPS} data-testid="cr-next">
        Next →
      </button>
    </div>
  );
}
