// What a training run produces, step by step and epoch by epoch, and how it ends: plain data the
// trainer emits, the workers post, the stores keep and the charts draw. A leaf module (types and
// pure functions only) so that every layer can name these without loading the training loop.
import type { TrainConfig } from './config.ts';
import type { EvalReport } from './evaluate.ts';
import { meanOfLast } from './metrics.ts';

export interface StepLog {
  step: number;
  epoch: number;
  loss: number;
  ce: number;
  consistency: number;
}

export interface EpochMetrics {
  epoch: number;
  steps: number;
  loss: number;
  ce: number;
  consistency: number;
  /** Training accuracy of view 1's predictions (before each update) against the training labels. */
  trainAccNoisy: number;
  /** … and against the clean labels. */
  trainAccClean: number;
  /** Of the label-flipped training samples: share predicted as the noisy label / the true label. */
  memorisation: { flipped: number; predictedNoisy: number | null; predictedClean: number | null };
  /**
   * The same predictions as counts, confusion[label][pred], against the training labels (`noisy`)
   * and the true ones (`clean`). Absent in runs from before it was kept, and above
   * TRAIN_CONFUSION_MAX_CLASSES (metrics.ts) classes.
   */
  trainConfusion?: { noisy: number[][]; clean: number[][] };
  testAcc: number;
  test: EvalReport;
  lr: number;
  seconds: number;
  imagesPerSecond: number;
}

export interface RunSummary {
  /** The paper's figure: mean test accuracy of the last 5 epochs. */
  testAccLast5: number | null;
  finalTestAcc: number | null;
  bestTestAcc: number | null;
  epochs: number;
  steps: number;
  seconds: number;
  stoppedBy: 'completed' | 'max-steps' | 'cancelled';
}

export interface RunResult {
  config: TrainConfig;
  /** The dataset's class names; absent: RAF-DB's seven. */
  classes?: string[];
  epochs: EpochMetrics[];
  steps: StepLog[];
  summary: RunSummary;
  /** The steps of an epoch the run was cancelled in (not evaluated); null when none were lost. */
  unfinishedEpoch: UnfinishedEpoch | null;
}

/** What a cancelled epoch measured before it stopped: its steps are in the model, so they are reported. */
export type UnfinishedEpoch = Pick<EpochMetrics, 'epoch' | 'steps' | 'loss' | 'ce' | 'consistency' | 'trainAccNoisy' | 'trainAccClean'>;

/** Where a step's time goes, over the epoch so far (the Backend panel shows it). */
export interface StepTiming {
  stepsPerSecond: number;
  /** Wall milliseconds per step over the epoch, and the JavaScript part of a step (encoding it, or replaying the step program; a moving average). */
  stepMs: number;
  javascriptMs: number;
  /** How the last step was taken: replayed from the step program (WebGPU), or through tfjs's ops. */
  how: 'replayed' | 'ops';
  /** A GPU backend: encoding and computing are apart (on wasm and cpu a step computes while it is encoded). */
  gpu: boolean;
  /** Why steps are not replayed (null while they are, or are about to be). */
  notReplayed: string | null;
}

export interface TrainProgress {
  timing?: StepTiming;
  epoch: number;
  epochs: number;
  step: number; // optimiser steps so far (whole run)
  stepInEpoch: number;
  stepsPerEpoch: number;
  totalSteps: number;
  imagesPerSecond: number;
  etaSeconds: number | null;
  last: StepLog;
}

/**
 * The one way a run's summary is computed, from the test accuracies of its evaluated epochs: by
 * the trainer at the end of a run, and by the training worker for a run stopped mid-evaluation.
 */
export function summarizeRun(testAccs: readonly number[], steps: number, seconds: number, stoppedBy: RunSummary['stoppedBy']): RunSummary {
  return {
    testAccLast5: meanOfLast(testAccs, 5),
    finalTestAcc: testAccs.length ? testAccs[testAccs.length - 1] : null,
    bestTestAcc: testAccs.length ? Math.max(...testAccs) : null,
    epochs: testAccs.length,
    steps,
    seconds,
    stoppedBy,
  };
}
