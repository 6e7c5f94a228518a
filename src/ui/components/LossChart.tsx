// Per-step loss of the current run, with its cross-entropy and weighted consistency parts: raw
// values as faint lines, TensorBoard-style smoothed values on top, a smoothing slider, and dashed
// lines where each epoch begins. Long runs are thinned for drawing (src/ui/charts/loss-series.ts).
import { memo, useMemo, useRef, useState, type MouseEvent as ReactMouseEvent } from 'react';
import { CartesianGrid, LineChart, ResponsiveContainer, XAxis, YAxis, usePlotArea, useXAxisScale, useYAxisScale } from 'recharts';
import { isRunning, useLab } from '../store.ts';
import { LossSeriesBuilder, labelEvery, type EpochBoundary, type LossRow, type LossSeries } from '../charts/loss-series.ts';
import { maxOf, niceTicks } from '../charts/ticks.ts';
import { linePath, nearestRow, type SeriesKey } from '../charts/loss-geometry.ts';
import { useThrottled } from './useThrottled.ts';
import { useStaggered } from './useStaggered.ts';
import { ChartFrame, type LegendItem } from './ChartFrame.tsx';
import { AXIS_TICK, GRID_PROPS } from './epoch-axis.tsx';

const COLORS = { loss: '#2563eb', ce: '#f97316', cons: '#059669' };
/** TensorBoard's default. */
export const DEFAULT_SMOOTHING = 0.6;
/** Redraws while training: about once a second is live enough, and keeps the page idle. */
const REDRAW_MS = 1000;

const fmt = (v: number) => (Number.isFinite(v) ? (Math.abs(v) >= 0.01 || v === 0 ? v.toFixed(4) : v.toExponential(2)) : String(v));

/** One row per series: smoothed value, raw value in brackets. */
function LossTooltip({ row, showCons, lamText }: { row: LossRow; showCons: boolean; lamText: string }) {
  const line = (name: string, color: string, smooth: number, raw: number) => (
    <div style={{ color }}>
      {name}: <strong>{fmt(smooth)}</strong> <span className="muted">(raw {fmt(raw)})</span>
    </div>
  );
  return (
    <div className="chart-tooltip" data-testid="loss-tooltip" style={{ whiteSpace: 'nowrap', width: 'max-content' }}>
      <div>
        step {row.step} · epoch {row.epoch}
      </div>
      {line(showCons ? 'loss' : 'loss (CE)', COLORS.loss, row.lossSmooth, row.loss)}
      {showCons && line('cross-entropy', COLORS.ce, row.ceSmooth, row.ce)}
      {showCons && line(`${lamText}·consistency`, COLORS.cons, row.consSmooth, row.cons)}
    </div>
  );
}

// Props recharts compares by identity are kept stable, so a redraw only replaces what changed.
const MARGIN = { top: 14, right: 8, bottom: 4, left: 0 };
const X_LABEL = { value: 'step', position: 'insideBottomRight', offset: -2, fontSize: 12 } as const;

interface PlotProps {
  series: LossSeries;
  /** The x axis's extent: the run's first step to its planned last step. */
  xDomain: [number, number];
  showCons: boolean;
  lamText: string;
  leftTicks: number[];
  rightTicks: number[];
}

const top = (ticks: number[]) => ticks[ticks.length - 1];
/** 20000 → "20k": long runs' step numbers stay short. */
const stepTick = (v: number) => (v >= 10000 && v % 1000 === 0 ? `${v / 1000}k` : String(v));

/**
 * Dashed lines where each epoch begins, labelled (every k-th when there are many). Drawn from the
 * chart's x scale rather than as recharts ReferenceLines: each ReferenceLine re-registers itself in
 * the chart's store on every render, which made every redraw of a long run recompute the chart
 * about a hundred times.
 */
function EpochMarkers({ boundaries }: { boundaries: EpochBoundary[] }) {
  const x = useXAxisScale();
  const area = usePlotArea();
  if (!x || !area) return null;
  const every = labelEvery(boundaries.length);
  return (
    <g className="epoch-markers">
      {boundaries.map((b, i) => {
        const px = x(b.x);
        if (px === undefined || !Number.isFinite(px) || px < area.x || px > area.x + area.width) return null;
        return (
          <g key={b.epoch} className="epoch-marker">
            <line x1={px} x2={px} y1={area.y} y2={area.y + area.height} stroke={boundaries.length > 20 ? '#d1d5db' : '#9ca3af'} strokeDasharray="4 3" />
            {(i + 1) % every === 0 && (
              <text x={px + 4} y={area.y + 11} fontSize={11} fill="#6b7280">
                epoch {b.epoch}
              </text>
            )}
          </g>
        );
      })}
    </g>
  );
}

