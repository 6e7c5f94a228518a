// Drawing one demo face from its parameters: background, hair, face, features, accessories,
// occluders, then lighting, colour cast and sensor noise, into uint8 RGB.
import { FaceRng, hash2 } from './face-random.ts';
import {
  type EyeParams,
  type FaceParams,
  type MouthParams,
  type RGB,
  mixRgb,
  randomColor,
  rationalCosSin,
  scaleRgb,
} from './face-params.ts';
import {
  type Frame,
  Raster,
  type Sdf,
  bezier,
  boxSdf,
  circleSdf,
  drawLine,
  drawStroke,
  ellipseSdf,
  ringSdf,
  sdCircle,
  sdEllipse,
  segDist,
  taper,
} from './raster.ts';

function drawBackground(R: Raster, p: FaceParams): void {
  const size = R.size;
  const buf = R.buf;
  const [dc, ds] = rationalCosSin(p.bgDirT);
  const rng = new FaceRng(hash2(p.seed, 0xb6));
  // Coarse value-noise grid for the "clouds" kind.
  const G = 5;
  const grid = new Float64Array((G + 1) * (G + 1));
  for (let i = 0; i < grid.length; i++) grid[i] = rng.next();
  const period = size * rng.range(0.06, 0.16);
  const amp = rng.range(0.08, 0.22);
  const kind = p.bgKind;
  const [ar, ag, ab] = p.bgA;
  const br = p.bgB[0] - ar;
  const bg = p.bgB[1] - ag;
  const bb = p.bgB[2] - ab;
  for (let y = 0; y < size; y++) {
    const fy = (y + 0.5) / size - 0.5;
    for (let x = 0; x < size; x++) {
      const fx = (x + 0.5) / size - 0.5;
      let t = 0.5 + (dc * fx + ds * fy);
      t = t < 0 ? 0 : t > 1 ? 1 : t;
      let m = 1;
      if (kind === 1) {
        const w = (dc * (x + 0.5) - ds * (y + 0.5)) / period;
        m = 1 + amp * (w - Math.floor(w) < 0.5 ? 1 : -1);
      } else if (kind === 3) {
        const parity = (Math.floor((x + 0.5) / period) + Math.floor((y + 0.5) / period)) & 1;
        m = 1 + amp * (parity ? 0.7 : -0.7);
      } else if (kind === 4) {
        const gx = (fx + 0.5) * G;
        const gy = (fy + 0.5) * G;
        const ix = Math.min(G - 1, Math.floor(gx));
        const iy = Math.min(G - 1, Math.floor(gy));
        let ax = gx - ix;
        let ay = gy - iy;
        ax = ax * ax * (3 - 2 * ax);
        ay = ay * ay * (3 - 2 * ay);
        const g00 = grid[iy * (G + 1) + ix];
        const g01 = grid[iy * (G + 1) + ix + 1];
        const g10 = grid[(iy + 1) * (G + 1) + ix];
        const g11 = grid[(iy + 1) * (G + 1) + ix + 1];
        const g = g00 + (g01 - g00) * ax + (g10 - g00) * ay + (g00 - g01 - g10 + g11) * ax * ay;
        m = 1 + amp * 2.2 * (g - 0.5);
      }
      const o = (y * size + x) * 3;
      buf[o] = (ar + br * t) * m;
      buf[o + 1] = (ag + bg * t) * m;
      buf[o + 2] = (ab + bb * t) * m;
    }
  }
  if (kind === 2) {
    const img: Frame = { cx: 0, cy: 0, c: 1, s: 0, r: 1 };
    const n = 3 + rng.int(4);
    for (let i = 0; i < n; i++) {
      const bx = rng.range(0, size);
      const by = rng.range(0, size);
      const r = rng.range(0.08, 0.25) * size;
      const col = randomColor(rng, 20, 240);
      R.paint(img, bx - r, by - r, bx + r, by + r, circleSdf(bx, by, r), col, rng.range(0.3, 0.7), size * 0.04);
    }
  }
}

