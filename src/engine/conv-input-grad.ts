// The input gradient of a convolution, as the kernel row says: tfjs's Conv2DBackpropInput (GPUs), a
// forward convolution of dY with the rotated filter (cpu), or dY·Wᵀ scattered back by row gathers
// (wasm, strided).
import { tf } from './tf.ts';
import type { Tensor2D, Tensor4D } from './tf.ts';
import type { Kernels } from './kernel-table.ts';
import { gatherRows, scatterRowIndices } from './gather-windows.ts';
import { explicitPad } from './conv-plan.ts';
/** [n, h, w, c] → [n, (h−1)·s+1, (w−1)·s+1, c] with s−1 zeros between entries (rank-4 ops only). */
function dilate(d: Tensor4D, s: number): Tensor4D {
  return tf.tidy((): Tensor4D => {
    const [n, h, w, c] = d.shape;
    const cols = tf.reshape(
      tf.pad(d, [
        [0, 0],
        [0, 0],
        [0, 0],
        [0, (s - 1) * c],
      ]),
      [n, h, 1, w * s * c],
    );
    const rows = tf.reshape(
      tf.pad(cols, [
        [0, 0],
        [0, 0],
        [0, s - 1],
        [0, 0],
      ]),
      [n, h * s, w * s, c],
    );
    return tf.slice(rows, [0, 0, 0, 0], [n, (h - 1) * s + 1, (w - 1) * s + 1, c]) as Tensor4D;
  });
}

/** Rows in reverse order: a row gather on wasm (its Reverse copies element by element in JavaScript). */
function reverseRows(m: Tensor2D, k: Kernels): Tensor2D {
  if (k.reverseRows === 'tf-reverse') return tf.reverse(m, 0);
  const rows = m.shape[0];
  return gatherRows(
    m,
    Int32Array.from({ length: rows }, (_, i) => rows - 1 - i),
  );
}

/**
 * The input gradient as a forward convolution: dX = conv2d(dilate(dY, s), rot180(W) with in/out
 * swapped), padded k−1−p before and whatever reaches the input size after. CPU-class backends
 * run forward convolutions far faster than Conv2DBackpropInput (WASM: XNNPACK vs a plain loop,
 * ~8× on ResNet 3×3 layers). A 1×1 conv commutes with the dilation, so it runs undilated.
 */
function inputGradViaConv(dy: Tensor4D, w: Tensor4D, xShape: number[], s: number, p: number, k: Kernels): Tensor4D {
  const [kh, kw] = w.shape;
  const [, h, wd] = xShape;
  return tf.tidy(() => {
    // rot180 over the taps (as a 2-D reverse: cheaper than a rank-4 one on WASM), then in/out swapped.
    const [, , cin, cout] = w.shape;
    const rot = kh * kw === 1 ? w : tf.reshape(reverseRows(tf.reshape(w, [kh * kw, cin * cout]), k), [kh, kw, cin, cout]);
    const wr = tf.transpose(rot, [0, 1, 3, 2]) as Tensor4D; // [kh, kw, cout, cin]
    if (kh === 1 && kw === 1 && p === 0) {
      const z = tf.conv2d(dy, wr, 1, 'valid');
      const zd = s > 1 ? dilate(z, s) : z;
      return tf.pad(zd, [
        [0, 0],
        [0, h - zd.shape[1]],
        [0, wd - zd.shape[2]],
        [0, 0],
      ]) as Tensor4D;
    }
    const d = s > 1 ? dilate(dy, s) : dy;
    const top = kh - 1 - p;
    const left = kw - 1 - p;
    const bottom = h - (d.shape[1] + top - kh + 1);
    const right = wd - (d.shape[2] + left - kw + 1);
    if (top < 0 || left < 0 || bottom < 0 || right < 0)
      return tf.conv2dTranspose(dy, w, xShape as [number, number, number, number], s, explicitPad(p));
    return tf.conv2d(d, wr, 1, [
      [0, 0],
      [top, bottom],
      [left, right],
      [0, 0],
    ]);
  });
}

/**
 * A strided convolution's input gradient on wasm: the patch gradients dY·W^T (one matmul), then
 * each input pixel sums the patch rows that read it (col2im as row gathers). The forward-conv
 * form would convolve a dilated dY whose entries are (s²−1)/s² zeros: 4× the multiply-adds at
 * stride 2, and a dilation built from slices.
 */
function inputGradByPatches(dy: Tensor4D, w: Tensor4D, xShape: number[], s: number, p: number): Tensor4D {
  const [kh, kw, cin, cout] = w.shape;
  const [n, ho, wo] = dy.shape;
  const [, h, wd] = xShape;
  const slots = scatterRowIndices({ n, h, w: wd, kh, kw, s, pad: p, oh: ho, ow: wo }, 'patch-major');
  return tf.tidy(() => {
    // W^T as a copy: wasm's matmul with transposeB takes a slow path (~10× on these shapes).
    const dPatches = tf.matMul(tf.reshape(dy, [n * ho * wo, cout]), tf.transpose(tf.reshape(w, [kh * kw * cin, cout])));
    const rows = tf.reshape(dPatches, [n * ho * wo * kh * kw, cin]) as Tensor2D;
    let acc = gatherRows(rows, slots[0]);
    for (let m = 1; m < slots.length; m++) acc = tf.add(acc, gatherRows(rows, slots[m]));
    return tf.reshape(acc, [n, h, wd, cin]) as Tensor4D;
  });
}

/** The input gradient, as the kernel row says: Conv2DBackpropInput (GPUs), a forward conv, or patches scattered back (wasm, strided). */
export function conv2dInputGrad(dy: Tensor4D, w: Tensor4D, xShape: number[], stride: number, pad: number, kernels: Kernels): Tensor4D {
  switch (kernels.inputGrad) {
    case 'conv2d-transpose':
      return tf.conv2dTranspose(dy, w, xShape as [number, number, number, number], stride, explicitPad(pad));
    case 'patch-scatter':
      if (stride > 1) return inputGradByPatches(dy, w, xShape, stride, pad);
      return inputGradViaConv(dy, w, xShape, stride, pad, kernels);
    case 'forward-conv':
      return inputGradViaConv(dy, w, xShape, stride, pad, kernels);
  }
}
