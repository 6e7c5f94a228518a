// The attention panel's data: the seeded choice of samples, the fixed views (what the network
// sees, with the erased box where it was drawn, and view 2 as the mirror), and the maps.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { setupBackend, type BackendName } from '../../src/cli/node-backends.ts';
import { tf } from '../../src/engine/tf.ts';
import { AttentionProbe, chooseAttentionSamples, classMap } from '../../src/engine/attention.ts';
import { ImagePipeline, PIPELINE_DEFAULTS, IMAGENET_MEAN } from '../../src/engine/augment.ts';
import { createModel, disposeModel } from '../../src/engine/resnet.ts';
import { Rng } from '../../src/engine/rng.ts';
import { generateDemoDataset } from '../../src/data/demo.ts';
import { withSymmetricNoise } from '../../src/data/noise.ts';

const backend = (process.env.EAC_TEST_BACKEND ?? 'cpu') as BackendName;
before(async () => {
  await setupBackend(backend);
});

const clean = generateDemoDataset({ seed: 2, trainCount: 40, testCount: 4 });
const noisy = withSymmetricNoise(clean, 0.3, 1).dataset;

test('the samples: seeded, half of them with flipped labels, in index order', () => {
  const a = chooseAttentionSamples(noisy.train, 8, 5);
  assert.deepEqual(a, chooseAttentionSamples(noisy.train, 8, 5));
  assert.notDeepEqual(a, chooseAttentionSamples(noisy.train, 8, 6));
  assert.equal(new Set(a).size, 8);
  assert.deepEqual(
    a,
    [...a].sort((x, y) => x - y),
  );
  const flipped = a.filter((i) => noisy.train.labels[i] !== noisy.train.cleanLabels[i]);
  assert.equal(flipped.length, 4);
  assert.equal(chooseAttentionSamples(clean.train, 6, 5).length, 6);
});

test('views without augmentation are the image and its mirror; maps are mirrored back', async () => {
  const model = createModel({ arch: 'resnet18', width: 2, numClasses: 7 }, new Rng(0));
  const pipe = new ImagePipeline({ ...PIPELINE_DEFAULTS, size: 100, augment: 'none' });
  const idx = [3, 7];
  const probe = await AttentionProbe.create(model, pipe, clean.train, idx, 1);
  const { views } = probe;
  assert.equal(views.mapHeight, 4); // 100 px through ResNet-18's stride 32 (ceil at each stage)
  const per = 100 * 100 * 3;
  views.samples.forEach((s, i) => {
    const original = clean.train.images.subarray(idx[i] * per, (idx[i] + 1) * per);
    // De-normalising may be off by one level (float32 rounding), never more.
    let worst = 0;
    for (let p = 0; p < per; p++) worst = Math.max(worst, Math.abs(s.view1[p] - original[p]));
    assert.ok(worst <= 1, `view 1 is the image (max diff ${worst})`);
    for (let y = 0; y < 100; y += 7)
      for (let x = 0; x < 100; x += 5)
        for (let c = 0; c < 3; c++) {
          assert.equal(s.view2[(y * 100 + x) * 3 + c], s.view1[(y * 100 + 99 - x) * 3 + c]);
        }
  });
  probe.dispose();
  pipe.dispose();
  // At 97 px every strided layer samples a grid symmetric about the centre (at 100 px not).
  // With generic kernels a network does not commute with the mirror; make every conv kernel
  // left-right symmetric (HWIO: axis 1) so it does.
  for (const v of model.vars.values()) if (v.rank === 4) v.assign(tf.tidy(() => tf.div(tf.add(v, tf.reverse(v, 1)), 2)));
  const pipe97 = new ImagePipeline({ ...PIPELINE_DEFAULTS, size: 97, augment: 'none' });
  const probe97 = await AttentionProbe.create(model, pipe97, clean.train, idx, 1);
  const frame = await probe97.measure(model, 0);
  const { mapHeight: h, mapWidth: w, numClasses: k } = probe97.views;
  for (const s of frame.samples) {
    assert.equal(s.hm1.length, h * w * k);
    assert.ok(Math.abs(s.probs.reduce((a, b) => a + b, 0) - 1) < 1e-5);
    let sq = 0;
    for (let i = 0; i < s.hm1.length; i++) sq += (s.hm1[i] - s.hm2[i]) ** 2;
    assert.ok(Math.abs(sq / s.hm1.length - s.consistency) <= 1e-5 * Math.max(1, s.consistency));
    // View 2 is the exact mirror, so mirrored back its maps are view 1's (up to float error).
    let scale = 0;
    for (let i = 0; i < s.hm1.length; i++) scale = Math.max(scale, Math.abs(s.hm1[i]));
    assert.ok(scale > 0 && s.consistency < 1e-10 * scale * scale + 1e-12, `mirror views agree (${s.consistency}, scale ${scale})`);
    const m = classMap(s.hm1, h, w, k, 2);
    assert.equal(m[5], s.hm1[5 * k + 2]);
  }
  probe97.dispose();
  pipe97.dispose();
  disposeModel(model);
});

test('with erasing, view 1 is blanked (to the mean colour) inside its box, and nothing leaks', async () => {
  const before = tf.memory().numTensors;
  const model = createModel({ arch: 'resnet18', width: 2, numClasses: 7 }, new Rng(0));
  const pipe = new ImagePipeline({ ...PIPELINE_DEFAULTS, size: 48 });
  const probe = await AttentionProbe.create(model, pipe, noisy.train, chooseAttentionSamples(noisy.train, 6, 0), 3);
  const boxes = probe.views.samples.filter((s) => s.box1);
  assert.ok(boxes.length > 0, 'some erasing drawn (p = 0.5 each)');
  const mean = IMAGENET_MEAN.map((m) => Math.round(m * 255));
  for (const s of boxes) {
    const b = s.box1!;
    for (let y = b.top; y < b.top + b.h; y++)
      for (let x = b.left; x < b.left + b.w; x++) {
        assert.deepEqual([...s.view1.subarray((y * 48 + x) * 3, (y * 48 + x) * 3 + 3)], mean);
      }
  }
  const f1 = await probe.measure(model, 1);
  assert.equal(f1.samples.length, 6);
  probe.dispose();
  pipe.dispose();
  disposeModel(model);
  assert.equal(tf.memory().numTensors, before);
});
