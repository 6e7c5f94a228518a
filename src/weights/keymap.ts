// From a weight file's tensors to the engine's parameters: which model the keys and shapes
// describe (the VGGFace2 Caffe-layout ResNet-50, a torchvision ResNet-50 or ResNet-18, an
// official EAC model with `features.N.` keys), its width, the head, and what is missing,
// unexpected or mis-shaped. PyTorch layouts become engine layouts (conv OIHW → HWIO, fc
// [out, in] → [in, out]). A head that is not 7-way is dropped and a fresh 7-class head drawn as
// nn.Linear does (uniform ±1/sqrt(fan_in)) from a seeded Rng.
import { describeResNet, initialValue, listParams, type Arch, type ParamInfo, type ResNetSpec } from '../engine/resnet-layout.ts';
import { Rng } from '../engine/rng.ts';
import { NUM_CLASSES } from '../engine/dataset.ts';
import { layoutDiffers, torchToEngine } from './torch-layout.ts';
import { clip, tensorToFloat32, type WeightTensor } from './tensor.ts';
import { articleFor, countText } from '../engine/format.ts';

export type DetectedArch = 'resnet50-caffe' | 'resnet50-torchvision' | 'resnet18';
/** The VGGFace2 ResNet-50's identity head. */
const VGGFACE2_CLASSES = 8631;

export interface Mismatch {
  /** The file's key. */
  name: string;
  /** PyTorch-layout shapes. */
  shape: number[];
  expected: number[];
}

export interface KeyReport {
  arch: DetectedArch | null;
  width: number | null;
  /** How the arch was decided, for the report. */
  archReason: string;
  keyStyle: 'backbone' | 'official-eac' | null;
  /** A prefix stripped from every key (e.g. "module." of DataParallel). */
  strippedPrefix: string | null;
  /** The file's head (fc) classes, or null without one. */
  headClasses: number | null;
  /** 'loaded' (a 7-way head), 'initialised' (none or another size: a fresh 7-way head). */
  head: 'loaded' | 'initialised';
  /** Engine keys with no tensor in the file (fc.* not counted when the head is initialised). */
  missing: string[];
  /** File keys that map to nothing (num_batches_tracked excluded: the engine keeps no count). */
  unexpected: string[];
  mismatched: Mismatch[];
  notes: string[];
}

export interface MapOptions {
  /** The architecture asked for (e.g. --arch); default: detected. */
  arch?: Arch;
  /** The ResNet-50's layout, when known (a flag, the file's metadata): else detected. */
  layout?: 'caffe' | 'torchvision';
  /** Where `layout` came from, for the report (default "layout given as …"). */
  layoutReason?: string;
  /** The file name (a VGGFace2 name such as resnet50_ft_weight.pkl marks the Caffe layout). */
  fileName?: string;
  /** Seed of the head initialisation (default 0). */
  seed?: number;
  /** The classes the head must have (default: RAF-DB's 7); a file's head of another size is dropped. */
  numClasses?: number;
  /**
   * mapWeights only: the caller gives the tensors up. Each is deleted from the map as soon as it
   * has been converted, and the map is empty at the end (the dropped head and unexpected keys
   * are never decoded), so that the file's tensors and the engine's values do not pile up.
   */
  release?: boolean;
}

interface MappedWeights {
  spec: ResNetSpec;
  /** Engine-layout values by engine key (complete: listParams(spec)). */
  values: Map<string, Float32Array>;
  report: KeyReport;
}

export class WeightsRefusedError extends Error {}

/** Official EAC model key → backbone key. */
export function backboneKey(name: string): string {
  const m = /^features\.(\d+)\.(.*)$/.exec(name);
  if (!m) return name;
  const i = Number(m[1]);
  if (i === 0) return `conv1.${m[2]}`;
  if (i === 1) return `bn1.${m[2]}`;
  if (i >= 4 && i <= 7) return `layer${i - 3}.${m[2]}`;
  return name;
}

