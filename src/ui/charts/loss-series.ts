// The loss chart's data: per-step loss, cross-entropy and weighted consistency, raw and smoothed,
// thinned to a bounded number of rows, plus the steps where a new epoch begins.
// Pure (no DOM, no React). The store appends step batches to a new array each time; the builder
// notices when the new array extends the one it saw and only takes in the new steps, so a chart
// update costs O(new steps + drawn rows), not O(all steps).
import type { StepLog } from '../../engine/run-types.ts';
import { EmaSmoother } from './smoothing.ts';
import { MinMaxBuckets } from './downsample.ts';

export interface LossRow {
  step: number;
  epoch: number;
  loss: number;
  ce: number;
  /** λ·consistency: the consistency term's share of the loss (the worker reports the unweighted MSE). */
  cons: number;
  lossSmooth: number;
  ceSmooth: number;
  consSmooth: number;
}

export interface EpochBoundary {
  /** Drawn between the last step of the previous epoch and the first of this one. */
  x: number;
  epoch: number;
}

export interface LossSeries {
  rows: LossRow[];
  boundaries: EpochBoundary[];
  /** Steps in the data (rows.length ≤ this). */
  total: number;
}

interface LossSeriesOptions {
  smoothing: number;
  lam: number;
  /** Buckets of the min/max thinning: between this and twice this many (default LOSS_BUCKETS). */
  buckets?: number;
}

/** 125–250 buckets × (min, max) × 3 series: at most 1502 drawn rows, whatever the run's length. */
const LOSS_BUCKETS = 125;

class Column {
  data = new Float64Array(1024);
  ensure(n: number): void {
    if (n <= this.data.length) return;
    const next = new Float64Array(Math.max(n, this.data.length * 2));
    next.set(this.data);
    this.data = next;
  }
}

export class LossSeriesBuilder {
  private steps: readonly StepLog[] | null = null;
  private n = 0;
  private key = '';
  private raw = [new Column(), new Column(), new Column()];
  private smooth = [new Column(), new Column(), new Column()];
  private smoothers: EmaSmoother[] = [];
  private buckets: MinMaxBuckets | null = null;
  private boundaries: EpochBoundary[] = [];

  /** The series for `steps`; reuses the work done for a previous array that `steps` extends. */
  update(steps: readonly StepLog[], opts: LossSeriesOptions): LossSeries {
    const key = `${opts.smoothing}|${opts.lam}|${opts.buckets ?? LOSS_BUCKETS}`;
    const extends_ =
      this.steps !== null && key === this.key && steps.length >= this.n && (this.n === 0 || steps[this.n - 1] === this.steps[this.n - 1]);
    if (!extends_) this.reset(key, opts);
    this.steps = steps;
    const n = steps.length;
    for (const c of [...this.raw, ...this.smooth]) c.ensure(n);
    const [loss, ce, cons] = this.raw.map((c) => c.data);
    for (let i = this.n; i < n; i++) {
      const s = steps[i];
      loss[i] = s.loss;
      ce[i] = s.ce;
      cons[i] = opts.lam * s.consistency;
      for (let k = 0; k < 3; k++) this.smooth[k].data[i] = this.smoothers[k].push(this.raw[k].data[i]);
      if (i > 0 && s.epoch !== steps[i - 1].epoch) this.boundaries.push({ x: (steps[i - 1].step + s.step) / 2, epoch: s.epoch });
    }
    this.buckets!.add([loss, ce, cons], n);
    this.n = n;
    return { rows: this.rows(), boundaries: this.boundaries.slice(), total: n };
  }

  private reset(key: string, opts: LossSeriesOptions): void {
    this.key = key;
    this.n = 0;
    this.smoothers = [0, 1, 2].map(() => new EmaSmoother(opts.smoothing));
    this.buckets = new MinMaxBuckets(3, opts.buckets ?? LOSS_BUCKETS);
    this.boundaries = [];
  }

  private rows(): LossRow[] {
    const steps = this.steps!;
    const keep = this.buckets!.indices();
    const [loss, ce, cons] = this.raw.map((c) => c.data);
    // A series constant throughout is drawn as is (TensorBoard's rule), e.g. a baseline's zero consistency.
    const sm = this.smooth.map((c, k) => (this.smoothers[k].constant ? this.raw[k].data : c.data));
    const rows: LossRow[] = new Array(keep.length);
    for (let j = 0; j < keep.length; j++) {
      const i = keep[j];
      rows[j] = {
        step: steps[i].step,
        epoch: steps[i].epoch,
        loss: loss[i],
        ce: ce[i],
        cons: cons[i],
        lossSmooth: sm[0][i],
        ceSmooth: sm[1][i],
        consSmooth: sm[2][i],
      };
    }
    return rows;
  }
}

/** The series of `steps` in one go (a fresh builder). */
export function buildLossSeries(steps: readonly StepLog[], opts: LossSeriesOptions): LossSeries {
  return new LossSeriesBuilder().update(steps, opts);
}

/** At most `max` boundaries get a text label (every k-th), so 60 epochs do not print 60 labels. */
export function labelEvery(boundaries: number, max = 12): number {
  return Math.max(1, Math.ceil(boundaries / max));
}
