// The plot of a per-epoch chart (accuracy, memorisation, learning rate): recharts draws the frame
// (epoch axis fixed to the planned epochs, y axis, grid), and the curves, their dots and the hover
// readout are the lab's own marks (PlotMarks), so a new epoch re-renders a few SVG paths rather
// than the chart's store (see PlotMarks.tsx).
import { memo, useMemo } from 'react';
import { CartesianGrid, LineChart, ResponsiveContainer, XAxis, YAxis, type YAxisProps } from 'recharts';
import { Curves, EpochReadout, HoverReadout, type CurveSpec } from './PlotMarks.tsx';
import { GRID_PROPS, epochAxisProps } from './epoch-axis.tsx';

const MARGIN = { top: 10, right: 12, bottom: 4, left: 0 };
/** Dots on every point while there are few (a line of one epoch would not show). */
const MAX_DOTS = 30;

interface EpochPlotProps {
  rows: readonly object[];
  /** The last epoch of the axis. */
  last: number;
  curves: readonly CurveSpec[];
  /** Props of the y axis; keep the object stable (recharts re-registers an axis whose props change). */
  yAxis: YAxisProps;
  /** A value in the hover readout. */
  format: (v: number | null) => string;
  /** The readout's layer's data-testid. */
  testId: string;
  margin?: typeof MARGIN;
  /** Print "epoch" under the axis (default true). */
  xLabel?: boolean;
}

export const EpochPlot = memo(function EpochPlot({
  rows,
  last,
  curves,
  yAxis,
  format,
  testId,
  margin = MARGIN,
  xLabel = true,
}: EpochPlotProps) {
  // recharts' own data: the two ends of the epoch axis, which change only with the planned epochs.
  const frame = useMemo(() => [{ epoch: 1 }, { epoch: last }], [last]);
  const readoutSize = useMemo((): [number, number] => [240, 26 + 20 * curves.filter((c) => !c.noReadout).length], [curves]);
  return (
    <ResponsiveContainer width="100%" height="100%">
      <LineChart data={frame} margin={margin}>
        <CartesianGrid {...GRID_PROPS} />
        <XAxis {...epochAxisProps(last)} label={xLabel ? epochAxisProps(last).label : undefined} />
        {/* allowDataOverflow: the axis keeps its given domain; recharts has no y values of its own to fit it to. */}
        <YAxis {...yAxis} allowDataOverflow />
        <Curves rows={rows} xKey="epoch" curves={curves} dots={rows.length <= MAX_DOTS} className="epoch-curves" />
        <HoverReadout rows={rows} xKey="epoch" curves={curves} size={readoutSize} testId={testId}>
          {(row) => <EpochReadout row={row} curves={curves} format={format} />}
        </HoverReadout>
      </LineChart>
    </ResponsiveContainer>
  );
});
