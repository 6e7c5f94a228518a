// Sliding-window reads as row gathers, for the wasm backend.
//
// Why: tfjs-backend-wasm moves data slowly. Its Slice copies in JavaScript one innermost run at a
// time through a fresh subarray (a strided window view of a [32, 56, 56, 64] map: ~100,000
// allocations), and its GatherV2 copies element by element (~28 ns per float: 0.4 s for one
// layer's im2col patches). Seen as a matrix of rows (one row per pixel, C channels), every window
// read of a convolution or a pool is a row gather: im2col patches, the taps of a pool, and the
// pool's gradient routed back to its input. `EacGatherRows` is that gather as a wasm kernel
// written in JavaScript on the backend's heap: one native memmove (copyWithin) per row, or a
// plain loop for rows of a few channels. Index −1 reads the fill value (the padding).
import { tf, type Tensor2D, type Tensor4D } from './tf.ts';

/** Where the windows lie: input [n, h, w, ·], window kh×kw, stride s, padding pad, output oh×ow. */
export interface WindowGeometry {
  n: number;
  h: number;
  w: number;
  kh: number;
  kw: number;
  s: number;
  pad: number;
  oh: number;
  ow: number;
}

// ---------------------------------------------------------------------------------------------
// Indices (plain memory, not tensors: a cache that nothing in tf.memory() sees)

const key = (g: WindowGeometry, tag: string) => `${tag}:${g.n},${g.h},${g.w},${g.kh},${g.kw},${g.s},${g.pad},${g.oh},${g.ow}`;

const indexCache = new Map<string, Int32Array[]>();
const CACHE_ENTRIES = 12;

function cached(k: string, build: () => Int32Array[]): Int32Array[] {
  const hit = indexCache.get(k);
  if (hit) {
    indexCache.delete(k);
    indexCache.set(k, hit);
    return hit;
  }
  const v = build();
  indexCache.set(k, v);
  while (indexCache.size > CACHE_ENTRIES) indexCache.delete(indexCache.keys().next().value as string);
  return v;
}

/** Input row of window tap (i, j) at output (b, r, q), or −1 where it falls in the padding. */
function sourceRow(g: WindowGeometry, b: number, r: number, q: number, i: number, j: number): number {
  const y = r * g.s + i - g.pad;
  const x = q * g.s + j - g.pad;
  return y >= 0 && y < g.h && x >= 0 && x < g.w ? (b * g.h + y) * g.w + x : -1;
}

/** im2col rows: for each output pixel (b, r, q) in order, its kh·kw taps in row-major order. */
export function patchRowIndex(g: WindowGeometry): Int32Array {
  return cached(key(g, 'patches'), () => {
    const idx = new Int32Array(g.n * g.oh * g.ow * g.kh * g.kw);
    let o = 0;
    for (let b = 0; b < g.n; b++)
      for (let r = 0; r < g.oh; r++)
        for (let q = 0; q < g.ow; q++) for (let i = 0; i < g.kh; i++) for (let j = 0; j < g.kw; j++) idx[o++] = sourceRow(g, b, r, q, i, j);
    return [idx];
  })[0];
}

/** One index per tap (i, j), row-major: the input rows that tap reads for every output pixel. */
export function tapRowIndices(g: WindowGeometry): Int32Array[] {
  return cached(key(g, 'taps'), () => {
    const out: Int32Array[] = [];
    for (let i = 0; i < g.kh; i++)
      for (let j = 0; j < g.kw; j++) {
        const idx = new Int32Array(g.n * g.oh * g.ow);
        let o = 0;
        for (let b = 0; b < g.n; b++) for (let r = 0; r < g.oh; r++) for (let q = 0; q < g.ow; q++) idx[o++] = sourceRow(g, b, r, q, i, j);
        out.push(idx);
      }
    return out;
  });
}

/**
 * The transpose of the window reads: for each input pixel, the (tap t, output o) rows that read
 * it, in tap order, as indices into stacked rows: tap-major t·n·oh·ow + o (the taps of a pool
 * stacked one after the other) or patch-major o·kh·kw + t (im2col rows). Slot m of every pixel
 * is one index array (−1 where a pixel is read fewer than m + 1 times), so the scatter-add is a
 * gather per slot and a sum.
 */
export function scatterRowIndices(g: WindowGeometry, order: 'tap-major' | 'patch-major' = 'tap-major'): Int32Array[] {
  return cached(key(g, `scatter-${order}`), () => {
    const pixels = g.n * g.h * g.w;
    const perTap = g.n * g.oh * g.ow;
    const T = g.kh * g.kw;
    const count = new Int32Array(pixels);
    const taps = tapRowIndices(g);
    for (const idx of taps) for (let o = 0; o < perTap; o++) if (idx[o] >= 0) count[idx[o]]++;
    const slots = count.reduce((m, c) => Math.max(m, c), 0);
    const out = Array.from({ length: slots }, () => new Int32Array(pixels).fill(-1));
    count.fill(0);
    taps.forEach((idx, t) => {
      for (let o = 0; o < perTap; o++) {
        const p = idx[o];
        if (p >= 0) out[count[p]++][p] = order === 'tap-major' ? t * perTap + o : o * T + t;
      }
    });
    return out;
  });
}

// ---------------------------------------------------------------------------------------------
// The kernel

