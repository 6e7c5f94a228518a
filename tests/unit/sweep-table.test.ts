// The sweep's table (src/engine/sweep/table.ts): per method and noise rate, the mean and sample
// standard deviation over seeds of testAccLast5 against hand-computed values, the paper's numbers
// beside them; and its CSV, Markdown and LaTeX exports read back to the same numbers.
//
//   node --import tsx --test tests/unit/sweep-table.test.ts
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  createSweep,
  reduceSweep,
  sampleStd,
  sweepTable,
  tableCsv,
  tableLatex,
  tableMarkdown,
  TABLE_CSV_HEADER,
  type SweepSpec,
  type SweepState,
} from '../../src/engine/sweep/index.ts';

const spec: SweepSpec = {
  methods: ['baseline', 'eac'],
  noiseRates: [0, 0.1, 0.2, 0.3],
  seeds: [0, 1, 2],
  config: { arch: 'resnet50', width: 4 },
  data: { kind: 'demo', seed: 0, trainCount: 16, testCount: 8, noiseRate: 0, noiseSeed: 0 },
};

/** Finishes `cellId` with testAccLast5 = acc (null: no evaluated epoch). */
function finish(s: SweepState, cellId: string, acc: number | null): SweepState {
  s = reduceSweep(s, { type: 'start', cellId, runId: cellId, at: 0 });
  const summary = {
    testAccLast5: acc,
    finalTestAcc: acc,
    bestTestAcc: acc,
    epochs: 5,
    steps: 10,
    seconds: 1,
    stoppedBy: 'completed' as const,
  };
  return reduceSweep(s, { type: 'finish', cellId, summary, at: 1 });
}

function filled(): SweepState {
  let s = createSweep(spec, { id: 't', name: 't', createdAt: 0 });
  // Baseline clean: three seeds 0.5, 0.625, 0.75: mean 0.625, deviations ±0.125 → sample std √(2·0.125²/2) = 0.125.
  s = finish(s, 'baseline-noise0-seed0', 0.5);
  s = finish(s, 'baseline-noise0-seed1', 0.625);
  s = finish(s, 'baseline-noise0-seed2', 0.75);
  // EAC 20%: two of three seeds, 0.25 and 0.375: mean 0.3125, sample std √(2·0.0625²/1) = 0.0883883…
  s = finish(s, 'eac-noise0.2-seed2', 0.375);
  s = finish(s, 'eac-noise0.2-seed0', 0.25);
  // EAC 30%: one seed; a run without an evaluated epoch counts for nothing.
  s = finish(s, 'eac-noise0.3-seed1', 0.5);
  s = finish(s, 'eac-noise0.3-seed0', null);
  // Skipped and failed runs are not in the table.
  s = reduceSweep(s, { type: 'skip', cellId: 'baseline-noise0.1-seed0' });
  return s;
}

test('mean and sample std over seeds, against hand-computed values', () => {
  const t = sweepTable(filled());
  assert.deepEqual(t.noiseRates, [0, 0.1, 0.2, 0.3]);
  assert.deepEqual(
    t.rows.map((r) => r.method),
    ['baseline', 'eac'],
  );
  const [b, e] = t.rows;
  assert.deepEqual(b.cells[0], {
    method: 'baseline',
    noiseRate: 0,
    values: [0.5, 0.625, 0.75],
    planned: 3,
    n: 3,
    mean: 0.625,
    std: 0.125,
    paper: 0.8875,
  });
  assert.deepEqual(b.cells[1], { method: 'baseline', noiseRate: 0.1, values: [], planned: 3, n: 0, mean: null, std: null, paper: 0.8344 });
  assert.deepEqual(e.cells[2].values, [0.25, 0.375], 'in seed order, not finishing order');
  assert.equal(e.cells[2].mean, 0.3125);
  assert.ok(Math.abs(e.cells[2].std! - 0.0625 * Math.SQRT2) < 1e-15);
  assert.deepEqual([e.cells[3].n, e.cells[3].mean, e.cells[3].std], [1, 0.5, null]);
  assert.equal(e.cells[3].paper, 0.8527);
  assert.equal(t.paperArch, 'resnet50');
  assert.equal(sampleStd([2, 4, 4, 4, 5, 5, 7, 9]), Math.sqrt(32 / 7));
});

test("the paper's numbers: the sweep's architecture where the paper has all its methods, else ResNet-50", () => {
  const s = createSweep({ ...spec, methods: ['eac'], config: { arch: 'resnet18' } }, { id: 't', name: 't', createdAt: 0 });
  const t = sweepTable(s);
  assert.equal(t.paperArch, 'resnet18');
  assert.deepEqual(
    t.rows[0].cells.map((c) => c.paper),
    [89.99 / 100, 88.02 / 100, null, null],
  );
  assert.equal(
    sweepTable(createSweep({ ...spec, config: { arch: 'resnet18' } }, { id: 't', name: 't', createdAt: 0 })).paperArch,
    'resnet50',
  );
});

