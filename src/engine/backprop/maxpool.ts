// MaxPool2d's backward without the tape. The forward is layers.ts's maxPool (the maximum of the
// k·k strided window views); the backward recomputes the views from the pool's input (kept alive
// anyway: it is the stem ReLU's output, which ReLU's backward needs next) and routes each output's
// gradient to the FIRST maximal tap in row-major window order, as PyTorch and the tape do.
import { tf, type Tensor4D } from '../tf.ts';
import { maxPool, padForPool } from '../layers.ts';
import type { Kernels } from '../kernel-table.ts';
import { gatherRows, pixelRows, scatterRowIndices, tapRowIndices } from '../gather-windows.ts';
import { stridedView } from '../strided.ts';

interface PoolGeometry {
  k: number;
  stride: number;
  pad: number;
  ceil: boolean;
}

/**
 * The pool's forward in the explicit step: on wasm XNNPACK's max pool (a maximum is exact, and
 * the backward below routes ties itself), elsewhere the window views of layers.ts.
 */
export function maxPoolForward(x: Tensor4D, g: PoolGeometry, impl: Kernels['maxPool']): Tensor4D {
  if (impl === 'xnnpack' && !g.ceil) return tf.maxPool(x, g.k, g.stride, g.pad);
  return maxPool(x, g.k, g.stride, g.pad, g.ceil);
}

/** dX of y = maxPool(x): x and y are read, not freed. Temporaries are freed tap by tap. */
export function maxPoolBackward(dy: Tensor4D, x: Tensor4D, y: Tensor4D, g: PoolGeometry, impl: Kernels['maxPoolGrad']): Tensor4D {
  if (impl === 'row-gathers') return maxPoolBackwardByRows(dy, x, y, g);
  const { k, stride: s, pad } = g;
  const [n, h, w, c] = x.shape;
  const { xp, oh, ow } = padForPool(x, k, s, pad, g.ceil);
  // Phase grids: tap (di, dj) lands on rows a + s·(u + r) with a = di mod s, u = ⌊di/s⌋.
  const rows = Math.floor((k - 1) / s) + oh;
  const cols = Math.floor((k - 1) / s) + ow;
  const phases: (Tensor4D | null)[] = new Array(s * s).fill(null);
  let remaining: Tensor4D = dy;
  for (let di = 0; di < k; di++) {
    for (let dj = 0; dj < k; dj++) {
      const last = di === k - 1 && dj === k - 1;
      const u = Math.floor(di / s);
      const v = Math.floor(dj / s);
      const step = tf.tidy(() => {
        const view = stridedView(xp, 0, n, di, dj, oh, ow, s);
        // remaining·[view = y], then remaining −= that: exactly zero once a tap took it, so a
        // later tie gets nothing.
        const taken = last ? remaining : (tf.mul(remaining, tf.cast(tf.equal(view, y), 'float32')) as Tensor4D);
        const placed = tf.pad(taken, [
          [0, 0],
          [u, rows - oh - u],
          [v, cols - ow - v],
          [0, 0],
        ]) as Tensor4D;
        return last ? [placed] : [placed, tf.sub(remaining, taken) as Tensor4D];
      });
      const placed = step[0];
      if (remaining !== dy) remaining.dispose();
      if (step.length > 1) remaining = step[1];
      const p = (di % s) * s + (dj % s);
      const prev = phases[p];
      phases[p] = prev === null ? placed : (tf.add(prev, placed) as Tensor4D);
      if (prev !== null) {
        prev.dispose();
        placed.dispose();
      }
    }
  }
  xp.dispose();
  // Interleave the s×s phase grids back into the padded input's layout.
  return tf.tidy(() => {
    const zeros = (): Tensor4D => tf.zeros([n, rows, cols, c]);
    const rowBlocks: Tensor4D[] = [];
    for (let a = 0; a < s; a++) {
      const grids = Array.from({ length: s }, (_, b) => phases[a * s + b] ?? zeros());
      const cat = grids.length === 1 ? grids[0] : tf.concat(grids, 3);
      rowBlocks.push(tf.reshape(cat, [n, rows, cols * s, c]));
    }
    const full = tf.reshape(rowBlocks.length === 1 ? rowBlocks[0] : tf.concat(rowBlocks, 2), [n, rows * s, cols * s, c]) as Tensor4D;
    const out = cropOrPad(full, pad, h, w);
    for (const t of phases) t?.dispose();
    return out;
  });
}

/** full[:, pad : pad+h, pad : pad+w, :], zero-filled where `full` ends early. */
function cropOrPad(full: Tensor4D, pad: number, h: number, w: number): Tensor4D {
  const [n, fh, fw, c] = full.shape;
  const takeH = Math.min(h, fh - pad);
  const takeW = Math.min(w, fw - pad);
  let out = full;
  if (pad > 0 || takeH !== fh || takeW !== fw) out = tf.slice(full, [0, pad, pad, 0], [n, takeH, takeW, c]);
  if (takeH < h || takeW < w)
    out = tf.pad(out, [
      [0, 0],
      [0, h - takeH],
      [0, w - takeW],
      [0, 0],
    ]);
  return out;
}

/**
 * The same routing with row gathers (wasm): each tap's window rows are gathered from x (−∞ in
 * the padding), the first maximal tap takes the gradient as above, and every input pixel sums
 * what its taps took, in tap order, by gathering from the taps' stacked rows.
 */
function maxPoolBackwardByRows(dy: Tensor4D, x: Tensor4D, y: Tensor4D, g: PoolGeometry): Tensor4D {
  const [n, h, w, c] = x.shape;
  const [, oh, ow] = y.shape;
  const geometry = { n, h, w, kh: g.k, kw: g.k, s: g.stride, pad: g.pad, oh, ow };
  const taps = tapRowIndices(geometry);
  const scatter = scatterRowIndices(geometry);
  return tf.tidy(() => {
    const rows = pixelRows(x);
    const y2 = tf.reshape(y, [n * oh * ow, c]);
    let remaining = tf.reshape(dy, [n * oh * ow, c]) as tf.Tensor2D;
    const taken: tf.Tensor2D[] = [];
    taps.forEach((index, t) => {
      if (t === taps.length - 1) {
        taken.push(remaining);
        return;
      }
      const take = tf.mul(remaining, tf.cast(tf.equal(gatherRows(rows, index, -Infinity), y2), 'float32')) as tf.Tensor2D;
      taken.push(take);
      remaining = tf.sub(remaining, take);
    });
    const stacked = tf.concat(taken, 0) as tf.Tensor2D;
    taken.forEach((t) => t.dispose());
    let acc = gatherRows(stacked, scatter[0]);
    for (let m = 1; m < scatter.length; m++) acc = tf.add(acc, gatherRows(stacked, scatter[m]));
    return tf.reshape(acc, [n, h, w, c]) as Tensor4D;
  });
}
