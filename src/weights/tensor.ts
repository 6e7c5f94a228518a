// What every weight reader hands back and the helpers they share: the tensor types, lazily
// decoded file tensors, byte decoding and strided views, the reader's error, the bounds that keep
// a hostile file's cost proportional to its size, and how a name from a file is quoted in an
// error. A leaf module: the readers (pickle, torch-zip, safetensors) and their dispatcher
// (read.ts) import it, never the other way round.
import { halfToFloat } from './half.ts';

export type WeightDType =
  | 'float32'
  | 'float64'
  | 'float16'
  | 'bfloat16'
  | 'int64'
  | 'int32'
  | 'int16'
  | 'int8'
  | 'uint64'
  | 'uint32'
  | 'uint16'
  | 'uint8'
  | 'bool';
export type WeightData =
  | Float32Array
  | Float64Array
  | BigInt64Array
  | BigUint64Array
  | Int32Array
  | Uint32Array
  | Int16Array
  | Uint16Array
  | Int8Array
  | Uint8Array;

export interface WeightTensor {
  /** The dtype in the file. float16/bfloat16 values are given as a Float32Array, bool as Uint8Array. */
  dtype: WeightDType;
  /** Row-major (C order) shape; `data` is contiguous in that order. */
  shape: number[];
  /**
   * The values. Read from a file, they may be a view of the file's bytes (aligned little-endian
   * data is not copied) and may be decoded only when first asked for (see FileTensor): the bytes
   * handed to readWeightFile must not be changed while its tensors are in use.
   */
  data: WeightData;
}

/**
 * A tensor read from a file, decoded on first use: until then it holds only its layout and a view
 * of the file's bytes, so that parsing a file copies nothing and a tensor nobody reads (a head
 * that is dropped) never exists as values. `data` decodes once and keeps the result (a view of
 * the file where the bytes are aligned little-endian and C order, else a copy); `values()`
 * decodes without keeping a copy on the tensor.
 */
export class FileTensor implements WeightTensor {
  private kept: WeightData | null = null;
  constructor(
    readonly dtype: WeightDType,
    readonly shape: number[],
    /** The raw bytes (a view of the file), already checked to hold exactly the shape's values. */
    private readonly raw: Uint8Array,
    private readonly littleEndian: boolean,
    /** Fortran (column-major) order in the file. */
    private readonly fortran = false,
  ) {}

  get data(): WeightData {
    return (this.kept ??= this.values());
  }

  /** Whether `data` was asked for (and its values are now kept on the tensor). */
  get decoded(): boolean {
    return this.kept !== null;
  }

  /** Number of values (without decoding). */
  get size(): number {
    return this.shape.reduce((a, b) => a * b, 1);
  }

  /**
   * The values; unless `data` already holds them, decoded afresh and not kept. `scratch`: where a
   * copy is needed, it is made in this buffer (when large enough) instead of a new one, so the
   * result is valid only until the scratch is used again.
   */
  values(scratch?: ArrayBuffer): WeightData {
    if (this.kept) return this.kept;
    const flat = decodeTyped(this.raw, this.dtype, this.littleEndian, true, scratch);
    if (!this.fortran || this.shape.length < 2) return flat;
    // Fortran order: element (i0, i1, …) sits at i0 + s0·(i1 + s1·(…)).
    const stride: number[] = [];
    let s = 1;
    for (const d of this.shape) {
      stride.push(s);
      s *= d;
    }
    return gatherStrided(flat, 0, this.shape, stride);
  }
}

export class WeightFileError extends Error {}

/**
 * How much a file may decode to, all its tensors together: a multiple of its size (float16 widens
 * to float32, and torch.save stores its storages uncompressed, so an honest file stays within
 * 2×; the margin covers deflated archives of real weights), plus a floor for tiny files.
 */
const DECODE_FACTOR = 8;
const DECODE_FLOOR_BYTES = 16 * 1024 * 1024;

