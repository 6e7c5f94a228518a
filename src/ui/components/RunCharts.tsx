// All the run's charts in their usual arrangement: the loss across the full width, accuracy and
// memorisation side by side, the learning rate in a short strip below.
import { LossChart } from './LossChart.tsx';
import { AccuracyChart } from './AccuracyChart.tsx';
import { MemorisationChart } from './MemorisationChart.tsx';
import { LrChart } from './LrChart.tsx';
import '../charts.css';

export function RunCharts() {
  return (
    <div className="run-charts">
      <LossChart />
      <div className="chart-pair">
        <AccuracyChart />
        <MemorisationChart />
      </div>
      <LrChart />
    </div>
  );
}
