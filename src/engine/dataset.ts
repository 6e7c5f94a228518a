// The in-memory dataset every part of the lab trains on: RAF-DB read from a folder, the built-in
// demo dataset and the other readers (src/data/formats) all end up in this shape, so nothing
// downstream tells them apart.

/** Class order of RAF-DB "basic" (labels 0..6; the label files use 1..7). */
export const CLASS_NAMES = ['Surprise', 'Fear', 'Disgust', 'Happiness', 'Sadness', 'Anger', 'Neutral'] as const;
/** RAF-DB's class count: the default wherever a dataset, run or checkpoint names no classes. */
export const NUM_CLASSES = 7;
/** The most classes a dataset may have (Tiny-ImageNet has 200; ImageNet's 1,000 is the bound). */
export const MAX_CLASSES = 1000;

/** The class names of anything that may carry them: absent means RAF-DB's seven (older runs and checkpoints). */
export function classesOf(x: { classes?: readonly string[] | null }): readonly string[] {
  return x.classes ?? CLASS_NAMES;
}

/** Why a list of class names cannot be a dataset's classes (null: it can). */
export function classesProblem(v: unknown): string | null {
  if (!Array.isArray(v)) return 'expected a list of class names';
  if (v.length < 2 || v.length > MAX_CLASSES) return `${v.length} classes, expected 2 to ${MAX_CLASSES}`;
  const seen = new Set<string>();
  for (const [i, c] of v.entries()) {
    if (typeof c !== 'string' || c.length === 0 || c.length > 100) return `class ${i} is not a name of 1 to 100 characters`;
    if (seen.has(c)) return `class ${JSON.stringify(c)} is named twice`;
    seen.add(c);
  }
  return null;
}

/** One split (train or test): images kept as uint8 RGB at their native size, NHWC. */
export interface Split {
  /** Sample names as the label file writes them, e.g. `train_00001.jpg`. */
  names: string[];
  /** N·H·W·3 bytes, RGB, row-major (NHWC). */
  images: Uint8Array;
  height: number;
  width: number;
  /** The labels training uses (0..K−1): possibly noisy. For the test split, the clean labels. */
  labels: Int32Array;
  /** The clean labels (0..K−1), always kept so metrics can be measured against both. */
  cleanLabels: Int32Array;
}

export interface Dataset {
  /** A short human-readable name ("demo (seed 0)", "RAF-DB basic"). */
  name: string;
  /** Class names, in label order; absent: RAF-DB's seven (CLASS_NAMES). */
  classes?: string[];
  train: Split;
  test: Split;
}