/** The visible eye: the eye ellipse cut by the upper and lower lid curves. */
function eyeMaskAt(e: EyeParams, inward: number, u: number, v: number): number {
  const s = (u - e.x) / e.w;
  const upper = e.y - e.h * e.lidH + e.lidTilt * (u - e.x) * inward;
  const lower = e.y + e.h * e.lowH - e.lowCurve * e.h * (1 - s * s);
  const d0 = sdEllipse(u - e.x, v - e.y, e.w, e.h);
  const d1 = upper - v;
  const d2 = v - lower;
  return Math.max(d0, d1, d2);
}

/** The eye mask intersected with a disc (r > 0), or the mask alone (r ≤ 0). */
function eyePartSdf(e: EyeParams, inward: number, cx: number, cy: number, r: number): Sdf {
  return (U, V, n, D) => {
    for (let i = 0; i < n; i++) {
      const d = eyeMaskAt(e, inward, U[i], V[i]);
      D[i] = r > 0 ? Math.max(d, sdCircle(U[i] - cx, V[i] - cy, r)) : d;
    }
  };
}

function drawEye(R: Raster, f: Frame, p: FaceParams, e: EyeParams, side: number, lash: RGB): void {
  const inward = -side; // direction towards the nose in u
  const pad = 0.05;
  const u0 = e.x - e.w - pad;
  const u1 = e.x + e.w + pad;
  const v0 = e.y - e.h - pad;
  const v1 = e.y + e.h + pad;
  R.paint(f, u0, v0, u1, v1, eyePartSdf(e, inward, 0, 0, 0), [246, 244, 238], 1, 1, lash, 0.022);
  const ix = e.x + e.gazeX;
  const iy = e.y + e.gazeY;
  R.paint(f, u0, v0, u1, v1, eyePartSdf(e, inward, ix, iy, e.irisR), p.irisColor);
  R.paint(f, u0, v0, u1, v1, eyePartSdf(e, inward, ix, iy, e.irisR * 0.5), [12, 10, 10]);
  const hx = ix + e.irisR * 0.35;
  const hy = iy - e.irisR * 0.35;
  R.paint(f, u0, v0, u1, v1, eyePartSdf(e, inward, hx, hy, e.irisR * 0.22), [255, 255, 255], 0.9);
  // A heavier upper lash line along the top of the visible eye.
  const n = 8;
  const pts: number[] = [];
  for (let i = 0; i <= n; i++) {
    const u = e.x - e.w + (2 * e.w * i) / n;
    const s = (u - e.x) / e.w;
    const ell = e.y - e.h * Math.sqrt(Math.max(0, 1 - s * s));
    const upper = e.y - e.h * e.lidH + e.lidTilt * (u - e.x) * inward;
    pts.push(u, Math.max(ell, upper));
  }
  drawStroke(R, f, pts, taper(n, 0.02, 0.4), lash);
}

/** The lips' centre line at s ∈ [−1, 1] across the mouth, and its slope d/ds. */
function mouthBase(m: MouthParams, s: number): number {
  return m.y - m.lift * s * s + m.skew * s + m.wave * s * (1 - s * s);
}
function mouthBaseSlope(m: MouthParams, s: number): number {
  return -2 * m.lift * s + m.skew + m.wave * (1 - 3 * s * s);
}

/**
 * The open mouth: between the upper boundary base(s) + top·(1 − s²) and the lower one
 * base(s) + bot·(1 − s²). mode 0: the opening; 1: its upper teeth band; 2: its lower teeth band.
 */
function mouthSdf(m: MouthParams, mode: number, teethH: number): Sdf {
  return (U, V, n, D) => {
    for (let i = 0; i < n; i++) {
      const u = U[i];
      const v = V[i];
      const s = (u - m.x) / m.w;
      const b = mouthBase(m, s);
      const db = mouthBaseSlope(m, s);
      const q = 1 - s * s;
      const yt = b + m.top * q;
      const yb = b + m.bot * q;
      const st = (db - 2 * m.top * s) / m.w;
      const sb = (db - 2 * m.bot * s) / m.w;
      const dt = (yt - v) / Math.sqrt(1 + st * st);
      const dbm = (v - yb) / Math.sqrt(1 + sb * sb);
      const dside = Math.abs(u - m.x) - m.w;
      let d = Math.max(dt, dbm, dside);
      if (mode === 1) d = Math.max(d, v - yt - teethH);
      else if (mode === 2) d = Math.max(d, yb - teethH - v);
      D[i] = d;
    }
  };
}

