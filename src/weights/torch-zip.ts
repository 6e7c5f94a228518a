// torch.save archives (PyTorch ≥ 1.6): a zip with `<name>/data.pkl` (the pickled object, whose
// tensors name their storages by persistent id), `<name>/data/<key>` (raw storage bytes) and
// `<name>/byteorder`. Storages stored uncompressed (what torch.save writes, aligned to 64 bytes)
// are not copied: their tensors are views of the file's bytes. Any other entry is read with
// fflate, one storage at a time, so that at most the file, the tensors and one storage are in
// memory together.
import { unzipSync, type UnzipFileInfo } from 'fflate';
import { GlobalRef, PyTuple, StorageRef, TensorRef, TORCH_STORAGES, describe, textOf, unpickle, type PyValue } from './pickle.ts';
import { decodeTyped, findStateDict, gatherStrided, ITEM_SIZE, WeightFileError, type WeightDType, type WeightData, type WeightTensor } from './read.ts';

/** The largest entry inflated (a deflated entry claiming more is corrupt or hostile). */
const MAX_ENTRY_BYTES = 2 ** 31 - 1;

/** Unzips the entries `want` picks; bounds the directory walk and every inflated size. */
function unzipSome(bytes: Uint8Array, want: (name: string) => boolean): Record<string, Uint8Array> {
  let entries = 0;
  const maxEntries = Math.floor(bytes.length / 46) + 1; // a central directory record is ≥ 46 bytes
  const filter = (f: UnzipFileInfo) => {
    if (++entries > maxEntries) throw new WeightFileError('torch-zip: a corrupt zip (more entries than the file can hold)');
    if (!want(f.name)) return false;
    if (f.compression !== 0 && f.compression !== 8) throw new WeightFileError(`torch-zip: ${f.name} uses zip compression method ${f.compression}`);
    if (f.size > bytes.length) throw new WeightFileError(`torch-zip: ${f.name} claims ${f.size} bytes in a file of ${bytes.length} (truncated?)`);
    if (f.compression === 8 && (f.originalSize > MAX_ENTRY_BYTES || f.originalSize > 1032 * f.size + 1024)) throw new WeightFileError(`torch-zip: ${f.name} claims an inflated size of ${f.originalSize} bytes`);
    return true;
  };
  try {
    return unzipSync(bytes, { filter });
  } catch (e) {
    if (e instanceof WeightFileError) throw e;
    throw new WeightFileError(`torch-zip: not a readable zip archive (${(e as Error).message}; truncated?)`);
  }
}

/**
 * Where the data of each uncompressed (stored) entry lies in the file, from the zip's central
 * directory (zip64 included), walked as fflate walks it. Best effort: anything unexpected gives an
 * empty or partial map and those entries are read through fflate instead (whose errors then apply).
 */
export function storedEntries(bytes: Uint8Array): Map<string, { start: number; end: number }> {
  const out = new Map<string, { start: number; end: number }>();
  const n = bytes.length;
  const u16 = (at: number) => (at >= 0 && at + 2 <= n ? bytes[at] | (bytes[at + 1] << 8) : NaN);
  const u32 = (at: number) => (at >= 0 && at + 4 <= n ? (bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16) | (bytes[at + 3] << 24)) >>> 0 : NaN);
  const u64 = (at: number) => u32(at) + u32(at + 4) * 2 ** 32;
  let e = n - 22;
  while (e >= 0 && u32(e) !== 0x06054b50) {
    if (n - e > 65558) return out;
    e--;
  }
  if (e < 0) return out;
  let count = u16(e + 8);
  let o = u32(e + 16);
  let zip64 = u32(e - 20) === 0x07064b50;
  if (zip64) {
    const ze = u32(e - 12);
    zip64 = u32(ze) === 0x06064b50;
    if (zip64) {
      count = u64(ze + 32);
      o = u64(ze + 48);
    }
  }
  if (!(count <= n / 46)) return out;
  for (let i = 0; i < count; i++) {
    if (u32(o) !== 0x02014b50) return out;
    const method = u16(o + 10);
    const nameLen = u16(o + 28);
    const extraLen = u16(o + 30);
    const commentLen = u16(o + 32);
    if (Number.isNaN(nameLen + extraLen + commentLen) || o + 46 + nameLen > n) return out;
    const name = new TextDecoder().decode(bytes.subarray(o + 46, o + 46 + nameLen));
    let size = u32(o + 20);
    let originalSize = u32(o + 24);
    let local = u32(o + 42);
    if (zip64 && (size === 0xffffffff || originalSize === 0xffffffff || local === 0xffffffff)) {
      // The zip64 extra field: the original size, then the compressed size, then the offset, each only if its 32-bit field is saturated.
      const end = o + 46 + nameLen + extraLen;
      for (let b = o + 46 + nameLen; b + 4 < end; b += 4 + u16(b + 2)) {
        if (u16(b) !== 1) continue;
        let at = b + 4;
        if (originalSize === 0xffffffff) (originalSize = u64(at)), (at += 8);
        if (size === 0xffffffff) (size = u64(at)), (at += 8);
        if (local === 0xffffffff) local = u64(at);
        break;
      }
    }
    o += 46 + nameLen + extraLen + commentLen;
    if (method !== 0 || size !== originalSize || u32(local) !== 0x04034b50) continue;
    const start = local + 30 + u16(local + 26) + u16(local + 28);
    if (Number.isSafeInteger(start) && Number.isSafeInteger(size) && start + size <= n) out.set(name, { start, end: start + size });
  }
  return out;
}

