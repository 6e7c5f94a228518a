// conv2d with PyTorch semantics (NHWC input, HWIO filter, symmetric explicit zero padding, square
// stride, no dilation, no bias) whose FILTER gradient avoids tfjs's Conv2DBackpropFilter kernel.
//
// Why: on WebGPU, Conv2DBackpropFilter runs one thread per filter weight and each thread loops
// serially over N·Ho·Wo (401 408 iterations for ResNet-50 conv1 at batch 32, 224 px), so the GPU
// gets a few thousand threads doing long serial chains; and tfjs-backend-wasm has no
// Conv2DBackpropFilter at all. Here the filter gradient is expressed as matmuls (X^T·dY) on slices
// or im2col patches of the input, with the reduction dimension K = N·Ho·Wo split into S chunks and
// run as ONE batched matmul [S, K/S, M]^T × [S, K/S, N] → [S, M, N] followed by a sum over S, so the
// number of independent output tiles is S times larger. The input gradient keeps tfjs's own
// Conv2DBackpropInput on GPUs and a forward convolution on cpu/wasm (see conv2dInputGrad).
// See docs/filter-gradient.md for the per-layer plan and the reasoning.
import { tf } from './tf.ts';
import type { Tensor, Tensor2D, Tensor4D } from './tf.ts';
import { stridedPadNeeded, stridedView } from './strided.ts';
import { fusedConvPatches, fusedSumLeading } from './fused/kernels.ts';
import type { Kernels } from './kernel-table.ts';
import {
  gatherRows,
  gatherRowsTransposed,
  patchRowIndex,
  pixelRows,
  scatterRowIndices,
  tapRowIndices,
  type WindowGeometry,
} from './gather-windows.ts';
import { bytesText } from './format.ts';

/** How the filter gradient of one convolution is computed. */
export type FilterGradFormulation =
  /** 1×1, stride 1, pad 0: dW = X^T·dY over the N·H·W rows, X used in place (no copy). */
  | 'matmul-1x1'
  /** 1×1, stride s > 1, pad 0: one strided slice of X, then X_s^T·dY. */
  | 'matmul-1x1-strided'
  /** k×k: for each tap (i, j), the shifted strided slice of the padded input, matmul'd with dY. */
  | 'per-tap'
  /** k×k: im2col patches [rows, kh·kw·Cin] (built in batch chunks), then one matmul with dY. */
  | 'im2col';

/** 'gpu': split the reduction for parallelism; 'cpu': no split (cpu/wasm gain nothing from it). */
export type DeviceClass = 'gpu' | 'cpu';

export interface ConvShape {
  batch: number;
  inHeight: number;
  inWidth: number;
  inChannels: number;
  outChannels: number;
  kernelHeight: number;
  /** Defaults to kernelHeight. */
  kernelWidth?: number;
  stride: number;
  pad: number;
}

export interface FilterGradOptions {
  /** Defaults to the kernel row's class ('gpu-matmuls' → 'gpu', else 'cpu'). */
  device?: DeviceClass;
  /** Force a formulation (tests, benchmarks). The 1×1 ones require a 1×1 pad-0 conv. */
  formulation?: FilterGradFormulation;
  /** Force the split count S of every matmul's reduction (1 = no split). */
  splitK?: number;
  /** conv2d only: false when x needs no gradient (the input image), saving a whole backward conv. */
  inputGradient?: boolean;
  /** Cap on one im2col patch tensor, in bytes; the batch is processed in chunks under it. */
  im2colBudgetBytes?: number;
  /** GPU split target: S·ceil(M/32)·ceil(N/32) 32×32 matmul tiles (workgroups) per matmul. */
  targetWorkgroups?: number;
  /** GPU split floor: each chunk of the reduction keeps at least this many rows. */
  minChunk?: number;
  /** GPU split cap on the [S, M, N] partial sums, in bytes. */
  partialBudgetBytes?: number;
  /**
   * Patches are read in place by one kernel per batch chunk (WebGPU's fused path: no pad, slices
   * or concatenation), or gathered by rows (wasm). Defaults to whether the kernel row's window
   * reads are either.
   */
  patchKernel?: boolean;
}

const FILTER_GRAD_DEFAULTS = {
  im2colBudgetBytes: 64 * 2 ** 20,
  targetWorkgroups: 1024,
  minChunk: 256,
  partialBudgetBytes: 32 * 2 ** 20,
  maxSplit: 4096,
} as const;

