// What the run bar says a run trains on (issue 23): what Train will do now, derived from the
// settings form, the chosen dataset and weights as they are at this moment; while a run trains,
// what that run does; and after it, what the last run did, labelled as such. Pure: a function of
// the store's state, so it can never go stale.
import type { DataOptions, WeightsChoice } from '../../engine/run-request.ts';
import type { TrainConfig } from '../../engine/config.ts';
import { dataOptionsOf, parseSettings, type DataSelection, type SettingsDraft } from '../settings.ts';
import type { RunStatus } from '../current-run-store.ts';
import { labelsText } from './labels-text.ts';

/** The model and training side of a run, as the settings or the worker's `started` answer give it. */
export interface ModelFacts {
  arch: TrainConfig['arch'];
  width: number;
  size: number;
  method: TrainConfig['method'];
  lam: number;
  epochs: number;
  batchSize: number;
}

/** A started run, as the worker described it (the store's `run.started`). */
export interface StartedFacts {
  config: ModelFacts;
  data: DataOptions;
  flippedLabels: number;
  trainCount: number;
  weights?: WeightsChoice | null;
  /** The dataset's class names; absent: RAF-DB's seven (not said). */
  classes?: string[];
}

export interface RunDescriptionInput {
  status: RunStatus;
  started: StartedFacts | null;
  draft: SettingsDraft;
  selected: DataSelection;
  /** The pretrained weights chosen now (null: random init). */
  weights: WeightsChoice | null;
  /** The selected dataset's class names (null: RAF-DB's seven or the demo's). */
  selectedClasses?: readonly string[] | null;
}

export interface RunDescription {
  /** What Train does now, or what the running run does; null: the form has invalid settings. */
  now: string | null;
  /** After a run (finished, stopped, failed): what it trained on; null: no run yet, or one is running. */
  last: string | null;
}

const ARCH_NAME: Record<string, string> = { resnet18: 'ResNet-18', resnet50: 'ResNet-50' };
const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`;

/** "ResNet-18 width 8 at 64 px, EAC (λ 5), 2 epochs, batch 16, random init". */
export function modelText(m: ModelFacts, weights: WeightsChoice | null | undefined): string {
  const method = m.method === 'eac' ? `EAC (λ ${m.lam})` : 'baseline';
  const init = weights === undefined ? '' : weights ? `, from “${weights.name}”` : ', random init';
  return `${ARCH_NAME[m.arch] ?? m.arch} width ${m.width} at ${m.size} px, ${method}, ${plural(m.epochs, 'epoch')}, batch ${m.batchSize}${init}`;
}

const ENDED: Partial<Record<RunStatus, string>> = {
  done: 'Last run trained on',
  stopped: 'Last run (stopped) trained on',
  error: 'Last run (failed) trained on',
};

const running = (s: RunStatus) => s === 'starting' || s === 'data' || s === 'training' || s === 'evaluating' || s === 'stopping';

export function runDescription(input: RunDescriptionInput): RunDescription {
  const { status, started } = input;
  const startedText =
    started &&
    `${labelsText(started.data, started.flippedLabels, started.trainCount, started.classes ?? null)}; ${modelText(started.config, started.weights)}`;
  if (running(status) && startedText) return { now: `Trains on ${startedText}`, last: null };
  const parsed = parseSettings(input.draft);
  const planned =
    parsed.settings &&
    `${labelsText(dataOptionsOf(parsed.settings, input.selected), null, null, input.selectedClasses ?? null)}; ${modelText(parsed.settings, input.weights)}`;
  // Starting, before the worker's answer: what Train was pressed with.
  if (running(status)) return { now: planned && `Trains on ${planned}`, last: null };
  const ended = ENDED[status];
  return {
    now: planned ? `Train will use ${planned}` : null,
    last: ended && startedText ? `${ended} ${startedText}` : null,
  };
}
