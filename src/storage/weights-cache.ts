// The browser cache of imported weights: storing converted weights and loading them back for a
// run (this file, which needs the engine's ResNet description), on top of the page-safe records
// of src/storage/weights-records.ts (listing, rename, delete, hash, storage), re-exported here.
// Tensors and metadata are written in one transaction; whatever goes wrong, nothing
// half-written is left behind. A later load never re-parses the original file.
//
// Pure: no React, no DOM beyond what a worker has (IndexedDB, Blob, navigator.storage).
import { delMany, getMany, setMany, type UseStore } from 'idb-keyval';
import { describeResNet, initialValue, listParams, type ResNetSpec } from '../engine/resnet-layout.ts';
import { Rng } from '../engine/rng.ts';
import { NUM_CLASSES } from '../engine/dataset.ts';
import { readSafetensors, safetensorsParts } from '../weights/safetensors.ts';
import type { KeyReport } from '../weights/keymap.ts';
import type { WeightFormat } from '../weights/read.ts';
import {
  findCachedWeights,
  isQuotaError,
  MAX_NAME_LENGTH,
  META,
  storageStatus,
  TENSORS,
  TENSORS_LAYOUT,
  WeightsCacheError,
  weightsStore,
  weightsRecordProblem,
  type WeightsRecord,
  type WeightsReportSummary,
} from './weights-records.ts';
import { bytesText } from '../engine/format.ts';
import { abortError } from '../data/folder.ts';

export * from './weights-records.ts';

interface CachedWeights {
  spec: ResNetSpec;
  /** Engine-layout values by engine key, complete for `spec`. */
  values: Map<string, Float32Array>;
  record: WeightsRecord;
}

export interface StoreWeightsInput {
  /** hashBytes() of the file. */
  hash: string;
  sourceFile: string;
  /** Size of the file. */
  bytes: number;
  format: WeightFormat;
  /** Display name; default the file name. */
  name?: string;
  spec: ResNetSpec;
  values: Map<string, Float32Array>;
  report: KeyReport;
}

export interface StoreOptions {
  store?: UseStore;
  /** Aborted before or during the write: nothing stays stored, and the abort reason is thrown. */
  signal?: AbortSignal;
}

/** The safetensors bytes of engine-layout values, as a Blob made of the arrays (no big concatenation). */
function encodeTensorsBlob(spec: ResNetSpec, values: Map<string, Float32Array>): Blob {
  const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const p of listParams(spec)) {
    const v = values.get(p.name);
    const count = p.shape.reduce((a, b) => a * b, 1);
    if (!v || v.length !== count)
      throw new WeightsCacheError(
        `cannot cache ${p.name}: ${v ? `${v.length} values` : 'no values'} for shape [${p.shape.join(', ')}]`,
        'input',
      );
    tensors.set(p.name, { shape: p.shape, data: v });
  }
  const metadata = { layout: TENSORS_LAYOUT, arch: spec.config.arch, width: String(spec.config.width) };
  const { head, arrays } = safetensorsParts(tensors, metadata);
  return new Blob([head as Uint8Array<ArrayBuffer>, ...(arrays as Float32Array<ArrayBuffer>[])]);
}

function summarise(r: KeyReport): WeightsReportSummary {
  return {
    missing: r.missing.length,
    unexpected: r.unexpected.length,
    mismatched: r.mismatched.length,
    notes: [...r.notes],
    archReason: r.archReason,
  };
}

async function quotaError(name: string, needed: number): Promise<WeightsCacheError> {
  const { usage, quota } = await storageStatus();
  const available = usage !== null && quota !== null ? Math.max(0, quota - usage) : null;
  const space =
    available !== null
      ? `${bytesText(available)} are available (${bytesText(usage!)} of ${bytesText(quota!)} used)`
      : 'the browser does not say how much is available';
  return new WeightsCacheError(
    `not enough browser storage to cache "${name}": it needs ${bytesText(needed)} and ${space}. ` +
      'Delete cached weights or datasets you no longer need, or free disk space, then import again; the cache was left as it was.',
    'quota',
    needed,
    available,
  );
}

/**
 * Caches converted weights under their file's hash and returns the record. If that hash is
 * already cached the old record is returned untouched. Tensors and metadata go in one
 * transaction (tensors first); on any failure both keys are removed again, so no half record
 * stays and older entries are never touched. A quota failure becomes a WeightsCacheError naming
 * the MB needed and available.
 */
