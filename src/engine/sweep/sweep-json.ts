// The sweep as one JSON document: what the CLI keeps as sweep.json, what the lab stores and
// exports, and what both re-import. The reader is strict (see validate.ts): the grid must be
// exactly the spec's, the order a permutation of it, every cell state well-formed.
import type { ConfigRequest, DataOptions } from '../run-request.ts';
import { SweepError } from './errors.ts';
import { CONFIG_LIMITS } from '../limits.ts';
import { jsonBoundsExceeded, jsonErrorText, RUN_FILE_BOUNDS } from '../bounded-json.ts';
import { oneLine, REASON_MAX } from './reducer.ts';
import {
  AXIS_FIELDS,
  checkSpecAxes,
  expandGrid,
  HYPER_AXES,
  SWEEP_LIMITS,
  SWEEP_METHODS,
  type SweepAxes,
  type SweepData,
  type SweepSpec,
} from './spec.ts';
import { SWEEP_STATE_VERSION, type CellState, type CheckpointMark, type CellProgress, type SweepState } from './state.ts';
import { arr, bool, configField, configFields, fail, int, num, obj, oneOf, runSummary, str } from './validate.ts';

export const SWEEP_JSON_FORMAT = 'eac-sweep';
/** Far above a 1024-cell sweep (~1 kB a cell): a bigger file is not a sweep. */
export const SWEEP_JSON_MAX_CHARS = 8 << 20;

/** Ids name files in the CLI's out dir: no separators, no dot-only names. */
const ID = /^(?!\.+$)[A-Za-z0-9._-]{1,100}$/;
/** Cell ids: longer, with a value of every axis (file names of up to ~210 characters: below 255). */
const CELL_ID = /^(?!\.+$)[A-Za-z0-9._-]{1,200}$/;
const LINE = /^[^\r\n]*$/;

export function sweepJsonText(state: SweepState): string {
  return JSON.stringify({ format: SWEEP_JSON_FORMAT, ...state }, null, 1) + '\n';
}

/** A sweep document back; anything else is a one-line SweepError ("sweep.json: …"). */
export function parseSweepJson(text: string, label = 'sweep'): SweepState {
  if (typeof text !== 'string') throw new SweepError(`${label}: not text`);
  if (text.length > SWEEP_JSON_MAX_CHARS)
    throw new SweepError(`${label}: ${text.length} characters, more than a sweep can have (${SWEEP_JSON_MAX_CHARS})`);
  const over = jsonBoundsExceeded(text, RUN_FILE_BOUNDS);
  if (over) throw new SweepError(`${label}: ${over}, more than a sweep has`);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new SweepError(`${label}: not JSON (${oneLine(jsonErrorText(e))})`);
  }
  return readSweep(doc, label);
}

export function readSweep(doc: unknown, label = 'sweep'): SweepState {
  const o = obj(doc, label, { required: ['format', 'version', 'id', 'name', 'createdAt', 'spec', 'order', 'cells', 'paused'] });
  if (o.format !== SWEEP_JSON_FORMAT)
    fail(label, `not a sweep (format ${JSON.stringify(String(o.format).slice(0, 40))}, expected ${SWEEP_JSON_FORMAT})`);
  if (o.version !== SWEEP_STATE_VERSION)
    fail(label, `sweep version ${JSON.stringify(o.version)} is not supported (this lab reads version ${SWEEP_STATE_VERSION})`);
  const spec = readSpec(o.spec, `${label}.spec`);
  const ids = expandGrid(spec).map((c) => c.id);
  const order = arr(o.order, `${label}.order`, SWEEP_LIMITS.cells).map((v, i) => str(v, `${label}.order[${i}]`, 200, CELL_ID));
  const want = new Set(ids);
  const seen = new Set<string>();
  for (const id of order) {
    if (!want.has(id)) fail(`${label}.order`, `${id} is not a cell of this sweep`);
    if (seen.has(id)) fail(`${label}.order`, `${id} is listed twice`);
    seen.add(id);
  }
  if (order.length !== ids.length) fail(`${label}.order`, `${ids.find((id) => !seen.has(id))} is missing`);
  const co = obj(o.cells, `${label}.cells`, { required: ids });
  const cells: Record<string, CellState> = {};
  for (const id of ids) cells[id] = readCell(co[id], `${label}.cells.${id}`);
  return {
    version: SWEEP_STATE_VERSION,
    id: str(o.id, `${label}.id`, 100, ID),
    name: str(o.name, `${label}.name`, 200, LINE),
    createdAt: int(o.createdAt, `${label}.createdAt`),
    spec,
    order,
    cells,
    paused: bool(o.paused, `${label}.paused`),
  };
}

