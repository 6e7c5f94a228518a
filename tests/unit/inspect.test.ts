// The inspect worker's engine side: the classroom walk-through (views, erased boxes from a chosen
// area range, maps mirrored back, the consistency number), the pooled features and their seeded
// UMAP embedding, and the diverging colour map of the difference step.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { setupBackend, type BackendName } from '../../src/cli/node-backends.ts';
import { tf } from '../../src/engine/tf.ts';
import { ImagePipeline, PIPELINE_DEFAULTS, IMAGENET_MEAN } from '../../src/engine/augment.ts';
import { createModel, disposeModel, forward, type Model } from '../../src/engine/resnet.ts';
import { Rng } from '../../src/engine/rng.ts';
import { computeWalkthrough, drawWalkthroughBoxes, mapOfClass, mirrorBox, type WalkthroughOptions } from '../../src/engine/walkthrough.ts';
import { chooseSubset, embed2d, pooledFeatures, thumbnails } from '../../src/engine/embedding.ts';
import { diverging, divergingToRgba } from '../../src/ui/attention/colormap.ts';
import { layoutPoints, nearestPoint } from '../../src/ui/classroom/scatter-layout.ts';
import { nextNoisy, partnerRun } from '../../src/ui/classroom/classroom-store.ts';
import type { RunRecord } from '../../src/storage/run-store.ts';
import type { RunInfo } from '../../src/worker/inspect-protocol.ts';
import { defaultTrainConfig } from '../../src/engine/config.ts';
import { generateDemoDataset } from '../../src/data/demo.ts';
import { withSymmetricNoise } from '../../src/data/noise.ts';

const backend = (process.env.EAC_TEST_BACKEND ?? 'cpu') as BackendName;
before(async () => {
  await setupBackend(backend);
});

const clean = generateDemoDataset({ seed: 4, trainCount: 24, testCount: 0 });
const noisy = withSymmetricNoise(clean, 0.3, 2).dataset;
const NO_ERASING: WalkthroughOptions = { seed: 1, scale: [0, 0], erasing: 'independent', augment: 'none' };

/** Every conv kernel made left-right symmetric (HWIO axis 1), so the network commutes with the mirror at 97 px. */
function symmetrise(model: Model): void {
  for (const v of model.vars.values()) {
    if (v.rank !== 4) continue;
    const sym = tf.tidy(() => tf.div(tf.add(v, tf.reverse(v, 1)), 2));
    v.assign(sym);
    sym.dispose();
  }
}

function meanSquaredDiff(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return s / a.length;
}

test('walk-through without erasing nor augmentation: view 2 is the mirror, its maps mirrored back equal view 1’s', async () => {
  const before = tf.memory().numTensors;
  const model = createModel({ arch: 'resnet18', width: 2, numClasses: 7 }, new Rng(0));
  symmetrise(model);
  const pipe = new ImagePipeline({ ...PIPELINE_DEFAULTS, size: 97 });
  for (const index of [0, 5]) {
    const w = await computeWalkthrough(model, pipe, noisy.train, index, NO_ERASING);
    assert.equal(w.index, index);
    assert.equal(w.label, noisy.train.labels[index]);
    assert.equal(w.cleanLabel, noisy.train.cleanLabels[index]);
    assert.equal(w.box1, null);
    assert.equal(w.box2, null);
    assert.deepEqual(w.view1, w.image, 'no erasing: view 1 is the image');
    for (let y = 0; y < 97; y += 6)
      for (let x = 0; x < 97; x += 4)
        for (let c = 0; c < 3; c++) {
          assert.equal(w.view2[(y * 97 + x) * 3 + c], w.view1[(y * 97 + 96 - x) * 3 + c]);
        }
    const { mapHeight: h, mapWidth: mw, numClasses: k } = w;
    assert.equal(w.hm1.length, h * mw * k);
    assert.equal(k, 7);
    let scale = 0;
    for (let i = 0; i < w.hm1.length; i++) scale = Math.max(scale, Math.abs(w.hm1[i]));
    assert.ok(scale > 0, 'the maps are not all zero');
    for (let i = 0; i < w.hm1.length; i++)
      assert.ok(Math.abs(w.hm1[i] - w.hm2[i]) <= 1e-5 * scale, `cell ${i}: ${w.hm1[i]} vs ${w.hm2[i]}`);
    // hm2 is hm2Raw mirrored along the width.
    for (let y = 0; y < h; y++)
      for (let x = 0; x < mw; x++)
        for (let c = 0; c < k; c++) {
          assert.equal(w.hm2[(y * mw + x) * k + c], w.hm2Raw[(y * mw + (mw - 1 - x)) * k + c]);
        }
    assert.ok(w.consistency < 1e-10 * scale * scale + 1e-12, `consistency ${w.consistency}`);
    assert.ok(Math.abs(w.probs1.reduce((a, b) => a + b, 0) - 1) < 1e-5);
    assert.equal(w.pred1, w.pred2, 'a symmetric network predicts the same class for the mirror');
  }
  pipe.dispose();
  disposeModel(model);
  assert.equal(tf.memory().numTensors, before, 'no tensor leaks');
});

