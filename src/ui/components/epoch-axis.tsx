// Shared pieces of the per-epoch charts: the epoch axis (fixed to the planned number of epochs so
// the axis does not rescale as epochs finish), the percent axis and tooltip, the grid, and dots
// while there are few points (a one-epoch line would otherwise be invisible).
//
// Every axis passes its ticks and `interval: 0`: recharts' default interval ('preserveEnd') measures
// each tick label in the DOM on every redraw, the largest part of a chart's cost (~100 ms).
import { useMemo } from 'react';
import { useRun, type CurrentRunState } from '../current-run-store.ts';
import { useStaggered } from './useStaggered.ts';
import type { EpochMetrics } from '../../engine/run-types.ts';
import { niceTicks } from '../charts/ticks.ts';

interface TickProps {
  x?: number | string;
  y?: number | string;
  textAnchor?: 'start' | 'middle' | 'end' | 'inherit';
  verticalAnchor?: 'start' | 'middle' | 'end';
  payload?: { value?: unknown };
  index?: number;
  tickFormatter?: (value: never, index: number) => string;
  className?: string;
}

/** The baseline shift recharts' Text applies for one line of text, per vertical anchor. */
const TICK_DY = { start: '0.71em', middle: '0.355em', end: '0' } as const;

/**
 * Every axis's tick label, as a plain SVG <text>. recharts' default label (its Text component)
 * splits each label into words and measures them for wrapping on every redraw, a quarter of a
 * chart's redraw here; tick labels are one short word.
 */
export function AXIS_TICK({ x, y, textAnchor, verticalAnchor, payload, index, tickFormatter, className }: TickProps) {
  const value = payload?.value;
  const label = tickFormatter ? tickFormatter(value as never, index ?? 0) : String(value ?? '');
  return (
    <text x={x} y={y} dy={TICK_DY[verticalAnchor ?? 'end']} textAnchor={textAnchor} className={className} fontSize={12} fill="#4b5563">
      {label}
    </text>
  );
}

const percentTick = (v: number) => `${Math.round(v * 100)}%`;
export const percentText = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? `${(v * 100).toFixed(1)}%` : '–');

/** The epochs the run is configured for (0: no run). */
const selectPlannedEpochs = (s: CurrentRunState): number => s.run.started?.config.epochs ?? s.run.settings?.epochs ?? 0;

/** What the accuracy and memorisation charts draw from. */
export interface EpochChartData {
  epochs: EpochMetrics[];
  /** Training labels flipped by the noise (null: not known yet). */
  flipped: number | null;
  /** The epochs the run is configured for (0: no run). */
  planned: number;
}

/** EpochChartData of the current run, taking its turn with the other charts (see useStaggered). */
export function useEpochChartData(): EpochChartData {
  const epochs = useRun((s) => s.run.epochs);
  const flipped = useRun((s) => s.run.started?.flippedLabels ?? null);
  const planned = useRun(selectPlannedEpochs);
  return useStaggered(useMemo(() => ({ epochs, flipped, planned }), [epochs, flipped, planned]));
}

/** The last epoch of the axis: the planned ones, or the ones reported so far if more. */
export function lastEpoch(planned: number, reported: number): number {
  return Math.max(planned, reported, 1);
}

const axisCache = new Map<number, ReturnType<typeof makeEpochAxisProps>>();

/**
 * XAxis props for an epoch axis from 1 to `last`, the same object for the same `last`: recharts
 * re-registers an axis whose props changed identity, and recomputes the whole chart.
 */
export function epochAxisProps(last: number) {
  let props = axisCache.get(last);
  if (!props) axisCache.set(last, (props = makeEpochAxisProps(last)));
  return props;
}

function makeEpochAxisProps(last: number) {
  // Every epoch while there are few; else round ones (1, 10, 20 …) rather than an even split (1, 16, 31 …).
  const ticks = last <= 12 ? Array.from({ length: last }, (_, i) => i + 1) : [1, ...niceTicks(last, 6).filter((t) => t > 1 && t <= last)];
  return {
    dataKey: 'epoch',
    type: 'number' as const,
    domain: [1, Math.max(2, last)],
    ticks,
    allowDecimals: false,
    interval: 0,
    padding: { left: 10, right: 10 },
    tick: AXIS_TICK,
    label: { value: 'epoch', position: 'insideBottomRight' as const, offset: -2, fontSize: 12 },
  };
}

export function dotsFor(points: number, color: string) {
  return points <= 30 ? { r: 3, fill: color, strokeWidth: 0 } : false;
}

/** The grid of every lab chart. */
export const GRID_PROPS = { strokeDasharray: '3 3', stroke: '#e5e7eb' } as const;

/** A 0–100% Y axis. */
export const PERCENT_Y_AXIS = {
  domain: [0, 1],
  ticks: [0, 0.25, 0.5, 0.75, 1],
  tickFormatter: percentTick,
  tick: AXIS_TICK,
  width: 44,
  interval: 0,
} as const;

const epochLabel = (e: unknown) => `epoch ${e}`;

/** The tooltip of a per-epoch percent chart. */
export const PERCENT_TOOLTIP = { formatter: percentText, labelFormatter: epochLabel, isAnimationActive: false } as const;
