// Why a Train click cannot start a run, in one sentence, with the one-click fix where there is
// one (the weights' own backbone and width; the demo faces when the chosen dataset is gone; the
// batch that fits; for a run Auto refuses, the settings that fit the device and a sensible time).
// Pure: the run bar shows the problem, runner.ts applies the fix (a batch or run fix also starts
// the run: one click).
import type { Arch } from '../../engine/resnet.ts';
import type { Layout } from '../../engine/resnet-layout.ts';
import type { FixChanges, RunFix } from '../../engine/run-estimate.ts';
import { BACKEND_LABELS, type BackendName, type LongRunNotice, type RunRefusal } from '../../worker/protocol.ts';
import { FIELDS, type Settings, type SettingsErrors } from '../settings.ts';
import type { DataSelection } from '../data-store.ts';
import { duration } from '../format.ts';
import { standInShape } from '../../engine/run-limits.ts';

export type StartFix =
  | { kind: 'backbone'; arch: Arch; width: number; layout?: Layout; label: string }
  | { kind: 'demo-data'; label: string }
  | { kind: 'field'; key: keyof Settings; label: string }
  | { kind: 'batch'; batchSize: number; label: string }
  | { kind: 'backend'; backend: BackendName; label: string }
  | { kind: 'software-anyway'; label: string }
  | {
      kind: 'run';
      changes: FixChanges;
      label: string;
      differs: string;
      estimate: string;
      firstStepMs: number;
      /** The backend the estimate is for: the run trains there at once (no second probe). */
      backend: BackendName;
      /** Why that backend, for the Backend panel (default: Auto refused the asked settings). */
      backendReason?: string;
    };

export interface StartProblem {
  message: string;
  fix: StartFix | null;
  /** More fixes, each its own button (a refused run's). */
  fixes?: StartFix[];
  /** Lines under the fixes (what else to do). */
  notes?: string[];
  /** The heading; default "Cannot start:". */
  title?: string;
  /** 'warning': the run goes on (a long run's notice), with a button that dismisses it; default: an error. */
  tone?: 'warning';
}

const ARCH_TEXT: Record<Arch, string> = { resnet18: 'ResNet-18', resnet50: 'ResNet-50' };

/** The form's invalid fields as one problem; the fix moves the focus to the first of them. */
export function settingsProblem(errors: SettingsErrors): StartProblem | null {
  const bad = FIELDS.filter((f) => errors[f.key]);
  if (bad.length === 0) return null;
  const first = bad[0];
  const more = bad.length > 1 ? ` (and ${bad.length - 1} more setting${bad.length > 2 ? 's' : ''})` : '';
  return {
    message: `${first.label} must be ${errors[first.key]}${more}.`,
    fix: { kind: 'field', key: first.key, label: `Go to ${first.label}` },
  };
}

/** Imported weights fit only the backbone and width they were inspected as. */
export function weightsProblem(
  weights: { name: string; arch: Arch; width: number; layout?: string } | null,
  settings: Pick<Settings, 'arch' | 'width'> & { layout?: Layout },
): StartProblem | null {
  if (!weights) return null;
  // A ResNet-50's layout (the weights cache records it as resnet50-torchvision or resnet50-caffe).
  const layout: Layout = weights.layout === 'resnet50-torchvision' ? 'torchvision' : 'caffe';
  const layoutDiffers = weights.arch === 'resnet50' && settings.arch === 'resnet50' && layout !== (settings.layout ?? 'caffe');
  if (weights.arch === settings.arch && weights.width === settings.width && !layoutDiffers) return null;
  const theirs = `${ARCH_TEXT[weights.arch]} width ${weights.width}`;
  if (weights.arch === settings.arch && weights.width === settings.width)
    return {
      message: `The selected weights “${weights.name}” are a ${theirs} in the ${layout} layout; the settings ask for the ${settings.layout ?? 'caffe'} layout.`,
      fix: { kind: 'backbone', arch: weights.arch, width: weights.width, layout, label: `Switch to the ${layout} layout` },
    };
  return {
    message: `The selected weights “${weights.name}” are a ${theirs}; the settings ask for a ${ARCH_TEXT[settings.arch]} width ${settings.width}.`,
    fix: {
      kind: 'backbone',
      arch: weights.arch,
      width: weights.width,
      ...(weights.arch === 'resnet50' ? { layout } : {}),
      label: `Switch to ${theirs}`,
    },
  };
}

/** The chosen dataset must be in this browser's cache. */
export function dataProblem(
  selected: DataSelection,
  datasets: { key: string }[],
  datasetsStatus: 'loading' | 'ready' | 'unavailable',
): StartProblem | null {
  const fix: StartFix = { kind: 'demo-data', label: 'Use the demo faces' };
  if (selected.kind !== 'cached') return null;
  if (datasetsStatus === 'loading')
    return { message: `The dataset “${selected.name}” is still being looked up in this browser’s cache.`, fix };
  if (datasetsStatus === 'unavailable' || !datasets.some((d) => d.key === selected.key))
    return { message: `The dataset “${selected.name}” is not in this browser’s cache any more.`, fix };
  return null;
}

/** The worker refused a step too large for the device: its reason, and the batch size that fits. */
export function memoryProblem(message: string, fitBatch: number | null | undefined): StartProblem {
  const fix: StartFix | null = fitBatch ? { kind: 'batch', batchSize: fitBatch, label: `Train with batch size ${fitBatch}` } : null;
  return { message: `${message.charAt(0).toUpperCase()}${message.slice(1)}.`, fix };
}

const DIFFERS_TEXT: Record<string, string> = {
  backbone: 'backbone',
  width: 'width',
  size: 'input size',
  batch: 'batch',
  epochs: 'epochs',
  method: 'method',
};

