// A smaller dataset of the same classes: N images of a split, taken in turn from each class in
// file order, so that every class keeps its share while it has images left. Deterministic: the
// same counts give the same images in Node and in the page.
import { classesOf, type Dataset, type Split } from '../engine/dataset.ts';

/** Indices of `n` samples, round-robin over the classes (in file order within each). */
export function balancedIndices(labels: Int32Array, numClasses: number, n: number): Int32Array {
  if (n >= labels.length) return Int32Array.from(labels.keys());
  const byClass = Array.from({ length: numClasses }, () => [] as number[]);
  labels.forEach((l, i) => byClass[l].push(i));
  const picked: number[] = [];
  for (let round = 0; picked.length < n; round++)
    for (const list of byClass) if (round < list.length && picked.length < n) picked.push(list[round]);
  return Int32Array.from(picked.sort((a, b) => a - b));
}

function take(s: Split, idx: Int32Array): Split {
  const px = s.height * s.width * 3;
  const images = new Uint8Array(idx.length * px);
  idx.forEach((i, j) => images.set(s.images.subarray(i * px, (i + 1) * px), j * px));
  return {
    ...s,
    names: Array.from(idx, (i) => s.names[i]),
    images,
    labels: Int32Array.from(idx, (i) => s.labels[i]),
    cleanLabels: Int32Array.from(idx, (i) => s.cleanLabels[i]),
  };
}

/** The dataset with at most `train` / `test` images per split (undefined: the whole split). */
export function balancedSubset(ds: Dataset, train?: number, test?: number): Dataset {
  const k = classesOf(ds).length;
  const cut = (s: Split, n?: number) => (n === undefined || n >= s.labels.length ? s : take(s, balancedIndices(s.cleanLabels, k, n)));
  return { ...ds, train: cut(ds.train, train), test: cut(ds.test, test) };
}
