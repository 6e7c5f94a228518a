// The selected runs' curves on shared axes: test accuracy, train accuracy against the training
// (noisy) and the clean labels, and memorisation of the label-flipped samples; one colour per run
// (the same in every tab), redrawn as runs report epochs.
import { useMemo } from 'react';
import { CartesianGrid, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { RunRecord } from '../../storage/run-store.ts';
import { ChartFrame } from '../components/ChartFrame.tsx';
import { GRID_PROPS, PERCENT_TOOLTIP, PERCENT_Y_AXIS, dotsFor, epochAxisProps } from '../components/epoch-axis.tsx';
import { methodOf, METRICS, noiseRateOf, overlayRows, type Metric } from './compare-data.ts';
import { useRunColor } from './compare-store.ts';
import { distinctLabels } from '../run/run-names.ts';

/** The run's name, with its method and noise (worker-given names do not say the noise). */
export function runLabel(r: RunRecord): string {
  return `${r.name} (${methodOf(r) === 'eac' ? 'EAC' : 'baseline'}, ${Math.round(noiseRateOf(r) * 100)}% noise)`;
}

function OverlayChart({
  metric,
  runs,
  labels,
  last,
}: {
  metric: Metric;
  runs: readonly RunRecord[];
  labels: Map<string, string>;
  last: number;
}) {
  const shown = metric.noisyOnly ? runs.filter((r) => r.epochs.some((e) => e.memorisation.flipped > 0)) : runs;
  const memorised = metric.id === 'memorised';
  const rows = useMemo(
    () => overlayRows(shown, metric.pick, memorised ? { prefix: 'c', pick: (e) => e.memorisation.predictedClean } : undefined),
    [shown, metric, memorised],
  );
  const points = shown.reduce((n, r) => n + r.epochs.length, 0);
  const runColor = useRunColor();
  return (
    <ChartFrame
      title={metric.title}
      testId={`compare-chart-${metric.id}`}
      height={220}
      note={memorised ? 'solid: predicted as the noisy (wrong) label · dashed: as the true label' : null}
      placeholder={
        points === 0
          ? metric.noisyOnly
            ? 'Runs with label noise show here after their first epoch.'
            : 'Curves appear as the selected runs finish epochs.'
          : null
      }
      data={{ points, runs: shown.length }}
    >
      <ResponsiveContainer width="100%" height="100%">
        <LineChart data={rows} margin={{ top: 10, right: 12, bottom: 4, left: 0 }}>
          <CartesianGrid {...GRID_PROPS} />
          <XAxis {...epochAxisProps(last)} />
          <YAxis {...PERCENT_Y_AXIS} />
          <Tooltip {...PERCENT_TOOLTIP} />
          {shown.map((r, i) => (
            <Line
              key={r.key}
              type="linear"
              dataKey={`s${i}`}
              name={labels.get(r.key) ?? runLabel(r)}
              stroke={runColor(r.key)}
              strokeWidth={2}
              dot={dotsFor(r.epochs.length, runColor(r.key))}
              connectNulls
              isAnimationActive={false}
            />
          ))}
          {memorised
            ? shown.map((r, i) => (
                <Line
                  key={`c-${r.key}`}
                  type="linear"
                  dataKey={`c${i}`}
                  name={`${labels.get(r.key) ?? runLabel(r)}, true label`}
                  stroke={runColor(r.key)}
                  strokeDasharray="5 4"
                  strokeWidth={1.5}
                  dot={false}
                  connectNulls
                  isAnimationActive={false}
                />
              ))
            : null}
        </LineChart>
      </ResponsiveContainer>
    </ChartFrame>
  );
}

export function CompareCharts({ runs }: { runs: readonly RunRecord[] }) {
  const runColor = useRunColor();
  const labels = useMemo(() => distinctLabels(runs, runLabel), [runs]);
  // The epochs recorded so far (not the planned ones: a long run just started would squash the rest).
  const last = Math.max(2, ...runs.map((r) => (r.epochs.length ? r.epochs[r.epochs.length - 1].epoch : 0)));
  return (
    <section className="compare-charts" aria-label="Curves of the selected runs">
      <ul className="chart-legend compare-legend" data-testid="compare-legend">
        {runs.map((r) => (
          <li key={r.key} data-run={r.key}>
            <span className="swatch" style={{ borderColor: runColor(r.key) }} aria-hidden="true" />
            <span data-legend-color={runColor(r.key)}>{labels.get(r.key) ?? runLabel(r)}</span>
          </li>
        ))}
      </ul>
      <div className="chart-pair">
        {METRICS.map((m) => (
          <OverlayChart key={m.id} metric={m} runs={runs} labels={labels} last={last} />
        ))}
      </div>
    </section>
  );
}
