// The comparison table rendered from the compare store's runs, as ComparisonView renders it: one
// row per method, one column per noise rate, each cell the mean of the last five test accuracies
// over its runs, and it follows the store when a run comes in.
//
//   node --import tsx --test tests/unit/components/compare-table.test.tsx
import './dom.ts';
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { act, cleanup, render, screen, within } from '@testing-library/react';
import { CompareTable } from '../../../src/ui/compare/CompareTable.tsx';
import { useCompare } from '../../../src/ui/compare/compare-store.ts';
import { storedRun } from './records.ts';

afterEach(cleanup);

/** What ComparisonView does: the table of the compare store's records. */
function StoredRunsTable() {
  return <CompareTable records={useCompare((s) => s.records)} />;
}

const cellText = (method: string, column: number) => {
  const cell = screen.getByTestId(`cell-${method}-${column}`);
  return { figure: cell.querySelector('b')?.textContent ?? null, note: cell.querySelector('small.muted')?.textContent ?? null };
};

test('one row per method, a cell per noise rate with the mean of the last five epochs over its runs', () => {
  // eac at 30%: last five of 0.1…0.7 is 0.5; a second run's only epoch 0.9: mean 0.7.
  useCompare
    .getState()
    .setRecords(
      [
        storedRun('a', 'eac', 0.3, [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]),
        storedRun('b', 'eac', 0.3, [0.9]),
        storedRun('c', 'baseline', 0, [0.4]),
      ],
      [],
    );
  render(<StoredRunsTable />);
  const table = screen.getByTestId('compare-table');
  const rows = within(table).getAllByRole('row');
  assert.deepEqual(
    rows.slice(1).map((r) => r.querySelector('th')?.textContent),
    ['Baseline', 'EAC'],
  );
  assert.deepEqual(cellText('eac', 30), { figure: '70.0%', note: '2 runs, 1–7 epochs' });
  assert.deepEqual(cellText('baseline', 0), { figure: '40.0%', note: '1/10 epochs' });
  assert.equal(cellText('baseline', 30).figure, null, 'no baseline run at 30%: an empty cell');

  // A run comes in (another tab finished one): the table follows the store.
  act(() => useCompare.getState().setRecords([...useCompare.getState().records, storedRun('d', 'baseline', 0.3, [0.25])], []));
  assert.deepEqual(cellText('baseline', 30), { figure: '25.0%', note: '1/10 epochs' });
});

test('no runs with an epoch: the table says it fills in as runs finish their first epoch', () => {
  useCompare.getState().setRecords([storedRun('e', 'eac', 0.3, [])], []);
  render(<StoredRunsTable />);
  assert.equal(screen.queryByTestId('compare-table'), null);
  assert.ok(screen.getByText(/fills in as runs finish their first epoch/));
});
