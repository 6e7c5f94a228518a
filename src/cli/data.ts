// How the CLI gets its dataset and label noise (shared by train and eval).
import { countText } from '../engine/format.ts';
import { generateDemoDataset } from '../data/demo.ts';
import { withNoise, type NoiseKind, type NoiseReport } from '../data/noise.ts';
import { balancedSubset } from '../data/subset.ts';
import { withLabelFile } from '../data/label-files.ts';
import { MAX_LABEL_FILE_BYTES } from '../data/folder.ts';
import { bytesText } from '../engine/format.ts';
import type { NoiseMeasure } from '../data/labels.ts';
import { readRegularFile } from './read-file.ts';
import path from 'node:path';
import type { Dataset } from '../engine/dataset.ts';
import type { RafDbReport } from '../data/rafdb.ts';
import { loadDataFolder } from './dataset.ts';
import type { FolderDatasetReport } from './dataset.ts';
import { UsageError } from './args.ts';
import { progress } from './output.ts';

export interface DataChoice {
  demo: boolean;
  dataDir?: string;
  labels?: string;
  noise: number | null;
  seed: number;
  demoTrain?: number;
  demoTest?: number;
  noiseKind?: NoiseKind;
  /** A folder dataset's split sizes (balanced over classes); undefined: the whole split. */
  trainCount?: number;
  testCount?: number;
  /** FERPlus: 8 classes (default) or 7. */
  ferPlusClasses?: 7 | 8;
  /** AffectNet: 8 classes (default) or 7. */
  affectNetClasses?: 7 | 8;
}

/** A `name label` file for a dataset other than RAF-DB: read bounded, applied to the training labels, reported. */
function readLabelFileFor(ds: Dataset, file: string): { dataset: Dataset; noise: NoiseMeasure } {
  let text: string;
  try {
    const bytes = readRegularFile(file, {
      notRegular: (why) => new UsageError(`--labels: ${file}: ${why}`),
      checkSize: (size) => {
        if (size > MAX_LABEL_FILE_BYTES)
          throw new UsageError(`--labels: ${file}: ${bytesText(size)}, more than a label file's ${bytesText(MAX_LABEL_FILE_BYTES)}`);
      },
    });
    text = new TextDecoder().decode(bytes);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`--labels: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let r: ReturnType<typeof withLabelFile>;
  try {
    r = withLabelFile(ds, path.basename(file), text);
  } catch (e) {
    throw new UsageError(`--labels: ${file}: ${(e as Error).message}`);
  }
  if (r.noise.missing === ds.train.names.length)
    throw new UsageError(
      `--labels: ${file} labels none of the ${ds.train.names.length} training images (${r.badLines.length} bad lines${r.badLines[0] ? `, first: line ${r.badLines[0].line}: ${r.badLines[0].reason}` : ''})`,
    );
  progress(
    `training labels from ${file}: ${countText(r.noise.changed)} changed (${(r.noise.rate * 100).toFixed(2)}%)${r.noise.missing ? `, ${r.noise.missing} images without a label there kept the clean one` : ''}${r.badLines.length ? `, ${r.badLines.length} bad lines skipped (first: line ${r.badLines[0].line}: ${r.badLines[0].reason})` : ''}`,
  );
  return { dataset: r.dataset, noise: r.noise };
}

export async function loadDataset(
  choice: DataChoice,
): Promise<{ dataset: Dataset; noise: NoiseReport | null; source: Record<string, unknown> }> {
  let dataset: Dataset;
  let rafdb: RafDbReport | null = null;
  let array: FolderDatasetReport | null = null;
  let labelNoise: NoiseMeasure | null = null;
  if (choice.demo) {
    if (choice.dataDir) throw new UsageError('give either --demo or --data, not both');
    const t0 = performance.now();
    dataset = generateDemoDataset({ seed: 0, trainCount: choice.demoTrain, testCount: choice.demoTest });
    progress(
      `demo dataset: ${dataset.train.labels.length} train / ${dataset.test.labels.length} test images (${((performance.now() - t0) / 1000).toFixed(1)}s)`,
    );
  } else if (choice.dataDir) {
    const r = await loadDataFolder(choice.dataDir, choice.labels, '--data', {
      ferPlusClasses: choice.ferPlusClasses,
      affectNetClasses: choice.affectNetClasses,
    });
    let full = r.dataset;
    if (r.array && choice.labels !== undefined) {
      const applied = readLabelFileFor(full, choice.labels);
      full = applied.dataset;
      labelNoise = applied.noise;
    }
    dataset = balancedSubset(full, choice.trainCount, choice.testCount);
    rafdb = r.rafdb;
    array = r.array;
    if (choice.trainCount !== undefined || choice.testCount !== undefined)
      progress(
        `using ${countText(dataset.train.labels.length)} train / ${countText(dataset.test.labels.length)} test images (balanced over classes)`,
      );
  } else {
    throw new UsageError('no dataset: give --demo (the built-in dataset) or --data DIR (a RAF-DB folder)');
  }
  if (choice.labels !== undefined && !choice.dataDir)
    throw new UsageError('--labels: label files come with RAF-DB folders (give --data DIR)');
  let noise: NoiseReport | null = null;
  const fileNoise = rafdb?.noise ?? labelNoise;
  if (choice.noise !== null && choice.noise > 0 && fileNoise)
    throw new UsageError(`give either --noise or a noisy --labels file (${fileNoise.file}), not both`);
  if (choice.noise !== null && choice.noise > 0) {
    const kind = choice.noiseKind ?? 'symmetric';
    const r = withNoise(dataset, kind, choice.noise, choice.seed);
    dataset = r.dataset;
    noise = r.report;
    progress(
      `label noise: ${noise.changed} of ${dataset.train.labels.length} training labels flipped (${(noise.actualRate * 100).toFixed(2)}% of the ${(noise.rate * 100).toFixed(4).replace(/\.?0+$/, '')}% asked: each label moves with that chance to ${kind === 'symmetric' ? 'another class drawn alike' : 'its one fixed other class'}, seed ${choice.seed})`,
    );
  }
  const source: Record<string, unknown> = {
    kind: choice.demo ? 'demo' : (array?.format ?? 'raf-db'),
    dir: choice.dataDir ?? null,
    train: dataset.train.labels.length,
    test: dataset.test.labels.length,
  };
  if (array) source.root = array.root;
  if (labelNoise) {
    source.labels = labelNoise.file;
    source.labelNoise = labelNoise;
  }
  if (rafdb) {
    source.root = rafdb.root;
    source.labels = rafdb.noise?.file ?? 'list_patition_label.txt';
    source.labelNoise = rafdb.noise;
    source.missingImages = rafdb.missingImages.length;
    source.unreadableImages = rafdb.unreadableImages.length;
    source.badLines = rafdb.badLines.length;
  }
  return { dataset, noise, source };
}