interface FilterGradPlan {
  formulation: FilterGradFormulation;
  reason: string;
  device: DeviceClass;
  outHeight: number;
  outWidth: number;
  /** Taps kh·kw. */
  taps: number;
  /** Total reduction length N·Ho·Wo of the filter gradient. */
  reduction: number;
  /** Matmuls launched (per-tap: one per tap; im2col: one per batch chunk). */
  matmuls: number;
  /** Shape of one matmul (the first one): [k, m]^T × [k, n] → [m, n]. */
  matmul: { m: number; n: number; k: number };
  /** Split count S of that matmul's reduction, and the padded k (a multiple of S). */
  splitK: number;
  paddedK: number;
  /** im2col only: images per batch chunk and number of chunks (1 and 1 otherwise). */
  batchChunk: number;
  chunks: number;
  /** Independent output elements of one (split) matmul: S·m·n. */
  parallelOutputs: number;
  /** 32×32-tile workgroups of one (split) matmul on WebGPU's packed matmul: S·⌈m/32⌉·⌈n/32⌉. */
  workgroups: number;
  /** The stock kernel: one thread per filter weight, each looping over `stockLoop` terms. */
  stockThreads: number;
  stockLoop: number;
  /** Rough global-memory traffic of the chosen formulation (float32 bytes read + written, caches ignored). */
  bytesEstimate: number;
  /** Largest transient tensor (bytes) the formulation allocates besides dY and X. */
  peakTempBytes: number;
}

const ceilDiv = (a: number, b: number): number => Math.ceil(a / b);
const F32 = 4;

function outSize(inSize: number, k: number, stride: number, pad: number): number {
  return Math.floor((inSize + 2 * pad - k) / stride) + 1;
}

/**
 * Split count S for a [k, m]^T × [k, n] matmul on the given device class. On 'gpu', S is the
 * smallest count that gives ~targetWorkgroups 32×32 tiles, bounded so that chunks keep ≥ minChunk
 * rows and the [S, m, n] partials stay under partialBudgetBytes; a divisor of k within a factor
 * of two of that is preferred (no zero padding needed).
 */
export function chooseSplit(k: number, m: number, n: number, options: FilterGradOptions = {}): number {
  if (options.splitK !== undefined) return Math.max(1, Math.min(Math.floor(options.splitK), k));
  if ((options.device ?? 'gpu') === 'cpu') return 1;
  const target = options.targetWorkgroups ?? FILTER_GRAD_DEFAULTS.targetWorkgroups;
  const minChunk = options.minChunk ?? FILTER_GRAD_DEFAULTS.minChunk;
  const partialBudget = options.partialBudgetBytes ?? FILTER_GRAD_DEFAULTS.partialBudgetBytes;
  const tiles = ceilDiv(m, 32) * ceilDiv(n, 32);
  const cap = Math.min(Math.floor(k / minChunk), Math.floor(partialBudget / (F32 * m * n)), FILTER_GRAD_DEFAULTS.maxSplit);
  const want = Math.min(ceilDiv(target, tiles), cap);
  if (want <= 1) return 1;
  // Prefer a divisor of k in [want/2, min(2·want, cap)], closest to `want` in ratio.
  let best = 0;
  let bestScore = Infinity;
  for (let d = Math.max(2, Math.ceil(want / 2)); d <= Math.min(2 * want, cap); d++) {
    if (k % d !== 0) continue;
    const score = Math.abs(Math.log(d / want));
    if (score < bestScore) {
      best = d;
      bestScore = score;
    }
  }
  return best || want;
}

interface Resolved {
  n: number;
  h: number;
  w: number;
  cin: number;
  cout: number;
  kh: number;
  kw: number;
  s: number;
  p: number;
  ho: number;
  wo: number;
}

function resolve(shape: ConvShape): Resolved {
  const kh = shape.kernelHeight;
  const kw = shape.kernelWidth ?? kh;
  const r = {
    n: shape.batch,
    h: shape.inHeight,
    w: shape.inWidth,
    cin: shape.inChannels,
    cout: shape.outChannels,
    kh,
    kw,
    s: shape.stride,
    p: shape.pad,
    ho: outSize(shape.inHeight, kh, shape.stride, shape.pad),
    wo: outSize(shape.inWidth, kw, shape.stride, shape.pad),
  };
  if (!(r.ho > 0 && r.wo > 0)) throw new Error(`conv2d: empty output for ${JSON.stringify(shape)}`);
  return r;
}