export function decodeLimit(fileBytes: number): number {
  return DECODE_FACTOR * fileBytes + DECODE_FLOOR_BYTES;
}

export function decodeLimitText(fileBytes: number): string {
  return `${DECODE_FACTOR}× the file's ${fileBytes} bytes + ${DECODE_FLOOR_BYTES / 2 ** 20} MiB`;
}

/**
 * The largest weight file read (the VGGFace2 ResNet-50 pickle is 160 MB; a 2 GiB file does not
 * fit a browser tab's memory beside its decoded values anyway).
 */
const MAX_WEIGHT_FILE_BYTES = 2 * 1024 ** 3;

/** Why a weight file of this size is not read, or null when it may be. */
export function weightFileSizeRefusal(size: number): string | null {
  return size > MAX_WEIGHT_FILE_BYTES
    ? `${size} bytes, more than the ${MAX_WEIGHT_FILE_BYTES / 1024 ** 3} GiB a weight file may have`
    : null;
}

/** The most of a name or text from a file that an error quotes. */
export const QUOTE_CHARS = 80;

/**
 * A name or text from a file as an error quotes it: JSON-escaped (no control characters, so the
 * message stays one line) and cut to `max` characters.
 */
export function quote(text: string, max = QUOTE_CHARS): string {
  const cut = text.length > max ? text.slice(0, max) : text;
  const q = JSON.stringify(cut);
  return text.length > max ? `${q.slice(0, -1)}…" (${text.length} characters)` : q;
}

/** Like quote, without the quotation marks (for names in running text: "tensor layer1.0.bn1.weight"). */
export function clip(text: string, max = QUOTE_CHARS): string {
  const cut = text.length > max ? text.slice(0, max) : text;
  const plain = cut.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return text.length > max ? `${plain}… (${text.length} characters)` : plain;
}

/** An error message cut to ~200 characters of quoted content: a file never makes a long error. */
export function clipMessage(msg: string, max = 300): string {
  const line = msg.replace(/[\u0000-\u001f\u007f]/g, ' ');
  return line.length > max ? `${line.slice(0, max)}… (message cut at ${max} characters)` : line;
}

export const ITEM_SIZE: Record<WeightDType, number> = {
  float64: 8,
  int64: 8,
  uint64: 8,
  float32: 4,
  int32: 4,
  uint32: 4,
  float16: 2,
  bfloat16: 2,
  int16: 2,
  uint16: 2,
  int8: 1,
  uint8: 1,
  bool: 1,
};

/**
 * Decodes raw bytes to a typed array (f16/bf16 widened to float32). With `alias`, the result may
 * share the bytes' memory: a view when no conversion or byte swap is needed and the bytes sit at
 * a multiple of the item size (else, and without `alias`, a fresh copy).
 */
export function decodeTyped(
  bytes: Uint8Array,
  dtype: WeightDType,
  littleEndian: boolean,
  alias = false,
  scratch?: ArrayBuffer,
): WeightData {
  const size = ITEM_SIZE[dtype];
  if (bytes.length % size) throw new WeightFileError(`${bytes.length} bytes is not a whole number of ${dtype} values`);
  const n = bytes.length / size;
  if (dtype === 'float16' || dtype === 'bfloat16') {
    const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const out = new Float32Array(n);
    if (dtype === 'float16') for (let i = 0; i < n; i++) out[i] = halfToFloat(v.getUint16(2 * i, littleEndian));
    else {
      const u = new Uint32Array(out.buffer);
      for (let i = 0; i < n; i++) u[i] = v.getUint16(2 * i, littleEndian) << 16;
    }
    return out;
  }
  const swap = !littleEndian && size > 1;
  // A view of the bytes themselves where allowed and aligned, else an aligned copy of our own.
  const view = alias && !swap && bytes.byteOffset % size === 0;
  let own: Uint8Array;
  if (view) own = bytes;
  else if (scratch && scratch.byteLength >= bytes.length) (own = new Uint8Array(scratch, 0, bytes.length)).set(bytes);
  else own = bytes.slice();
  if (swap) {
    for (let i = 0; i < own.length; i += size) own.subarray(i, i + size).reverse();
  }
  const { buffer, byteOffset: at } = own;
  switch (dtype) {
    case 'float32':
      return new Float32Array(buffer, at, n);
    case 'float64':
      return new Float64Array(buffer, at, n);
    case 'int64':
      return new BigInt64Array(buffer, at, n);
    case 'uint64':
      return new BigUint64Array(buffer, at, n);
    case 'int32':
      return new Int32Array(buffer, at, n);
    case 'uint32':
      return new Uint32Array(buffer, at, n);
    case 'int16':
      return new Int16Array(buffer, at, n);
    case 'uint16':
      return new Uint16Array(buffer, at, n);
    case 'int8':
      return new Int8Array(buffer, at, n);
    default:
      return own;
  }
}

