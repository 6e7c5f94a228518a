// How long a run will take on this device, and the nearest settings that fit both its memory and
// a sensible time: from one measured speed (images/s of some model on the backend, the probe's),
// scaled to other models by their convolution work, to the time per epoch and per run; then a
// few fixes, each a set of changes that a click applies, saying how it differs from the paper's
// recipe. Pure and deterministic: the training worker computes them when it refuses a run, the
// tests pin them here.
import type { Method } from './config.ts';
import { poolOutSize } from './layers.ts';
import { memoryFit, type DeviceMemory } from './memory-fit.ts';
import { describeResNet, type Arch } from './resnet-layout.ts';
import { FIX_SIZES } from './run-limits.ts';

export { FIX_SIZES, standInShape } from './run-limits.ts';

/** The parts of a run its speed and time depend on. */
export interface RunShape {
  arch: Arch;
  width: number;
  size: number;
  batchSize: number;
  method: Method;
  epochs: number;
}

/** The paper's recipe (../shared/docs/eac-recipe.md), what each fix is compared with. */
export const PAPER_RECIPE: Readonly<RunShape> = { arch: 'resnet50', width: 64, size: 224, batchSize: 32, method: 'eac', epochs: 60 };

/** A run longer than this is not a sensible fix (offered only when nothing shorter fits, and said so). */
export const SENSIBLE_RUN_SECONDS = 2 * 3600;
/** Fewer epochs than this show no trend: a fix that must cut below it is not offered. */
export const MIN_FIX_EPOCHS = 5;
/** The cheapest fix's first step should come within this: its batch is lowered (not below 8) until it does. */
export const QUICK_FIRST_STEP_SECONDS = 30;
/** At most this many fixes are offered. */
export const MAX_FIXES = 3;

/** Multiply-accumulates of one image's forward pass through the network's convolutions. */
export function forwardMacs(arch: Arch, width: number, size: number): number {
  const spec = describeResNet({ arch, width, numClasses: 7 });
  const out = (n: number, k: number, stride: number, pad: number) => Math.floor((n + 2 * pad - k) / stride) + 1;
  let n = out(size, spec.stem.k, spec.stem.stride, spec.stem.pad);
  let macs = n * n * spec.stem.k ** 2 * spec.stem.cin * spec.stem.cout;
  n = poolOutSize(n, spec.pool.k, spec.pool.stride, spec.pool.pad, spec.pool.ceil);
  for (const block of spec.blocks) {
    const input = n;
    let m = n;
    for (const { conv } of block.convs) {
      m = out(m, conv.k, conv.stride, conv.pad);
      macs += m * m * conv.k ** 2 * conv.cin * conv.cout;
    }
    const d = block.downsample?.conv;
    if (d) {
      const dn = out(input, d.k, d.stride, d.pad);
      macs += dn * dn * d.cin * d.cout;
    }
    n = m;
  }
  return macs + spec.featureChannels * 7;
}

/** One image's share of a training step, in forward-pass MACs: forward and backward (×3), twice for EAC's two views. */
export function imageWork(s: Pick<RunShape, 'arch' | 'width' | 'size' | 'method'>): number {
  return forwardMacs(s.arch, s.width, s.size) * 3 * (s.method === 'eac' ? 2 : 1);
}

/** A speed measured on this device: images/s of one model, and its first (warm-up) step. */
export interface MeasuredSpeed {
  shape: Omit<RunShape, 'epochs'>;
  imagesPerSecond: number;
  /** The first step's time (allocation, kernel compilation); null: not measured. */
  warmupMs: number | null;
}

/** The measured speed carried over to another model: the same work per second. */
export function scaledSpeed(measured: MeasuredSpeed, target: Pick<RunShape, 'arch' | 'width' | 'size' | 'method'>): number {
  return (measured.imagesPerSecond * imageWork(measured.shape)) / imageWork(target);
}

export interface RunTime {
  imagesPerSecond: number;
  epochSeconds: number;
  runSeconds: number;
  /** The first step: the measured warm-up, scaled with the step's work (a step at least). */
  firstStepSeconds: number;
}

/** The time of `shape` on `trainCount` images at the measured speed (whole batches, as the trainer drops none). */
export function estimateRun(shape: RunShape, trainCount: number, measured: MeasuredSpeed): RunTime {
  const ips = scaledSpeed(measured, shape);
  const images = Math.ceil(trainCount / shape.batchSize) * shape.batchSize;
  const epochSeconds = images / ips;
  const stepSeconds = shape.batchSize / ips;
  const warmRatio = measured.warmupMs !== null ? measured.warmupMs / 1000 / (measured.shape.batchSize / measured.imagesPerSecond) : 1;
  return {
    imagesPerSecond: ips,
    epochSeconds,
    runSeconds: epochSeconds * shape.epochs,
    firstStepSeconds: stepSeconds * Math.max(1, warmRatio),
  };
}