export function readTorchZip(bytes: Uint8Array): { tensors: Map<string, WeightTensor>; path: string } {
  const meta = unzipSome(bytes, (n) => /^[^/]*\/?(data\.pkl|byteorder)$/.test(n));
  const pkls = Object.keys(meta).filter((n) => n.endsWith('data.pkl')).sort((a, b) => a.length - b.length);
  if (!pkls.length) throw new WeightFileError('torch-zip: the zip has no data.pkl: not a torch.save archive');
  const pklName = pkls[0];
  const prefix = pklName.slice(0, pklName.length - 'data.pkl'.length);
  const orderBytes = meta[prefix + 'byteorder'];
  const order = orderBytes ? new TextDecoder().decode(orderBytes).trim() : 'little';
  if (order !== 'little' && order !== 'big') throw new WeightFileError(`torch-zip: unknown byteorder record ${JSON.stringify(order.slice(0, 20))}`);

  const storages = new Map<string, StorageRef>();
  const persistentLoad = (pid: PyValue): PyValue => {
    const t = pid instanceof PyTuple ? pid.items : null;
    if (!t || t.length < 5 || textOf(t[0], 'persistent id') !== 'storage') throw new WeightFileError(`torch-zip: an unknown persistent id (${describe(pid)})`);
    const type = t[1];
    if (!(type instanceof GlobalRef) || type.module !== 'torch' || !(type.name in TORCH_STORAGES)) throw new WeightFileError(`torch-zip: an unknown storage type ${describe(type)}`);
    const key = textOf(t[2], 'storage key');
    const location = textOf(t[3], 'storage location');
    const numel = typeof t[4] === 'number' ? t[4] : Number(t[4]);
    const prev = storages.get(key);
    if (prev) {
      if (prev.storageType !== type.name) throw new WeightFileError(`torch-zip: storage ${key} is used as both ${prev.storageType} and ${type.name}`);
      return prev;
    }
    const s = new StorageRef(type.name, key, location, numel);
    storages.set(key, s);
    return s;
  };
  const { value } = unpickle(meta[pklName], { persistentLoad });
  const { dict, path } = findStateDict(value);

  // Tensors grouped by storage: a stored storage is a view of the file; any other is unzipped once,
  // its views copied out, then dropped.
  const byStorage = new Map<string, { name: string; ref: TensorRef }[]>();
  for (const [k, v] of dict.map) {
    if (!(v instanceof TensorRef)) continue;
    const list = byStorage.get(v.storage.key) ?? [];
    list.push({ name: String(k), ref: v });
    byStorage.set(v.storage.key, list);
  }
  const done = new Map<string, WeightTensor>();
  const stored = byStorage.size ? storedEntries(bytes) : new Map<string, { start: number; end: number }>();
  for (const [key, list] of byStorage) {
    const entry = `${prefix}data/${key}`;
    const at = stored.get(entry);
    const raw = at ? bytes.subarray(at.start, at.end) : unzipSome(bytes, (n) => n === entry)[entry];
    if (!raw) throw new WeightFileError(`torch-zip: data.pkl refers to storage ${JSON.stringify(key)}, but the archive has no ${entry}`);
    const dtype = TORCH_STORAGES[list[0].ref.storage.storageType] as WeightDType;
    const size = ITEM_SIZE[dtype];
    if (raw.length % size) throw new WeightFileError(`torch-zip: storage ${key} has ${raw.length} bytes, not a whole number of ${dtype} values`);
    const storage = decodeTyped(raw, dtype, order === 'little', true);
    for (const { name, ref } of list) {
      let data: WeightData;
      try {
        data = gatherStrided(storage, ref.offset, ref.size, ref.stride);
      } catch (e) {
        throw new WeightFileError(`torch-zip: tensor ${name}: ${(e as Error).message}`);
      }
      done.set(name, { dtype, shape: ref.size, data });
    }
  }
  // In the file's key order.
  const tensors = new Map<string, WeightTensor>();
  for (const k of dict.map.keys()) {
    const t = done.get(String(k));
    if (t) tensors.set(String(k), t);
  }
  return { tensors, path };
}
