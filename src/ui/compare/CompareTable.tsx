// The paper's table from the runs of this browser: rows method, columns label-noise rate, each
// cell the mean test accuracy of the last 5 epochs (several runs in a cell: their mean and count)
// with the epochs done, and the paper's RAF-DB ResNet-50 figure beside it for reference.
import { useMemo } from 'react';
import type { RunRecord } from '../../storage/run-store.ts';
import { cellEpochsText, comparisonTables, METHODS, paperFraction, type ComparisonTable } from './compare-data.ts';
import { PaperTable } from './PaperTable.tsx';

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const colName = (c: number) => (c === 0 ? 'clean' : `${c}% noise`);

function Table({ t }: { t: ComparisonTable }) {
  return (
    <PaperTable
      caption={t.label}
      testId="compare-table"
      data={{ setup: t.setup }}
      paperTitle="the paper's RAF-DB test accuracy, ResNet-50 (face-pretrained)"
      columns={t.columns.map((c) => ({ key: c, label: colName(c) }))}
      rows={METHODS.map((m) => ({
        key: m,
        label: m === 'eac' ? 'EAC' : 'Baseline',
        cells: t.columns.map((c) => {
          const cell = t.cells[m][c];
          return {
            figure: cell ? pct(cell.mean) : null,
            note: cell ? cellEpochsText(cell) : null,
            paper: paperFraction(m, c),
            testId: `cell-${m}-${c}`,
            data: { mean: cell?.mean ?? '', runs: cell?.runs ?? 0 },
          };
        }),
      }))}
    />
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
