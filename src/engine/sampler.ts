// Which training images an epoch visits, in which order. `shuffle`: each image once, in an order
// drawn from the run's data stream (or in file order with shuffle off), as the official code's
// DataLoader(shuffle=True). `balanced`: N draws with replacement where each class is equally
// likely, as PyTorch's WeightedRandomSampler(weights = 1 / count of the sample's label,
// num_samples = N, replacement = True), what AffectNet training commonly uses (its classes range
// from ~4,000 to ~135,000 images). The balanced draw is a pure function of (seed, epoch, labels):
// a resumed run draws the same epochs whatever else the data stream consumed.
import { Rng } from './rng.ts';

export const SAMPLERS = ['shuffle', 'balanced'] as const;
export type Sampler = (typeof SAMPLERS)[number];

function mix32(x: number): number {
  let z = (x + 0x9e3779b9) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}

/** The balanced sampler's generator for one epoch: seeded from the run's seed and the epoch alone. */
export function samplerRng(seed: number, epoch: number): Rng {
  const a = mix32(seed ^ 0x62616c61); // "bala"
  const b = mix32(a ^ mix32(epoch));
  return new Rng([a, b, mix32(b ^ 0x6e636564), mix32(a + epoch) | 1]);
}

/**
 * `n` training indices (n = the split's size, so an epoch has as many steps as with `shuffle`),
 * drawn with replacement so that every class present among `labels` (the labels trained on,
 * noisy ones included: the sampler cannot know the true ones) is equally likely: a class, then
 * one of its samples, each uniformly; the same distribution as weights 1/count(label). A class
 * with no sample is never drawn.
 */
export function balancedOrder(labels: ArrayLike<number>, seed: number, epoch: number): Int32Array {
  const n = labels.length;
  const members = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const list = members.get(labels[i]);
    if (list) list.push(i);
    else members.set(labels[i], [i]);
  }
  // In class order, so that the draw does not depend on which class comes first in the file.
  const classes = [...members.keys()].sort((x, y) => x - y).map((k) => members.get(k)!);
  const rng = samplerRng(seed, epoch);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const list = classes[rng.int(0, classes.length - 1)];
    out[i] = list[rng.int(0, list.length - 1)];
  }
  return out;
}