test('walk-through with erasing: the consistency number is the mean squared difference; boxes are blanked', async () => {
  const model = createModel({ arch: 'resnet18', width: 2, numClasses: 7 }, new Rng(3));
  const pipe = new ImagePipeline({ ...PIPELINE_DEFAULTS, size: 48 });
  const opts: WalkthroughOptions = { seed: 7, scale: [0.1, 0.3], erasing: 'independent', augment: 'full' };
  const w = await computeWalkthrough(model, pipe, noisy.train, 3, opts);
  assert.ok(w.box1 && w.box2, 'erasing is always drawn in the walk-through');
  assert.ok(w.consistency > 0);
  const mse = meanSquaredDiff(w.hm1, w.hm2);
  assert.ok(Math.abs(mse - w.consistency) <= 1e-5 * w.consistency, `${mse} vs ${w.consistency}`);
  const mean = IMAGENET_MEAN.map((m) => Math.round(m * 255));
  const b = w.box1!;
  for (let y = b.top; y < b.top + b.h; y++)
    for (let x = b.left; x < b.left + b.w; x++) {
      assert.deepEqual([...w.view1.subarray((y * 48 + x) * 3, (y * 48 + x) * 3 + 3)], mean);
    }
  // The same seed gives the same walk-through; another seed another box.
  const again = await computeWalkthrough(model, pipe, noisy.train, 3, opts);
  assert.deepEqual(again.box1, w.box1);
  assert.deepEqual(again.view1, w.view1);
  assert.equal(again.consistency, w.consistency);
  const other = await computeWalkthrough(model, pipe, noisy.train, 3, { ...opts, seed: 8 });
  assert.notDeepEqual(other.box1, w.box1);
  // Mirrored mode: view 2 is view 1's exact mirror, box included.
  const m = await computeWalkthrough(model, pipe, noisy.train, 3, { ...opts, erasing: 'mirrored' });
  assert.deepEqual(m.box2, mirrorBox(m.box1, 48));
  for (let y = 0; y < 48; y += 5) for (let x = 0; x < 48; x += 3) assert.equal(m.view2[(y * 48 + x) * 3], m.view1[(y * 48 + 47 - x) * 3]);
  const cls = mapOfClass(w.hm1, w.mapHeight * w.mapWidth, w.numClasses, 4);
  assert.equal(cls[1], w.hm1[1 * w.numClasses + 4]);
  await assert.rejects(
    computeWalkthrough(model, pipe, noisy.train, 24, opts),
    /sample 24 is not in the training split \(it has 24 samples\)/,
  );
  pipe.dispose();
  disposeModel(model);
});

test('the erased box area respects the chosen range (up to the rounding of its sides)', () => {
  const size = 112;
  for (const scale of [
    [0.02, 0.25],
    [0.3, 0.4],
    [0.05, 0.05],
  ] as [number, number][]) {
    let drawn = 0;
    for (let seed = 0; seed < 60; seed++) {
      const { box1, box2 } = drawWalkthroughBoxes(size, { seed, scale, erasing: 'independent', augment: 'full' });
      for (const b of [box1, box2]) {
        if (!b) continue; // all 10 tries may miss for tall boxes of large areas
        drawn++;
        const area = (b.h * b.w) / (size * size);
        const slack = (b.h + b.w + 1) / (size * size); // h and w are each rounded by up to 0.5 px
        assert.ok(area >= scale[0] - slack && area <= scale[1] + slack, `area ${area} outside [${scale}] (seed ${seed})`);
        assert.ok(b.top >= 0 && b.left >= 0 && b.top + b.h <= size && b.left + b.w <= size);
      }
    }
    assert.ok(drawn >= 100, `${drawn} boxes drawn for [${scale}]`);
  }
  assert.deepEqual(drawWalkthroughBoxes(size, { seed: 0, scale: [0, 0], erasing: 'independent', augment: 'full' }), {
    box1: null,
    box2: null,
  });
  assert.throws(
    () => drawWalkthroughBoxes(size, { seed: 0, scale: [0.3, 0.2], erasing: 'independent', augment: 'full' }),
    /0 ≤ lo ≤ hi < 1, got \[0.3, 0.2\]/,
  );
});

