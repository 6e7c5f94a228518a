// The classroom's "attention erasing explained" walk-through, for one training sample and one
// model: the image, view 1 with a random erasing drawn from a chosen erased-area range, view 2
// (the flipped image), the class attention maps of both, view 2's maps mirrored back, and the
// consistency term EAC adds to the loss. The same steps as one training step of the recipe, but
// for a single sample, in eval mode (running BatchNorm statistics: a batch of one has no batch
// statistics worth the name), without the Gaussian pixel noise, and with the erasing always
// drawn (probability 1) so the class sees it. Pure engine code: no DOM.
import { tf, type Tensor2D, type Tensor4D } from './tf.ts';
export { classMap as mapOfClass } from './maps.ts';
import { Rng } from './rng.ts';
import { forward, type Model } from './resnet.ts';
import { attentionMaps, flipWidth } from './loss.ts';
import {
  denormaliseToBytes,
  drawErasing,
  erase,
  PIPELINE_DEFAULTS,
  type AugmentMode,
  type Box,
  type ErasingMode,
  type ImagePipeline,
} from './augment.ts';
import { gatherImages } from './trainer.ts';
import type { Split } from './dataset.ts';

export interface WalkthroughOptions {
  /** Seed of the erasing draw: the same seed gives the same boxes (the "re-roll" button changes it). */
  seed: number;
  /** Erased area as a fraction of the image, [lo, hi] (the recipe: [0.02, 0.25]); hi = 0: no erasing. */
  scale: [number, number];
  /** Aspect-ratio range of the box (the recipe: [0.3, 3.3]). */
  ratio?: [number, number];
  /** "independent": view 2 is the flipped image with its own erasing; "mirrored": the mirror of view 1. */
  erasing: ErasingMode;
  /** "none": no erasing at all; view 2 is the exact mirror of view 1. */
  augment: AugmentMode;
}

/** Everything the seven steps show, as plain structured-cloneable data. */
export interface Walkthrough {
  index: number;
  name: string;
  label: number;
  cleanLabel: number;
  /** Input size (square) and attention-map size (feature-map cells). */
  size: number;
  mapHeight: number;
  mapWidth: number;
  numClasses: number;
  /** size×size×3 RGB: the image as the network sees it without augmentation (step 1). */
  image: Uint8Array;
  /** View 1 with its erased box (step 2). */
  view1: Uint8Array;
  box1: Box | null;
  /** View 2: the flipped image (step 3), with its own box in independent mode (flipped coordinates). */
  view2: Uint8Array;
  box2: Box | null;
  /** Softmax of view 1's and view 2's logits, and their argmax. */
  probs1: Float32Array;
  probs2: Float32Array;
  pred1: number;
  pred2: number;
  /** mapHeight×mapWidth×K: view 1's maps (step 4). */
  hm1: Float32Array;
  /** mapHeight×mapWidth×K: view 2's maps as computed, in view 2's (flipped) frame. */
  hm2Raw: Float32Array;
  /** mapHeight×mapWidth×K: view 2's maps mirrored back into view 1's frame (step 5). */
  hm2: Float32Array;
  /** Mean over all cells and classes of (hm1 − hm2)²: this sample's consistency loss (step 7). */
  consistency: number;
}

/** Mirrors a box of a size-wide image left-right. */
export function mirrorBox(b: Box | null, size: number): Box | null {
  return b ? { ...b, left: size - b.left - b.w } : null;
}

/**
 * The erased boxes of the walk-through, from its seed alone: view 1's first, then (independent
 * mode) view 2's. torchvision's draw (up to 10 tries, aspect ratio log-uniform) with the chosen
 * area range and probability 1.
 */
