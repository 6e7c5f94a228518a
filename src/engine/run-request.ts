// What a user asks a run to be: its configuration (as fields over the engine's defaults), where
// its data and weights come from (by cache key: plain strings, so the request is structured-
// cloneable), and the attention panel's samples. The page builds it, the training worker resolves
// it, the run store keeps it with the run, and exports carry it. A leaf module: types only.
import type { TrainConfig } from './config.ts';
import type { Arch } from './resnet-layout.ts';

/** Synthetic label noise: to any other class (symmetric), or to one fixed class per class (asymmetric; src/data/noise.ts). */
export type NoiseKind = 'symmetric' | 'asymmetric';

/** Where the training data comes from: the built-in demo dataset, or a folder already ingested into the dataset cache. */
interface DemoDataOptions {
  kind: 'demo';
  /** Seed of the generated faces (labels and images). */
  seed: number;
  trainCount: number;
  testCount: number;
  /** Seeded label noise on the training split (0: clean labels). */
  noiseRate: number;
  noiseSeed: number;
  /** Absent: symmetric (requests from before the asymmetric kind). */
  noiseKind?: NoiseKind;
}
/**
 * A RAF-DB folder the page ingested (decoded in workers/ingest.worker.ts) and stored in the
 * dataset cache (src/storage/dataset-cache.ts); the training worker reads it back by key.
 */
interface CachedDataOptions {
  kind: 'cached';
  /** The dataset cache's key (derived from the folder's file names and sizes). */
  key: string;
  /** Shown to the user, e.g. "RAF-DB basic (15339 images)". */
  name: string;
  /** A training label file of EmoLabel/ by name (e.g. "noise02.txt"); null: the clean labels. */
  labelFile: string | null;
  /** Seeded label noise on top of the chosen labels (0: none). */
  noiseRate: number;
  noiseSeed: number;
  /** Absent: symmetric. */
  noiseKind?: NoiseKind;
}
export type DataOptions = DemoDataOptions | CachedDataOptions;

/** Pretrained weights from the weights cache (src/storage/weights-cache.ts), by key; null: random init. */
export interface WeightsChoice {
  key: string;
  /** Shown to the user (the imported file's name). */
  name: string;
}

/**
 * A run's configuration as the page asks for it: the architecture, and the fields that differ from
 * the engine's `defaultTrainConfig(arch)`. The worker resolves it (so the page never loads the
 * engine or TensorFlow.js) and echoes the full configuration in its `started` answer.
 */
export type ConfigRequest = Partial<TrainConfig> & { arch: Arch };

export interface AttentionOptions {
  count: number;
  seed: number;
  indices?: number[];
}

/** A run as stored: its resolved configuration and the choices it was made from. */
export interface RunRequest {
  config: TrainConfig;
  data: DataOptions;
  weights: WeightsChoice | null;
  attention: AttentionOptions;
}
