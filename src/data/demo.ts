// The built-in demo dataset: procedurally drawn cartoon faces showing the seven RAF-DB basic
// expressions (labels 0..6: Surprise, Fear, Disgust, Happiness, Sadness, Anger, Neutral), so the
// lab can be tried without downloading RAF-DB. `generateDemoDataset` returns the same `Dataset`
// shape as RAF-DB: 100×100 RGB images, names `train_00001.jpg` / `test_0001.jpg`, class counts in
// RAF-DB's proportions (Happiness most, Fear least), clean labels (noise is added elsewhere).
//
// Everything here is pure TypeScript rasterisation into a Uint8Array (no canvas, no DOM, no Node
// API), so the same seed gives the same bytes in Node and in a browser worker. To keep that true
// across JavaScript engines the pixel math uses only +, −, ×, ÷ and Math.sqrt (all correctly
// rounded in IEEE 754), integer hashing via Math.imul, Math.floor/ceil/min/max/abs, truncation
// and comparisons: no Math.sin/cos/exp/pow/atan2 (whose last bits may differ between engines).
// Rotations take their cosine and sine from the rational parametrisation
// t ↦ ((1−t²)/(1+t²), 2t/(1+t²)). Edges are anti-aliased by turning an approximate signed
// distance (in pixels) into a coverage ramp one pixel wide.
//
// Geometry: a face is drawn in its own "local" frame (origin at the face centre, v pointing down,
// face half-height 1), which is scaled, rotated and translated into the image. Expressions are
// parameters of that local drawing (mouth curve, eye lids, brow shape, wrinkles), each moved
// from the person's own resting value by the class's offset times a per-sample intensity.
// Nuisances vary per sample: pose (in-plane rotation, a yaw that shifts and foreshortens the
// features), face size and position, head shape, skin tone, hair style and colour, background
// (gradient, stripes, checks, blobs, clouds), lighting gradient, colour cast and sensor noise,
// glasses, hats, earrings, beards, freckles, and occluders (a hand, a bar, a face mask). Some are
// one-sided on purpose (a mole, side-swept hair, one raised brow, the yaw shading, an earring,
// Disgust's lip raise) so a horizontal flip changes the image.

import { NUM_CLASSES, type Dataset, type Split } from './types.ts';

// ---------------------------------------------------------------------------------------------
// Seeded randomness (32-bit integer math only)

/** Mixes two 32-bit integers into a well-scrambled unsigned 32-bit hash. */
export function hash2(a: number, b: number): number {
  let h = Math.imul((a ^ 0x9e3779b9) >>> 0, 0x85ebca6b) ^ (b >>> 0);
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return (h ^ (h >>> 16)) >>> 0;
}