export async function storeWeights(input: StoreWeightsInput, opts: StoreOptions = {}): Promise<WeightsRecord> {
  const store = opts.store ?? weightsStore();
  const { signal } = opts;
  const existing = await findCachedWeights(input.hash, store);
  if (existing) return existing;
  if (signal?.aborted) throw abortError(signal);
  const blob = encodeTensorsBlob(input.spec, input.values);
  const { report } = input;
  const record: WeightsRecord = {
    key: input.hash,
    name: (input.name ?? input.sourceFile).trim().slice(0, MAX_NAME_LENGTH) || input.sourceFile,
    sourceFile: input.sourceFile,
    bytes: input.bytes,
    storedBytes: blob.size,
    format: input.format,
    arch: input.spec.config.arch,
    layout: report.arch ?? (input.spec.config.arch === 'resnet18' ? 'resnet18' : 'resnet50-caffe'),
    width: input.spec.config.width,
    headClasses: report.headClasses,
    head: report.head,
    report: summarise(report),
    importedAt: new Date().toISOString(),
  };
  const keysWritten = [TENSORS + input.hash, META + input.hash];
  const undo = () => delMany(keysWritten, store).catch(() => undefined);
  try {
    await setMany(
      [
        [keysWritten[0], blob],
        [keysWritten[1], record],
      ],
      store,
    );
  } catch (e) {
    await undo();
    if (isQuotaError(e)) throw await quotaError(record.name, blob.size);
    throw new WeightsCacheError(
      `could not cache "${record.name}" in the browser: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`,
      'storage',
    );
  }
  if (signal?.aborted) {
    await undo();
    throw abortError(signal);
  }
  return record;
}

/** Engine shapes for the record's architecture. */
function specOf(record: WeightsRecord): ResNetSpec {
  // The layout the import decided (keymap.ts); records from before it are Caffe's.
  const layout = record.layout === 'resnet50-torchvision' ? 'torchvision' : 'caffe';
  return describeResNet({ arch: record.arch, layout, width: record.width, numClasses: NUM_CLASSES });
}

/**
 * The cached weights for a run. A head cached as 'initialised' is drawn again from `seed`, as
 * mapWeights does (nn.Linear's uniform ±1/sqrt(fan_in), fc.weight then fc.bias from a fresh
 * Rng(seed)), so a run here starts from the same head as the CLI with the same seed.
 */
export async function loadCachedWeights(key: string, seed: number, store: UseStore = weightsStore()): Promise<CachedWeights> {
  const [meta, blob] = await getMany<unknown>([META + key, TENSORS + key], store);
  const short = `${key.slice(0, 12)}…`;
  if (!meta)
    throw new WeightsCacheError(
      `the cached weights ${short} are no longer in this browser's cache (deleted, or the browser evicted them); import the file again`,
      'missing',
    );
  const recordWhy = weightsRecordProblem(meta);
  if (recordWhy)
    throw new WeightsCacheError(
      `the cached weights ${short} are damaged (${recordWhy}); delete the entry and import the file again`,
      'corrupt',
    );
  const record = meta as WeightsRecord;
  if (!(blob instanceof Blob))
    throw new WeightsCacheError(
      `the cached weights "${record.name}" lost their tensors; delete the entry and import ${record.sourceFile} again`,
      'missing',
    );
  const bytes = new Uint8Array(await blob.arrayBuffer());
  const corrupt = (why: string) =>
    new WeightsCacheError(
      `the cached weights "${record.name}" are damaged (${why}); delete the entry and import ${record.sourceFile} again`,
      'corrupt',
    );
  let parsed: ReturnType<typeof readSafetensors>;
  try {
    parsed = readSafetensors(bytes);
  } catch (e) {
    throw corrupt(e instanceof Error ? e.message : String(e));
  }
  if (parsed.metadata.layout !== TENSORS_LAYOUT) throw corrupt(`unknown layout ${String(parsed.metadata.layout)}`);
  const spec = specOf(record);
  const values = new Map<string, Float32Array>();
  for (const p of listParams(spec)) {
    const t = parsed.tensors.get(p.name);
    if (!t) throw corrupt(`no ${p.name}`);
    if (t.dtype !== 'F32' || t.shape.join('x') !== p.shape.join('x'))
      throw corrupt(`${p.name} is ${t.dtype} [${t.shape.join(', ')}], expected F32 [${p.shape.join(', ')}]`);
    const n = t.bytes.byteLength / 4;
    // A view when aligned (always, as written by encodeTensorsBlob): no second copy of the weights.
    const v =
      t.bytes.byteOffset % 4 === 0 ? new Float32Array(t.bytes.buffer, t.bytes.byteOffset, n) : new Float32Array(t.bytes.slice().buffer);
    // Checked at import (mapWeights), and again here: the cached bytes may have changed since.
    for (let i = 0; i < v.length; i++) {
      if (!Number.isFinite(v[i])) throw corrupt(`${p.name} holds a non-finite value (${v[i]} at index ${i})`);
      if (p.kind === 'bn.running_var' && v[i] < 0) throw corrupt(`${p.name} holds a negative running variance (${v[i]} at index ${i})`);
    }
    values.set(p.name, v);
  }
  if (record.head === 'initialised') {
    const rng = new Rng(seed);
    for (const p of listParams(spec)) if (p.kind === 'fc.weight' || p.kind === 'fc.bias') values.set(p.name, initialValue(p, rng));
  }
  return { spec, values, record };
}
