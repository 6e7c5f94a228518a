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
  private m: Variable[];
  private v: Variable[];

  constructor(private readonly params: Variable[], config: AdamConfig) {
    this.config = { ...config };
    this.m = params.map((p) => zerosVariable(p));
    this.v = params.map((p) => zerosVariable(p));
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
    this.step += 1;
    const { lr, beta1, beta2, eps, weightDecay } = this.config;
    const bc1 = 1 - Math.pow(beta1, this.step);
    const bc2Sqrt = Math.sqrt(1 - Math.pow(beta2, this.step));
    const stepSize = lr / bc1;
    // One tidy per parameter: each parameter's temporaries are freed before the next one's are
    // made (one tidy around all of them held every parameter's temporaries until the end).
    this.params.forEach((p, i) => {
      tf.tidy(() => {
        const g = weightDecay !== 0 ? tf.add(grads[i], tf.mul(p, weightDecay)) : grads[i];
        const m = tf.add(tf.mul(this.m[i], beta1), tf.mul(g, 1 - beta1));
        const v = tf.add(tf.mul(this.v[i], beta2), tf.mul(tf.mul(g, g), 1 - beta2));
        const denom = tf.add(tf.div(tf.sqrt(v), bc2Sqrt), eps);
        p.assign(tf.sub(p, tf.mul(tf.div(m, denom), stepSize)));
        this.m[i].assign(m);
        this.v[i].assign(v);
      });
    });
  }

  async getState(): Promise<AdamState> {
    return {
      step: this.step,
      lr: this.config.lr,
      m: await Promise.all(this.m.map(async (t) => (await t.data()) as Float32Array)),
      v: await Promise.all(this.v.map(async (t) => (await t.data()) as Float32Array)),
    };
  }

  setState(state: AdamState): void {
    if (state.m.length !== this.m.length) throw new Error('Adam state does not match the parameters');
    this.step = state.step;
    this.config.lr = state.lr;
    // Inside tidy: the temporary tensors are freed, the variables keep their data.
    tf.tidy(() => {
      state.m.forEach((d, i) => this.m[i].assign(tf.tensor(d, this.m[i].shape)));
      state.v.forEach((d, i) => this.v[i].assign(tf.tensor(d, this.v[i].shape)));
    });
  }

  dispose(): void {
    for (const t of [...this.m, ...this.v]) t.dispose();
  }
}

/** A non-trainable variable of zeros shaped like `p` (the temporary zeros tensor is freed). */
function zerosVariable(p: Tensor): Variable {
  const zeros = tf.zerosLike(p);
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
