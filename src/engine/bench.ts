// Training-step throughput: EAC (or baseline) steps on random inputs after warm-up steps, each
// timed to the end of its read-back (so the GPU has finished). Shared by `eac bench` and the
// browser benchmark page; timing belongs here, never in tests.
import { tf, type Tensor4D } from './tf.ts';
import { createModel, disposeModel, type Arch } from './resnet.ts';
import { Adam, ADAM_DEFAULTS } from './optim.ts';
import { trainStep } from './step.ts';
import { Rng } from './rng.ts';
import type { Method } from './config.ts';

export interface BenchOptions {
  arch: Arch;
  width: number;
  size: number;
  batchSize: number;
  steps: number;
  warmup: number;
  method: Method;
}

export interface BenchResult extends BenchOptions {
  /** Median over the timed steps. */
  msPerStep: number;
  meanMsPerStep: number;
  imagesPerSecond: number;
  stepMs: number[];
}

export async function benchmarkSteps(
  o: BenchOptions,
  onStep?: (i: number, warmup: boolean, ms: number, loss: number) => void,
): Promise<BenchResult> {
  const model = createModel({ arch: o.arch, width: o.width, numClasses: 7 }, new Rng(0));
  const opt = new Adam(model.trainable, { ...ADAM_DEFAULTS, lr: 1e-4 });
  const x1 = tf.randomNormal([o.batchSize, o.size, o.size, 3], 0, 1, 'float32', 1) as Tensor4D;
  const x2 = tf.reverse(x1, 2) as Tensor4D;
  const labels = Int32Array.from({ length: o.batchSize }, (_, i) => i % 7);
  const times: number[] = [];
  try {
    for (let i = 0; i < o.warmup + o.steps; i++) {
      const t0 = performance.now();
      const r = await trainStep(model, opt, { x1, x2, labels }, o.method, 5);
      const ms = performance.now() - t0;
      const warm = i < o.warmup;
      if (!warm) times.push(ms);
      onStep?.(warm ? i + 1 : i - o.warmup + 1, warm, ms, r.loss);
    }
  } finally {
    tf.dispose([x1, x2]);
    opt.dispose();
    disposeModel(model);
  }
  const sorted = [...times].sort((a, b) => a - b);
  const msPerStep = sorted[Math.floor(sorted.length / 2)];
  return {
    ...o,
    msPerStep,
    meanMsPerStep: times.reduce((a, b) => a + b, 0) / times.length,
    imagesPerSecond: (o.batchSize * 1000) / msPerStep,
    stepMs: times,
  };
}
