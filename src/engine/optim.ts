// Adam exactly as torch.optim.Adam with weight_decay: L2 coupled into the gradient BEFORE the
// moments (not AdamW), on every parameter; and the per-epoch ExponentialLR schedule.
import { tf, type Tensor, type Variable } from './tf.ts';

export interface AdamConfig {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

export const ADAM_DEFAULTS: Omit<AdamConfig, 'lr'> = { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 1e-4 };

/** Serializable optimiser state, for checkpoints. */
export interface AdamState {
  step: number;
  lr: number;
  m: Float32Array[];
  v: Float32Array[];
}

export class Adam {
  readonly config: AdamConfig;
  /** Number of steps taken (PyTorch's per-parameter `step`, identical for all here). */
  step = 0;
  /**
   * Both moments of ALL parameters, each as one flat vector (parameters back to back in list
   * order): the update is the same element-wise arithmetic as per parameter, but runs as one
   * kernel per operation over every parameter (torch.optim.Adam's foreach path) instead of one
   * per operation and parameter (≈ 15 × 161 dispatches for ResNet-50).
   */
  private m: Variable;
  private v: Variable;
  private readonly sizes: number[];

  constructor(private readonly params: Variable[], config: AdamConfig) {
    this.config = { ...config };
    this.sizes = params.map((p) => p.size);
    const total = this.sizes.reduce((a, b) => a + b, 0);
    this.m = zerosVariable([total]);
    this.v = zerosVariable([total]);
  }

  get lr(): number {
    return this.config.lr;
  }

  set lr(value: number) {
    this.config.lr = value;
  }

  /** One update; `grads[i]` is the gradient of `params[i]`. Does not dispose the gradients. */
  apply(grads: Tensor[]): void {
    if (grads.length !== this.params.length) throw new Error(`Adam: ${grads.length} gradients for ${this.params.length} parameters`);
    grads.forEach((g, i) => {
      if (g.size !== this.sizes[i]) throw new Error(`Adam: gradient ${i} has ${g.size} values, its parameter ${this.sizes[i]}`);
    });
    this.step += 1;
    const { lr, beta1, beta2, eps, weightDecay } = this.config;
    const bc1 = 1 - Math.pow(beta1, this.step);
    const bc2Sqrt = Math.sqrt(1 - Math.pow(beta2, this.step));
    const stepSize = lr / bc1;
    const flat = (ts: Tensor[]) => tf.concat(ts.map((t) => tf.reshape(t, [-1])));
    const updated = tf.tidy(() => {
      // PyTorch's order of operations, element by element.
      const p = flat(this.params);
      const g0 = flat(grads);
      const g = weightDecay !== 0 ? tf.add(g0, tf.mul(p, weightDecay)) : g0;
      const m = tf.add(tf.mul(this.m, beta1), tf.mul(g, 1 - beta1));
      const v = tf.add(tf.mul(this.v, beta2), tf.mul(tf.mul(g, g), 1 - beta2));
      const denom = tf.add(tf.div(tf.sqrt(v), bc2Sqrt), eps);
      this.m.assign(m);
      this.v.assign(v);
      return tf.sub(p, tf.mul(tf.div(m, denom), stepSize));
    });
    let offset = 0;
    this.params.forEach((p, i) => {
      tf.tidy(() => p.assign(tf.reshape(tf.slice(updated, [offset], [this.sizes[i]]), p.shape)));
      offset += this.sizes[i];
    });
    updated.dispose();
  }

  async getState(): Promise<AdamState> {
    const split = (flatValues: Float32Array) => {
      let offset = 0;
      return this.sizes.map((n) => flatValues.slice(offset, (offset += n)));
    };
    return {
      step: this.step,
      lr: this.config.lr,
      m: split((await this.m.data()) as Float32Array),
      v: split((await this.v.data()) as Float32Array),
    };
  }

  setState(state: AdamState): void {
    if (state.m.length !== this.sizes.length || state.v.length !== this.sizes.length) throw new Error('Adam state does not match the parameters');
    const join = (parts: Float32Array[], what: string) => {
      const out = new Float32Array(this.m.size);
      let offset = 0;
      parts.forEach((d, i) => {
        if (d.length !== this.sizes[i]) throw new Error(`Adam state: ${what}[${i}] has ${d.length} values, its parameter ${this.sizes[i]}`);
        out.set(d, offset);
        offset += d.length;
      });
      return out;
    };
    const m = join(state.m, 'm');
    const v = join(state.v, 'v');
    this.step = state.step;
    this.config.lr = state.lr;
    // Inside tidy: the temporary tensors are freed, the variables keep their data.
    tf.tidy(() => {
      this.m.assign(tf.tensor1d(m));
      this.v.assign(tf.tensor1d(v));
    });
  }

  dispose(): void {
    this.m.dispose();
    this.v.dispose();
  }
}

/** A non-trainable variable of zeros (the temporary zeros tensor is freed). */
function zerosVariable(shape: number[]): Variable {
  const zeros = tf.zeros(shape);
  const v = tf.variable(zeros, false);
  zeros.dispose();
  return v;
}

/** ExponentialLR stepped once per epoch: the learning rate used during epoch e (1-based). */
export function exponentialLr(lr0: number, gamma: number, epoch: number): number {
  let lr = lr0;
  // Repeated multiplication, as the scheduler does, rather than a power (same float path).
  for (let e = 1; e < epoch; e++) lr *= gamma;
  return lr;
}