/** One fix as a button: what it trains, how it differs from the paper's recipe, how long it takes. */
export function runFixOf(fix: RunFix, randomInit: boolean, backend: BackendName): StartFix {
  const differs = [...fix.differs.map((d) => DIFFERS_TEXT[d] ?? d), ...(randomInit ? ['weights (random init)'] : [])];
  return {
    kind: 'run',
    changes: fix.changes,
    label: `Train ${fix.label}`,
    differs: differs.length ? `differs from the paper: ${differs.join(', ')}` : 'the paper’s recipe',
    estimate: `about ${duration(fix.epochSeconds)} per epoch, ${duration(fix.runSeconds)} in all${fix.sensible ? '' : ' (longer than 2 h: nothing shorter fits)'}`,
    firstStepMs: fix.firstStepSeconds * 1000,
    backend,
  };
}

const ARCH_NAME: Record<Arch, string> = { resnet18: 'ResNet-18', resnet50: 'ResNet-50' };

/**
 * Auto refused the run (no fast backend can hold it): how the choice was made, what the run as
 * asked would take at the measured speed, the fixes, and the other ways out. `randomInit(arch)`:
 * whether a fix with that backbone trains from random init (no imported weights fit it).
 */
export function refusalProblem(r: RunRefusal, randomInit: (arch: Arch) => boolean): StartProblem {
  const s = r.speed.shape;
  const where = BACKEND_LABELS[r.backend];
  const message =
    `${r.reason} Measured here: ${where} trains a ${ARCH_NAME[s.arch]} at ${s.size} px at ${r.speed.imagesPerSecond.toFixed(1)} images/s, ` +
    `so the run as asked (${r.trainCount} training images) would take about ${duration(r.asked.epochSeconds)} per epoch, ` +
    `${duration(r.asked.runSeconds)} in all, were it to fit.`;
  const fixes = r.fixes.map((f) => runFixOf(f, randomInit(f.shape.arch), r.backend));
  const notes = [
    fixes.length
      ? `Each fix trains on ${where} at once with the settings shown; the form keeps them.`
      : `No smaller setting fits ${where}.`,
    'Or use a GPU: on a machine with one, Auto picks WebGPU and the recipe runs as the paper’s. To train on the software GPU anyway, choose WebGPU under Train on (Backend panel).',
  ];
  return { message, fix: null, fixes, notes, title: 'Not started:' };
}

/**
 * A run that fits but will take days at the pace its own steps measured: what it will take, and
 * fixes that fit a sensible time; each stops this run (kept: Resume continues it) and trains the fix.
 */
export function longRunProblem(l: LongRunNotice, randomInit: (arch: Arch) => boolean): StartProblem {
  const where = BACKEND_LABELS[l.backend];
  const message =
    `At the pace measured on ${where} (${l.speed.imagesPerSecond.toFixed(1)} images/s), this run takes about ` +
    `${duration(l.asked.runSeconds)} in all (${duration(l.asked.epochSeconds)} per epoch); ${duration(l.remainingSeconds)} are left. It keeps training.`;
  const fixes = l.fixes.map((f) => {
    const fix = runFixOf(f, randomInit(f.shape.arch), l.backend);
    const backendReason = `${where}: the run before it was too long there, and this fix was estimated from its pace.`;
    return { ...fix, label: `Stop and train ${f.label}`, backendReason };
  });
  const notes = [
    fixes.length
      ? `A fix stops this run (it stays in Runs with its checkpoint: Resume continues it) and trains on ${where} at once.`
      : `No smaller setting fits ${where}.`,
    'Or use a GPU: on a machine with one, the recipe trains as the paper’s in hours.',
  ];
  return { message, fix: null, fixes, notes, title: 'Long run:', tone: 'warning' };
}

/** A step's convolution work relative to ResNet-18 width 64 at 96 px, one image: MACs grow with width² and size²; ResNet-50 does 2.3× ResNet-18's. */
function stepWork(s: Pick<Settings, 'arch' | 'width' | 'size' | 'batchSize'>): number {
  return (s.arch === 'resnet50' ? 2.3 : 1) * (s.width / 64) ** 2 * (s.size / 96) ** 2 * s.batchSize;
}

/** Whether a step asks more work of the GPU than the probe's stand-in (ResNet-18 width 64, 96 px, batch 8). */
export function heavierThanStandIn(s: Pick<Settings, 'arch' | 'width' | 'size' | 'batchSize'>): boolean {
  const stand = standInShape({ ...s, width: 64, size: 96, batchSize: 8, method: 'eac' });
  return stepWork(s) > stepWork(stand);
}

/**
 * WebGPU, named under Train on, runs on a GPU emulated on the CPU, and the run is heavier than the
 * probe's stand-in: its first step compiles and runs for many minutes, and a Stop cannot take back
 * what already reached Chromium's GPU process (the page may not draw again for minutes). Asked
 * once: WebAssembly instead, or the software GPU anyway.
 */
export function softwareGpuProblem(s: Pick<Settings, 'arch' | 'width' | 'size' | 'batchSize'>, adapter: string): StartProblem {
  return {
    title: 'Software GPU:',
    message:
      `WebGPU here is ${adapter}, a GPU emulated on the CPU. The first step of ${ARCH_NAME[s.arch]} at ${s.size} px, batch ${s.batchSize} ` +
      'takes it many minutes, and Stop cannot take back the work already sent to the browser’s GPU process: the page may not draw again ' +
      'for minutes after a Stop (more than 5 min for ResNet-50 at 224 px here).',
    fix: null,
    fixes: [
      { kind: 'backend', backend: 'wasm', label: 'Train on WebAssembly instead' },
      { kind: 'software-anyway', label: 'Train on the software GPU anyway' },
    ],
  };
}