/** What a fix changes, by the lab's field names (trainCount: the demo faces drawn). */
export type FixChanges = Partial<Pick<RunShape, 'arch' | 'size' | 'batchSize' | 'epochs'>> & { trainCount?: number };

/**
 * Demo faces a fix trains on at most: they are drawn, not the paper's data, so fewer is no
 * departure from the recipe; fewer images draw sooner and leave more epochs in the time.
 */
export const DEMO_FIX_IMAGES = 960;

/** The training data a run's time depends on: how many images, and whether they are demo faces (a fix may draw fewer). */
export interface RunData {
  trainCount: number;
  demo: boolean;
}

export interface RunFix extends RunTime {
  changes: FixChanges;
  shape: RunShape;
  /** How the fixed run differs from the paper's recipe: 'backbone', 'size', 'batch', 'epochs', 'width', 'method'. */
  differs: string[];
  /** "ResNet-18 · 96 px · batch 32 · 10 epochs" (and "· 960 demo faces" where it draws fewer). */
  label: string;
  /** The training images it trains on. */
  trainCount: number;
  /** Within SENSIBLE_RUN_SECONDS; false only when no fix is (each is then as short as MIN_FIX_EPOCHS allows). */
  sensible: boolean;
}

const ARCH_TEXT: Record<Arch, string> = { resnet18: 'ResNet-18', resnet50: 'ResNet-50' };

/** The run's settings in a few words. */
export function shapeLabel(s: RunShape): string {
  const width = s.width === 64 ? '' : ` width ${s.width}`;
  return `${ARCH_TEXT[s.arch]}${width} · ${s.size} px · batch ${s.batchSize} · ${s.epochs} epoch${s.epochs === 1 ? '' : 's'}`;
}

/** Where `s` departs from the paper's recipe. */
export function differsFromPaper(s: RunShape): string[] {
  const p = PAPER_RECIPE;
  const out: string[] = [];
  if (s.arch !== p.arch) out.push('backbone');
  if (s.width !== p.width) out.push('width');
  if (s.size !== p.size) out.push('size');
  if (s.batchSize !== p.batchSize) out.push('batch');
  if (s.epochs !== p.epochs) out.push('epochs');
  if (s.method !== p.method) out.push('method');
  return out;
}

/** Whether a run of this length is sensible on this device (SENSIBLE_RUN_SECONDS). */
export function sensibleTime(t: Pick<RunTime, 'runSeconds'>): boolean {
  return t.runSeconds <= SENSIBLE_RUN_SECONDS;
}

/**
 * The fixes for a run that does not fit `memory` or a sensible time at `measured` speed: smaller
 * input sizes (FIX_SIZES, not below 96 px), ResNet-18 instead of ResNet-50, the largest batch that
 * fits (not above the asked one), and as many epochs as fit SENSIBLE_RUN_SECONDS (not below
 * MIN_FIX_EPOCHS). Offered: the one closest to the asked run (the backbone kept before the size,
 * the size before the epochs), the closest with the other backbone, and the cheapest (the
 * quickest first step, its batch lowered until that step is estimated within
 * QUICK_FIRST_STEP_SECONDS); at most MAX_FIXES, closest first. When none fits a sensible time, only
 * the cheapest, at MIN_FIX_EPOCHS, marked not sensible. Empty when nothing fits memory. On demo
 * faces, every fix draws at most DEMO_FIX_IMAGES.
 */
