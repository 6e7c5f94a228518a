// Per-epoch metrics of the current run.
import { memo } from 'react';
import { useRunDeferred } from '../current-run-store.ts';
import type { EpochMetrics } from '../../engine/run-types.ts';
import { duration, num, pct, sci } from '../format.ts';

export function EpochTable() {
  return <EpochRows epochs={useRunDeferred((s) => s.run.epochs)} />;
}

const EpochRows = memo(function EpochRows({ epochs }: { epochs: EpochMetrics[] }) {
  return (
    <section className="panel epochs" aria-label="Per-epoch metrics">
      <h2>Per-epoch metrics</h2>
      <div className="table-wrap">
        <table data-testid="epoch-table">
          <thead>
            <tr>
              <th scope="col">Epoch</th>
              <th scope="col">Loss</th>
              <th scope="col" title="Training accuracy against the (possibly noisy) labels the model trains on">
                Train acc
                <br />
                <span className="sub">noisy labels</span>
              </th>
              <th scope="col" title="Training accuracy against the true labels">
                Train acc
                <br />
                <span className="sub">clean labels</span>
              </th>
              <th scope="col">Test acc</th>
              <th scope="col">LR</th>
              <th scope="col">Time</th>
            </tr>
          </thead>
          <tbody>
            {epochs.length === 0 ? (
              <tr className="empty">
                <td colSpan={7}>No epoch finished yet.</td>
              </tr>
            ) : (
              epochs.map((e) => (
                <tr key={e.epoch} data-testid="epoch-row">
                  <td>{e.epoch}</td>
                  <td title={`cross-entropy ${num(e.ce)} · consistency ${num(e.consistency)}`}>{num(e.loss)}</td>
                  <td>{pct(e.trainAccNoisy)}</td>
                  <td>{pct(e.trainAccClean)}</td>
                  <td className="strong">{pct(e.testAcc)}</td>
                  <td>{sci(e.lr)}</td>
                  <td>{duration(e.seconds)}</td>
                </tr>
              ))
            )}
          </tbody>
        </table>
      </div>
    </section>
  );
});
