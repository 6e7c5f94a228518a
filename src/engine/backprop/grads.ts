// Parameter gradients gathered by name while the backward walks the network: a parameter used
// by both passes gets the sum of its two contributions. Gradients that one kernel writes as the
// rows of one tensor (the fused BatchNorm backward's [dβ; dγ]) stay packed until `take`, so that
// the two passes' contributions are summed with one kernel and split once.
import { tf, type Tensor } from '../tf.ts';

export class GradAccumulator {
  private readonly byName = new Map<string, Tensor>();
  /** Packed rows: key → the names of the rows, in order, and the [rows, …] tensor. */
  private readonly packed = new Map<string, { names: readonly string[]; t: Tensor }>();
  private readonly packedKey = new Map<string, string>();

  /** Takes ownership of `g`. */
  add(name: string, g: Tensor): void {
    const key = this.packedKey.get(name);
    if (key !== undefined) this.unpack(key);
    const prev = this.byName.get(name);
    if (!prev) {
      this.byName.set(name, g);
      return;
    }
    this.byName.set(name, tf.add(prev, g));
    prev.dispose();
    g.dispose();
  }

  /** Takes ownership of `rows`, whose row i is the gradient of names[i]. */
  addRows(names: readonly string[], rows: Tensor): void {
    if (rows.shape[0] !== names.length) throw new Error(`addRows: ${rows.shape[0]} rows for ${names.length} names`);
    const key = names.join('\n');
    const prev = this.packed.get(key);
    if (prev) {
      this.packed.set(key, { names, t: tf.add(prev.t, rows) });
      prev.t.dispose();
      rows.dispose();
      return;
    }
    if (names.some((n) => this.byName.has(n) || this.packedKey.has(n))) {
      // Mixed with single gradients of the same parameters: add row by row.
      this.split(names, rows).forEach((g, i) => this.add(names[i], g));
      return;
    }
    this.packed.set(key, { names, t: rows });
    for (const n of names) this.packedKey.set(n, key);
  }

  private split(names: readonly string[], rows: Tensor): Tensor[] {
    const out = tf.tidy(() => {
      const width = rows.size / names.length;
      const flat = tf.reshape(rows, [rows.size]);
      return names.map((_, i) => tf.reshape(tf.slice(flat, [i * width], [width]), rows.shape.slice(1)));
    });
    rows.dispose();
    return out;
  }

  private unpack(key: string): void {
    const entry = this.packed.get(key);
    if (!entry) return;
    this.packed.delete(key);
    for (const n of entry.names) this.packedKey.delete(n);
    this.split(entry.names, entry.t).forEach((g, i) => this.byName.set(entry.names[i], g));
  }

  /** The gradients in `names` order; the caller owns them afterwards. */
  take(names: readonly string[]): Tensor[] {
    for (const key of [...this.packed.keys()]) this.unpack(key);
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
    for (const { t } of this.packed.values()) t.dispose();
    this.byName.clear();
    this.packed.clear();
    this.packedKey.clear();
  }
}
