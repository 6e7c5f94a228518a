// The paper's numbers (docs/eac-recipe.md, "The paper's numbers"): RAF-DB test accuracy in
// percent, mean of the last 5 epochs, with a face-pretrained backbone and the official noisy label
// files. Shown beside a sweep's table as a reference, never as a target for the demo data.
import type { Method } from '../config.ts';
import type { Arch } from '../resnet-layout.ts';

interface PaperRow {
  arch: Arch;
  method: Method;
  /** Noise rate → test accuracy in percent. */
  accuracy: ReadonlyMap<number, number>;
}

export const PAPER_SOURCE = 'Zhang et al., ECCV 2022 (EAC), RAF-DB, face-pretrained backbone';

/** The label-noise rates of the paper's table, in order. */
export const PAPER_NOISE_RATES = [0, 0.1, 0.2, 0.3] as const;

export const PAPER_RESULTS: readonly PaperRow[] = [
  {
    arch: 'resnet50',
    method: 'baseline',
    accuracy: new Map([
      [0, 88.75],
      [0.1, 83.44],
      [0.2, 79.11],
      [0.3, 71.67],
    ]),
  },
  {
    arch: 'resnet50',
    method: 'eac',
    accuracy: new Map([
      [0, 90.35],
      [0.1, 88.62],
      [0.2, 87.35],
      [0.3, 85.27],
    ]),
  },
  {
    arch: 'resnet18',
    method: 'eac',
    accuracy: new Map([
      [0, 89.99],
      [0.1, 88.02],
    ]),
  },
];

/** The paper's accuracy (percent) for this architecture, method and noise rate; null where it reports none. */
export function paperAccuracy(arch: Arch, method: Method, noiseRate: number): number | null {
  const row = PAPER_RESULTS.find((r) => r.arch === arch && r.method === method);
  return row?.accuracy.get(noiseRate) ?? null;
}
