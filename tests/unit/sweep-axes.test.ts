// A sweep's hyperparameter axes (lr, λ, backbone, width, batch size, erasing mode): the grid is
// their product with methods × noise rates × seeds; tables get a row per method × combination and
// pivot by any two axes, averaging over seeds; eac sweep reads the axes from lists; a sweep file
// written before axes existed (tests/fixtures/sweeps/v1-sweep.json, made by the code of e80e0f6)
// loads and reads back the same.
//
//   node --import tsx --test tests/unit/sweep-axes.test.ts
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  cellConfig,
  createSweep,
  expandGrid,
  parseSweepJson,
  pivotCsv,
  pivotMarkdown,
  pivotTable,
  reduceSweep,
  sweepJsonText,
  sweepTable,
  tableCsv,
  tableMarkdown,
  type SweepSpec,
  type SweepState,
} from '../../src/engine/sweep/index.ts';
import { specDifference, specFromFlags } from '../../src/cli/sweep-plan.ts';
import { pivotAxes, sweepCommand } from '../../src/cli/sweep.ts';
import { axesFromTexts, parseAxisList } from '../../src/ui/sweep/sweep-form.ts';

const spec: SweepSpec = {
  methods: ['baseline', 'eac'],
  noiseRates: [0.2],
  seeds: [0, 1],
  config: { arch: 'resnet18', width: 2, lr: 0.0002, lam: 5 },
  data: { kind: 'demo', seed: 0, trainCount: 16, testCount: 8, noiseRate: 0, noiseSeed: 0 },
  axes: { lr: [0.0001, 0.0002], lam: [1, 3] },
};
const summary = (acc: number) => ({
  testAccLast5: acc,
  finalTestAcc: acc,
  bestTestAcc: acc,
  epochs: 1,
  steps: 2,
  seconds: 1,
  stoppedBy: 'completed' as const,
});
/** Every cell done, its accuracy made of its values so that each mean is known. */
function finished(s: SweepState, acc: (id: string) => number): SweepState {
  for (const id of s.order) {
    s = reduceSweep(s, { type: 'start', cellId: id, runId: id, at: 1 });
    s = reduceSweep(s, { type: 'finish', cellId: id, summary: summary(acc(id)), at: 2 });
  }
  return s;
}

test('the grid is the product of methods, noise rates, seeds and every axis, each cell once with its values', () => {
  const grid = expandGrid(spec);
  assert.equal(grid.length, 2 * 1 * 2 * 2 * 2);
  assert.equal(new Set(grid.map((c) => c.id)).size, grid.length);
  const combos = new Set(grid.map((c) => JSON.stringify([c.method, c.seed, c.params.lr, c.params.lam])));
  assert.equal(combos.size, grid.length, 'each combination exactly once');
  assert.equal(grid[0].id, 'baseline-noise0.2-seed0-lr0.0001-lam1');
  assert.equal(grid[0].name, 'Baseline, noise 20%, seed 0, lr 0.0001, λ 1');
  assert.deepEqual(
    grid.slice(0, 4).map((c) => [c.params.lr, c.params.lam]),
    [
      [0.0001, 1],
      [0.0001, 3],
      [0.0002, 1],
      [0.0002, 3],
    ],
  );
  assert.ok(
    grid.slice(0, 8).every((c) => c.seed === 0),
    'seed by seed, as before',
  );
  assert.deepEqual(cellConfig(spec, grid[3]), { arch: 'resnet18', width: 2, lr: 0.0002, lam: 3, method: 'baseline', seed: 0 });
  const wide = {
    ...spec,
    axes: { arch: ['resnet18', 'resnet50'], width: [2, 4], batchSize: [8, 16], erasing: ['independent', 'mirrored'] },
  } as SweepSpec;
  assert.equal(expandGrid(wide).length, 2 * 2 * 16);
  assert.equal(expandGrid(wide)[15].id, 'baseline-noise0.2-seed0-resnet50-w4-bs16-erasing-mirrored');
  // Every axis at once, with long values: its ids still make a sweep file that reads back.
  const all = {
    ...spec,
    noiseRates: [0.123456],
    seeds: [4294967295],
    axes: { lr: [0.000123456789, 0.2], lam: [12.3456789], arch: ['resnet50'], width: [64], batchSize: [256], erasing: ['independent'] },
  } as SweepSpec;
  const long = createSweep(all, { id: 'long', name: 'long', createdAt: 0 });
  assert.ok(long.order[0].length > 100, long.order[0]);
  assert.deepEqual(parseSweepJson(sweepJsonText(long)), long);
  for (const [axes, why] of [
    [{ lr: [0.001, 0.001] }, /lr 0\.001 is listed twice/],
    [{ lr: [] }, /no values of lr/],
    [{ lam: [-1] }, /-1 is not a value of lam/],
    [{ arch: ['vgg'] }, /"vgg" is not a value of arch/],
    [
      { lr: Array.from({ length: 33 }, (_, i) => (i + 1) / 1e4), lam: Array.from({ length: 32 }, (_, i) => i) },
      /at most 1024 cells, got 4224/,
    ],
  ] as [SweepSpec['axes'], RegExp][])
    assert.throws(() => expandGrid({ ...spec, axes }), why);
});