/** The round "O" mouth. mode 0: the opening; 1: the upper teeth; 2: the tongue. */
function roundMouthSdf(m: MouthParams, mode: number): Sdf {
  const cy = m.y + m.oh * 0.3;
  const ty = m.y - m.oh * 0.35;
  return (U, V, n, D) => {
    for (let i = 0; i < n; i++) {
      const u = U[i];
      const v = V[i];
      let d = sdEllipse(u - m.x, v - cy, m.w, m.oh);
      if (mode === 1) d = Math.max(d, v - ty);
      else if (mode === 2) d = Math.max(d, sdEllipse(u - m.x, v - m.y - m.oh * 1.15, m.w * 0.8, m.oh * 0.5));
      D[i] = d;
    }
  };
}

function drawMouth(R: Raster, f: Frame, p: FaceParams): void {
  const m = p.mouth;
  const inside: RGB = [70, 18, 26];
  const teethColor: RGB = [240, 236, 226];
  if (m.round) {
    const pad = m.lipT * 2 + 0.02;
    const u0 = m.x - m.w - pad;
    const u1 = m.x + m.w + pad;
    const v0 = m.y - m.oh * 0.7 - pad;
    const v1 = m.y + m.oh * 1.3 + pad;
    R.paint(f, u0, v0, u1, v1, roundMouthSdf(m, 0), inside, 1, 1, p.lip, m.lipT * 1.6);
    if (m.teeth) R.paint(f, u0, v0, u1, v1, roundMouthSdf(m, 1), teethColor);
    R.paint(f, u0, v0, u1, v1, roundMouthSdf(m, 2), [190, 80, 90]);
    return;
  }
  const open = m.bot - m.top > 0.02;
  if (!open) {
    const n = 12;
    const pts: number[] = [];
    for (let i = 0; i <= n; i++) {
      const s = -1 + (2 * i) / n;
      pts.push(m.x + s * m.w, mouthBase(m, s) + (m.top + m.bot) * 0.5 * (1 - s * s));
    }
    drawStroke(R, f, pts, taper(n, m.lipT, 0.55), p.lip);
    return;
  }
  const pad = m.lipT * 2 + 0.03;
  const ext = Math.abs(m.lift) + Math.abs(m.skew) + Math.abs(m.wave) + Math.abs(m.top) + Math.abs(m.bot);
  const u0 = m.x - m.w - pad;
  const u1 = m.x + m.w + pad;
  const v0 = m.y - ext - pad;
  const v1 = m.y + ext + pad;
  R.paint(f, u0, v0, u1, v1, mouthSdf(m, 0, 0), inside, 1, 1, p.lip, m.lipT * 1.3);
  const teethH = Math.min(0.05, (m.bot - m.top) * 0.42);
  if (m.teeth >= 1) R.paint(f, u0, v0, u1, v1, mouthSdf(m, 1, teethH), teethColor);
  if (m.teeth >= 2) R.paint(f, u0, v0, u1, v1, mouthSdf(m, 2, teethH), teethColor);
}

/** The head: an ellipse (half width a) merged with a lower one (the jaw). */
function faceAt(a: number, jaw: number, u: number, v: number): number {
  const d0 = sdEllipse(u, v, a, 1);
  const d1 = sdEllipse(u, v - 0.2, a * jaw, 0.8);
  return d0 < d1 ? d0 : d1;
}

/** Part of the head. mode 0: the head grown by g; 1: below the curve y(u) = c0 + c2·(1 − (u/a)²) (beard); 2: below c0 + c2·(u/a)² (mask); 3: near the point (c0, c2), within 0.6 (shading). */
function facePartSdf(a: number, jaw: number, mode: number, g: number, c0: number, c2: number): Sdf {
  return (U, V, n, D) => {
    for (let i = 0; i < n; i++) {
      const u = U[i];
      const v = V[i];
      const d = faceAt(a, jaw, u, v) - g;
      const q = (u / a) * (u / a);
      if (mode === 0) D[i] = d;
      else if (mode === 1) D[i] = Math.max(d, c0 - v + c2 * (1 - q));
      else if (mode === 2) D[i] = Math.max(d, c0 - v + c2 * q);
      else D[i] = Math.max(d, sdCircle(u - c0, v - c2, 0.6));
    }
  };
}