/** A contiguous (C order) copy of a strided view; offset and strides in elements, bounds checked. */
export function gatherStrided<T extends WeightData>(src: T, offset: number, shape: number[], stride: number[]): T {
  const count = shape.reduce((a, b) => a * b, 1);
  const Ctor = src.constructor as new (n: number) => T;
  if (shape.length !== stride.length) throw new WeightFileError(`a view has ${shape.length} sizes but ${stride.length} strides`);
  if (count === 0) return new Ctor(0);
  if (offset < 0 || stride.some((s) => s < 0 || !Number.isInteger(s))) throw new WeightFileError('a view with a negative offset or stride');
  const last = offset + shape.reduce((a, d, i) => a + (d - 1) * stride[i], 0);
  if (last >= src.length)
    throw new WeightFileError(
      `a view [${shape.join(', ')}] with strides [${stride.join(', ')}] at offset ${offset} runs past its storage of ${src.length} elements`,
    );
  // Overlapping views (stride 0, expand) could turn a few stored values into any number of decoded
  // ones; a saved weight never overlaps itself, so more values than the storage holds is refused.
  if (count > src.length - offset)
    throw new WeightFileError(
      `a view [${shape.join(', ')}] with strides [${stride.join(', ')}] has ${count} values, more than the ${src.length - offset} its storage holds from offset ${offset} (overlapping strides)`,
    );
  // C-contiguous: one slice.
  let expect = 1;
  let contiguous = true;
  for (let i = shape.length - 1; i >= 0; i--) {
    if (shape[i] !== 1 && stride[i] !== expect) contiguous = false;
    expect *= shape[i];
  }
  if (contiguous) return (offset === 0 && count === src.length ? src : src.slice(offset, offset + count)) as T;
  const out = new Ctor(count);
  const r = shape.length;
  const idx = new Array<number>(r).fill(0);
  let p = offset;
  for (let k = 0; k < count; k++) {
    (out as unknown as number[])[k] = (src as unknown as number[])[p];
    for (let d = r - 1; d >= 0; d--) {
      idx[d]++;
      p += stride[d];
      if (idx[d] < shape[d]) break;
      p -= stride[d] * shape[d];
      idx[d] = 0;
    }
  }
  return out;
}

/** A tensor's values without keeping a decoded copy on it (a FileTensor decodes afresh; see FileTensor.values for `scratch`). */
export function tensorValues(t: WeightTensor, scratch?: ArrayBuffer): WeightData {
  return t instanceof FileTensor ? t.values(scratch) : t.data;
}

/** Number of values of a tensor, without decoding it. */
export function tensorSize(t: WeightTensor): number {
  return t instanceof FileTensor ? t.size : t.data.length;
}

/**
 * Any tensor's values as float32 (for the model: conv weights, BatchNorm vectors, the head). Not
 * kept on the tensor; may be a view of the file's bytes (or the tensor's own array).
 */
export function tensorToFloat32(t: WeightTensor, scratch?: ArrayBuffer): Float32Array {
  const data = tensorValues(t, scratch);
  if (data instanceof Float32Array) return data;
  const out = new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = Number(data[i]);
  return out;
}
