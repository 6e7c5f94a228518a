// A run's inputs, from the caches: its dataset (the demo faces drawn from their seed, or a RAF-DB
// folder from the dataset cache, with its chosen label file), the label noise it asks for on top,
// and its pretrained weights. The last dataset stays loaded, so runs on the same data start at once.
import { TrainError } from '../../engine/errors.ts';
import { modelFromValues, type Model } from '../../engine/resnet.ts';
import { withClassHead } from '../../engine/resnet-layout.ts';
import { Rng } from '../../engine/rng.ts';
import type { Dataset } from '../../engine/dataset.ts';
import type { DataOptions, RunRequest } from '../../engine/run-request.ts';
import { generateDemoDataset } from '../../data/demo.ts';
import { withNoise } from '../../data/noise.ts';
import { loadCachedDataset } from '../../storage/dataset-cache.ts';
import { loadCachedWeights } from '../../storage/weights-cache.ts';
import { countText } from '../../engine/format.ts';

/** Reports the loading of a dataset: `done` of `total` (faces or bytes), and what is being done. */
type DataProgress = (done: number, total: number, detail: string, unit?: 'bytes') => void;

interface RunData {
  dataset: Dataset;
  /** Training labels that differ from the clean ones (the label file's noise plus any added). */
  flipped: number;
}

function dataKey(opts: DataOptions): string {
  return opts.kind === 'demo' ? `demo:${opts.seed}:${opts.trainCount}:${opts.testCount}` : `cached:${opts.key}:${opts.labelFile ?? ''}`;
}

function countFlipped(labels: Int32Array, clean: Int32Array): number {
  let n = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i] !== clean[i]) n++;
  return n;
}

export class RunDataLoader {
  /** The last dataset loaded, kept between runs on the same data. */
  private cached: { key: string; dataset: Dataset } | null = null;

  async load(opts: DataOptions, progress: DataProgress): Promise<RunData> {
    const base = await this.loadBase(opts, progress);
    if (!(opts.noiseRate > 0)) return { dataset: base, flipped: countFlipped(base.train.labels, base.train.cleanLabels) };
    const noisy = withNoise(base, opts.noiseKind ?? 'symmetric', opts.noiseRate, opts.noiseSeed);
    return { dataset: noisy.dataset, flipped: countFlipped(noisy.dataset.train.labels, base.train.cleanLabels) };
  }

  private async loadBase(opts: DataOptions, progress: DataProgress): Promise<Dataset> {
    const key = dataKey(opts);
    if (this.cached?.key === key) return this.cached.dataset;
    this.cached = null; // free the old images first
    let dataset: Dataset;
    if (opts.kind === 'demo') {
      const detail = `drawing ${countText(opts.trainCount)} + ${countText(opts.testCount)} demo faces`;
      progress(0, opts.trainCount + opts.testCount, detail);
      dataset = generateDemoDataset({ seed: opts.seed, trainCount: opts.trainCount, testCount: opts.testCount }, (d, t) =>
        progress(d, t, detail),
      );
    } else {
      const detail = `reading ${opts.name} from the dataset cache`;
      progress(0, 0, detail); // the total is known once the cache has been opened
      dataset = (await loadCachedDataset(opts.key, opts.labelFile, (p) => progress(p.done, p.total, detail, p.unit))).dataset;
    }
    this.cached = { key, dataset };
    return dataset;
  }
}

/** A short fingerprint of the labels a run trains on (label file and noise applied), for exports. */
export async function labelsHash(labels: Int32Array): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', labels.slice().buffer as ArrayBuffer);
  return Array.from(new Uint8Array(digest).subarray(0, 8), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** The run's pretrained weights as a model (undefined: random init); refuses weights of another shape. */
export async function pretrainedModel(request: RunRequest, numClasses: number): Promise<Model | undefined> {
  if (!request.weights) return undefined;
  const w = await loadCachedWeights(request.weights.key, request.config.seed);
  const { arch, width } = w.spec.config;
  if (arch !== request.config.arch || width !== request.config.width) {
    throw new TrainError(
      'config',
      `invalid configuration: the weights "${request.weights.name}" are a ${arch} of width ${width}, the run asks for a ${request.config.arch} of width ${request.config.width}`,
    );
  }
  // A head of another class count (RAF-DB's 7 for a 10-class dataset) is drawn afresh.
  const fitted = withClassHead(w.spec, w.values, numClasses, new Rng(request.config.seed));
  return modelFromValues(fitted.spec, fitted.values);
}
