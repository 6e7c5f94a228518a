// The class-balanced sampler (sampler.ts): each epoch's N draws are spread evenly over the classes
// of an imbalanced label set (within a binomial bound), are a pure function of (seed, epoch), run
// in the trainer (its epoch's confusion rows are the draw's label counts), resume exactly from a
// checkpoint within an epoch, and the setting is read, refused, recorded and passed on like any other.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { setupBackend, type BackendName } from '../../src/cli/node-backends.ts';
import { balancedOrder } from '../../src/engine/sampler.ts';
import { train } from '../../src/engine/trainer.ts';
import { checkpointMismatch, partialMismatch, type TrainCheckpoint } from '../../src/engine/checkpoint.ts';
import { defaultTrainConfig, validateTrainConfig, type TrainConfig } from '../../src/engine/config.ts';
import { readConfig } from '../../src/engine/run-check.ts';
import { generateDemoDataset } from '../../src/data/demo.ts';
import { configFromFlags } from '../../src/cli/train.ts';
import { newRunArgs } from '../../src/cli/sweep-plan.ts';
import { configRequestOf, DEMO_SETTINGS } from '../../src/ui/settings.ts';
import type { Dataset } from '../../src/engine/dataset.ts';

const backend = (process.env.EAC_TEST_BACKEND ?? 'cpu') as BackendName;
before(async () => {
  await setupBackend(backend);
});
const runLogic = { skip: backend !== 'wasm' ? 'backend-independent run logic (runs in the wasm suite)' : false };

/** 600, 300, 80 and 20 samples of classes 0..3 (class 4 has none), interleaved. */
function imbalanced(): Int32Array {
  const sizes = [600, 300, 80, 20];
  const out: number[] = [];
  sizes.forEach((n, k) => {
    for (let i = 0; i < n; i++) out.push(k);
  });
  // A fixed interleaving, so that a class's samples are not one block.
  return Int32Array.from(
    out.map((l, i) => [l, (i * 7919) % out.length]).sort((a, b) => a[1] - b[1]),
    ([l]) => l,
  );
}

const classCounts = (labels: ArrayLike<number>, order: ArrayLike<number>, k: number) => {
  const c = new Array<number>(k).fill(0);
  for (let i = 0; i < order.length; i++) c[labels[order[i]]]++;
  return c;
};

test('each epoch draws every present class about N/K times, by a binomial bound, on an imbalanced set', () => {
  const labels = imbalanced();
  const n = labels.length;
  // Binomial(N, 1/4): mean 250, sd ≈ 13.7; 5 sd either side.
  const bound = 5 * Math.sqrt(n * 0.25 * 0.75);
  for (const seed of [0, 1, 12345])
    for (let epoch = 1; epoch <= 5; epoch++) {
      const order = balancedOrder(labels, seed, epoch);
      assert.equal(order.length, n, 'as many draws as samples: the epoch has its usual steps');
      const counts = classCounts(labels, order, 5);
      for (let k = 0; k < 4; k++)
        assert.ok(Math.abs(counts[k] - n / 4) <= bound, `seed ${seed} epoch ${epoch}: class ${k} drawn ${counts[k]} times (${counts})`);
      assert.equal(counts[4], 0, 'a class without samples is never drawn');
      // Within the rarest class, the draws spread over its 20 samples (about 12 each).
      const rare = new Set(Array.from(order).filter((i) => labels[i] === 3));
      assert.ok(rare.size >= 18, `${rare.size} of the 20 rare samples drawn`);
    }
});

test('the draw is a pure function of seed and epoch', () => {
  const labels = imbalanced();
  assert.deepEqual(balancedOrder(labels, 7, 3), balancedOrder(labels, 7, 3));
  assert.notDeepEqual(balancedOrder(labels, 7, 3), balancedOrder(labels, 7, 4));
  assert.notDeepEqual(balancedOrder(labels, 7, 3), balancedOrder(labels, 8, 3));
});

/** The demo's training labels made imbalanced: two thirds of them moved to class 0 (clean ones too, so it is not noise). */
function imbalancedDataset(): Dataset {
  const d = generateDemoDataset({ seed: 0, trainCount: 24, testCount: 10 });
  const labels = d.train.labels.map((l, i) => (i % 3 === 0 ? l : 0));
  return { ...d, train: { ...d.train, labels, cleanLabels: labels.slice() } };
}

const tiny = (over: Partial<TrainConfig> = {}): TrainConfig => ({
  ...defaultTrainConfig('resnet18'),
  width: 2,
  size: 32,
  batchSize: 8,
  epochs: 2,
  evalBatchSize: 10,
  lr: 1e-3,
  sampler: 'balanced',
  ...over,
});

test('the trainer visits each epoch in the balanced draw of (seed, epoch)', runLogic, async () => {
  const data = imbalancedDataset();
  const config = tiny({ seed: 5 });
  const r = await train(data, config, {});
  for (const e of r.epochs) {
    const rows = e.trainConfusion!.noisy.map((row) => row.reduce((a, b) => a + b, 0));
    assert.deepEqual(rows, classCounts(data.train.labels, balancedOrder(data.train.labels, 5, e.epoch), 7), `epoch ${e.epoch}`);
  }
  // The shuffle visits the labels as they are: two thirds class 0.
  const s = await train(data, tiny({ seed: 5, sampler: 'shuffle' }), {});
  assert.equal(
    s.epochs[0].trainConfusion!.noisy[0].reduce((a, b) => a + b, 0),
    data.train.labels.filter((l) => l === 0).length,
  );
});

