// Why a Train click cannot start a run, in one sentence, with the one-click fix where there is
// one (the weights' own backbone and width; the demo faces when the chosen dataset is gone).
// Pure: the run bar shows the problem, runner.ts applies the fix.
import type { Arch } from '../../engine/resnet.ts';
import { FIELDS, type Settings, type SettingsErrors } from '../settings.ts';
import type { DataSelection } from '../data-store.ts';

export type StartFix =
  | { kind: 'backbone'; arch: Arch; width: number; label: string }
  | { kind: 'demo-data'; label: string }
  | { kind: 'field'; key: keyof Settings; label: string }
  | { kind: 'batch'; batchSize: number; label: string };

export interface StartProblem {
  message: string;
  fix: StartFix | null;
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
  weights: { name: string; arch: Arch; width: number } | null,
  settings: Pick<Settings, 'arch' | 'width'>,
): StartProblem | null {
  if (!weights || (weights.arch === settings.arch && weights.width === settings.width)) return null;
  const theirs = `${ARCH_TEXT[weights.arch]} width ${weights.width}`;
  return {
    message: `The selected weights “${weights.name}” are a ${theirs}; the settings ask for a ${ARCH_TEXT[settings.arch]} width ${settings.width}.`,
    fix: { kind: 'backbone', arch: weights.arch, width: weights.width, label: `Switch to ${theirs}` },
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
  const fix: StartFix | null = fitBatch ? { kind: 'batch', batchSize: fitBatch, label: `Use batch size ${fitBatch}` } : null;
  return { message: `${message.charAt(0).toUpperCase()}${message.slice(1)}.`, fix };
}
