// The demo's rasteriser: signed distance fields painted with one-pixel anti-aliasing into a
// float RGB buffer, in batches.
import type { RGB } from './face-params.ts';

//
// Shapes are signed distance fields evaluated in batches: `paint` hands a shape the local
// coordinates of many pixels at once and gets all their distances back, so drawing a shape
// costs two calls and the per-pixel math runs in tight loops. (Calling a different closure for
// every pixel would box each double on the heap and be several times slower.)

/** Fills D[0..n) with the signed distances (local units, negative inside) of (U[i], V[i]). */
export type Sdf = (U: Float64Array, V: Float64Array, n: number, D: Float64Array) => void;

/** Maps local (u, v) to pixel (x, y): x = cx + r·(c·u − s·v), y = cy + r·(s·u + c·v). */
export interface Frame {
  cx: number;
  cy: number;
  c: number;
  s: number;
  r: number;
}

const BLOCK = 4;

export class Raster {
  readonly buf: Float64Array;
  private readonly bu: Float64Array;
  private readonly bv: Float64Array;
  private readonly bd: Float64Array;
  private readonly pu: Float64Array;
  private readonly pv: Float64Array;
  private readonly pd: Float64Array;
  private readonly po: Int32Array;

  constructor(readonly size: number) {
    this.buf = new Float64Array(size * size * 3);
    const nb = Math.ceil(size / BLOCK) * Math.ceil(size / BLOCK);
    this.bu = new Float64Array(nb);
    this.bv = new Float64Array(nb);
    this.bd = new Float64Array(nb);
    this.pu = new Float64Array(size * size);
    this.pv = new Float64Array(size * size);
    this.pd = new Float64Array(size * size);
    this.po = new Int32Array(size * size);
  }

