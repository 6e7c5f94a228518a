// The built-in demo dataset: procedurally drawn cartoon faces showing the seven RAF-DB basic
// expressions (labels 0..6: Surprise, Fear, Disgust, Happiness, Sadness, Anger, Neutral), so the
// lab can be tried without downloading RAF-DB. `generateDemoDataset` returns the same `Dataset`
// shape as RAF-DB: 100×100 RGB images, names `train_00001.jpg` / `test_0001.jpg`, class counts in
// RAF-DB's proportions (Happiness most, Fear least), clean labels (noise is added elsewhere).
//
// Everything here is pure TypeScript rasterisation into a Uint8Array (no canvas, no DOM, no Node
// API), so the same seed gives the same bytes in Node and in a browser worker. To keep that true
// across JavaScript engines the pixel math uses only +, −, ×, ÷ and Math.sqrt (all correctly
// rounded in IEEE 754), integer hashing via Math.imul, Math.floor/ceil/min/max/abs, truncation
// and comparisons: no Math.sin/cos/exp/pow/atan2 (whose last bits may differ between engines).
// Rotations take their cosine and sine from the rational parametrisation
// t ↦ ((1−t²)/(1+t²), 2t/(1+t²)). Edges are anti-aliased by turning an approximate signed
// distance (in pixels) into a coverage ramp one pixel wide.
//
// Geometry: a face is drawn in its own "local" frame (origin at the face centre, v pointing down,
// face half-height 1), which is scaled, rotated and translated into the image. Expressions are
// parameters of that local drawing (mouth curve, eye lids, brow shape, wrinkles), each moved
// from the person's own resting value by the class's offset times a per-sample intensity.
// Nuisances vary per sample: pose (in-plane rotation, a yaw that shifts and foreshortens the
// features), face size and position, head shape, skin tone, hair style and colour, background
// (gradient, stripes, checks, blobs, clouds), lighting gradient, colour cast and sensor noise,
// glasses, hats, earrings, beards, freckles, and occluders (a hand, a bar, a face mask). Some are
// one-sided on purpose (a mole, side-swept hair, one raised brow, the yaw shading, an earring,
// Disgust's lip raise) so a horizontal flip changes the image.
//
// The generator lives in demo/: face-random (seeded streams), class-balance, face-params, raster
// and draw-face; this file turns them into the two splits.

import type { Dataset, Split } from '../engine/dataset.ts';
import { FaceRng, hash2 } from './demo/face-random.ts';
import { RAFDB_TEST_COUNTS, RAFDB_TRAIN_COUNTS, splitLabels } from './demo/class-balance.ts';
import { type FaceParams, sampleFaceParams } from './demo/face-params.ts';
import { renderDemoFace } from './demo/draw-face.ts';
// The pieces, for scripts and tests that draw single faces.
export { RAFDB_TEST_COUNTS, RAFDB_TRAIN_COUNTS, proportionalCounts } from './demo/class-balance.ts';
export { renderDemoFace } from './demo/draw-face.ts';

interface DemoOptions {
  /** Seed of everything (labels and images). Default 0. */
  seed?: number;
  /** Default 3000. */
  trainCount?: number;
  /** Default 1000. */
  testCount?: number;
  /** Image side in pixels. Default 100 (RAF-DB's aligned size). */
  size?: number;
}

const SPLIT_TRAIN = 1;
const SPLIT_TEST = 2;

/** The parameters of sample `index` of a split: a pure function of (seed, split, index, label). */
export function demoFaceParams(seed: number, split: 'train' | 'test', index: number, label: number): FaceParams {
  const s = hash2(hash2(seed >>> 0, split === 'train' ? SPLIT_TRAIN : SPLIT_TEST), index);
  return sampleFaceParams(new FaceRng(s), label);
}

function makeSplit(seed: number, split: 'train' | 'test', count: number, size: number, progress: (n: number) => void): Split {
  const ratio = split === 'train' ? RAFDB_TRAIN_COUNTS : RAFDB_TEST_COUNTS;
  const labels = splitLabels(count, ratio, hash2(seed >>> 0, split === 'train' ? 0x7a11 : 0x7e57));
  const images = new Uint8Array(count * size * size * 3);
  const names: string[] = [];
  const digits = split === 'train' ? 5 : 4;
  for (let i = 0; i < count; i++) {
    names.push(`${split}_${String(i + 1).padStart(digits, '0')}.jpg`);
    renderDemoFace(demoFaceParams(seed, split, i, labels[i]), size, images, i * size * size * 3);
    progress(1);
  }
  return { names, images, height: size, width: size, labels, cleanLabels: labels.slice() };
}

/** Generates the demo dataset: deterministic from the seed, identical in Node and browsers. */
export function generateDemoDataset(opts: DemoOptions = {}, onProgress?: (done: number, total: number) => void): Dataset {
  const seed = Math.floor(opts.seed ?? 0);
  const trainCount = opts.trainCount ?? 3000;
  const testCount = opts.testCount ?? 1000;
  const size = opts.size ?? 100;
  if (!(size >= 8)) throw new Error(`demo image size must be at least 8 (got ${size})`);
  const total = trainCount + testCount;
  let done = 0;
  const step = Math.max(1, Math.floor(total / 100));
  const progress = (n: number): void => {
    done += n;
    if (onProgress && (done % step === 0 || done === total)) onProgress(done, total);
  };
  const train = makeSplit(seed, 'train', trainCount, size, progress);
  const test = makeSplit(seed, 'test', testCount, size, progress);
  return { name: `demo (seed ${seed})`, train, test };
}
