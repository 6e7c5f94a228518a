// Parameter gradients gathered by name while the backward walks the network: a parameter used
// by both passes gets the sum of its two contributions.
import { tf, type Tensor } from '../tf.ts';

export class GradAccumulator {
  private readonly byName = new Map<string, Tensor>();

  /** Takes ownership of `g`. */
  add(name: string, g: Tensor): void {
    const prev = this.byName.get(name);
    if (!prev) {
      this.byName.set(name, g);
      return;
    }
    this.byName.set(name, tf.add(prev, g));
    prev.dispose();
    g.dispose();
  }

  /** The gradients in `names` order; the caller owns them afterwards. */
  take(names: readonly string[]): Tensor[] {
    const out = names.map((n) => {
      const g = this.byName.get(n);
      if (!g) throw new Error(`no gradient for ${n}`);
      this.byName.delete(n);
      return g;
    });
    this.dispose();
    return out;
  }

  dispose(): void {
    for (const g of this.byName.values()) g.dispose();
    this.byName.clear();
  }
}
