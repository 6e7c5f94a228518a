// `eac bench`: EAC training-step throughput (two training passes, loss, backward, Adam) on random
// data, after warm-up steps. Timing lives here, never in tests.
import { choice, num, parse, positiveInt } from './args.ts';
import { emitJson, progress } from './output.ts';
import { BACKENDS, setupBackend } from './node-backends.ts';
import { ARCHS, createModel, disposeModel } from '../engine/resnet.ts';
import { Adam, ADAM_DEFAULTS } from '../engine/optim.ts';
import { trainStep } from '../engine/step.ts';
import { Rng } from '../engine/rng.ts';
import { tf, type Tensor4D } from '../engine/tf.ts';

export const BENCH_HELP = `eac bench [--arch resnet18|resnet50] [--width N] [--size N] [--batch-size N]
          [--backend cpu|wasm|webgpu] [--steps N] [--warmup N] [--method eac|baseline] [--json] [--out FILE]`;

export async function benchCommand(argv: string[]): Promise<number> {
  const v = parse(argv, {
    arch: { type: 'string' }, width: { type: 'string' }, size: { type: 'string' }, 'batch-size': { type: 'string' },
    backend: { type: 'string' }, steps: { type: 'string' }, warmup: { type: 'string' }, method: { type: 'string' },
    json: { type: 'boolean' }, out: { type: 'string' }, help: { type: 'boolean', short: 'h' },
  });
  if (v.help) {
    process.stdout.write(BENCH_HELP + '\n');
    return 0;
  }
  const arch = choice(v, 'arch', ARCHS, 'resnet50');
  const width = num(v, 'width', 64, positiveInt, 'a positive integer');
  const size = num(v, 'size', arch === 'resnet50' ? 224 : 112, (x) => Number.isInteger(x) && x >= 32, 'an integer ≥ 32');
  const batchSize = num(v, 'batch-size', 32, positiveInt, 'a positive integer');
  const steps = num(v, 'steps', 5, positiveInt, 'a positive integer');
  const warmup = num(v, 'warmup', 1, (x) => Number.isInteger(x) && x >= 0, 'a non-negative integer');
  const method = choice(v, 'method', ['eac', 'baseline'] as const, 'eac');
  const backend = await setupBackend(choice(v, 'backend', BACKENDS, 'wasm'));
  progress(`bench: ${arch} width ${width}, ${size}px, batch ${batchSize}, ${method}, backend ${backend.backend}${backend.adapter ? ` (${backend.adapter})` : ''}`);

  const rng = new Rng(0);
  const model = createModel({ arch, width, numClasses: 7 }, rng);
  const opt = new Adam(model.trainable, { ...ADAM_DEFAULTS, lr: 1e-4 });
  const x1 = tf.randomNormal([batchSize, size, size, 3], 0, 1, 'float32', 1) as Tensor4D;
  const x2 = tf.reverse(x1, 2) as Tensor4D;
  const labels = Int32Array.from({ length: batchSize }, (_, i) => i % 7);
  const times: number[] = [];
  for (let i = 0; i < warmup + steps; i++) {
    const t0 = performance.now();
    const r = await trainStep(model, opt, { x1, x2, labels }, method, 5); // awaits the read-back: the GPU has finished
    const ms = performance.now() - t0;
    if (i >= warmup) times.push(ms);
    progress(`${i < warmup ? 'warm-up' : 'step'} ${i < warmup ? i + 1 : i - warmup + 1}: ${ms.toFixed(1)} ms (loss ${r.loss.toFixed(4)})`);
  }
  tf.dispose([x1, x2]);
  opt.dispose();
  disposeModel(model);
  const sorted = [...times].sort((a, b) => a - b);
  const msPerStep = sorted[Math.floor(sorted.length / 2)];
  const result = {
    arch, width, size, batchSize, backend: backend.backend, adapter: backend.adapter, method, steps,
    msPerStep, meanMsPerStep: times.reduce((a, b) => a + b, 0) / times.length, imagesPerSecond: (batchSize * 1000) / msPerStep,
  };
  emitJson(result, { json: !!v.json, out: v.out as string | undefined });
  if (!v.json) progress(`median ${msPerStep.toFixed(1)} ms/step, ${result.imagesPerSecond.toFixed(2)} images/s`);
  return 0;
}
