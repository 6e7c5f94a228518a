// `eac sweep`: the paper's table headless. A grid of `eac train` runs (methods × noise rates ×
// seeds) queued in an out dir, one after another or in --jobs child processes; the queue, each
// run's JSON and checkpoint, and the table are files there, updated as cells finish, so that a
// rerun resumes where Ctrl-C or a crash stopped it. `--import` joins runs made elsewhere.
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { int, num, parseWithPositionals, UsageError } from './args.ts';
import { formatSeconds, progress, writeFileAtomic } from './output.ts';
import { TRAIN_OPTIONS } from './train.ts';
import { cellCommand, liveClaims, statusText, sweepFromFiles } from './sweep-cell.ts';
import { openSweep, readResult, readRunJson } from './sweep-files.ts';
import { ensureOutDir, loadSweep, lockOutDir, saveSweep, SWEEP_FILE, TABLE_FILES } from './sweep-dir.ts';
import { cellFiles, newRunArgs, resumeRunArgs, runChoices, type RunChoices } from './sweep-plan.ts';
import { childMain, runCellHere, runCellInChild, type CellEnd, type StepInfo } from './sweep-runner.ts';
import {
  importRun,
  matchRun,
  nextCell,
  reduceSweep,
  sweepCounts,
  sweepEta,
  sweepTable,
  tableMarkdown,
  pivotCsv,
  pivotMarkdown,
  pivotTable,
  type NextCell,
  type TableAxis,
  type SweepEvent,
  type SweepState,
} from '../engine/sweep/index.ts';
import { signalExitCode, stopOnSignals } from './stop-signals.ts';

export const SWEEP_HELP = `eac sweep [options] --out DIR
  The paper's table: an eac train run per method × noise rate × seed, queued in DIR.
  --methods LIST             baseline,eac (default both)
  --noise LIST               label-noise rates, e.g. 0,0.1,0.2,0.3 (the default)
  --seeds LIST               training seeds, e.g. 0,1,2 (default 0); each cell's noise is drawn with its seed
  --lr, --lam, --arch, --width, --batch-size, --erasing   one value, or a comma-separated list: an axis of the
                             grid (e.g. --lr 1e-4,2e-4 --lam 1,3: every cell at each lr × λ); table.* get a row
                             per method × combination
  --demo | --data DIR, and eac train's settings: --labels --demo-train --demo-test --train-count --test-count --weights --arch --width
    --lam --epochs --max-steps --batch-size --lr --weight-decay --gamma --size --augment --erasing --no-shuffle
    --sampler --layout
  --backend, --log-steps, --checkpoint-every-s S, --checkpoint-every-steps N   as eac train (may change on a rerun)
  --jobs N                   run N cells at once, each in its own process (default 1: one after another, here)
  --out DIR                  the sweep's folder: sweep.json (the queue), CELL.json (each run, as eac train --out),
                             CELL.ckpt (each run's checkpoint), table.md, table.csv, table.tex (updated as cells finish)
  --import RUN.json...       join runs made elsewhere by eac train --out (matched to their cell by method, noise and
                             seed; refused if a shared setting differs); trains nothing
  --cell K | --cell env      run cell K of the sweep in DIR (0-based, in sweep.json's order), or the cell of
                             SLURM_ARRAY_TASK_ID / JOB_COMPLETION_INDEX; any number of such processes, on any
                             machines sharing DIR, work one sweep: each claims its cell (claims/ in DIR), renews
                             its lease while the cell runs, then takes over cells whose holder died; tables are
                             rebuilt as each cell ends
  --lease-s S                a claim's lease (default 60): a holder silent this long is taken over
  --own-cell-only            with --cell: run that cell only, not the ones left without a holder
  --status                   print DIR's queue: each cell's state, holder (host/pid), progress, ETA
  --pivot ROWS,COLS          print DIR's table by any two axes (method, noise, lr, lam, arch, width, batch-size,
                             erasing), averaged over seeds; other axes with several values go into the rows;
                             --csv: as CSV
Run it again with the same --out to resume: finished cells are skipped and the interrupted one continues
from its checkpoint; with no settings flags it takes the sweep's own, and settings that differ are refused.
Ctrl-C stops after the current step, keeps every checkpoint, and exits with status 130.`;