export function drawWalkthroughBoxes(size: number, opts: WalkthroughOptions): { box1: Box | null; box2: Box | null } {
  const [lo, hi] = opts.scale;
  if (!(lo >= 0 && hi >= lo && hi < 1)) throw new Error(`the erased area range must satisfy 0 ≤ lo ≤ hi < 1, got [${lo}, ${hi}]`);
  if (opts.augment === 'none' || hi <= 0) return { box1: null, box2: null };
  const cfg = {
    ...PIPELINE_DEFAULTS,
    size,
    erasingProb: 1,
    erasingScale: [lo, hi] as [number, number],
    erasingRatio: opts.ratio ?? PIPELINE_DEFAULTS.erasingRatio,
  };
  const rng = new Rng(opts.seed);
  const box1 = drawErasing(rng, size, size, cfg);
  if (opts.erasing === 'mirrored') return { box1, box2: mirrorBox(box1, size) };
  return { box1, box2: drawErasing(rng, size, size, cfg) };
}

/**
 * Both views through the model in eval mode: their softmax, their class attention maps (the
 * loss's `attentionMaps`), view 2's mirrored back (`flipWidth`) and the consistency term EAC adds
 * to its loss, mean over cells and classes of (hm1 − hm2)². Shared by the walk-through and the
 * camera (src/engine/face-frame.ts). Call inside tf.tidy.
 */
export function twoViewMaps(model: Model, x1: Tensor4D, x2: Tensor4D, fcWeight: Tensor2D) {
  const a = forward(model, x1, false);
  const b = forward(model, x2, false);
  const hm1 = attentionMaps(a.features, fcWeight);
  const hm2Raw = attentionMaps(b.features, fcWeight);
  const hm2 = flipWidth(hm2Raw);
  const consistency = tf.mean(tf.square(tf.sub(hm1, hm2)));
  return { probs1: tf.softmax(a.logits), probs2: tf.softmax(b.logits), hm1, hm2Raw, hm2, consistency };
}

export function argmax(p: Float32Array): number {
  let best = 0;
  for (let i = 1; i < p.length; i++) if (p[i] > p[best]) best = i;
  return best;
}

/**
 * Runs the walk-through of training sample `index` through `model`. `pipeline` supplies the
 * resize and normalisation at the model's input size (its own erasing settings are not used).
 */
export async function computeWalkthrough(
  model: Model,
  pipeline: ImagePipeline,
  split: Split,
  index: number,
  opts: WalkthroughOptions,
): Promise<Walkthrough> {
  if (!(Number.isInteger(index) && index >= 0 && index < split.labels.length)) {
    throw new Error(`sample ${index} is not in the training split (it has ${split.labels.length} samples)`);
  }
  const size = pipeline.cfg.size;
  const { box1, box2 } = drawWalkthroughBoxes(size, opts);
  const pixels = gatherImages(split, [index]);
  const mirrored = opts.augment === 'none' || opts.erasing === 'mirrored';
  const fcWeight = model.vars.get('fc.weight') as unknown as Tensor2D;
  const out = tf.tidy(() => {
    const x0 = pipeline.normalizeBytes(pixels, 1, split.height, split.width);
    const x1 = erase(x0, [box1], size);
    // In mirrored mode view 2 is the mirror of the finished view 1; else the flipped image with its own box.
    const x2 = mirrored ? tf.reverse(x1, 2) : erase(pipeline.normalizeBytes(pixels, 1, split.height, split.width, true), [box2], size);
    const v = twoViewMaps(model, x1, x2 as Tensor4D, fcWeight);
    return [x0, x1, x2, v.probs1, v.probs2, v.hm1, v.hm2Raw, v.hm2, v.consistency];
  });
  try {
    const [image, view1, view2, probs1, probs2, hm1, hm2Raw, hm2, consistency] = (await Promise.all(
      out.map((t) => t.data()),
    )) as Float32Array[];
    const [, mapHeight, mapWidth, numClasses] = out[5].shape;
    return {
      index,
      name: split.names[index],
      label: split.labels[index],
      cleanLabel: split.cleanLabels[index],
      size,
      mapHeight,
      mapWidth,
      numClasses,
      image: denormaliseToBytes(image),
      view1: denormaliseToBytes(view1),
      box1,
      view2: denormaliseToBytes(view2),
      box2,
      probs1,
      probs2,
      pred1: argmax(probs1),
      pred2: argmax(probs2),
      hm1,
      hm2Raw,
      hm2,
      consistency: consistency[0],
    };
  } finally {
    tf.dispose(out);
  }
}
