// Colour-mapping of attention maps for the attention panel: viridis (perceptually uniform, readable
// in greyscale and by colour-blind viewers), a shared value range per sample so both maps of a
// sample are comparable, and RGBA pixels ready for a canvas. Pure: no DOM.

/** Viridis at 9 evenly spaced points (matplotlib's values), interpolated linearly between them. */
const VIRIDIS_STOPS: readonly (readonly [number, number, number])[] = [
  [68, 1, 84],
  [71, 44, 122],
  [59, 81, 139],
  [44, 113, 142],
  [33, 144, 141],
  [39, 173, 129],
  [92, 200, 99],
  [170, 220, 50],
  [253, 231, 37],
];

/** Viridis colour of t in [0, 1] (clamped). */
export function viridis(t: number): [number, number, number] {
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (VIRIDIS_STOPS.length - 1);
  const i = Math.min(VIRIDIS_STOPS.length - 2, Math.floor(x));
  const f = x - i;
  const a = VIRIDIS_STOPS[i];
  const b = VIRIDIS_STOPS[i + 1];
  return [Math.round(a[0] + (b[0] - a[0]) * f), Math.round(a[1] + (b[1] - a[1]) * f), Math.round(a[2] + (b[2] - a[2]) * f)];
}

/** The min and max over several maps (a flat range gets a width of 1 so it maps to the bottom colour). */
export function sharedRange(...maps: ArrayLike<number>[]): { lo: number; hi: number } {
  let lo = Infinity;
  let hi = -Infinity;
  for (const m of maps)
    for (let i = 0; i < m.length; i++) {
      if (m[i] < lo) lo = m[i];
      if (m[i] > hi) hi = m[i];
    }
  if (!Number.isFinite(lo)) return { lo: 0, hi: 1 };
  return hi > lo ? { lo, hi } : { lo, hi: lo + 1 };
}

/** RGBA bytes (h·w·4) of a map, coloured by viridis over [lo, hi], with one alpha for all cells. */
export function mapToRgba(map: ArrayLike<number>, range: { lo: number; hi: number }, alpha = 255): Uint8ClampedArray<ArrayBuffer> {
  const out = new Uint8ClampedArray(map.length * 4);
  const span = range.hi - range.lo;
  for (let i = 0; i < map.length; i++) {
    const [r, g, b] = viridis((map[i] - range.lo) / span);
    out[i * 4] = r;
    out[i * 4 + 1] = g;
    out[i * 4 + 2] = b;
    out[i * 4 + 3] = alpha;
  }
  return out;
}

/** RGB bytes (h·w·3) → RGBA (h·w·4), opaque. */
export function rgbToRgba(rgb: Uint8Array): Uint8ClampedArray<ArrayBuffer> {
  const n = rgb.length / 3;
  const out = new Uint8ClampedArray(n * 4);
  for (let i = 0; i < n; i++) {
    out[i * 4] = rgb[i * 3];
    out[i * 4 + 1] = rgb[i * 3 + 1];
    out[i * 4 + 2] = rgb[i * 3 + 2];
    out[i * 4 + 3] = 255;
  }
  return out;
}

/** ColorBrewer RdBu (reversed: blue negative, white zero, red positive) at 11 points, for signed maps. */
const RDBU_STOPS: readonly (readonly [number, number, number])[] = [
  [5, 48, 97],
  [33, 102, 172],
  [67, 147, 195],
  [146, 197, 222],
  [209, 229, 240],
  [247, 247, 247],
  [253, 219, 199],
  [244, 165, 130],
  [214, 96, 77],
  [178, 24, 43],
  [103, 0, 31],
];

/** Diverging colour of s in [−1, 1] (clamped): blue below zero, white at zero, red above. */
export function diverging(s: number): [number, number, number] {
  const x = ((Math.min(1, Math.max(-1, Number.isFinite(s) ? s : 0)) + 1) / 2) * (RDBU_STOPS.length - 1);
  const i = Math.min(RDBU_STOPS.length - 2, Math.floor(x));
  const f = x - i;
  const a = RDBU_STOPS[i];
  const b = RDBU_STOPS[i + 1];
  return [Math.round(a[0] + (b[0] - a[0]) * f), Math.round(a[1] + (b[1] - a[1]) * f), Math.round(a[2] + (b[2] - a[2]) * f)];
}

/** RGBA bytes of a signed map over [−maxAbs, maxAbs] (zero stays white; maxAbs 0: all white). */
export function divergingToRgba(map: ArrayLike<number>, maxAbs: number, alpha = 255): Uint8ClampedArray<ArrayBuffer> {
  const out = new Uint8ClampedArray(map.length * 4);
  for (let i = 0; i < map.length; i++) {
    const [r, g, b] = diverging(maxAbs > 0 ? map[i] / maxAbs : 0);
    out[i * 4] = r;
    out[i * 4 + 1] = g;
    out[i * 4 + 2] = b;
    out[i * 4 + 3] = alpha;
  }
  return out;
}
