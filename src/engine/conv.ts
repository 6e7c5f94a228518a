// conv2d with PyTorch semantics (NHWC input, HWIO filter, symmetric explicit zero padding, square
// stride, no dilation, no bias) and its gradient: the input gradient by conv-input-grad.ts, the
// filter gradient by conv-filter-grad.ts as planned by conv-plan.ts (never tfjs's
// Conv2DBackpropFilter). See docs/filter-gradient.md for the per-layer plan and the reasoning.
import { tf } from './tf.ts';
import type { Tensor, Tensor4D } from './tf.ts';
import type { Kernels } from './kernel-table.ts';
import { explicitPad, type FilterGradOptions } from './conv-plan.ts';
import { conv2dFilterGrad } from './conv-filter-grad.ts';
import { conv2dInputGrad } from './conv-input-grad.ts';

/**
 * conv2d, PyTorch semantics: x NHWC, w HWIO, symmetric zero padding `pad` on H and W, square
 * `stride`, no dilation, no bias. Its gradient uses `conv2dInputGrad` for x and the
 * formulation of `filterGradPlan` for w (never the Conv2DBackpropFilter kernel).
 */
export function conv2d(x: Tensor4D, w: Tensor4D, stride: number, pad: number, kernels: Kernels, options: FilterGradOptions = {}): Tensor4D {
  if (x.rank !== 4 || w.rank !== 4) throw new Error(`conv2d: expected x NHWC and w HWIO, got ${x.shape} and ${w.shape}`);
  if (x.shape[3] !== w.shape[2]) throw new Error(`conv2d: x has ${x.shape[3]} channels, w expects ${w.shape[2]}`);
  if (!(Number.isInteger(stride) && stride >= 1 && Number.isInteger(pad) && pad >= 0))
    throw new Error(`conv2d: stride must be an integer ≥ 1 and pad an integer ≥ 0, got ${stride}, ${pad}`);
  const padding = explicitPad(pad);
  const f = tf.customGrad((...args: Array<Tensor | tf.GradSaveFunc>) => {
    const x4 = args[0] as Tensor4D;
    const w4 = args[1] as Tensor4D;
    (args[2] as tf.GradSaveFunc)([x4, w4]);
    const value = tf.conv2d(x4, w4, stride, padding);
    const gradFunc = (dy: Tensor, saved: Tensor[]): Tensor[] => {
      const [xs, ws] = saved as Tensor4D[];
      const dy4 = dy as Tensor4D;
      // The network's input image needs no gradient (the stem conv passes inputGradient: false).
      const dx = options.inputGradient === false ? tf.zerosLike(xs) : conv2dInputGrad(dy4, ws, xs.shape, stride, pad, kernels);
      const dw = conv2dFilterGrad(xs, dy4, ws.shape, stride, pad, kernels, options);
      return [dx, dw];
    };
    return { value, gradFunc };
  });
  return f(x, w) as Tensor4D;
}
