// Per-step loss of the current run, with its cross-entropy and weighted consistency parts: raw
// values as faint lines, TensorBoard-style smoothed values on top, a smoothing slider, and dashed
// lines where each epoch begins. Long runs are thinned for drawing (src/ui/charts/loss-series.ts).
import { memo, useCallback, useDeferredValue, useMemo, useRef, useState } from 'react';
import { CartesianGrid, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis, usePlotArea, useXAxisScale, useYAxisScale } from 'recharts';
import { isRunning, useLab } from '../store.ts';
import { LossSeriesBuilder, labelEvery, type EpochBoundary, type LossRow, type LossSeries } from '../charts/loss-series.ts';
import { maxOf, niceTicks } from '../charts/ticks.ts';
import { useThrottled } from './useThrottled.ts';
import { ChartFrame, type LegendItem } from './ChartFrame.tsx';
import { AXIS_TICK, GRID_PROPS } from './epoch-axis.tsx';

const COLORS = { loss: '#2563eb', ce: '#f97316', cons: '#059669' };
/** TensorBoard's default. */
export const DEFAULT_SMOOTHING = 0.6;
/** Redraws while training: about once a second is live enough, and keeps the page idle. */
const REDRAW_MS = 1000;

const fmt = (v: number) => (Number.isFinite(v) ? (Math.abs(v) >= 0.01 || v === 0 ? v.toFixed(4) : v.toExponential(2)) : String(v));

interface TipProps {
  active?: boolean;
  payload?: readonly { payload?: LossRow }[];
  showCons: boolean;
  lamText: string;
}

/** One row per series: smoothed value, raw value in brackets. */
function LossTooltip({ active, payload, showCons, lamText }: TipProps) {
  const row = active ? payload?.[0]?.payload : undefined;
  if (!row) return null;
  const line = (name: string, color: string, smooth: number, raw: number) => (
    <div style={{ color }}>
      {name}: <strong>{fmt(smooth)}</strong> <span className="muted">(raw {fmt(raw)})</span>
    </div>
  );
  return (
    <div className="chart-tooltip">
      <div>
        step {row.step} · epoch {row.epoch}
      </div>
      {line(showCons ? 'loss' : 'loss (CE)', COLORS.loss, row.lossSmooth, row.loss)}
      {showCons && line('cross-entropy', COLORS.ce, row.ceSmooth, row.ce)}
      {showCons && line(`${lamText}·consistency`, COLORS.cons, row.consSmooth, row.cons)}
    </div>
  );
}

const SMOOTH = { dot: false, strokeWidth: 2, isAnimationActive: false, legendType: 'none', type: 'linear' } as const;
// Props recharts compares by identity are kept stable, so a redraw only replaces the data.
const MARGIN = { top: 14, right: 8, bottom: 4, left: 0 };
const X_DOMAIN: [string, string] = ['dataMin', 'dataMax'];
const X_LABEL = { value: 'step', position: 'insideBottomRight', offset: -2, fontSize: 12 } as const;

