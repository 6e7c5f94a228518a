// Per-step loss, cross-entropy and consistency of the current run (recharts).
import { useMemo } from 'react';
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { StepLog } from '../../engine/trainer.ts';
import { useLab } from '../store.ts';

/** Above this many steps the chart draws every k-th point (the data itself is kept whole). */
const MAX_DRAWN_POINTS = 1500;

function thin(points: StepLog[], max = MAX_DRAWN_POINTS): StepLog[] {
  if (points.length <= max) return points;
  const k = Math.ceil(points.length / max);
  const out = points.filter((_, i) => i % k === 0);
  if (out[out.length - 1] !== points[points.length - 1]) out.push(points[points.length - 1]);
  return out;
}

const COLORS = { loss: '#2563eb', ce: '#f97316', consistency: '#059669' };

export function LossChart() {
  const steps = useLab((s) => s.run.steps);
  const method = useLab((s) => s.run.settings?.method ?? null);
  const data = useMemo(() => thin(steps), [steps]);
  const showConsistency = method !== 'baseline';
  return (
    <section className="panel chart" aria-label="Loss per step">
      <h2>Loss per step</h2>
      <div className="chart-box" data-testid="loss-chart" data-points={steps.length} data-drawn={data.length}>
        {data.length === 0 ? (
          <p className="placeholder muted">The losses of each training step appear here once a run starts.</p>
        ) : (
          <ResponsiveContainer width="100%" height="100%">
            <LineChart data={data} margin={{ top: 8, right: 12, bottom: 4, left: 0 }}>
              <CartesianGrid strokeDasharray="3 3" stroke="#e5e7eb" />
              <XAxis dataKey="step" type="number" domain={[1, 'dataMax']} allowDecimals={false} tick={{ fontSize: 12 }} label={{ value: 'step', position: 'insideBottomRight', offset: -2, fontSize: 12 }} />
              <YAxis yAxisId="left" tick={{ fontSize: 12 }} width={48} domain={[0, 'auto']} />
              {showConsistency && <YAxis yAxisId="right" orientation="right" tick={{ fontSize: 12 }} width={56} domain={[0, 'auto']} />}
              <Tooltip formatter={(v) => (typeof v === 'number' ? v.toFixed(4) : String(v))} labelFormatter={(s) => `step ${s}`} />
              <Legend wrapperStyle={{ fontSize: 13 }} />
              {showConsistency ? (
                [
                  <Line key="loss" yAxisId="left" type="linear" dataKey="loss" name="loss = CE + λ·consistency" stroke={COLORS.loss} dot={false} strokeWidth={2} isAnimationActive={false} />,
                  <Line key="ce" yAxisId="left" type="linear" dataKey="ce" name="cross-entropy (CE)" stroke={COLORS.ce} dot={false} strokeWidth={1.5} isAnimationActive={false} />,
                  <Line key="cons" yAxisId="right" type="linear" dataKey="consistency" name="consistency (right axis)" stroke={COLORS.consistency} dot={false} strokeWidth={1.5} isAnimationActive={false} />,
                ]
              ) : (
                // The baseline's loss is its cross-entropy: one line.
                <Line yAxisId="left" type="linear" dataKey="loss" name="loss (cross-entropy only)" stroke={COLORS.loss} dot={false} strokeWidth={2} isAnimationActive={false} />
              )}
            </LineChart>
          </ResponsiveContainer>
        )}
      </div>
    </section>
  );
}
