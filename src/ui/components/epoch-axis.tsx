// Shared pieces of the per-epoch charts: the epoch axis (fixed to the planned number of epochs so
// the axis does not rescale as epochs finish), percent ticks, and dots while there are few points
// (a one-epoch line would otherwise be invisible).
import { useLab } from '../store.ts';
import { niceTicks } from '../charts/ticks.ts';

export const AXIS_TICK = { fontSize: 12, fill: '#4b5563' };

export const percentTick = (v: number) => `${Math.round(v * 100)}%`;
export const percentText = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? `${(v * 100).toFixed(1)}%` : '–');

/** The epochs the run will have (its configuration), or the ones reported so far. */
export function usePlannedEpochs(reported: number): number {
  const planned = useLab((s) => s.run.started?.config.epochs ?? s.run.settings?.epochs ?? 0);
  return Math.max(planned, reported, 1);
}

/** XAxis props for an epoch axis from 1 to `last`. */
export function epochAxisProps(last: number) {
  // Every epoch while there are few; else round ones (1, 10, 20 …) rather than an even split (1, 16, 31 …).
  const ticks = last <= 12 ? Array.from({ length: last }, (_, i) => i + 1) : [1, ...niceTicks(last, 6).filter((t) => t > 1 && t <= last)];
  return {
    dataKey: 'epoch',
    type: 'number' as const,
    domain: [1, Math.max(2, last)],
    ticks,
    allowDecimals: false,
    padding: { left: 10, right: 10 },
    tick: AXIS_TICK,
    label: { value: 'epoch', position: 'insideBottomRight' as const, offset: -2, fontSize: 12 },
  };
}

export function dotsFor(points: number, color: string) {
  return points <= 30 ? { r: 3, fill: color, strokeWidth: 0 } : false;
}