/** Bytes-moved estimates (float32) for the two general formulations; see docs/filter-gradient.md. */
function trafficEstimates(r: Resolved, imChunks: number): { perTap: number; im2col: number; pad: number } {
  const K = r.n * r.ho * r.wo;
  const T = r.kh * r.kw;
  const pad = r.p > 0 ? 2 * r.n * (r.h + 2 * r.p) * (r.w + 2 * r.p) * r.cin : 0; // read x, write xp
  // per tap: slice (read + write K·Cin), matmul reads slice (K·Cin) and dY (K·Cout).
  const perTap = pad + T * (3 * K * r.cin + K * r.cout);
  // slices (read + write), concat (read + write per level: per kernel row, then the rows — the
  // same two levels WebGPU's ≤ 7-inputs-per-shader concat would take for 49 taps), matmul reads
  // patches once and dY once (+ a copy of each dY chunk when the batch is chunked).
  let concatLevels = 0;
  for (let inputs = T; inputs > 1; inputs = ceilDiv(inputs, 7)) concatLevels++;
  const im2col = pad + (3 + 2 * concatLevels) * T * K * r.cin + K * r.cout + (imChunks > 1 ? 2 * K * r.cout : 0);
  return { perTap: perTap * F32, im2col: im2col * F32, pad: pad * F32 };
}

/** Which formulation (and split) the filter gradient of this convolution uses, and why. */
export function filterGradPlan(shape: ConvShape, options: FilterGradOptions = {}): FilterGradPlan {
  const r = resolve(shape);
  const device = options.device ?? 'gpu';
  const opts: FilterGradOptions = { ...options, device };
  const T = r.kh * r.kw;
  const K = r.n * r.ho * r.wo;
  const is1x1 = r.kh === 1 && r.kw === 1 && r.p === 0;
  const budget = options.im2colBudgetBytes ?? FILTER_GRAD_DEFAULTS.im2colBudgetBytes;
  const imageBytes = r.ho * r.wo * T * r.cin * F32;
  // Fewest chunks under the budget, balanced (32 images at ≤ 9 per chunk → 4 × 8, not 9+9+9+5).
  const batchChunk = ceilDiv(r.n, ceilDiv(r.n, Math.max(1, Math.min(r.n, Math.floor(budget / imageBytes)))));
  const imChunks = ceilDiv(r.n, batchChunk);
  const traffic = trafficEstimates(r, imChunks);

  let formulation: FilterGradFormulation;
  let reason: string;
  if (options.formulation) {
    formulation = options.formulation;
    reason = 'forced by options';
    if ((formulation === 'matmul-1x1' || formulation === 'matmul-1x1-strided') && !is1x1)
      throw new Error(`filterGradPlan: ${formulation} needs a 1×1 pad-0 conv`);
    if (formulation === 'matmul-1x1' && r.s !== 1) throw new Error('filterGradPlan: matmul-1x1 needs stride 1');
  } else if (is1x1 && r.s === 1) {
    formulation = 'matmul-1x1';
    reason = 'a 1×1 stride-1 conv is a plain matmul X^T·dY over N·H·W rows; X is used in place';
  } else if (is1x1) {
    formulation = 'matmul-1x1-strided';
    reason = `a 1×1 stride-${r.s} conv reads one pixel per ${r.s}×${r.s} block: one strided slice of X (1/${r.s * r.s} of it), then X_s^T·dY`;
  } else if (options.patchKernel) {
    // Written and read once, the patches move what per-tap's tap copies move, and dY is read
    // once instead of once per tap; one gather + one matmul per chunk instead of a pair per tap.
    formulation = 'im2col';
    reason = `patches read in place by one kernel per chunk (${imChunks} chunk(s) of ${batchChunk} image(s) ≤ ${mb(budget)}): dY read once, not ${T} times`;
  } else if (traffic.im2col < traffic.perTap) {
    formulation = 'im2col';
    reason =
      `Cin = ${r.cin} is small next to Cout = ${r.cout}, so per-tap's ${T} re-reads of dY cost more than the patches ` +
      `(~${mb(traffic.perTap)} vs ~${mb(traffic.im2col)}); patches built in ${imChunks} chunk(s) of ${batchChunk} image(s) ≤ ${mb(budget)}`;
  } else {
    formulation = 'per-tap';
    reason =
      `${T} taps, each a [${K}, ${r.cin}]^T×[${K}, ${r.cout}] matmul on a shifted strided slice; ` +
      `no ${T}× im2col blow-up (~${mb(traffic.perTap)} vs ~${mb(traffic.im2col)} for im2col)`;
  }

  let m: number;
  let matmuls: number;
  let k = K;
  let chunk = 1;
  let chunks = 1;
  let bytesEstimate: number;
  let peakTempBytes: number;
  switch (formulation) {
    case 'matmul-1x1':
      m = r.cin;
      matmuls = 1;
      bytesEstimate = (K * r.cin + K * r.cout) * F32;
      peakTempBytes = 0;
      break;
    case 'matmul-1x1-strided':
      m = r.cin;
      matmuls = 1;
      bytesEstimate = (3 * K * r.cin + K * r.cout) * F32;
      peakTempBytes = K * r.cin * F32;
      break;
    case 'per-tap':
      m = r.cin;
      matmuls = T;
      bytesEstimate = traffic.perTap;
      peakTempBytes = K * r.cin * F32 + traffic.pad / 2;
      break;
    case 'im2col':
      m = T * r.cin;
      chunk = batchChunk;
      chunks = imChunks;
      matmuls = imChunks;
      k = chunk * r.ho * r.wo;
      bytesEstimate = options.patchKernel ? (2 * T * K * r.cin + K * r.cout) * F32 : traffic.im2col;
      // slices + patches alive together, or the patches alone when a kernel reads them in place
      peakTempBytes = options.patchKernel ? k * m * F32 : 2 * k * m * F32 + traffic.pad / 2;
      break;
  }
  const n = r.cout;
  const S = chooseSplit(k, m, n, opts);
  const paddedK = ceilDiv(k, S) * S;
  const partial = S > 1 ? 2 * S * m * n * F32 * matmuls : 0; // write + read the partials
  return {
    formulation,
    reason,
    device,
    outHeight: r.ho,
    outWidth: r.wo,
    taps: T,
    reduction: K,
    matmuls,
    matmul: { m, n, k },
    splitK: S,
    paddedK,
    batchChunk: chunk,
    chunks,
    parallelOutputs: S * m * n,
    workgroups: S * ceilDiv(m, 32) * ceilDiv(n, 32),
    stockThreads: T * r.cin * r.cout,
    stockLoop: K,
    bytesEstimate: bytesEstimate + partial,
    peakTempBytes: peakTempBytes + (S > 1 ? S * m * n * F32 : 0),
  };
}

