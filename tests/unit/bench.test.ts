// `eac bench` reports each step's cost (kernels, dispatches, read-backs, peak bytes, encode time),
// and --plan runs on Dawn's Null adapter. (The tape's costs against the explicit backward's:
// tests/unit/step-budget.test.ts.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

const bin = new URL('../../bin/eac.js', import.meta.url).pathname;
const bench = (...args: string[]) => {
  const r = spawnSync(
    process.execPath,
    [
      bin,
      'bench',
      '--arch',
      'resnet18',
      '--width',
      '2',
      '--size',
      '32',
      '--batch-size',
      '2',
      '--steps',
      '1',
      '--warmup',
      '0',
      '--json',
      ...args,
    ],
    { encoding: 'utf8', maxBuffer: 64 << 20 },
  );
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
};

test('eac bench --json: per-step kernels, read-backs, peak bytes and encode time', () => {
  const r = bench('--backend', 'cpu');
  assert.equal(r.costs.length, 1);
  const c = r.median;
  assert.equal(c.readBacks, 1, 'one read-back per step');
  assert.equal(c.dispatches, null, 'no WebGPU dispatches on cpu');
  assert.equal(c.gpu, null, 'no WebGPU calls on cpu');
  assert.equal(c.replayed, false);
  assert.match(r.program.notReplayed, /WebGPU only \(this is cpu\)/);
  assert.ok(c.kernels > 100 && c.encodeMs > 0 && c.encodeMs <= c.ms, JSON.stringify(c));
  assert.ok(c.stepPeakBytes > 0 && c.peakBytes > c.stepPeakBytes, JSON.stringify(c));
  assert.ok(r.memoryPlan.totalPeakBytes > 0);
});

test('eac bench --plan: WebGPU dispatches counted on the Null adapter, nothing executed', () => {
  const r = bench('--plan');
  assert.equal(r.backend, 'webgpu');
  assert.equal(r.plan, true);
  assert.ok(r.median.dispatches > 100, `dispatches ${r.median.dispatches}`);
  assert.ok(r.median.kernels > 100);
});
