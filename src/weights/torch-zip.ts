// torch.save archives (PyTorch ≥ 1.6): a zip with `<name>/data.pkl` (the pickled object, whose
// tensors name their storages by persistent id), `<name>/data/<key>` (raw storage bytes) and
// `<name>/byteorder`. Storages stored uncompressed (what torch.save writes, aligned to 64 bytes)
// are not copied: their tensors are views of the file's bytes. A deflated one is inflated, one
// storage at a time, so that at most the file, the tensors and one storage are in memory
// together. Before anything is decoded or inflated, what the tensors need and what the deflated
// storages would inflate to are checked against a multiple of the file's size.
import { GlobalRef, PyTuple, StorageRef, TensorRef, TORCH_STORAGES, describe, textOf, unpickle, type PyValue } from './pickle.ts';
import { findStateDict } from './state-dict.ts';
import {
  clip,
  decodeLimit,
  decodeLimitText,
  decodeTyped,
  gatherStrided,
  ITEM_SIZE,
  quote,
  WeightFileError,
  type WeightDType,
  type WeightData,
  type WeightTensor,
} from './tensor.ts';
import { entryBytes, readZipDirectory } from './zip-directory.ts';

/** Where the data of each stored (uncompressed) entry lies in the file. */
export function storedEntries(bytes: Uint8Array): Map<string, { start: number; end: number }> {
  const out = new Map<string, { start: number; end: number }>();
  for (const [name, e] of readZipDirectory(bytes))
    if (e.method === 0 && e.size === e.originalSize) out.set(name, { start: e.start, end: e.start + e.size });
  return out;
}

/** A byteorder record is one word; more is not a torch.save archive. */
const MAX_BYTEORDER_BYTES = 64;

export function readTorchZip(bytes: Uint8Array): { tensors: Map<string, WeightTensor>; path: string } {
  const dir = readZipDirectory(bytes);
  const limit = decodeLimit(bytes.length);
  const pkls = [...dir.keys()].filter((n) => /^[^/]*\/?data\.pkl$/.test(n)).sort((a, b) => a.length - b.length);
  if (!pkls.length) throw new WeightFileError('torch-zip: the zip has no data.pkl: not a torch.save archive');
  const pklName = pkls[0];
  const prefix = pklName.slice(0, pklName.length - 'data.pkl'.length);
  const orderEntry = dir.get(prefix + 'byteorder');
  const order = orderEntry ? new TextDecoder().decode(entryBytes(bytes, orderEntry, MAX_BYTEORDER_BYTES)).trim() : 'little';
  if (order !== 'little' && order !== 'big') throw new WeightFileError(`torch-zip: unknown byteorder record ${quote(order, 20)}`);

  const storages = new Map<string, StorageRef>();
  const persistentLoad = (pid: PyValue): PyValue => {
    const t = pid instanceof PyTuple ? pid.items : null;
    if (!t || t.length < 5 || textOf(t[0], 'persistent id') !== 'storage')
      throw new WeightFileError(`torch-zip: an unknown persistent id (${describe(pid)})`);
    const type = t[1];
    if (!(type instanceof GlobalRef) || type.module !== 'torch' || !TORCH_STORAGES.has(type.name))
      throw new WeightFileError(`torch-zip: an unknown storage type ${type instanceof GlobalRef ? quote(type.full) : describe(type)}`);
    const key = textOf(t[2], 'storage key');
    const location = textOf(t[3], 'storage location');
    const numel = typeof t[4] === 'number' ? t[4] : Number(t[4]);
    const prev = storages.get(key);
    if (prev) {
      if (prev.storageType !== type.name)
        throw new WeightFileError(`torch-zip: storage ${quote(key)} is used as both ${prev.storageType} and ${type.name}`);
      return prev;
    }
    const s = new StorageRef(type.name, key, location, numel);
    storages.set(key, s);
    return s;
  };
  const { value } = unpickle(entryBytes(bytes, dir.get(pklName)!, limit), { persistentLoad });
  const { dict, path } = findStateDict(value);

  // Tensors grouped by storage: a stored storage is a view of the file; any other is inflated once,
  // its views copied out, then dropped.
  const byStorage = new Map<string, { name: string; ref: TensorRef }[]>();
  let decoded = 0;
  for (const [k, v] of dict.map) {
    if (!(v instanceof TensorRef)) continue;
    const list = byStorage.get(v.storage.key) ?? [];
    list.push({ name: String(k), ref: v });
    byStorage.set(v.storage.key, list);
    decoded += tensorBytes(v);
  }
  if (decoded > limit)
    throw new WeightFileError(
      `torch-zip: the tensors would decode to ${decoded} bytes, more than the limit of ${decodeLimitText(bytes.length)}`,
    );
  // What the deflated storages would inflate to, all together, before any is inflated.
  let inflated = 0;
  for (const [key, list] of byStorage) {
    const entryName = `${prefix}data/${key}`;
    const entry = dir.get(entryName);
    if (!entry) throw new WeightFileError(`torch-zip: data.pkl refers to storage ${quote(key)}, but the archive has no ${clip(entryName)}`);
    const storage = list[0].ref.storage;
    const declared = storage.numel * ITEM_SIZE[storageDType(storage)];
    if (Number.isSafeInteger(declared) && entry.originalSize > declared)
      throw new WeightFileError(
        `torch-zip: storage ${quote(key)} holds ${entry.originalSize} bytes, more than the ${declared} its ${storage.numel} values take`,
      );
    if (entry.method !== 0) inflated += entry.originalSize;
  }
  if (inflated > limit)
    throw new WeightFileError(
      `torch-zip: the deflated storages would inflate to ${inflated} bytes, more than the limit of ${decodeLimitText(bytes.length)} (a zip bomb?)`,
    );

  const done = new Map<string, WeightTensor>();
  for (const [key, list] of byStorage) {
    const raw = entryBytes(bytes, dir.get(`${prefix}data/${key}`)!, limit);
    const dtype = storageDType(list[0].ref.storage);
    const size = ITEM_SIZE[dtype];
    if (raw.length % size)
      throw new WeightFileError(`torch-zip: storage ${quote(key)} has ${raw.length} bytes, not a whole number of ${dtype} values`);
    const storage = decodeTyped(raw, dtype, order === 'little', true);
    for (const { name, ref } of list) {
      let data: WeightData;
      try {
        data = gatherStrided(storage, ref.offset, ref.size, ref.stride);
      } catch (e) {
        throw new WeightFileError(`torch-zip: tensor ${clip(name)}: ${(e as Error).message}`);
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

function storageDType(s: StorageRef): WeightDType {
  return TORCH_STORAGES.get(s.storageType) as WeightDType;
}

/** Bytes a tensor view takes once decoded (float16/bfloat16 widen to float32). */
function tensorBytes(t: TensorRef): number {
  const dtype = storageDType(t.storage);
  const count = t.size.reduce((a, b) => a * b, 1);
  return count * (dtype === 'float16' || dtype === 'bfloat16' ? 4 : ITEM_SIZE[dtype]);
}
