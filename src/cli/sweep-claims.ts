// Claims on a sweep's cells by any number of `eac sweep --cell` processes, on any machines that
// share the out dir. A cell's claims are files claims/CELL.GEN.claim, GEN = 0, 1, 2...: the
// highest generation is the cell's holder. A claim is made whole in a temporary file and then
// hard-linked to its name: link(2) fails with EEXIST when the name exists, atomically, on local
// file systems and on NFS alike (the classic NFS-safe lock; O_EXCL creation was not atomic on
// NFSv2, and a created-then-written file can be read half-written). So of any number of processes
// that try to create one generation, exactly one succeeds, and nobody ever reads a partial claim.
//
// The holder renews its lease by rewriting its own claim (temporary file + rename, atomic). A
// claim whose lease ended (the holder died, or stalled longer than the lease) is taken over by
// creating the next generation; the old holder, at its next renewal, sees the newer claim and
// stops. Time comes from `now` (injectable), so tests can age a lease without waiting.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { linkSync, lstatSync, mkdirSync, readdirSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic, writeTempFile } from './output.ts';
import { readRegularFile } from './read-file.ts';

export const CLAIMS_DIR = 'claims';
/** Above any real number of takeovers of one cell: a bigger generation is not ours. */
const MAX_GEN = 1_000_000;
const CLAIM_MAX_BYTES = 4096;
export const CLAIM_FORMAT = 'eac-sweep-claim';

export type ClaimState = 'running' | 'done' | 'released' | 'failed';

export interface ClaimRecord {
  format: typeof CLAIM_FORMAT;
  cell: string;
  gen: number;
  host: string;
  pid: number;
  token: string;
  claimedAt: number;
  renewedAt: number;
  leaseMs: number;
  state: ClaimState;
  /** How far the cell's run is (for --status and the ETA). */
  progress: { step: number; totalSteps: number; seconds: number } | null;
  /** The last checkpoint the run wrote (CELL.ckpt). */
  checkpoint: { step: number; epoch: number; at: number } | null;
  /** One line, for a failed cell. */
  reason?: string;
}

export interface ClaimOptions {
  now: () => number;
  leaseMs: number;
  host?: string;
  pid?: number;
}

export const claimFile = (dir: string, cell: string, gen: number) => path.join(dir, CLAIMS_DIR, `${cell}.${gen}.claim`);