const mb = (bytes: number): string => bytesText(bytes, 'binary');

// ---------------------------------------------------------------------------------------------
// Kernels (all built from stock ops that are fast on cpu, wasm and webgpu)

/**
 * a2d^T·b2d for a: [k, m], b: [k, n], with the k reduction split into S batched chunks. Without a
 * split, cpu-class backends get an explicit transpose first: WASM's matmul is ~10× slower with
 * transposeA than on a transposed copy (only the plain layout reaches XNNPACK).
 */
function splitMatmulTN(a: Tensor2D, b: Tensor2D, S: number, kernels: Kernels): Tensor2D {
  if (S <= 1) {
    if (kernels.filterGrad === 'gpu-matmuls') return tf.matMul(a, b, true, false);
    // Transpose the narrower operand: (b^T·a)^T when a is the wider (im2col patches: m = kh·kw·Cin).
    const [, m] = a.shape;
    const n = b.shape[1];
    return tf.tidy((): Tensor2D => (m > n ? (tf.transpose(tf.matMul(tf.transpose(b), a)) as Tensor2D) : tf.matMul(tf.transpose(a), b)));
  }
  return tf.tidy(() => {
    const [k, m] = a.shape;
    const n = b.shape[1];
    const kp = ceilDiv(k, S) * S;
    let ap: Tensor2D = a;
    let bp: Tensor2D = b;
    if (kp > k) {
      // Zero rows contribute nothing to the sum.
      ap = tf.pad(a, [
        [0, kp - k],
        [0, 0],
      ]);
      bp = tf.pad(b, [
        [0, kp - k],
        [0, 0],
      ]);
    }
    const partials = tf.matMul(tf.reshape(ap, [S, kp / S, m]), tf.reshape(bp, [S, kp / S, n]), true, false);
    return (kernels.splitKSum === 'fused-sum' ? tf.reshape(fusedSumLeading(partials), [m, n]) : tf.sum(partials, 0)) as Tensor2D;
  });
}

/** Input rows hit by tap (i, j) for output pixels of a batch range: [nb, Ho, Wo, Cin]. */
function tapSlice(xp: Tensor4D, i: number, j: number, r: Resolved, b0: number, nb: number): Tensor4D {
  const full = b0 === 0 && nb === r.n;
  const [, hp, wp] = xp.shape;
  if (r.s === 1 && full && i === 0 && j === 0 && r.ho === hp && r.wo === wp) return xp;
  return stridedView(xp, b0, nb, i, j, r.ho, r.wo, r.s);
}

