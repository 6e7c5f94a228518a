// One entry point for the weight files users bring: a Python pickle of numpy arrays (the VGGFace2
// `resnet50_ft_weight.pkl`), a torch.save zip archive (`.pth`/`.pt`, PyTorch ≥ 1.6) or a
// safetensors file. The format is told from the first bytes. Pure TypeScript on a Uint8Array.
import { readSafetensors, type SafeDType } from './safetensors.ts';
import { NdArray, PyDict, PyTuple, TensorRef, unpickle, type PyValue } from './pickle.ts';
import { halfToFloat } from './half.ts';
import { readTorchZip } from './torch-zip.ts';

export type WeightFormat = 'pickle' | 'torch-zip' | 'safetensors';
export type WeightDType = 'float32' | 'float64' | 'float16' | 'bfloat16' | 'int64' | 'int32' | 'int16' | 'int8' | 'uint64' | 'uint32' | 'uint16' | 'uint8' | 'bool';
export type WeightData = Float32Array | Float64Array | BigInt64Array | BigUint64Array | Int32Array | Uint32Array | Int16Array | Uint16Array | Int8Array | Uint8Array;

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

export interface WeightFile {
  format: WeightFormat;
  /** Tensors by the file's own key names, in file order. */
  tensors: Map<string, WeightTensor>;
  /** Where the tensors were found inside the file, e.g. "state_dict" (empty: at the top level). */
  path: string;
}

export class WeightFileError extends Error {}

export const ITEM_SIZE: Record<WeightDType, number> = {
  float64: 8, int64: 8, uint64: 8, float32: 4, int32: 4, uint32: 4, float16: 2, bfloat16: 2, int16: 2, uint16: 2, int8: 1, uint8: 1, bool: 1,
};

export function detectFormat(bytes: Uint8Array, fileName?: string): WeightFormat {
  if (bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04) return 'torch-zip';
  if (bytes.length >= 2 && bytes[0] === 0x80 && bytes[1] >= 2 && bytes[1] <= 5) return 'pickle';
  if (bytes.length >= 9 && bytes[8] === 0x7b) return 'safetensors';
  const ext = (fileName ?? '').toLowerCase().split('.').pop();
  if (ext === 'safetensors') return 'safetensors';
  // Protocol 0/1 pickles have no PROTO opcode: trust the extension when the first byte fits.
  if ((ext === 'pkl' || ext === 'pickle') && bytes.length && '(}]cq'.includes(String.fromCharCode(bytes[0]))) return 'pickle';
  const head = Array.from(bytes.subarray(0, 8), (b) => b.toString(16).padStart(2, '0')).join(' ');
  throw new WeightFileError(`unrecognised weight file: not a torch.save zip, a pickle or a safetensors file (${bytes.length ? `first bytes ${head}` : 'empty file'})`);
}

export function readWeightFile(bytes: Uint8Array, fileName?: string): WeightFile {
  const format = detectFormat(bytes, fileName);
  try {
    if (format === 'safetensors') {
      const { tensors } = readSafetensors(bytes);
      const out = new Map<string, WeightTensor>();
      for (const [name, t] of tensors) out.set(name, new FileTensor(SAFE_DTYPES[t.dtype], t.shape, t.bytes, true));
      return { format, tensors: out, path: '' };
    }
    if (format === 'torch-zip') {
      const { tensors, path } = readTorchZip(bytes);
      return { format, tensors, path };
    }
    return { format, ...readPickleWeights(bytes) };
  } catch (e) {
    if (e instanceof WeightFileError) throw e;
    const msg = e instanceof Error ? e.message : String(e);
    // Refusals keep their own wording ("refused: the pickle references os.system, …").
    throw new WeightFileError(msg.startsWith('refused:') ? msg : `${format}: ${msg}`);
  }
}

const SAFE_DTYPES: Record<SafeDType, WeightDType> = { F64: 'float64', F32: 'float32', F16: 'float16', I64: 'int64', I32: 'int32', I16: 'int16', I8: 'int8', U8: 'uint8', BOOL: 'bool' };

const LEGACY_TORCH_MAGIC = 0x1950a86a20f9469cfc6cn;

