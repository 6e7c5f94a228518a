// Pixel geometry of the loss chart's curves, from the chart's scales: the SVG path through a
// series, and the drawn row nearest a pointer position. Pure (no DOM, no React).
import type { LossRow } from './loss-series.ts';

/** A chart scale: data value → pixel (undefined outside what the scale knows). */
export type Scale = (v: number) => number | undefined;
export type SeriesKey = 'loss' | 'ce' | 'cons' | 'lossSmooth' | 'ceSmooth' | 'consSmooth';

/**
 * An SVG path through the rows' values of `key`, straight segments (M, then one L per further
 * point), clamped to the plot area between `top` and `bottom`. Rows whose value has no pixel
 * (not finite) are left out.
 */
export function linePath(rows: readonly LossRow[], key: SeriesKey, x: Scale, y: Scale, top: number, bottom: number): string {
  const parts: string[] = [];
  for (const r of rows) {
    const px = x(r.step);
    const py = y(r[key]);
    if (px === undefined || py === undefined || !Number.isFinite(px) || !Number.isFinite(py)) continue;
    parts.push(`${parts.length ? 'L' : 'M'}${px.toFixed(1)},${Math.min(bottom, Math.max(top, py)).toFixed(1)}`);
  }
  return parts.join('');
}

/** The index of the row drawn nearest to pixel column `px` (rows in step order; -1: no rows). Binary search. */
export function nearestRow(rows: readonly LossRow[], px: number, x: Scale): number {
  if (rows.length === 0) return -1;
  const at = (i: number) => x(rows[i].step) ?? 0;
  let lo = 0;
  let hi = rows.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (at(mid) < px) lo = mid + 1;
    else hi = mid;
  }
  return lo > 0 && Math.abs(at(lo - 1) - px) <= Math.abs(at(lo) - px) ? lo - 1 : lo;
}
