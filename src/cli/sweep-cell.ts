// `eac sweep --cell K` / `--cell env`: one cell of a sweep by its index, by any number of
// processes on any machines sharing the out dir (a SLURM array, a Kubernetes Indexed Job). Each
// process claims its cell (sweep-claims.ts), renews the claim's lease while the cell runs, and on
// its end rebuilds sweep.json and the tables from every cell's files, under a short lock; then it
// takes over cells whose holder died (their lease ended) and cells nobody claimed yet.
// `eac sweep --status --out DIR` reads the same files and prints the queue.
import { existsSync, linkSync, lstatSync, readFileSync, rmSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import { UsageError, type Flags } from './args.ts';
import { formatSeconds, printable, progress, writeTempFile } from './output.ts';
import { checkSameSweep, givesSpec, newSweep, readResult } from './sweep-files.ts';
import { loadSweep, saveSweep, SWEEP_FILE, TABLE_FILES } from './sweep-dir.ts';
import { cellFiles, newRunArgs, resumeRunArgs, type RunChoices } from './sweep-plan.ts';
import { runCellInChild, type CellEnd, type StepInfo } from './sweep-runner.ts';
import { type ClaimOptions, type ClaimRecord, leaseLive, topClaim, tryClaim, withTablesLock } from './sweep-claims.ts';
import {
  expandGrid,
  sweepCounts,
  sweepEta,
  sweepJsonText,
  sweepTable,
  tableMarkdown,
  type CellState,
  type SweepState,
} from '../engine/sweep/index.ts';
import { signalExitCode, stopOnSignals } from './stop-signals.ts';

/** The environment variables array schedulers set: SLURM's --array, Kubernetes' Indexed Jobs. */
export const INDEX_VARS = ['SLURM_ARRAY_TASK_ID', 'JOB_COMPLETION_INDEX'] as const;

/** The cell index `--cell` asks for (a number, or `env`), checked against the sweep's `cells`. */
export function cellIndex(flag: string, env: Record<string, string | undefined>, cells: number): number {
  let raw = flag;
  let from = '--cell';
  if (flag === 'env') {
    const name = INDEX_VARS.find((n) => env[n] !== undefined && env[n] !== '');
    if (!name) throw new UsageError(`--cell env: neither ${INDEX_VARS.join(' nor ')} is set (give --cell K instead)`);
    raw = env[name]!;
    from = `--cell env (${name}=${printable(raw, 40)})`;
  }
  if (!/^\d{1,7}$/.test(raw))
    throw new UsageError(`${from}: a cell index must be an integer ≥ 0, got ${JSON.stringify(printable(raw, 40))}`);
  const k = Number(raw);
  if (k >= cells) throw new UsageError(`${from}: the sweep has ${cells} cells (indices 0 to ${cells - 1}), no cell ${k}`);
  return k;
}

/**
 * The sweep in DIR, made by the first process to get there: its sweep.json is written whole and
 * linked into place (link(2) fails if another process made it first; that one's is then used).
 */
export function openSharedSweep(dir: string, v: Flags): SweepState {
  const stored = loadSweep(dir);
  if (stored) {
    checkSameSweep(dir, stored, v);
    return stored;
  }
  if (!givesSpec(v))
    throw new UsageError(`--out ${dir}: no sweep there yet; give its settings (--demo or --data, --methods, --noise, ...)`);
  const fresh = newSweep(v);
  const made = writeTempFile(dir, sweepJsonText(fresh));
  try {
    linkSync(made, path.join(dir, SWEEP_FILE));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    const other = loadSweep(dir)!;
    checkSameSweep(dir, other, v);
    return other;
  } finally {
    unlinkSync(made);
  }
  return fresh;
}

/** A cell's state as its files say: its claim (holder, lease, progress, checkpoint) and its run JSON. */
export function cellFromFiles(dir: string, id: string, stored: CellState, now: number): CellState {
  if (stored.status === 'done') return stored;
  const top = topClaim(dir, id);
  const r = top?.record ?? null;
  if (r?.state === 'done') {
    const e = readResult(dir, id);
    if (e.type === 'finish') return { status: 'done', runId: id, summary: e.summary, finishedAt: r.renewedAt, imported: false };
    return { status: 'failed', runId: id, reason: e.type === 'fail' ? e.reason : 'no result' };
  }
  if (r?.state === 'failed') return { status: 'failed', runId: id, reason: r.reason ?? 'failed' };
  if (r && leaseLive(r, now))
    return { status: 'running', runId: id, startedAt: r.claimedAt, checkpoint: r.checkpoint, progress: r.progress };
  if (r?.checkpoint && existsSync(cellFiles(dir, id).checkpoint))
    return { status: 'resumable', runId: id, checkpoint: r.checkpoint, progress: r.progress };
  return stored.status === 'running' ? { status: 'pending' } : stored;
}

/** The sweep as every process's files say now. */
export function sweepFromFiles(dir: string, stored: SweepState, now: number): SweepState {
  const cells: Record<string, CellState> = {};
  for (const id of stored.order) cells[id] = cellFromFiles(dir, id, stored.cells[id], now);
  return { ...stored, cells };
}

/** Rebuilds sweep.json and the tables from the cells' files, under the tables lock (a newer table is never replaced by an older one). */
export async function publish(dir: string, now: () => number): Promise<SweepState> {
  return withTablesLock(dir, () => {
    const stored = loadSweep(dir)!;
    const state = sweepFromFiles(dir, stored, now());
    saveSweep(dir, state);
    return state;
  });
}

export interface CellRunContext {
  dir: string;
  state: SweepState;
  run: RunChoices;
  claim: ClaimOptions;
  signal: AbortSignal;
}

export type CellOutcome = 'done' | 'already-done' | 'held' | 'lost' | 'failed' | 'interrupted' | 'skipped';

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        resolve();
      },
      { once: true },
    );
  });

