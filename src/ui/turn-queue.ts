// Work for the page's main thread, run in turns: a queue of jobs that runs one job (or jobs for up
// to a time budget) per task, with a gap between turns, so that a burst of work (every chart's new
// data at an epoch's end, a dozen canvases to repaint) is spread over several short tasks instead of
// one long one. Jobs are plain callbacks; no React, no DOM beyond asking whether the page is hidden.

export type Job = () => void;
type Schedule = (run: () => void, ms: number) => void;

const pageHidden = () => typeof document !== 'undefined' && document.visibilityState === 'hidden';

interface TurnQueueOptions {
  /** The wait between turns, in ms. */
  gapMs: number;
  /** Jobs run in one turn until this much time has passed (0: one job per turn). */
  budgetMs?: number;
  /** A hidden page draws no frames (and throttles timers to one a second or less): it runs every job in one turn. */
  hidden?: () => boolean;
  schedule?: Schedule;
  now?: () => number;
}

export class TurnQueue {
  private jobs: Job[] = [];
  private waiting = false;
  private readonly gapMs: number;
  private readonly budgetMs: number;
  private readonly hidden: () => boolean;
  private readonly schedule: Schedule;
  private readonly now: () => number;

  constructor(opts: TurnQueueOptions) {
    this.gapMs = opts.gapMs;
    this.budgetMs = opts.budgetMs ?? 0;
    this.hidden = opts.hidden ?? pageHidden;
    this.schedule = opts.schedule ?? ((run, ms) => void setTimeout(run, ms));
    this.now = opts.now ?? (() => performance.now());
  }

  get length(): number {
    return this.jobs.length;
  }

  enqueue(job: Job): void {
    this.jobs.push(job);
    // The first job of a burst still waits for a new task: the work that queued it is in this one.
    if (!this.waiting) this.wait(0);
  }

  remove(job: Job): void {
    const i = this.jobs.indexOf(job);
    if (i >= 0) this.jobs.splice(i, 1);
  }

  private wait(ms: number): void {
    this.waiting = true;
    this.schedule(() => this.turn(), ms);
  }

  private turn(): void {
    this.waiting = false;
    const hidden = this.hidden();
    const start = this.now();
    do {
      const job = this.jobs.shift();
      if (!job) return;
      job();
    } while (hidden || this.now() - start < this.budgetMs);
    // The gap follows the last job too, so that work queued right after it does not share its task.
    this.wait(this.gapMs);
  }
}