/** A small seeded PRNG (mulberry32): uniform floats in [0, 1) with 32 bits of randomness. */
export class Rng {
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

// ---------------------------------------------------------------------------------------------
// Class balance

/** RAF-DB basic train counts per class (Surprise, Fear, Disgust, Happiness, Sadness, Anger, Neutral). */
export const RAFDB_TRAIN_COUNTS = [1290, 281, 717, 4772, 1982, 705, 2524] as const;
/** RAF-DB basic test counts per class. */
export const RAFDB_TEST_COUNTS = [329, 74, 160, 1185, 478, 162, 680] as const;

/** Splits `total` in proportion to `ratio` (largest remainder, ties to the lower class index). */
export function proportionalCounts(total: number, ratio: readonly number[]): number[] {
  const sum = ratio.reduce((a, b) => a + b, 0);
  const counts = ratio.map((r) => Math.floor((total * r) / sum));
  let left = total - counts.reduce((a, b) => a + b, 0);
  const order = ratio
    .map((r, i) => ({ i, rem: (total * r) % sum }))
    .sort((a, b) => b.rem - a.rem || a.i - b.i);
  for (let k = 0; left > 0; k = (k + 1) % order.length, left--) counts[order[k].i]++;
  return counts;
}

/** Labels for one split: exact proportional counts, shuffled deterministically by the seed. */
function splitLabels(total: number, ratio: readonly number[], seed: number): Int32Array {
  const counts = proportionalCounts(total, ratio);
  const labels = new Int32Array(total);
  let k = 0;
  for (let c = 0; c < counts.length; c++) for (let j = 0; j < counts[c]; j++) labels[k++] = c;
  const rng = new Rng(seed);
  for (let i = total - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = labels[i];
    labels[i] = labels[j];
    labels[j] = t;
  }
  return labels;
}

// ---------------------------------------------------------------------------------------------
// Face parameters

export type RGB = readonly [number, number, number];

export interface EyeParams {
  /** Centre and half-sizes (local units). */
  x: number;
  y: number;
  w: number;
  h: number;
  /** Upper lid height as a fraction of h above the centre (≥ 1: does not cut the eye). */
  lidH: number;
  /** Upper lid slope; positive lowers the inner (nose-side) end. */
  lidTilt: number;
  /** Lower lid height as a fraction of h below the centre (≥ 1: does not cut the eye). */
  lowH: number;
  /** How far the lower lid bulges up in the middle (fraction of h): "smiling" eyes. */
  lowCurve: number;
  /** Iris radius and gaze offset. */
  irisR: number;
  gazeX: number;
  gazeY: number;
}

export interface BrowParams {
  /** Inner end, outer end and Bézier control point (local units). */
  ix: number;
  iy: number;
  ox: number;
  oy: number;
  cx: number;
  cy: number;
  /** Half thickness. */
  t: number;
}

export interface MouthParams {
  x: number;
  y: number;
  /** Half width. */
  w: number;
  /** Corners raised above the centre (negative: corners down). */
  lift: number;
  /** Upper and lower boundary offsets at the middle (v down; open when bot − top > 0.02). */
  top: number;
  bot: number;
  /** Linear tilt (one corner higher) and S-shaped wave (asymmetric lip raise). */
  skew: number;
  wave: number;
  /** Round "O" mouth instead of the curve model: half-width w, half-height oh. */
  round: boolean;
  oh: number;
  /** 0 none, 1 upper, 2 both rows. */
  teeth: number;
  /** Lip stroke half thickness. */
  lipT: number;
}

export interface FaceParams {
  label: number;
  /** Expression strength in [0.5, 1]: how far features move from the resting face. */
  intensity: number;
  /** Per-image seed for textures and noise. */
  seed: number;
  // Placement (fractions of the image size) and pose.
  cx: number;
  cy: number;
  scale: number;
  /** Rational rotation parameter (tan of half the in-plane angle). */
  rot: number;
  /** Sine/cosine of the yaw (horizontal feature offset), from a rational parameter. */
  yawSin: number;
  yawCos: number;
  // Colours.
  skin: RGB;
  hair: RGB;
  lip: RGB;
  irisColor: RGB;
  bgA: RGB;
  bgB: RGB;
  shirt: RGB;
  /** Background: 0 flat gradient, 1 stripes, 2 blobs, 3 checker, 4 clouds. */
  bgKind: number;
  bgDirT: number;
  // Head shape.
  faceW: number;
  jaw: number;
  earY: number;
  // Hair: 0 none, 1 short, 2 long, 3 side-swept, 4 bun, 5 curly top.
  hairStyle: number;
  fringeY: number;
  fringeTilt: number;
  // Features.
  eyes: [EyeParams, EyeParams];
  brows: [BrowParams, BrowParams];
  mouth: MouthParams;
  noseX: number;
  noseY: number;
  noseKind: number;
  noseWrinkle: number;
  furrow: number;
  foreheadLines: number;
  nasolabial: number;
  blush: number;
  tear: number;
  // Extras and asymmetric marks.
  mole: null | { x: number; y: number; r: number };
  freckles: number;
  glasses: 0 | 1 | 2;
  glassesColor: RGB;
  hat: 0 | 1 | 2;
  hatColor: RGB;
  beard: number;
  mustache: boolean;
  earring: number;
  // Occluders: 0 none, 1 hand, 2 bar, 3 face mask.
  occluder: number;
  occ: { x: number; y: number; t: number; w: number; color: RGB; alpha: number };
  // Photometry.
  lightX: number;
  lightY: number;
  brightness: number;
  tint: RGB;
  noise: number;
}

const SKIN_TONES: RGB[] = [
  [255, 224, 196],
  [241, 194, 160],
  [224, 172, 128],
  [198, 140, 98],
  [160, 104, 70],
  [118, 76, 50],
  [86, 56, 38],
];
const HAIR_COLORS: RGB[] = [
  [28, 22, 20],
  [60, 40, 28],
  [102, 68, 40],
  [150, 104, 58],
  [218, 186, 120],
  [170, 70, 36],
  [160, 160, 160],
  [230, 226, 220],
];
const IRIS_COLORS: RGB[] = [
  [70, 44, 26],
  [104, 70, 40],
  [60, 110, 160],
  [80, 120, 70],
  [40, 32, 30],
  [120, 140, 150],
];

function mixRgb(a: RGB, b: RGB, t: number): RGB {
  return [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t];
}
function scaleRgb(a: RGB, f: number): RGB {
  return [a[0] * f, a[1] * f, a[2] * f];
}
function randomColor(rng: Rng, lo = 30, hi = 230): RGB {
  return [rng.range(lo, hi), rng.range(lo, hi), rng.range(lo, hi)];
}

/** cos/sin of the angle whose half-tangent is t (rational, so exact arithmetic only). */
function rationalCosSin(t: number): [number, number] {
  const d = 1 + t * t;
  return [(1 - t * t) / d, (2 * t) / d];
}

/** Draws every parameter of one face with the given clean label. */
export function sampleFaceParams(rng: Rng, label: number): FaceParams {
  if (!(Number.isInteger(label) && label >= 0 && label < NUM_CLASSES)) throw new Error(`demo label must be 0..${NUM_CLASSES - 1} (got ${label})`);
  // Intensity: mostly clear, sometimes subtle. The floor of 0.5 (was 0.25) and the face scale
  // below keep the expression readable at the 48 px of the short demo run: a network trained from
  // scratch on ~1,500 images otherwise memorises faces before it learns expressions
  // (docs/demo-dataset.md, experiments).
  const k = 0.5 + 0.5 * Math.max(rng.next(), rng.next());
  const seed = Math.floor(rng.next() * 4294967296);

  const faceW = rng.range(0.74, 0.88);
  const yawT = rng.range(-0.085, 0.085);
  const [yawCos, yawSin] = rationalCosSin(yawT);
  const pitch = rng.range(-0.04, 0.04);

  // Feature x position after a yaw: a point on a sphere-ish head moves by sin(ψ)·depth.
  const featX = (u0: number, depth: number): number => {
    const z = Math.sqrt(Math.max(0, faceW * faceW - u0 * u0));
    return yawCos * u0 + yawSin * z * depth;
  };
  const foreshorten = (u0: number): number => {
    const z = Math.sqrt(Math.max(1e-4, faceW * faceW - u0 * u0));
    return Math.max(0.55, yawCos - (yawSin * u0) / z);
  };

  // --- Resting (person-specific) geometry.
  const eyeSep = rng.range(0.27, 0.35);
  const eyeY = rng.range(-0.16, -0.07) + pitch;
  const eyeW = rng.range(0.12, 0.16);
  const eyeH = rng.range(0.075, 0.1);
  const irisR = rng.range(0.048, 0.062);
  const gazeX = rng.range(-0.03, 0.03);
  const gazeY = rng.range(-0.015, 0.015);
  const restLid = rng.chance(0.25) ? rng.range(0.65, 1.0) : 1.4;
  const browGap = rng.range(0.17, 0.23);
  const browT = rng.range(0.024, 0.04);
  const browInner = rng.range(0.09, 0.15);
  const browLen = rng.range(0.26, 0.34);
  const restArch = rng.range(0.02, 0.06);
  const restBrowTilt = rng.range(-0.03, 0.03);
  const browAsym = rng.chance(0.3) ? rng.range(-0.05, 0.05) : 0; // one brow higher
  const mouthY = rng.range(0.44, 0.56) + pitch;
  const mouthW = rng.range(0.2, 0.28);
  const restLift = rng.range(-0.025, 0.025);
  const lipT = rng.range(0.016, 0.026);
  const noseY = rng.range(0.14, 0.24) + pitch;

  // --- Expression offsets.
  let browRaise = 0; // both brows up
  let browInnerRaise = 0; // inner ends up (negative: down, a V)
  let browArch = restArch;
  let browSqueeze = 0; // inner ends pulled to the middle
  let eyeOpen = 1;
  let lidH = restLid;
  let lidTilt = 0;
  let lowH = 1.4;
  let lowCurve = 0;
  let lift = restLift;
  let top = 0;
  let bot = 0;
  let skew = 0;
  let wave = 0;
  let round = false;
  let oh = 0;
  let teeth = 0;
  let mw = mouthW;
  let lipTm = lipT;
  let noseWrinkle = 0;
  let furrow = 0;
  let foreheadLines = 0;
  let nasolabial = 0;
  let blush = rng.chance(0.12) ? rng.range(0.15, 0.35) : 0;
  let tear = 0;

  switch (label) {
    case 0: {
      // Surprise: brows high and arched, eyes wide, round open mouth.
      browRaise = 0.1 * k + 0.02;
      browArch = restArch + 0.05 * k;
      eyeOpen = 1 + 0.5 * k;
      lidH = 1.4;
      round = true;
      mw = 0.07 + 0.07 * k;
      oh = 0.07 + 0.12 * k;
      teeth = rng.chance(0.3) ? 1 : 0;
      if (k > 0.6 && rng.chance(0.6)) foreheadLines = k;
      break;
    }
    case 1: {
      // Fear: brows raised and pulled together (inner ends up, flat), eyes wide, mouth stretched.
      browRaise = 0.06 * k + 0.01;
      browInnerRaise = 0.06 * k;
      browArch = restArch * 0.3;
      browSqueeze = 0.03 * k;
      eyeOpen = 1 + 0.4 * k;
      lidH = 1.4;
      lowH = 1.4;
      mw = mouthW + 0.06 + 0.06 * k;
      lift = -0.03 - 0.04 * k;
      top = -0.01 - 0.02 * k;
      bot = 0.03 + 0.08 * k;
      teeth = rng.chance(0.6) ? 2 : 1;
      wave = rng.chance(0.3) ? rng.range(-0.03, 0.03) : 0;
      if (rng.chance(0.4)) furrow = 0.5 * k;
      if (rng.chance(0.5)) foreheadLines = 0.6 * k;
      break;
    }
    case 2: {
      // Disgust: wrinkled nose, upper lip raised on one side, eyes narrowed from below.
      const side = rng.sign();
      browRaise = -0.03 * k;
      browInnerRaise = -0.03 * k;
      eyeOpen = 1 - 0.15 * k;
      lidH = Math.min(restLid, 1.0 - 0.3 * k);
      lowH = 1.0 - 0.35 * k;
      lowCurve = 0.2 * k;
      noseWrinkle = 0.4 + 0.6 * k;
      nasolabial = rng.chance(0.6) ? k : 0;
      lift = -0.02 - 0.04 * k;
      skew = side * 0.05 * k;
      wave = side * (0.04 + 0.05 * k);
      if (k > 0.55 && rng.chance(0.55)) {
        top = -0.035 * k;
        bot = 0.01;
        teeth = 1;
      }
      mw = mouthW * 0.95;
      break;
    }
    case 3: {
      // Happiness: corners up (grin), cheeks raised, eyes squinting into arcs.
      lift = 0.05 + 0.08 * k;
      mw = mouthW + 0.03 + 0.07 * k;
      if (rng.chance(0.3 + 0.5 * k)) {
        top = -0.01 - 0.02 * k;
        bot = 0.06 + 0.14 * k;
        teeth = rng.chance(0.8) ? 1 : 0;
      }
      lowH = 1.25 - 0.45 * k;
      lowCurve = 1.4 * k * k;
      browRaise = 0.015 * k;
      nasolabial = k > 0.5 && rng.chance(0.4) ? 0.6 * k : 0;
      if (rng.chance(0.35)) blush = Math.max(blush, 0.25 + 0.25 * k);
      break;
    }
    case 4: {
      // Sadness: inner brows raised (oblique), lids drooping outwards, corners down.
      browInnerRaise = 0.07 + 0.05 * k;
      browRaise = -0.01;
      browArch = restArch * 0.4;
      eyeOpen = 1 - 0.1 * k;
      lidH = Math.min(restLid, 0.95 - 0.25 * k);
      lidTilt = -0.35 * k;
      lift = -0.04 - 0.08 * k;
      mw = mouthW * (0.92 - 0.05 * k);
      if (rng.chance(0.25)) {
        // Pouting lower lip drawn as a slightly opened mouth.
        top = 0.0;
        bot = 0.03 + 0.02 * k;
      }
      if (k > 0.6 && rng.chance(0.3)) tear = 1;
      break;
    }
    case 5: {
      // Anger: brows lowered into a V, glaring lids, lips pressed thin (or teeth clenched).
      browRaise = -0.05 * k - 0.01;
      browInnerRaise = -(0.06 + 0.08 * k);
      browArch = restArch * 0.2;
      browSqueeze = 0.03 * k;
      eyeOpen = 1 + 0.05 * k;
      lidH = 0.75 - 0.25 * k;
      lidTilt = 0.3 + 0.6 * k;
      lowH = 1.0 - 0.15 * k;
      furrow = 0.5 + 0.5 * k;
      mw = mouthW * (0.8 - 0.08 * k);
      lift = -0.015 - 0.03 * k;
      lipTm = lipT * 1.5;
      if (k > 0.55 && rng.chance(0.45)) {
        mw = mouthW * 0.95;
        top = -0.03 - 0.01 * k;
        bot = 0.04 + 0.03 * k;
        teeth = 2;
        lift = -0.02;
      }
      if (rng.chance(0.35)) noseWrinkle = 0.3 * k;
      break;
    }
    default: {
      // Neutral: resting values, with a little person-specific variation.
      lift = restLift + rng.range(-0.01, 0.01);
      break;
    }
  }

  // --- Eyes.
  const eyes = [-1, 1].map((side): EyeParams => {
    const u0 = side * eyeSep;
    return {
      x: featX(u0, 1.05),
      y: eyeY,
      w: eyeW * foreshorten(u0),
      h: eyeH * eyeOpen,
      lidH,
      lidTilt,
      lowH,
      lowCurve,
      irisR,
      gazeX: gazeX + yawSin * 0.08,
      gazeY,
    };
  }) as [EyeParams, EyeParams];

  // --- Brows.
  const browBase = eyeY - eyeH - browGap + 0.04;
  const brows = [-1, 1].map((side): BrowParams => {
    const asym = side * browAsym;
    const innerU = side * (browInner - browSqueeze);
    const outerU = side * (browInner + browLen);
    const innerY = browBase - browRaise - browInnerRaise - asym;
    const outerY = browBase - browRaise + restBrowTilt + browInnerRaise * 0.25 - asym;
    const ix = featX(innerU, 1.05);
    const ox = featX(outerU, 1.05);
    return {
      ix,
      iy: innerY,
      ox,
      oy: outerY,
      cx: (ix + ox) / 2,
      cy: (innerY + outerY) / 2 - browArch * 2,
      t: browT,
    };
  }) as [BrowParams, BrowParams];

  const mouthFs = foreshorten(0);
  const mouth: MouthParams = {
    x: featX(0, 1.1),
    y: mouthY,
    w: mw * mouthFs,
    lift,
    top,
    bot,
    skew,
    wave,
    round,
    oh,
    teeth,
    lipT: lipTm,
  };

  // --- Colours.
  const toneT = rng.next() * (SKIN_TONES.length - 1);
  const ti = Math.min(SKIN_TONES.length - 2, Math.floor(toneT));
  let skin = mixRgb(SKIN_TONES[ti], SKIN_TONES[ti + 1], toneT - ti);
  skin = [skin[0] + rng.range(-8, 8), skin[1] + rng.range(-8, 8), skin[2] + rng.range(-8, 8)];
  const hair = mixRgb(rng.pick(HAIR_COLORS), [0, 0, 0], rng.range(0, 0.2));
  const lip = mixRgb(scaleRgb(skin, 0.62), [150, 40, 50], rng.range(0.1, 0.45));
  const bgA = randomColor(rng, 20, 240);
  const bgB = rng.chance(0.5) ? mixRgb(bgA, randomColor(rng), rng.range(0.2, 0.8)) : scaleRgb(bgA, rng.range(0.6, 1.0));

  // --- Extras.
  const hairStyle = rng.chance(0.07) ? 0 : 1 + rng.int(5);
  const moleOn = rng.chance(0.35);
  const moleSide = rng.sign();
  const mole = moleOn
    ? { x: moleSide * rng.range(0.12, 0.55), y: rng.range(-0.5, 0.75), r: rng.range(0.018, 0.035) }
    : null;
  if (mole && Math.abs(mole.y - eyeY) < 0.14 && Math.abs(mole.x) < 0.5) mole.y += 0.28;
  const glassesRoll = rng.next();
  const glasses: 0 | 1 | 2 = glassesRoll < 0.13 ? 1 : glassesRoll < 0.16 ? 2 : 0;
  const hatRoll = rng.next();
  const hat: 0 | 1 | 2 = hatRoll < 0.07 ? 1 : hatRoll < 0.12 ? 2 : 0;
  const occRoll = rng.next();
  const occluder = occRoll < 0.07 ? 1 : occRoll < 0.13 ? 2 : occRoll < 0.15 ? 3 : 0;
  const occPlace = rng.int(4);
  const occ = {
    x: occPlace === 0 ? rng.range(-0.2, 0.2) : occPlace === 1 ? rng.sign() * rng.range(0.35, 0.6) : rng.range(-0.3, 0.3),
    y: occPlace === 0 ? rng.range(0.4, 0.7) : occPlace === 1 ? rng.range(0.1, 0.5) : occPlace === 2 ? rng.range(0.7, 1.0) : rng.range(-0.6, 0.9),
    t: rng.range(-0.6, 0.6),
    w: rng.range(0.12, 0.22),
    color: randomColor(rng),
    alpha: rng.chance(0.3) ? rng.range(0.55, 0.8) : 1,
  };

  const dark = rng.chance(0.5);
  return {
    label,
    intensity: k,
    seed,
    cx: rng.range(0.44, 0.56),
    cy: rng.range(0.45, 0.56),
    // Face half-height as a fraction of the image: the face fills most of the frame, like
    // RAF-DB's aligned crops (hats and long hair may be cut at the border).
    scale: rng.range(0.42, 0.48),
    rot: rng.range(-0.1, 0.1),
    yawSin,
    yawCos,
    skin,
    hair,
    lip,
    irisColor: rng.pick(IRIS_COLORS),
    bgA,
    bgB,
    shirt: randomColor(rng),
    bgKind: rng.int(5),
    bgDirT: rng.range(-1, 1),
    faceW,
    jaw: rng.range(0.8, 1.0),
    earY: rng.range(-0.12, 0.02) + pitch,
    hairStyle,
    fringeY: rng.range(-0.78, -0.56),
    fringeTilt: rng.chance(0.4) ? rng.sign() * rng.range(0.1, 0.3) : rng.range(-0.05, 0.05),
    eyes,
    brows,
    mouth,
    noseX: featX(0, 1.3),
    noseY,
    noseKind: rng.int(3),
    noseWrinkle,
    furrow,
    foreheadLines,
    nasolabial,
    blush,
    tear,
    mole,
    freckles: rng.chance(0.1) ? rng.range(0.3, 1) : 0,
    glasses,
    glassesColor: dark ? [20, 20, 24] : randomColor(rng, 60, 200),
    hat,
    hatColor: randomColor(rng),
    beard: rng.chance(0.05) ? rng.range(0.6, 0.95) : 0,
    mustache: rng.chance(0.05),
    earring: rng.chance(0.12) ? rng.sign() * (rng.chance(0.5) ? 2 : 1) : 0,
    occluder,
    occ,
    lightX: rng.range(-0.5, 0.5),
    lightY: rng.range(-0.35, 0.35),
    brightness: rng.range(0.82, 1.12),
    tint: [1 + rng.range(-0.06, 0.06), 1 + rng.range(-0.06, 0.06), 1 + rng.range(-0.06, 0.06)],
    noise: rng.range(0, 7),
  };
}

// ---------------------------------------------------------------------------------------------
// Rasteriser
//
// Shapes are signed distance fields evaluated in batches: `paint` hands a shape the local
// coordinates of many pixels at once and gets all their distances back, so drawing a shape
// costs two calls and the per-pixel math runs in tight loops. (Calling a different closure for
// every pixel would box each double on the heap and be several times slower.)

/** Fills D[0..n) with the signed distances (local units, negative inside) of (U[i], V[i]). */
type Sdf = (U: Float64Array, V: Float64Array, n: number, D: Float64Array) => void;

/** Maps local (u, v) to pixel (x, y): x = cx + r·(c·u − s·v), y = cy + r·(s·u + c·v). */
interface Frame {
  cx: number;
  cy: number;
  c: number;
  s: number;
  r: number;
}

const BLOCK = 4;

class Raster {
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

function sdEllipse(x: number, y: number, a: number, b: number): number {
  // First-order approximation k0·(k0 − 1)/k1: exact on the boundary, good enough near it.
  const xa = x / a;
  const yb = y / b;
  const k0 = Math.sqrt(xa * xa + yb * yb);
  const k1 = Math.sqrt((xa * xa) / (a * a) + (yb * yb) / (b * b));
  if (k1 < 1e-9) return -(a < b ? a : b);
  return (k0 * (k0 - 1)) / k1;
}

function sdCircle(x: number, y: number, r: number): number {
  return Math.sqrt(x * x + y * y) - r;
}

/** Distance from (px, py) to the segment (ax, ay)–(bx, by), and where along it (0..1). */
function segDist(px: number, py: number, ax: number, ay: number, bx: number, by: number): number {
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

function ellipseSdf(cx: number, cy: number, a: number, b: number, grow = 0): Sdf {
  return (U, V, n, D) => {
    for (let i = 0; i < n; i++) D[i] = sdEllipse(U[i] - cx, V[i] - cy, a, b) - grow;
  };
}

function circleSdf(cx: number, cy: number, r: number): Sdf {
  return (U, V, n, D) => {
    for (let i = 0; i < n; i++) D[i] = sdCircle(U[i] - cx, V[i] - cy, r);
  };
}

/** An elliptical ring of half thickness t. */
function ringSdf(cx: number, cy: number, a: number, b: number, t: number): Sdf {
  return (U, V, n, D) => {
    for (let i = 0; i < n; i++) D[i] = Math.abs(sdEllipse(U[i] - cx, V[i] - cy, a, b)) - t;
  };
}

/** A box of half sizes (hw, hh) centred at (cx, cy), turned by (c, s), with rounded corners. */
function boxSdf(cx: number, cy: number, hw: number, hh: number, c = 1, s = 0, round = 0): Sdf {
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
function bezier(x0: number, y0: number, x1: number, y1: number, x2: number, y2: number, n: number): number[] {
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
function taper(n: number, w: number, end: number): number[] {
  const out: number[] = [];
  for (let i = 0; i <= n; i++) {
    const t = i / n;
    out.push(w * (end + (1 - end) * 4 * t * (1 - t)));
  }
  return out;
}

function drawStroke(R: Raster, f: Frame, pts: number[], hw: number[], color: RGB, alpha = 1): void {
  let wmax = 0;
  for (const w of hw) wmax = Math.max(wmax, w);
  const [u0, v0, u1, v1] = bboxOf(pts, wmax);
  R.paint(f, u0, v0, u1, v1, strokeSdf(pts, hw), color, alpha);
}

function drawLine(R: Raster, f: Frame, pts: number[], w: number, color: RGB, alpha = 1): void {
  const hw: number[] = [];
  for (let i = 0; i < pts.length; i += 2) hw.push(w);
  drawStroke(R, f, pts, hw, color, alpha);
}

// ---------------------------------------------------------------------------------------------
// Drawing one face

function drawBackground(R: Raster, p: FaceParams): void {
  const size = R.size;
  const buf = R.buf;
  const [dc, ds] = rationalCosSin(p.bgDirT);
  const rng = new Rng(hash2(p.seed, 0xb6));
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
      if (Math.abs(p.earring) === 2) R.paint(f, ex - 0.1, ry - 0.1, ex + 0.1, ry + 0.15, ringSdf(ex, ry + 0.04, 0.05, 0.05, 0.012), [230, 190, 60]);
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
    const fr = new Rng(hash2(p.seed, 0xf7));
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
      drawStroke(R, f, bezier(p.noseX - w, y + 0.02, p.noseX, y - 0.04, p.noseX + w, y + 0.02, 6), taper(6, 0.013, 0.3), lineCol, 0.8 * p.foreheadLines);
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
      drawStroke(R, f, bezier(p.noseX - w, y + 0.015, p.noseX, y - 0.025, p.noseX + w, y + 0.015, 6), taper(6, 0.013, 0.4), lineCol, p.noseWrinkle);
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
      R.paint(f, -a, crownTop - 0.1, a, hy, boxSdf(0, (crownTop + crownBot) / 2, a * 0.75 + 0.05, (crownBot - crownTop) / 2 + 0.05, 1, 0, 0.06), hc);
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
    for (const [x, y, r] of rings) R.paint(f, x - r - 0.05, y - r - 0.05, x + r + 0.05, y + r + 0.05, ringSdf(x, y, r, r * 0.78, 0.016), gc);
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

// ---------------------------------------------------------------------------------------------
// Dataset

export interface DemoOptions {
  /** Seed of everything (labels and images). Default 0. */
  seed?: number;
  /** Default 3000. */
  trainCount?: number;
  /** Default 1000. */
  testCount?: number;
  /** Image side in pixels. Default 100 (RAF-DB's aligned size). */
  size?: number;
}

const SPLIT_TRAIN = 1;
const SPLIT_TEST = 2;

/** The parameters of sample `index` of a split: a pure function of (seed, split, index, label). */
export function demoFaceParams(seed: number, split: 'train' | 'test', index: number, label: number): FaceParams {
  const s = hash2(hash2(seed >>> 0, split === 'train' ? SPLIT_TRAIN : SPLIT_TEST), index);
  return sampleFaceParams(new Rng(s), label);
}

function makeSplit(
  seed: number,
  split: 'train' | 'test',
  count: number,
  size: number,
  progress: (n: number) => void,
): Split {
  const ratio = split === 'train' ? RAFDB_TRAIN_COUNTS : RAFDB_TEST_COUNTS;
  const labels = splitLabels(count, ratio, hash2(seed >>> 0, split === 'train' ? 0x7a11 : 0x7e57));
  const images = new Uint8Array(count * size * size * 3);
  const names: string[] = [];
  const digits = split === 'train' ? 5 : 4;
  for (let i = 0; i < count; i++) {
    names.push(`${split}_${String(i + 1).padStart(digits, '0')}.jpg`);
    renderDemoFace(demoFaceParams(seed, split, i, labels[i]), size, images, i * size * size * 3);
    progress(1);
  }
  return { names, images, height: size, width: size, labels, cleanLabels: labels.slice() };
}

/** Generates the demo dataset: deterministic from the seed, identical in Node and browsers. */
export function generateDemoDataset(opts: DemoOptions = {}, onProgress?: (done: number, total: number) => void): Dataset {
  const seed = Math.floor(opts.seed ?? 0);
  const trainCount = opts.trainCount ?? 3000;
  const testCount = opts.testCount ?? 1000;
  const size = opts.size ?? 100;
  if (!(size >= 8)) throw new Error(`demo image size must be at least 8 (got ${size})`);
  const total = trainCount + testCount;
  let done = 0;
  const step = Math.max(1, Math.floor(total / 100));
  const progress = (n: number): void => {
    done += n;
    if (onProgress && (done % step === 0 || done === total)) onProgress(done, total);
  };
  const train = makeSplit(seed, 'train', trainCount, size, progress);
  const test = makeSplit(seed, 'test', testCount, size, progress);
  return { name: `demo (seed ${seed})`, train, test };
}
