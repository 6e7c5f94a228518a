// The engine against PyTorch (float64 reference, tools/golden/generate.py): forward passes, maps,
// loss parts, every gradient, BatchNorm running statistics, two Adam steps, for narrow
// ResNet-50 (Caffe layout) and ResNet-18 (torchvision layout). Backend: EAC_TEST_BACKEND (cpu).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { setupBackend, type BackendName } from '../../src/cli/node-backends.ts';
import { Golden, runGoldenChecks, type GoldenMeta } from '../golden/checks.ts';

const dir = new URL('../fixtures/golden/', import.meta.url);
const backend = (process.env.EAC_TEST_BACKEND ?? 'cpu') as BackendName;

before(async () => {
  await setupBackend(backend);
});

for (const arch of ['resnet50', 'resnet18'] as const) {
  test(`golden ${arch} on ${backend}: forward, loss, gradients, BN statistics, Adam`, async () => {
    const meta = JSON.parse(readFileSync(new URL(`${arch}.json`, dir), 'utf8')) as GoldenMeta;
    const g = new Golden(new Uint8Array(readFileSync(new URL(`${arch}.safetensors`, dir))), meta);
    const results = await runGoldenChecks(g);
    const failed = results.filter((r) => !r.ok);
    const worst = results.reduce((a, b) => (b.relError > a.relError ? b : a));
    const worstVsTorch = results.reduce((a, b) => (b.relError / Math.max(b.torchF32RelError, 1e-12) > a.relError / Math.max(a.torchF32RelError, 1e-12) ? b : a));
    console.log(`# ${arch}/${backend}: ${results.length} comparisons, largest relative error ${worst.relError.toExponential(2)} (${worst.name}; PyTorch float32 there: ${worst.torchF32RelError.toExponential(2)})`);
    console.log(`# ${arch}/${backend}: largest error relative to PyTorch float32's own: ${worstVsTorch.name} ${worstVsTorch.relError.toExponential(2)} vs ${worstVsTorch.torchF32RelError.toExponential(2)}`);
    assert.ok(results.length > 200, `expected hundreds of comparisons, got ${results.length}`);
    assert.deepEqual(failed.map((r) => `${r.name}: ${r.relError.toExponential(2)} > ${r.tolerance}`), []);
  });
}
