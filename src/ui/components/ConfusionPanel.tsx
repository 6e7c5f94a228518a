// The confusion matrix of a chosen epoch: the training predictions (view 1's, made before each
// update) against the noisy labels the model trained on or against the true labels, or the test
// split's. Rows are labels, columns predictions; a cell is shaded by its share of its row.
import { memo, useState, type ChangeEvent } from 'react';
import { useRunDeferred } from '../current-run-store.ts';
import { classesOf } from '../../engine/dataset.ts';
import type { EpochMetrics } from '../../engine/run-types.ts';
import { CONFUSION_LABELS, confusionOf, diagonalShare, rowShares, type ConfusionLabels } from '../run/confusion-view.ts';
import { pct } from '../format.ts';
import './confusion.css';

/** Above this many classes the cells are too small for their counts: the shading only (the count is in the cell's title). */
const COUNTS_UP_TO = 12;

export function ConfusionPanel() {
  const epochs = useRunDeferred((s) => s.run.epochs);
  const classes = useRunDeferred((s) => classesOf(s.run.started ?? {}));
  return <ConfusionView epochs={epochs} classes={classes} />;
}

const ConfusionView = memo(function ConfusionView({ epochs, classes }: { epochs: EpochMetrics[]; classes: readonly string[] }) {
  const [labels, setLabels] = useState<ConfusionLabels>('noisy');
  const [chosen, setChosen] = useState<number | null>(null);
  if (epochs.length === 0)
    return (
      <section className="panel confusion" aria-label="Confusion matrix" data-testid="confusion-panel">
        <h2>Confusion matrix</h2>
        <p className="muted">
          After each epoch: what the model predicted for each label, on the training set (against the noisy and the true labels) and on the
          test set.
        </p>
      </section>
    );
  // Follow the newest epoch unless the user picked another.
  const e = epochs.find((x) => x.epoch === chosen) ?? epochs[epochs.length - 1];
  const table = confusionOf(e, labels);
  return (
    <section className="panel confusion" aria-label="Confusion matrix" data-testid="confusion-panel">
      <div className="cm-top">
        <h2>Confusion matrix</h2>
        <label>
          epoch{' '}
          <select
            value={e.epoch}
            onChange={(ev: ChangeEvent<HTMLSelectElement>) => {
              const n = Number(ev.target.value);
              setChosen(n === epochs[epochs.length - 1].epoch ? null : n);
            }}
            data-testid="confusion-epoch"
          >
            {epochs.map((x) => (
              <option key={x.epoch} value={x.epoch}>
                {x.epoch}
              </option>
            ))}
          </select>
        </label>
        <fieldset className="cm-toggle" aria-label="labels the predictions are counted against">
          {(Object.keys(CONFUSION_LABELS) as ConfusionLabels[]).map((k) => (
            <button
              key={k}
              type="button"
              aria-pressed={labels === k}
              className={labels === k ? 'on' : ''}
              onClick={() => setLabels(k)}
              data-testid={`confusion-${k}`}
            >
              {CONFUSION_LABELS[k].button}
            </button>
          ))}
        </fieldset>
      </div>
      {'missing' in table ? (
        <p className="muted" data-testid="confusion-missing">
          {table.missing}
        </p>
      ) : (
        <Matrix matrix={table.matrix} classes={classes} rowsAre={CONFUSION_LABELS[labels].rows} />
      )}
    </section>
  );
});

function Matrix({ matrix, classes, rowsAre }: { matrix: number[][]; classes: readonly string[]; rowsAre: string }) {
  const shares = rowShares(matrix);
  const diag = diagonalShare(matrix);
  const counts = matrix.length <= COUNTS_UP_TO;
  const name = (i: number) => classes[i] ?? String(i);
  return (
    <>
      <p className="muted cm-note">
        Rows: {rowsAre}; columns: the predicted class; shade: share of the row.
        {diag !== null ? ` On the diagonal: ${pct(diag)} of ${matrix.flat().reduce((a, b) => a + b, 0)}.` : ''}
      </p>
      <div className="table-wrap">
        <table className={`cm${counts ? '' : ' cm-dense'}`} data-testid="confusion-matrix">
          <thead>
            <tr>
              <th scope="col" className="cm-corner">
                label ↓ · predicted →
              </th>
              {matrix.map((_, j) => (
                <th key={name(j)} scope="col" className="cm-col" title={name(j)}>
                  {counts ? name(j) : ''}
                </th>
              ))}
              <th scope="col">n</th>
            </tr>
          </thead>
          <tbody>
            {matrix.map((row, i) => (
              <tr key={name(i)}>
                <th scope="row">{name(i)}</th>
                {row.map((n, j) => {
                  const s = shares[i][j];
                  return (
                    <td
                      key={name(j)}
                      className={i === j ? 'cm-diag' : undefined}
                      style={{
                        background: `rgba(${i === j ? '5, 150, 105' : '220, 38, 38'}, ${(0.08 + 0.85 * s) * (n > 0 ? 1 : 0)})`,
                        color: s > 0.55 ? '#fff' : undefined,
                      }}
                      title={`${name(i)} → ${name(j)}: ${n} (${pct(s)} of the row)`}
                    >
                      {counts ? n : ''}
                    </td>
                  );
                })}
                <td className="cm-total">{row.reduce((a, b) => a + b, 0)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}
