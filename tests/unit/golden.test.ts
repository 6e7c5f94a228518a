// The engine against PyTorch (float64 reference, tools/golden/generate.py): forward passes, maps,
// loss parts, every gradient, BatchNorm running statistics, two Adam steps, for narrow
// ResNet-50 in the Caffe layout and in torchvision's (stride on the 3×3 conv, max-pool pad 1) and
// ResNet-18 (torchvision layout). Backend: EAC_TEST_BACKEND (cpu).
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

for (const arch of ['resnet50', 'resnet18', 'resnet50-torchvision'] as const) {
  test(`golden ${arch} on ${backend}: forward, loss, gradients, BN statistics, Adam`, async () => {
    const meta = JSON.parse(readFileSync(new URL(`${arch}.json`, dir), 'utf8')) as GoldenMeta;
    const g = new Golden(new Uint8Array(readFileSync(new URL(`${arch}.safetensors`, dir))), meta);
    const results = await runGoldenChecks(g);
    const failed = results.filter((r) => !r.ok);
    const exact = results.filter((r) => !r.adam);
    const worst = exact.reduce((a, b) => (b.relError > a.relError ? b : a));
    const tightest = exact.reduce((a, b) => (b.relError / b.tolerance > a.relError / a.tolerance ? b : a));
    const adam = results.filter((r) => r.adam).map((r) => r.adam!);
    const adamOff = Math.max(...adam.map((a) => a.fractionOff));
    console.log(
      `# ${arch}/${backend}: ${results.length} comparisons, largest relative error ${worst.relError.toExponential(2)} (${worst.name}; PyTorch float32 there: ${worst.torchF32RelError.toExponential(2)})`,
    );
    console.log(
      `# ${arch}/${backend}: closest to its tolerance: ${tightest.name} ${tightest.relError.toExponential(2)} of ${tightest.tolerance.toExponential(2)}`,
    );
    console.log(
      `# ${arch}/${backend}: after 2 Adam steps, largest share of elements off by > 1% of lr: ${(adamOff * 100).toFixed(3)}%, largest difference ${Math.max(...adam.map((a) => a.maxOffInLr)).toFixed(3)} lr`,
    );
    assert.ok(results.length > 200, `expected hundreds of comparisons, got ${results.length}`);
    assert.deepEqual(
      failed.map((r) =>
        r.adam
          ? `${r.name}: ${(r.adam.fractionOff * 100).toFixed(2)}% of elements off by > 1% of lr (max ${r.adam.maxOffInLr.toFixed(2)} lr)`
          : `${r.name}: ${r.relError.toExponential(2)} > ${r.tolerance}`,
      ),
      [],
    );
  });
}
