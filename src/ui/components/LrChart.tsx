// The learning rate per epoch: the whole ExponentialLR schedule (dashed) from the start, and the
// rates the finished epochs actually used.
import { memo, useMemo } from 'react';
import { CartesianGrid, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { useLab } from '../store.ts';
import { useStaggered } from './useStaggered.ts';
import type { EpochMetrics } from '../../engine/trainer.ts';
import { lrScheduleRows } from '../charts/epoch-series.ts';
import { ChartFrame, type LegendItem } from './ChartFrame.tsx';
import { AXIS_TICK, dotsFor, epochAxisProps, GRID_PROPS } from './epoch-axis.tsx';

const COLOR = '#7c3aed';
const LEGEND: LegendItem[] = [
  { label: 'used', color: COLOR },
  { label: 'schedule', color: '#a78bfa', dashed: true },
];
const sciTick = (v: number) => (v === 0 ? '0' : v.toExponential(1));

export function LrChart() {
  const epochs = useLab((s) => s.run.epochs);
  const lr0 = useLab((s) => s.run.started?.config.lr ?? null);
  const gamma = useLab((s) => s.run.started?.config.gamma ?? null);
  const planned = useLab((s) => s.run.started?.config.epochs ?? null);
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
      <ResponsiveContainer width="100%" height="100%">
        <LineChart data={rows} margin={{ top: 8, right: 12, bottom: 0, left: 0 }}>
          <CartesianGrid {...GRID_PROPS} />
          <XAxis {...epochAxisProps(last)} label={undefined} />
          <YAxis domain={[0, 'auto']} tickFormatter={sciTick} tick={AXIS_TICK} width={56} tickCount={3} interval={0} />
          <Tooltip formatter={(v) => (typeof v === 'number' ? v.toExponential(3) : '–')} labelFormatter={(e) => `epoch ${e}`} isAnimationActive={false} />
          <Line type="linear" dataKey="planned" name="schedule" stroke="#a78bfa" strokeDasharray="5 4" strokeWidth={1.5} dot={false} activeDot={false} isAnimationActive={false} />
          <Line type="linear" dataKey="actual" name="used" stroke={COLOR} strokeWidth={2} dot={dotsFor(epochs.length, COLOR)} isAnimationActive={false} connectNulls={false} />
        </LineChart>
      </ResponsiveContainer>
    </ChartFrame>
  );
});