/** Hair shapes (local frame of the head; hx = horizontal shift from the yaw). */
function hairSdf(style: number, a: number, hx: number, lineY: number, lineTilt: number, lineBow: number): Sdf {
  const bumps: number[] = [];
  if (style === 5) {
    for (let i = 0; i < 9; i++) {
      // Bump centres spread over the upper half of the head outline.
      const [cc, ss] = rationalCosSin((-1 + (2 * i) / 8) * 0.9);
      bumps.push(hx + (a + 0.12) * ss * 1.05, -0.15 - 1.08 * cc);
    }
  }
  const B = Float64Array.from(bumps);
  return (U, V, n, D) => {
    for (let i = 0; i < n; i++) {
      const u = U[i];
      const v = V[i];
      let d: number;
      if (style === 2) {
        // Long: a tall rounded shape behind the head, down to the shoulders.
        const top = sdEllipse(u - hx, v + 0.05, a + 0.2, 1.12);
        const body = Math.max(Math.abs(u - hx) - (a + 0.26), v - 1.45, -v);
        d = Math.min(top, body);
      } else if (style === 5) {
        d = Math.max(sdEllipse(u - hx, v + 0.15, a + 0.12, 1.08), v - 0.1);
        for (let k = 0; k < B.length; k += 2) d = Math.min(d, sdCircle(u - B[k], v - B[k + 1], 0.2));
      } else if (style === -1) {
        // Fringe: the top of the head, down to a (possibly tilted) bowed line.
        const s = u / a;
        const line = lineY + lineTilt * s + lineBow * (1 - s * s);
        d = Math.max(sdEllipse(u - hx * 0.5, v + 0.02, a + 0.03, 1.03), v - line);
      } else {
        // Short, side-swept and bun: a cap behind the top of the head.
        d = Math.max(sdEllipse(u - hx, v + 0.12, a + 0.08, 1.06), v - lineY);
      }
      D[i] = d;
    }
  };
}

function drawHair(R: Raster, f: Frame, p: FaceParams, back: boolean): void {
  const a = p.faceW;
  const hx = -p.yawSin * 0.12;
  const hair = p.hair;
  const style = p.hairStyle;
  if (style === 0) return;
  if (back) {
    if (style === 2) R.paint(f, hx - a - 0.4, -1.3, hx + a + 0.4, 1.6, hairSdf(2, a, hx, 0, 0, 0), hair);
    else if (style === 5) R.paint(f, hx - a - 0.35, -1.45, hx + a + 0.35, 0.35, hairSdf(5, a, hx, 0, 0, 0), hair);
    else {
      if (style === 4) R.paint(f, hx - 0.5, -1.6, hx + 0.5, -0.6, circleSdf(hx + p.fringeTilt * 0.6, -1.12, 0.3), hair);
      R.paint(f, hx - a - 0.2, -1.3, hx + a + 0.2, 0.3, hairSdf(1, a, hx, style === 3 ? 0.25 : 0.05, 0, 0), hair);
    }
    return;
  }
  const tilt = style === 3 ? p.fringeTilt * 2.2 : p.fringeTilt;
  const bow = 0.12 * (style === 3 ? 0.3 : 1);
  R.paint(f, -a - 0.1, -1.2, a + 0.1, 0.1, hairSdf(-1, a, hx, p.fringeY - 0.12, tilt, bow), hair);
}

/** The tear drop: a disc with a pointed top. */
function tearSdf(tx: number, ty: number): Sdf {
  return (U, V, n, D) => {
    for (let i = 0; i < n; i++) {
      const c = sdCircle(U[i] - tx, V[i] - ty, 0.028);
      const cone = Math.max(c - 0.01, ty - 0.06 - V[i] + Math.abs(U[i] - tx) * 2.2);
      D[i] = Math.min(c, cone);
    }
  };
}

