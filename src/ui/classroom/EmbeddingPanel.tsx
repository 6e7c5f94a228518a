// The feature picture of the paper, for a stored run's checkpoint: the pooled features of training
// samples laid out in 2-D by UMAP (in the inspect worker), drawn twice side by side, coloured by
// the training (noisy) labels and by the true labels. Hovering a point shows its image and labels
// and marks it in both plots. Compute on demand, with progress and Cancel. Usable in any view:
// pass the run's key.
import { useEffect, useMemo, useRef, useState, type MouseEvent } from 'react';
import { classesOf } from '../../engine/dataset.ts';
import { MAX_EMBED_SAMPLES, type EmbeddingResult } from '../../worker/inspect-protocol.ts';
import { rgbToRgba } from '../attention/colormap.ts';
import { useEmbedding, type EmbeddingProgress } from './embedding-store.ts';
import { classColor } from './palette.ts';
import { layoutPoints, nearestPoint } from './scatter-layout.ts';
import { useClassroom } from './classroom-store.ts';
import { useControllers } from '../lab-context.tsx';
import { defaultEmbeddingCount, embeddingEstimateText, embeddingSeconds, ratesFromTraining } from './embedding-estimate.ts';
import { saveRates, savedRates } from './embedding-rates.ts';
import { duration } from '../format.ts';
import './classroom.css';

const PLOT = 420;
const HOVER_RADIUS = 10;

function Scatter({
  points,
  colors,
  flipped,
  hovered,
  onHover,
  title,
  testId,
}: {
  points: Float32Array;
  colors: Int32Array;
  /** Points drawn with a dark ring (samples whose training label is wrong). */
  flipped: Uint8Array | null;
  hovered: number | null;
  onHover: (i: number | null, at: { x: number; y: number } | null) => void;
  title: string;
  testId: string;
}) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const canvas = ref.current;
    const ctx = canvas?.getContext('2d');
    if (!canvas || !ctx) return;
    const k = canvas.width / PLOT;
    ctx.setTransform(k, 0, 0, k, 0, 0);
    ctx.clearRect(0, 0, PLOT, PLOT);
    ctx.fillStyle = '#ffffff';
    ctx.fillRect(0, 0, PLOT, PLOT);
    const n = points.length / 2;
    const r = n > 1000 ? 2.6 : 3.4;
    for (let i = 0; i < n; i++) {
      ctx.beginPath();
      ctx.arc(points[i * 2], points[i * 2 + 1], r, 0, Math.PI * 2);
      ctx.fillStyle = classColor(colors[i]);
      ctx.globalAlpha = 0.85;
      ctx.fill();
      ctx.globalAlpha = 1;
      if (flipped?.[i]) {
        ctx.strokeStyle = '#111827';
        ctx.lineWidth = 1.2;
        ctx.stroke();
      }
    }
    if (hovered !== null) {
      ctx.beginPath();
      ctx.arc(points[hovered * 2], points[hovered * 2 + 1], 8, 0, Math.PI * 2);
      ctx.strokeStyle = '#111827';
      ctx.lineWidth = 2.5;
      ctx.stroke();
    }
  }, [points, colors, flipped, hovered]);
  const move = (e: MouseEvent<HTMLCanvasElement>) => {
    const rect = e.currentTarget.getBoundingClientRect();
    const x = ((e.clientX - rect.left) / rect.width) * PLOT;
    const y = ((e.clientY - rect.top) / rect.height) * PLOT;
    const i = nearestPoint(points, x, y, HOVER_RADIUS);
    onHover(i, i === null ? null : { x: e.clientX - rect.left, y: e.clientY - rect.top });
  };
  return (
    <figure className="emb-plot">
      <figcaption>{title}</figcaption>
      <canvas
        ref={ref}
        width={PLOT * 2}
        height={PLOT * 2}
        style={{ width: PLOT, height: PLOT }}
        onMouseMove={move}
        onMouseLeave={() => onHover(null, null)}
        data-testid={testId}
        data-points={points.length / 2}
        aria-label={title}
      />
    </figure>
  );
}

