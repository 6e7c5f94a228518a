// Strided spatial views with rank-4 slices and reshapes only: differentiable on every backend and
// fast on WASM (whose Slice kernel only has native paths up to rank 4, and whose StridedSlice is
// slow). Every s-th row is the first row of each group of s rows laid side by side; every s-th
// column is the first channel block of each group of s columns.
import { tf, type Tensor4D } from './tf.ts';

/**
 * x[b0 : b0+nb, i + s·r, j + s·q, :] for r < oh, q < ow. x must hold the whole block of s·oh rows
 * and s·ow columns from (i, j); callers pad it so.
 */
export function stridedView(x: Tensor4D, b0: number, nb: number, i: number, j: number, oh: number, ow: number, s: number): Tensor4D {
  const c = x.shape[3];
  const block = tf.slice(x, [b0, i, j, 0], [nb, oh * s, ow * s, c]) as Tensor4D;
  if (s === 1) return block;
  const rows = tf.slice(tf.reshape(block, [nb, oh, s * ow * s, c]), [0, 0, 0, 0], [nb, oh, ow * s, c]);
  return tf.slice(tf.reshape(rows, [nb, oh, ow, s * c]), [0, 0, 0, 0], [nb, oh, ow, c]) as Tensor4D;
}

/** Rows/columns of zero padding needed after (i, j) offsets up to `maxOffset` for stridedView. */
export function stridedPadNeeded(size: number, maxOffset: number, out: number, s: number): number {
  return Math.max(0, maxOffset + out * s - size);
}
