// Stored runs as files and back: every run in one JSON document (records as stored, without
// checkpoints) or one CSV (a row per run and epoch), and the import of runs made elsewhere: that
// JSON, the lab's single-run export (src/ui/export/run-export.ts) and `eac train --out FILE`
// (src/cli/train.ts). Imports become records with status 'done' and no checkpoint; a file that is
// none of these is refused with a message that says what was expected. Pure (no DOM, no storage).
import type { EpochMetrics, RunSummary } from '../../engine/run-types.ts';
import type { TrainConfig } from '../../engine/config.ts';
import type { DataOptions } from '../../engine/run-request.ts';
import type { RunRecord } from '../../storage/run-store.ts';
import { meanOfLast } from '../../engine/metrics.ts';
import { epochCsvHeader, toCsv, RUN_JSON_FORMAT, type CsvValue } from '../export/run-export.ts';
import { classesOf } from '../../engine/dataset.ts';
import { hashString, methodOf, noiseRateOf } from './compare-data.ts';
import { readConfig, readEpochList, readTrainRunJson } from '../../engine/run-check.ts';
import { readDataOptions } from '../../engine/sweep/sweep-json.ts';
import { escapeControls, parseBoundedJson, RUN_FILE_BOUNDS } from '../../engine/bounded-json.ts';
import { readRunRecord } from '../../storage/run-record-check.ts';

const RUNS_JSON_FORMAT = 'eac-lab-runs';
const RUNS_JSON_FORMAT_VERSION = 1;

interface RunsJson {
  format: typeof RUNS_JSON_FORMAT;
  formatVersion: number;
  exportedAt: string;
  runs: RunRecord[];
}

export function runsJson(records: readonly RunRecord[], exportedAt: Date): RunsJson {
  return { format: RUNS_JSON_FORMAT, formatVersion: RUNS_JSON_FORMAT_VERSION, exportedAt: exportedAt.toISOString(), runs: records.slice() };
}

/** JSON text; NaN and ±Infinity (a diverged loss) become null, as JSON has no such numbers. */
export function runsJsonText(doc: RunsJson): string {
  return JSON.stringify(doc, null, 1) + '\n';
}

const RUN_COLUMNS = [
  'runKey',
  'runName',
  'status',
  'method',
  'arch',
  'width',
  'size',
  'noiseRate',
  'data',
  'epochsPlanned',
  'testAccLast5',
] as const;

/**
 * The per-class columns' names for runs together: their class names when they all share them
 * (RAF-DB's seven when none names any), else `class 0` … `class K−1` for the most classes of any.
 */
export function sharedClassNames(records: readonly Pick<RunRecord, 'classes'>[]): readonly string[] {
  const lists = records.map((r) => classesOf(r));
  const first = lists[0] ?? classesOf({});
  if (lists.every((l) => l.join('\n') === first.join('\n'))) return first;
  const k = Math.max(...lists.map((l) => l.length));
  return Array.from({ length: k }, (_, i) => `class ${i}`);
}

/** One row per run and epoch: the run's identity and noise, then every per-epoch figure. */
export function runsCsv(records: readonly RunRecord[]): string {
  const classNames = sharedClassNames(records);
  const header = [...RUN_COLUMNS, ...epochCsvHeader(classNames)];
  const rows: CsvValue[][] = [];
  for (const r of records) {
    const c = r.request.config;
    const d = r.request.data;
    const head: CsvValue[] = [
      r.key,
      r.name,
      r.status,
      methodOf(r),
      c.arch,
      c.width,
      c.size,
      noiseRateOf(r),
      d.kind === 'demo' ? 'demo' : d.name,
      c.epochs,
      meanOfLast(
        r.epochs.map((e) => e.testAcc),
        5,
      ),
    ];
    for (const e of r.epochs) {
      rows.push([
        ...head,
        e.epoch,
        e.steps,
        e.loss,
        e.ce,
        e.consistency,
        e.trainAccNoisy,
        e.trainAccClean,
        e.memorisation.flipped,
        e.memorisation.predictedNoisy,
        e.memorisation.predictedClean,
        e.testAcc,
        e.lr,
        e.seconds,
        e.imagesPerSecond,
        ...classNames.map((_, k) => e.test.perClassAccuracy[k] ?? null),
      ]);
    }
  }
  return toCsv(header, rows);
}

// ---------------------------------------------------------------------------------------------
// Import

export class RunFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RunFileError';
  }
}

/** Content fingerprint: the same run imported twice (or exported and re-imported here) is spotted. */
export function fingerprintOf(r: Pick<RunRecord, 'request' | 'epochs'>): string {
  const c = r.request.config;
  const d = r.request.data;
  const text = JSON.stringify([
    c.arch,
    c.width,
    c.method,
    c.lam,
    c.epochs,
    c.batchSize,
    c.lr,
    c.size,
    c.seed,
    d.noiseRate,
    d.noiseSeed,
    r.epochs.map((e) => [e.epoch, e.testAcc, e.loss]),
  ]);
  return `${hashString(text).toString(16)}${hashString(text.split('').reverse().join('')).toString(16)}`;
}

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => !!v && typeof v === 'object' && !Array.isArray(v);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** A field reader's one-line error (it names the field) as the import's. */
function checked<T>(read: () => T): T {
  try {
    return read();
  } catch (e) {
    throw new RunFileError(escapeControls(e instanceof Error ? e.message : String(e)));
  }
}