const OWN_OPTIONS = {
  methods: { type: 'string' },
  seeds: { type: 'string' },
  jobs: { type: 'string' },
  import: { type: 'string', multiple: true },
  cell: { type: 'string' },
  status: { type: 'boolean' },
  'lease-s': { type: 'string' },
  'own-cell-only': { type: 'boolean' },
  pivot: { type: 'string' },
  csv: { type: 'boolean' },
} as const;
/** eac train's flags that a sweep sets per cell or fixes itself. */
const NOT_FOR_SWEEPS = ['method', 'seed', 'json', 'save', 'checkpoint', 'resume'] as const;
const OPTIONS = {
  ...Object.fromEntries(Object.entries(TRAIN_OPTIONS).filter(([k]) => !(NOT_FOR_SWEEPS as readonly string[]).includes(k))),
  ...OWN_OPTIONS,
} as const;

function importRuns(dir: string, state: SweepState, files: string[]): { state: SweepState; refused: number } {
  let refused = 0;
  for (const file of files) {
    try {
      const { bytes, run } = readRunJson(file);
      const id = matchRun(state, run);
      const next = importRun(state, run, { runId: id, at: Date.now() });
      // The out dir keeps every run of its table, as if it had trained them.
      const dest = cellFiles(dir, id).run;
      if (path.resolve(file) !== dest) writeFileAtomic(dest, bytes);
      state = next;
      progress(`imported ${file} as ${id}`);
    } catch (e) {
      refused++;
      const why = e instanceof SyntaxError ? `not JSON (${e.message.split('\n')[0]})` : (e as Error).message.split('\n')[0];
      progress(`refused ${file}: ${why}`);
    }
  }
  return { state, refused };
}

const pct = (x: number | null) => (x === null ? 'n/a' : `${(x * 100).toFixed(2)}%`);

