// What a weight file holds, as the `eac weights inspect` JSON: its format, the model its keys
// describe, the head, and the keys that are missing, unexpected or mis-shaped for that model;
// optionally per-tensor statistics under the file's own key names. Pure (no Node APIs).
import { layoutFromMetadata } from './load.ts';
import { readWeightFile, tensorSize, tensorValues, type WeightFormat, type WeightTensor } from './read.ts';
import { analyseWeights, type DetectedArch, type MapOptions, type Mismatch } from './keymap.ts';

interface TensorStats {
  name: string;
  shape: number[];
  dtype: string;
  mean: number | null;
  std: number | null;
  min: number | null;
  max: number | null;
}

interface InspectResult {
  format: WeightFormat;
  arch: DetectedArch | null;
  width: number | null;
  /** Why that arch (e.g. "a 8631-way VGGFace2 head"). */
  archReason: string;
  /** Where the tensors sit in the file ("" = top level, "state_dict" = that entry). */
  path: string;
  /** Number of tensors in the file. */
  tensors: number;
  /** Number of values over all tensors. */
  parameters: number;
  /** The file's head; `dropped`: not 7-way, a fresh 7-class head replaces it. */
  head: { classes: number; action: 'loaded' | 'dropped' } | null;
  missing: string[];
  unexpected: string[];
  mismatched: Mismatch[];
  notes: string[];
  stats?: TensorStats[];
}

/** Statistics of one tensor's values (decoded for this only: nothing is kept on the tensor). */
function tensorStats(name: string, t: WeightTensor): TensorStats {
  const data = tensorValues(t);
  const n = data.length;
  if (n === 0) return { name, shape: t.shape, dtype: t.dtype, mean: null, std: null, min: null, max: null };
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    const v = Number(data[i]);
    sum += v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const mean = sum / n;
  let sq = 0;
  for (let i = 0; i < n; i++) sq += (Number(data[i]) - mean) ** 2;
  return { name, shape: t.shape, dtype: t.dtype, mean, std: Math.sqrt(sq / n), min, max };
}

export function inspectWeights(bytes: Uint8Array, opts: MapOptions & { stats?: boolean } = {}): InspectResult {
  const file = readWeightFile(bytes, opts.fileName);
  const r = analyseWeights(file.tensors, layoutFromMetadata(file.metadata, opts));
  let parameters = 0;
  for (const t of file.tensors.values()) parameters += tensorSize(t);
  const out: InspectResult = {
    format: file.format,
    arch: r.arch,
    width: r.width,
    archReason: r.archReason,
    path: file.path,
    tensors: file.tensors.size,
    parameters,
    head: r.headClasses === null ? null : { classes: r.headClasses, action: r.head === 'loaded' ? 'loaded' : 'dropped' },
    missing: r.missing,
    unexpected: r.unexpected,
    mismatched: r.mismatched,
    notes: r.notes,
  };
  if (opts.stats) out.stats = [...file.tensors].map(([name, t]) => tensorStats(name, t));
  return out;
}
