// Adam exactly as torch.optim.Adam with weight_decay: L2 coupled into the gradient BEFORE the
// moments (not AdamW), on every parameter; and the per-epoch ExponentialLR schedule.
import { tf, type Tensor, type Tensor1D, type Variable } from './tf.ts';
import { fusedAdam } from './fused/kernels.ts';
import type { Kernels } from './kernel-table.ts';

interface AdamConfig {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

export const ADAM_DEFAULTS: Omit<AdamConfig, 'lr'> = { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 1e-4 };

/** Step t's bias corrections: √(1 − β2^t) and lr / (1 − β1^t). */
export interface AdamScalars {
  bc2Sqrt: number;
  stepSize: number;
}

/** Serializable optimiser state, for checkpoints. */
export interface AdamState {
  step: number;
  lr: number;
  m: Float32Array[];
  v: Float32Array[];
}

/**
 * How the moments are laid out. 'flat': both moments of ALL parameters as one vector each
 * (parameters back to back in list order); parameters and gradients are concatenated, updated with
 * one kernel per operation (torch.optim.Adam's foreach path), or by one fused program on WebGPU,
 * and sliced back: ≈ 15 + P (fused: 3 + P) dispatches instead of 15·P (P = 161 for ResNet-50).
 * 'per-parameter': the same arithmetic one parameter at a time, which CPU-class backends run
 * faster (WASM's Slice of a long vector costs ~100 ms for ResNet-18's 11 M values). The kernel
 * table's `adam` row picks one per backend ('fused-flat' and 'flat-ops' are flat); all give
 * bit-identical results.
 */
type AdamLayout = 'flat' | 'per-parameter';
export type AdamImpl = Kernels['adam'];

export class Adam {
  readonly config: AdamConfig;
  readonly layout: AdamLayout;
  readonly impl: AdamImpl;
  /** Number of steps taken (PyTorch's per-parameter `step`, identical for all here). */
  step = 0;
  /** The moments: one flat vector each ('flat') or one per parameter ('per-parameter'). */
  private m: Variable[];
  private v: Variable[];
  private readonly sizes: number[];

  constructor(
    private readonly params: Variable[],
    config: AdamConfig,
    impl: AdamImpl,
  ) {
    this.config = { ...config };
    this.impl = impl;
    const layout: AdamLayout = impl === 'per-parameter' ? 'per-parameter' : 'flat';
    this.layout = layout;
    this.sizes = params.map((p) => p.size);
    const shapes = layout === 'flat' ? [[this.sizes.reduce((a, b) => a + b, 0)]] : params.map((p) => p.shape);
    this.m = shapes.map(zerosVariable);
    this.v = shapes.map(zerosVariable);
  }

  get lr(): number {
    return this.config.lr;
  }

  set lr(value: number) {
    this.config.lr = value;
  }

  /**
   * Counts a step and returns its bias corrections, as PyTorch computes them (in double precision):
   * √(1 − β2^t) and lr / (1 − β1^t).
   */
  nextStep(): AdamScalars {
    this.step += 1;
    const { beta1, beta2, lr } = this.config;
    return { bc2Sqrt: Math.sqrt(1 - Math.pow(beta2, this.step)), stepSize: lr / (1 - Math.pow(beta1, this.step)) };
  }

  /** Whether `apply` reads the step's scalars from a tensor (the fused WebGPU update) rather than from JavaScript numbers. */
  get scalarsOnDevice(): boolean {
    return this.impl === 'fused-flat';
  }

