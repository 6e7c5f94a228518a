// Thinning long series for display: tens of thousands of steps drawn as SVG paths would make every
// chart update slow, so only a bounded set of rows is drawn. The data itself is never thinned.
// Pure (no DOM).

/**
 * Min/max buckets over a growing series, updated in O(new points): bucket b covers the indices
 * [b·width, (b+1)·width) and remembers, for every series, the index of its minimum and of its
 * maximum. When the buckets pass 2·target, neighbours are merged and the width doubles, so there
 * are always between `target` and 2·target of them (once the data is that long). Spikes (a
 * divergent step, the first high losses) always survive, unlike with every-k-th sampling.
 * Non-finite values are never an extreme.
 */
export class MinMaxBuckets {
  private width = 1;
  private buckets = 0;
  private n = 0;
  private readonly lo: Int32Array[];
  private readonly hi: Int32Array[];

  constructor(
    private readonly seriesCount: number,
    private readonly target: number,
  ) {
    if (!(target >= 1) || !(seriesCount >= 1)) throw new Error('MinMaxBuckets needs at least one series and one bucket');
    this.lo = Array.from({ length: seriesCount }, () => new Int32Array(2 * target + 1).fill(-1));
    this.hi = Array.from({ length: seriesCount }, () => new Int32Array(2 * target + 1).fill(-1));
  }

  get length(): number {
    return this.n;
  }

  /** Takes in the values at indices [length, n) of `series` (one array per series, same order every call). */
  add(series: readonly ArrayLike<number>[], n: number): void {
    if (series.length !== this.seriesCount) throw new Error(`expected ${this.seriesCount} series, got ${series.length}`);
    for (let i = this.n; i < n; i++) {
      let b = Math.floor(i / this.width);
      if (b >= 2 * this.target) {
        this.merge(series);
        b = Math.floor(i / this.width);
      }
      if (b >= this.buckets) this.buckets = b + 1;
      for (let s = 0; s < this.seriesCount; s++) {
        const y = series[s][i];
        if (!Number.isFinite(y)) continue;
        const lo = this.lo[s];
        const hi = this.hi[s];
        if (lo[b] < 0 || y < series[s][lo[b]]) lo[b] = i;
        if (hi[b] < 0 || y > series[s][hi[b]]) hi[b] = i;
      }
    }
    this.n = Math.max(this.n, n);
  }

  private merge(series: readonly ArrayLike<number>[]): void {
    const half = Math.ceil(this.buckets / 2);
    for (let s = 0; s < this.seriesCount; s++) {
      const ys = series[s];
      const lo = this.lo[s];
      const hi = this.hi[s];
      for (let b = 0; b < half; b++) {
        const [l1, l2, h1, h2] = [lo[2 * b], lo[2 * b + 1], hi[2 * b], hi[2 * b + 1]];
        lo[b] = l1 < 0 ? l2 : l2 < 0 ? l1 : ys[l2] < ys[l1] ? l2 : l1;
        hi[b] = h1 < 0 ? h2 : h2 < 0 ? h1 : ys[h2] > ys[h1] ? h2 : h1;
      }
      lo.fill(-1, half);
      hi.fill(-1, half);
    }
    this.buckets = half;
    this.width *= 2;
  }

  /**
   * Rows to draw: all of them while the data is short, else the first, the last, and every
   * bucket's extremes; sorted and distinct. At most 2·target·2·series + 2.
   */
  indices(): Int32Array {
    const n = this.n;
    if (this.width === 1 && n <= 2 * this.target) return Int32Array.from({ length: n }, (_, i) => i);
    const keep: number[] = [0, n - 1];
    for (let s = 0; s < this.seriesCount; s++) {
      for (let b = 0; b < this.buckets; b++) {
        if (this.lo[s][b] >= 0) keep.push(this.lo[s][b]);
        if (this.hi[s][b] >= 0) keep.push(this.hi[s][b]);
      }
    }
    const sorted = Int32Array.from(keep).sort();
    let m = 0;
    for (let i = 0; i < sorted.length; i++) if (i === 0 || sorted[i] !== sorted[i - 1]) sorted[m++] = sorted[i];
    return sorted.slice(0, m);
  }
}

/** The rows MinMaxBuckets keeps of `n` values of each series (one-shot form). */
export function minMaxIndices(n: number, series: readonly ArrayLike<number>[], target: number): Int32Array {
  const b = new MinMaxBuckets(Math.max(1, series.length), target);
  b.add(series.length ? series : [new Float64Array(n)], n);
  return b.indices();
}
