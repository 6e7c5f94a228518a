// Per-step loss of the current run, with its cross-entropy and weighted consistency parts: raw
// values as faint lines, TensorBoard-style smoothed values on top, a smoothing slider, and dashed
// lines where each epoch begins. Long runs are thinned for drawing (src/ui/charts/loss-series.ts).
import { memo, useMemo, useRef, useState } from 'react';
import { CartesianGrid, LineChart, ResponsiveContainer, XAxis, YAxis, usePlotArea, useXAxisScale } from 'recharts';
import { isRunning, useRun } from '../current-run-store.ts';
import { LossSeriesBuilder, labelEvery, type EpochBoundary, type LossRow, type LossSeries } from '../charts/loss-series.ts';
import { maxOf, niceTicks } from '../charts/ticks.ts';
import { useChartBeat } from './useChartBeat.ts';
import { useControllers } from '../lab-context.tsx';
import { useStaggered } from './useStaggered.ts';
import { ChartFrame, type LegendItem } from './ChartFrame.tsx';
import { Curves, HoverReadout, type CurveSpec } from './PlotMarks.tsx';
import { AXIS_TICK, GRID_PROPS } from './epoch-axis.tsx';

const COLORS = { loss: '#2563eb', ce: '#f97316', cons: '#059669' };
/** TensorBoard's default. */
const DEFAULT_SMOOTHING = 0.6;

const fmt = (v: number) => (Number.isFinite(v) ? (Math.abs(v) >= 0.01 || v === 0 ? v.toFixed(4) : v.toExponential(2)) : String(v));

/** One row per series: smoothed value, raw value in brackets. */
function LossTooltip({ row, showCons, lamText }: { row: LossRow; showCons: boolean; lamText: string }) {
  const line = (name: string, color: string, smooth: number, raw: number) => (
    <div style={{ color }}>
      {name}: <strong>{fmt(smooth)}</strong> <span className="muted">(raw {fmt(raw)})</span>
    </div>
  );
  return (
    <div className="chart-tooltip plot-readout" data-testid="loss-tooltip">
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
            <line
              x1={px}
              x2={px}
              y1={area.y}
              y2={area.y + area.height}
              stroke={boundaries.length > 20 ? '#d1d5db' : '#9ca3af'}
              strokeDasharray="4 3"
            />
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

/** The faint raw per-step curves (no readout of their own: the readout shows raw values beside the smoothed ones), and the smoothed ones. */
function curvesOf(showCons: boolean): { raw: CurveSpec[]; smooth: CurveSpec[] } {
  const parts: [string, string, string, number, 0 | 1][] = showCons
    ? [
        ['loss', 'loss', COLORS.loss, 2, 0],
        ['ce', 'cross-entropy', COLORS.ce, 1.75, 0],
        ['cons', 'consistency', COLORS.cons, 1.75, 1],
      ]
    : [['loss', 'loss', COLORS.loss, 2, 0]];
  return {
    raw: parts.map(([key, name, color, , axis]) => ({
      key,
      name,
      color,
      axis,
      width: 1,
      opacity: 0.28,
      className: 'raw-curve',
      noReadout: true,
    })),
    smooth: parts.map(([key, name, color, width, axis]) => ({ key: `${key}Smooth`, name, color, axis, width, className: 'smooth-curve' })),
  };
}
const CURVES = { eac: curvesOf(true), baseline: curvesOf(false) };
const AXES_EAC = ['left', 'right'] as const;
const AXES_BASELINE = ['left'] as const;

const TIP_SIZE: [number, number] = [290, 100];

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
  const curves = showCons ? CURVES.eac : CURVES.baseline;
  const axes = showCons ? AXES_EAC : AXES_BASELINE;
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
        {showCons && (
          <YAxis
            yAxisId="right"
            orientation="right"
            tick={AXIS_TICK}
            width={52}
            domain={rightDomain}
            ticks={rightTicks}
            interval={0}
            allowDataOverflow
          />
        )}
        <EpochMarkers boundaries={series.boundaries} />
        <Curves rows={series.rows} xKey="step" curves={curves.raw} yAxisIds={axes} className="loss-raw" />
        <Curves rows={series.rows} xKey="step" curves={curves.smooth} yAxisIds={axes} className="loss-smooth" />
        <HoverReadout rows={series.rows} xKey="step" curves={curves.smooth} yAxisIds={axes} size={TIP_SIZE} testId="loss-hover">
          {(row) => <LossTooltip row={row as LossRow} showCons={showCons} lamText={lamText} />}
        </HoverReadout>
      </LineChart>
    </ResponsiveContainer>
  );
});

export function LossChart() {
  const { renderClock } = useControllers();
  const latest = useRun((s) => s.run.steps);
  const running = useRun((s) => isRunning(s.run.status));
  const paused = useRun((s) => s.run.paused);
  const latestPlanned = useRun((s) => (s.run.progress && s.run.progress.phase !== 'data' ? s.run.progress.totalSteps : null));
  const method = useRun((s) => s.run.started?.config.method ?? s.run.settings?.method ?? null);
  const lam = useRun((s) => s.run.started?.config.lam ?? s.run.settings?.lam ?? null);
  const [smoothing, setSmoothing] = useState(DEFAULT_SMOOTHING);
  // A finished, paused or new run is drawn at once; a running one on the render clock's chart beat.
  const steps = useChartBeat(renderClock, latest, !running || paused || latest.length < 2);
  const builder = useRef<LossSeriesBuilder>(null);
  builder.current ??= new LossSeriesBuilder();
  const latestSeries = useMemo(() => builder.current!.update(steps, { smoothing, lam: lam ?? 1 }), [steps, smoothing, lam]);
  // Drawn in its own turn among the charts, in a non-blocking render (see useStaggered).
  const { series, planned } = useStaggered(
    useMemo(() => ({ series: latestSeries, planned: latestPlanned }), [latestSeries, latestPlanned]),
  );
  const showCons = method !== 'baseline';
  // The same array while the ticks stay the same: recharts re-registers an axis whose props change.
  const leftKey = niceTicks(maxOf(series.rows, showCons ? ['loss', 'ce'] : ['loss'])).join(' ');
  const rightKey = niceTicks(maxOf(series.rows, ['cons'])).join(' ');
  const leftTicks = useMemo(() => leftKey.split(' ').map(Number), [leftKey]);
  const rightTicks = useMemo(() => rightKey.split(' ').map(Number), [rightKey]);
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
      <input
        type="range"
        min={0}
        max={0.99}
        step={0.01}
        value={smoothing}
        onChange={(e) => setSmoothing(Number(e.target.value))}
        data-testid="loss-smoothing"
      />
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
      note={
        series.total > series.rows.length
          ? `${series.total} steps, drawn as ${series.rows.length} points (every step's minimum and maximum kept)`
          : null
      }
      placeholder={series.total === 0 ? 'The losses of each training step appear here once a run starts.' : null}
      // points: steps received (the store); shown: steps in the chart as drawn (≤ 1 s behind); drawn: rows drawn.
      data={{
        points: latest.length,
        shown: series.total,
        drawn: series.rows.length,
        epochs: series.boundaries.length + (series.total > 0 ? 1 : 0),
      }}
    >
      <LossPlot series={series} xDomain={xDomain} showCons={showCons} lamText={lamText} leftTicks={leftTicks} rightTicks={rightTicks} />
    </ChartFrame>
  );
}
