// Symmetric label noise as the paper's generator makes it: each training label, with probability
// p, moves to a class drawn uniformly among the other classes. Seeded, so the same seed gives the
// same noisy labels in Node and in the browser.
import { Rng } from '../engine/rng.ts';
import { classesOf, NUM_CLASSES, type Dataset } from '../engine/dataset.ts';

export interface NoiseReport {
  rate: number;
  seed: number;
  /** Absent in reports made before asymmetric noise existed: symmetric. */
  kind?: NoiseKind;
  changed: number;
  actualRate: number;
  /** transition[clean][noisy] counts. */
  transition: number[][];
}

export function symmetricNoise(clean: Int32Array, rate: number, seed: number, numClasses = NUM_CLASSES): Int32Array {
  if (!(rate >= 0 && rate <= 1)) throw new Error(`noise rate must be in [0, 1], got ${rate}`);
  const rng = new Rng(seed);
  const out = new Int32Array(clean);
  for (let i = 0; i < clean.length; i++) {
    if (rng.uniform() < rate) {
      // Uniform over the other classes (the authors redraw until different: same distribution).
      const k = rng.int(0, numClasses - 2);
      out[i] = k >= clean[i] ? k + 1 : k;
    }
  }
  return out;
}

export function noiseReport(clean: Int32Array, noisy: Int32Array, rate: number, seed: number, numClasses = NUM_CLASSES): NoiseReport {
  const transition = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  let changed = 0;
  for (let i = 0; i < clean.length; i++) {
    transition[clean[i]][noisy[i]] += 1;
    if (clean[i] !== noisy[i]) changed++;
  }
  return { rate, seed, changed, actualRate: clean.length ? changed / clean.length : 0, transition };
}

/**
 * Asymmetric (class-dependent) noise, as the noisy-label literature makes it: each training label,
 * with probability p, moves to the one class `flip[label]` names (a class mapped to itself never
 * moves). Seeded like the symmetric kind.
 */
export function asymmetricNoise(clean: Int32Array, rate: number, seed: number, flip: readonly number[]): Int32Array {
  if (!(rate >= 0 && rate <= 1)) throw new Error(`noise rate must be in [0, 1], got ${rate}`);
  const rng = new Rng(seed);
  const out = new Int32Array(clean);
  for (let i = 0; i < clean.length; i++) if (rng.uniform() < rate) out[i] = flip[clean[i]];
  return out;
}

/**
 * The flip map of the asymmetric kind: CIFAR-10's five pairs where the dataset is CIFAR-10 (truck →
 * automobile, bird → airplane, deer → horse, cat ↔ dog), else each class to the next (c → c + 1 mod K).
 */
export function asymmetricFlipMap(classes: readonly string[]): number[] {
  const at = (n: string) => classes.indexOf(n);
  const cifar10 = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];
  if (classes.length === 10 && cifar10.every((c) => at(c) >= 0)) {
    const map = classes.map((_, i) => i);
    for (const [a, b] of [
      ['truck', 'automobile'],
      ['bird', 'airplane'],
      ['deer', 'horse'],
      ['cat', 'dog'],
      ['dog', 'cat'],
    ])
      map[at(a)] = at(b);
    return map;
  }
  return classes.map((_, i) => (i + 1) % classes.length);
}

export const NOISE_KINDS = ['symmetric', 'asymmetric'] as const;
export type NoiseKind = (typeof NOISE_KINDS)[number];

/** A copy of the dataset whose training labels carry seeded noise of that kind (clean labels kept). */
export function withNoise(ds: Dataset, kind: NoiseKind, rate: number, seed: number): { dataset: Dataset; report: NoiseReport } {
  const k = classesOf(ds).length;
  const labels =
    kind === 'asymmetric'
      ? asymmetricNoise(ds.train.cleanLabels, rate, seed, asymmetricFlipMap(classesOf(ds)))
      : symmetricNoise(ds.train.cleanLabels, rate, seed, k);
  return {
    dataset: { ...ds, train: { ...ds.train, labels } },
    report: { ...noiseReport(ds.train.cleanLabels, labels, rate, seed, k), kind },
  };
}

/** A copy of the dataset whose training labels carry seeded symmetric noise (clean labels kept). */
export function withSymmetricNoise(ds: Dataset, rate: number, seed: number): { dataset: Dataset; report: NoiseReport } {
  return withNoise(ds, 'symmetric', rate, seed);
}