/** x zero-padded by p on every side, plus what stridedView needs at the bottom/right for every tap. */
function padForTaps(x: Tensor4D, r: Resolved): Tensor4D {
  const extraH = stridedPadNeeded(r.h + 2 * r.p, r.kh - 1, r.ho, r.s);
  const extraW = stridedPadNeeded(r.w + 2 * r.p, r.kw - 1, r.wo, r.s);
  if (r.p === 0 && extraH === 0 && extraW === 0) return x;
  return tf.pad(x, [
    [0, 0],
    [r.p, r.p + extraH],
    [r.p, r.p + extraW],
    [0, 0],
  ]);
}

/** Where a filter gradient reads its taps: slices of the padded input, or x in place through the patch kernel (WebGPU). */
interface TapReader {
  /** Input rows hit by tap (i, j) for output pixels of a batch range: [nb, Ho, Wo, Cin]. */
  tap: (i: number, j: number, b0: number, nb: number) => Tensor4D;
  /** All taps of a batch range, columns (i, j, c): [nb, Ho, Wo, kh·kw·Cin]; null where built from taps. */
  patches: ((b0: number, nb: number) => Tensor4D) | null;
  /** The same patches transposed, [kh·kw·Cin, nb·Ho·Wo], built directly (wasm); null elsewhere. */
  patchesT: ((b0: number, nb: number) => Tensor2D) | null;
  dispose: () => void;
}

/**
 * Taps and patches as row gathers of x read in place (wasm: see gather-windows.ts); a batch
 * range starts b0·h·w rows in, so one index serves every chunk of the same size.
 */
function gatherTapReader(x: Tensor4D, r: Resolved): TapReader {
  const rows = pixelRows(x);
  const geometry = (nb: number): WindowGeometry => ({ n: nb, h: r.h, w: r.w, kh: r.kh, kw: r.kw, s: r.s, pad: r.p, oh: r.ho, ow: r.wo });
  const first = (b0: number) => b0 * r.h * r.w;
  return {
    tap: (i, j, b0, nb) =>
      r.s === 1 && b0 === 0 && nb === r.n && i === r.p && j === r.p && r.ho === r.h && r.wo === r.w
        ? x
        : tf.reshape(gatherRows(rows, tapRowIndices(geometry(nb))[i * r.kw + j], 0, first(b0)), [nb, r.ho, r.wo, r.cin]),
    patches: (b0, nb) => tf.reshape(gatherRows(rows, patchRowIndex(geometry(nb)), 0, first(b0)), [nb, r.ho, r.wo, r.kh * r.kw * r.cin]),
    patchesT: (b0, nb) => gatherRowsTransposed(rows, patchRowIndex(geometry(nb)), r.kh * r.kw, first(b0)),
    dispose: () => rows.dispose(),
  };
}

function tapReader(x: Tensor4D, r: Resolved, k: Kernels): TapReader {
  if (k.windowReads === 'row-gathers') return gatherTapReader(x, r);
  if (k.windowReads === 'patch-kernel') {
    const read = (b0: number, nb: number, i0: number, j0: number, tapRows: number, tapCols: number) =>
      fusedConvPatches(x, { b0, batch: nb, i0, j0, tapRows, tapCols, stride: r.s, pad: r.p, outHeight: r.ho, outWidth: r.wo });
    return {
      tap: (i, j, b0, nb) =>
        r.s === 1 && b0 === 0 && nb === r.n && i === r.p && j === r.p && r.ho === r.h && r.wo === r.w ? x : read(b0, nb, i, j, 1, 1),
      patches: (b0, nb) => read(b0, nb, 0, 0, r.kh, r.kw),
      patchesT: null,
      dispose: () => {},
    };
  }
  const xp = padForTaps(x, r);
  return {
    tap: (i, j, b0, nb) => tapSlice(xp, i, j, r, b0, nb),
    patches: null,
    patchesT: null,
    dispose: () => {
      if (xp !== x) xp.dispose();
    },
  };
}

/**
 * Patches [nb, Ho, Wo, kh·kw·Cin] from tap slices, columns ordered (i, j, c) = the HWIO filter's
 * flattening, built one kernel row at a time so that only one row's slices are alive (peak ≈ 2×
 * the patches, not 3×; WebGPU concatenates ≤ 7 inputs per shader anyway).
 */