const who = (r: ClaimRecord) => `${r.host}/${r.pid}`;

/**
 * Runs cell `id` if this process can claim it. `own`: the cell --cell asked for, whose holder is
 * waited for (up to its lease: a holder that renews is alive and keeps it; one that does not is
 * taken over), and which is retried if it failed.
 */
export async function workCell(ctx: CellRunContext, id: string, own: boolean): Promise<CellOutcome> {
  const { dir, state, claim } = ctx;
  const index = state.order.indexOf(id);
  const cell = expandGrid(state.spec).find((c) => c.id === id)!;
  const label = `cell ${index} ${cell.name}`;
  let seen: ClaimRecord | null = null;
  let got: Extract<ReturnType<typeof tryClaim>, { kind: 'claimed' }> | null = null;
  while (!got) {
    if (ctx.signal.aborted) return 'interrupted';
    // Done without a claim: by a one-process sweep of the folder, or joined with --import.
    if (loadSweep(dir)?.cells[id]?.status === 'done') {
      if (own) progress(`${label}: already done (${path.join(dir, SWEEP_FILE)} has its result)`);
      return 'already-done';
    }
    const c = tryClaim(dir, id, claim, own);
    if (c.kind === 'done') {
      if (own) progress(`${label}: already done (by ${who(c.by)})`);
      return 'already-done';
    }
    if (c.kind === 'failed') return 'skipped';
    if (c.kind === 'claimed') {
      got = c;
      break;
    }
    if (!own) return 'held';
    // Held: a holder that renews its lease while we wait is alive, and keeps its cell.
    if (seen && seen.gen === c.by.gen && c.by.renewedAt > seen.renewedAt) {
      progress(`${label}: run by ${who(c.by)}, which is alive (it renewed its lease); leaving it there`);
      return 'held';
    }
    if (!seen || seen.gen !== c.by.gen)
      progress(
        `${label}: held by ${who(c.by)} (claim ${c.by.gen}); waiting up to ${formatSeconds((c.by.renewedAt + c.by.leaseMs - claim.now()) / 1000)} for its lease to end or be renewed`,
      );
    seen = c.by;
    await sleep(Math.max(50, Math.min(2000, claim.leaseMs / 8)), ctx.signal);
  }
  const { lease, previous } = got;
  const files = cellFiles(dir, id);
  const resuming = existsSync(files.checkpoint);
  const took = previous && previous.state === 'running' ? ` (taken over from ${who(previous)}, whose lease ended)` : '';
  progress(
    `${label}: ${resuming ? `resuming from ${path.basename(files.checkpoint)}` : 'starting'}${took}; claim ${lease.record.gen} by ${who(lease.record)}`,
  );
  const controller = new AbortController();
  const stopRun = () => controller.abort();
  ctx.signal.addEventListener('abort', stopRun, { once: true });
  let lostTo: ClaimRecord | null = null;
  let lastProgress: ClaimRecord['progress'] = null;
  const beat = (change: Parameters<typeof lease.renew>[0] = {}) => {
    if (lostTo) return;
    if (lease.renew({ progress: lastProgress, ...change }) === 'lost') {
      lostTo = lease.lost();
      controller.abort();
    }
  };
  // The run is a child process, so this one's timer renews the lease even during a long step.
  const timer = setInterval(() => beat(), Math.max(20, claim.leaseMs / 4));
  timer.unref?.();
  let lastPrint = -Infinity;
  let end: CellEnd;
  try {
    const args = resuming ? resumeRunArgs(cell, dir, ctx.run) : newRunArgs(state.spec, cell, dir, ctx.run);
    end = await runCellInChild(
      args,
      controller.signal,
      {
        onStep: (s: StepInfo) => {
          lastProgress = s.seconds === null ? lastProgress : { step: s.step, totalSteps: s.totalSteps, seconds: s.seconds };
          if (lease.due()) beat();
          const t = performance.now();
          if (t - lastPrint < 2000 && s.step !== s.totalSteps) return;
          lastPrint = t;
          progress(`${label}: epoch ${s.epoch}/${s.epochs} step ${s.stepInEpoch}/${s.stepsPerEpoch} loss ${s.loss.toFixed(4)}`);
        },
        onCheckpoint: (c) => beat({ checkpoint: { ...c, at: claim.now() } }),
      },
      (l) => progress(`[${id}] ${l}`),
    );
  } catch (e) {
    end = { kind: 'failed', reason: (e as Error).message.split('\n')[0] };
  } finally {
    clearInterval(timer);
    ctx.signal.removeEventListener('abort', stopRun);
  }
  lostTo ??= lease.lost();
  if (lostTo) {
    progress(`${label}: ${who(lostTo)} took it over (this process missed its lease); stopped here`);
    return 'lost';
  }
  if (end.kind === 'finished') {
    const r = readResult(dir, id);
    if (r.type !== 'finish') end = { kind: 'failed', reason: r.type === 'fail' ? r.reason : 'no result' };
    else {
      if (lease.end('done') === 'lost') return 'lost';
      rmSync(files.checkpoint, { force: true });
      const s = r.summary.testAccLast5;
      progress(`${label}: done, test accuracy (mean of last 5 epochs) ${s === null ? 'n/a' : `${(s * 100).toFixed(2)}%`}`);
      return 'done';
    }
  }
  if (end.kind === 'interrupted') {
    lease.end('released');
    progress(`${label}: stopped${existsSync(files.checkpoint) ? ', resumable from its checkpoint' : ''}; its claim is released`);
    return 'interrupted';
  }
  lease.end('failed', end.reason);
  progress(`${label}: failed: ${end.reason}`);
  return 'failed';
}