/** The lab's own exports: every field by the run JSON's rules; a diverged loss (null) reads as NaN. */
const configOf = (v: unknown, where: string): TrainConfig => checked(() => readConfig(v, `${where}: config`));
const epochsOf = (v: unknown, where: string): EpochMetrics[] => checked(() => readEpochList(v, `${where}: epochs`, true));

function summaryOf(v: unknown, epochs: EpochMetrics[]): RunSummary {
  const s = isObj(v) ? v : {};
  const accs = epochs.map((e) => e.testAcc);
  const stopped = s.stoppedBy === 'max-steps' || s.stoppedBy === 'cancelled' ? s.stoppedBy : 'completed';
  return {
    testAccLast5: meanOfLast(accs, 5),
    finalTestAcc: accs.length ? accs[accs.length - 1] : null,
    bestTestAcc: accs.length ? Math.max(...accs) : null,
    epochs: epochs.length,
    steps: num(s.steps) ?? epochs.reduce((n, e) => n + e.steps, 0),
    seconds: num(s.seconds) ?? 0,
    stoppedBy: stopped,
  };
}

function record(
  base: {
    config: TrainConfig;
    data: DataOptions;
    epochs: EpochMetrics[];
    summary: unknown;
    createdAt: string;
    labelNoise: number | null;
    classes?: string[];
    status?: unknown;
    error?: unknown;
  },
  file: string,
  format: string,
  now: Date,
  key: string,
  name?: string,
): RunRecord {
  const { config, data, epochs } = base;
  const request = { config, data, weights: null, attention: { count: 0, seed: config.seed } };
  const noise = base.labelNoise ?? data.noiseRate;
  const r: RunRecord = {
    key,
    createdAt: base.createdAt,
    updatedAt: now.toISOString(),
    status: base.status === 'error' ? 'error' : base.status === 'stopped' ? 'stopped' : 'done',
    name: name ?? `${config.method === 'eac' ? 'EAC' : 'Baseline'} ${config.arch} · ${Math.round(noise * 100)}% noise · ${file}`,
    request,
    epochs,
    checkpointEpoch: null,
    summary: summaryOf(base.summary, epochs),
    error: typeof base.error === 'string' ? base.error : null,
    labelNoise: base.labelNoise,
    ...(base.classes ? { classes: base.classes } : {}),
  };
  r.imported = { file, format, at: now.toISOString(), fingerprint: fingerprintOf(r) };
  return r;
}

function dataOfLab(v: unknown, where: string): DataOptions {
  const d = checked(() => readDataOptions(v, `${where}: data`));
  if (d.kind === 'folder') throw new RunFileError(`${where}: data: a folder is not a run's data`);
  return d;
}

/** `eac train --out`: { config, epochs, steps, summary, data: {kind: 'demo'|'raf-db', …}, noise, backend }, read as `eac sweep --import` reads it. */
function fromCli(doc: Json, file: string, now: Date, key: string): RunRecord {
  // Named as `eac sweep --import` names it: FILE.epochs[2].testAcc.
  const run = checked(() => readTrainRunJson(doc, file));
  const { config, epochs } = run;
  const src = run.data;
  const rate = run.noise?.rate ?? 0;
  const seed = run.noise?.seed ?? config.seed;
  let data: DataOptions;
  let labelNoise: number | null = null;
  if (src.kind === 'raf-db') {
    // A noisy label file's measured rate (eac train refuses a seeded rate on top of one).
    labelNoise = rate > 0 ? null : src.labelNoiseRate;
    const at = src.root ?? src.dir;
    data = {
      kind: 'cached',
      key: `imported:${at ?? 'raf-db'}`.slice(0, 200),
      name: `RAF-DB (${at ?? 'imported'})`.slice(0, 200),
      labelFile: src.labels,
      noiseRate: rate,
      noiseSeed: seed,
    };
  } else {
    data = { kind: 'demo', seed: 0, trainCount: src.train, testCount: src.test, noiseRate: rate, noiseSeed: seed };
  }
  const classes = run.classes;
  return record(
    { config, data, epochs, summary: run.summary, createdAt: now.toISOString(), labelNoise, ...(classes ? { classes } : {}) },
    file,
    'eac-train',
    now,
    key,
  );
}