test('pooled features match one forward pass; progress is reported; an aborted signal stops it', async () => {
  const model = createModel({ arch: 'resnet18', width: 2, numClasses: 7 }, new Rng(1));
  const pipe = new ImagePipeline({ ...PIPELINE_DEFAULTS, size: 32 });
  const idx = [2, 9, 11, 20, 23];
  const seen: number[] = [];
  const { features, dim } = await pooledFeatures(model, pipe, clean.train, idx, { batchSize: 2, onProgress: (d) => seen.push(d) });
  assert.equal(dim, 16); // ResNet-18 width 2: 2·8 channels
  assert.deepEqual(seen, [0, 2, 4, 5]);
  const ref = tf.tidy(() => {
    const per = 100 * 100 * 3;
    const bytes = new Uint8Array(idx.length * per);
    idx.forEach((i, k) => bytes.set(clean.train.images.subarray(i * per, (i + 1) * per), k * per));
    return forward(model, pipe.normalizeBytes(bytes, idx.length, 100, 100), false).pooled;
  });
  const want = ref.dataSync();
  ref.dispose();
  for (let i = 0; i < want.length; i++) assert.ok(Math.abs(features[i] - want[i]) <= 1e-4 * Math.max(1, Math.abs(want[i])), `feature ${i}`);
  const ac = new AbortController();
  ac.abort();
  await assert.rejects(pooledFeatures(model, pipe, clean.train, idx, { signal: ac.signal }), (e: Error) => e.name === 'AbortError');
  pipe.dispose();
  disposeModel(model);
});

test('UMAP embedding: N×2 finite numbers, the same for the same seed, with progress and cancel', async () => {
  const n = 40;
  const dim = 6;
  const rng = new Rng(9);
  const x = new Float32Array(n * dim);
  // Two clusters, so the picture has something to show.
  for (let i = 0; i < n; i++) for (let d = 0; d < dim; d++) x[i * dim + d] = (i < n / 2 ? 0 : 5) + rng.normal();
  const progress: number[] = [];
  const a = await embed2d(x, n, dim, { seed: 3, nEpochs: 60, onProgress: (d, t) => progress.push(d / t) });
  assert.equal(a.coords.length, n * 2);
  assert.equal(a.epochs, 60);
  assert.ok(a.coords.every(Number.isFinite));
  assert.equal(progress[0], 0);
  assert.equal(progress[progress.length - 1], 1);
  const b = await embed2d(x, n, dim, { seed: 3, nEpochs: 60 });
  assert.deepEqual(b.coords, a.coords, 'repeatable with a seed');
  const c = await embed2d(x, n, dim, { seed: 4, nEpochs: 60 });
  assert.notDeepEqual(c.coords, a.coords);
  // The clusters stay apart: the mean distance between them beats the mean distance within.
  const dist = (i: number, j: number) => Math.hypot(a.coords[i * 2] - a.coords[j * 2], a.coords[i * 2 + 1] - a.coords[j * 2 + 1]);
  let within = 0,
    across = 0,
    nw = 0,
    na = 0;
  for (let i = 0; i < n; i++)
    for (let j = i + 1; j < n; j++) {
      if (i < n / 2 === j < n / 2) {
        within += dist(i, j);
        nw++;
      } else {
        across += dist(i, j);
        na++;
      }
    }
  assert.ok(across / na > within / nw, `clusters separated (${(across / na).toFixed(2)} vs ${(within / nw).toFixed(2)})`);
  const small = await embed2d(x.subarray(0, 5 * dim), 5, dim, { seed: 1, nEpochs: 20 });
  assert.equal(small.coords.length, 10, 'fewer points than neighbours: the neighbourhood shrinks');
  const ac = new AbortController();
  await assert.rejects(
    embed2d(x, n, dim, { seed: 3, nEpochs: 200, signal: ac.signal, onProgress: (d) => d >= 20 && ac.abort() }),
    (e: Error) => e.name === 'AbortError',
  );
  const bad = x.slice();
  bad[13] = NaN;
  await assert.rejects(embed2d(bad, n, dim), /feature 1 of sample 2 is NaN/);
  await assert.rejects(embed2d(x.subarray(0, 2 * dim), 2, dim), /at least 3 samples, got 2/);
  await assert.rejects(embed2d(x, n, 7), /240 numbers are not 40 points of 7 features/);
});