/** An engine shape in PyTorch layout (conv HWIO → OIHW, fc [in, out] → [out, in]). */
function torchShape(p: ParamInfo): number[] {
  if (p.shape.length === 4) {
    const [h, w, i, o] = p.shape;
    return [o, i, h, w];
  }
  if (p.kind === 'fc.weight') return [p.shape[1], p.shape[0]];
  return p.shape;
}

interface Analysis {
  report: KeyReport;
  spec: ResNetSpec | null;
  /** Engine key → file key. */
  byEngineKey: Map<string, string>;
}

function analyse(tensors: Map<string, WeightTensor>, opts: MapOptions): Analysis {
  const notes: string[] = [];
  const keys = [...tensors.keys()];
  let strippedPrefix: string | null = null;
  for (const prefix of ['module.', 'model.', 'backbone.', 'base.']) {
    if (keys.length && keys.every((k) => k.startsWith(prefix))) {
      strippedPrefix = prefix;
      break;
    }
  }
  const strip = (k: string) => (strippedPrefix ? k.slice(strippedPrefix.length) : k);
  const official = keys.some((k) => strip(k).startsWith('features.0.'));
  const byEngineKey = new Map<string, string>();
  const unmapped: string[] = [];
  for (const k of keys) {
    const e = backboneKey(strip(k));
    if (e.endsWith('num_batches_tracked')) continue;
    if (byEngineKey.has(e)) unmapped.push(k);
    else byEngineKey.set(e, k);
  }
  const shapeOf = (engineKey: string) => {
    const f = byEngineKey.get(engineKey);
    return f === undefined ? undefined : tensors.get(f)!.shape;
  };
  const conv1 = shapeOf('conv1.weight');
  const fc = shapeOf('fc.weight');
  const headClasses = fc && fc.length === 2 ? fc[0] : null;
  const base = {
    keyStyle: (official ? 'official-eac' : 'backbone') as KeyReport['keyStyle'],
    strippedPrefix,
    headClasses,
    notes,
  };
  // Not a ResNet this lab can read: a report that says why, and no spec.
  const unreadable = (archReason: string) => ({
    report: {
      ...base,
      arch: null,
      width: null,
      keyStyle: null,
      head: 'initialised' as const,
      archReason,
      missing: [],
      unexpected: [],
      mismatched: [],
    },
    spec: null,
    byEngineKey,
  });
  if (conv1?.length !== 4 || conv1[1] !== 3)
    return unreadable('no conv1.weight (or features.0.weight) of shape [C, 3, k, k]: not a ResNet state_dict');
  const width = conv1[0];
  if (!(width >= 1) || conv1[2] < 1 || conv1[3] < 1)
    return unreadable(`conv1.weight has shape [${conv1.join(', ')}]: a degenerate model (no channels or an empty kernel)`);
  const detected: Arch = byEngineKey.has('layer1.0.conv3.weight') ? 'resnet50' : 'resnet18';
  const arch: Arch = opts.arch ?? detected;
  let detectedArch: DetectedArch;
  let archReason: string;
  if (arch === 'resnet18') {
    detectedArch = 'resnet18';
    archReason = opts.arch ? '--arch resnet18' : 'basic blocks (no layer1.0.conv3)';
  } else {
    const name = (opts.fileName ?? '').split(/[\\/]/).pop() ?? '';
    if (opts.layout) {
      detectedArch = opts.layout === 'caffe' ? 'resnet50-caffe' : 'resnet50-torchvision';
      archReason = opts.layoutReason ?? `layout given as ${opts.layout}`;
    } else if (headClasses === VGGFACE2_CLASSES) {
      detectedArch = 'resnet50-caffe';
      archReason = `${articleFor(VGGFACE2_CLASSES)} ${countText(VGGFACE2_CLASSES)}-way VGGFace2 head`;
    } else if (official) {
      detectedArch = 'resnet50-caffe';
      archReason = 'official EAC model keys (features.N.)';
    } else if (/resnet50_ft|vggface2|caffe/i.test(name)) {
      detectedArch = 'resnet50-caffe';
      archReason = `the file name ${name}`;
    } else {
      detectedArch = 'resnet50-torchvision';
      archReason = 'a ResNet-50 state_dict without an 8,631-way VGGFace2 head (the keys and shapes of both layouts are the same)';
      notes.push(
        "taken as torchvision's layout (stride on the 3×3 conv of a block, as ImageNet weights are), since nothing in the file says Caffe (no 8,631-way VGGFace2 head, no official EAC keys, no resnet50_ft/vggface2/caffe in its name): the run uses that layout; --layout caffe if the file is a Caffe-layout ResNet-50.",
      );
    }
    if (opts.arch && opts.arch !== detected) archReason = `--arch ${opts.arch}`;
  }
  if (opts.arch && opts.arch !== detected) notes.push(`the file looks like a ${detected}, but ${opts.arch} was asked for`);
  const classes = opts.numClasses ?? NUM_CLASSES;
  const layout = detectedArch === 'resnet50-torchvision' ? 'torchvision' : 'caffe';
  const spec = describeResNet({ arch, layout, width, numClasses: classes });
  const params = listParams(spec);
  const known = new Set(params.map((p) => p.name));
  const missing: string[] = [];
  const mismatched: Mismatch[] = [];
  const fcW = byEngineKey.get('fc.weight');
  const fcB = byEngineKey.get('fc.bias');
  const headIn = fc && fc.length === 2 ? fc[1] : null;
  let head: KeyReport['head'] = 'initialised';
  if (headClasses === classes && fcB !== undefined) head = 'loaded';
  if (headClasses !== null && headClasses !== classes)
    notes.push(`the file's ${countText(headClasses)}-way head (fc) is dropped; a ${classes}-class head is initialised`);
  else if (headClasses === null) notes.push(`the file has no head (fc): a ${classes}-class head is initialised`);
  if (headIn !== null && headIn !== spec.featureChannels)
    mismatched.push({ name: fcW!, shape: fc!, expected: [headClasses ?? classes, spec.featureChannels] });
  for (const p of params) {
    if (p.kind === 'fc.weight' || p.kind === 'fc.bias') {
      if (head === 'loaded') {
        const s = shapeOf(p.name)!;
        const e = torchShape(p);
        if (s.join('x') !== e.join('x') && !mismatched.some((m) => m.name === byEngineKey.get(p.name)))
          mismatched.push({ name: byEngineKey.get(p.name)!, shape: s, expected: e });
      }
      continue;
    }
    const f = byEngineKey.get(p.name);
    if (f === undefined) {
      missing.push(official ? officialName(p.name) : p.name);
      continue;
    }
    const s = tensors.get(f)!.shape;
    const e = torchShape(p);
    if (s.join('x') !== e.join('x')) mismatched.push({ name: f, shape: s, expected: e });
  }
  const unexpected = [...unmapped];
  for (const [e, f] of byEngineKey) if (!known.has(e)) unexpected.push(f);
  return {
    report: { ...base, arch: detectedArch, width, archReason, head, missing, unexpected, mismatched },
    spec,
    byEngineKey,
  };
}

