// ReLU's backward from its output: the gradient passes where the output is positive.
import { tf, type Tensor4D } from '../tf.ts';

/** dy·[y > 0]; does not free y (it is usually the next layer's saved input as well). */
export function reluBackward(dy: Tensor4D, y: Tensor4D): Tensor4D {
  return tf.tidy(() => tf.mul(dy, tf.step(y)) as Tensor4D);
}
