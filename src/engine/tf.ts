// The one place the engine gets TensorFlow.js from. The union package registers every op's
// gradient (tfjs-core alone does not); the host (CLI, worker, test) registers and selects the
// backend, so the engine itself runs on any of them.
import * as tf from '@tensorflow/tfjs';

export { tf };
export type { Tensor, Tensor1D, Tensor2D, Tensor3D, Tensor4D, Scalar, Variable, Rank } from '@tensorflow/tfjs';
