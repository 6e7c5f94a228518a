// A training run's whole state at an epoch boundary: enough to continue exactly as if the run had
// never stopped (same weights, optimiser moments, random stream and metrics so far). The trainer
// hands one out after every epoch (TrainOptions.onCheckpoint) and takes one back to resume
// (TrainOptions.resume). Plain data (Maps, typed arrays, numbers): structured-cloneable, so a
// worker can post it or store it in IndexedDB as is.
import type { TrainConfig } from './config.ts';
import type { AdamState } from './optim.ts';
import type { RngState } from './rng.ts';
import type { EpochMetrics, StepLog } from './run-types.ts';

export const CHECKPOINT_VERSION = 1;

export interface TrainCheckpoint {
  version: typeof CHECKPOINT_VERSION;
  config: TrainConfig;
  /** Epochs completed (the run continues with epoch + 1). */
  epoch: number;
  /** Optimiser steps taken so far. */
  step: number;
  /** Parameters and BatchNorm buffers, engine layout, by PyTorch key. */
  values: Map<string, Float32Array>;
  optimizer: AdamState;
  /** The data stream's generator (shuffling, augmentation, erasing) after `epoch`. */
  rng: { words: RngState; spare: number | null };
  epochs: EpochMetrics[];
  /** Per-step losses so far (empty unless the run logs steps). */
  steps: StepLog[];
  imagesSeen: number;
  /** Training time so far, for images/s and the run's total time. */
  seconds: number;
}

/** Why a checkpoint cannot continue a run with `config` (null: it can). */
export function checkpointMismatch(ckpt: TrainCheckpoint, config: TrainConfig): string | null {
  if (ckpt.version !== CHECKPOINT_VERSION) return `checkpoint version ${ckpt.version} (expected ${CHECKPOINT_VERSION})`;
  const keys: (keyof TrainConfig)[] = [
    'arch',
    'width',
    'method',
    'lam',
    'batchSize',
    'lr',
    'weightDecay',
    'gamma',
    'size',
    'seed',
    'augment',
    'erasing',
    'shuffle',
  ];
  const differ = keys.filter((k) => ckpt.config[k] !== config[k]);
  if (differ.length) return `the checkpoint was made with another ${differ.join(', ')}`;
  if (ckpt.epoch > config.epochs) return `the checkpoint is at epoch ${ckpt.epoch}, past the run's ${config.epochs} epochs`;
  return null;
}
