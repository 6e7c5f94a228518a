// Per-epoch accuracy: on the training set against the labels the model trains on (noisy) and
// against the clean labels, and on the test set. With noisy labels, the gap between the first two
// shows how much of the noise the model has fitted.
import { memo, useMemo } from 'react';
import { accuracyRows, isNoisyRun } from '../charts/epoch-series.ts';
import { ChartFrame, type LegendItem } from './ChartFrame.tsx';
import { PERCENT_Y_AXIS, lastEpoch, percentText, useEpochChartData, type EpochChartData } from './epoch-axis.tsx';
import { EpochPlot } from './EpochPlot.tsx';
import type { CurveSpec } from './PlotMarks.tsx';

const COLORS = { trainNoisy: '#dc2626', trainClean: '#2563eb', test: '#111827' };
const TEST: CurveSpec = { key: 'test', name: 'test', color: COLORS.test, width: 2.25 };
const CURVES_NOISY: CurveSpec[] = [
  { key: 'trainNoisy', name: 'train vs noisy labels', color: COLORS.trainNoisy },
  { key: 'trainClean', name: 'train vs clean labels', color: COLORS.trainClean },
  TEST,
];
const CURVES_CLEAN: CurveSpec[] = [{ key: 'trainClean', name: 'train', color: COLORS.trainClean }, TEST];

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
      <EpochPlot
        rows={rows}
        last={last}
        curves={noisy ? CURVES_NOISY : CURVES_CLEAN}
        yAxis={PERCENT_Y_AXIS}
        format={percentText}
        testId="accuracy-hover"
      />
    </ChartFrame>
  );
});
