// One entry point for the weight files users bring: a Python pickle of numpy arrays (the VGGFace2
// `resnet50_ft_weight.pkl`), a torch.save zip archive (`.pth`/`.pt`, PyTorch ≥ 1.6) or a
// safetensors file. The format is told from the first bytes. Pure TypeScript on a Uint8Array.
import { readSafetensors, type SafeDType } from './safetensors.ts';
import { NdArray, TensorRef, unpickle } from './pickle.ts';
import { readTorchZip } from './torch-zip.ts';
import { findStateDict } from './state-dict.ts';
import {
  clip,
  clipMessage,
  decodeLimit,
  decodeLimitText,
  FileTensor,
  ITEM_SIZE,
  quote,
  WeightFileError,
  type WeightDType,
  type WeightTensor,
} from './tensor.ts';

export { findStateDict } from './state-dict.ts';
export {
  decodeTyped,
  FileTensor,
  gatherStrided,
  ITEM_SIZE,
  tensorSize,
  tensorToFloat32,
  tensorValues,
  WeightFileError,
  type WeightData,
  type WeightDType,
  type WeightTensor,
} from './tensor.ts';

export type WeightFormat = 'pickle' | 'torch-zip' | 'safetensors';

export interface WeightFile {
  format: WeightFormat;
  /** Tensors by the file's own key names, in file order. */
  tensors: Map<string, WeightTensor>;
  /** Where the tensors were found inside the file, e.g. "state_dict" (empty: at the top level). */
  path: string;
  /** A safetensors file's `__metadata__` (string values only), e.g. the lab's exports' `layout`. */
  metadata?: Record<string, string>;
}

function detectFormat(bytes: Uint8Array, fileName?: string): WeightFormat {
  if (bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04) return 'torch-zip';
  if (bytes.length >= 2 && bytes[0] === 0x80 && bytes[1] >= 2 && bytes[1] <= 5) return 'pickle';
  if (bytes.length >= 9 && bytes[8] === 0x7b) return 'safetensors';
  const ext = (fileName ?? '').toLowerCase().split('.').pop();
  if (ext === 'safetensors') return 'safetensors';
  // Protocol 0/1 pickles have no PROTO opcode: trust the extension when the first byte fits.
  if ((ext === 'pkl' || ext === 'pickle') && bytes.length && '(}]cq'.includes(String.fromCharCode(bytes[0]))) return 'pickle';
  const head = Array.from(bytes.subarray(0, 8), (b) => b.toString(16).padStart(2, '0')).join(' ');
  throw new WeightFileError(
    `unrecognised weight file: not a torch.save zip, a pickle or a safetensors file (${bytes.length ? `first bytes ${head}` : 'empty file'})`,
  );
}

export function readWeightFile(bytes: Uint8Array, fileName?: string): WeightFile {
  const format = detectFormat(bytes, fileName);
  try {
    if (format === 'safetensors') {
      const { tensors, metadata } = readSafetensors(bytes);
      const out = new Map<string, WeightTensor>();
      for (const [name, t] of tensors) out.set(name, new FileTensor(SAFE_DTYPES.get(t.dtype)!, t.shape, t.bytes, true));
      checkDecodedTotal(out, bytes.length);
      return { format, tensors: out, path: '', metadata };
    }
    if (format === 'torch-zip') {
      const { tensors, path } = readTorchZip(bytes);
      return { format, tensors, path };
    }
    const read = readPickleWeights(bytes);
    checkDecodedTotal(read.tensors, bytes.length);
    return { format, ...read };
  } catch (e) {
    if (e instanceof WeightFileError) throw new WeightFileError(clipMessage(e.message));
    const msg = clipMessage(e instanceof Error ? e.message : String(e));
    // Refusals keep their own wording ("refused: the pickle references os.system, …").
    throw new WeightFileError(msg.startsWith('refused:') ? msg : `${format}: ${msg}`);
  }
}