export function runFixes(asked: RunShape, data: RunData, memory: DeviceMemory, measured: MeasuredSpeed): RunFix[] {
  const trainCount = data.demo ? Math.min(data.trainCount, DEMO_FIX_IMAGES) : data.trainCount;
  const archs: Arch[] = asked.arch === 'resnet50' ? ['resnet50', 'resnet18'] : [asked.arch];
  const sizes = [asked.size, ...FIX_SIZES.filter((s) => s < asked.size)];
  const fewest = Math.min(asked.epochs, MIN_FIX_EPOCHS);
  // In order of closeness: the asked backbone first, then larger sizes first.
  const candidates: RunFix[] = [];
  const candidate = (arch: Arch, size: number, batchSize: number): RunFix | null => {
    const base = { ...asked, arch, size, batchSize };
    const oneEpoch = estimateRun({ ...base, epochs: 1 }, trainCount, measured);
    const epochs = Math.max(fewest, Math.min(asked.epochs, Math.floor(SENSIBLE_RUN_SECONDS / oneEpoch.epochSeconds)));
    const shape = { ...base, epochs };
    const changes: FixChanges = {};
    if (arch !== asked.arch) changes.arch = arch;
    if (size !== asked.size) changes.size = size;
    if (batchSize !== asked.batchSize) changes.batchSize = batchSize;
    if (epochs !== asked.epochs) changes.epochs = epochs;
    if (trainCount !== data.trainCount) changes.trainCount = trainCount;
    if (Object.keys(changes).length === 0) return null;
    const time = estimateRun(shape, trainCount, measured);
    const label = shapeLabel(shape) + (changes.trainCount !== undefined ? ` · ${trainCount} demo faces` : '');
    return { ...time, changes, shape, trainCount, differs: differsFromPaper(shape), label, sensible: sensibleTime(time) };
  };
  for (const arch of archs)
    for (const size of sizes) {
      const fit = memoryFit({ ...asked, arch, size }, memory);
      if (fit.largestBatch === null) continue;
      const c = candidate(arch, size, Math.min(asked.batchSize, fit.largestBatch));
      if (c) candidates.push(c);
    }
  if (candidates.length === 0) return [];
  const cheapestOf = (xs: RunFix[]) => xs.reduce((a, b) => (b.firstStepSeconds < a.firstStepSeconds ? b : a));
  const pool = candidates.filter((c) => c.sensible);
  if (pool.length === 0) return [quick(cheapestOf(candidates))];
  const closest = pool[0];
  const otherArch = pool.find((c) => c.shape.arch !== closest.shape.arch);
  const picked = [closest, otherArch, cheapestOf(pool)].filter((c, i, all): c is RunFix => !!c && all.indexOf(c) === i);
  const out = picked.sort((a, b) => pool.indexOf(a) - pool.indexOf(b)).slice(0, MAX_FIXES);
  out[out.length - 1] = quick(out[out.length - 1]);
  return out;

  /** The cheapest fix with a batch small enough for its first step to come within QUICK_FIRST_STEP_SECONDS (not below 8). */
  function quick(c: RunFix): RunFix {
    if (c.firstStepSeconds <= QUICK_FIRST_STEP_SECONDS || c.shape.batchSize <= 8) return c;
    const batch = Math.max(8, Math.floor((c.shape.batchSize * QUICK_FIRST_STEP_SECONDS) / c.firstStepSeconds / 8) * 8);
    return candidate(c.shape.arch, c.shape.size, batch) ?? c;
  }
}

/** A run that fits but whose measured remaining time passes this is flagged while it trains, with fixes. */
export const LONG_RUN_SECONDS = 24 * 3600;

/** A run flagged as too long: the speed it trains at, what it will take, and the fixes that fit a sensible time. */
export interface LongRun {
  speed: MeasuredSpeed;
  /** The whole run at that speed. */
  asked: RunTime;
  remainingSeconds: number;
  trainCount: number;
  fixes: RunFix[];
}

/** Where a run stands: its step, of how many, and the ETA measured from its steps after the first (null: measuring). */
export interface RunPace {
  step: number;
  totalSteps: number;
  etaSeconds: number | null;
}

/**
 * The run's own measured pace says it will take more than LONG_RUN_SECONDS: its speed (from the
 * ETA, which leaves the first step's compiling out), the whole run's time and the fixes that fit
 * `memory` (null: nothing known; the step runs, so any smaller one is taken to fit) and a sensible
 * time. Null while measuring, or when the run ends within `limitSeconds`.
 */
export function longRunOf(
  asked: RunShape,
  data: RunData,
  memory: DeviceMemory | null,
  pace: RunPace,
  limitSeconds = LONG_RUN_SECONDS,
): LongRun | null {
  const left = pace.totalSteps - pace.step;
  if (pace.etaSeconds === null || pace.etaSeconds <= limitSeconds || left <= 0) return null;
  const { epochs: _, ...shape } = asked;
  const speed: MeasuredSpeed = { shape, imagesPerSecond: (left * asked.batchSize) / pace.etaSeconds, warmupMs: null };
  const mem = memory ?? { what: 'this device', totalBytes: null, maxBufferBytes: null, device: 'cpu' };
  return {
    speed,
    asked: estimateRun(asked, data.trainCount, speed),
    remainingSeconds: pace.etaSeconds,
    trainCount: data.trainCount,
    fixes: runFixes(asked, data, mem, speed),
  };
}
