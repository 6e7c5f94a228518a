// safetensors: an 8-byte little-endian header length, a JSON header naming each tensor's dtype,
// shape and byte range, then the raw little-endian data. Data only: nothing in it can execute.
import { halfToFloat } from './half.ts';
import { quote } from './tensor.ts';
import { jsonBoundsExceeded } from '../engine/bounded-json.ts';

export type SafeDType = 'F32' | 'F64' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U64' | 'U32' | 'U16' | 'U8' | 'BOOL';

export interface SafeTensor {
  dtype: SafeDType;
  shape: number[];
  /** The raw bytes (a view into the file). */
  bytes: Uint8Array;
}

// A Map, not an object: a dtype named "constructor" or "__proto__" must not find anything.
const ITEM_SIZE = new Map<string, number>([
  ['F64', 8],
  ['I64', 8],
  ['U64', 8],
  ['F32', 4],
  ['I32', 4],
  ['U32', 4],
  ['F16', 2],
  ['BF16', 2],
  ['I16', 2],
  ['U16', 2],
  ['I8', 1],
  ['U8', 1],
  ['BOOL', 1],
]);
/** Headers beyond this are refused (real files have a few hundred kB at most). */
const MAX_HEADER_BYTES = 100 * 1024 * 1024;
/**
 * A ResNet-50 has 320 tensors, the largest published checkpoints a few thousand: more is not a
 * model (a million zero-size tensors cost 1.1 GB to list). Each entry is 3 JSON containers.
 */
export const MAX_SAFETENSORS_TENSORS = 100_000;
const HEADER_BOUNDS = { maxDepth: 8, maxContainers: 3 * MAX_SAFETENSORS_TENSORS + 2 };

export class SafetensorsError extends Error {}

