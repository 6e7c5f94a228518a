// Real images: Debian's Fashion-MNIST (`apt-get install dataset-fashion-mnist`, installed by
// .ci/run) read through the CLI's dataset reader, and a balanced slice trained from scratch. Where
// the package is missing the tests skip, except under CI, where they must run.
//
//   EAC_TEST_BACKEND=wasm node --import tsx --test tests/unit/fashion-mnist.test.ts
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { setupBackend, type BackendName } from '../../src/cli/node-backends.ts';
import { loadDataFolder } from '../../src/cli/dataset.ts';
import { balancedSubset } from '../../src/data/subset.ts';
import { withNoise } from '../../src/data/noise.ts';
import { classesOf, type Dataset } from '../../src/engine/dataset.ts';
import { defaultTrainConfig } from '../../src/engine/config.ts';
import { train } from '../../src/engine/trainer.ts';

const DIR = '/usr/share/datasets/fashion-mnist';
const FASHION = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];
const backend = (process.env.EAC_TEST_BACKEND ?? 'cpu') as BackendName;
const missing = existsSync(DIR) ? false : process.env.CI ? false : 'Debian’s dataset-fashion-mnist is not installed here';
before(async () => {
  await setupBackend(backend);
});

let full: Dataset | null = null;
async function fashion(): Promise<Dataset> {
  full ??= (await loadDataFolder(DIR, undefined, '--data')).dataset;
  return full;
}

const perClass = (labels: Int32Array, k: number) => {
  const n = new Array<number>(k).fill(0);
  for (const l of labels) n[l]++;
  return n;
};

test('Debian’s Fashion-MNIST reads whole: 60,000 + 10,000 grey 28×28 images, its ten class names, balanced', {
  skip: missing,
}, async () => {
  const ds = await fashion();
  assert.deepEqual(classesOf(ds), FASHION);
  assert.deepEqual([ds.train.labels.length, ds.test.labels.length], [60_000, 10_000]);
  assert.deepEqual([ds.train.height, ds.train.width, ds.test.height, ds.test.width], [28, 28, 28, 28]);
  assert.equal(ds.train.images.length, 60_000 * 28 * 28 * 3);
  assert.deepEqual(perClass(ds.train.labels, 10), new Array(10).fill(6_000));
  assert.deepEqual(perClass(ds.test.labels, 10), new Array(10).fill(1_000));
  // Grey: the three channels of every pixel are equal (spot-checked across the split).
  for (let p = 0; p < ds.train.images.length; p += 3 * 997) {
    const [r, g, b] = ds.train.images.subarray(p, p + 3);
    assert.ok(r === g && g === b, `pixel ${p / 3}`);
  }
  // Not blank: a trouser's pixels differ from a sandal's (the images are real, not zeros).
  const mean = (i: number) => ds.train.images.subarray(i * 2352, (i + 1) * 2352).reduce((a, v) => a + v, 0) / 2352;
  const first = (c: number) => ds.train.labels.indexOf(c);
  assert.ok(Math.abs(mean(first(1)) - mean(first(5))) > 1, 'two classes’ first images differ');
});

test('a balanced slice of Fashion-MNIST with 40% noise trains from scratch well above chance', {
  skip: missing || (backend !== 'wasm' && 'trains a model: runs in the wasm suite'),
}, async () => {
  const slice = balancedSubset(await fashion(), 600, 300);
  assert.deepEqual(perClass(slice.train.labels, 10), new Array(10).fill(60));
  const { dataset: ds, report } = withNoise(slice, 'symmetric', 0.4, 0);
  assert.ok(report.changed > 200, `${report.changed} of 600 flipped`);
  const config = { ...defaultTrainConfig('resnet18'), width: 8, size: 32, batchSize: 32, epochs: 3, lr: 1e-3, evalBatchSize: 100, seed: 0 };
  const result = await train(ds, config);
  const acc = result.epochs.at(-1)!.testAcc;
  // Chance is 10%; three short epochs on 600 images reach far more (47.3% measured here, wasm).
  assert.ok(acc > 0.3, `test accuracy ${acc}`);
  assert.equal(result.epochs.at(-1)!.test.perClassAccuracy.length, 10);
});
