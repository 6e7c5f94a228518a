// The data pipeline of the official code, on a batch of uint8 images:
//   view 1: Gaussian pixel noise (p = 0.5) → Pillow-bilinear resize → /255 → ImageNet normalise
//           → random erasing (torchvision semantics, p = 0.5, after normalisation);
//   view 2: "independent": the horizontal flip of the decoded image through resize, normalise
//           and its own erasing draw (official code with a noisy label file);
//           "mirrored": the exact mirror of the finished view 1 (official code, clean labels).
// Random draws happen on the CPU from the run's one Rng; pixel work runs on the tfjs backend.
import { tf, type Tensor, type Tensor4D } from './tf.ts';
import { PillowResizer } from './resize.ts';
import type { Rng } from './rng.ts';

export type AugmentMode = 'full' | 'none';
export type ErasingMode = 'independent' | 'mirrored';

interface PipelineConfig {
  /** Training/eval input size (square), 224 in the paper. */
  size: number;
  /** "none": no Gaussian noise and no erasing; view 2 is the exact mirror of view 1. */
  augment: AugmentMode;
  erasing: ErasingMode;
  noiseProb: number;
  /** Standard deviation of the pixel noise: sqrt(30) (the code's variance 30). */
  noiseStd: number;
  erasingProb: number;
  erasingScale: [number, number];
  erasingRatio: [number, number];
}

export const PIPELINE_DEFAULTS: PipelineConfig = {
  size: 224,
  augment: 'full',
  erasing: 'independent',
  noiseProb: 0.5,
  noiseStd: Math.sqrt(30),
  erasingProb: 0.5,
  erasingScale: [0.02, 0.25],
  erasingRatio: [0.3, 3.3],
};

export const IMAGENET_MEAN = [0.485, 0.456, 0.406];
const IMAGENET_STD = [0.229, 0.224, 0.225];

/** Normalised NHWC float32 → uint8 RGB (inverts ToTensor and Normalize): what a view looks like. */
export function denormaliseToBytes(x: Float32Array): Uint8Array {
  const out = new Uint8Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const c = i % 3;
    const v = (x[i] * IMAGENET_STD[c] + IMAGENET_MEAN[c]) * 255;
    out[i] = v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v);
  }
  return out;
}

/** An erased rectangle in output pixels. */
export interface Box {
  top: number;
  left: number;
  h: number;
  w: number;
}

/** Python's round(): half to even. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** torchvision RandomErasing.get_params on an H×W image, with its probability gate first. */
export function drawErasing(rng: Rng, height: number, width: number, cfg: PipelineConfig): Box | null {
  if (!(rng.uniform() < cfg.erasingProb)) return null;
  const area = height * width;
  const logLo = Math.log(cfg.erasingRatio[0]);
  const logHi = Math.log(cfg.erasingRatio[1]);
  for (let attempt = 0; attempt < 10; attempt++) {
    const eraseArea = area * rng.uniformRange(cfg.erasingScale[0], cfg.erasingScale[1]);
    const aspect = Math.exp(rng.uniformRange(logLo, logHi));
    const h = roundHalfEven(Math.sqrt(eraseArea * aspect));
    const w = roundHalfEven(Math.sqrt(eraseArea / aspect));
    if (!(h < height && w < width)) continue;
    const top = rng.int(0, height - h);
    const left = rng.int(0, width - w);
    return { top, left, h, w };
  }
  return null;
}

/** numpy's `np.clip(v, 0, 255).astype(np.uint8)`: clip, then truncate toward zero. */
export function clipToUint8(v: number): number {
  return v <= 0 ? 0 : v >= 255 ? 255 : Math.floor(v);
}

/** add_g: x + N(0, std²) per pixel and channel, clipped to [0, 255], truncated to uint8. */
function addGaussianNoise(src: Uint8Array, rng: Rng, std: number, out = new Uint8Array(src.length)): Uint8Array {
  for (let i = 0; i < src.length; i++) out[i] = clipToUint8(src[i] + std * rng.normal());
  return out;
}

/** The random part of one training batch, decided on the CPU (cheap, checkpointable via the Rng). */
interface ViewPlan {
  n: number;
  height: number;
  width: number;
  /** View 1's source pixels (N·H·W·3), with the Gaussian noise already added where drawn. */
  pixels1: Uint8Array;
  /** The original pixels (view 2 in independent mode is their flip). */
  pixels: Uint8Array;
  noisy: boolean[];
  box1: (Box | null)[];
  /** Independent mode only (else all null). */
  box2: (Box | null)[];
}

/**
 * Draws a batch's randomness in the official per-sample order: (independent mode) view 2's
 * erasing, then the noise coin and noise, then view 1's erasing.
 */
