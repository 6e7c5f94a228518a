// The sweep's table as files: CSV (one row per method and noise rate, every number in full
// precision), Markdown (the paper's layout, for a README or an issue) and a LaTeX tabular (for a
// paper). Accuracies in percent throughout, as the paper writes them.
import { PAPER_SOURCE } from './paper.ts';
import { formatNoise, methodLabel } from './spec.ts';
import { rowLabel, type PivotCell, type PivotTable, type SweepTable, type TableCell } from './table.ts';

const ARCH_LABEL = { resnet50: 'ResNet-50', resnet18: 'ResNet-18' } as const;
const pct = (x: number) => x * 100;

/** RFC 4180 field: quoted only when it must be. */
function csvField(v: string | number | null): string {
  if (v === null) return '';
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export const TABLE_CSV_HEADER = [
  'method',
  'noise_rate',
  'n',
  'planned',
  'mean_pct',
  'std_pct',
  'paper_pct',
  'paper_arch',
  'values_pct',
] as const;

/** The CSV column of each hyperparameter axis (after noise_rate, only in a sweep that has it). */
const AXIS_COLUMN = { lr: 'lr', lam: 'lam', arch: 'arch', width: 'width', batchSize: 'batch_size', erasing: 'erasing' } as const;

/** One row per method, noise rate (and axes' values); `values_pct` lists every run's figure, separated by spaces. */
export function tableCsv(t: SweepTable): string {
  const head: string[] = [...TABLE_CSV_HEADER];
  head.splice(2, 0, ...t.axes.map((a) => AXIS_COLUMN[a]));
  const lines = [head.join(',')];
  for (const row of t.rows)
    for (const c of row.cells)
      lines.push(
        [
          row.method,
          c.noiseRate,
          ...t.axes.map((a) => (row.params[a] ?? null) as string | number | null),
          c.n,
          c.planned,
          c.mean === null ? null : pct(c.mean),
          c.std === null ? null : pct(c.std),
          c.paper === null ? null : pct(c.paper),
          c.paper === null ? null : t.paperArch,
          c.values.map((v) => String(pct(v))).join(' '),
        ]
          .map(csvField)
          .join(','),
      );
  return lines.join('\r\n') + '\r\n';
}

/** "84.21 ± 1.05" (n ≥ 2), "84.21" (n = 1), with "(n=2/3)" while some seeds are missing; null when empty. */
function measured(c: Pick<TableCell, 'mean' | 'std' | 'n' | 'planned'>, pm: string): string | null {
  if (c.mean === null) return null;
  const m = pct(c.mean).toFixed(2);
  const s = c.std === null ? m : `${m} ${pm} ${pct(c.std).toFixed(2)}`;
  return c.n < c.planned ? `${s} (n=${c.n}/${c.planned})` : s;
}

const paperLabel = (t: SweepTable, method: SweepTable['rows'][number]['method']) =>
  `${methodLabel(method)} (paper, ${ARCH_LABEL[t.paperArch]})`;

export function tableMarkdown(t: SweepTable): string {
  const seeds = Math.max(0, ...t.rows.flatMap((r) => r.cells.map((c) => c.planned)));
  const lines = [
    `Test accuracy (%), mean of the last 5 epochs${seeds > 1 ? `; mean ± sample std over ${seeds} seeds` : ''}. Paper: ${PAPER_SOURCE}.`,
    '',
    `| Method | ${t.noiseRates.map((r) => (r === 0 ? 'clean' : formatNoise(r))).join(' | ')} |`,
    `| --- | ${t.noiseRates.map(() => '---:').join(' | ')} |`,
  ];
  for (const row of t.rows) {
    lines.push(`| ${rowLabel(row)} | ${row.cells.map((c) => measured(c, '±') ?? '–').join(' | ')} |`);
    if (row.cells.some((c) => c.paper !== null))
      lines.push(
        `| ${paperLabel(t, row.method)} | ${row.cells.map((c) => (c.paper === null ? '–' : pct(c.paper).toFixed(2))).join(' | ')} |`,
      );
  }
  return lines.join('\n') + '\n';
}

export function tableLatex(t: SweepTable): string {
  const cell = (c: TableCell) => {
    const s = measured(c, '\\pm');
    if (s === null) return '--';
    const [num, n] = s.split(' (');
    return `$${num}$${n ? ` {\\scriptsize (${n}}` : ''}`;
  };
  const lines = [
    `% Test accuracy (%), mean of the last 5 epochs; paper: ${PAPER_SOURCE}.`,
    `\\begin{tabular}{l${t.noiseRates.map(() => 'r').join('')}}`,
    '\\hline',
    `Method & ${t.noiseRates.map((r) => (r === 0 ? 'clean' : formatNoise(r).replace('%', '\\%'))).join(' & ')} \\\\`,
    '\\hline',
  ];
  for (const row of t.rows) {
    lines.push(`${rowLabel(row).replace(/λ/g, '$\\lambda$')} & ${row.cells.map(cell).join(' & ')} \\\\`);
    if (row.cells.some((c) => c.paper !== null))
      lines.push(
        `${paperLabel(t, row.method)} & ${row.cells.map((c) => (c.paper === null ? '--' : pct(c.paper).toFixed(2))).join(' & ')} \\\\`,
      );
  }
  lines.push('\\hline', '\\end{tabular}');
  return lines.join('\n') + '\n';
}

/** A pivot of the sweep (any two axes) in Markdown: mean ± sample std over seeds, in percent. */
export function pivotMarkdown(t: PivotTable): string {
  const seeds = Math.max(0, ...t.rows.flatMap((r) => r.cells.map((c) => c.planned)));
  const lines = [
    `Test accuracy (%), mean of the last 5 epochs${seeds > 1 ? `; mean ± sample std over ${seeds} seeds` : ''}; rows: ${t.rowAxes.join(' × ')}, columns: ${t.colAxis}.`,
    '',
    `| ${t.rowAxes.join(', ')} | ${t.cols.map((c) => c.label).join(' | ')} |`,
    `| --- | ${t.cols.map(() => '---:').join(' | ')} |`,
  ];
  for (const row of t.rows) lines.push(`| ${row.label} | ${row.cells.map((c) => measured(c, '±') ?? '–').join(' | ')} |`);
  return lines.join('\n') + '\n';
}

/** A pivot as CSV: one line per row and column value, every number in full precision. */
export function pivotCsv(t: PivotTable): string {
  const lines = [[...t.rowAxes, t.colAxis, 'n', 'planned', 'mean_pct', 'std_pct', 'values_pct'].join(',')];
  for (const row of t.rows)
    row.cells.forEach((c: PivotCell, j) =>
      lines.push(
        [
          ...row.key.map((v) => (v ?? null) as string | number | null),
          t.cols[j].value as string | number,
          c.n,
          c.planned,
          c.mean === null ? null : pct(c.mean),
          c.std === null ? null : pct(c.std),
          c.values.map((v) => String(pct(v))).join(' '),
        ]
          .map(csvField)
          .join(','),
      ),
    );
  return lines.join('\r\n') + '\r\n';
}
