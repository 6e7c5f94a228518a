// The filter gradient of a convolution without tfjs's Conv2DBackpropFilter kernel.
//
// Why: on WebGPU, Conv2DBackpropFilter runs one thread per filter weight and each thread loops
// serially over N·Ho·Wo (401 408 iterations for ResNet-50 conv1 at batch 32, 224 px), so the GPU
// gets a few thousand threads doing long serial chains; and tfjs-backend-wasm has no
// Conv2DBackpropFilter at all. Here the filter gradient is expressed as matmuls (X^T·dY) on slices
// or im2col patches of the input, with the reduction dimension K = N·Ho·Wo split into S chunks and
// run as ONE batched matmul [S, K/S, M]^T × [S, K/S, N] → [S, M, N] followed by a sum over S, so the
// number of independent output tiles is S times larger (the plan: conv-plan.ts).
import { tf } from './tf.ts';
import type { Tensor2D, Tensor4D } from './tf.ts';
import { stridedPadNeeded, stridedView } from './strided.ts';
import { fusedConvPatches, fusedSumLeading } from './fused/kernels.ts';
import type { Kernels } from './kernel-table.ts';
import { gatherRows, gatherRowsTransposed, patchRowIndex, pixelRows, tapRowIndices, type WindowGeometry } from './gather-windows.ts';
import {
  ceilDiv,
  chooseSplit,
  filterGradPlan,
  resolve,
  type ConvShape,
  type FilterGradOptions,
  type FilterGradPlan,
  type Resolved,
} from './conv-plan.ts';
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