export function readSafetensors(buffer: Uint8Array): { tensors: Map<string, SafeTensor>; metadata: Record<string, string> } {
  const fail = (msg: string): never => {
    throw new SafetensorsError(`not a valid safetensors file: ${msg}`);
  };
  if (buffer.length < 8) fail(`only ${buffer.length} bytes`);
  const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  const headerLen = Number(view.getBigUint64(0, true));
  if (headerLen > MAX_HEADER_BYTES) fail(`header length ${headerLen} is too large`);
  if (8 + headerLen > buffer.length) fail(`header length ${headerLen} runs past the end of the file (${buffer.length} bytes: truncated?)`);
  const over = jsonBoundsExceeded(buffer.subarray(8, 8 + headerLen), HEADER_BOUNDS);
  if (over) fail(`its header ${over.replace(/^it /, '')} (more than ${MAX_SAFETENSORS_TENSORS} tensors, or nested too deep)`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(buffer.subarray(8, 8 + headerLen)));
  } catch (e) {
    fail(`header is not JSON (${(e as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) fail('header is not a JSON object');
  const dataStart = 8 + headerLen;
  const dataLen = buffer.length - dataStart;
  const tensors = new Map<string, SafeTensor>();
  let metadata: Record<string, string> = {};
  for (const [name, entry] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      metadata = (entry ?? {}) as Record<string, string>;
      continue;
    }
    const e = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const dtype = e?.dtype as SafeDType;
    const itemSize = typeof dtype === 'string' ? ITEM_SIZE.get(dtype) : undefined;
    if (itemSize === undefined) fail(`tensor ${quote(name)}: unsupported dtype ${quote(String(e?.dtype), 20)}`);
    const shape = e.shape;
    if (!Array.isArray(shape) || shape.length > 32 || !shape.every((d) => Number.isSafeInteger(d) && d >= 0))
      fail(`tensor ${quote(name)}: bad shape`);
    const offsets = e.data_offsets;
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((d) => Number.isSafeInteger(d) && d >= 0))
      fail(`tensor ${quote(name)}: bad data_offsets`);
    const [begin, end] = offsets as number[];
    const count = (shape as number[]).reduce((a, b) => a * b, 1);
    if (end < begin || end > dataLen) fail(`tensor ${quote(name)}: data [${begin}, ${end}) outside the ${dataLen} data bytes (truncated?)`);
    if (end - begin !== count * itemSize!)
      fail(`tensor ${quote(name)}: ${end - begin} bytes for shape [${(shape as number[]).slice(0, 8).join(', ')}] of ${dtype}`);
    tensors.set(name, { dtype, shape: shape as number[], bytes: buffer.subarray(dataStart + begin, dataStart + end) });
  }
  return { tensors, metadata };
}

/** A tensor's values as float32 (F32/F64/F16 and integer types are converted). */
export function toFloat32(t: SafeTensor): Float32Array {
  const n = t.shape.reduce((a, b) => a * b, 1);
  const v = new DataView(t.bytes.buffer, t.bytes.byteOffset, t.bytes.byteLength);
  const out = new Float32Array(n);
  const bf = new Uint32Array(1);
  const bf32 = new Float32Array(bf.buffer);
  for (let i = 0; i < n; i++) {
    switch (t.dtype) {
      case 'F32':
        out[i] = v.getFloat32(4 * i, true);
        break;
      case 'F64':
        out[i] = v.getFloat64(8 * i, true);
        break;
      case 'F16':
        out[i] = halfToFloat(v.getUint16(2 * i, true));
        break;
      case 'BF16':
        bf[0] = v.getUint16(2 * i, true) << 16;
        out[i] = bf32[0];
        break;
      case 'U64':
        out[i] = Number(v.getBigUint64(8 * i, true));
        break;
      case 'U32':
        out[i] = v.getUint32(4 * i, true);
        break;
      case 'U16':
        out[i] = v.getUint16(2 * i, true);
        break;
      case 'I64':
        out[i] = Number(v.getBigInt64(8 * i, true));
        break;
      case 'I32':
        out[i] = v.getInt32(4 * i, true);
        break;
      case 'I16':
        out[i] = v.getInt16(2 * i, true);
        break;
      case 'I8':
        out[i] = v.getInt8(i);
        break;
      case 'U8':
      case 'BOOL':
        out[i] = v.getUint8(i);
        break;
    }
  }
  return out;
}

/**
 * F32 tensors (in insertion order) as the parts of a safetensors file, not joined: the 8-byte
 * header length and the header, then each tensor's own array (a Blob can be made of them without
 * one big copy). The header is padded so the data start 8-aligned: a reader can view the floats
 * in place.
 */
export function safetensorsParts(
  tensors: Map<string, { shape: number[]; data: Float32Array }>,
  metadata: Record<string, string> = {},
): { head: Uint8Array; arrays: Float32Array[]; byteLength: number } {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) header.__metadata__ = metadata;
  let offset = 0;
  for (const [name, t] of tensors) {
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.data.length) throw new Error(`writeSafetensors: ${name} has ${t.data.length} values for shape [${t.shape.join(', ')}]`);
    header[name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + 4 * count] };
    offset += 4 * count;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((8 + json.length) % 8)) % 8);
  const headerBytes = new TextEncoder().encode(json);
  const head = new Uint8Array(8 + headerBytes.length);
  new DataView(head.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  head.set(headerBytes, 8);
  return { head, arrays: [...tensors.values()].map((t) => t.data), byteLength: head.length + offset };
}

/** Writes F32 tensors (in insertion order) as a safetensors file. */
export function writeSafetensors(
  tensors: Map<string, { shape: number[]; data: Float32Array }>,
  metadata: Record<string, string> = {},
): Uint8Array {
  const { head, arrays, byteLength } = safetensorsParts(tensors, metadata);
  const out = new Uint8Array(byteLength);
  out.set(head, 0);
  let pos = head.length;
  for (const a of arrays) {
    // Float32Array memory is little-endian on every platform tfjs runs on.
    out.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), pos);
    pos += a.byteLength;
  }
  return out;
}
