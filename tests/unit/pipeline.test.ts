// The image pipeline against Pillow/torchvision (fixtures from tools/golden/generate.py) and the
// semantics of noise, erasing and the two second-view modes.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { setupBackend, type BackendName } from '../../src/cli/node-backends.ts';
import { tf, type Tensor4D } from '../../src/engine/tf.ts';
import { readSafetensors, toFloat32 } from '../../src/weights/safetensors.ts';
import { nchwToNhwc } from '../../src/weights/torch-layout.ts';
import { PillowResizer } from '../../src/engine/resize.ts';
import { ImagePipeline, PIPELINE_DEFAULTS, clipToUint8, drawErasing, erase, planViews, roundHalfEven } from '../../src/engine/augment.ts';
import { flipWidth } from '../../src/engine/loss.ts';
import { Rng } from '../../src/engine/rng.ts';

const backend = (process.env.EAC_TEST_BACKEND ?? 'cpu') as BackendName;
const fx = readSafetensors(new Uint8Array(readFileSync(new URL('../fixtures/golden/pipeline.safetensors', import.meta.url)))).tensors;
const get = (name: string) => {
  const t = fx.get(name);
  if (!t) throw new Error(`no ${name}`);
  return { data: toFloat32(t), shape: t.shape };
};

before(async () => {
  await setupBackend(backend);
});

for (const size of [64, 112, 224]) {
  test(`Pillow bilinear resize 100→${size} is bit-exact (uint8) on ${backend}`, async () => {
    const img = get('img');
    const resizer = new PillowResizer();
    const out = resizer.resize(tf.tensor4d(img.data, img.shape as [number, number, number, number]), size, size);
    const actual = await out.data();
    const expected = get(`resized${size}`).data;
    let mismatches = 0;
    for (let i = 0; i < expected.length; i++) if (actual[i] !== expected[i]) mismatches++;
    assert.equal(mismatches, 0, `${mismatches} of ${expected.length} pixels differ from Pillow`);
    out.dispose();
    resizer.dispose();
  });

  test(`ToTensor + Normalize after resize to ${size} matches torchvision on ${backend}`, async () => {
    const img = get('img');
    const pipe = new ImagePipeline({ ...PIPELINE_DEFAULTS, size });
    const x = pipe.normalizeBytes(Uint8Array.from(img.data), img.shape[0], 100, 100);
    const expected = nchwToNhwc(get(`normalized${size}`).data, get(`normalized${size}`).shape).data;
    const actual = await x.data();
    let maxErr = 0;
    for (let i = 0; i < expected.length; i++) maxErr = Math.max(maxErr, Math.abs(actual[i] - expected[i]));
    assert.ok(maxErr <= 1e-6, `max abs error ${maxErr}`);
    x.dispose();
    pipe.dispose();
  });
}

test('Gaussian-noise clipping is numpy clip + astype(uint8)', () => {
  const inp = get('noise_in').data;
  const expected = get('noise_out').data;
  for (let i = 0; i < inp.length; i++) assert.equal(clipToUint8(inp[i]), expected[i], `value ${inp[i]}`);
});

test('flipWidth equals the official grid_sample flip of the attention maps', async () => {
  const hm = nchwToNhwc(get('flip.hm').data, get('flip.hm').shape);
  const expected = nchwToNhwc(get('flip.out').data, get('flip.out').shape).data;
  const out = flipWidth(tf.tensor4d(hm.data, hm.shape as [number, number, number, number]));
  const actual = await out.data();
  for (let i = 0; i < expected.length; i++) assert.ok(Math.abs(actual[i] - expected[i]) < 1e-6);
  out.dispose();
});

test("Python's round(): half to even", () => {
  assert.deepEqual([0.5, 1.5, 2.5, 3.5, -0.5, -1.5, 2.4, 2.6].map(roundHalfEven), [0, 2, 2, 4, -0, -2, 2, 3]);
});