async function runSweep(dir: string, start: SweepState, run: RunChoices, jobs: number): Promise<number> {
  let state = start;
  const total = state.order.length;
  const dispatch = (e: SweepEvent, save = true) => {
    state = reduceSweep(state, e);
    if (save) saveSweep(dir, state);
  };
  const stop = stopOnSignals((sig) =>
    progress(`interrupted (${sig}): stopping the running cells after their current step, keeping their checkpoints`),
  );

  const sweepLine = () => {
    const n = sweepCounts(state);
    return `sweep ${n.done}/${total} done${n.failed ? `, ${n.failed} failed` : ''}, ETA ${formatSeconds(sweepEta(state, jobs))}`;
  };
  const label = (id: string, name: string) => `cell ${state.order.indexOf(id) + 1}/${total} ${name}`;

  const launch = async ({ cell, resume }: NextCell): Promise<void> => {
    const files = cellFiles(dir, cell.id);
    let resuming = resume !== null;
    if (resume && !existsSync(files.checkpoint)) {
      progress(`${label(cell.id, cell.name)}: its checkpoint ${files.checkpoint} is gone; starting it again from scratch`);
      dispatch({ type: 'fail', cellId: cell.id, reason: 'checkpoint file missing' }, false);
      dispatch({ type: 'requeue', cellId: cell.id }, false);
      resuming = false;
    }
    dispatch({ type: 'start', cellId: cell.id, runId: cell.id, at: Date.now() });
    progress(
      `${label(cell.id, cell.name)}: ${resuming ? `resuming from ${path.basename(files.checkpoint)} (step ${resume!.checkpoint.step})` : 'starting'} | ${sweepLine()}`,
    );
    // The first step of each cell is always shown, then one line every 2 s.
    let lastPrint = -Infinity;
    const watch = {
      onStep: (s: StepInfo) => {
        if (s.seconds !== null)
          dispatch({ type: 'progress', cellId: cell.id, step: s.step, totalSteps: s.totalSteps, seconds: s.seconds }, false);
        const t = performance.now();
        if (t - lastPrint < 2000 && s.step !== s.totalSteps) return;
        lastPrint = t;
        progress(
          `${label(cell.id, cell.name)}: epoch ${s.epoch}/${s.epochs} step ${s.stepInEpoch}/${s.stepsPerEpoch} loss ${s.loss.toFixed(4)} | ${sweepLine()}`,
        );
      },
      onCheckpoint: (c: { step: number; epoch: number }) => dispatch({ type: 'checkpoint', cellId: cell.id, ...c, at: Date.now() }),
    };
    let end: CellEnd;
    try {
      const args = resuming ? resumeRunArgs(cell, dir, run) : newRunArgs(state.spec, cell, dir, run);
      end =
        jobs === 1
          ? await runCellHere(args, stop.signal, watch)
          : await runCellInChild(args, stop.signal, watch, (l) => progress(`[${cell.id}] ${l}`));
    } catch (e) {
      end = { kind: 'failed', reason: (e as Error).message };
    }
    if (end.kind === 'finished') {
      dispatch(readResult(dir, cell.id));
      // A finished run's checkpoint is of no more use, and a real one is hundreds of MB.
      if (state.cells[cell.id].status === 'done') rmSync(files.checkpoint, { force: true });
    } else if (end.kind === 'interrupted') dispatch({ type: 'interrupt', cellId: cell.id });
    else dispatch({ type: 'fail', cellId: cell.id, reason: end.reason });
    const c = state.cells[cell.id];
    const how =
      c.status === 'done'
        ? `done, test accuracy (mean of last 5 epochs) ${pct(c.summary.testAccLast5)} in ${formatSeconds(c.summary.seconds)}`
        : c.status === 'failed'
          ? `failed: ${c.reason}`
          : c.status === 'resumable'
            ? `stopped at step ${c.checkpoint.step}, resumable`
            : 'stopped before its first checkpoint';
    progress(`${label(cell.id, cell.name)}: ${how} | ${sweepLine()}`);
  };

  const active = new Set<Promise<void>>();
  try {
    saveSweep(dir, state);
    for (;;) {
      while (!stop.signal.aborted && active.size < jobs) {
        const next = nextCell(state);
        if (!next) break;
        const p: Promise<void> = launch(next).finally(() => active.delete(p));
        active.add(p);
      }
      if (active.size === 0) break;
      await Promise.race(active);
    }
  } finally {
    stop.release();
  }
  saveSweep(dir, state);
  const n = sweepCounts(state);
  const stoppedBy = stop.stoppedBy();
  if (stoppedBy) {
    progress(`sweep stopped: ${n.done}/${total} cells done; rerun with --out ${dir} to resume`);
    return signalExitCode(stoppedBy);
  }
  process.stdout.write(tableMarkdown(sweepTable(state)));
  progress(
    `sweep finished: ${n.done}/${total} cells done${n.failed ? `, ${n.failed} failed` : ''}${n.skipped + n.cancelled ? `, ${n.skipped + n.cancelled} skipped` : ''}; ${Object.values(
      TABLE_FILES,
    )
      .map((f) => path.join(dir, f))
      .join(', ')}`,
  );
  return n.failed ? 1 : 0;
}

const PIVOT_AXES: Record<string, TableAxis> = {
  method: 'method',
  methods: 'method',
  noise: 'noise',
  lr: 'lr',
  lam: 'lam',
  arch: 'arch',
  width: 'width',
  'batch-size': 'batchSize',
  erasing: 'erasing',
};