/** The drawn series: [raw key, smoothed key, colour, smoothed line width, y axis]. */
function seriesOf(showCons: boolean): [SeriesKey, SeriesKey, string, number, 'left' | 'right'][] {
  return showCons
    ? [
        ['loss', 'lossSmooth', COLORS.loss, 2, 'left'],
        ['ce', 'ceSmooth', COLORS.ce, 1.75, 'left'],
        ['cons', 'consSmooth', COLORS.cons, 1.75, 'right'],
      ]
    : [['loss', 'lossSmooth', COLORS.loss, 2, 'left']];
}

/**
 * The curves, as plain SVG paths drawn from the chart's scales: the faint raw per-step values,
 * then the smoothed values over them. recharts draws the frame (axes, grid, layout, scales) and
 * gets no per-step data: a recharts Line is a dozen components wired to the chart's store, and
 * new data made the store re-render all of them synchronously (in a requestAnimationFrame
 * callback, 40–50 ms here) about once a second. These paths re-render in React's non-blocking
 * render instead.
 */
function LossCurves({ rows, showCons }: { rows: LossRow[]; showCons: boolean }) {
  const x = useXAxisScale();
  const left = useYAxisScale('left');
  const right = useYAxisScale('right');
  const area = usePlotArea();
  if (!x || !left || !area) return null;
  const top = area.y;
  const bottom = area.y + area.height;
  const series = seriesOf(showCons).flatMap(([raw, smooth, color, width, axis]) => {
    const y = axis === 'left' ? left : right;
    return y ? [{ raw, smooth, color, width, y }] : [];
  });
  return (
    <g className="loss-curves">
      <g className="loss-raw">
        {series.map((c) => (
          <path key={c.raw} className="raw-curve" data-series={c.raw} d={linePath(rows, c.raw, x, c.y, top, bottom)} fill="none" stroke={c.color} strokeWidth={1} strokeOpacity={0.28} />
        ))}
      </g>
      <g className="loss-smooth">
        {series.map((c) => (
          <path key={c.smooth} className="smooth-curve" data-series={c.smooth} d={linePath(rows, c.smooth, x, c.y, top, bottom)} fill="none" stroke={c.color} strokeWidth={c.width} strokeLinejoin="round" />
        ))}
      </g>
    </g>
  );
}

const TIP_W = 290;
const TIP_H = 100;

/**
 * The hover readout: a transparent layer over the plot area finds the drawn row nearest the
 * pointer and shows a guide line, a dot on each smoothed curve and the values (smoothed and raw).
 * Only this layer re-renders as the pointer moves.
 */
function LossHover({ rows, showCons, lamText }: { rows: LossRow[]; showCons: boolean; lamText: string }) {
  const x = useXAxisScale();
  const left = useYAxisScale('left');
  const right = useYAxisScale('right');
  const area = usePlotArea();
  const [px, setPx] = useState<number | null>(null);
  if (!x || !left || !area) return null;
  const i = px === null ? -1 : nearestRow(rows, px, x);
  const row = i >= 0 ? rows[i] : null;
  const rx = row ? x(row.step) : undefined;
  const onMove = (e: ReactMouseEvent<SVGRectElement>) => {
    const box = e.currentTarget.getBoundingClientRect();
    setPx(area.x + (e.clientX - box.left) * (area.width / Math.max(1, box.width)));
  };
  return (
    <g className="loss-hover">
      {row && rx !== undefined && Number.isFinite(rx) && (
        <>
          <line x1={rx} x2={rx} y1={area.y} y2={area.y + area.height} stroke="#9ca3af" />
          {seriesOf(showCons).map(([, smooth, color, , axis]) => {
            const py = (axis === 'left' ? left : right)?.(row[smooth]);
            return py === undefined || !Number.isFinite(py) ? null : <circle key={smooth} cx={rx} cy={py} r={3.5} fill={color} stroke="#fff" strokeWidth={1.5} />;
          })}
          <foreignObject x={rx + 12 + TIP_W > area.x + area.width ? rx - 12 - TIP_W : rx + 12} y={area.y + 4} width={TIP_W} height={TIP_H} pointerEvents="none">
            <LossTooltip row={row} showCons={showCons} lamText={lamText} />
          </foreignObject>
        </>
      )}
      <rect x={area.x} y={area.y} width={area.width} height={area.height} fill="transparent" onMouseMove={onMove} onMouseLeave={() => setPx(null)} data-testid="loss-hover" />
    </g>
  );
}

/**
 * The recharts part, memoised on its data: progress messages re-render LossChart several times a
 * second. The x axis spans the planned steps from the start, so it does not rescale as steps come
 * in, and recharts' own data (the two ends of that axis) only changes when the run does.
 */
