// A training run's full configuration, with the official code's values as defaults.
import { LAYOUTS, type Arch, type Layout } from './resnet-layout.ts';
import { PIPELINE_DEFAULTS, type AugmentMode, type ErasingMode } from './augment.ts';
import { TrainError } from './errors.ts';
import { CONFIG_LIMITS } from './limits.ts';
import { SAMPLERS, type Sampler } from './sampler.ts';

export type Method = 'eac' | 'baseline';

export interface TrainConfig {
  arch: Arch;
  /**
   * ResNet-50's layout (resnet-layout.ts): `caffe`, the face weights' (stride on the first 1×1
   * conv); `torchvision`, ImageNet weights' (stride on the 3×3). ResNet-18 ignores it. Absent
   * from runs and checkpoints made before it: read as `caffe`.
   */
  layout: Layout;
  /** Backbone width (64 = the real network; smaller for demos and tests). */
  width: number;
  method: Method;
  /** λ, the weight of the consistency loss. */
  lam: number;
  epochs: number;
  /** Stop after this many optimiser steps in total (null: run all epochs). */
  maxSteps: number | null;
  batchSize: number;
  lr: number;
  weightDecay: number;
  /** ExponentialLR factor, applied at the end of every epoch. */
  gamma: number;
  /** Input size (square). */
  size: number;
  seed: number;
  augment: AugmentMode;
  erasing: ErasingMode;
  shuffle: boolean;
  /**
   * Which images an epoch visits (sampler.ts): `shuffle`, each once (shuffled unless `shuffle`
   * is off); `balanced`, as many draws with replacement, each class equally likely (by the
   * training labels). Absent from runs and checkpoints made before it: read as `shuffle`.
   */
  sampler: Sampler;
  evalBatchSize: number;
}

/** The official recipe; ResNet-18 differs only in its learning rate (2e-4). */
export function defaultTrainConfig(arch: Arch = 'resnet50'): TrainConfig {
  return {
    arch,
    layout: 'caffe',
    width: 64,
    method: 'eac',
    lam: 5,
    epochs: 60,
    maxSteps: null,
    batchSize: 32,
    lr: arch === 'resnet18' ? 2e-4 : 1e-4,
    weightDecay: 1e-4,
    gamma: 0.9,
    size: PIPELINE_DEFAULTS.size,
    seed: 0,
    augment: 'full',
    erasing: 'independent',
    shuffle: true,
    sampler: 'shuffle',
    evalBatchSize: 64,
  };
}

export { CONFIG_LIMITS, checkpointSecondsOk } from './limits.ts';

/** Throws a one-line reason for any value the engine cannot run with. */
export function validateTrainConfig(c: TrainConfig): void {
  const bad = (msg: string): never => {
    throw new TrainError('config', `invalid configuration: ${msg}`);
  };
  if (c.arch !== 'resnet50' && c.arch !== 'resnet18') bad(`arch must be resnet50 or resnet18, got ${String(c.arch)}`);
  if (!LAYOUTS.includes(c.layout)) bad(`layout must be caffe or torchvision, got ${String(c.layout)}`);
  if (c.method !== 'eac' && c.method !== 'baseline') bad(`method must be eac or baseline, got ${String(c.method)}`);
  const intIn = (name: string, v: number, [lo, hi]: readonly [number, number]) =>
    (!Number.isInteger(v) || v < lo || v > hi) && bad(`${name} must be an integer in [${lo}, ${hi}], got ${v}`);
  intIn('width', c.width, CONFIG_LIMITS.width);
  intIn('epochs', c.epochs, CONFIG_LIMITS.epochs);
  intIn('batch size', c.batchSize, CONFIG_LIMITS.batchSize);
  intIn('eval batch size', c.evalBatchSize, CONFIG_LIMITS.batchSize);
  if (c.maxSteps !== null) intIn('max steps', c.maxSteps, CONFIG_LIMITS.steps);
  intIn('size', c.size, CONFIG_LIMITS.size);
  if (!(c.lr > 0) || !Number.isFinite(c.lr)) bad(`learning rate must be > 0, got ${c.lr}`);
  if (!(c.weightDecay >= 0) || !Number.isFinite(c.weightDecay)) bad(`weight decay must be ≥ 0 and finite, got ${c.weightDecay}`);
  if (!(c.gamma > 0 && c.gamma <= 1)) bad(`gamma must be in (0, 1], got ${c.gamma}`);
  if (!(c.lam >= 0) || !Number.isFinite(c.lam)) bad(`lambda must be ≥ 0, got ${c.lam}`);
  // The generators are seeded from 32 bits: a larger seed would alias a smaller one.
  if (!Number.isInteger(c.seed) || c.seed < 0 || c.seed > 0xffffffff) bad(`seed must be an integer in [0, 4294967295], got ${c.seed}`);
  if (c.augment !== 'full' && c.augment !== 'none') bad(`augment must be full or none, got ${String(c.augment)}`);
  if (c.erasing !== 'independent' && c.erasing !== 'mirrored') bad(`erasing must be independent or mirrored, got ${String(c.erasing)}`);
  if (!SAMPLERS.includes(c.sampler)) bad(`sampler must be shuffle or balanced, got ${String(c.sampler)}`);
  if (c.sampler === 'balanced' && !c.shuffle) bad('the balanced sampler draws at random: it cannot run with shuffle off');
}
