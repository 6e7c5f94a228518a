// The page's one render clock, from a training step to a pixel. The worker posts its step points
// and progress at most once per tick (STEP_MESSAGE_INTERVAL_MS, the same number); the page holds
// what arrives and applies it to the store once per tick, so the progress panel renders at most
// four times a second; at most once per CHART_EVERY_TICKS ticks comes a chart beat, when the loss
// chart takes the steps that arrived since. Charts then draw one after another (TurnQueue in useStaggered): a
// spacing between them within a beat, not a clock of its own.
//
// Why one clock: four timers chosen one performance fix at a time (worker 200 ms, page 250 ms,
// loss chart 1000 ms, chart turns 80 ms) beat against each other; one tick, and whole multiples of
// it, keeps each stage's cadence explainable and testable here.
import { STEP_MESSAGE_INTERVAL_MS } from '../worker/protocol.ts';

/** The page applies held worker messages to the store once per tick (ms). */
export const RENDER_TICK_MS = STEP_MESSAGE_INTERVAL_MS;
/** A running run's loss chart takes new steps at most once per this many ticks (once a second). */
export const CHART_EVERY_TICKS = 4;
const CHART_MS = CHART_EVERY_TICKS * RENDER_TICK_MS;

type Schedule = (run: () => void, ms: number) => unknown;
type Cancel = (handle: unknown) => void;

interface RenderClockOptions {
  /** Applies the held messages (the store update). */
  flush: () => void;
  schedule?: Schedule;
  cancel?: Cancel;
  now?: () => number;
}

export class RenderClock {
  private pending: unknown = null;
  private beatPending: unknown = null;
  private lastBeatAt = Number.NEGATIVE_INFINITY;
  private beat = 0;
  private readonly listeners = new Set<() => void>();
  private readonly flush: () => void;
  private readonly schedule: Schedule;
  private readonly cancel: Cancel;
  private readonly now: () => number;

  constructor(opts: RenderClockOptions) {
    this.flush = opts.flush;
    this.schedule = opts.schedule ?? ((run, ms) => setTimeout(run, ms));
    this.cancel = opts.cancel ?? ((h) => clearTimeout(h as ReturnType<typeof setTimeout>));
    this.now = opts.now ?? (() => performance.now());
  }

  /** Something was held: the next tick applies it. The clock is idle while nothing arrives. */
  held(): void {
    this.pending ??= this.schedule(() => this.tick(), RENDER_TICK_MS);
  }

  /** A message that cannot wait (a run's start, end, error): applies what is held now, off the beat. */
  flushNow(): void {
    if (this.pending !== null) this.cancel(this.pending);
    this.pending = null;
    this.flush();
  }

  /** The number of chart beats so far. */
  readonly chartBeat = (): number => this.beat;

  /** useSyncExternalStore's subscribe: called on each chart beat. */
  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  /**
   * Applies what is held; the charts follow at most once per CHART_MS, and at the latest CHART_MS
   * after the previous beat (a slow run's last step is drawn within a second, not four steps later).
   */
  private tick(): void {
    this.pending = null;
    this.flush();
    if (this.beatPending !== null) return;
    const wait = this.lastBeatAt + CHART_MS - this.now();
    if (wait <= 0) this.chartsBeat();
    else this.beatPending = this.schedule(() => this.chartsBeat(), wait);
  }

  private chartsBeat(): void {
    this.beatPending = null;
    this.lastBeatAt = this.now();
    this.beat++;
    for (const listener of this.listeners) listener();
  }
}