function patchesByRows(reader: TapReader, r: Resolved, b0: number, nb: number): Tensor4D {
  const rows: Tensor4D[] = [];
  for (let i = 0; i < r.kh; i++) {
    rows.push(
      tf.tidy(() => {
        const slices: Tensor4D[] = [];
        for (let j = 0; j < r.kw; j++) slices.push(reader.tap(i, j, b0, nb));
        return slices.length === 1 ? slices[0] : tf.concat(slices, 3);
      }),
    );
  }
  const patches = rows.length === 1 ? rows[0] : tf.concat(rows, 3);
  if (rows.length > 1) rows.forEach((t) => t.dispose());
  return patches;
}

function filterGradient(x: Tensor4D, dy: Tensor4D, r: Resolved, plan: FilterGradPlan, opts: FilterGradOptions, k: Kernels): Tensor4D {
  const K = r.n * r.ho * r.wo;
  const dy2 = (): Tensor2D => tf.reshape(dy, [K, r.cout]);
  switch (plan.formulation) {
    case 'matmul-1x1':
      return tf.tidy(() => tf.reshape(splitMatmulTN(tf.reshape(x, [K, r.cin]), dy2(), plan.splitK, k), [1, 1, r.cin, r.cout]));
    case 'matmul-1x1-strided':
      return tf.tidy((): Tensor4D => {
        const reader = tapReader(x, r, k);
        const xs = reader.tap(0, 0, 0, r.n);
        const g: Tensor4D = tf.reshape(splitMatmulTN(tf.reshape(xs, [K, r.cin]), dy2(), plan.splitK, k), [1, 1, r.cin, r.cout]);
        reader.dispose();
        return g;
      });
    case 'per-tap': {
      const reader = tapReader(x, r, k);
      const dyK = dy2();
      const taps: Tensor2D[] = [];
      try {
        for (let i = 0; i < r.kh; i++) {
          for (let j = 0; j < r.kw; j++) {
            // One tap at a time: its slice is released before the next one is cut.
            taps.push(tf.tidy(() => splitMatmulTN(tf.reshape(reader.tap(i, j, 0, r.n), [K, r.cin]), dyK, plan.splitK, k)));
          }
        }
        return tf.tidy(() => tf.reshape(tf.stack(taps), [r.kh, r.kw, r.cin, r.cout]));
      } finally {
        for (const t of taps) t.dispose();
        dyK.dispose();
        reader.dispose();
      }
    }
    case 'im2col': {
      const reader = tapReader(x, r, k);
      const M = r.kh * r.kw * r.cin;
      let acc: Tensor2D | null = null;
      try {
        for (let b0 = 0; b0 < r.n; b0 += plan.batchChunk) {
          const nb = Math.min(plan.batchChunk, r.n - b0);
          const part = tf.tidy((): Tensor2D => {
            const kc = nb * r.ho * r.wo;
            const dyc = nb === r.n ? dy : tf.slice(dy, [b0, 0, 0, 0], [nb, r.ho, r.wo, r.cout]);
            const S = chooseSplit(kc, M, r.cout, {
              ...opts,
              device: plan.device,
              splitK: opts.splitK ?? (nb === plan.batchChunk ? plan.splitK : undefined),
            });
            // wasm: patches^T built directly, so dW = patches^T·dY is a plain matmul.
            if (S <= 1 && reader.patchesT) return tf.matMul(reader.patchesT(b0, nb), tf.reshape(dyc, [kc, r.cout]) as Tensor2D);
            const patches = reader.patches?.(b0, nb) ?? patchesByRows(reader, r, b0, nb);
            return splitMatmulTN(tf.reshape(patches, [kc, M]), tf.reshape(dyc, [kc, r.cout]), S, k);
          });
          if (acc === null) acc = part;
          else {
            const next: Tensor2D = tf.add(acc, part);
            acc.dispose();
            part.dispose();
            acc = next;
          }
        }
        return tf.reshape(acc as Tensor2D, [r.kh, r.kw, r.cin, r.cout]);
      } finally {
        acc?.dispose();
        reader.dispose();
      }
    }
  }
}

/**
 * The filter gradient alone (what tfjs's conv2DBackpropFilter computes), for x NHWC, dy the
 * gradient of conv2d(x, w, stride, pad) and filterShape = w.shape (HWIO).
 */
