// Memorisation, for runs with flipped labels: of the training samples whose label was flipped, the
// share the model predicts as the (wrong) label it is trained on versus as their true label. EAC's
// claim is that the first stays low; a baseline's climbs as it memorises the noise.
import { memo, useMemo } from 'react';
import { isNoisyRun, memorisationRows } from '../charts/epoch-series.ts';
import { ChartFrame, type LegendItem } from './ChartFrame.tsx';
import { PERCENT_Y_AXIS, lastEpoch, percentText, useEpochChartData, type EpochChartData } from './epoch-axis.tsx';
import { EpochPlot } from './EpochPlot.tsx';
import type { CurveSpec } from './PlotMarks.tsx';
import '../charts.css';

const COLORS = { noisy: '#dc2626', clean: '#059669' };
const CURVES: CurveSpec[] = [
  { key: 'noisy', name: 'as noisy label', color: COLORS.noisy },
  { key: 'clean', name: 'as true label', color: COLORS.clean },
];
const LEGEND: LegendItem[] = [
  { label: 'predicted as their noisy (training) label', color: COLORS.noisy },
  { label: 'predicted as their true label', color: COLORS.clean },
];

export function MemorisationChart() {
  return <MemorisationPlot {...useEpochChartData()} />;
}

const MemorisationPlot = memo(function MemorisationPlot({ epochs, flipped, planned }: EpochChartData) {
  const rows = useMemo(() => memorisationRows(epochs), [epochs]);
  const last = lastEpoch(planned, rows.length ? rows[rows.length - 1].epoch : 0);
  const noisy = isNoisyRun(flipped, epochs);
  if (noisy === false) {
    return (
      <section className="panel chart chart-hidden" aria-label="Memorisation" data-testid="memorisation-chart" data-hidden="clean">
        <h2>Memorisation</h2>
        <p className="chart-note muted">This run trains on clean labels: there are no flipped samples to follow.</p>
      </section>
    );
  }
  const count = flipped ?? (epochs.length ? epochs[epochs.length - 1].memorisation.flipped : null);
  return (
    <ChartFrame
      title="Memorisation"
      testId="memorisation-chart"
      height={240}
      legend={LEGEND}
      note={count !== null ? `Share of the ${count} training samples whose label was flipped.` : null}
      placeholder={rows.length === 0 ? 'After each epoch: how many label-flipped samples the model predicts as their noisy label.' : null}
      data={{ points: rows.length }}
    >
      <EpochPlot rows={rows} last={last} curves={CURVES} yAxis={PERCENT_Y_AXIS} format={percentText} testId="memorisation-hover" />
    </ChartFrame>
  );
});
