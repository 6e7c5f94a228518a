// Pixel geometry of the lab's curves, from a chart's scales: the SVG path through a series, and
// the row drawn nearest a pointer position. Pure (no DOM, no React).

/** A chart scale: data value → pixel (undefined outside what the scale knows). */
export type Scale = (v: number) => number | undefined;

/** A row's value of `key` as a number, or null when it has none (missing, null, not finite). */
export function valueAt(row: object, key: string): number | null {
  const v = (row as Record<string, unknown>)[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/** Where a row's (xKey, yKey) point is drawn, or null when it has no value or no finite pixel. */
export function pointOf(row: object, xKey: string, yKey: string, x: Scale, y: Scale): [number, number] | null {
  const xv = valueAt(row, xKey);
  const yv = valueAt(row, yKey);
  const px = xv === null ? undefined : x(xv);
  const py = yv === null ? undefined : y(yv);
  return px === undefined || py === undefined || !Number.isFinite(px) || !Number.isFinite(py) ? null : [px, py];
}

/**
 * An SVG path through the rows' (xKey, yKey) points in straight segments, clamped to the plot area
 * between `top` and `bottom`: M, then one L per further point. A row without a value breaks the
 * line (the next point starts with M), as recharts' Lines do.
 */
export function linePath(rows: readonly object[], xKey: string, yKey: string, x: Scale, y: Scale, top: number, bottom: number): string {
  const parts: string[] = [];
  let open = false;
  for (const r of rows) {
    const p = pointOf(r, xKey, yKey, x, y);
    if (!p) {
      open = false;
      continue;
    }
    parts.push(`${open ? 'L' : 'M'}${p[0].toFixed(1)},${Math.min(bottom, Math.max(top, p[1])).toFixed(1)}`);
    open = true;
  }
  return parts.join('');
}

/** The index of the row drawn nearest to pixel column `px` (rows in increasing xKey; -1: no rows). Binary search. */
export function nearestRow(rows: readonly object[], xKey: string, px: number, x: Scale): number {
  if (rows.length === 0) return -1;
  const at = (i: number) => x(valueAt(rows[i], xKey) ?? NaN) ?? NaN;
  let lo = 0;
  let hi = rows.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (at(mid) < px) lo = mid + 1;
    else hi = mid;
  }
  return lo > 0 && Math.abs(at(lo - 1) - px) <= Math.abs(at(lo) - px) ? lo - 1 : lo;
}
