// The feature picture of the paper: the pooled features of training samples (eval mode, batch by
// batch) and their 2-D embedding (the paper used t-SNE; here UMAP from umap-js, PAIR-code's
// implementation), with small thumbnails to show on hover. Seeded: umap-js
// draws every random number (random-projection trees, nearest-neighbour descent, initial layout,
// negative samples) from the generator it is given, so one seed gives one picture. The layout
// epochs run one at a time with a progress callback, an abort signal and a yield between chunks,
// so a worker stays responsive to Cancel. Pure: no DOM.
import { UMAP } from 'umap-js';
import { Rng } from './rng.ts';
import { tf } from './tf.ts';
import { forward, type Model } from './resnet.ts';
import type { ImagePipeline } from './augment.ts';
import { gatherImages } from './trainer.ts';
import type { Split } from './dataset.ts';

interface EmbedOptions {
  seed?: number;
  /** Neighbours of each point's fuzzy neighbourhood (umap-js default 15; clamped below N). */
  nNeighbors?: number;
  minDist?: number;
  /** Layout epochs (default: umap-js's choice by N, 500 up to 2,500 points). */
  nEpochs?: number;
  /** Called with (epochs done, epochs in all) after every chunk of epochs. */
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
  /** Epochs between two yields to the event loop (default 10). */
  yieldEvery?: number;
  /** How to yield (default: a zero timeout). */
  yieldFn?: () => Promise<void>;
}

interface Embedding2D {
  /** N×2, row-major: x0, y0, x1, y1, … */
  coords: Float32Array;
  epochs: number;
}

const zeroTimeout = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

/**
 * Embeds `n` points of `dim` features each (row-major in `features`) in 2-D. Throws on fewer than
 * 3 points or non-finite features (the network diverged), with the reason.
 */
export async function embed2d(features: Float32Array, n: number, dim: number, opts: EmbedOptions = {}): Promise<Embedding2D> {
  if (!(Number.isInteger(n) && Number.isInteger(dim) && n >= 0 && dim > 0) || features.length !== n * dim) {
    throw new Error(`embedding: ${features.length} numbers are not ${n} points of ${dim} features`);
  }
  if (n < 3) throw new Error(`an embedding needs at least 3 samples, got ${n}`);
  for (let i = 0; i < features.length; i++) {
    if (!Number.isFinite(features[i]))
      throw new Error(`feature ${i % dim} of sample ${Math.floor(i / dim)} is ${features[i]} (the model's weights are not finite)`);
  }
  const rows: number[][] = [];
  for (let i = 0; i < n; i++) rows.push(Array.from(features.subarray(i * dim, (i + 1) * dim)));
  const rng = new Rng(opts.seed ?? 0);
  const umap = new UMAP({
    nComponents: 2,
    nNeighbors: Math.max(2, Math.min(opts.nNeighbors ?? 15, n - 1)),
    minDist: opts.minDist ?? 0.1,
    nEpochs: opts.nEpochs,
    random: () => rng.uniform(),
  });
  opts.signal?.throwIfAborted();
  const total = umap.initializeFit(rows);
  const every = Math.max(1, opts.yieldEvery ?? 10);
  const yieldFn = opts.yieldFn ?? zeroTimeout;
  opts.onProgress?.(0, total);
  for (let done = 0; done < total; ) {
    const until = Math.min(total, done + every);
    while (done < until) done = umap.step();
    opts.onProgress?.(done, total);
    await yieldFn();
    opts.signal?.throwIfAborted();
  }
  const emb = umap.getEmbedding();
  const coords = new Float32Array(n * 2);
  for (let i = 0; i < n; i++) {
    coords[i * 2] = emb[i][0];
    coords[i * 2 + 1] = emb[i][1];
  }
  return { coords, epochs: total };
}

/** `count` of 0..n-1, ascending: all of them when count ≥ n, else a seeded random subset. */
export function chooseSubset(n: number, count: number, seed: number): Int32Array {
  if (!(Number.isInteger(count) && count >= 1)) throw new Error(`the number of samples must be a positive integer, got ${count}`);
  if (count >= n) return Int32Array.from({ length: n }, (_, i) => i);
  const perm = new Rng(seed ^ 0xe3bed).permutation(n);
  return perm.slice(0, count).sort();
}

interface FeatureOptions {
  batchSize?: number;
  /** Called after every batch with (images done, images in all). */
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
}

/**
 * The pooled features (global average of the last feature map, N×C) of the training samples
 * `indices`, in eval mode with the eval transform (resize and normalise only), batch by batch.
 */
export async function pooledFeatures(
  model: Model,
  pipeline: ImagePipeline,
  split: Split,
  indices: ArrayLike<number>,
  opts: FeatureOptions = {},
): Promise<{ features: Float32Array; dim: number }> {
  const n = indices.length;
  const batch = Math.max(1, opts.batchSize ?? 32);
  const dim = model.spec.featureChannels;
  const features = new Float32Array(n * dim);
  opts.onProgress?.(0, n);
  for (let start = 0; start < n; start += batch) {
    opts.signal?.throwIfAborted();
    const idx = Array.from({ length: Math.min(batch, n - start) }, (_, i) => indices[start + i]);
    for (const i of idx) if (!(i >= 0 && i < split.labels.length)) throw new Error(`sample ${i} is not in the training split`);
    const pooled = tf.tidy(
      () => forward(model, pipeline.normalizeBytes(gatherImages(split, idx), idx.length, split.height, split.width), false).pooled,
    );
    try {
      features.set((await pooled.data()) as Float32Array, start * dim);
    } finally {
      pooled.dispose();
    }
    opts.onProgress?.(start + idx.length, n);
  }
  return { features, dim };
}

/** Small RGB thumbnails (size×size×3 each, box-filtered) of `indices`, for hovering over points. */
export function thumbnails(split: Split, indices: ArrayLike<number>, size: number): Uint8Array {
  const { height: H, width: W } = split;
  const per = H * W * 3;
  const out = new Uint8Array(indices.length * size * size * 3);
  for (let k = 0; k < indices.length; k++) {
    const src = split.images.subarray(indices[k] * per, (indices[k] + 1) * per);
    const base = k * size * size * 3;
    for (let y = 0; y < size; y++) {
      const y0 = Math.floor((y * H) / size);
      const y1 = Math.max(y0 + 1, Math.floor(((y + 1) * H) / size));
      for (let x = 0; x < size; x++) {
        const x0 = Math.floor((x * W) / size);
        const x1 = Math.max(x0 + 1, Math.floor(((x + 1) * W) / size));
        for (let c = 0; c < 3; c++) {
          let sum = 0;
          for (let yy = y0; yy < y1; yy++) for (let xx = x0; xx < x1; xx++) sum += src[(yy * W + xx) * 3 + c];
          out[base + (y * size + x) * 3 + c] = Math.round(sum / ((y1 - y0) * (x1 - x0)));
        }
      }
    }
  }
  return out;
}
