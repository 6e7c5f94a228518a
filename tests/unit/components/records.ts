// Stored runs for component tests: a finished demo run with the test accuracies given, one per epoch.
import type { EpochMetrics } from '../../../src/engine/run-types.ts';
import type { RunRecord } from '../../../src/storage/run-store.ts';

function epoch(n: number, testAcc: number): EpochMetrics {
  return {
    epoch: n,
    steps: 2,
    loss: 1,
    ce: 1,
    consistency: 0.1,
    trainAccNoisy: 0.2,
    trainAccClean: 0.2,
    memorisation: { flipped: 3, predictedNoisy: 0.1, predictedClean: 0.05 },
    testAcc,
    test: { accuracy: testAcc, perClassAccuracy: [testAcc, null, 0, 0, 0, 0, 1], confusion: [[1]] },
    lr: 1e-3,
    seconds: 1.5,
    imagesPerSecond: 20,
  } as EpochMetrics;
}

export function storedRun(key: string, method: 'eac' | 'baseline', noiseRate: number, accs: number[]): RunRecord {
  return {
    key,
    name: key,
    createdAt: new Date(2026, 0, 1).toISOString(),
    updatedAt: '',
    status: 'done',
    request: {
      config: {
        arch: 'resnet18',
        width: 4,
        method,
        lam: 5,
        epochs: 10,
        maxSteps: null,
        batchSize: 16,
        lr: 1e-3,
        weightDecay: 1e-4,
        gamma: 0.9,
        size: 32,
        seed: 0,
        augment: 'full',
        erasing: 'independent',
        shuffle: true,
        evalBatchSize: 50,
      },
      data: { kind: 'demo', seed: 0, trainCount: 32, testCount: 16, noiseRate, noiseSeed: 0 },
      weights: null,
      attention: { count: 4, seed: 0 },
    },
    epochs: accs.map((a, i) => epoch(i + 1, a)),
    checkpointEpoch: null,
    summary: null,
    error: null,
  } as RunRecord;
}
