// Label files for any dataset, in RAF-DB's `name label` format (labels 1..K, one line per training
// image): a noisy label set can be saved, shared and trained on again, whatever the dataset.
import { classesOf, type Dataset, type Split } from '../engine/dataset.ts';
import { applyTrainingLabels, parseLabelText, type BadLine, type NoiseMeasure } from './labels.ts';

/** The split's labels as `name label` lines (labels counted from 1, as RAF-DB's files do). */
export function labelFileText(split: Split): string {
  return split.names.map((n, i) => `${n} ${split.labels[i] + 1}\n`).join('');
}

/**
 * The dataset with its training labels taken from a label file (names it does not list keep their
 * clean label), the noise measured against the clean labels, and the file's bad lines.
 */
export function withLabelFile(ds: Dataset, file: string, text: string): { dataset: Dataset; noise: NoiseMeasure; badLines: BadLine[] } {
  const clean = ds.train.names.map((name, i) => ({ name, label: ds.train.cleanLabels[i], line: i + 1 }));
  const applied = applyTrainingLabels(clean, file, parseLabelText(text, classesOf(ds).length));
  return { dataset: { ...ds, train: { ...ds.train, labels: applied.labels } }, noise: applied.noise, badLines: applied.badLines };
}