test('subsets and thumbnails', () => {
  assert.deepEqual([...chooseSubset(5, 10, 0)], [0, 1, 2, 3, 4]);
  const s = chooseSubset(100, 10, 1);
  assert.equal(new Set(s).size, 10);
  assert.deepEqual(
    [...s],
    [...s].sort((a, b) => a - b),
  );
  assert.deepEqual(s, chooseSubset(100, 10, 1));
  assert.notDeepEqual(s, chooseSubset(100, 10, 2));
  assert.throws(() => chooseSubset(100, 0, 1), /positive integer, got 0/);
  const t = thumbnails(clean.train, [0, 3], 10);
  assert.equal(t.length, 2 * 10 * 10 * 3);
  // A 100 px image in 10 px: each thumbnail pixel is the mean of a 10×10 block.
  let sum = 0;
  for (let y = 0; y < 10; y++) for (let x = 0; x < 10; x++) sum += clean.train.images[(3 * 10000 + y * 100 + x) * 3 + 1];
  assert.equal(t[300 + 1], Math.round(sum / 100));
});

test('diverging colour map: white at zero, red for positive, blue for negative, symmetric range', () => {
  assert.deepEqual(diverging(0), [247, 247, 247]);
  const [r1, , b1] = diverging(1);
  const [r2, , b2] = diverging(-1);
  assert.ok(r1 > b1 + 50, 'positive is red');
  assert.ok(b2 > r2 + 50, 'negative is blue');
  assert.deepEqual(diverging(5), diverging(1), 'clamped');
  assert.deepEqual(diverging(NaN), diverging(0));
  const rgba = divergingToRgba(new Float32Array([-2, 0, 1]), 2, 200);
  assert.equal(rgba.length, 12);
  assert.deepEqual([...rgba.subarray(0, 4)], [...diverging(-1), 200]);
  assert.deepEqual([...rgba.subarray(4, 8)], [...diverging(0), 200]);
  assert.deepEqual([...rgba.subarray(8, 12)], [...diverging(0.5), 200]);
  assert.deepEqual([...divergingToRgba(new Float32Array([0, 0]), 0).subarray(0, 3)], diverging(0), 'a flat map is all white');
});

test('scatter layout: fits the square with one scale (a strip stretched at most 2.5×); the nearest point under the pointer', () => {
  const square = layoutPoints(new Float32Array([0, 0, 2, 2, 1, 1]), 100, 10);
  assert.deepEqual([...square], [10, 90, 90, 10, 50, 50], 'y grows upwards in the plot');
  const strip = layoutPoints(new Float32Array([0, 0, 10, 1]), 100, 10);
  assert.equal(strip[0], 10);
  assert.equal(strip[2], 90);
  assert.ok(Math.abs(Math.abs(strip[1] - strip[3]) - 20) < 1e-4, 'height 1 of width 10: 8 px at one scale, stretched 2.5× to 20');
  const one = layoutPoints(new Float32Array([3, 3]), 100, 10);
  assert.ok(one.every(Number.isFinite));
  assert.equal(nearestPoint(square, 52, 49, 5), 2);
  assert.equal(nearestPoint(square, 30, 30, 5), null);
});

test('classroom choices: the next noisy sample, and the partner run of the other method', () => {
  const info = { labels: Int32Array.from([0, 1, 2, 3]), cleanLabels: Int32Array.from([0, 2, 2, 1]) } as unknown as RunInfo;
  assert.equal(nextNoisy(info, 0), 1);
  assert.equal(nextNoisy(info, 1), 3);
  assert.equal(nextNoisy(info, 3), 1, 'wraps around');
  assert.equal(nextNoisy(info, 1, -1), 3, 'backwards');
  assert.equal(nextNoisy({ labels: Int32Array.from([1, 2]), cleanLabels: Int32Array.from([1, 2]) } as unknown as RunInfo, 0), null);
  const run = (key: string, method: 'eac' | 'baseline', checkpointEpoch: number | null) =>
    ({ key, checkpointEpoch, request: { config: { ...defaultTrainConfig('resnet18'), method } } }) as unknown as RunRecord;
  const runs = [run('e2', 'eac', 3), run('e1', 'eac', 2), run('b0', 'baseline', null), run('b1', 'baseline', 1)];
  assert.equal(partnerRun(runs, 'e2'), 'b1', 'the other method, with a checkpoint');
  assert.equal(partnerRun(runs, 'b1'), 'e2');
  assert.equal(partnerRun([run('e2', 'eac', 3), run('e1', 'eac', 1)], 'e2'), 'e1', 'else another run');
  assert.equal(partnerRun([run('e2', 'eac', 3)], 'e2'), null);
});
