// One camera frame (or a still image) of the classroom's camera view through a run's model: the
// face crop, with a box the person erased by hand, is view 1; its mirror image (box mirrored with
// it) is view 2. The prediction, both class attention maps (view 2's mirrored back) and their
// consistency come from the same code as the walk-through and the loss (`twoViewMaps`). Eval
// mode, no random augmentation: what you see is what the model sees. Pure engine code: no DOM.
import { tf, type Tensor2D, type Tensor4D } from './tf.ts';
import { erase, type Box, type ImagePipeline } from './augment.ts';
import type { Model } from './resnet.ts';
import { argmax, twoViewMaps } from './walkthrough.ts';

export interface FaceFrame {
  /** Input size (square) and attention-map size. */
  size: number;
  mapHeight: number;
  mapWidth: number;
  numClasses: number;
  /** The erased box, clipped to the image (null: none). */
  box: Box | null;
  /** Softmax of the face's logits and its argmax. */
  probs: Float32Array;
  pred: number;
  /** Softmax of the mirror image's logits. */
  probsMirror: Float32Array;
  /** mapHeight×mapWidth×K: the face's maps. */
  hm1: Float32Array;
  /** mapHeight×mapWidth×K: the mirror image's maps, mirrored back into the face's frame. */
  hm2: Float32Array;
  /** Mean over cells and classes of (hm1 − hm2)²: the term EAC's loss penalises, for this face. */
  consistency: number;
}

/** A box clipped to a size×size image, with whole-pixel sides; null when nothing is left of it. */
export function clipBox(b: Box | null, size: number): Box | null {
  if (!b) return null;
  const left = Math.max(0, Math.round(b.left));
  const top = Math.max(0, Math.round(b.top));
  const right = Math.min(size, Math.round(b.left + b.w));
  const bottom = Math.min(size, Math.round(b.top + b.h));
  return right > left && bottom > top ? { top, left, h: bottom - top, w: right - left } : null;
}

/**
 * Runs a face through `model`. `rgb` is height×width×3 bytes (the crop); `pipeline` resizes it
 * to the model's input size and normalises it as the evaluation transform does. `box` is in
 * input-size pixels.
 */
export async function computeFaceFrame(
  model: Model,
  pipeline: ImagePipeline,
  rgb: Uint8Array,
  height: number,
  width: number,
  box: Box | null,
): Promise<FaceFrame> {
  if (rgb.length !== height * width * 3) throw new Error(`the face crop has ${rgb.length} bytes, not ${height}×${width}×3`);
  const size = pipeline.cfg.size;
  const erased = clipBox(box, size);
  const fcWeight = model.vars.get('fc.weight') as unknown as Tensor2D;
  const out = tf.tidy(() => {
    const x1 = erase(pipeline.normalizeBytes(rgb, 1, height, width), [erased], size);
    // The mirror image of the (erased) face: EAC's view 2 with mirrored erasing.
    const v = twoViewMaps(model, x1, tf.reverse(x1, 2) as Tensor4D, fcWeight);
    return [v.probs1, v.probs2, v.hm1, v.hm2, v.consistency];
  });
  try {
    const [probs, probsMirror, hm1, hm2, consistency] = (await Promise.all(out.map((t) => t.data()))) as Float32Array[];
    const [, mapHeight, mapWidth, numClasses] = out[2].shape;
    return {
      size,
      mapHeight,
      mapWidth,
      numClasses,
      box: erased,
      probs,
      pred: argmax(probs),
      probsMirror,
      hm1,
      hm2,
      consistency: consistency[0],
    };
  } finally {
    tf.dispose(out);
  }
}
