// `eac bench`: EAC training-step throughput (two training passes, loss, backward, Adam) on random
// data, after warm-up steps. Timing lives here, never in tests.
import { choice, int, parse, RANGES } from './args.ts';
import { checkWritable, emitJson, progress } from './output.ts';
import { BACKENDS, setupBackend } from './node-backends.ts';
import { ARCHS } from '../engine/resnet.ts';
import { benchmarkSteps } from '../engine/bench.ts';

export const BENCH_HELP = `eac bench [--arch resnet18|resnet50] [--width N] [--size N] [--batch-size N]
          [--backend cpu|wasm|webgpu] [--steps N] [--warmup N] [--method eac|baseline] [--json] [--out FILE]`;

export async function benchCommand(argv: string[]): Promise<number> {
  const v = parse(argv, {
    arch: { type: 'string' },
    width: { type: 'string' },
    size: { type: 'string' },
    'batch-size': { type: 'string' },
    backend: { type: 'string' },
    steps: { type: 'string' },
    warmup: { type: 'string' },
    method: { type: 'string' },
    json: { type: 'boolean' },
    out: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (v.help) {
    process.stdout.write(BENCH_HELP + '\n');
    return 0;
  }
  if (v.out) checkWritable('out', v.out as string);
  const arch = choice(v, 'arch', ARCHS, 'resnet50');
  const width = int(v, 'width', 64, RANGES.width);
  const size = int(v, 'size', arch === 'resnet50' ? 224 : 112, RANGES.size);
  const batchSize = int(v, 'batch-size', 32, RANGES.batchSize);
  const steps = int(v, 'steps', 5, { min: 1, max: 100_000 });
  const warmup = int(v, 'warmup', 1, { min: 0, max: 100_000 });
  const method = choice(v, 'method', ['eac', 'baseline'] as const, 'eac');
  const backend = await setupBackend(choice(v, 'backend', BACKENDS, 'wasm'));
  progress(
    `bench: ${arch} width ${width}, ${size}px, batch ${batchSize}, ${method}, backend ${backend.backend}${backend.adapter ? ` (${backend.adapter})` : ''}`,
  );

  const r = await benchmarkSteps({ arch, width, size, batchSize, steps, warmup, method }, (i, warm, ms, loss) =>
    progress(`${warm ? 'warm-up' : 'step'} ${i}: ${ms.toFixed(1)} ms (loss ${loss.toFixed(4)})`),
  );
  const result = { ...r, backend: backend.backend, adapter: backend.adapter };
  emitJson(result, { json: !!v.json, out: v.out as string | undefined });
  if (!v.json) progress(`median ${result.msPerStep.toFixed(1)} ms/step, ${result.imagesPerSecond.toFixed(2)} images/s`);
  return 0;
}
