// Where the feature picture draws its points, and which point the pointer is over. Pure: no DOM.

/**
 * Plot coordinates (CSS pixels) of every point, fitted into the square with a margin. UMAP's
 * distances mean the same along both axes, so the axes share one scale, except that a layout much
 * longer than wide is stretched across (at most `maxStretch`×) rather than drawn as a thin strip.
 */
export function layoutPoints(coords: Float32Array, side: number, margin = 14, maxStretch = 2.5): Float32Array {
  const n = coords.length / 2;
  let x0 = Infinity,
    x1 = -Infinity,
    y0 = Infinity,
    y1 = -Infinity;
  for (let i = 0; i < n; i++) {
    x0 = Math.min(x0, coords[i * 2]);
    x1 = Math.max(x1, coords[i * 2]);
    y0 = Math.min(y0, coords[i * 2 + 1]);
    y1 = Math.max(y1, coords[i * 2 + 1]);
  }
  const inner = side - 2 * margin;
  const sx0 = inner / (x1 - x0 || 1);
  const sy0 = inner / (y1 - y0 || 1);
  const s = Math.min(sx0, sy0);
  const sx = Math.min(sx0, s * maxStretch);
  const sy = Math.min(sy0, s * maxStretch);
  const ox = margin + (inner - (x1 - x0) * sx) / 2;
  const oy = margin + (inner - (y1 - y0) * sy) / 2;
  const out = new Float32Array(n * 2);
  for (let i = 0; i < n; i++) {
    out[i * 2] = ox + (coords[i * 2] - x0) * sx;
    out[i * 2 + 1] = oy + (y1 - coords[i * 2 + 1]) * sy;
  }
  return out;
}

/** The point nearest to (x, y) within `radius` (null: none). */
export function nearestPoint(points: Float32Array, x: number, y: number, radius: number): number | null {
  let best: number | null = null;
  let bestD = radius * radius;
  for (let i = 0; i < points.length / 2; i++) {
    const d = (points[i * 2] - x) ** 2 + (points[i * 2 + 1] - y) ** 2;
    if (d <= bestD) {
      bestD = d;
      best = i;
    }
  }
  return best;
}