  /**
   * Blends `color` into the pixels of the local box [u0,u1]×[v0,v1] by the coverage of `sdf`
   * (a ramp `soft` pixels wide around the zero level), times `alpha`. With an `outline` colour,
   * first blends that colour by the coverage of the shape grown by `grow` (local units), from
   * the same distances.
   *
   * Pixels are visited in 4×4 blocks: when the distance at a block's centre shows the whole
   * block is well outside (or well inside) the ramp, the block is skipped (or filled) without
   * evaluating its pixels.
   */
  paint(
    f: Frame,
    u0: number,
    v0: number,
    u1: number,
    v1: number,
    sdf: Sdf,
    color: RGB,
    alpha = 1,
    soft = 1,
    outline: RGB | null = null,
    grow = 0,
  ): void {
    const size = this.size;
    const fc = f.c;
    const fs = f.s;
    const fcx = f.cx;
    const fcy = f.cy;
    const fr = f.r;
    let xmin = Infinity;
    let xmax = -Infinity;
    let ymin = Infinity;
    let ymax = -Infinity;
    for (let k = 0; k < 4; k++) {
      const u = k & 1 ? u1 : u0;
      const v = k & 2 ? v1 : v0;
      const x = fcx + fr * (fc * u - fs * v);
      const y = fcy + fr * (fs * u + fc * v);
      if (x < xmin) xmin = x;
      if (x > xmax) xmax = x;
      if (y < ymin) ymin = y;
      if (y > ymax) ymax = y;
    }
    const growPx = outline ? grow * fr : 0;
    const pad = 1 + soft + growPx;
    const x0 = Math.max(0, Math.floor(xmin - pad));
    const x1 = Math.min(size - 1, Math.ceil(xmax + pad));
    const y0 = Math.max(0, Math.floor(ymin - pad));
    const y1 = Math.min(size - 1, Math.ceil(ymax + pad));
    if (x0 > x1 || y0 > y1) return;
    const inv = 1 / fr;
    const scale = fr / soft;
    const cr = color[0];
    const cg = color[1];
    const cb = color[2];
    const buf = this.buf;
    const BU = this.bu;
    const BV = this.bv;
    const BD = this.bd;
    const PU = this.pu;
    const PV = this.pv;
    const PD = this.pd;
    const PO = this.po;
    const nbx = Math.floor((x1 - x0) / BLOCK) + 1;
    const nby = Math.floor((y1 - y0) / BLOCK) + 1;

    // 1. Distances at block centres.
    let n = 0;
    for (let j = 0; j < nby; j++) {
      const by = y0 + j * BLOCK;
      const cdy = (by + Math.min(y1, by + BLOCK - 1)) * 0.5 + 0.5 - fcy;
      for (let i = 0; i < nbx; i++) {
        const bx = x0 + i * BLOCK;
        const cdx = (bx + Math.min(x1, bx + BLOCK - 1)) * 0.5 + 0.5 - fcx;
        BU[n] = (fc * cdx + fs * cdy) * inv;
        BV[n] = (fc * cdy - fs * cdx) * inv;
        n++;
      }
    }
    sdf(BU, BV, n, BD);

    // 2. Skip blocks far outside, fill blocks deep inside, collect the pixels of the rest.
    // A block is decided when |distance| clears the ramp by more than its half diagonal
    // (2.12 px), with room for approximate distance fields.
    const margin = 0.5 * soft + 3;
    const outerPx = margin + growPx;
    let m = 0;
    n = 0;
    for (let j = 0; j < nby; j++) {
      const by = y0 + j * BLOCK;
      const bye = Math.min(y1, by + BLOCK - 1);
      for (let i = 0; i < nbx; i++) {
        const bx = x0 + i * BLOCK;
        const bxe = Math.min(x1, bx + BLOCK - 1);
        const dc = BD[n++] * fr;
        if (dc > outerPx) continue;
        if (dc < -margin) {
          for (let y = by; y <= bye; y++) {
            let o = (y * size + bx) * 3;
            for (let x = bx; x <= bxe; x++, o += 3) {
              buf[o] += (cr - buf[o]) * alpha;
              buf[o + 1] += (cg - buf[o + 1]) * alpha;
              buf[o + 2] += (cb - buf[o + 2]) * alpha;
            }
          }
          continue;
        }
        for (let y = by; y <= bye; y++) {
          const dy = y + 0.5 - fcy;
          for (let x = bx; x <= bxe; x++) {
            const dx = x + 0.5 - fcx;
            PU[m] = (fc * dx + fs * dy) * inv;
            PV[m] = (fc * dy - fs * dx) * inv;
            PO[m] = (y * size + x) * 3;
            m++;
          }
        }
      }
    }
    if (m === 0) return;

    // 3. Per-pixel coverage for the boundary blocks.
    sdf(PU, PV, m, PD);
    const growS = grow * scale;
    for (let k = 0; k < m; k++) {
      const d = PD[k] * scale;
      const o = PO[k];
      if (outline) {
        let co = 0.5 - d + growS;
        if (co > 0) {
          if (co > 1) co = 1;
          const a = co * alpha;
          buf[o] += (outline[0] - buf[o]) * a;
          buf[o + 1] += (outline[1] - buf[o + 1]) * a;
          buf[o + 2] += (outline[2] - buf[o + 2]) * a;
        }
      }
      let cov = 0.5 - d;
      if (cov <= 0) continue;
      if (cov > 1) cov = 1;
      const a = cov * alpha;
      buf[o] += (cr - buf[o]) * a;
      buf[o + 1] += (cg - buf[o + 1]) * a;
      buf[o + 2] += (cb - buf[o + 2]) * a;
    }
  }
}

// --- Pointwise distance helpers (local units; negative inside).

export function sdEllipse(x: number, y: number, a: number, b: number): number {
  // First-order approximation k0·(k0 − 1)/k1: exact on the boundary, good enough near it.
  const xa = x / a;
  const yb = y / b;
  const k0 = Math.sqrt(xa * xa + yb * yb);
  const k1 = Math.sqrt((xa * xa) / (a * a) + (yb * yb) / (b * b));
  if (k1 < 1e-9) return -(a < b ? a : b);
  return (k0 * (k0 - 1)) / k1;
}

export function sdCircle(x: number, y: number, r: number): number {
  return Math.sqrt(x * x + y * y) - r;
}

/** Distance from (px, py) to the segment (ax, ay)–(bx, by), and where along it (0..1). */
export function segDist(px: number, py: number, ax: number, ay: number, bx: number, by: number): number {
  const ex = bx - ax;
  const ey = by - ay;
  const qx = px - ax;
  const qy = py - ay;
  const ee = ex * ex + ey * ey;
  let h = ee > 0 ? (qx * ex + qy * ey) / ee : 0;
  if (h < 0) h = 0;
  else if (h > 1) h = 1;
  const dx = qx - ex * h;
  const dy = qy - ey * h;
  return Math.sqrt(dx * dx + dy * dy);
}

// --- Shape factories.

export function ellipseSdf(cx: number, cy: number, a: number, b: number, grow = 0): Sdf {
  return (U, V, n, D) => {
    for (let i = 0; i < n; i++) D[i] = sdEllipse(U[i] - cx, V[i] - cy, a, b) - grow;
  };
}