/** `--pivot ROWS,COLS`: two different axes by their flags' names. */
export function pivotAxes(flag: string): [TableAxis, TableAxis] {
  const parts = flag.split(',').map((p) => p.trim());
  const bad = parts.find((p) => !Object.hasOwn(PIVOT_AXES, p));
  if (parts.length !== 2 || bad !== undefined)
    throw new UsageError(
      `--pivot needs two axes ROWS,COLS among ${Object.keys(PIVOT_AXES).join(', ')}, got ${JSON.stringify(flag.slice(0, 80))}`,
    );
  const [r, c] = [PIVOT_AXES[parts[0]], PIVOT_AXES[parts[1]]];
  if (r === c) throw new UsageError(`--pivot needs two different axes, got ${parts[0]} twice`);
  return [r, c];
}

export async function sweepCommand(argv: string[]): Promise<number> {
  if (argv[0] === '--child') return childMain(argv.slice(1));
  // `--import a.json b.json` (a shell glob): the files after the first come as positionals.
  const { values: v, positionals } = parseWithPositionals(argv, OPTIONS);
  const imports = (v.import as unknown as string[] | undefined)?.concat(positionals);
  if (positionals.length && !imports) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
  if (v.help) {
    process.stdout.write(SWEEP_HELP + '\n');
    return 0;
  }
  if (v.out === undefined) throw new UsageError('--out DIR is required (the sweep’s folder)');
  const jobs = int(v, 'jobs', 1, { min: 1, max: 64 });
  const run = runChoices(v);
  if (v.pivot !== undefined) {
    const abs = path.resolve(v.out as string);
    const stored = loadSweep(abs);
    if (!stored) throw new UsageError(`--out ${v.out}: no sweep there`);
    const [rows, cols] = pivotAxes(v.pivot as string);
    const t = pivotTable(sweepFromFiles(abs, stored, Date.now()), rows, cols);
    process.stdout.write(v.csv ? pivotCsv(t) : pivotMarkdown(t));
    return 0;
  }
  if (v.status) {
    const stored = loadSweep(path.resolve(v.out as string));
    if (!stored) throw new UsageError(`--out ${v.out}: no sweep there`);
    process.stdout.write(statusText(path.resolve(v.out as string), stored, Date.now()));
    return 0;
  }
  const dir = ensureOutDir(v.out as string);
  if (v.cell !== undefined) {
    if (imports) throw new UsageError('--cell runs a cell; --import joins runs: give one of them');
    if (v.jobs !== undefined) throw new UsageError('--cell runs one cell at a time: start more processes instead of --jobs');
    const leaseMs = num(v, 'lease-s', 60, (x) => x >= 0.05 && x <= 86400, 'seconds in [0.05, 86400]') * 1000;
    return await cellCommand(dir, v, run, { now: Date.now, leaseMs }, !v['own-cell-only']);
  }
  for (const f of ['lease-s', 'own-cell-only'] as const) if (v[f] !== undefined) throw new UsageError(`--${f} goes with --cell`);
  const release = lockOutDir(dir);
  try {
    let state = openSweep(dir, v);
    const held = liveClaims(dir, state, Date.now());
    if (held.length)
      throw new UsageError(
        `--out ${dir}: --cell processes are working it (${held[0].cell} by ${held[0].host}/${held[0].pid}${held.length > 1 ? `, and ${held.length - 1} more` : ''}); join them with --cell, or wait`,
      );
    // Whatever ran when the last sweep process stopped is not running now.
    state = reduceSweep(state, { type: 'reloaded' });
    if (imports) {
      const r = importRuns(dir, state, imports);
      saveSweep(dir, r.state);
      process.stdout.write(tableMarkdown(sweepTable(r.state)));
      return r.refused ? 1 : 0;
    }
    if (state.spec.data.kind === 'cached')
      throw new UsageError(
        `${path.join(dir, SWEEP_FILE)} trains on a dataset of the lab's cache: run it in the lab (runs join it with --import)`,
      );
    return await runSweep(dir, state, run, jobs);
  } finally {
    release();
  }
}