/** RFC 4180 records (quoted fields with doubled quotes, CRLF). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let f = '';
  let q = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (q) {
      if (ch === '"' && text[i + 1] === '"') (f += '"'), i++;
      else if (ch === '"') q = false;
      else f += ch;
    } else if (ch === '"') q = true;
    else if (ch === ',') row.push(f), (f = '');
    else if (ch === '\r' && text[i + 1] === '\n') {
      row.push(f), rows.push(row), (row = []), (f = ''), i++;
    } else f += ch;
  }
  assert.equal(f + row.join(''), '', 'ends with CRLF');
  return rows;
}

test('CSV: a row per method and noise rate, numbers back in full precision', () => {
  const t = sweepTable(filled());
  const [head, ...rows] = parseCsv(tableCsv(t));
  assert.deepEqual(head, [...TABLE_CSV_HEADER]);
  assert.equal(rows.length, 8);
  const rec = rows.map((r) => Object.fromEntries(head.map((h, i) => [h, r[i]])));
  const b0 = rec.find((r) => r.method === 'baseline' && r.noise_rate === '0')!;
  assert.deepEqual(
    [Number(b0.n), Number(b0.planned), Number(b0.mean_pct), Number(b0.std_pct), Number(b0.paper_pct)],
    [3, 3, 62.5, 12.5, 88.75],
  );
  assert.deepEqual(b0.values_pct.split(' ').map(Number), [50, 62.5, 75]);
  const e2 = rec.find((r) => r.method === 'eac' && r.noise_rate === '0.2')!;
  assert.equal(Number(e2.std_pct), t.rows[1].cells[2].std! * 100);
  const b1 = rec.find((r) => r.method === 'baseline' && r.noise_rate === '0.1')!;
  assert.deepEqual([b1.n, b1.mean_pct, b1.std_pct, b1.values_pct], ['0', '', '', '']);
});

test('Markdown: the paper layout, mean ± std, n while seeds are missing, the paper rows', () => {
  const md = tableMarkdown(sweepTable(filled()));
  const rows = md
    .split('\n')
    .filter((l) => l.startsWith('|'))
    .map((l) =>
      l
        .slice(1, -1)
        .split('|')
        .map((c) => c.trim()),
    );
  assert.deepEqual(rows[0], ['Method', 'clean', '10%', '20%', '30%']);
  assert.deepEqual(rows[1], ['---', '---:', '---:', '---:', '---:']);
  assert.deepEqual(rows[2], ['Baseline', '62.50 ± 12.50', '–', '–', '–']);
  assert.deepEqual(rows[3], ['Baseline (paper, ResNet-50)', '88.75', '83.44', '79.11', '71.67']);
  assert.deepEqual(rows[4], ['EAC', '–', '–', '31.25 ± 8.84 (n=2/3)', '50.00 (n=1/3)']);
  assert.deepEqual(rows[5], ['EAC (paper, ResNet-50)', '90.35', '88.62', '87.35', '85.27']);
  assert.equal(rows.length, 6);
  assert.match(md, /^Test accuracy \(%\), mean of the last 5 epochs; mean ± sample std over 3 seeds\./);
});

test('LaTeX: a tabular with one row per line, the same figures', () => {
  const tex = tableLatex(sweepTable(filled()));
  const lines = tex.trim().split('\n');
  assert.equal(lines[1], '\\begin{tabular}{lrrrr}');
  assert.equal(lines.at(-1), '\\end{tabular}');
  const body = lines.filter((l) => l.endsWith(' \\\\')).map((l) => l.slice(0, -3).split(' & '));
  assert.deepEqual(body[0], ['Method', 'clean', '10\\%', '20\\%', '30\\%']);
  assert.deepEqual(body[1], ['Baseline', '$62.50 \\pm 12.50$', '--', '--', '--']);
  assert.deepEqual(body[3], ['EAC', '--', '--', '$31.25 \\pm 8.84$ {\\scriptsize (n=2/3)}', '$50.00$ {\\scriptsize (n=1/3)}']);
  assert.deepEqual(body[4], ['EAC (paper, ResNet-50)', '90.35', '88.62', '87.35', '85.27']);
  // Every row has as many cells as the column spec has columns.
  for (const r of body) assert.equal(r.length, 5);
  assert.equal((tex.match(/\{/g) ?? []).length, (tex.match(/\}/g) ?? []).length, 'balanced braces');
});