export function conv2dFilterGrad(
  x: Tensor4D,
  dy: Tensor4D,
  filterShape: [number, number, number, number],
  stride: number,
  pad: number,
  kernels: Kernels,
  options: FilterGradOptions = {},
): Tensor4D {
  const [n, h, wd, cin] = x.shape;
  const [kh, kw, fcin, cout] = filterShape;
  if (fcin !== cin) throw new Error(`conv2dFilterGrad: x has ${cin} channels, filter expects ${fcin}`);
  const shape: ConvShape = {
    batch: n,
    inHeight: h,
    inWidth: wd,
    inChannels: cin,
    outChannels: cout,
    kernelHeight: kh,
    kernelWidth: kw,
    stride,
    pad,
  };
  const r = resolve(shape);
  if (dy.shape.join() !== [n, r.ho, r.wo, cout].join()) throw new Error(`conv2dFilterGrad: dy ${dy.shape} ≠ [${[n, r.ho, r.wo, cout]}]`);
  const device = options.device ?? (kernels.filterGrad === 'gpu-matmuls' ? 'gpu' : 'cpu');
  // Patches read in place (WebGPU's kernel) or gathered by rows (wasm) make im2col the k×k formulation.
  const patchKernel = options.patchKernel ?? kernels.windowReads !== 'slices';
  const plan = filterGradPlan(shape, { ...options, device, patchKernel });
  return filterGradient(x, dy, r, plan, { ...options, device, patchKernel }, kernels);
}

/** [n, h, w, c] → [n, (h−1)·s+1, (w−1)·s+1, c] with s−1 zeros between entries (rank-4 ops only). */
function dilate(d: Tensor4D, s: number): Tensor4D {
  return tf.tidy((): Tensor4D => {
    const [n, h, w, c] = d.shape;
    const cols = tf.reshape(
      tf.pad(d, [
        [0, 0],
        [0, 0],
        [0, 0],
        [0, (s - 1) * c],
      ]),
      [n, h, 1, w * s * c],
    );
    const rows = tf.reshape(
      tf.pad(cols, [
        [0, 0],
        [0, 0],
        [0, s - 1],
        [0, 0],
      ]),
      [n, h * s, w * s, c],
    );
    return tf.slice(rows, [0, 0, 0, 0], [n, (h - 1) * s + 1, (w - 1) * s + 1, c]) as Tensor4D;
  });
}

/** Rows in reverse order: a row gather on wasm (its Reverse copies element by element in JavaScript). */
function reverseRows(m: Tensor2D, k: Kernels): Tensor2D {
  if (k.reverseRows === 'tf-reverse') return tf.reverse(m, 0);
  const rows = m.shape[0];
  return gatherRows(
    m,
    Int32Array.from({ length: rows }, (_, i) => rows - 1 - i),
  );
}

/**
 * The input gradient as a forward convolution: dX = conv2d(dilate(dY, s), rot180(W) with in/out
 * swapped), padded k−1−p before and whatever reaches the input size after. CPU-class backends
 * run forward convolutions far faster than Conv2DBackpropInput (WASM: XNNPACK vs a plain loop,
 * ~8× on ResNet 3×3 layers). A 1×1 conv commutes with the dilation, so it runs undilated.
 */
function inputGradViaConv(dy: Tensor4D, w: Tensor4D, xShape: number[], s: number, p: number, k: Kernels): Tensor4D {
  const [kh, kw] = w.shape;
  const [, h, wd] = xShape;
  return tf.tidy(() => {
    // rot180 over the taps (as a 2-D reverse: cheaper than a rank-4 one on WASM), then in/out swapped.
    const [, , cin, cout] = w.shape;
    const rot = kh * kw === 1 ? w : tf.reshape(reverseRows(tf.reshape(w, [kh * kw, cin * cout]), k), [kh, kw, cin, cout]);
    const wr = tf.transpose(rot, [0, 1, 3, 2]) as Tensor4D; // [kh, kw, cout, cin]
    if (kh === 1 && kw === 1 && p === 0) {
      const z = tf.conv2d(dy, wr, 1, 'valid');
      const zd = s > 1 ? dilate(z, s) : z;
      return tf.pad(zd, [
        [0, 0],
        [0, h - zd.shape[1]],
        [0, wd - zd.shape[2]],
        [0, 0],
      ]) as Tensor4D;
    }
    const d = s > 1 ? dilate(dy, s) : dy;
    const top = kh - 1 - p;
    const left = kw - 1 - p;
    const bottom = h - (d.shape[1] + top - kh + 1);
    const right = wd - (d.shape[2] + left - kw + 1);
    if (top < 0 || left < 0 || bottom < 0 || right < 0)
      return tf.conv2dTranspose(dy, w, xShape as [number, number, number, number], s, explicitPad(p));
    return tf.conv2d(d, wr, 1, [
      [0, 0],
      [top, bottom],
      [left, right],
      [0, 0],
    ]);
  });
}

/**
 * A strided convolution's input gradient on wasm: the patch gradients dY·W^T (one matmul), then
 * each input pixel sums the patch rows that read it (col2im as row gathers). The forward-conv
 * form would convolve a dilated dY whose entries are (s²−1)/s² zeros: 4× the multiply-adds at
 * stride 2, and a dilation built from slices.
 */