const LossPlot = memo(function LossPlot({ series, xDomain, showCons, lamText, leftTicks, rightTicks }: PlotProps) {
  const [lo, hi] = xDomain;
  // Round step numbers (500, 1000 …) rather than recharts' even split of the range (1, 751, 1501 …).
  const xTicks = useMemo(() => niceTicks(hi, 7).filter((t) => t >= lo && t <= hi), [lo, hi]);
  const frame = useMemo(() => [{ step: lo }, { step: hi }], [lo, hi]);
  const domain = useMemo(() => [lo, hi], [lo, hi]);
  const leftDomain = useMemo(() => [0, top(leftTicks)], [leftTicks]);
  const rightDomain = useMemo(() => [0, top(rightTicks)], [rightTicks]);
  return (
    <ResponsiveContainer width="100%" height="100%">
      <LineChart data={frame} margin={MARGIN}>
        <CartesianGrid {...GRID_PROPS} />
        <XAxis
          dataKey="step"
          type="number"
          domain={domain}
          ticks={xTicks.length >= 2 ? xTicks : undefined}
          tickFormatter={stepTick}
          allowDecimals={false}
          interval={xTicks.length >= 2 ? 0 : 'preserveEnd'}
          tick={AXIS_TICK}
          label={X_LABEL}
          allowDataOverflow
        />
        <YAxis yAxisId="left" tick={AXIS_TICK} width={48} domain={leftDomain} ticks={leftTicks} interval={0} allowDataOverflow />
        {showCons && <YAxis yAxisId="right" orientation="right" tick={AXIS_TICK} width={52} domain={rightDomain} ticks={rightTicks} interval={0} allowDataOverflow />}
        <EpochMarkers boundaries={series.boundaries} />
        <LossCurves rows={series.rows} showCons={showCons} />
        <LossHover rows={series.rows} showCons={showCons} lamText={lamText} />
      </LineChart>
    </ResponsiveContainer>
  );
});

export function LossChart() {
  const latest = useLab((s) => s.run.steps);
  const running = useLab((s) => isRunning(s.run.status));
  const paused = useLab((s) => s.run.paused);
  const planned = useLab((s) => (s.run.progress && s.run.progress.phase !== 'data' ? s.run.progress.totalSteps : null));
  const method = useLab((s) => s.run.started?.config.method ?? s.run.settings?.method ?? null);
  const lam = useLab((s) => s.run.started?.config.lam ?? s.run.settings?.lam ?? null);
  const [smoothing, setSmoothing] = useState(DEFAULT_SMOOTHING);
  // A finished, paused or new run is drawn at once; a running one about once a second.
  const steps = useThrottled(latest, REDRAW_MS, !running || paused || latest.length < 2);
  const builder = useRef<LossSeriesBuilder>(null);
  builder.current ??= new LossSeriesBuilder();
  const latestSeries = useMemo(() => builder.current!.update(steps, { smoothing, lam: lam ?? 1 }), [steps, smoothing, lam]);
  // Drawn in its own turn among the charts, in a non-blocking render (see useStaggered).
  const series = useStaggered(latestSeries);
  const showCons = method !== 'baseline';
  const leftTicks = useMemo(() => niceTicks(maxOf(series.rows, showCons ? ['loss', 'ce'] : ['loss'])), [series, showCons]);
  const rightTicks = useMemo(() => niceTicks(maxOf(series.rows, ['cons'])), [series]);
  const lamText = lam === null ? 'λ' : `${lam}`;
  const first = series.rows.length ? series.rows[0].step : 0;
  const last = series.rows.length ? series.rows[series.rows.length - 1].step : 1;
  const hi = Math.max(last, planned ?? 0, first + 1);
  const xDomain = useMemo((): [number, number] => [first, hi], [first, hi]);

  const legend: LegendItem[] = showCons
    ? [
        { label: 'loss = CE + λ·consistency', color: COLORS.loss },
        { label: 'cross-entropy (CE)', color: COLORS.ce },
        { label: `${lamText}·consistency (right axis)`, color: COLORS.cons },
      ]
    : [{ label: 'loss (cross-entropy only: baseline)', color: COLORS.loss }];

  const controls = (
    <label className="smoothing" title="Exponential moving average of the raw values (TensorBoard's smoothing); 0 = off">
      smoothing
      <input type="range" min={0} max={0.99} step={0.01} value={smoothing} onChange={(e) => setSmoothing(Number(e.target.value))} data-testid="loss-smoothing" />
      <output>{smoothing.toFixed(2)}</output>
    </label>
  );

  return (
    <ChartFrame
      title="Loss per step"
      testId="loss-chart"
      height={300}
      legend={legend}
      controls={controls}
      note={series.total > series.rows.length ? `${series.total} steps, drawn as ${series.rows.length} points (every step's minimum and maximum kept)` : null}
      placeholder={series.total === 0 ? 'The losses of each training step appear here once a run starts.' : null}
      // points: steps received (the store); shown: steps in the chart as drawn (≤ 1 s behind); drawn: rows drawn.
      data={{ points: latest.length, shown: series.total, drawn: series.rows.length, epochs: series.boundaries.length + (series.total > 0 ? 1 : 0) }}
    >
      <LossPlot series={series} xDomain={xDomain} showCons={showCons} lamText={lamText} leftTicks={leftTicks} rightTicks={rightTicks} />
    </ChartFrame>
  );
}