/** The lab's own single-run export (buildRunJson). */
function fromLabRun(doc: Json, file: string, now: Date, key: string): RunRecord {
  const where = `${file} (lab run export)`;
  const config = configOf(doc.config, where);
  const data = dataOfLab(doc.data, where);
  const epochs = epochsOf(doc.epochs, where);
  const createdAt =
    typeof doc.startedAt === 'string' ? doc.startedAt : typeof doc.exportedAt === 'string' ? doc.exportedAt : now.toISOString();
  return record(
    { config, data, epochs, summary: doc.summary, createdAt, labelNoise: null, status: doc.status, error: doc.error },
    file,
    RUN_JSON_FORMAT,
    now,
    key,
  );
}

/** A record of the lab's all-runs export. */
function fromStored(v: unknown, i: number, file: string, now: Date, key: string): RunRecord {
  const where = `${file}, run ${i + 1}`;
  if (!isObj(v) || !isObj(v.request)) throw new RunFileError(`${where}: not a stored run (no "request")`);
  // JSON has no NaN: a diverged loss was written as null, which the store's reader takes as NaN.
  const stored = checked(() => readRunRecord(v, where));
  const { config, data } = stored.request;
  const { epochs, createdAt } = stored;
  const labelNoise = stored.labelNoise ?? null;
  const r = record(
    { config, data, epochs, summary: stored.summary, createdAt, labelNoise, status: stored.status, error: stored.error },
    file,
    RUNS_JSON_FORMAT,
    now,
    key,
    stored.name.trim() || undefined,
  );
  // A run that was itself imported keeps its origin's fingerprint.
  if (stored.imported) r.imported!.fingerprint = stored.imported.fingerprint;
  return r;
}

/** Characters an imported file may have (as `eac sweep --import`'s 64 MiB). */
const RUN_FILE_MAX_CHARS = 64 << 20;

interface ParsedRuns {
  records: RunRecord[];
  /** Runs of the file that could not be read, with why (the others are still imported). */
  skipped: string[];
  format: string;
}

/**
 * Reads an exported file. `newKey` gives each imported run a fresh key (they never replace a
 * stored run). Throws RunFileError for a file that is not a run export at all.
 */
export function parseRunsFile(text: string, file: string, newKey: () => string, now = new Date()): ParsedRuns {
  file = escapeControls(file);
  if (text.length > RUN_FILE_MAX_CHARS)
    throw new RunFileError(`${file} has ${text.length} characters, more than a run export can (${RUN_FILE_MAX_CHARS})`);
  // Depth and the count of objects and arrays bounded before JSON.parse builds anything.
  const doc = parseBoundedJson(
    text,
    RUN_FILE_BOUNDS,
    (why) =>
      new RunFileError(
        `${file} is ${why.startsWith('not JSON') ? why : `refused: ${why}`}: expected the lab's run export or the output of eac train --out`,
      ),
  );
  if (!isObj(doc)) throw new RunFileError(`${file}: expected a JSON object (the lab's run export or the output of eac train --out)`);
  if (doc.format === RUNS_JSON_FORMAT) {
    if (num(doc.formatVersion) !== RUNS_JSON_FORMAT_VERSION)
      throw new RunFileError(
        `${file}: runs export version ${String(doc.formatVersion)}; this lab reads version ${RUNS_JSON_FORMAT_VERSION}`,
      );
    if (!Array.isArray(doc.runs)) throw new RunFileError(`${file}: no "runs" list`);
    const records: RunRecord[] = [];
    const skipped: string[] = [];
    doc.runs.forEach((v, i) => {
      try {
        records.push(fromStored(v, i, file, now, newKey()));
      } catch (e) {
        skipped.push(e instanceof Error ? e.message : String(e));
      }
    });
    return { records, skipped, format: RUNS_JSON_FORMAT };
  }
  if (doc.format === RUN_JSON_FORMAT) return { records: [fromLabRun(doc, file, now, newKey())], skipped: [], format: RUN_JSON_FORMAT };
  if (isObj(doc.config) && Array.isArray(doc.epochs) && isObj(doc.summary))
    return { records: [fromCli(doc, file, now, newKey())], skipped: [], format: 'eac-train' };
  if (typeof doc.format === 'string') throw new RunFileError(`${file} is a "${doc.format}" file, not a run export`);
  throw new RunFileError(
    `${file} is not a run export: expected the lab's JSON export ("format": "${RUN_JSON_FORMAT}" or "${RUNS_JSON_FORMAT}") or the output of eac train --out (config, epochs, summary)`,
  );
}

/** Splits parsed runs into new ones and ones already stored (same fingerprint). */
export function newRunsOnly(parsed: readonly RunRecord[], stored: readonly RunRecord[]): { fresh: RunRecord[]; duplicates: RunRecord[] } {
  const seen = new Set(stored.flatMap((r) => [fingerprintOf(r), r.imported?.fingerprint ?? '']));
  const fresh: RunRecord[] = [];
  const duplicates: RunRecord[] = [];
  for (const r of parsed) {
    const fp = r.imported?.fingerprint ?? fingerprintOf(r);
    if (seen.has(fp)) duplicates.push(r);
    else {
      seen.add(fp);
      fresh.push(r);
    }
  }
  return { fresh, duplicates };
}