export function readSpec(v: unknown, where: string): SweepSpec {
  const o = obj(v, where, { required: ['methods', 'noiseRates', 'seeds', 'config', 'data'], optional: ['weights', 'axes'] });
  const methods = arr(o.methods, `${where}.methods`, SWEEP_METHODS.length).map((m, i) => oneOf(m, `${where}.methods[${i}]`, SWEEP_METHODS));
  const noiseRates = arr(o.noiseRates, `${where}.noiseRates`, SWEEP_LIMITS.noiseRates).map((r, i) =>
    num(r, `${where}.noiseRates[${i}]`, (x) => x >= 0 && x < 1, 'a rate in [0, 1)'),
  );
  const seeds = arr(o.seeds, `${where}.seeds`, SWEEP_LIMITS.seeds).map((s, i) => int(s, `${where}.seeds[${i}]`, 0, 0xffffffff));
  const config = configFields(o.config, `${where}.config`, false) as ConfigRequest;
  for (const k of AXIS_FIELDS)
    if (Object.hasOwn(config, k)) fail(`${where}.config`, `${k} is one of the sweep's axes, not a shared setting`);
  const spec: SweepSpec = { methods, noiseRates, seeds, config, data: readDataOptions(o.data, `${where}.data`) };
  // Sweeps written before the axes existed have none: their grid is methods × noise rates × seeds.
  if (o.axes !== undefined) {
    const a = obj(o.axes, `${where}.axes`, { required: [], optional: HYPER_AXES });
    const axes: SweepAxes = {};
    for (const k of HYPER_AXES)
      if (a[k] !== undefined)
        (axes as Record<string, unknown[]>)[k] = arr(a[k], `${where}.axes.${k}`, SWEEP_LIMITS.axisValues).map((x, i) =>
          configField(k, x, `${where}.axes.${k}[${i}]`),
        );
    spec.axes = axes;
  }
  if (o.weights !== undefined && o.weights !== null) {
    const w = obj(o.weights, `${where}.weights`, { required: ['key', 'name'] });
    spec.weights = { key: str(w.key, `${where}.weights.key`, 4096, LINE), name: str(w.name, `${where}.weights.name`, 200, LINE) };
  } else if (o.weights === null) spec.weights = null;
  try {
    checkSpecAxes(spec);
  } catch (e) {
    fail(where, (e as Error).message);
  }
  return spec;
}

/** Where a run's images come from (a sweep's, or a stored run's request): every field checked. */
export function readDataOptions(v: unknown, where: string): SweepData {
  const kind = oneOf((v as { kind?: unknown } | null)?.kind, `${where}.kind`, ['demo', 'cached', 'folder'] as const);
  const rate = (o: Record<string, unknown>) => num(o.noiseRate, `${where}.noiseRate`, (x) => x >= 0 && x <= 1, 'a rate in [0, 1]');
  const nseed = (o: Record<string, unknown>) => int(o.noiseSeed, `${where}.noiseSeed`, 0, 0xffffffff);
  const labelFile = (x: unknown) => (x === null ? null : str(x, `${where}.labelFile`, 200, /^[^/\\\r\n]+$/));
  // Written only for the asymmetric kind: absent reads as symmetric (every request before it).
  const kindOf = (o: Record<string, unknown>) =>
    o.noiseKind === undefined ? {} : { noiseKind: oneOf(o.noiseKind, `${where}.noiseKind`, ['symmetric', 'asymmetric'] as const) };
  if (kind === 'demo') {
    const o = obj(v, where, { required: ['kind', 'seed', 'trainCount', 'testCount', 'noiseRate', 'noiseSeed'], optional: ['noiseKind'] });
    const d: DataOptions = {
      kind,
      seed: int(o.seed, `${where}.seed`, 0, 0xffffffff),
      trainCount: int(o.trainCount, `${where}.trainCount`, ...CONFIG_LIMITS.demoCount),
      testCount: int(o.testCount, `${where}.testCount`, ...CONFIG_LIMITS.demoCount),
      noiseRate: rate(o),
      noiseSeed: nseed(o),
      ...kindOf(o),
    };
    return d;
  }
  if (kind === 'cached') {
    const o = obj(v, where, { required: ['kind', 'key', 'name', 'labelFile', 'noiseRate', 'noiseSeed'], optional: ['noiseKind'] });
    return {
      kind,
      key: str(o.key, `${where}.key`, 200),
      name: str(o.name, `${where}.name`, 200, LINE),
      labelFile: labelFile(o.labelFile),
      noiseRate: rate(o),
      noiseSeed: nseed(o),
      ...kindOf(o),
    };
  }
  const o = obj(v, where, { required: ['kind', 'dir', 'labelFile', 'noiseRate', 'noiseSeed'], optional: ['trainCount', 'testCount'] });
  // Written since slices of folder datasets could be swept; an older sweep.json has neither.
  const count = (x: unknown, name: string) =>
    x === undefined || x === null ? null : int(x, `${where}.${name}`, ...CONFIG_LIMITS.demoCount);
  return {
    kind,
    dir: str(o.dir, `${where}.dir`, 4096, LINE),
    labelFile: labelFile(o.labelFile),
    trainCount: count(o.trainCount, 'trainCount'),
    testCount: count(o.testCount, 'testCount'),
    noiseRate: rate(o),
    noiseSeed: nseed(o),
  };
}

