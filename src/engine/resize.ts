// Bilinear resize that reproduces Pillow's `Image.resize(size, BILINEAR)` bit for bit, which is
// what the official code's `transforms.Resize` does to its PIL images: separable, horizontal
// pass first, each pass with Pillow's 22-bit fixed-point coefficients and rounded to uint8.
// It runs on the tfjs backend as matrix products whose float32 sums stay exact integers.
import { tf, type Tensor2D, type Tensor4D } from './tf.ts';
import { pillowBilinearCoefficients, ONE, HALF } from './pillow-coefficients.ts';

export { pillowBilinearCoefficients };

/** Coefficients are split as kk = hi·2^11 + lo so that every float32 partial sum is an exact integer. */
const SPLIT = 1 << 11;

/** Largest number of taps in any row: bounds the float32 sums (taps·255·2^11 must stay < 2^24). */
function maxTaps(kk: Int32Array, inSize: number, outSize: number): number {
  let most = 0;
  for (let o = 0; o < outSize; o++) {
    let n = 0;
    for (let i = 0; i < inSize; i++) if (kk[o * inSize + i] !== 0) n++;
    most = Math.max(most, n);
  }
  return most;
}

interface Pass {
  /** Transposed coefficient halves, in×out, float32 integers. */
  hi: Tensor2D;
  lo: Tensor2D;
}

/** Exact Pillow-bilinear resizer with cached coefficient matrices; dispose() when done. */
export class PillowResizer {
  private passes = new Map<string, Pass>();

  private pass(inSize: number, outSize: number): Pass {
    const key = `${inSize}>${outSize}`;
    let p = this.passes.get(key);
    if (!p) {
      const kk = pillowBilinearCoefficients(inSize, outSize);
      const taps = maxTaps(kk, inSize, outSize);
      if (taps * 255 * SPLIT >= 1 << 24) throw new Error(`resize ${inSize}→${outSize}: ${taps} taps is too many for exact float32 sums`);
      const hi = new Float32Array(inSize * outSize);
      const lo = new Float32Array(inSize * outSize);
      for (let o = 0; o < outSize; o++) {
        for (let i = 0; i < inSize; i++) {
          const k = kk[o * inSize + i];
          const h = Math.floor(k / SPLIT);
          hi[i * outSize + o] = h;
          lo[i * outSize + o] = k - h * SPLIT;
        }
      }
      p = { hi: tf.keep(tf.tensor2d(hi, [inSize, outSize])), lo: tf.keep(tf.tensor2d(lo, [inSize, outSize])) };
      this.passes.set(key, p);
    }
    return p;
  }

  /** One pass along the last axis of rows [R, inSize] of uint8 values → [R, outSize] uint8 values. */
  private resizeRows(rows: Tensor2D, inSize: number, outSize: number): Tensor2D {
    const p = this.pass(inSize, outSize);
    // value·2^22 = hi·2^11 + lo; out = clamp(floor((value·2^22 + 2^21) / 2^22)).
    const sHi = tf.matMul(rows, p.hi);
    const sLo = tf.matMul(rows, p.lo);
    const q = tf.floor(tf.div(sHi, SPLIT));
    const r = tf.sub(sHi, tf.mul(q, SPLIT));
    const frac = tf.floor(tf.div(tf.add(tf.add(tf.mul(r, SPLIT), sLo), HALF), ONE));
    return tf.clipByValue(tf.add(q, frac), 0, 255) as Tensor2D;
  }

  /** x: [N, H, W, C] float32 holding uint8 values → [N, outH, outW, C], Pillow-exact. */
  resize(x: Tensor4D, outH: number, outW: number): Tensor4D {
    return tf.tidy(() => {
      const [n, h, w, c] = x.shape;
      let t: Tensor4D = x;
      if (w !== outW) {
        const rows = tf.reshape(tf.transpose(t, [0, 1, 3, 2]), [n * h * c, w]) as Tensor2D;
        t = tf.transpose(tf.reshape(this.resizeRows(rows, w, outW), [n, h, c, outW]), [0, 1, 3, 2]);
      }
      if (h !== outH) {
        const rows = tf.reshape(tf.transpose(t, [0, 2, 3, 1]), [n * outW * c, h]) as Tensor2D;
        t = tf.transpose(tf.reshape(this.resizeRows(rows, h, outH), [n, outW, c, outH]), [0, 3, 1, 2]);
      }
      return t === x ? tf.clone(x) : t;
    });
  }

  dispose(): void {
    for (const p of this.passes.values()) {
      p.hi.dispose();
      p.lo.dispose();
    }
    this.passes.clear();
  }
}