function officialName(name: string): string {
  if (name.startsWith('conv1.')) return 'features.0.' + name.slice(6);
  if (name.startsWith('bn1.')) return 'features.1.' + name.slice(4);
  const m = /^layer([1-4])\.(.*)$/.exec(name);
  return m ? `features.${Number(m[1]) + 3}.${m[2]}` : name;
}

/** The report alone (never throws): for `eac weights inspect`. */
export function analyseWeights(tensors: Map<string, WeightTensor>, opts: MapOptions = {}): KeyReport {
  return analyse(tensors, opts).report;
}

const list = (xs: string[], n = 5) => `${xs.slice(0, n).join(', ')}${xs.length > n ? ` and ${xs.length - n} more` : ''}`;

/** Engine-layout values for the detected (or asked-for) architecture; refuses a file that does not fit. */
export function mapWeights(tensors: Map<string, WeightTensor>, opts: MapOptions = {}): MappedWeights {
  const { report, spec, byEngineKey } = analyse(tensors, opts);
  if (!spec) throw new WeightsRefusedError(`weights: ${report.archReason}`);
  const what = `${spec.config.arch} width ${spec.config.width}`;
  if (opts.arch && report.notes.some((n) => n.includes('was asked for'))) {
    const detected = opts.arch === 'resnet50' ? 'resnet18' : 'resnet50';
    throw new WeightsRefusedError(`weights: the file holds a ${detected}, but --arch ${opts.arch} was asked for`);
  }
  if (report.missing.length || report.mismatched.length) {
    const parts = [
      report.missing.length ? `missing ${list(report.missing)}` : '',
      report.mismatched.length
        ? `mis-shaped ${list(
            report.mismatched.map((m) => `${m.name} [${m.shape.join(', ')}] (expected [${m.expected.join(', ')}])`),
            3,
          )}`
        : '',
    ];
    throw new WeightsRefusedError(`weights do not fit ${what}: ${parts.filter(Boolean).join('; ')}`);
  }
  const values = new Map<string, Float32Array>();
  const rng = new Rng(opts.seed ?? 0);
  const scratch = { buffer: new ArrayBuffer(0) };
  for (const p of listParams(spec)) {
    const isHead = p.kind === 'fc.weight' || p.kind === 'fc.bias';
    if (isHead && report.head === 'initialised') {
      // nn.Linear(fan_in, 7): weight, then bias, each uniform in ±1/sqrt(fan_in).
      values.set(p.name, initialValue(p, rng));
      continue;
    }
    const key = byEngineKey.get(p.name)!;
    const t = tensors.get(key)!;
    values.set(
      p.name,
      ownedEngineValues(p.name, t, scratch, (src) => checkValues(key, p.kind, src)),
    );
    if (opts.release) tensors.delete(key);
  }
  if (opts.release) tensors.clear();
  return { spec, values, report };
}

