// `eac bench`: EAC training-step throughput (two training passes, loss, backward, Adam) on random
// data, after warm-up steps, with each step's cost: kernels, WebGPU dispatches, read-backs, peak
// buffer bytes, JavaScript encode time. `--plan` runs WebGPU on Dawn's Null adapter: everything
// is validated and encoded, nothing executes, so dispatches and encode time of any size come
// without a GPU (the numbers read back are meaningless there). Timing lives here, never in tests.
import { choice, int, parse, RANGES } from './args.ts';
import { checkWritable, emitJson, progress } from './output.ts';
import { BACKENDS, setupBackend } from './node-backends.ts';
import { ARCHS, describeResNet } from '../engine/resnet.ts';
import { benchmarkSteps, type StepCost } from '../engine/bench.ts';
import { stepMemoryPlan } from '../engine/step-plan.ts';
import { bytesText } from '../engine/format.ts';

export const BENCH_HELP = `eac bench [--arch resnet18|resnet50] [--width N] [--size N] [--batch-size N]
          [--backend cpu|wasm|webgpu] [--plan] [--no-replay] [--gpu-profile] [--recompute]
          [--steps N] [--warmup N] [--method eac|baseline] [--json] [--out FILE]
  --plan    WebGPU on Dawn's Null adapter: dispatches, read-backs, peak bytes and encode time
            without executing anything (any size, no GPU needed)
  --no-replay  WebGPU: every step through tfjs's ops (default: the first steps are recorded,
            then replayed from the step program), for comparison
  --recompute  EAC: recompute pass 1's forward after pass 2's backward (one pass's activations
            alive at a time: about half the memory, about a sixth more work, the same results)
  --gpu-profile  WebGPU with timestamp queries: one more replayed step, each dispatch timed on
            the GPU, summed per kernel class (conv forward, gradients, BatchNorm, Adam, …)`;

const gib = (b: number) => bytesText(b, 'binary');

function describeCost(c: StepCost): string {
  const g = c.gpu;
  return [
    `${c.ms.toFixed(1)} ms`,
    `${c.replayed ? 'replayed, ' : ''}JavaScript ${c.encodeMs.toFixed(1)} ms`,
    c.replayed ? null : `${c.kernels} kernels`,
    c.dispatches === null ? null : `${c.dispatches} dispatches`,
    g &&
      `${g.passes} passes, ${g.submits} submits, ${g.bindGroups} bind groups, ${g.pipelines} pipelines, ${g.buffers} buffers made, ${g.uniformWrites} uniform writes`,
    `${c.readBacks} read-back${c.readBacks === 1 ? '' : 's'}`,
    c.replayed ? null : `peak ${gib(c.peakBytes)} (step ${gib(c.stepPeakBytes)})`,
    c.deviceBytes === null ? null : `device buffers ${gib(c.deviceBytes)}`,
  ]
    .filter(Boolean)
    .join(', ');
}

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
    plan: { type: 'boolean' },
    'no-replay': { type: 'boolean' },
    'gpu-profile': { type: 'boolean' },
    recompute: { type: 'boolean' },
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
  const plan = !!v.plan;
  const steps = int(v, 'steps', plan ? 1 : 5, { min: 1, max: 100_000 });
  const warmup = int(v, 'warmup', 1, { min: 0, max: 100_000 });
  const method = choice(v, 'method', ['eac', 'baseline'] as const, 'eac');
  const backendName = plan ? 'webgpu' : choice(v, 'backend', BACKENDS, 'wasm');
  if (plan && v.backend !== undefined && v.backend !== 'webgpu')
    progress(`bench: --plan runs WebGPU on Dawn's Null adapter; --backend ${String(v.backend)} ignored`);
  const backend = await setupBackend(backendName, { nullAdapter: plan });
  progress(
    `bench: ${arch} width ${width}, ${size}px, batch ${batchSize}, ${method}, backend ${backend.backend}${plan ? ' (Dawn Null adapter: nothing executes)' : backend.adapter ? ` (${backend.adapter})` : ''}`,
  );
  const memory = stepMemoryPlan(
    describeResNet({ arch, width, numClasses: 7 }),
    batchSize,
    size,
    method,
    backendName === 'webgpu' ? 'gpu' : 'cpu',
    !!v.recompute,
  );
  progress(
    `bench: planned peak (explicit backward) ${gib(memory.totalPeakBytes)}: state ${gib(memory.stateBytes)}, saved ${gib(memory.keptPasses * memory.savedBytesPerPass)}${memory.keptPasses < memory.passes ? ' (pass 1 recomputed)' : ''}, one layer ${gib(memory.layerTempBytes)}`,
  );

  const replay = !v['no-replay'];
  const gpuProfile = !!v['gpu-profile'];
  const recomputePass1 = !!v.recompute;
  const r = await benchmarkSteps(
    { arch, width, size, batchSize, steps, warmup, method, replay, gpuProfile, recomputePass1 },
    (i, warm, _ms, loss, cost) =>
      progress(`${warm ? 'warm-up' : 'step'} ${i}: ${describeCost(cost)}${plan ? '' : ` (loss ${loss.toFixed(4)})`}`),
  );
  const result = { ...r, backend: backend.backend, adapter: backend.adapter, plan, memoryPlan: memory };
  emitJson(result, { json: !!v.json, out: v.out as string | undefined });
  if (!v.json) {
    progress(`median: ${describeCost(r.median)}`);
    const p = r.program;
    if (p.mode === 'replay' && p.plannedBytes !== null)
      progress(
        `step program: ${p.replayed} replayed, ${p.opSteps} through tfjs; plan ${gib(p.plannedBytes)} in ${p.buffers} buffers (live peak ${gib(p.liveBytes!)}); most device memory held ${gib(r.peakDeviceBytes ?? 0)}`,
      );
    else if (backend.backend === 'webgpu')
      progress(`step program: not replayed (${p.notReplayed ?? 'too few steps: the third step is the first replayed'})`);
    if (!plan) progress(`median ${result.msPerStep.toFixed(1)} ms/step, ${result.imagesPerSecond.toFixed(2)} images/s`);
    const g = r.gpuTimes;
    if (g && 'unavailable' in g) progress(`GPU profile: none (${g.unavailable})`);
    else if (g) {
      progress(
        `GPU time of one replayed step, a compute pass per dispatch${plan ? ' (Null adapter: nothing ran, times are meaningless)' : ''}:`,
      );
      for (const c of g.byClass)
        progress(
          `  ${c.kernelClass.padEnd(50)} ${c.ms.toFixed(2).padStart(10)} ms ${((100 * c.ms) / g.totalMs).toFixed(1).padStart(5)}%  (${c.dispatches} dispatches)`,
        );
      progress(`  ${'all'.padEnd(50)} ${g.totalMs.toFixed(2).padStart(10)} ms`);
    }
  }
  return 0;
}