/** `eac sweep --cell K|env --out DIR`: the cell, then any cell left without a live holder; its exit status. */
export async function cellCommand(dir: string, v: Flags, run: RunChoices, claim: ClaimOptions, helpOthers: boolean): Promise<number> {
  refuseIfLocked(dir);
  const state = openSharedSweep(dir, v);
  if (state.spec.data.kind === 'cached')
    throw new UsageError(`${path.join(dir, SWEEP_FILE)} trains on a dataset of the lab's cache: run it in the lab`);
  const k = cellIndex(String(v.cell), process.env, state.order.length);
  const stop = stopOnSignals((sig) =>
    progress(`interrupted (${sig}): stopping after the current step, keeping the checkpoint, releasing the claim`),
  );
  const ctx: CellRunContext = { dir, state, run, claim, signal: stop.signal };
  let failed = false;
  try {
    const ids = state.order;
    const mine = await workCell(ctx, ids[k], true);
    failed = mine === 'failed';
    if (mine !== 'already-done' && mine !== 'held') await publish(dir, claim.now);
    // Then the cells nobody holds: unclaimed ones, released ones, and those whose holder's lease ended.
    for (let i = 1; helpOthers && i < ids.length && !stop.signal.aborted; i++) {
      const id = ids[(k + i) % ids.length];
      const out = await workCell(ctx, id, false);
      if (out === 'done' || out === 'failed' || out === 'interrupted') await publish(dir, claim.now);
    }
  } finally {
    stop.release();
  }
  const end = await publish(dir, claim.now);
  const n = sweepCounts(end);
  const stoppedBy = stop.stoppedBy();
  if (stoppedBy) return signalExitCode(stoppedBy);
  if (n.done === n.total) process.stdout.write(tableMarkdown(sweepTable(end)));
  progress(
    `sweep: ${n.done}/${n.total} cells done${n.running ? `, ${n.running} running elsewhere` : ''}${n.failed ? `, ${n.failed} failed` : ''}; ${Object.values(
      TABLE_FILES,
    )
      .map((f) => path.join(dir, f))
      .join(', ')}`,
  );
  return failed ? 1 : 0;
}