function inputGradByPatches(dy: Tensor4D, w: Tensor4D, xShape: number[], s: number, p: number): Tensor4D {
  const [kh, kw, cin, cout] = w.shape;
  const [n, ho, wo] = dy.shape;
  const [, h, wd] = xShape;
  const slots = scatterRowIndices({ n, h, w: wd, kh, kw, s, pad: p, oh: ho, ow: wo }, 'patch-major');
  return tf.tidy(() => {
    // W^T as a copy: wasm's matmul with transposeB takes a slow path (~10× on these shapes).
    const dPatches = tf.matMul(tf.reshape(dy, [n * ho * wo, cout]), tf.transpose(tf.reshape(w, [kh * kw * cin, cout])));
    const rows = tf.reshape(dPatches, [n * ho * wo * kh * kw, cin]) as Tensor2D;
    let acc = gatherRows(rows, slots[0]);
    for (let m = 1; m < slots.length; m++) acc = tf.add(acc, gatherRows(rows, slots[m]));
    return tf.reshape(acc, [n, h, wd, cin]) as Tensor4D;
  });
}

/** The input gradient, as the kernel row says: Conv2DBackpropInput (GPUs), a forward conv, or patches scattered back (wasm, strided). */
export function conv2dInputGrad(dy: Tensor4D, w: Tensor4D, xShape: number[], stride: number, pad: number, kernels: Kernels): Tensor4D {
  switch (kernels.inputGrad) {
    case 'conv2d-transpose':
      return tf.conv2dTranspose(dy, w, xShape as [number, number, number, number], stride, explicitPad(pad));
    case 'patch-scatter':
      if (stride > 1) return inputGradByPatches(dy, w, xShape, stride, pad);
      return inputGradViaConv(dy, w, xShape, stride, pad, kernels);
    case 'forward-conv':
      return inputGradViaConv(dy, w, xShape, stride, pad, kernels);
  }
}

/** Symmetric zero padding `pad` on H and W of an NHWC tensor, as tfjs takes it. */
export function explicitPad(pad: number): 'valid' | [[number, number], [number, number], [number, number], [number, number]] {
  // 'valid' for pad 0 keeps WebGPU's direct 1×1 matmul path for the forward conv.
  return pad === 0
    ? 'valid'
    : [
        [0, 0],
        [pad, pad],
        [pad, pad],
        [0, 0],
      ];
}

/**
 * conv2d, PyTorch semantics: x NHWC, w HWIO, symmetric zero padding `pad` on H and W, square
 * `stride`, no dilation, no bias. Its gradient uses `conv2dInputGrad` for x and the
 * formulation of `filterGradPlan` for w (never the Conv2DBackpropFilter kernel).
 */
export function conv2d(x: Tensor4D, w: Tensor4D, stride: number, pad: number, kernels: Kernels, options: FilterGradOptions = {}): Tensor4D {
  if (x.rank !== 4 || w.rank !== 4) throw new Error(`conv2d: expected x NHWC and w HWIO, got ${x.shape} and ${w.shape}`);
  if (x.shape[3] !== w.shape[2]) throw new Error(`conv2d: x has ${x.shape[3]} channels, w expects ${w.shape[2]}`);
  if (!(Number.isInteger(stride) && stride >= 1 && Number.isInteger(pad) && pad >= 0))
    throw new Error(`conv2d: stride must be an integer ≥ 1 and pad an integer ≥ 0, got ${stride}, ${pad}`);
  const padding = explicitPad(pad);
  const f = tf.customGrad((...args: Array<Tensor | tf.GradSaveFunc>) => {
    const x4 = args[0] as Tensor4D;
    const w4 = args[1] as Tensor4D;
    (args[2] as tf.GradSaveFunc)([x4, w4]);
    const value = tf.conv2d(x4, w4, stride, padding);
    const gradFunc = (dy: Tensor, saved: Tensor[]): Tensor[] => {
      const [xs, ws] = saved as Tensor4D[];
      const dy4 = dy as Tensor4D;
      // The network's input image needs no gradient (the stem conv passes inputGradient: false).
      const dx = options.inputGradient === false ? tf.zerosLike(xs) : conv2dInputGrad(dy4, ws, xs.shape, stride, pad, kernels);
      const dw = conv2dFilterGrad(xs, dy4, ws.shape, stride, pad, kernels, options);
      return [dx, dw];
    };
    return { value, gradFunc };
  });
  return f(x, w) as Tensor4D;
}
