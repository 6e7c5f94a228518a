// The learning rate per epoch: the whole ExponentialLR schedule (dashed) from the start, and the
// rates the finished epochs actually used.
import { memo, useMemo } from 'react';
import { useRun } from '../current-run-store.ts';
import { useStaggered } from './useStaggered.ts';
import type { EpochMetrics } from '../../engine/run-types.ts';
import { lrScheduleRows } from '../charts/epoch-series.ts';
import { ChartFrame, type LegendItem } from './ChartFrame.tsx';
import { AXIS_TICK } from './epoch-axis.tsx';
import { EpochPlot } from './EpochPlot.tsx';
import type { CurveSpec } from './PlotMarks.tsx';
import { maxOf, niceTicks } from '../charts/ticks.ts';

const COLOR = '#7c3aed';
const LEGEND: LegendItem[] = [
  { label: 'used', color: COLOR },
  { label: 'schedule', color: '#a78bfa', dashed: true },
];
const sciTick = (v: number) => (v === 0 ? '0' : v.toExponential(1));
const sciText = (v: number | null) => (v === null ? '–' : v.toExponential(3));
const CURVES: CurveSpec[] = [
  { key: 'planned', name: 'schedule', color: '#a78bfa', width: 1.5, dashed: true },
  { key: 'actual', name: 'used', color: COLOR },
];
const MARGIN = { top: 8, right: 12, bottom: 0, left: 0 };

export function LrChart() {
  const epochs = useRun((s) => s.run.epochs);
  const lr0 = useRun((s) => s.run.started?.config.lr ?? null);
  const gamma = useRun((s) => s.run.started?.config.gamma ?? null);
  const planned = useRun((s) => s.run.started?.config.epochs ?? null);
  // Takes its turn with the other charts (see useStaggered).
  const props = useStaggered(useMemo(() => ({ epochs, lr0, gamma, planned }), [epochs, lr0, gamma, planned]));
  return <LrPlot {...props} />;
}

interface PlotProps {
  epochs: EpochMetrics[];
  lr0: number | null;
  gamma: number | null;
  planned: number | null;
}

const LrPlot = memo(function LrPlot({ epochs, lr0, gamma, planned }: PlotProps) {
  const rows = useMemo(
    () => lrScheduleRows(epochs, lr0 !== null && gamma !== null && planned !== null ? { lr: lr0, gamma, epochs: planned } : null),
    [epochs, lr0, gamma, planned],
  );
  const last = rows.length ? rows[rows.length - 1].epoch : 1;
  // 0 to a round rate at or above the largest: three ticks.
  // Kept while the largest rate stays (it is the first epoch's): recharts re-registers an axis whose props change.
  const max = maxOf(rows, ['planned', 'actual']);
  const yAxis = useMemo(() => {
    const ticks = niceTicks(max, 3);
    return { domain: [0, ticks[ticks.length - 1]], ticks, tickFormatter: sciTick, tick: AXIS_TICK, width: 56, interval: 0 };
  }, [max]);
  return (
    <ChartFrame
      title="Learning rate"
      testId="lr-chart"
      height={150}
      legend={LEGEND}
      className="chart-small"
      placeholder={rows.length === 0 ? 'The learning-rate schedule appears when a run starts.' : null}
      data={{ points: epochs.length }}
    >
      <EpochPlot rows={rows} last={last} curves={CURVES} yAxis={yAxis} format={sciText} testId="lr-hover" margin={MARGIN} xLabel={false} />
    </ChartFrame>
  );
});