  /**
   * One update; `grads[i]` is the gradient of `params[i]`. Does not dispose the gradients.
   * `scalars` are step t's (from `nextStep`); where `scalarsOnDevice`, `onDevice` may hold them as
   * a float32 tensor [bc2Sqrt, stepSize] (the step program feeds it per step).
   */
  apply(grads: Tensor[], scalars: AdamScalars = this.nextStep(), onDevice: Tensor1D | null = null): void {
    if (grads.length !== this.params.length) throw new Error(`Adam: ${grads.length} gradients for ${this.params.length} parameters`);
    grads.forEach((g, i) => {
      if (g.size !== this.sizes[i]) throw new Error(`Adam: gradient ${i} has ${g.size} values, its parameter ${this.sizes[i]}`);
    });
    const { beta1, beta2, weightDecay } = this.config;
    const { bc2Sqrt, stepSize } = scalars;
    // PyTorch's order of operations, element by element; returns the new parameter values.
    const update = (p: Tensor, g0: Tensor, mVar: Variable, vVar: Variable): Tensor => {
      const g = weightDecay !== 0 ? tf.add(g0, tf.mul(p, weightDecay)) : g0;
      const m = tf.add(tf.mul(mVar, beta1), tf.mul(g, 1 - beta1));
      const v = tf.add(tf.mul(vVar, beta2), tf.mul(tf.mul(g, g), 1 - beta2));
      const denom = tf.add(tf.div(tf.sqrt(v), bc2Sqrt), this.config.eps);
      mVar.assign(m);
      vVar.assign(v);
      return tf.sub(p, tf.mul(tf.div(m, denom), stepSize));
    };
    if (this.layout === 'per-parameter') {
      // One tidy per parameter: its temporaries are freed before the next one's are made.
      this.params.forEach((p, i) => tf.tidy(() => p.assign(update(p, grads[i], this.m[i], this.v[i]))));
      return;
    }
    const flat = (ts: Tensor[]) => tf.concat(ts.map((t) => tf.reshape(t, [-1]))) as Tensor1D;
    const updated = tf.tidy(() =>
      this.scalarsOnDevice
        ? this.fusedUpdate(flat(this.params), flat(grads), onDevice ?? tf.tensor1d([bc2Sqrt, stepSize]))
        : update(flat(this.params), flat(grads), this.m[0], this.v[0]),
    );
    let offset = 0;
    this.params.forEach((p, i) => {
      tf.tidy(() => p.assign(tf.reshape(tf.slice(updated, [offset], [this.sizes[i]]), p.shape)));
      offset += this.sizes[i];
    });
    updated.dispose();
  }

  /** The moments' variables (state a step program keeps in place). */
  stateVariables(): Variable[] {
    return [...this.m, ...this.v];
  }

  /**
   * The flat update as one WebGPU program (fused/programs.ts: the same arithmetic in the same
   * order) writing [p'; m'; v'] packed; the moments are cut back out of it. Returns p'.
   */
  private fusedUpdate(p: Tensor1D, g: Tensor1D, scalars: Tensor1D): Tensor1D {
    const { beta1, beta2, weightDecay, eps } = this.config;
    const n = p.size;
    const packed = fusedAdam(p, g, this.m[0] as unknown as Tensor1D, this.v[0] as unknown as Tensor1D, scalars, {
      weightDecay,
      beta1,
      beta2,
      eps,
    });
    this.m[0].assign(tf.slice(packed, [n], [n]));
    this.v[0].assign(tf.slice(packed, [2 * n], [n]));
    return tf.slice(packed, [0], [n]);
  }

  async getState(): Promise<AdamState> {
    const read = async (vars: Variable[]): Promise<Float32Array[]> => {
      const values = await Promise.all(vars.map(async (t) => (await t.data()) as Float32Array));
      if (this.layout === 'per-parameter') return values;
      let offset = 0;
      return this.sizes.map((n) => values[0].slice(offset, (offset += n)));
    };
    return { step: this.step, lr: this.config.lr, m: await read(this.m), v: await read(this.v) };
  }

  setState(state: AdamState): void {
    if (state.m.length !== this.sizes.length || state.v.length !== this.sizes.length)
      throw new Error('Adam state does not match the parameters');
    for (const [what, parts] of [
      ['m', state.m],
      ['v', state.v],
    ] as const) {
      parts.forEach((d, i) => {
        if (d.length !== this.sizes[i]) throw new Error(`Adam state: ${what}[${i}] has ${d.length} values, its parameter ${this.sizes[i]}`);
      });
    }
    const join = (parts: Float32Array[]) => {
      const out = new Float32Array(this.sizes.reduce((a, b) => a + b, 0));
      let offset = 0;
      for (const d of parts) {
        out.set(d, offset);
        offset += d.length;
      }
      return [out];
    };
    this.step = state.step;
    this.config.lr = state.lr;
    // Inside tidy: the temporary tensors are freed, the variables keep their data.
    tf.tidy(() => {
      for (const [vars, parts] of [
        [this.m, state.m],
        [this.v, state.v],
      ] as const) {
        const values = this.layout === 'flat' ? join(parts) : parts;
        values.forEach((d, i) => vars[i].assign(tf.tensor(d, vars[i].shape)));
      }
    });
  }

  dispose(): void {
    for (const t of [...this.m, ...this.v]) t.dispose();
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
