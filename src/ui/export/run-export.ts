// A run's metrics as files: one CSV row per epoch, one CSV row per step, and a JSON document with
// everything needed to reproduce and compare the run (configuration, data, seeds, versions).
// Pure (no DOM): ExportPanel hands the results to download.ts; the unit tests read them directly.
import type { EpochMetrics, RunSummary, StepLog } from '../../engine/run-types.ts';
import type { StartedMessage } from '../../worker/protocol.ts';
import { CLASS_NAMES } from '../../engine/dataset.ts';

/** What the exports read of the store's run (RunState fits it). */
export interface RunExportInput {
  status: string;
  settings: unknown;
  started: (Pick<StartedMessage, 'config' | 'data' | 'flippedLabels' | 'trainCount' | 'testCount'> & object) | null;
  steps: readonly StepLog[];
  epochs: readonly EpochMetrics[];
  summary: RunSummary | null;
  error: string | null;
  startedAt: number | null;
}

export interface BackendInfo {
  name: string | null;
  adapter: string | null;
  reason: string | null;
}

export const RUN_JSON_FORMAT = 'eac-lab-run';
const RUN_JSON_FORMAT_VERSION = 1;

// ---------------------------------------------------------------------------------------------
// CSV (RFC 4180: comma-separated, CRLF line ends, fields quoted only when needed)

export type CsvValue = string | number | boolean | null | undefined;

