// IDX files (MNIST, Fashion-MNIST): a big-endian header (0, 0, type 0x08 = unsigned bytes, the
// number of dimensions, each dimension as a u32), then the values. Raw or gzip.
import { gunzipBounded } from './gzip.ts';

export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

/** Parses an IDX file of unsigned bytes; throws a one-line reason for anything else. */
export function parseIdx(file: Uint8Array, maxBytes: number): IdxArray {
  const b = gunzipBounded(file, maxBytes);
  if (b.length < 4 || b[0] !== 0 || b[1] !== 0) throw new Error('not an IDX file (its first bytes are not 0, 0)');
  if (b[2] !== 0x08) throw new Error(`an IDX file of type 0x${b[2].toString(16)}, not unsigned bytes (0x08)`);
  const n = b[3];
  if (n < 1 || n > 4) throw new Error(`an IDX file of ${n} dimensions (1 to 4 expected)`);
  if (b.length < 4 + 4 * n) throw new Error('the IDX header ends early');
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const dims = Array.from({ length: n }, (_, i) => view.getUint32(4 + 4 * i, false));
  const size = dims.reduce((a, d) => a * d, 1);
  const have = b.length - 4 - 4 * n;
  if (size !== have) throw new Error(`the IDX header claims ${dims.join('×')} = ${size} values, the file holds ${have}`);
  return { dims, data: b.subarray(4 + 4 * n) };
}

/** An IDX image array as RGB (grey values copied to the three channels), N·H·W·3. */
export function idxImagesRgb(a: IdxArray): { count: number; height: number; width: number; rgb: Uint8Array } {
  const [count, height, width, channels = 1] = a.dims;
  if (a.dims.length < 3 || (channels !== 1 && channels !== 3))
    throw new Error(`an image IDX file must be N×H×W (or N×H×W×3), not ${a.dims.join('×')}`);
  if (channels === 3) return { count, height, width, rgb: a.data };
  const rgb = new Uint8Array(a.data.length * 3);
  for (let i = 0; i < a.data.length; i++) rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = a.data[i];
  return { count, height, width, rgb };
}
