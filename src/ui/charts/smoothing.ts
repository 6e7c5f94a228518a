// TensorBoard's scalar smoothing: an exponential moving average whose start-up bias towards zero is
// divided out, so the first smoothed points sit on the data instead of rising from 0.
// Pure (no DOM): the charts and the unit tests share it.

/** Clamps the slider's weight to [0, 0.999]; anything else (NaN) is 0 = no smoothing. */
function smoothingWeight(weight: number): number {
  return Number.isFinite(weight) ? Math.min(Math.max(weight, 0), 0.999) : 0;
}

/**
 * The smoothed series, grown one value at a time (O(1) each): s_t = m_t / (1 − w^k), with
 * m_t = w·m_{t−1} + (1 − w)·y_t, m_0 = 0, k = the finite values so far. Non-finite values pass
 * through unchanged and do not enter the average. As in TensorBoard, a series that is constant
 * throughout is shown as is (not bent by rounding): `constant` tells, and `valueAt` applies it.
 */
export class EmaSmoother {
  private last = 0;
  private count = 0;
  private first = NaN;
  private seen = 0;
  /** True while every value so far equals the first. */
  constant = true;
  readonly weight: number;

  constructor(weight: number) {
    this.weight = smoothingWeight(weight);
  }

  /** The smoothed value for `y`, the next value of the series. */
  push(y: number): number {
    if (this.seen++ === 0) this.first = y;
    else if (y !== this.first) this.constant = false;
    if (!Number.isFinite(y)) return y;
    const w = this.weight;
    this.last = this.last * w + (1 - w) * y;
    this.count++;
    // w^count underflows to 0 after a few thousand steps: the debias factor is then simply 1.
    return w === 0 ? this.last : this.last / (1 - Math.pow(w, this.count));
  }
}

/** The smoothed copy of a whole series (TensorBoard's formula; see EmaSmoother). */
export function emaSmooth(values: ArrayLike<number>, weight: number): Float64Array {
  const s = new EmaSmoother(weight);
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = s.push(values[i]);
  return s.constant ? Float64Array.from(values) : out;
}