/**
 * Refuses values a trained network never holds and that would only surface later as NaN logits
 * or a "diverged" run: NaN/±Inf anywhere, a negative BatchNorm running variance (its square root
 * is taken), and an empty tensor. Names the file's key; indices are in the file's (PyTorch) order.
 */
function checkValues(fileKey: string, kind: ParamInfo['kind'], v: Float32Array): void {
  const name = clip(fileKey);
  if (v.length === 0) throw new WeightsRefusedError(`weights: ${name} is empty (a degenerate shape)`);
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    if (!Number.isFinite(x))
      throw new WeightsRefusedError(
        `weights: ${name} holds a non-finite value (${x} at index ${i} of ${v.length}): a diverged or corrupt checkpoint`,
      );
  }
  if (kind === 'bn.running_var') {
    for (let i = 0; i < v.length; i++)
      if (v[i] < 0)
        throw new WeightsRefusedError(
          `weights: ${name} holds a negative running variance (${v[i]} at index ${i} of ${v.length}): BatchNorm variances are never below 0`,
        );
  }
}

/**
 * A tensor in engine layout, in an array of its own: transposed copies are; values that are not
 * transposed (vectors) are copied when they are a view of a larger buffer (the file's bytes), so
 * that the engine's values never keep a file in memory. Tensors that are transposed are decoded,
 * where that needs a copy (unaligned or big-endian bytes), into one reused scratch buffer rather
 * than a new array each (garbage until the next collection).
 */
function ownedEngineValues(
  name: string,
  t: WeightTensor,
  scratch: { buffer: ArrayBuffer },
  check: (fileOrder: Float32Array) => void,
): Float32Array {
  const transposed = layoutDiffers(name, t.shape);
  const bytes = 4 * t.shape.reduce((a, b) => a * b, 1);
  if (transposed && t.dtype === 'float32' && scratch.buffer.byteLength < bytes) scratch.buffer = new ArrayBuffer(bytes);
  const src = tensorToFloat32(t, transposed ? scratch.buffer : undefined);
  check(src);
  const data = torchToEngine(name, src, t.shape).data;
  if (data !== src) return data;
  return data.buffer === scratch.buffer || data.byteLength !== data.buffer.byteLength ? data.slice() : data;
}
