// Round axis ticks for the loss chart (0, 0.5, 1, 1.5 … rather than 0, 0.65, 1.3 …). Pure.

/** 0 … a round top ≥ max, in `count`−1 or fewer equal round steps (1, 2, 2.5 or 5 × 10^k). */
export function niceTicks(max: number, count = 5): number[] {
  if (!Number.isFinite(max) || max <= 0) return [0, 1];
  const raw = max / Math.max(1, count - 1);
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw * (1 - 1e-9)) ?? 10 * mag;
  const n = Math.ceil(max / step - 1e-9);
  // Rounded to the step's decimals so 0.1·3 prints as 0.3, not 0.30000000000000004.
  const digits = Math.max(0, -Math.floor(Math.log10(step)) + 1);
  return Array.from({ length: n + 1 }, (_, i) => Number((i * step).toFixed(digits)));
}

/** The largest finite value of `key` over the rows (0 when none). */
export function maxOf<T>(rows: readonly T[], keys: readonly (keyof T)[]): number {
  let m = 0;
  for (const r of rows) {
    for (const k of keys) {
      const v = r[k] as unknown as number;
      if (Number.isFinite(v) && v > m) m = v;
    }
  }
  return m;
}