export function circleSdf(cx: number, cy: number, r: number): Sdf {
  return (U, V, n, D) => {
    for (let i = 0; i < n; i++) D[i] = sdCircle(U[i] - cx, V[i] - cy, r);
  };
}

/** An elliptical ring of half thickness t. */
export function ringSdf(cx: number, cy: number, a: number, b: number, t: number): Sdf {
  return (U, V, n, D) => {
    for (let i = 0; i < n; i++) D[i] = Math.abs(sdEllipse(U[i] - cx, V[i] - cy, a, b)) - t;
  };
}

/** A box of half sizes (hw, hh) centred at (cx, cy), turned by (c, s), with rounded corners. */
export function boxSdf(cx: number, cy: number, hw: number, hh: number, c = 1, s = 0, round = 0): Sdf {
  return (U, V, n, D) => {
    for (let i = 0; i < n; i++) {
      const px = U[i] - cx;
      const py = V[i] - cy;
      const along = Math.abs(px * c + py * s) - hw + round;
      const across = Math.abs(py * c - px * s) - hh + round;
      D[i] = (along > across ? along : across) - round;
    }
  };
}

/** A stroked polyline (pts = [u0, v0, u1, v1, …]) with per-point half widths. */
function strokeSdf(pts: number[], hw: number[]): Sdf {
  const P = Float64Array.from(pts);
  const W = Float64Array.from(hw);
  const ns = P.length / 2 - 1;
  return (U, V, n, D) => {
    for (let k = 0; k < n; k++) {
      const u = U[k];
      const v = V[k];
      let best = Infinity;
      for (let i = 0; i < ns; i++) {
        const ax = P[2 * i];
        const ay = P[2 * i + 1];
        const ex = P[2 * i + 2] - ax;
        const ey = P[2 * i + 3] - ay;
        const qx = u - ax;
        const qy = v - ay;
        const ee = ex * ex + ey * ey;
        let h = ee > 0 ? (qx * ex + qy * ey) / ee : 0;
        if (h < 0) h = 0;
        else if (h > 1) h = 1;
        const dx = qx - ex * h;
        const dy = qy - ey * h;
        const d = Math.sqrt(dx * dx + dy * dy) - (W[i] + (W[i + 1] - W[i]) * h);
        if (d < best) best = d;
      }
      D[k] = best;
    }
  };
}

function bboxOf(pts: number[], pad: number): [number, number, number, number] {
  let u0 = Infinity;
  let v0 = Infinity;
  let u1 = -Infinity;
  let v1 = -Infinity;
  for (let i = 0; i < pts.length; i += 2) {
    u0 = Math.min(u0, pts[i]);
    u1 = Math.max(u1, pts[i]);
    v0 = Math.min(v0, pts[i + 1]);
    v1 = Math.max(v1, pts[i + 1]);
  }
  return [u0 - pad, v0 - pad, u1 + pad, v1 + pad];
}

/** Samples a quadratic Bézier into n segments. */
export function bezier(x0: number, y0: number, x1: number, y1: number, x2: number, y2: number, n: number): number[] {
  const pts: number[] = [];
  for (let i = 0; i <= n; i++) {
    const t = i / n;
    const a = (1 - t) * (1 - t);
    const b = 2 * (1 - t) * t;
    const c = t * t;
    pts.push(a * x0 + b * x1 + c * x2, a * y0 + b * y1 + c * y2);
  }
  return pts;
}

/** Half widths along n+1 points: w in the middle, tapering to `end`·w at both ends. */
export function taper(n: number, w: number, end: number): number[] {
  const out: number[] = [];
  for (let i = 0; i <= n; i++) {
    const t = i / n;
    out.push(w * (end + (1 - end) * 4 * t * (1 - t)));
  }
  return out;
}

export function drawStroke(R: Raster, f: Frame, pts: number[], hw: number[], color: RGB, alpha = 1): void {
  let wmax = 0;
  for (const w of hw) wmax = Math.max(wmax, w);
  const [u0, v0, u1, v1] = bboxOf(pts, wmax);
  R.paint(f, u0, v0, u1, v1, strokeSdf(pts, hw), color, alpha);
}

export function drawLine(R: Raster, f: Frame, pts: number[], w: number, color: RGB, alpha = 1): void {
  const hw: number[] = [];
  for (let i = 0; i < pts.length; i += 2) hw.push(w);
  drawStroke(R, f, pts, hw, color, alpha);
}