function Thumb({ result, i }: { result: EmbeddingResult; i: number }) {
  const ref = useRef<HTMLCanvasElement>(null);
  const s = result.thumbSize;
  useEffect(() => {
    const ctx = ref.current?.getContext('2d');
    if (!ctx) return;
    const img = new OffscreenCanvas(s, s);
    img.getContext('2d')!.putImageData(new ImageData(rgbToRgba(result.thumbs.subarray(i * s * s * 3, (i + 1) * s * s * 3)), s, s), 0, 0);
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(img, 0, 0, 96, 96);
  }, [result, i, s]);
  return <canvas ref={ref} width={96} height={96} />;
}

function Legend({ names }: { names: readonly string[] }) {
  return (
    <ul className="emb-legend" aria-label="Class colours">
      {names.map((name, c) => (
        <li key={name}>
          <span className="emb-swatch" style={{ background: classColor(c) }} />
          {name}
        </li>
      ))}
      <li>
        <span className="emb-swatch emb-ring" /> training label wrong
      </li>
    </ul>
  );
}

function progressText(p: EmbeddingProgress): string {
  const eta = p.done >= p.total ? '' : p.etaSeconds !== null ? ` · about ${duration(p.etaSeconds)} left` : ' · measuring the time left…';
  if (p.phase === 'data') return `Loading the run's data… ${p.total ? Math.round((p.done / p.total) * 100) : 0}%`;
  if (p.phase === 'features')
    return `Features: ${p.done} / ${p.total} images${p.perSecond ? ` · ${p.perSecond.toFixed(1)} images/s` : ''}${eta}`;
  if (p.total === 0) return `${p.detail}…`;
  return `UMAP layout: epoch ${p.done} / ${p.total}${p.perSecond ? ` · ${p.perSecond.toFixed(0)} epochs/s` : ''}${eta}`;
}

