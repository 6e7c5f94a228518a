// The coloured layers of a walk-through for one class: both attention maps on one viridis scale
// (so they can be compared), view 2's map as computed, and their signed difference on a
// diverging scale centred at zero. Pure: no DOM.
import type { Walkthrough } from '../../engine/walkthrough.ts';
import { classMap as mapOfClass } from '../../engine/maps.ts';
import { divergingToRgba, mapToRgba, sharedRange } from '../attention/colormap.ts';
import type { Overlay } from './ImageCanvas.tsx';
import type { MapClass } from './classroom-store.ts';

interface WalkthroughLayers {
  cls: number;
  /** On the image (translucent) and alone (opaque). */
  map1: Overlay;
  map1Solid: Overlay;
  map2Raw: Overlay;
  map2: Overlay;
  map2Solid: Overlay;
  diff: Overlay;
  /** Largest |difference| of a cell for this class (the diverging scale is ±this). */
  maxAbsDiff: number;
  /** Mean over cells of the squared difference for this class only. */
  classConsistency: number;
}

function classOf(w: Walkthrough, mapClass: MapClass): number {
  return mapClass === 'label' ? w.label : w.pred1;
}

export function walkthroughLayers(w: Walkthrough, mapClass: MapClass): WalkthroughLayers {
  const layers = mapLayers(w.hm1, w.hm2, w.mapHeight, w.mapWidth, w.numClasses, classOf(w, mapClass));
  const m2Raw = mapOfClass(w.hm2Raw, w.mapHeight * w.mapWidth, w.numClasses, layers.cls);
  return { ...layers, map2Raw: { rgba: mapToRgba(m2Raw, layers.range, 150), height: w.mapHeight, width: w.mapWidth } };
}

/**
 * The layers of class `cls` from two h×w×K map arrays (view 1's, and view 2's mirrored back), on
 * one shared scale: the walk-through's and the camera's.
 */
export function mapLayers(
  hm1: Float32Array,
  hm2: Float32Array,
  mapHeight: number,
  mapWidth: number,
  numClasses: number,
  cls: number,
): Omit<WalkthroughLayers, 'map2Raw'> & { range: ReturnType<typeof sharedRange> } {
  const cells = mapHeight * mapWidth;
  const m1 = mapOfClass(hm1, cells, numClasses, cls);
  const m2 = mapOfClass(hm2, cells, numClasses, cls);
  const range = sharedRange(m1, m2);
  const diff = new Float32Array(cells);
  let maxAbs = 0;
  let sq = 0;
  for (let i = 0; i < cells; i++) {
    diff[i] = m1[i] - m2[i];
    maxAbs = Math.max(maxAbs, Math.abs(diff[i]));
    sq += diff[i] * diff[i];
  }
  const o = (rgba: Uint8ClampedArray): Overlay => ({ rgba, height: mapHeight, width: mapWidth });
  return {
    cls,
    range,
    map1: o(mapToRgba(m1, range, 150)),
    map1Solid: o(mapToRgba(m1, range)),
    map2: o(mapToRgba(m2, range, 150)),
    map2Solid: o(mapToRgba(m2, range)),
    diff: o(divergingToRgba(diff, maxAbs)),
    maxAbsDiff: maxAbs,
    classConsistency: sq / cells,
  };
}

/** A number for people: 3 significant digits, exponent form only when very small or large. */
export function formatNumber(x: number): string {
  if (x === 0) return '0';
  const a = Math.abs(x);
  return a >= 1e-3 && a < 1e5 ? x.toPrecision(3) : x.toExponential(2);
}