const SAFE_DTYPES = new Map<SafeDType, WeightDType>([
  ['F64', 'float64'],
  ['F32', 'float32'],
  ['F16', 'float16'],
  ['BF16', 'bfloat16'],
  ['I64', 'int64'],
  ['I32', 'int32'],
  ['I16', 'int16'],
  ['I8', 'int8'],
  ['U64', 'uint64'],
  ['U32', 'uint32'],
  ['U16', 'uint16'],
  ['U8', 'uint8'],
  ['BOOL', 'bool'],
]);

/** Bytes a tensor takes once decoded (float16/bfloat16 widen to float32). */
function decodedBytes(dtype: WeightDType, count: number): number {
  return count * (dtype === 'float16' || dtype === 'bfloat16' ? 4 : ITEM_SIZE[dtype]);
}

/**
 * Refuses a file whose tensors would decode to more than a multiple of its size: tensors that
 * share bytes (one array under many keys, overlapping safetensors ranges) each decode on their own.
 */
function checkDecodedTotal(tensors: Map<string, WeightTensor>, fileBytes: number): void {
  let total = 0;
  for (const t of tensors.values())
    total += decodedBytes(
      t.dtype,
      t.shape.reduce((a, b) => a * b, 1),
    );
  if (total > decodeLimit(fileBytes))
    throw new WeightFileError(
      `the tensors would decode to ${total} bytes, more than the limit of ${decodeLimitText(fileBytes)} (tensors sharing or overlapping data?)`,
    );
}

const LEGACY_TORCH_MAGIC = 0x1950a86a20f9469cfc6cn;

function readPickleWeights(bytes: Uint8Array): { tensors: Map<string, WeightTensor>; path: string } {
  const { value } = unpickle(bytes);
  if (value === LEGACY_TORCH_MAGIC)
    throw new WeightFileError(
      'pickle: a legacy torch.save file (PyTorch < 1.6) is not supported; re-save it with a current torch.save (zip format)',
    );
  const { dict, path } = findStateDict(value);
  const tensors = new Map<string, WeightTensor>();
  for (const [k, v] of dict.map) {
    if (v instanceof NdArray) tensors.set(String(k), ndarrayTensor(clip(String(k)), v));
    else if (v instanceof TensorRef) throw new WeightFileError('pickle: a torch tensor outside a torch.save archive');
  }
  return { tensors, path };
}

function npDtype(a: NdArray): WeightDType {
  const dt = a.dtype!;
  const k = `${dt.kind}${dt.itemSize}`;
  const t = NUMPY_DTYPES.get(k);
  if (!t) throw new WeightFileError(`unsupported numpy dtype ${quote(dt.str, 20)}`);
  return t;
}

const NUMPY_DTYPES = new Map<string, WeightDType>([
  ['f2', 'float16'],
  ['f4', 'float32'],
  ['f8', 'float64'],
  ['i1', 'int8'],
  ['i2', 'int16'],
  ['i4', 'int32'],
  ['i8', 'int64'],
  ['u1', 'uint8'],
  ['u2', 'uint16'],
  ['u4', 'uint32'],
  ['u8', 'uint64'],
  ['b1', 'bool'],
]);

/** An array's tensor: checked now, decoded when first used (the bytes stay a view of the file). */
function ndarrayTensor(name: string, a: NdArray): WeightTensor {
  if (!a.dtype || !a.data) throw new WeightFileError(`array ${name}: never filled in (no BUILD)`);
  const dtype = npDtype(a);
  const count = a.shape.reduce((x, y) => x * y, 1);
  if (a.data.length !== count * ITEM_SIZE[dtype])
    throw new WeightFileError(`array ${name}: ${a.data.length} bytes for shape [${a.shape.join(', ')}] of ${dtype}`);
  return new FileTensor(dtype, a.shape, a.data, a.dtype.order !== '>', a.fortran);
}