function readMark(v: unknown, where: string): CheckpointMark {
  const o = obj(v, where, { required: ['step', 'epoch', 'at'] });
  return {
    step: int(o.step, `${where}.step`, 0, CONFIG_LIMITS.steps[1]),
    epoch: int(o.epoch, `${where}.epoch`, 0, CONFIG_LIMITS.epochs[1]),
    at: int(o.at, `${where}.at`),
  };
}

function readProgress(v: unknown, where: string): CellProgress | null {
  if (v === null) return null;
  const o = obj(v, where, { required: ['step', 'totalSteps', 'seconds'] });
  return {
    step: int(o.step, `${where}.step`, 0, CONFIG_LIMITS.steps[1]),
    // Epochs × steps per epoch: more than one run's --max-steps when the run has no cap.
    totalSteps: int(o.totalSteps, `${where}.totalSteps`, 0, CONFIG_LIMITS.epochs[1] * CONFIG_LIMITS.steps[1]),
    seconds: num(o.seconds, `${where}.seconds`, (x) => x >= 0, 'a number ≥ 0'),
  };
}

function readCell(v: unknown, where: string): CellState {
  const status = oneOf((v as { status?: unknown } | null)?.status, `${where}.status`, [
    'pending',
    'running',
    'resumable',
    'done',
    'failed',
    'skipped',
    'cancelled',
  ] as const);
  const runId = (o: Record<string, unknown>) => str(o.runId, `${where}.runId`, 200, LINE);
  switch (status) {
    case 'pending':
    case 'skipped':
    case 'cancelled':
      obj(v, where, { required: ['status'] });
      return { status };
    case 'running': {
      const o = obj(v, where, { required: ['status', 'runId', 'startedAt', 'checkpoint', 'progress'] });
      return {
        status,
        runId: runId(o),
        startedAt: int(o.startedAt, `${where}.startedAt`),
        checkpoint: o.checkpoint === null ? null : readMark(o.checkpoint, `${where}.checkpoint`),
        progress: readProgress(o.progress, `${where}.progress`),
      };
    }
    case 'resumable': {
      const o = obj(v, where, { required: ['status', 'runId', 'checkpoint', 'progress'] });
      return {
        status,
        runId: runId(o),
        checkpoint: readMark(o.checkpoint, `${where}.checkpoint`),
        progress: readProgress(o.progress, `${where}.progress`),
      };
    }
    case 'done': {
      const o = obj(v, where, { required: ['status', 'runId', 'summary', 'finishedAt', 'imported'] });
      return {
        status,
        runId: runId(o),
        summary: runSummary(o.summary, `${where}.summary`),
        finishedAt: int(o.finishedAt, `${where}.finishedAt`),
        imported: bool(o.imported, `${where}.imported`),
      };
    }
    case 'failed': {
      const o = obj(v, where, { required: ['status', 'runId', 'reason'] });
      return { status, runId: o.runId === null ? null : runId(o), reason: str(o.reason, `${where}.reason`, REASON_MAX, LINE) };
    }
  }
}