function readPickleWeights(bytes: Uint8Array): { tensors: Map<string, WeightTensor>; path: string } {
  const { value } = unpickle(bytes);
  if (value === LEGACY_TORCH_MAGIC) throw new WeightFileError('pickle: a legacy torch.save file (PyTorch < 1.6) is not supported; re-save it with a current torch.save (zip format)');
  const { dict, path } = findStateDict(value);
  const tensors = new Map<string, WeightTensor>();
  for (const [k, v] of dict.map) {
    if (v instanceof NdArray) tensors.set(String(k), ndarrayTensor(String(k), v));
    else if (v instanceof TensorRef) throw new WeightFileError('pickle: a torch tensor outside a torch.save archive');
  }
  return { tensors, path };
}

const WRAPPER_KEYS = ['state_dict', 'model_state_dict', 'model', 'net', 'network', 'weights', 'params'];

/** The dict that holds the tensors: the top level, or a `state_dict`-like entry of it. */
export function findStateDict(value: PyValue): { dict: PyDict; path: string } {
  if (!(value instanceof PyDict)) throw new WeightFileError(`the file holds ${value instanceof PyTuple || Array.isArray(value) ? 'a sequence' : 'a non-dict value'}, not a dict of tensors`);
  const isTensor = (v: PyValue) => v instanceof NdArray || v instanceof TensorRef;
  let best: { dict: PyDict; path: string } = { dict: value, path: '' };
  if (![...value.map.values()].some(isTensor)) {
    for (const k of WRAPPER_KEYS) {
      const inner = value.map.get(k);
      if (inner instanceof PyDict && [...inner.map.values()].some(isTensor)) return { dict: inner, path: k };
    }
    for (const [k, inner] of value.map) if (inner instanceof PyDict && [...inner.map.values()].some(isTensor)) {
      best = { dict: inner, path: String(k) };
      break;
    }
  }
  if (![...best.dict.map.values()].some(isTensor)) throw new WeightFileError(`no tensors found (top-level keys: ${[...value.map.keys()].slice(0, 8).map(String).join(', ') || 'none'})`);
  return best;
}

function npDtype(a: NdArray): WeightDType {
  const dt = a.dtype!;
  const k = `${dt.kind}${dt.itemSize}`;
  const m: Record<string, WeightDType> = { f2: 'float16', f4: 'float32', f8: 'float64', i1: 'int8', i2: 'int16', i4: 'int32', i8: 'int64', u1: 'uint8', u2: 'uint16', u4: 'uint32', u8: 'uint64', b1: 'bool' };
  if (!m[k]) throw new WeightFileError(`unsupported numpy dtype ${dt.str}`);
  return m[k];
}

/** An array's tensor: checked now, decoded when first used (the bytes stay a view of the file). */
function ndarrayTensor(name: string, a: NdArray): WeightTensor {
  if (!a.dtype || !a.data) throw new WeightFileError(`array ${name}: never filled in (no BUILD)`);
  const dtype = npDtype(a);
  const count = a.shape.reduce((x, y) => x * y, 1);
  if (a.data.length !== count * ITEM_SIZE[dtype]) throw new WeightFileError(`array ${name}: ${a.data.length} bytes for shape [${a.shape.join(', ')}] of ${dtype}`);
  return new FileTensor(dtype, a.shape, a.data, a.dtype.order !== '>', a.fortran);
}

/**
 * Decodes raw bytes to a typed array (f16/bf16 widened to float32). With `alias`, the result may
 * share the bytes' memory: a view when no conversion or byte swap is needed and the bytes sit at
 * a multiple of the item size (else, and without `alias`, a fresh copy).
 */
export function decodeTyped(bytes: Uint8Array, dtype: WeightDType, littleEndian: boolean, alias = false, scratch?: ArrayBuffer): WeightData {
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
    case 'float32': return new Float32Array(buffer, at, n);
    case 'float64': return new Float64Array(buffer, at, n);
    case 'int64': return new BigInt64Array(buffer, at, n);
    case 'uint64': return new BigUint64Array(buffer, at, n);
    case 'int32': return new Int32Array(buffer, at, n);
    case 'uint32': return new Uint32Array(buffer, at, n);
    case 'int16': return new Int16Array(buffer, at, n);
    case 'uint16': return new Uint16Array(buffer, at, n);
    case 'int8': return new Int8Array(buffer, at, n);
    default: return own;
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
  if (last >= src.length) throw new WeightFileError(`a view [${shape.join(', ')}] with strides [${stride.join(', ')}] at offset ${offset} runs past its storage of ${src.length} elements`);
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
