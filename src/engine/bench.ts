// Training-step throughput and cost: EAC (or baseline) steps on random inputs after warm-up
// steps, each timed to the end of its read-back (so the GPU has finished), with what each step
// cost the engine (src/engine/meter.ts): kernels, WebGPU dispatches, read-backs, peak buffer
// bytes, and the JavaScript time to encode it (everything up to the read-back). Shared by
// `eac bench` and the browser benchmark page; timing belongs here, never in tests.
import { tf, type Tensor4D } from './tf.ts';
import { createModel, disposeModel, type Arch } from './resnet.ts';
import { Adam, ADAM_DEFAULTS } from './optim.ts';
import { kernelsFor } from './kernel-table.ts';
import { readStep } from './step.ts';
import { StepProgram, type StepProgramReport } from './step-program/step-program.ts';
import { countGpuCalls, type GpuCallCounts } from './gpu-counters.ts';
import { timeByClass, type ClassTime } from './step-program/kernel-classes.ts';
import { meter } from './meter.ts';
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
  /** WebGPU: replay recorded steps (default true); false runs every step through tfjs's ops. */
  replay?: boolean;
  /** EAC: recompute pass 1's forward (step.ts StepMemoryOptions). */
  recomputePass1?: boolean;
  /** WebGPU with timestamp queries: after the timed steps, one more step profiled per dispatch. */
  gpuProfile?: boolean;
}

/** What one step cost. */
export interface StepCost {
  ms: number;
  /** JavaScript time to encode the step (on cpu/wasm: to run it), before the read-back. */
  encodeMs: number;
  kernels: number;
  /** WebGPU programs dispatched (null elsewhere). */
  dispatches: number | null;
  readBacks: number;
  /** Peak of live tensor buffers during the step, all included (parameters, Adam, inputs). */
  peakBytes: number;
  /** The same, less what was alive when the step started. */
  stepPeakBytes: number;
  /** Whether the step was replayed from the step program (WebGPU). */
  replayed: boolean;
  /** WebGPU calls the step made: bind groups, pipelines and buffers created, writes, passes, submits (null elsewhere). */
  gpu: GpuCallCounts | null;
  /** WebGPU: bytes of device buffers held after the step (tfjs's pool and the step program's buffers). */
  deviceBytes: number | null;
}

export interface BenchResult extends BenchOptions {
  /** Median over the timed steps. */
  msPerStep: number;
  meanMsPerStep: number;
  imagesPerSecond: number;
  stepMs: number[];
  /** Per timed step. */
  costs: StepCost[];
  /** Medians of the timed steps' costs. */
  median: StepCost;
  /** The step program: replayed or not (and why), its plan's bytes and counts. */
  program: StepProgramReport;
  /** The largest `deviceBytes` over all steps, warm-up included (null off WebGPU). */
  peakDeviceBytes: number | null;
  /** GPU time per kernel class of one replayed step (`gpuProfile`), or why there is none. */
  gpuTimes: { byClass: ClassTime[]; totalMs: number } | { unavailable: string } | null;
}

function medianOf(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

export async function benchmarkSteps(
  o: BenchOptions,
  onStep?: (i: number, warmup: boolean, ms: number, loss: number, cost: StepCost) => void,
): Promise<BenchResult> {
  const model = createModel({ arch: o.arch, width: o.width, numClasses: 7 }, new Rng(0));
  const kernels = kernelsFor(tf.getBackend());
  const opt = new Adam(model.trainable, { ...ADAM_DEFAULTS, lr: 1e-4 }, kernels.adam);
  const x1 = tf.randomNormal([o.batchSize, o.size, o.size, 3], 0, 1, 'float32', 1) as Tensor4D;
  const x2 = tf.reverse(x1, 2) as Tensor4D;
  const labels = Int32Array.from({ length: o.batchSize }, (_, i) => i % 7);
  const costs: StepCost[] = [];
  const program = new StepProgram(model, opt, o.method, 5, kernels, {
    replay: o.replay !== false,
    memory: { recomputePass1: o.recomputePass1 },
  });
  let peakDeviceBytes: number | null = null;
  let gpuTimes: BenchResult['gpuTimes'] = null;
  try {
    for (let i = 0; i < o.warmup + o.steps; i++) {
      const replays = program.report.replayed;
      const t0 = performance.now();
      let encodeMs = 0;
      const {
        result: { result: r, reading },
        counts,
      } = await countGpuCalls(() =>
        meter(async () => {
          const e = program.encode({ x1, x2, labels });
          encodeMs = performance.now() - t0;
          return readStep(e);
        }),
      );
      const replayed = program.report.replayed > replays;
      const deviceBytes = program.deviceBytes();
      if (deviceBytes !== null) peakDeviceBytes = Math.max(peakDeviceBytes ?? 0, deviceBytes);
      const cost: StepCost = {
        ms: performance.now() - t0,
        encodeMs,
        kernels: reading.kernels,
        dispatches: replayed ? program.report.counts!.dispatches : reading.dispatches,
        readBacks: reading.readBacks,
        peakBytes: reading.peakBytes,
        stepPeakBytes: reading.peakBytes - reading.startBytes,
        replayed,
        gpu: counts,
        deviceBytes,
      };
      const warm = i < o.warmup;
      if (!warm) costs.push(cost);
      onStep?.(warm ? i + 1 : i - o.warmup + 1, warm, cost.ms, r.loss, cost);
    }
    if (o.gpuProfile) {
      const profile = await program.profile({ x1, x2, labels });
      gpuTimes = profile
        ? { byClass: timeByClass(profile), totalMs: profile.reduce((a, p) => a + p.ns, 0) / 1e6 }
        : { unavailable: program.report.plans === 0 ? 'no step was replayed' : 'the device has no timestamp queries' };
    }
  } finally {
    program.dispose();
    tf.dispose([x1, x2]);
    opt.dispose();
    disposeModel(model);
  }
  const times = costs.map((c) => c.ms);
  const msPerStep = medianOf(times);
  const med = (f: (c: StepCost) => number) => medianOf(costs.map(f));
  return {
    ...o,
    msPerStep,
    meanMsPerStep: times.reduce((a, b) => a + b, 0) / times.length,
    imagesPerSecond: (o.batchSize * 1000) / msPerStep,
    stepMs: times,
    costs,
    median: {
      ms: msPerStep,
      encodeMs: med((c) => c.encodeMs),
      kernels: med((c) => c.kernels),
      dispatches: costs[0]?.dispatches === null ? null : med((c) => c.dispatches ?? 0),
      readBacks: med((c) => c.readBacks),
      peakBytes: med((c) => c.peakBytes),
      stepPeakBytes: med((c) => c.stepPeakBytes),
      replayed: costs.length > 0 && costs.every((c) => c.replayed),
      gpu: costs[0]?.gpu ? medianCounts(costs.map((c) => c.gpu!)) : null,
      deviceBytes: costs[0]?.deviceBytes === null ? null : med((c) => c.deviceBytes ?? 0),
    },
    program: { ...program.report },
    peakDeviceBytes,
    gpuTimes,
  };
}

function medianCounts(cs: GpuCallCounts[]): GpuCallCounts {
  const keys = Object.keys(cs[0]) as (keyof GpuCallCounts)[];
  return Object.fromEntries(keys.map((k) => [k, medianOf(cs.map((c) => c[k]))])) as unknown as GpuCallCounts;
}