test('tables: a row per method × combination, and a pivot by any two axes averaging over seeds', () => {
  // Accuracy = lr·1000 + λ/10 + (seed 1: +0.02, eac: +0.1): every mean is known exactly.
  const s = finished(createSweep(spec, { id: 's', name: 's', createdAt: 0 }), (id) => {
    const c = expandGrid(spec).find((x) => x.id === id)!;
    return c.params.lr! * 1000 + c.params.lam! / 10 + (c.seed === 1 ? 0.02 : 0) + (c.method === 'eac' ? 0.1 : 0);
  });
  const t = sweepTable(s);
  assert.deepEqual(t.axes, ['lr', 'lam']);
  assert.equal(t.rows.length, 8);
  assert.deepEqual(t.rows[1].params, { lr: 0.0001, lam: 3 });
  assert.ok(Math.abs(t.rows[1].cells[0].mean! - 0.41) < 1e-12, 'the mean over seeds 0 and 1');
  assert.equal(t.rows[1].cells[0].paper, null, "the paper's numbers are for its own settings, not an lr sweep's");
  assert.match(tableMarkdown(t), /\| Baseline, lr 0\.0001, λ 3 \| 41\.00 ± 1\.41 \|/);
  assert.match(tableCsv(t), /^method,noise_rate,lr,lam,n,planned,/);
  assert.match(tableCsv(t), /\r\neac,0\.2,0\.0002,1,2,2,/);

  const p = pivotTable(s, 'lr', 'method');
  assert.deepEqual(p.rowAxes, ['lr', 'lam'], 'λ has several values: folded into the rows, not averaged');
  assert.deepEqual(
    p.cols.map((c) => c.label),
    ['Baseline', 'EAC'],
  );
  assert.deepEqual(
    p.rows.map((r) => r.label),
    ['lr 0.0001, λ 1', 'lr 0.0001, λ 3', 'lr 0.0002, λ 1', 'lr 0.0002, λ 3'],
  );
  const c = p.rows[3].cells[1];
  assert.equal(c.n, 2);
  assert.ok(Math.abs(c.mean! - 0.61) < 1e-12, `eac, lr 2e-4, λ 3: ${c.mean}`);
  assert.match(pivotMarkdown(p), /\| lr 0\.0002, λ 3 \| 51\.00 ± 1\.41 \| 61\.00 ± 1\.41 \|/);
  assert.match(pivotCsv(p), /^lr,lam,method,n,planned,mean_pct,std_pct,values_pct\r\n0\.0001,1,baseline,2,2,/);
  // By λ × lr: the methods fold into the rows.
  const q = pivotTable(s, 'lam', 'lr');
  assert.deepEqual(q.rowAxes, ['lam', 'method']);
  assert.equal(q.rows.length, 4);
  // An axis the sweep does not list has one value: the shared setting.
  const r = pivotTable(s, 'width', 'lr');
  assert.equal(r.cols.length, 2);
  assert.equal(r.rows[0].label.startsWith('width 2'), true);
  assert.throws(() => pivotTable(s, 'lr', 'lr'), /two different axes/);
});

