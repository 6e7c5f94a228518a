// Attention maps as plain arrays (no TensorFlow.js, so the page can use it): the engine hands
// maps out as h×w×K arrays (NHWC, all classes); the panels draw one class at a time.

/** One class's map (h·w cells) out of an h×w×K array. */
export function classMap(maps: Float32Array, cells: number, numClasses: number, cls: number): Float32Array {
  const out = new Float32Array(cells);
  for (let i = 0; i < cells; i++) out[i] = maps[i * numClasses + cls];
  return out;
}
