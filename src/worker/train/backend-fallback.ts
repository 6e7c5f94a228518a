// Which backend the training worker runs on, and the move to the next one when a GPU backend
// turns out unable to run the engine (a shader that does not compile): the standard order's
// first when the worker starts, then what the user asks for (a named backend, or 'auto': the
// probe's fastest, backend-probe.ts) when a run starts, replaced only by a fallback. Backend
// selection itself (src/worker/backend.ts) and the probe are passed in, so this logic runs in
// Node tests with fakes.
import {
  BACKEND_LABELS,
  BACKEND_ORDER,
  backendsAfter,
  type BackendAttempt,
  type BackendName,
  type BackendPreference,
  type ProbeReport,
  type ProbeShape,
} from '../protocol.ts';
import type { BackendSelection } from '../backend.ts';
import { errorKind, errorText } from './run-errors.ts';

interface BackendChoiceDeps {
  select(order: readonly BackendName[], earlier: readonly BackendAttempt[]): Promise<BackendSelection>;
  /** A backend now runs: tell the page (and watch its GPU). */
  announce(sel: BackendSelection): void;
  /** None could start (or selection threw): tell the page why. */
  none(error: unknown): void;
  /** Times the backends on `shape` (or reads this device's cached result); absent: 'auto' keeps the standard order. */
  probe?(
    shape: ProbeShape,
    onProgress: (index: number, total: number, name: BackendName) => void,
    signal?: AbortSignal,
  ): Promise<ProbeReport>;
}

/** `name` first, then the others in the standard order (where a forced backend falls back to). */
function orderWithFirst(name: BackendName): BackendName[] {
  return [name, ...BACKEND_ORDER.filter((n) => n !== name)];
}

/** Why a backend the user named runs, or why another does instead. */
export function forcedReason(asked: BackendName, sel: BackendSelection): string {
  if (sel.name === asked) return `${BACKEND_LABELS[asked]}, as chosen in the Backend setting (not measured against the others).`;
  const why = sel.attempts.find((a) => a.name === asked && !a.ok)?.detail ?? 'it did not start';
  return `${BACKEND_LABELS[asked]} was chosen in the Backend setting but is unavailable (${why}). Using ${BACKEND_LABELS[sel.name]} instead.`;
}

export class BackendChoice {
  private current: Promise<BackendSelection | null>;
  /** Settles one at a time: two probes would switch TensorFlow.js's backend under each other. */
  private settling: Promise<unknown> = Promise.resolve();

  constructor(private readonly deps: BackendChoiceDeps) {
    this.current = this.start(BACKEND_ORDER, []);
  }

  /** The backend in use (null: none could start). */
  get(): Promise<BackendSelection | null> {
    return this.current;
  }

  /** Starts the backend the user named (not 'auto', which waits for a run's probe); keeps the current one if it is that. */
  prefer(pref: BackendPreference): Promise<BackendSelection | null> {
    const next = this.settling.then(() => this.preferNow(pref));
    this.settling = next.catch(() => undefined);
    return next;
  }

  private async preferNow(pref: BackendPreference): Promise<BackendSelection | null> {
    const now = await this.current;
    if (pref === 'auto' || now?.name === pref) return now;
    this.current = this.start(orderWithFirst(pref), [], (sel) => forcedReason(pref, sel));
    return this.current;
  }

  /**
   * The backend a run trains on: the one the user named, or for 'auto' the probe's fastest for
   * the run's model shape (with the probe's report; a failed probe keeps the current backend).
   */
  settle(
    pref: BackendPreference,
    shape: ProbeShape,
    onProgress: (index: number, total: number, name: BackendName) => void,
    signal?: AbortSignal,
  ): Promise<{ sel: BackendSelection | null; report: ProbeReport | null }> {
    const next = this.settling.then(() => this.settleNow(pref, shape, onProgress, signal));
    this.settling = next.catch(() => undefined);
    return next;
  }

  private async settleNow(
    pref: BackendPreference,
    shape: ProbeShape,
    onProgress: (index: number, total: number, name: BackendName) => void,
    signal?: AbortSignal,
  ): Promise<{ sel: BackendSelection | null; report: ProbeReport | null }> {
    if (pref !== 'auto') return { sel: await this.preferNow(pref), report: null };
    const before = await this.current;
    if (!this.deps.probe) return { sel: before, report: null };
    let report: ProbeReport;
    try {
      report = await this.deps.probe(shape, onProgress, signal);
    } catch (e) {
      if (!signal?.aborted) console.warn('[eac] the backend probe failed; keeping the current backend', e);
      // The probe may have left TensorFlow.js on another backend: start the current one again.
      this.current = this.start(before ? orderWithFirst(before.name) : BACKEND_ORDER, [], before ? () => before.reason : undefined);
      return { sel: await this.current, report: null };
    }
    if (report.refusal) {
      // Auto refuses the run (rule 6): the backend stays what it was, nothing switches to a software GPU.
      this.current = this.start(before ? orderWithFirst(before.name) : BACKEND_ORDER, [], before ? () => before.reason : undefined);
      return { sel: await this.current, report };
    }
    const remembered = report.cached ? ` (measured on this device on ${report.at.slice(0, 10)}; choose a backend to override)` : '';
    this.current = this.start(orderWithFirst(report.chosen), [], (sel) =>
      sel.name === report.chosen ? `Auto: ${report.summary}${remembered}.` : forcedReason(report.chosen, sel),
    );
    return { sel: await this.current, report };
  }

  /**
   * Whether an error of a run on `sel` means the backend cannot run the engine rather than a
   * problem of the run: only GPU backends fail that way, and only with an error of no known kind.
   */
  isBackendFailure(sel: BackendSelection, e: unknown): boolean {
    return (sel.name === 'webgpu' || sel.name === 'webgl') && errorKind(e) === 'other';
  }

  /** Gives up on `sel` after it failed while training and moves to the next backend that starts. */
  fallBack(sel: BackendSelection, e: unknown): Promise<BackendSelection | null> {
    const detail = `failed while training (${errorText(e).split('\n')[0].slice(0, 200)})`;
    const earlier = [...sel.attempts.filter((a) => !a.ok), { name: sel.name, ok: false, detail }];
    this.current = this.start(backendsAfter(sel.name), earlier);
    return this.current;
  }

  private start(
    order: readonly BackendName[],
    earlier: readonly BackendAttempt[],
    reason?: (sel: BackendSelection) => string,
  ): Promise<BackendSelection | null> {
    return this.deps.select(order, earlier).then(
      (found) => {
        const sel = reason ? { ...found, reason: reason(found) } : found;
        this.deps.announce(sel);
        return sel;
      },
      (e: unknown) => {
        this.deps.none(e);
        return null;
      },
    );
  }
}
