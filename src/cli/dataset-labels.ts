// `eac dataset labels`: writes a dataset's training labels, with seeded noise if asked, as a label
// file in RAF-DB's `name label` format: a noisy label set to save, share, and train on again with
// `eac train --labels FILE`, whatever the dataset.
import { countText } from '../engine/format.ts';
import { choice, int, num, parseWithPositionals, RANGES, UsageError } from './args.ts';
import { loadDataset } from './data.ts';
import { checkWritable, progress, writeFileAtomic } from './output.ts';
import { NOISE_KINDS } from '../data/noise.ts';
import { labelFileText } from '../data/label-files.ts';

export const DATASET_LABELS_HELP = `eac dataset labels (--demo | DIR) --out FILE [--noise RATE] [--noise-kind symmetric|asymmetric]
         [--seed N] [--train-count N]
  Writes the training split's labels (1..K, one \`name label\` line per image), noisy if asked.`;

export async function datasetLabelsCommand(argv: string[]): Promise<number> {
  const { values: v, positionals: dirs } = parseWithPositionals(argv, {
    demo: { type: 'boolean' },
    out: { type: 'string' },
    noise: { type: 'string' },
    'noise-kind': { type: 'string' },
    seed: { type: 'string' },
    'train-count': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (v.help) {
    process.stdout.write(DATASET_LABELS_HELP + '\n');
    return 0;
  }
  if (!v.out) throw new UsageError('--out FILE is required (where the label file is written)');
  if (dirs.length > 1) throw new UsageError(`give one folder, got ${dirs.length}: ${dirs.join(' ')}`);
  if (!v.demo && dirs.length === 0) throw new UsageError('give a dataset folder, or --demo');
  checkWritable('out', v.out as string);
  const { dataset, noise } = await loadDataset({
    demo: !!v.demo,
    dataDir: dirs[0],
    noise: v.noise === undefined ? null : num(v, 'noise', 0, (x) => x >= 0 && x <= 1, 'a rate in [0, 1]'),
    noiseKind: choice(v, 'noise-kind', NOISE_KINDS, 'symmetric'),
    seed: int(v, 'seed', 0, RANGES.seed),
    trainCount: v['train-count'] === undefined ? undefined : int(v, 'train-count', 0, RANGES.demoCount),
  });
  writeFileAtomic(v.out as string, labelFileText(dataset.train));
  progress(
    `wrote ${countText(dataset.train.names.length)} training labels to ${v.out}${noise ? ` (${countText(noise.changed)} flipped)` : ''}`,
  );
  return 0;
}