/** A hand: a palm disc and finger capsules F = [x0, y0, x1, y1, …]. */
function handSdf(pcx: number, pcy: number, pr: number, fingers: number[]): Sdf {
  const F = Float64Array.from(fingers);
  return (U, V, n, D) => {
    for (let i = 0; i < n; i++) {
      const u = U[i];
      const v = V[i];
      let d = sdCircle(u - pcx, v - pcy, pr);
      for (let k = 0; k < F.length; k += 4) d = Math.min(d, segDist(u, v, F[k], F[k + 1], F[k + 2], F[k + 3]) - 0.043);
      D[i] = d;
    }
  };
}

function drawFace(R: Raster, p: FaceParams): void {
  const size = R.size;
  const [c, s] = rationalCosSin(p.rot);
  const f: Frame = { cx: p.cx * size, cy: p.cy * size, c, s, r: p.scale * size };
  const a = p.faceW;
  const jaw = p.jaw;
  const skin = p.skin;
  const outline = scaleRgb(skin, 0.62);
  const shade = scaleRgb(skin, 0.8);
  const lineCol = mixRgb(scaleRgb(skin, 0.55), [60, 30, 30], 0.3);
  const brow = mixRgb(p.hair, [20, 16, 14], 0.45);
  const lash: RGB = mixRgb(brow, [10, 8, 8], 0.5);

  // Shoulders and neck.
  R.paint(f, -1.9, 0.9, 1.9, 2.9, ellipseSdf(0, 2.05, 1.55, 0.9), p.shirt);
  R.paint(f, -0.4, 0.4, 0.4, 1.5, boxSdf(0, 0.925, 0.3, 0.425), shade);

  drawHair(R, f, p, true);

  // Ears (they slide behind the head with the yaw).
  for (const side of [-1, 1]) {
    const ex = side * (a - 0.02) - p.yawSin * 0.35;
    const ey = p.earY;
    R.paint(f, ex - 0.2, ey - 0.25, ex + 0.2, ey + 0.25, ellipseSdf(ex, ey, 0.12, 0.18), skin, 1, 1, outline, 0.018);
    if (p.earring && Math.sign(p.earring) === side) {
      const ry = ey + 0.2;
      if (Math.abs(p.earring) === 2)
        R.paint(f, ex - 0.1, ry - 0.1, ex + 0.1, ry + 0.15, ringSdf(ex, ry + 0.04, 0.05, 0.05, 0.012), [230, 190, 60]);
      else R.paint(f, ex - 0.1, ry - 0.1, ex + 0.1, ry + 0.1, circleSdf(ex, ry, 0.03), [220, 220, 235]);
    }
  }

  // Head, with soft shading towards the side it turns away from.
  R.paint(f, -a, -1, a, 1, facePartSdf(a, jaw, 0, 0, 0, 0), skin, 1, 1, outline, 0.02);
  if (p.yawSin !== 0) R.paint(f, -a, -1, a, 1, facePartSdf(a, jaw, 3, 0, -Math.sign(p.yawSin) * a * 1.3, 0), shade, 0.5, 6);

  if (p.beard > 0) {
    const by = p.mouth.y - 0.12;
    R.paint(f, -a, by - 0.2, a, 1.05, facePartSdf(a, jaw, 1, 0.01, by, -0.15), p.hair, p.beard);
  }

  // Blush, freckles, mole.
  if (p.blush > 0) {
    for (const side of [-1, 1]) {
      const bx = p.eyes[side < 0 ? 0 : 1].x + side * 0.06;
      const by = p.noseY + 0.06;
      R.paint(f, bx - 0.25, by - 0.2, bx + 0.25, by + 0.2, ellipseSdf(bx, by, 0.14, 0.08), [235, 90, 100], p.blush, 4);
    }
  }
  if (p.freckles > 0) {
    const fr = new FaceRng(hash2(p.seed, 0xf7));
    const n = 6 + fr.int(10);
    for (let i = 0; i < n; i++) {
      const fx = p.noseX + fr.bell() * 0.45;
      const fy = p.noseY + fr.bell() * 0.12 - 0.03;
      R.paint(f, fx - 0.04, fy - 0.04, fx + 0.04, fy + 0.04, circleSdf(fx, fy, 0.014), scaleRgb(skin, 0.7), p.freckles);
    }
  }
  if (p.mole) {
    const { x, y, r } = p.mole;
    R.paint(f, x - r - 0.02, y - r - 0.02, x + r + 0.02, y + r + 0.02, circleSdf(x, y, r), [70, 42, 30]);
  }

  // Expression lines: forehead, furrow, nose wrinkles, nasolabial folds.
  const browTop = Math.min(p.brows[0].iy, p.brows[1].iy, p.brows[0].cy, p.brows[1].cy);
  if (p.foreheadLines > 0) {
    for (let i = 0; i < 3; i++) {
      const y = browTop - 0.1 - i * 0.07;
      const w = 0.32 - i * 0.04;
      drawStroke(
        R,
        f,
        bezier(p.noseX - w, y + 0.02, p.noseX, y - 0.04, p.noseX + w, y + 0.02, 6),
        taper(6, 0.013, 0.3),
        lineCol,
        0.8 * p.foreheadLines,
      );
    }
  }
  if (p.furrow > 0) {
    const iy = (p.brows[0].iy + p.brows[1].iy) / 2;
    for (const side of [-1, 1]) {
      const x = p.noseX * 0.7 + side * 0.04;
      drawStroke(R, f, [x + side * 0.015, iy - 0.1, x, iy + 0.04], [0.01, 0.014], lineCol, p.furrow);
    }
  }
  if (p.noseWrinkle > 0) {
    for (let i = 0; i < 3; i++) {
      const y = p.eyes[0].y + 0.05 + i * 0.055;
      const w = 0.085 - i * 0.01;
      drawStroke(
        R,
        f,
        bezier(p.noseX - w, y + 0.015, p.noseX, y - 0.025, p.noseX + w, y + 0.015, 6),
        taper(6, 0.013, 0.4),
        lineCol,
        p.noseWrinkle,
      );
    }
  }
  if (p.nasolabial > 0) {
    for (const side of [-1, 1]) {
      const x0 = p.noseX + side * 0.14;
      const y0 = p.noseY;
      const x2 = p.mouth.x + side * (p.mouth.w + 0.05);
      const y2 = p.mouth.y + 0.04;
      drawStroke(R, f, bezier(x0, y0, x0 + side * 0.09, (y0 + y2) / 2, x2, y2, 6), taper(6, 0.013, 0.3), lineCol, p.nasolabial);
    }
  }

  // Nose.
  const nx = p.noseX;
  const ny = p.noseY;
  if (p.noseKind === 0) {
    const dir = p.yawSin >= 0 ? 1 : -1;
    drawStroke(R, f, bezier(nx - dir * 0.02, ny - 0.2, nx - dir * 0.05, ny, nx + dir * 0.04, ny + 0.01, 6), taper(6, 0.016, 0.5), outline);
  } else if (p.noseKind === 1) {
    drawStroke(R, f, bezier(nx - 0.08, ny - 0.02, nx, ny + 0.06, nx + 0.08, ny - 0.02, 6), taper(6, 0.017, 0.4), outline);
  } else {
    R.paint(f, nx - 0.15, ny - 0.15, nx + 0.15, ny + 0.1, ellipseSdf(nx, ny - 0.02, 0.08, 0.06), shade, 0.8, 2);
    for (const side of [-1, 1]) {
      const x = nx + side * 0.04;
      R.paint(f, x - 0.04, ny - 0.04, x + 0.04, ny + 0.04, ellipseSdf(x, ny, 0.022, 0.014), outline);
    }
  }

  // Eyes and brows.
  drawEye(R, f, p, p.eyes[0], -1, lash);
  drawEye(R, f, p, p.eyes[1], 1, lash);
  if (p.tear > 0) {
    const e = p.eyes[1];
    const tx = e.x - e.w * 0.2;
    const ty = e.y + e.h + 0.1;
    R.paint(f, tx - 0.05, ty - 0.08, tx + 0.05, ty + 0.06, tearSdf(tx, ty), [150, 200, 245], 0.9);
  }
  for (const b of p.brows) {
    const pts = bezier(b.ix, b.iy, b.cx, b.cy, b.ox, b.oy, 8);
    const hw = taper(8, b.t, 0.55).map((w, i) => w * (1.15 - (0.3 * i) / 8));
    drawStroke(R, f, pts, hw, brow);
  }

  if (p.mustache) {
    const m = p.mouth;
    const y = m.y - 0.09 - m.lift * 0.3;
    drawStroke(R, f, bezier(m.x - m.w * 0.95, y + 0.04, m.x, y - 0.05, m.x + m.w * 0.95, y + 0.04, 8), taper(8, 0.04, 0.3), p.hair);
  }
  drawMouth(R, f, p);

  drawHair(R, f, p, false);

  // Hat.
  if (p.hat) {
    const hc = p.hatColor;
    const hy = p.fringeY + 0.05;
    if (p.hat === 1) {
      // Beanie: covers the top of the head, with a folded band.
      R.paint(f, -a - 0.2, -1.3, a + 0.2, hy + 0.1, hairSdf(1, a + 0.02, 0, hy, 0, 0), hc);
      R.paint(f, -a - 0.2, hy - 0.2, a + 0.2, hy + 0.1, boxSdf(0, hy - 0.07, a + 0.1, 0.07, 1, 0, 0.03), scaleRgb(hc, 0.8));
    } else {
      // Brimmed hat: crown plus a wide brim.
      const crownTop = -1.55;
      const crownBot = hy - 0.05;
      R.paint(
        f,
        -a,
        crownTop - 0.1,
        a,
        hy,
        boxSdf(0, (crownTop + crownBot) / 2, a * 0.75 + 0.05, (crownBot - crownTop) / 2 + 0.05, 1, 0, 0.06),
        hc,
      );
      R.paint(f, -a - 0.5, hy - 0.2, a + 0.5, hy + 0.1, ellipseSdf(0, hy - 0.06, a + 0.42, 0.08), scaleRgb(hc, 0.75));
    }
  }

  // Glasses.
  if (p.glasses) {
    const gc = p.glassesColor;
    const rings = p.eyes.map((e) => [e.x, e.y, Math.max(e.w * 1.25, 0.16)]);
    if (p.glasses === 2) {
      for (const [x, y, r] of rings) R.paint(f, x - r, y - r, x + r, y + r, ellipseSdf(x, y, r, r * 0.78), [20, 22, 28], 0.9);
    }
    for (const [x, y, r] of rings)
      R.paint(f, x - r - 0.05, y - r - 0.05, x + r + 0.05, y + r + 0.05, ringSdf(x, y, r, r * 0.78, 0.016), gc);
    const [l, rr] = rings;
    drawLine(R, f, [l[0] + l[2], l[1] - 0.02, rr[0] - rr[2], rr[1] - 0.02], 0.016, gc);
    drawLine(R, f, [l[0] - l[2], l[1], -a, p.earY - 0.03], 0.016, gc);
    drawLine(R, f, [rr[0] + rr[2], rr[1], a, p.earY - 0.03], 0.016, gc);
  }

  // Occluders.
  const o = p.occ;
  if (p.occluder === 1) {
    // A hand: palm plus four fingers, turned by o.t.
    const [hc, hs] = rationalCosSin(o.t * 0.6);
    const tr = (x: number, y: number): [number, number] => [o.x + hc * x - hs * y, o.y + 0.15 + hs * x + hc * y];
    const handSkin = mixRgb(skin, [230, 180, 150], 0.15);
    const handOutline = scaleRgb(handSkin, 0.65);
    const fingers: number[] = [];
    for (let i = 0; i < 4; i++) {
      const fx = -0.13 + i * 0.085;
      const len = i === 0 || i === 3 ? 0.28 : 0.34;
      fingers.push(...tr(fx, 0), ...tr(fx * 1.2, -len));
    }
    const [pcx, pcy] = tr(0, 0.12);
    R.paint(f, o.x - 0.6, o.y - 0.6, o.x + 0.6, o.y + 0.8, handSdf(pcx, pcy, 0.2, fingers), handSkin, 1, 1, handOutline, 0.018);
    for (let i = 0; i < 3; i++) {
      const k = 4 * i;
      const mx0 = (fingers[k] + fingers[k + 4]) / 2;
      const my0 = (fingers[k + 1] + fingers[k + 5]) / 2;
      const mx1 = (fingers[k + 2] + fingers[k + 6]) / 2;
      const my1 = (fingers[k + 3] + fingers[k + 7]) / 2;
      drawLine(R, f, [mx0, my0, mx0 + (mx1 - mx0) * 0.75, my0 + (my1 - my0) * 0.75], 0.008, handOutline);
    }
  } else if (p.occluder === 2) {
    // A bar across the face (microphone, scarf, sign), at an arbitrary angle.
    const [bc, bs] = rationalCosSin(o.t);
    R.paint(f, -2.4, -2.4, 2.4, 2.4, boxSdf(o.x, o.y, 2.2, o.w, bc, bs), o.color, o.alpha);
  } else if (p.occluder === 3) {
    // A face mask over the mouth and nose.
    const mc: RGB = mixRgb([170, 205, 230], o.color, 0.3);
    const top = p.noseY - 0.04;
    R.paint(f, -a - 0.1, top - 0.1, a + 0.1, 1.1, facePartSdf(a, jaw, 2, -0.01, top, 0.08), mc);
    for (let i = 0; i < 3; i++) {
      const y = top + 0.14 + i * 0.13;
      drawLine(R, f, [-a * 0.6, y, a * 0.6, y], 0.008, scaleRgb(mc, 0.8));
    }
    drawLine(R, f, [-a * 0.85, top + 0.1, -a, p.earY], 0.012, [240, 240, 240]);
    drawLine(R, f, [a * 0.85, top + 0.1, a, p.earY], 0.012, [240, 240, 240]);
  }
}

