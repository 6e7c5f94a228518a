// The filter gradient's plan, pure: which formulation (per-tap slices, im2col patches, or a plain
// matmul for 1×1) and how far to split its reduction, from the convolution's shape and the device
// class, with the bytes and workgroups each choice costs. No tensors; see docs/filter-gradient.md.
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

export interface FilterGradPlan {
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

export const ceilDiv = (a: number, b: number): number => Math.ceil(a / b);
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

export interface Resolved {
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

export function resolve(shape: ConvShape): Resolved {
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
