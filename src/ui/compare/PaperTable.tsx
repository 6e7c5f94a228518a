// The paper's table as the page draws it, for the comparison view's runs (CompareTable) and for a
// sweep (SweepTableView): a row per method, a column per label-noise rate; each cell its figure (or
// "–"), a small note (epochs, n) and the paper's number beside it for reference.
import type { ReactNode } from 'react';

interface PaperTableCell {
  /** The cell's figure; null: no run yet ("–"). */
  figure: ReactNode | null;
  note: ReactNode | null;
  /** The paper's accuracy as a fraction; null where it reports none. */
  paper: number | null;
  testId: string;
  /** data-* attributes the tests read (data-mean, data-runs, data-n). */
  data: Record<string, string | number>;
}

interface PaperTableProps {
  caption: ReactNode;
  /** Noise columns: a key and its heading. */
  columns: { key: number; label: string }[];
  rows: { key: string; label: string; cells: PaperTableCell[] }[];
  /** Says which of the paper's numbers these are (the hover text of "paper …"). */
  paperTitle: string;
  className?: string;
  testId: string;
  data?: Record<string, string>;
}

export function PaperTable(p: PaperTableProps) {
  return (
    <div className="table-wrap">
      <table className={`compare-table${p.className ? ` ${p.className}` : ''}`} data-testid={p.testId} {...dataAttrs(p.data ?? {})}>
        <caption>{p.caption}</caption>
        <thead>
          <tr>
            <th scope="col">method</th>
            {p.columns.map((c) => (
              <th key={c.key} scope="col">
                {c.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {p.rows.map((row) => (
            <tr key={row.key}>
              <th scope="row">{row.label}</th>
              {row.cells.map((c, i) => (
                <td key={p.columns[i].key} data-testid={c.testId} {...dataAttrs(c.data)}>
                  {c.figure === null ? <span className="muted">–</span> : <b>{c.figure}</b>}
                  {c.note === null ? null : <small className="muted">{c.note}</small>}
                  {c.paper === null ? null : (
                    <small className="paper" title={p.paperTitle}>
                      paper {(c.paper * 100).toFixed(2)}
                    </small>
                  )}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

const dataAttrs = (d: Record<string, string | number>) => Object.fromEntries(Object.entries(d).map(([k, v]) => [`data-${k}`, v]));