/** Unit-amplitude triangular noise, one value per pixel plus slack for per-image offsets. */
const NOISE_SLACK = 4096;
const noiseTables = new Map<number, Float64Array>();
function noiseTable(pixels: number): Float64Array {
  let t = noiseTables.get(pixels);
  if (!t) {
    t = new Float64Array(pixels + NOISE_SLACK);
    for (let i = 0; i < t.length; i++) {
      const h = hash2(0x6e6f6973, i);
      t[i] = ((h & 0xffff) + (h >>> 16) - 65535) / 65536;
    }
    noiseTables.set(pixels, t);
  }
  return t;
}

/** Lighting gradient, brightness, colour cast and sensor noise; quantises into `out`. */
function finish(R: Raster, p: FaceParams, out: Uint8Array, offset: number): void {
  const size = R.size;
  const buf = R.buf;
  const noise = noiseTable(size * size);
  const shift = hash2(p.seed, 0x5a) % NOISE_SLACK;
  const [tr, tg, tb] = p.tint;
  const amp = p.noise;
  const bright = p.brightness;
  const col = new Float64Array(size);
  for (let x = 0; x < size; x++) col[x] = p.lightX * ((x + 0.5) / size - 0.5);
  for (let y = 0; y < size; y++) {
    const rowLight = 1 + p.lightY * ((y + 0.5) / size - 0.5);
    for (let x = 0; x < size; x++) {
      const i = y * size + x;
      const light = bright * (rowLight + col[x]);
      const n = noise[i + shift] * amp + 0.5;
      const o = i * 3;
      // Round half up and clamp to 0..255.
      const r = buf[o] * light * tr + n;
      const g = buf[o + 1] * light * tg + n;
      const b = buf[o + 2] * light * tb + n;
      const q = offset + o;
      out[q] = r <= 0 ? 0 : r >= 255 ? 255 : r | 0;
      out[q + 1] = g <= 0 ? 0 : g >= 255 ? 255 : g | 0;
      out[q + 2] = b <= 0 ? 0 : b >= 255 ? 255 : b | 0;
    }
  }
}

const rasterCache = new Map<number, Raster>();

/** Renders one face into `out` at `offset` (size·size·3 bytes, RGB), or into a new array. */
export function renderDemoFace(p: FaceParams, size: number, out?: Uint8Array, offset = 0): Uint8Array {
  let R = rasterCache.get(size);
  if (!R) {
    R = new Raster(size);
    rasterCache.clear();
    rasterCache.set(size, R);
  }
  const target = out ?? new Uint8Array(size * size * 3);
  drawBackground(R, p);
  drawFace(R, p);
  finish(R, p, target, offset);
  return target;
}
