// Pillow's bilinear resampling coefficients (22-bit fixed point), shared by the backend resize
// (resize.ts) and the CPU resize of odd-sized dataset images (src/data/rafdb.ts). Pure: no
// TensorFlow.js, so the page can import the dataset code that uses it.

const PRECISION_BITS = 32 - 8 - 2;
export const ONE = 1 << PRECISION_BITS; // 2^22
export const HALF = 1 << (PRECISION_BITS - 1); // 2^21

/** Pillow's bilinear coefficients (fixed point) as a dense out×in integer matrix. */
export function pillowBilinearCoefficients(inSize: number, outSize: number): Int32Array {
  const scale = inSize / outSize;
  const filterscale = Math.max(scale, 1);
  const support = 1.0 * filterscale; // bilinear support is 1
  const ss = 1 / filterscale;
  const kk = new Int32Array(outSize * inSize);
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    // C's (int) cast truncates toward zero.
    let xmin = Math.trunc(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    let xmax = Math.trunc(center + support + 0.5);
    if (xmax > inSize) xmax = inSize;
    xmax -= xmin;
    const w = new Float64Array(xmax);
    let ww = 0;
    for (let x = 0; x < xmax; x++) {
      const t = Math.abs((x + xmin - center + 0.5) * ss);
      w[x] = t < 1 ? 1 - t : 0;
      ww += w[x];
    }
    for (let x = 0; x < xmax; x++) {
      const k = ww !== 0 ? w[x] / ww : w[x];
      kk[xx * inSize + xmin + x] = k < 0 ? Math.trunc(-0.5 + k * ONE) : Math.trunc(0.5 + k * ONE);
    }
  }
  return kk;
}
