// The paper's table from the runs of this browser: rows method, columns label-noise rate, each
// cell the mean test accuracy of the last 5 epochs (several runs in a cell: their mean and count)
// with the epochs done, and the paper's RAF-DB ResNet-50 figure beside it for reference.
import { useMemo } from 'react';
import type { RunRecord } from '../../storage/run-store.ts';
import { cellEpochsText, comparisonTables, METHODS, PAPER_RAFDB_RESNET50, type ComparisonTable } from './compare-data.ts';

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const colName = (c: number) => (c === 0 ? 'clean' : `${c}% noise`);

function Table({ t }: { t: ComparisonTable }) {
  return (
    <div className="table-wrap">
      <table className="compare-table" data-testid="compare-table" data-setup={t.setup}>
        <caption>{t.label}</caption>
        <thead>
          <tr>
            <th scope="col">method</th>
            {t.columns.map((c) => (
              <th key={c} scope="col">
                {colName(c)}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {METHODS.map((m) => (
            <tr key={m}>
              <th scope="row">{m === 'eac' ? 'EAC' : 'Baseline'}</th>
              {t.columns.map((c) => {
                const cell = t.cells[m][c];
                const paper = PAPER_RAFDB_RESNET50[m][c];
                return (
                  <td key={c} data-testid={`cell-${m}-${c}`} data-mean={cell?.mean ?? ''} data-runs={cell?.runs ?? 0}>
                    {cell ? (
                      <>
                        <b>{pct(cell.mean)}</b>
                        <small className="muted">{cellEpochsText(cell)}</small>
                      </>
                    ) : (
                      <span className="muted">–</span>
                    )}
                    {paper !== undefined ? (
                      <small className="paper" title="the paper's RAF-DB test accuracy, ResNet-50 (face-pretrained)">
                        paper {(paper * 100).toFixed(2)}
                      </small>
                    ) : null}
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function CompareTable({ records }: { records: readonly RunRecord[] }) {
  const tables = useMemo(() => comparisonTables(records), [records]);
  return (
    <section className="panel compare-table-panel" aria-label="Comparison table">
      <h2>Mean test accuracy of the last 5 epochs</h2>
      <p className="muted">
        As in the paper’s table: one row per method, one column per label-noise rate; runs with different data, backbone, input size or
        number of epochs get their own table. “paper” is the RAF-DB ResNet-50 reference (face-pretrained, 60 epochs at 224 px), not a target
        for the demo faces.
      </p>
      {tables.length === 0 ? (
        <p className="placeholder muted">The table fills in as runs finish their first epoch.</p>
      ) : (
        tables.map((t) => <Table key={t.setup} t={t} />)
      )}
    </section>
  );
}