test('eac sweep: lists make axes, one value stays a shared setting, a rerun names the axis that differs', () => {
  const base = { demo: true, 'demo-train': '16', 'demo-test': '8', arch: 'resnet18', width: '2', methods: 'eac', noise: '0' };
  const one = specFromFlags({ ...base, lr: '0.001' });
  assert.equal(one.axes, undefined, 'no list: the sweep of before, in the same file');
  assert.equal(one.config.lr, 0.001);
  const two = specFromFlags({ ...base, lr: '1e-4,2e-4', 'batch-size': '8,16', erasing: 'independent,mirrored' });
  assert.deepEqual(two.axes, { lr: [0.0001, 0.0002], batchSize: [8, 16], erasing: ['independent', 'mirrored'] });
  assert.equal(expandGrid(two).length, 8);
  assert.equal(
    specDifference(two, specFromFlags({ ...base, lr: '1e-4,3e-4', 'batch-size': '8,16', erasing: 'independent,mirrored' })),
    "--lr is 0.0001,0.0003, the sweep's is 0.0001,0.0002",
  );
  assert.equal(
    specDifference(two, specFromFlags({ ...base, lr: '1e-4', 'batch-size': '8,16', erasing: 'independent,mirrored' })),
    "--lr is 0.0001, the sweep's is 0.0001,0.0002",
  );
  assert.throws(() => specFromFlags({ ...base, lr: '1e-4,-1' }), /--lr must be/);
  assert.throws(() => specFromFlags({ ...base, arch: 'resnet18,vgg' }), /--arch must be one of/);
  assert.deepEqual(pivotAxes('lr,method'), ['lr', 'method']);
  assert.deepEqual(pivotAxes('batch-size,noise'), ['batchSize', 'noise']);
  assert.throws(() => pivotAxes('lr'), /^Error: --pivot needs two axes ROWS,COLS among method/);
  assert.throws(() => pivotAxes('lr,lr'), /two different axes, got lr twice/);
});

test('a sweep file written before the axes existed loads, reads back the same, and keeps its table', async () => {
  const file = new URL('../fixtures/sweeps/v1-sweep.json', import.meta.url).pathname;
  const text = readFileSync(file, 'utf8');
  const s = parseSweepJson(text, 'v1-sweep.json');
  assert.equal(s.spec.axes, undefined);
  assert.equal(sweepJsonText(s), text, 'read and written again: the same file');
  assert.deepEqual(s.order.slice(0, 2), ['baseline-noise0-seed0', 'baseline-noise0.2-seed0']);
  assert.equal(s.cells['eac-noise0.2-seed0'].status, 'resumable');
  const t = sweepTable(s);
  assert.deepEqual(t.axes, []);
  assert.deepEqual(
    t.rows.map((r) => [r.method, r.params]),
    [
      ['baseline', {}],
      ['eac', {}],
    ],
  );
  assert.match(tableMarkdown(t), /^\| Baseline \| 37\.50 ± 17\.68 \| 37\.50 \(n=1\/2\) \|$/m);
  assert.match(tableMarkdown(t), /^\| Baseline \(paper, ResNet-50\) \| 88\.75 \| 79\.11 \|/m);
  assert.match(tableCsv(t), /^method,noise_rate,n,planned,mean_pct,std_pct,paper_pct,paper_arch,values_pct\r\n/);
  // eac sweep --pivot reads it too (by noise × method here).
  const dir = mkdtempSync(path.join(tmpdir(), 'eac-axes-'));
  const { writeFileSync } = await import('node:fs');
  writeFileSync(path.join(dir, 'sweep.json'), text);
  const out: string[] = [];
  const write = process.stdout.write;
  process.stdout.write = ((c: string) => (out.push(c), true)) as typeof process.stdout.write;
  try {
    assert.equal(await sweepCommand(['--pivot', 'noise,method', '--out', dir]), 0);
  } finally {
    process.stdout.write = write;
  }
  assert.match(out.join(''), /\| noise \| Baseline \| EAC \|\n\| --- \| ---: \| ---: \|\n\| 0% \| 37\.50 ± 17\.68 \| 62\.50 \(n=1\/2\) \|/);
});

test("the Sweep panel's axis lists: two values or more make an axis, one replaces the setting, bad input is one line", () => {
  assert.deepEqual(axesFromTexts({ lr: '1e-4, 2e-4', lam: '3', arch: 'ResNet-50 resnet18', erasing: '' }), {
    axes: { lr: [0.0001, 0.0002], arch: ['resnet50', 'resnet18'] },
    fixed: { lam: 3 },
  });
  assert.equal(axesFromTexts({ width: '4, 4.5' }), 'widths: 4.5 is not a whole number above 0');
  assert.equal(axesFromTexts({ lr: '1e-4, 1e-4' }), 'learning rates: a value is listed twice');
  assert.equal(axesFromTexts({ erasing: 'both' }), 'erasing modes: erasing is independent or mirrored, got both');
  assert.equal(parseAxisList('0, -1', 'lam'), 'λ is 0 or more, got -1');
});
