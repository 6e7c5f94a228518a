// A training run's whole state, at an epoch boundary or within an epoch: enough to continue
// exactly as if the run had never stopped (same weights, optimiser moments, random stream, the
// epoch's sample order and position in it, and metrics so far). The trainer hands one out after
// every epoch (TrainOptions.onCheckpoint), and within epochs when asked (checkpointEvery), and
// takes one back to resume (TrainOptions.resume). Plain data (Maps, typed arrays, numbers):
// structured-cloneable, so a worker can post it or store it in IndexedDB as is.
import type { TrainConfig } from './config.ts';
import type { AdamState } from './optim.ts';
import type { RngState } from './rng.ts';
import type { Sampler } from './sampler.ts';
import type { EpochMetrics, StepLog } from './run-types.ts';

/** 2 added `partial` (a checkpoint within an epoch); version 1 checkpoints (epoch boundaries) still resume. */
export const CHECKPOINT_VERSION = 2;

/** How far a run got into the epoch after `epoch`, and what that epoch has measured so far. */
export interface EpochProgress {
  /** The epoch's sample order, drawn from the data stream at the epoch's start. */
  order: Int32Array;
  /** Steps of the epoch already taken (the next batch starts at position × batch size). */
  position: number;
  /** Sums of the steps' losses so far (the epoch's means divide them by `position`). */
  loss: number;
  ce: number;
  consistency: number;
  /** View 1's prediction for each training sample seen in the epoch so far (those of order[0 .. position × batch size)). */
  seenPreds: Int32Array;
  /** Training time spent in the epoch so far. */
  seconds: number;
}

export interface TrainCheckpoint {
  version: 1 | typeof CHECKPOINT_VERSION;
  config: TrainConfig;
  /** The dataset's class names (the head has one output each); absent: RAF-DB's seven. */
  classes?: string[];
  /** Epochs completed (the run continues with epoch + 1). */
  epoch: number;
  /** Optimiser steps taken so far. */
  step: number;
  /** Parameters and BatchNorm buffers, engine layout, by PyTorch key. */
  values: Map<string, Float32Array>;
  optimizer: AdamState;
  /** The data stream's generator (shuffling, augmentation, erasing) at this point. */
  rng: { words: RngState; spare: number | null };
  epochs: EpochMetrics[];
  /** Per-step losses so far (empty unless the run logs steps). */
  steps: StepLog[];
  imagesSeen: number;
  /** Training time so far, for images/s and the run's total time. */
  seconds: number;
  /** Set when the checkpoint was taken within epoch `epoch + 1`; absent or null at an epoch boundary. */
  partial?: EpochProgress | null;
}

/** Why a checkpoint cannot continue a run with `config` (null: it can). */
export function checkpointMismatch(ckpt: TrainCheckpoint, config: TrainConfig): string | null {
  if (ckpt.version !== 1 && ckpt.version !== CHECKPOINT_VERSION)
    return `checkpoint version ${String(ckpt.version)} (expected ${CHECKPOINT_VERSION})`;
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
    'sampler',
    'layout',
  ];
  // A checkpoint from before the sampler and the layout were settings shuffled, in the Caffe layout.
  const made: TrainConfig = { ...ckpt.config, sampler: ckpt.config.sampler ?? 'shuffle', layout: ckpt.config.layout ?? 'caffe' };
  const differ = keys.filter((k) => made[k] !== config[k]);
  if (differ.length) return `the checkpoint was made with another ${differ.join(', ')}`;
  if (ckpt.epoch > config.epochs) return `the checkpoint is at epoch ${ckpt.epoch}, past the run's ${config.epochs} epochs`;
  if (ckpt.partial && ckpt.epoch + 1 > config.epochs)
    return `the checkpoint is within epoch ${ckpt.epoch + 1}, past the run's ${config.epochs} epochs`;
  return null;
}

/** Why a within-epoch position cannot belong to a training split of `n` samples (null: it can). */
export function partialMismatch(p: EpochProgress, n: number, batchSize: number, sampler: Sampler = 'shuffle'): string | null {
  const perEpoch = Math.ceil(n / batchSize);
  if (p.order.length !== n) return `the checkpoint's epoch order has ${p.order.length} samples, the training split ${n}`;
  const hit = new Uint8Array(n);
  for (const i of p.order) {
    if (!(i >= 0 && i < n)) return `the checkpoint's epoch order holds ${i}, not an index of the training split's ${n} samples`;
    // The balanced sampler draws with replacement: only the shuffle's order is a permutation.
    if (hit[i] && sampler === 'shuffle') return "the checkpoint's epoch order is not a permutation of the training split";
    hit[i] = 1;
  }
  if (!Number.isInteger(p.position) || p.position < 0 || p.position > perEpoch)
    return `the checkpoint's position ${p.position} is outside the epoch's ${perEpoch} steps`;
  const seenCount = Math.min(n, p.position * batchSize);
  if (p.seenPreds.length !== seenCount)
    return `the checkpoint has predictions for ${p.seenPreds.length} samples of the epoch, expected ${seenCount}`;
  return null;
}
