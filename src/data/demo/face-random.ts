// Seeded randomness for the demo faces, 32-bit integer math only (see demo.ts on portability).
// Each face draws from its own generator, seeded by a hash of (seed, split, index): a sample is a
// pure function of those, whatever else is drawn. Not the engine's Rng (xoshiro128**): the demo's
// bytes are pinned (tests/unit/demo.test.ts) and its measured results (docs/demo-dataset.md) were
// drawn from this stream, so swapping it would redraw every face and void them.

/** Mixes two 32-bit integers into a well-scrambled unsigned 32-bit hash. */
export function hash2(a: number, b: number): number {
  let h = Math.imul((a ^ 0x9e3779b9) >>> 0, 0x85ebca6b) ^ (b >>> 0);
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return (h ^ (h >>> 16)) >>> 0;
}

/** A small seeded PRNG (mulberry32): uniform floats in [0, 1) with 32 bits of randomness. */
export class FaceRng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = Math.imul(this.state ^ (this.state >>> 15), 1 | this.state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** Uniform in [lo, hi). */
  range(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }
  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }
  /** Roughly bell-shaped in [−1, 1] (mean of three uniforms, rescaled). */
  bell(): number {
    return (this.next() + this.next() + this.next()) * (2 / 3) - 1;
  }
  /** +1 or −1. */
  sign(): number {
    return this.next() < 0.5 ? -1 : 1;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }
}