export function csvField(v: CsvValue): string {
  if (v === null || v === undefined) return '';
  // String(x) is the shortest text that reads back as the same double: no precision is lost.
  const s =
    typeof v === 'number' ? (Number.isFinite(v) ? String(v) : Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity') : String(v);
  return /[",\r\n]/.test(s) || s !== s.trim() ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(header: readonly string[], rows: readonly (readonly CsvValue[])[]): string {
  const lines = [header.map(csvField).join(',')];
  for (const r of rows) {
    if (r.length !== header.length) throw new Error(`CSV row has ${r.length} fields, the header ${header.length}`);
    lines.push(r.map(csvField).join(','));
  }
  return lines.join('\r\n') + '\r\n';
}

const EPOCH_SCALARS = ['epoch', 'steps', 'loss', 'ce', 'consistency', 'trainAccNoisy', 'trainAccClean'] as const;
const EPOCH_TAIL = ['testAcc', 'lr', 'seconds', 'imagesPerSecond'] as const;

/** Column names of the per-epoch CSV: every scalar of EpochMetrics, then test accuracy per class. */
export function epochCsvHeader(classNames: readonly string[] = CLASS_NAMES): string[] {
  return [
    ...EPOCH_SCALARS,
    'memorisationFlipped',
    'memorisationPredictedNoisy',
    'memorisationPredictedClean',
    ...EPOCH_TAIL,
    ...classNames.map((c) => `testAcc_${c}`),
  ];
}

export function epochsCsv(epochs: readonly EpochMetrics[], classNames: readonly string[] = CLASS_NAMES): string {
  const rows = epochs.map((e) => [
    ...EPOCH_SCALARS.map((k) => e[k]),
    e.memorisation.flipped,
    e.memorisation.predictedNoisy,
    e.memorisation.predictedClean,
    ...EPOCH_TAIL.map((k) => e[k]),
    ...classNames.map((_, c) => e.test.perClassAccuracy[c] ?? null),
  ]);
  return toCsv(epochCsvHeader(classNames), rows);
}

/**
 * The training confusion matrices of every epoch that kept them, in long form (a K×K table per
 * epoch would be K² columns): one row per epoch, label set (`noisy`: the labels trained on;
 * `clean`: the true ones), label and predicted class, with its count.
 */
export function trainConfusionCsv(epochs: readonly EpochMetrics[], classNames: readonly string[] = CLASS_NAMES): string {
  const rows: CsvValue[][] = [];
  for (const e of epochs) {
    if (!e.trainConfusion) continue;
    for (const labels of ['noisy', 'clean'] as const)
      e.trainConfusion[labels].forEach((row, i) =>
        row.forEach((n, j) => rows.push([e.epoch, labels, classNames[i] ?? String(i), classNames[j] ?? String(j), n])),
      );
  }
  return toCsv(['epoch', 'labels', 'label', 'predicted', 'count'], rows);
}

const STEP_CSV_HEADER = ['step', 'epoch', 'loss', 'ce', 'consistency'] as const;

/** One row per optimiser step; `consistency` is the unweighted term, as the engine logs it. */
export function stepsCsv(steps: readonly StepLog[]): string {
  return toCsv(
    STEP_CSV_HEADER,
    steps.map((s) => [s.step, s.epoch, s.loss, s.ce, s.consistency]),
  );
}

// ---------------------------------------------------------------------------------------------
// JSON

interface RunJson {
  format: typeof RUN_JSON_FORMAT;
  formatVersion: number;
  exportedAt: string;
  versions: Record<string, string>;
  backend: BackendInfo;
  status: string;
  error: string | null;
  startedAt: string | null;
  /** The full training configuration the worker ran (defaults filled in), seed included. */
  config: StartedMessage['config'] | null;
  /** Where the data came from (demo seed, cached RAF-DB key, label file, noise rate and seed). */
  data: StartedMessage['data'] | null;
  seeds: { train: number | null; data: number | null; noise: number | null };
  /** Split sizes, flipped labels, and whatever else the worker's `started` answer reported (the labels' hash, the epoch a resumed run continued from…). */
  dataset: Record<string, unknown> | null;
  /** The page's form values the run was started from. */
  settings: unknown;
  summary: RunSummary | null;
  epochs: EpochMetrics[];
  /** Columnar: one array per field, index i = the i-th logged step (a fraction of the size of row objects). */
  steps: { step: number[]; epoch: number[]; loss: number[]; ce: number[]; consistency: number[] };
}

export function buildRunJson(
  run: RunExportInput,
  env: { backend: BackendInfo; versions: Record<string, string>; exportedAt: Date },
): RunJson {
  const st = run.started;
  let dataset: Record<string, unknown> | null = null;
  if (st) {
    dataset = {};
    // `history` (a resumed run's earlier metrics) is already in epochs and steps.
    for (const [k, v] of Object.entries(st)) if (k !== 'config' && k !== 'data' && k !== 'history') dataset[k] = v;
  }
  const data = st?.data ?? null;
  const steps: RunJson['steps'] = { step: [], epoch: [], loss: [], ce: [], consistency: [] };
  for (const s of run.steps) {
    steps.step.push(s.step);
    steps.epoch.push(s.epoch);
    steps.loss.push(s.loss);
    steps.ce.push(s.ce);
    steps.consistency.push(s.consistency);
  }
  return {
    format: RUN_JSON_FORMAT,
    formatVersion: RUN_JSON_FORMAT_VERSION,
    exportedAt: env.exportedAt.toISOString(),
    versions: { ...env.versions },
    backend: { ...env.backend },
    status: run.status,
    error: run.error,
    startedAt: run.startedAt === null ? null : new Date(run.startedAt).toISOString(),
    config: st?.config ?? null,
    data,
    seeds: {
      train: st?.config.seed ?? null,
      data: data?.kind === 'demo' ? data.seed : null,
      noise: data ? data.noiseSeed : null,
    },
    dataset,
    settings: run.settings ?? null,
    summary: run.summary,
    epochs: run.epochs.slice(),
    steps,
  };
}

/** JSON text of the run; NaN and ±Infinity (a diverged step) become null, as JSON has no such numbers. */
export function runJsonText(doc: RunJson): string {
  // Indented for reading, except the bulky parts: one line per epoch, one line per step field.
  const { epochs, steps, ...head } = doc;
  const headText = JSON.stringify(head, null, 1);
  const epochLines = epochs.map((e) => `  ${JSON.stringify(e)}`).join(',\n');
  const stepLines = Object.entries(steps)
    .map(([k, v]) => `  ${JSON.stringify(k)}: ${JSON.stringify(v)}`)
    .join(',\n');
  return `${headText.slice(0, -2)},\n "epochs": [${epochs.length ? `\n${epochLines}\n ` : ''}],\n "steps": {\n${stepLines}\n }\n}\n`;
}

/** A file name stem like `eac-resnet18-eac-seed0-20240101-120000` (no characters any OS rejects). */
export function exportFileStem(run: Pick<RunExportInput, 'started' | 'startedAt'>, now: Date): string {
  return stemOf(run.started?.config ?? null, new Date(run.startedAt ?? now.getTime()));
}

function stemOf(c: Pick<StartedMessage['config'], 'arch' | 'method' | 'seed'> | null, t: Date): string {
  const p = (x: number) => String(x).padStart(2, '0');
  const stamp = `${t.getFullYear()}${p(t.getMonth() + 1)}${p(t.getDate())}-${p(t.getHours())}${p(t.getMinutes())}${p(t.getSeconds())}`;
  return c ? `eac-${c.arch}-${c.method}-seed${c.seed}-${stamp}` : `eac-run-${stamp}`;
}

/** A stored run's model download, named like its CSVs: `eac-resnet18-eac-seed0-20240101-120000-epoch3.safetensors`. */
export function modelFileName(
  run: { request: { config: Pick<StartedMessage['config'], 'arch' | 'method' | 'seed'> }; createdAt: string },
  epoch: number | null,
): string {
  const t = new Date(run.createdAt);
  const stem = stemOf(run.request.config, Number.isNaN(t.getTime()) ? new Date(0) : t);
  return `${stem}${epoch !== null ? `-epoch${epoch}` : ''}.safetensors`;
}
