// Symmetric label noise as the paper's generator makes it: each training label, with probability
// p, moves to a class drawn uniformly among the other classes. Seeded, so the same seed gives the
// same noisy labels in Node and in the browser.
import { Rng } from '../engine/rng.ts';
import { NUM_CLASSES, type Dataset } from '../engine/dataset.ts';

export interface NoiseReport {
  rate: number;
  seed: number;
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

/** A copy of the dataset whose training labels carry seeded symmetric noise (clean labels kept). */
export function withSymmetricNoise(ds: Dataset, rate: number, seed: number): { dataset: Dataset; report: NoiseReport } {
  const labels = symmetricNoise(ds.train.cleanLabels, rate, seed);
  return {
    dataset: { ...ds, train: { ...ds.train, labels } },
    report: noiseReport(ds.train.cleanLabels, labels, rate, seed),
  };
}
