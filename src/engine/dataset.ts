// The in-memory dataset every part of the lab trains on: RAF-DB read from a folder and the
// built-in demo dataset both end up in this shape, so nothing downstream tells them apart.

/** Class order of RAF-DB "basic" (labels 0..6; the label files use 1..7). */
export const CLASS_NAMES = ['Surprise', 'Fear', 'Disgust', 'Happiness', 'Sadness', 'Anger', 'Neutral'] as const;
export const NUM_CLASSES = 7;

/** One split (train or test): images kept as uint8 RGB at their native size, NHWC. */
export interface Split {
  /** Sample names as the label file writes them, e.g. `train_00001.jpg`. */
  names: string[];
  /** N·H·W·3 bytes, RGB, row-major (NHWC). */
  images: Uint8Array;
  height: number;
  width: number;
  /** The labels training uses (0..6): possibly noisy. For the test split, the clean labels. */
  labels: Int32Array;
  /** The clean labels (0..6), always kept so metrics can be measured against both. */
  cleanLabels: Int32Array;
}

export interface Dataset {
  /** A short human-readable name ("demo (seed 0)", "RAF-DB basic"). */
  name: string;
  train: Split;
  test: Split;
}