test('random erasing draws follow torchvision (probability, area, aspect, placement)', () => {
  const rng = new Rng(3);
  const cfg = PIPELINE_DEFAULTS;
  let erased = 0;
  const n = 4000;
  for (let i = 0; i < n; i++) {
    const b = drawErasing(rng, 224, 224, cfg);
    if (!b) continue;
    erased++;
    assert.ok(b.h < 224 && b.w < 224 && b.h >= 1 && b.w >= 1);
    assert.ok(b.top >= 0 && b.left >= 0 && b.top + b.h <= 224 && b.left + b.w <= 224);
    const area = (b.h * b.w) / (224 * 224);
    assert.ok(area > 0.015 && area < 0.26, `area fraction ${area}`);
    const aspect = b.h / b.w;
    assert.ok(aspect > 0.25 && aspect < 3.9, `aspect ${aspect}`);
  }
  assert.ok(Math.abs(erased / n - 0.5) < 0.03, `erased ${erased} of ${n}`);
});

test('erase() zeroes exactly the box of each sample', async () => {
  const x = tf.ones([2, 8, 8, 3]) as Tensor4D;
  const out = erase(x, [{ top: 1, left: 2, h: 3, w: 4 }, null], 8);
  const v = await out.data();
  for (let n = 0; n < 2; n++)
    for (let i = 0; i < 8; i++)
      for (let j = 0; j < 8; j++) {
        const inBox = n === 0 && i >= 1 && i < 4 && j >= 2 && j < 6;
        for (let c = 0; c < 3; c++) assert.equal(v[((n * 8 + i) * 8 + j) * 3 + c], inBox ? 0 : 1);
      }
  tf.dispose([x, out]);
});

function testImages(n: number): Uint8Array {
  const r = new Rng(11);
  return Uint8Array.from({ length: n * 100 * 100 * 3 }, () => r.int(0, 255));
}

test('view planning is repeatable from the seed, and draws noise and erasing', () => {
  const px = testImages(16);
  const cfg = { ...PIPELINE_DEFAULTS, size: 64 };
  const a = planViews(new Rng(5), px, 16, 100, 100, cfg);
  const b = planViews(new Rng(5), px, 16, 100, 100, cfg);
  const c = planViews(new Rng(6), px, 16, 100, 100, cfg);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a.box1, c.box1);
  assert.ok(a.noisy.some(Boolean) && a.noisy.some((x) => !x));
  assert.ok(a.box1.some((x) => x !== null) && a.box2.some((x) => x !== null));
  // Noisy samples' pixels changed by small amounts; clean samples untouched.
  const per = 100 * 100 * 3;
  a.noisy.forEach((noisy, i) => {
    let diff = 0;
    for (let k = i * per; k < (i + 1) * per; k++) diff += Math.abs(a.pixels1[k] - px[k]);
    if (noisy) assert.ok(diff / per > 2 && diff / per < 6, `mean |noise| ${diff / per}`);
    else assert.equal(diff, 0);
  });
});

test('mirrored and "none" modes: view 2 is the exact mirror of view 1; independent mode is not', async () => {
  const px = testImages(4);
  for (const [augment, erasing, mirror] of [
    ['full', 'mirrored', true],
    ['none', 'independent', true],
    ['full', 'independent', false],
  ] as const) {
    const cfg = { ...PIPELINE_DEFAULTS, size: 64, augment, erasing };
    const pipe = new ImagePipeline(cfg);
    const plan = planViews(new Rng(1), px, 4, 100, 100, cfg);
    if (augment === 'none') assert.ok(plan.noisy.every((x) => !x) && plan.box1.every((x) => x === null));
    const { x1, x2 } = pipe.buildViews(plan);
    const back = tf.reverse(x2!, 2);
    const maxDiff = (await tf.max(tf.abs(tf.sub(back, x1))).data())[0];
    if (mirror) assert.equal(maxDiff, 0, `${augment}/${erasing}`);
    else assert.ok(maxDiff > 0.1, `${augment}/${erasing}: views should differ`);
    tf.dispose([x1, x2!, back]);
    pipe.dispose();
  }
});
