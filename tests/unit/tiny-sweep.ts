// The 2×2 sweep of tiny demo runs that the sweep driver's and the tab claims' tests share:
// baseline and EAC at noise 0 and 0.3, one seed, ResNet-18 width 4 at 32 px.
import { createSweep, type SweepSpec, type SweepState } from '../../src/engine/sweep/index.ts';

export const TINY_SWEEP: SweepSpec = {
  methods: ['baseline', 'eac'],
  noiseRates: [0, 0.3],
  seeds: [0],
  config: { arch: 'resnet18', width: 4, size: 32, epochs: 4, batchSize: 16, lr: 0.001 },
  data: { kind: 'demo', seed: 0, trainCount: 32, testCount: 16, noiseRate: 0, noiseSeed: 0 },
};

/** A new queue of TINY_SWEEP. */
export const freshTinySweep = (): SweepState => createSweep(TINY_SWEEP, { id: 's1', name: 'tiny', createdAt: 0 });
