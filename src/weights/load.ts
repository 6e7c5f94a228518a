// Loading a model from a safetensors file with PyTorch key names: the lab's own exports (official
// EAC `features.…` keys) or a backbone state_dict (`conv1.…`, `layer1.…`, `fc.…`).
// (Pickle and torch.save archives come with the weights issue.)
import { readSafetensors, toFloat32 } from './safetensors.ts';
import { torchToEngine } from './torch-layout.ts';
import { describeResNet, listParams, type Arch, type ResNetSpec } from '../engine/resnet.ts';

/** Official EAC model key → backbone key (inverse of export's officialKey). */
export function backboneKey(name: string): string {
  const m = /^features\.(\d+)\.(.*)$/.exec(name);
  if (!m) return name;
  const i = Number(m[1]);
  if (i === 0) return `conv1.${m[2]}`;
  if (i === 1) return `bn1.${m[2]}`;
  if (i >= 4 && i <= 7) return `layer${i - 3}.${m[2]}`;
  return name;
}

export interface LoadedWeights {
  spec: ResNetSpec;
  /** Engine-layout values by backbone key. */
  values: Map<string, Float32Array>;
}

export function loadSafetensorsWeights(bytes: Uint8Array, expectArch?: Arch): LoadedWeights {
  const { tensors } = readSafetensors(bytes);
  const byKey = new Map<string, { data: Float32Array; shape: number[] }>();
  for (const [name, t] of tensors) {
    if (name.endsWith('num_batches_tracked')) continue;
    byKey.set(backboneKey(name), { data: toFloat32(t), shape: t.shape });
  }
  const conv1 = byKey.get('conv1.weight');
  if (!conv1 || conv1.shape.length !== 4) throw new Error('weights: no conv1.weight (or features.0.weight) of rank 4: not a ResNet state_dict');
  const arch: Arch = byKey.has('layer1.0.conv3.weight') ? 'resnet50' : 'resnet18';
  if (expectArch && expectArch !== arch) throw new Error(`weights: the file holds a ${arch}, but --arch ${expectArch} was asked for`);
  const spec = describeResNet({ arch, width: conv1.shape[0], numClasses: 7 });
  const values = new Map<string, Float32Array>();
  const missing: string[] = [];
  const mismatched: string[] = [];
  for (const p of listParams(spec)) {
    const t = byKey.get(p.name);
    if (!t) {
      missing.push(p.name);
      continue;
    }
    const e = torchToEngine(p.name, t.data, t.shape);
    if (e.shape.join('x') !== p.shape.join('x')) mismatched.push(`${p.name} [${t.shape.join(', ')}]`);
    else values.set(p.name, e.data);
  }
  if (missing.length || mismatched.length) {
    const parts = [missing.length ? `missing ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ` and ${missing.length - 5} more` : ''}` : '', mismatched.length ? `mis-shaped ${mismatched.slice(0, 5).join(', ')}` : ''];
    throw new Error(`weights do not fit ${arch} width ${spec.config.width}: ${parts.filter(Boolean).join('; ')}`);
  }
  return { spec, values };
}