interface PlotProps {
  series: LossSeries;
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

type RawKey = 'loss' | 'ce' | 'cons';

/** An SVG path through the rows' values of `key` (type "linear": M, then one L per further point), clamped to the plot area. */
function rawPath(rows: LossRow[], key: RawKey, x: (v: number) => number | undefined, y: (v: number) => number | undefined, top: number, bottom: number): string {
  const parts: string[] = [];
  for (const r of rows) {
    const px = x(r.step);
    const py = y(r[key]);
    if (px === undefined || py === undefined || !Number.isFinite(px) || !Number.isFinite(py)) continue;
    parts.push(`${parts.length ? 'L' : 'M'}${px.toFixed(1)},${Math.min(bottom, Math.max(top, py)).toFixed(1)}`);
  }
  return parts.join('');
}

/**
 * The faint raw per-step values, drawn from the chart's scales as plain paths. As three more
 * recharts Lines they doubled the cost of every redraw (each Line is a dozen components wired to
 * the chart's store), and they need no tooltip of their own: the tooltip shows the raw values
 * beside the smoothed ones.
 */
function RawLines({ rows, showCons }: { rows: LossRow[]; showCons: boolean }) {
  const x = useXAxisScale();
  const left = useYAxisScale('left');
  const right = useYAxisScale('right');
  const area = usePlotArea();
  if (!x || !left || !area) return null;
  const top = area.y;
  const bottom = area.y + area.height;
  const series: [RawKey, string, typeof left][] = [['loss', COLORS.loss, left]];
  if (showCons) series.push(['ce', COLORS.ce, left]);
  if (showCons && right) series.push(['cons', COLORS.cons, right]);
  return (
    <g className="loss-raw">
      {series.map(([key, color, y]) => (
        <path key={key} className="raw-curve" data-series={key} d={rawPath(rows, key, x, y, top, bottom)} fill="none" stroke={color} strokeWidth={1} strokeOpacity={0.28} />
      ))}
    </g>
  );
}

/**
 * The recharts part, memoised on its data: progress messages re-render LossChart several times a
 * second, and without this each would make recharts recompute the whole chart.
 */
const LossPlot = memo(function LossPlot({ series, showCons, lamText, leftTicks, rightTicks }: PlotProps) {
  const first = series.rows.length ? series.rows[0].step : 0;
  const last = series.rows.length ? series.rows[series.rows.length - 1].step : 1;
  // Round step numbers (500, 1000 …) rather than recharts' even split of the range (1, 751, 1501 …).
  const xTicks = useMemo(() => niceTicks(last, 7).filter((t) => t >= first && t <= last), [first, last]);
  const leftDomain = useMemo(() => [0, top(leftTicks)], [leftTicks]);
  const rightDomain = useMemo(() => [0, top(rightTicks)], [rightTicks]);
  const tooltip = useCallback(
    (p: { active?: boolean; payload?: readonly unknown[] }) => <LossTooltip active={p.active} payload={p.payload as TipProps['payload']} showCons={showCons} lamText={lamText} />,
    [showCons, lamText],
  );
  return (
    <ResponsiveContainer width="100%" height="100%">
      <LineChart data={series.rows} margin={MARGIN}>
        <CartesianGrid {...GRID_PROPS} />
        <XAxis
          dataKey="step"
          type="number"
          domain={X_DOMAIN}
          ticks={xTicks.length >= 2 ? xTicks : undefined}
          tickFormatter={stepTick}
          allowDecimals={false}
          interval={xTicks.length >= 2 ? 0 : 'preserveEnd'}
          tick={AXIS_TICK}
          label={X_LABEL}
        />
        <YAxis yAxisId="left" tick={AXIS_TICK} width={48} domain={leftDomain} ticks={leftTicks} interval={0} allowDataOverflow />
        {showCons && <YAxis yAxisId="right" orientation="right" tick={AXIS_TICK} width={52} domain={rightDomain} ticks={rightTicks} interval={0} allowDataOverflow />}
        <EpochMarkers boundaries={series.boundaries} />
        <Tooltip content={tooltip} isAnimationActive={false} />
        {/* Raw values first, so the smoothed lines are drawn over them. */}
        <RawLines rows={series.rows} showCons={showCons} />
        <Line {...SMOOTH} className="loss-smooth" yAxisId="left" dataKey="lossSmooth" name="loss" stroke={COLORS.loss} />
        {showCons && <Line {...SMOOTH} className="loss-smooth" yAxisId="left" dataKey="ceSmooth" name="cross-entropy" stroke={COLORS.ce} strokeWidth={1.75} />}
        {showCons && <Line {...SMOOTH} className="loss-smooth" yAxisId="right" dataKey="consSmooth" name="consistency" stroke={COLORS.cons} strokeWidth={1.75} />}
      </LineChart>
    </ResponsiveContainer>
  );
});

export function LossChart() {
  const latest = useLab((s) => s.run.steps);
  const running = useLab((s) => isRunning(s.run.status));
  const paused = useLab((s) => s.run.paused);
  const method = useLab((s) => s.run.started?.config.method ?? s.run.settings?.method ?? null);
  const lam = useLab((s) => s.run.started?.config.lam ?? s.run.settings?.lam ?? null);
  const [smoothing, setSmoothing] = useState(DEFAULT_SMOOTHING);
  // A finished, paused or new run is drawn at once; a running one about once a second.
  const steps = useThrottled(latest, REDRAW_MS, !running || paused || latest.length < 2);
  const builder = useRef<LossSeriesBuilder>(null);
  builder.current ??= new LossSeriesBuilder();
  const latestSeries = useMemo(() => builder.current!.update(steps, { smoothing, lam: lam ?? 1 }), [steps, smoothing, lam]);
  // Drawn in a non-blocking render (React splits it into short slices): see useLabDeferred.
  const series = useDeferredValue(latestSeries);
  const showCons = method !== 'baseline';
  const leftTicks = useMemo(() => niceTicks(maxOf(series.rows, showCons ? ['loss', 'ce'] : ['loss'])), [series, showCons]);
  const rightTicks = useMemo(() => niceTicks(maxOf(series.rows, ['cons'])), [series]);
  const lamText = lam === null ? 'λ' : `${lam}`;

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
      <LossPlot series={series} showCons={showCons} lamText={lamText} leftTicks={leftTicks} rightTicks={rightTicks} />
    </ChartFrame>
  );
}
