// What the attention panel shows: for a fixed set of training samples, the two views EAC compares
// (view 1 with its erased box; view 2, the flipped image) and the class attention maps of both,
// view 2's mirrored back, with the per-sample consistency error. The views are drawn once from
// their own seed, so every epoch shows the same inputs and only the model changes. Pure engine
// code: no DOM.
import { tf, type Tensor2D, type Tensor4D } from './tf.ts';
import { Rng } from './rng.ts';
import { forward, type Model } from './resnet.ts';
import { attentionMaps, flipWidth } from './loss.ts';
import { denormaliseToBytes, planViews, type Box, type ImagePipeline } from './augment.ts';
import { gatherImages } from './trainer.ts';
import type { Split } from './dataset.ts';
import { classMap as classMapCells } from './maps.ts';

/** The inputs of one sample, fixed for the whole run. */
export interface AttentionSample {
  /** Index in the training split. */
  index: number;
  name: string;
  /** The training label (possibly noisy) and the clean label. */
  label: number;
  cleanLabel: number;
  /** size×size×3 RGB bytes as the network sees them (after noise, erasing; de-normalised). */
  view1: Uint8Array;
  /** View 2: the flipped image (with its own erasing in independent mode). */
  view2: Uint8Array;
  box1: Box | null;
  /** In view 2's (flipped) coordinates. */
  box2: Box | null;
}

export interface AttentionViews {
  /** Input size (pixels) and attention-map size (feature-map cells). */
  size: number;
  mapHeight: number;
  mapWidth: number;
  numClasses: number;
  /** The dataset's class names (numClasses of them); absent: RAF-DB's seven (and histories stored before it). */
  classes?: string[];
  samples: AttentionSample[];
}

/** The model's maps of one sample at one moment. */
export interface AttentionMaps {
  index: number;
  pred: number;
  /** Softmax of view 1's logits. */
  probs: Float32Array;
  /** mapHeight×mapWidth×K, view 1. */
  hm1: Float32Array;
  /** mapHeight×mapWidth×K, view 2's maps mirrored back into view 1's frame. */
  hm2: Float32Array;
  /** Mean over cells and classes of (hm1 − hm2)²: this sample's share of the EAC consistency term. */
  consistency: number;
}

export interface AttentionFrame {
  /** 0: before training; e: after epoch e. */
  epoch: number;
  samples: AttentionMaps[];
}

/**
 * A fixed, seeded choice of training samples: about half with a flipped (noisy) label, the rest
 * clean, in index order. With no flipped labels, all clean.
 */
export function chooseAttentionSamples(split: Split, count: number, seed: number): number[] {
  const rng = new Rng(seed ^ 0x5eed);
  const flipped: number[] = [];
  const clean: number[] = [];
  for (let i = 0; i < split.labels.length; i++) (split.labels[i] !== split.cleanLabels[i] ? flipped : clean).push(i);
  const take = (from: number[], k: number) => {
    const perm = rng.permutation(from.length);
    return Array.from(perm.subarray(0, Math.min(k, from.length)), (j) => from[j]);
  };
  const nFlipped = Math.min(flipped.length, Math.floor(count / 2));
  const picked = [...take(flipped, nFlipped), ...take(clean, count - nFlipped)];
  return picked.sort((a, b) => a - b);
}

/**
 * The fixed inputs of the attention panel and the current model's maps of them. Eval-mode passes
 * (running BatchNorm statistics), so a sample's maps do not depend on which samples are shown.
 */
export class AttentionProbe {
  private x1: Tensor4D;
  private x2: Tensor4D;
  readonly views: AttentionViews;

  private constructor(x1: Tensor4D, x2: Tensor4D, views: AttentionViews) {
    this.x1 = x1;
    this.x2 = x2;
    this.views = views;
  }

  /** Draws the views of `indices` (seeded, independent of the training stream). */
  static async create(
    model: Model,
    pipeline: ImagePipeline,
    split: Split,
    indices: number[],
    seed: number,
    classes?: string[],
  ): Promise<AttentionProbe> {
    if (indices.length === 0) throw new Error('the attention panel needs at least one sample');
    for (const i of indices)
      if (!(i >= 0 && i < split.labels.length)) throw new Error(`attention sample ${i} is not in the training split`);
    const plan = planViews(new Rng(seed), gatherImages(split, indices), indices.length, split.height, split.width, pipeline.cfg);
    const { x1, x2 } = pipeline.buildViews(plan, true);
    const size = pipeline.cfg.size;
    const [d1, d2] = await Promise.all([x1.data(), x2!.data()]);
    const per = size * size * 3;
    const v1 = denormaliseToBytes(d1 as Float32Array);
    const v2 = denormaliseToBytes(d2 as Float32Array);
    const probe = tf.tidy(() => forward(model, x1.slice([0, 0, 0, 0], [1, size, size, 3]), false).features);
    const [, mapHeight, mapWidth] = probe.shape;
    probe.dispose();
    const samples = indices.map((index, i) => ({
      index,
      name: split.names[index],
      label: split.labels[index],
      cleanLabel: split.cleanLabels[index],
      view1: v1.slice(i * per, (i + 1) * per),
      view2: v2.slice(i * per, (i + 1) * per),
      box1: plan.box1[i],
      box2: plan.box2[i],
    }));
    const numClasses = model.spec.config.numClasses;
    return new AttentionProbe(x1, x2!, {
      size,
      mapHeight,
      mapWidth,
      numClasses,
      ...(classes && classes.length === numClasses ? { classes } : {}),
      samples,
    });
  }

  /** The current model's maps of the fixed views. */
  async measure(model: Model, epoch: number): Promise<AttentionFrame> {
    const fcWeight = model.vars.get('fc.weight') as unknown as Tensor2D;
    const [hm1T, hm2T, probsT, errT] = tf.tidy(() => {
      const a = forward(model, this.x1, false);
      const b = forward(model, this.x2, false);
      const hm1 = attentionMaps(a.features, fcWeight);
      const hm2 = flipWidth(attentionMaps(b.features, fcWeight));
      const err = tf.mean(tf.square(tf.sub(hm1, hm2)), [1, 2, 3]);
      return [hm1, hm2, tf.softmax(a.logits), err];
    });
    const [hm1, hm2, probs, err] = (await Promise.all([hm1T.data(), hm2T.data(), probsT.data(), errT.data()])) as Float32Array[];
    tf.dispose([hm1T, hm2T, probsT, errT]);
    const { mapHeight, mapWidth, numClasses } = this.views;
    const cells = mapHeight * mapWidth * numClasses;
    const samples = this.views.samples.map((s, i) => {
      const p = probs.slice(i * numClasses, (i + 1) * numClasses);
      let pred = 0;
      for (let c = 1; c < numClasses; c++) if (p[c] > p[pred]) pred = c;
      return {
        index: s.index,
        pred,
        probs: p,
        hm1: hm1.slice(i * cells, (i + 1) * cells),
        hm2: hm2.slice(i * cells, (i + 1) * cells),
        consistency: err[i],
      };
    });
    return { epoch, samples };
  }

  dispose(): void {
    this.x1.dispose();
    this.x2.dispose();
  }
}

/** One class's map (h×w) out of an h×w×K array. */
export function classMap(maps: Float32Array, mapHeight: number, mapWidth: number, numClasses: number, cls: number): Float32Array {
  return classMapCells(maps, mapHeight * mapWidth, numClasses, cls);
}
