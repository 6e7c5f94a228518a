// The parameters of one demo face (identity, nuisances and the expression's offsets), drawn from
// a FaceRng for a given label.
import { NUM_CLASSES } from '../../engine/dataset.ts';
import type { FaceRng } from './face-random.ts';

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

interface BrowParams {
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

export function mixRgb(a: RGB, b: RGB, t: number): RGB {
  return [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t];
}
export function scaleRgb(a: RGB, f: number): RGB {
  return [a[0] * f, a[1] * f, a[2] * f];
}
export function randomColor(rng: FaceRng, lo = 30, hi = 230): RGB {
  return [rng.range(lo, hi), rng.range(lo, hi), rng.range(lo, hi)];
}

/** cos/sin of the angle whose half-tangent is t (rational, so exact arithmetic only). */
export function rationalCosSin(t: number): [number, number] {
  const d = 1 + t * t;
  return [(1 - t * t) / d, (2 * t) / d];
}

/** Draws every parameter of one face with the given clean label. */
export function sampleFaceParams(rng: FaceRng, label: number): FaceParams {
  if (!(Number.isInteger(label) && label >= 0 && label < NUM_CLASSES))
    throw new Error(`demo label must be 0..${NUM_CLASSES - 1} (got ${label})`);
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
  const mole = moleOn ? { x: moleSide * rng.range(0.12, 0.55), y: rng.range(-0.5, 0.75), r: rng.range(0.018, 0.035) } : null;
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
    y:
      occPlace === 0
        ? rng.range(0.4, 0.7)
        : occPlace === 1
          ? rng.range(0.1, 0.5)
          : occPlace === 2
            ? rng.range(0.7, 1.0)
            : rng.range(-0.6, 0.9),
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