test('a balanced run checkpointed within an epoch resumes bit-identical', runLogic, async () => {
  const data = imbalancedDataset();
  const config = tiny();
  const strip = (e: { seconds: number; imagesPerSecond: number }) => ({ ...e, seconds: 0, imagesPerSecond: 0 });
  let straightValues: Map<string, Float32Array> | null = null;
  const checkpoints: TrainCheckpoint[] = [];
  const straight = await train(data, config, {
    logSteps: true,
    checkpointEvery: { steps: 1 },
    onCheckpoint: (c) => {
      checkpoints.push(structuredClone(c));
    },
    keepModel: (v) => {
      straightValues = v;
    },
  });
  const within = checkpoints.filter((c) => c.partial);
  assert.equal(within.length, 4);
  // Drawn with replacement, the carried order repeats samples: a balanced checkpoint may.
  assert.ok(within.some((c) => new Set(c.partial!.order).size < c.partial!.order.length));
  for (const from of [...within, checkpoints.find((c) => !c.partial && c.epoch === 1)!]) {
    let values: Map<string, Float32Array> | null = null;
    const r = await train(data, config, {
      logSteps: true,
      resume: structuredClone(from),
      keepModel: (v) => {
        values = v;
      },
    });
    assert.deepEqual(r.epochs.map(strip), straight.epochs.map(strip), `epochs after resuming at step ${from.step}`);
    assert.deepEqual(r.steps, straight.steps);
    for (const [k, v] of straightValues!) assert.deepEqual(values!.get(k), v, `${k} after resuming at step ${from.step}`);
  }
  // A balanced checkpoint does not resume a shuffled run, nor the other way round.
  await assert.rejects(train(data, tiny({ sampler: 'shuffle' }), { resume: within[0] }), /cannot resume: .*sampler/);
});

test('partial orders: repeats only for the balanced sampler, indices always in range', () => {
  const p = { order: Int32Array.from([0, 0, 1, 2]), position: 1, loss: 0, ce: 0, consistency: 0, seenPreds: new Int32Array(2), seconds: 0 };
  assert.match(partialMismatch(p, 4, 2, 'shuffle') ?? '', /not a permutation/);
  assert.equal(partialMismatch(p, 4, 2, 'balanced'), null);
  assert.match(partialMismatch({ ...p, order: Int32Array.from([0, 9, 1, 2]) }, 4, 2, 'balanced') ?? '', /holds 9, not an index/);
});

test('the setting: defaults, old files, refusals, the CLI flag, the sweep and the page', () => {
  assert.equal(defaultTrainConfig().sampler, 'shuffle');
  const { sampler: _, ...old } = defaultTrainConfig();
  assert.equal(readConfig(old, 'run.config').sampler, 'shuffle', 'a run file from before the setting reads as shuffle');
  assert.equal(readConfig({ ...old, sampler: 'balanced' }, 'run.config').sampler, 'balanced');
  assert.throws(() => readConfig({ ...old, sampler: 'weighted' }, 'run.config'), /run\.config\.sampler: expected one of shuffle, balanced/);
  assert.throws(() => validateTrainConfig({ ...defaultTrainConfig(), sampler: 'balanced', shuffle: false }), /cannot run with shuffle off/);
  // An old checkpoint (no sampler) resumes a shuffled run, not a balanced one.
  const ckpt = { version: 2, config: old, epoch: 1 } as unknown as TrainCheckpoint;
  assert.equal(checkpointMismatch(ckpt, defaultTrainConfig()), null);
  assert.match(checkpointMismatch(ckpt, { ...defaultTrainConfig(), sampler: 'balanced' }) ?? '', /another sampler/);
  assert.equal(configFromFlags({ sampler: 'balanced' }).sampler, 'balanced');
  assert.equal(configFromFlags({}).sampler, 'shuffle');
  assert.throws(() => configFromFlags({ sampler: 'weighted' }), /--sampler must be one of shuffle, balanced, got "weighted"/);
  const args = newRunArgs(
    {
      methods: ['eac'],
      noiseRates: [0],
      seeds: [0],
      config: { arch: 'resnet18', sampler: 'balanced' },
      data: { kind: 'demo', seed: 0, trainCount: 16, testCount: 8, noiseRate: 0, noiseSeed: 0 },
      weights: null,
    },
    { id: 'eac-n0-s0', method: 'eac', noiseRate: 0, seed: 0 } as never,
    '/tmp/sweep',
    { backend: 'wasm', logSteps: false, every: [] },
  );
  assert.equal(args[args.indexOf('--sampler') + 1], 'balanced');
  assert.equal(configRequestOf({ ...DEMO_SETTINGS, sampler: 'balanced' }).sampler, 'balanced');
});