const GATHER_ROWS = 'EacGatherRows';

interface HeapBackend {
  makeOutput(shape: number[], dtype: 'float32'): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array;
}

/** Below this many channels a row is copied by a loop: a memmove call costs more than its bytes. */
const LOOP_BELOW = 16;

type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap };

/** The input x [rows, c] and a new output of `outShape`, both as views on the wasm heap. */
function heapInOut(args: KernelArgs, outShape: (rows: number, c: number) => number[]) {
  const x = args.inputs.x as tf.TensorInfo;
  const backend = args.backend as HeapBackend;
  const [rows, c] = x.shape;
  const out = backend.makeOutput(outShape(rows, c), 'float32');
  // Views after makeOutput: growing the heap replaces its buffer.
  return { out, rows, c, xv: backend.typedArrayFromHeap(x), ov: backend.typedArrayFromHeap(out) };
}

function gatherRowsKernel(args: KernelArgs): tf.TensorInfo {
  const { index, fill, offset } = args.attrs as unknown as { index: Int32Array; fill: number; offset: number };
  const { out, rows, c, xv, ov } = heapInOut(args, (_, c) => [index.length, c]);
  const heap = new Float32Array(ov.buffer);
  const xBase = xv.byteOffset / 4;
  const oBase = ov.byteOffset / 4;
  for (let o = 0; o < index.length; o++) {
    const i = index[o];
    const r = i + offset;
    const dst = oBase + o * c;
    if (i < 0) heap.fill(fill, dst, dst + c);
    else if (r >= rows) throw new Error(`${GATHER_ROWS}: row ${r} of ${rows}`);
    else if (c >= LOOP_BELOW) heap.copyWithin(dst, xBase + r * c, xBase + (r + 1) * c);
    else for (let k = 0, src = xBase + r * c; k < c; k++) heap[dst + k] = heap[src + k];
  }
  return out;
}

const GATHER_ROWS_T = 'EacGatherRowsTransposed';
/** Output columns per block: their 64 source rows of C channels stay in cache. */
const BLOCK = 64;

/**
 * gatherRows(x, index) reshaped [P, G·C] and transposed to [G·C, P] in one pass, where the index
 * holds P groups of G rows: im2col patches laid out for the filter gradient's matmul
 * (patches^T·dY, whose larger operand then needs no packing pass), without a transpose.
 */
function gatherRowsTransposedKernel(args: KernelArgs): tf.TensorInfo {
  const { index, groups, offset } = args.attrs as unknown as { index: Int32Array; groups: number; offset: number };
  const P = index.length / groups;
  const { out, rows, c, xv, ov } = heapInOut(args, (_, c) => [groups * c, P]);
  for (let i = 0; i < index.length; i++)
    if (index[i] + offset >= rows) throw new Error(`${GATHER_ROWS_T}: row ${index[i] + offset} of ${rows}`);
  // Output rows are written contiguously, a block of columns at a time; the block's source rows
  // (their offsets found once per tap) stay in cache across the C output rows.
  const base = new Int32Array(BLOCK);
  for (let o0 = 0; o0 < P; o0 += BLOCK) {
    const m = Math.min(P, o0 + BLOCK) - o0;
    for (let t = 0; t < groups; t++) {
      for (let u = 0; u < m; u++) {
        const r = index[(o0 + u) * groups + t];
        base[u] = r < 0 ? -1 : (r + offset) * c;
      }
      for (let k = 0; k < c; k++) {
        let dst = (t * c + k) * P + o0;
        for (let u = 0; u < m; u++, dst++) {
          const b = base[u];
          ov[dst] = b < 0 ? 0 : xv[b + k];
        }
      }
    }
  }
  return out;
}

let registered = false;
function register(): void {
  if (registered) return;
  tf.registerKernel({ kernelName: GATHER_ROWS, backendName: 'wasm', kernelFunc: gatherRowsKernel as unknown as tf.KernelFunc });
  tf.registerKernel({ kernelName: GATHER_ROWS_T, backendName: 'wasm', kernelFunc: gatherRowsTransposedKernel as unknown as tf.KernelFunc });
  registered = true;
}

/** gatherRows(rows, index, 0, offset) as [P, groups·c], transposed: [groups·c, P] (row −1: zeros); wasm only. */
export function gatherRowsTransposed(rows: Tensor2D, index: Int32Array, groups: number, offset = 0): Tensor2D {
  register();
  return tf.engine().runKernel(GATHER_ROWS_T, { x: rows }, { index, groups, offset } as unknown as tf.NamedAttrMap) as Tensor2D;
}

/**
 * rows[offset + index] as [index.length, c] (index −1: `fill`); wasm only. The offset lets one
 * index serve every batch chunk of a map, read in place.
 */
export function gatherRows(rows: Tensor2D, index: Int32Array, fill = 0, offset = 0): Tensor2D {
  register();
  return tf.engine().runKernel(GATHER_ROWS, { x: rows }, { index, fill, offset } as unknown as tf.NamedAttrMap) as Tensor2D;
}

/** x [n, h, w, c] as pixel rows [n·h·w, c] (a view: no copy). */
export function pixelRows(x: Tensor4D): Tensor2D {
  const [n, h, w, c] = x.shape;
  return tf.reshape(x, [n * h * w, c]);
}