export function planViews(rng: Rng, pixels: Uint8Array, n: number, height: number, width: number, cfg: PipelineConfig): ViewPlan {
  const per = height * width * 3;
  if (pixels.length !== n * per) throw new Error(`planViews: ${pixels.length} bytes for ${n} images of ${height}×${width}×3`);
  const pixels1 = new Uint8Array(pixels);
  const noisy: boolean[] = [];
  const box1: (Box | null)[] = [];
  const box2: (Box | null)[] = [];
  const full = cfg.augment === 'full';
  for (let i = 0; i < n; i++) {
    box2.push(full && cfg.erasing === 'independent' ? drawErasing(rng, cfg.size, cfg.size, cfg) : null);
    const addNoise = full && rng.uniform() > 1 - cfg.noiseProb; // the code: uniform(0,1) > 0.5
    noisy.push(addNoise);
    if (addNoise) addGaussianNoise(pixels.subarray(i * per, (i + 1) * per), rng, cfg.noiseStd, pixels1.subarray(i * per, (i + 1) * per));
    box1.push(full ? drawErasing(rng, cfg.size, cfg.size, cfg) : null);
  }
  return { n, height, width, pixels1, pixels, noisy, box1, box2 };
}

/** Turns plans into tensors on the backend; owns the cached resize matrices. */
export class ImagePipeline {
  private resizer = new PillowResizer();
  private mean: Tensor;
  private std: Tensor;

  constructor(readonly cfg: PipelineConfig) {
    this.mean = tf.keep(tf.tensor1d(IMAGENET_MEAN, 'float32'));
    this.std = tf.keep(tf.tensor1d(IMAGENET_STD, 'float32'));
  }

  /** uint8 NHWC bytes → resized, normalised float32 NHWC (the eval transform). */
  normalizeBytes(bytes: Uint8Array, n: number, height: number, width: number, flip = false): Tensor4D {
    return tf.tidy(() => {
      let x = tf.tensor4d(Float32Array.from(bytes), [n, height, width, 3]);
      if (flip) x = tf.reverse(x, 2);
      const resized = this.resizer.resize(x, this.cfg.size, this.cfg.size);
      // ToTensor then Normalize, in torchvision's order of float32 operations.
      return tf.div(tf.sub(tf.div(resized, 255), this.mean), this.std) as Tensor4D;
    });
  }

  /** View 1 and (unless `view2` is false) view 2 of a planned batch. */
  buildViews(plan: ViewPlan, view2 = true): { x1: Tensor4D; x2: Tensor4D | null } {
    const { n, height, width } = plan;
    const x1 = tf.tidy(() => erase(this.normalizeBytes(plan.pixels1, n, height, width), plan.box1, this.cfg.size));
    if (!view2) return { x1, x2: null };
    const mirrored = this.cfg.augment === 'none' || this.cfg.erasing === 'mirrored';
    const x2 = mirrored
      ? (tf.reverse(x1, 2) as Tensor4D)
      : tf.tidy(() => erase(this.normalizeBytes(plan.pixels, n, height, width, true), plan.box2, this.cfg.size));
    return { x1, x2 };
  }

  dispose(): void {
    this.resizer.dispose();
    this.mean.dispose();
    this.std.dispose();
  }
}

/** Zeroes each sample's box (in normalised space, as RandomErasing's value=0 does). */
export function erase(x: Tensor4D, boxes: (Box | null)[], size: number): Tensor4D {
  if (boxes.every((b) => b === null)) return x;
  return tf.tidy(() => {
    const n = boxes.length;
    const top = new Float32Array(n);
    const bottom = new Float32Array(n);
    const left = new Float32Array(n);
    const right = new Float32Array(n);
    boxes.forEach((b, i) => {
      if (b) {
        top[i] = b.top;
        bottom[i] = b.top + b.h;
        left[i] = b.left;
        right[i] = b.left + b.w;
      }
    });
    const idx = tf.range(0, size, 1, 'float32');
    const rows = tf.reshape(idx, [1, size, 1, 1]);
    const cols = tf.reshape(idx, [1, 1, size, 1]);
    const inRows = tf.logicalAnd(tf.greaterEqual(rows, tf.tensor4d(top, [n, 1, 1, 1])), tf.less(rows, tf.tensor4d(bottom, [n, 1, 1, 1])));
    const inCols = tf.logicalAnd(tf.greaterEqual(cols, tf.tensor4d(left, [n, 1, 1, 1])), tf.less(cols, tf.tensor4d(right, [n, 1, 1, 1])));
    const keep = tf.logicalNot(tf.logicalAnd(inRows, inCols));
    return tf.mul(x, tf.cast(keep, 'float32')) as Tensor4D;
  });
}