/** The generations of `cell`'s claims in the dir, highest first. */
export function claimGens(dir: string, cell: string): number[] {
  let names: string[];
  try {
    names = readdirSync(path.join(dir, CLAIMS_DIR));
  } catch {
    return [];
  }
  const prefix = `${cell}.`;
  const gens: number[] = [];
  for (const n of names) {
    if (!n.startsWith(prefix) || !n.endsWith('.claim')) continue;
    const g = n.slice(prefix.length, -'.claim'.length);
    if (/^\d{1,7}$/.test(g) && Number(g) <= MAX_GEN) gens.push(Number(g));
  }
  return gens.sort((a, b) => b - a);
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isInt = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

/** A claim file read as untrusted input (a regular file, bounded); null when it is not a claim of ours. */
export function readClaim(dir: string, cell: string, gen: number): ClaimRecord | null {
  let doc: unknown;
  try {
    const bytes = readRegularFile(claimFile(dir, cell, gen), {
      checkSize(size) {
        if (size > CLAIM_MAX_BYTES) throw new Error('too big');
      },
      notRegular: (m) => new Error(m),
      noLinks: true,
    });
    doc = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return null;
  }
  if (!isObj(doc) || doc.format !== CLAIM_FORMAT || doc.cell !== cell || doc.gen !== gen) return null;
  const ok =
    typeof doc.host === 'string' &&
    doc.host.length <= 255 &&
    isInt(doc.pid) &&
    typeof doc.token === 'string' &&
    isInt(doc.claimedAt) &&
    isInt(doc.renewedAt) &&
    isInt(doc.leaseMs) &&
    ['running', 'done', 'released', 'failed'].includes(doc.state as string);
  if (!ok) return null;
  const p = doc.progress;
  const c = doc.checkpoint;
  return {
    format: CLAIM_FORMAT,
    cell,
    gen,
    host: (doc.host as string).replace(/[^\x20-\x7e]/g, '?'),
    pid: doc.pid as number,
    token: String(doc.token).slice(0, 64),
    claimedAt: doc.claimedAt as number,
    renewedAt: doc.renewedAt as number,
    leaseMs: doc.leaseMs as number,
    state: doc.state as ClaimState,
    progress:
      isObj(p) && isInt(p.step) && isInt(p.totalSteps) && typeof p.seconds === 'number' && p.seconds >= 0
        ? { step: p.step, totalSteps: p.totalSteps, seconds: p.seconds }
        : null,
    checkpoint: isObj(c) && isInt(c.step) && isInt(c.epoch) && isInt(c.at) ? { step: c.step, epoch: c.epoch, at: c.at } : null,
    reason: typeof doc.reason === 'string' ? doc.reason.split('\n')[0].slice(0, 300) : undefined,
  };
}

/** The cell's current claim: its highest generation, whether or not it can be read. */
export interface TopClaim {
  gen: number;
  /** null: the file is not a claim eac wrote (unreadable, torn by hand, planted): it counts as ended. */
  record: ClaimRecord | null;
}

export function topClaim(dir: string, cell: string): TopClaim | null {
  const [gen] = claimGens(dir, cell);
  return gen === undefined ? null : { gen, record: readClaim(dir, cell, gen) };
}

/** Whether a claim still holds its cell at `now`: running, and renewed within its lease. */
export function leaseLive(r: ClaimRecord | null, now: number): boolean {
  return !!r && r.state === 'running' && now < r.renewedAt + r.leaseMs;
}

/**
 * Creates generation `gen` of the cell's claim, whole, or returns false when another process
 * created it first (link(2) is atomic: of any number of tries, exactly one succeeds).
 */
export function createClaim(dir: string, rec: ClaimRecord): boolean {
  mkdirSync(path.join(dir, CLAIMS_DIR), { recursive: true });
  const tmp = writeTempFile(path.join(dir, CLAIMS_DIR), JSON.stringify(rec));
  try {
    linkSync(tmp, claimFile(dir, rec.cell, rec.gen));
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  } finally {
    unlinkSync(tmp);
  }
}

export type ClaimResult =
  | { kind: 'claimed'; lease: Lease; previous: ClaimRecord | null }
  | { kind: 'held'; by: ClaimRecord }
  | { kind: 'done'; by: ClaimRecord }
  | { kind: 'failed'; by: ClaimRecord };

/**
 * Claims `cell` for this process: free (no claim, released, or its lease ended) → a new
 * generation; held by a live lease, done or failed → said so. `retryFailed` takes a failed cell too.
 */
export function tryClaim(dir: string, cell: string, opts: ClaimOptions, retryFailed = false): ClaimResult {
  for (let attempt = 0; attempt < 5; attempt++) {
    const top = topClaim(dir, cell);
    const r = top?.record ?? null;
    const now = opts.now();
    if (r?.state === 'done') return { kind: 'done', by: r };
    if (r?.state === 'failed' && !retryFailed) return { kind: 'failed', by: r };
    if (leaseLive(r, now)) return { kind: 'held', by: r! };
    const gen = top ? top.gen + 1 : 0;
    if (gen > MAX_GEN) throw new Error(`${cell}: more than ${MAX_GEN} claims`);
    const rec: ClaimRecord = {
      format: CLAIM_FORMAT,
      cell,
      gen,
      host: opts.host ?? hostname(),
      pid: opts.pid ?? process.pid,
      token: randomBytes(8).toString('hex'),
      claimedAt: now,
      renewedAt: now,
      leaseMs: opts.leaseMs,
      state: 'running',
      progress: r?.progress ?? null,
      checkpoint: r?.checkpoint ?? null,
    };
    if (createClaim(dir, rec)) return { kind: 'claimed', lease: new Lease(dir, rec, opts), previous: r };
    // Another process made this generation first: look again.
  }
  const r = topClaim(dir, cell)?.record;
  if (r) return { kind: 'held', by: r };
  throw new Error(`${cell}: cannot claim it (its claims change faster than they can be read)`);
}

/** A claim this process holds: renewed while its cell runs, ended done, released or failed. */
export class Lease {
  private rec: ClaimRecord;
  constructor(
    private readonly dir: string,
    rec: ClaimRecord,
    private readonly opts: ClaimOptions,
  ) {
    this.rec = { ...rec };
  }
  get record(): ClaimRecord {
    return { ...this.rec };
  }
  /** Another process took the cell over (made a newer generation): this one must stop. */
  lost(): ClaimRecord | null {
    const [top] = claimGens(this.dir, this.rec.cell);
    if (top === undefined || top <= this.rec.gen) return null;
    return readClaim(this.dir, this.rec.cell, top) ?? { ...this.rec, gen: top, host: '?', pid: 0 };
  }
  /** Whether the lease is due for renewal (a quarter of it has passed). */
  due(): boolean {
    return this.opts.now() - this.rec.renewedAt >= this.rec.leaseMs / 4;
  }
  /** Renews the lease (with the run's progress); 'lost' when another process took the cell over. */
  renew(change: Partial<Pick<ClaimRecord, 'progress' | 'checkpoint'>> = {}): 'ok' | 'lost' {
    if (this.lost()) return 'lost';
    this.rec = { ...this.rec, ...change, renewedAt: this.opts.now() };
    writeFileAtomic(claimFile(this.dir, this.rec.cell, this.rec.gen), JSON.stringify(this.rec));
    return 'ok';
  }
  /** Ends the claim: done (the run JSON is written), released (stopped: anyone may resume it at once) or failed. */
  end(state: Exclude<ClaimState, 'running'>, reason?: string): 'ok' | 'lost' {
    if (this.lost()) return 'lost';
    this.rec = { ...this.rec, state, renewedAt: this.opts.now(), ...(reason ? { reason: reason.split('\n')[0].slice(0, 300) } : {}) };
    writeFileAtomic(claimFile(this.dir, this.rec.cell, this.rec.gen), JSON.stringify(this.rec));
    return 'ok';
  }
}

/**
 * A short lock around rebuilding the tables (claims/.tables.lock, made by link(2) as claims are),
 * so that two processes finishing cells at once never replace a newer table with an older one.
 * A lock older than `staleMs` (its holder died while writing) is removed. Returns its release.
 */
export async function withTablesLock<T>(dir: string, fn: () => T, now: () => number = Date.now, staleMs = 30_000): Promise<T> {
  const file = path.join(dir, CLAIMS_DIR, '.tables.lock');
  mkdirSync(path.join(dir, CLAIMS_DIR), { recursive: true });
  for (let i = 0; ; i++) {
    const tmp = writeTempFile(path.join(dir, CLAIMS_DIR), `${hostname()} ${process.pid}`);
    let got = false;
    try {
      linkSync(tmp, file);
      got = true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    } finally {
      unlinkSync(tmp);
    }
    if (got) {
      try {
        return fn();
      } finally {
        try {
          unlinkSync(file);
        } catch {
          /* taken as stale meanwhile */
        }
      }
    }
    const st = lstatSync(file, { throwIfNoEntry: false });
    if (st && now() - st.mtimeMs > staleMs) {
      try {
        unlinkSync(file);
      } catch {
        /* another process removed it */
      }
      continue;
    }
    if (i > 600) throw new Error(`${file}: held for more than a minute`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