export function EmbeddingPanel({ runKey, trainCount, runName }: { runKey: string | null; trainCount?: number; runName?: string }) {
  const { status, progress, result, error, runKey: computedFor } = useEmbedding();
  const { compute, cancel } = useControllers().embedding;
  // null: the default, fewer than 1,000 images when the estimate says they would take long.
  const [chosenCount, setCount] = useState<number | null>(null);
  const record = useClassroom((s) => (runKey ? (s.runs.find((r) => r.key === runKey) ?? null) : null));
  const size = record?.request.config.size ?? 0;
  const names = classesOf(record ?? {});
  // biome-ignore lint/correctness/useExhaustiveDependencies: the saved rates change when a result comes in
  const rates = useMemo(
    () => savedRates() ?? (record ? ratesFromTraining(record.summary, record.request.config.batchSize, size) : null),
    [record, size, result],
  );
  const max = Math.min(MAX_EMBED_SAMPLES, trainCount ?? MAX_EMBED_SAMPLES);
  // The default never offers more images than the run has: the count shown is the count used.
  const count = chosenCount ?? Math.min(max, defaultEmbeddingCount(1000, size, rates));
  const [hover, setHover] = useState<{ i: number; x: number; y: number; plot: 0 | 1 } | null>(null);
  const shown = result && result.runKey === runKey ? result : null;
  const layout = useMemo(() => {
    if (!shown) return null;
    const flipped = new Uint8Array(shown.labels.length);
    for (let i = 0; i < flipped.length; i++) flipped[i] = shown.labels[i] !== shown.cleanLabels[i] ? 1 : 0;
    return { points: layoutPoints(shown.coords, PLOT), flipped, nFlipped: flipped.reduce((a, b) => a + b, 0) };
  }, [shown]);
  const n = Math.max(3, Math.min(max, count));
  const running = status === 'running' && computedFor === runKey;
  const estimate = rates && size ? embeddingSeconds(n, size, rates) : null;
  // biome-ignore lint/correctness/useExhaustiveDependencies: the saved rates change when a result comes in
  const measured = useMemo(() => savedRates() !== null, [result]);
  useEffect(() => {
    if (result && size && result.runKey === runKey) saveRates(result.labels.length, size, result.seconds);
  }, [result, size, runKey]);
  const onHover = (plot: 0 | 1) => (i: number | null, at: { x: number; y: number } | null) =>
    setHover(i === null || !at ? null : { i, x: at.x, y: at.y, plot });
  const h = hover && shown ? hover.i : null;
  return (
    <section className="panel emb" aria-label="Feature embedding" data-testid="embedding-panel">
      <h2>The feature picture</h2>
      <p className="cr-text-small">
        Each dot is a training image, placed by UMAP so that images the network sees as similar (its pooled features
        {shown ? `, ${shown.featureDim} numbers each` : ''}) lie close together. Left: coloured by the labels it was trained on, noisy ones
        included. Right: by the true labels.
      </p>
      <div className="emb-controls">
        <label>
          images{' '}
          <input
            type="number"
            min={3}
            max={max}
            step={100}
            value={count}
            onChange={(e) => setCount(Number(e.target.value))}
            data-testid="embedding-count"
          />
        </label>
        <button
          type="button"
          className="primary"
          disabled={!runKey || running}
          onClick={() => runKey && compute(runKey, n)}
          data-testid="embedding-compute"
        >
          {shown ? 'Compute again' : 'Compute embedding'}
        </button>
        {running ? (
          <button type="button" onClick={() => cancel()} data-testid="embedding-cancel">
            Cancel
          </button>
        ) : null}
        {!running && !shown ? (
          <span className="muted" data-testid="embedding-estimate">
            {embeddingEstimateText(n, count, estimate, measured, duration)}
          </span>
        ) : null}
        {runName ? <span className="muted">{runName}</span> : null}
      </div>
      {running ? (
        <div className="emb-progress" data-testid="embedding-progress" data-phase={progress?.phase ?? 'start'}>
          <progress max={progress?.total || 1} value={progress?.done ?? 0} />
          <span>{progress ? progressText(progress) : 'Starting the inspect worker…'}</span>
        </div>
      ) : null}
      {status === 'error' && computedFor === runKey ? <p className="cr-error">Could not compute the embedding: {error}</p> : null}
      {status === 'cancelled' && computedFor === runKey ? <p className="muted">Cancelled.</p> : null}
      {!runKey ? <p className="muted">Pick a run with a checkpoint first.</p> : null}
      {shown && layout ? (
        <>
          <div className="emb-plots" onMouseLeave={() => setHover(null)}>
            <Scatter
              points={layout.points}
              colors={shown.labels}
              flipped={layout.flipped}
              hovered={h}
              onHover={onHover(0)}
              title="coloured by the training (noisy) labels"
              testId="embedding-plot-noisy"
            />
            <Scatter
              points={layout.points}
              colors={shown.cleanLabels}
              flipped={null}
              hovered={h}
              onHover={onHover(1)}
              title="coloured by the true labels"
              testId="embedding-plot-clean"
            />
            {hover && shown ? (
              <div
                className="emb-hover"
                data-testid="embedding-hover"
                style={{ left: hover.x + (hover.plot === 1 ? PLOT + 24 : 0) + 16, top: hover.y + 40 }}
              >
                <Thumb result={shown} i={hover.i} />
                <div>
                  <div>training image #{shown.indices[hover.i] + 1}</div>
                  <div>
                    label <b style={{ color: classColor(shown.labels[hover.i]) }}>{names[shown.labels[hover.i]]}</b>
                  </div>
                  {shown.labels[hover.i] !== shown.cleanLabels[hover.i] ? (
                    <div>
                      true <b style={{ color: classColor(shown.cleanLabels[hover.i]) }}>{names[shown.cleanLabels[hover.i]]}</b> (noisy
                      label)
                    </div>
                  ) : null}
                </div>
              </div>
            ) : null}
          </div>
          <Legend names={names} />
          <p className="muted emb-foot">
            {shown.labels.length} images ({layout.nFlipped} with a wrong training label) at the epoch {shown.epoch} checkpoint · features{' '}
            {shown.seconds.features.toFixed(1)} s, UMAP {shown.seconds.umap.toFixed(1)} s
          </p>
        </>
      ) : null}
    </section>
  );
}