/** A one-process sweep (`eac sweep --out DIR`, .sweep.lock) running here refuses --cell processes. */
function refuseIfLocked(dir: string): void {
  const file = path.join(dir, '.sweep.lock');
  const st = lstatSync(file, { throwIfNoEntry: false });
  if (!st) return;
  if (!st.isFile() || st.size > 64) throw new UsageError(`--out ${dir}: its lock .sweep.lock is not a lock eac wrote`);
  const pid = Number(readFileSync(file, 'utf8').slice(0, 20));
  let alive = false;
  try {
    process.kill(pid, 0);
    alive = Number.isInteger(pid) && pid > 0;
  } catch (e) {
    alive = (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  if (alive) throw new UsageError(`--out ${dir}: a one-process eac sweep (pid ${pid}) is running in it; --cell processes cannot join it`);
}

/** Cells held by a live lease now (a one-process sweep refuses to start over them). */
export function liveClaims(dir: string, state: SweepState, now: number): ClaimRecord[] {
  const out: ClaimRecord[] = [];
  for (const id of state.order) {
    const r = topClaim(dir, id)?.record ?? null;
    if (r && leaseLive(r, now)) out.push(r);
  }
  return out;
}

/** The queue as text: a line per cell (state, holder, progress, ETA), then the sweep's. */
export function statusText(dir: string, stored: SweepState, now: number): string {
  const state = sweepFromFiles(dir, stored, now);
  const grid = new Map(expandGrid(state.spec).map((c) => [c.id, c]));
  const rows: string[][] = [['#', 'cell', 'state', 'holder', 'progress', 'ETA']];
  for (const [i, id] of state.order.entries()) {
    const c = state.cells[id];
    const r = topClaim(dir, id)?.record ?? null;
    const holder = r ? `${r.host}/${r.pid}${r.gen > 0 ? ` (claim ${r.gen})` : ''}` : '–';
    const p = c.status === 'running' || c.status === 'resumable' ? c.progress : null;
    let what: string = c.status;
    if (c.status === 'running') what = `running, lease ${formatSeconds((r!.renewedAt + r!.leaseMs - now) / 1000)} left`;
    else if (r?.state === 'running' && !leaseLive(r, now))
      what = `${c.status}, holder gone (lease ended ${formatSeconds((now - r.renewedAt - r.leaseMs) / 1000)} ago)`;
    else if (c.status === 'resumable') what = `resumable from step ${c.checkpoint.step}`;
    else if (c.status === 'failed') what = `failed: ${c.reason}`;
    const prog =
      c.status === 'done'
        ? `${c.summary.steps} steps`
        : p?.totalSteps
          ? `${p.step}/${p.totalSteps} (${((p.step / p.totalSteps) * 100).toFixed(0)}%)`
          : '–';
    const eta =
      c.status === 'done'
        ? '–'
        : p && p.step > 0 && c.status === 'running'
          ? formatSeconds((p.seconds / p.step) * (p.totalSteps - p.step))
          : '?';
    rows.push([
      String(i),
      grid.get(id)!.id,
      what,
      c.status === 'done' || c.status === 'running' || r?.state === 'running' ? holder : '–',
      prog,
      eta,
    ]);
  }
  const widths = rows[0].map((_, j) => Math.max(...rows.map((r) => r[j].length)));
  const lines = rows.map((r) =>
    r
      .map((x, j) => x.padEnd(widths[j]))
      .join('  ')
      .trimEnd(),
  );
  const n = sweepCounts(state);
  const running = Math.max(1, n.running);
  const head = `${path.join(dir, SWEEP_FILE)}: ${n.total} cells, ${n.done} done, ${n.running} running, ${n.resumable} resumable, ${n.pending} pending${n.failed ? `, ${n.failed} failed` : ''}; ETA ${formatSeconds(sweepEta(state, running))} with ${running} at once`;
  return [head, ...lines].join('\n') + '\n';
}
