// A zip archive's central directory, walked once (zip64 included), and one entry's bytes: a view
// of the file for a stored entry, or inflated in small steps into a buffer of its declared size,
// stopped the moment it would grow past it. Reading an entry never walks the directory again, so
// an archive of many entries costs time linear in its size.
import { Inflate, inflateSync } from 'fflate';
import { quote, WeightFileError } from './tensor.ts';

interface ZipEntry {
  name: string;
  /** 0: stored, 8: deflated. */
  method: number;
  /** Bytes in the file. */
  size: number;
  /** Bytes once inflated (as the directory declares them). */
  originalSize: number;
  /** Where the entry's data starts in the file. */
  start: number;
}

/** The smallest central directory record: a bound on the number of entries a file can hold. */
const CENTRAL_RECORD_BYTES = 46;
/** Compressed bytes handed to the inflater at a time (deflate expands at most ~1032×). */
const INFLATE_STEP = 16 * 1024;

const corrupt = (why: string) => new WeightFileError(`torch-zip: not a readable zip archive (${why}; truncated?)`);

/** Every entry by name; refuses a malformed directory and a name given to two entries. */
export function readZipDirectory(bytes: Uint8Array): Map<string, ZipEntry> {
  const n = bytes.length;
  const u16 = (at: number) => (at >= 0 && at + 2 <= n ? bytes[at] | (bytes[at + 1] << 8) : NaN);
  const u32 = (at: number) =>
    at >= 0 && at + 4 <= n ? (bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16) | (bytes[at + 3] << 24)) >>> 0 : NaN;
  const u64 = (at: number) => u32(at) + u32(at + 4) * 2 ** 32;
  let e = n - 22;
  while (e >= 0 && u32(e) !== 0x06054b50) {
    if (n - e > 65558) throw corrupt('no end of central directory record');
    e--;
  }
  if (e < 0) throw corrupt('no end of central directory record');
  let count = u16(e + 8);
  let o = u32(e + 16);
  if (u32(e - 20) === 0x07064b50) {
    const ze = u64(e - 12);
    if (u32(ze) !== 0x06064b50) throw corrupt('a zip64 locator that points at no zip64 record');
    count = u64(ze + 32);
    o = u64(ze + 48);
  }
  if (!(count <= n / CENTRAL_RECORD_BYTES)) throw corrupt(`${count} entries claimed in ${n} bytes`);
  const out = new Map<string, ZipEntry>();
  const decoder = new TextDecoder();
  for (let i = 0; i < count; i++) {
    if (u32(o) !== 0x02014b50) throw corrupt(`central directory record ${i} is missing`);
    const method = u16(o + 10);
    const nameLen = u16(o + 28);
    const extraLen = u16(o + 30);
    const commentLen = u16(o + 32);
    if (Number.isNaN(nameLen + extraLen + commentLen) || o + 46 + nameLen + extraLen > n)
      throw corrupt(`central directory record ${i} runs past the end`);
    const name = decoder.decode(bytes.subarray(o + 46, o + 46 + nameLen));
    let size = u32(o + 20);
    let originalSize = u32(o + 24);
    let local = u32(o + 42);
    if (size === 0xffffffff || originalSize === 0xffffffff || local === 0xffffffff) {
      // The zip64 extra field: the original size, then the compressed size, then the offset, each only if its 32-bit field is saturated.
      const end = o + 46 + nameLen + extraLen;
      for (let b = o + 46 + nameLen; b + 4 <= end; b += 4 + u16(b + 2)) {
        if (u16(b) !== 1) continue;
        let at = b + 4;
        if (originalSize === 0xffffffff) (originalSize = u64(at)), (at += 8);
        if (size === 0xffffffff) (size = u64(at)), (at += 8);
        if (local === 0xffffffff) local = u64(at);
        break;
      }
    }
    o += 46 + nameLen + extraLen + commentLen;
    // Which of two same-named entries counts differs between zip readers (Python's zipfile takes
    // the last, PyTorch's miniz a binary search): such an archive means different weights to each.
    if (out.has(name))
      throw new WeightFileError(
        `torch-zip: the archive has two entries named ${quote(name)} (zip readers disagree about which one counts): refused`,
      );
    if (u32(local) !== 0x04034b50) throw corrupt(`the local header of ${quote(name)} is missing`);
    const start = local + 30 + u16(local + 26) + u16(local + 28);
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(size) || !Number.isSafeInteger(originalSize) || start + size > n)
      throw corrupt(`${quote(name)} runs past the end of the file`);
    out.set(name, { name, method, size, originalSize, start });
  }
  return out;
}

/**
 * An entry's bytes: a view of the file when stored, else inflated into exactly its declared size.
 * `limit`: the most bytes the caller accepts (checked before anything is inflated).
 */
export function entryBytes(bytes: Uint8Array, entry: ZipEntry, limit: number): Uint8Array {
  const what = quote(entry.name);
  if (entry.method === 0) {
    if (entry.size !== entry.originalSize) throw corrupt(`the stored entry ${what} declares ${entry.size} and ${entry.originalSize} bytes`);
    return bytes.subarray(entry.start, entry.start + entry.size);
  }
  if (entry.method !== 8) throw new WeightFileError(`torch-zip: ${what} uses zip compression method ${entry.method}`);
  if (entry.originalSize > limit)
    throw new WeightFileError(`torch-zip: ${what} would inflate to ${entry.originalSize} bytes, more than the ${limit} it may take`);
  const src = bytes.subarray(entry.start, entry.start + entry.size);
  if (src.length <= INFLATE_STEP) return inflateSmall(src, entry, what);
  const out = new Uint8Array(entry.originalSize);
  let filled = 0;
  const inflater = new Inflate((chunk) => {
    if (filled + chunk.length > out.length)
      throw new WeightFileError(`torch-zip: ${what} inflates past its declared ${entry.originalSize} bytes`);
    out.set(chunk, filled);
    filled += chunk.length;
  });
  try {
    for (let at = 0; at < src.length || at === 0; at += INFLATE_STEP) {
      const end = Math.min(src.length, at + INFLATE_STEP);
      inflater.push(src.subarray(at, end), end === src.length);
      if (end === src.length) break;
    }
  } catch (e) {
    if (e instanceof WeightFileError) throw e;
    throw corrupt(`${what}: ${(e as Error).message}`);
  }
  if (filled !== out.length) throw corrupt(`${what} inflates to ${filled} bytes, not its declared ${entry.originalSize}`);
  return out;
}

/**
 * A small entry in one call (a streaming inflater per entry costs more than the entry): into a
 * buffer one byte larger than declared, so that growing past the declared size shows; at most
 * INFLATE_STEP × 1032 bytes of work however it lies.
 */
function inflateSmall(src: Uint8Array, entry: ZipEntry, what: string): Uint8Array {
  let out: Uint8Array;
  try {
    out = inflateSync(src, { out: new Uint8Array(entry.originalSize + 1) });
  } catch (e) {
    throw corrupt(`${what}: ${(e as Error).message}`);
  }
  if (out.length > entry.originalSize)
    throw new WeightFileError(`torch-zip: ${what} inflates past its declared ${entry.originalSize} bytes`);
  if (out.length !== entry.originalSize) throw corrupt(`${what} inflates to ${out.length} bytes, not its declared ${entry.originalSize}`);
  return out;
}
