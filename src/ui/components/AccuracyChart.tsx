// Per-epoch accuracy: on the training set against the labels the model trains on (noisy) and
// against the clean labels, and on the test set. With noisy labels, the gap between the first two
// shows how much of the noise the model has fitted.
import { memo, useMemo } from 'react';
import { CartesianGrid, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { accuracyRows, isNoisyRun } from '../charts/epoch-series.ts';
import { ChartFrame, type LegendItem } from './ChartFrame.tsx';
import { GRID_PROPS, PERCENT_TOOLTIP, PERCENT_Y_AXIS, dotsFor, epochAxisProps, lastEpoch, useEpochChartData, type EpochChartData } from './epoch-axis.tsx';

const COLORS = { trainNoisy: '#dc2626', trainClean: '#2563eb', test: '#111827' };

export function AccuracyChart() {
  return <AccuracyPlot {...useEpochChartData()} />;
}

const AccuracyPlot = memo(function AccuracyPlot({ epochs, flipped, planned }: EpochChartData) {
  const rows = useMemo(() => accuracyRows(epochs), [epochs]);
  const last = lastEpoch(planned, rows.length ? rows[rows.length - 1].epoch : 0);
  // With clean labels both training accuracies are the same number: one line.
  const noisy = isNoisyRun(flipped, epochs) !== false;
  const legend: LegendItem[] = noisy
    ? [
        { label: 'train, vs training (noisy) labels', color: COLORS.trainNoisy },
        { label: 'train, vs clean labels', color: COLORS.trainClean },
        { label: 'test', color: COLORS.test },
      ]
    : [
        { label: 'train', color: COLORS.trainClean },
        { label: 'test', color: COLORS.test },
      ];
  return (
    <ChartFrame
      title="Accuracy per epoch"
      testId="accuracy-chart"
      height={240}
      legend={legend}
      note="Train: predictions on view 1, before each update."

      placeholder={rows.length === 0 ? 'Train and test accuracy appear here after each epoch.' : null}
      data={{ points: rows.length }}
    >
      <ResponsiveContainer width="100%" height="100%">
        <LineChart data={rows} margin={{ top: 10, right: 12, bottom: 4, left: 0 }}>
          <CartesianGrid {...GRID_PROPS} />
          <XAxis {...epochAxisProps(last)} />
          <YAxis {...PERCENT_Y_AXIS} />
          <Tooltip {...PERCENT_TOOLTIP} />
          {noisy && <Line type="linear" dataKey="trainNoisy" name="train vs noisy labels" stroke={COLORS.trainNoisy} strokeWidth={2} dot={dotsFor(rows.length, COLORS.trainNoisy)} isAnimationActive={false} />}
          <Line type="linear" dataKey="trainClean" name={noisy ? 'train vs clean labels' : 'train'} stroke={COLORS.trainClean} strokeWidth={2} dot={dotsFor(rows.length, COLORS.trainClean)} isAnimationActive={false} />
          <Line type="linear" dataKey="test" name="test" stroke={COLORS.test} strokeWidth={2.25} dot={dotsFor(rows.length, COLORS.test)} isAnimationActive={false} />
        </LineChart>
      </ResponsiveContainer>
    </ChartFrame>
  );
});
