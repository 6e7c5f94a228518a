// Export of a model as safetensors with the key names of the official EAC `Model`
// (features.0 = conv1, features.1 = bn1, features.4..7 = layer1..4, fc), PyTorch layouts (OIHW,
// fc [K, C] for K classes), so the official code can `load_state_dict` it.
import { writeSafetensors } from './safetensors.ts';
import { describeResNet, listParams, type Arch, type Layout } from '../engine/resnet-layout.ts';
import { engineToTorch } from './torch-layout.ts';

/** Backbone key → official EAC model key. */
function officialKey(name: string): string {
  if (name.startsWith('fc.')) return name;
  if (name.startsWith('conv1.')) return 'features.0.' + name.slice('conv1.'.length);
  if (name.startsWith('bn1.')) return 'features.1.' + name.slice('bn1.'.length);
  const m = /^layer([1-4])\.(.*)$/.exec(name);
  if (m) return `features.${Number(m[1]) + 3}.${m[2]}`;
  throw new Error(`no official key for ${name}`);
}

export function exportModelSafetensors(
  arch: Arch,
  width: number,
  values: Map<string, Float32Array>,
  metadata: Record<string, string> = {},
  layout: Layout = 'caffe',
): Uint8Array {
  // The head has as many outputs as the run's dataset had classes.
  const numClasses = values.get('fc.bias')?.length ?? 7;
  const spec = describeResNet({ arch, layout, width, numClasses });
  const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const p of listParams(spec)) {
    const v = values.get(p.name);
    if (!v) throw new Error(`export: missing ${p.name}`);
    const t = engineToTorch(p.name, v, p.shape);
    tensors.set(officialKey(p.name), { shape: t.shape, data: t.data });
  }
  // Both ResNet-50 layouts have the same keys and shapes: the file says which it is (load.ts reads it).
  const said: Record<string, string> = arch === 'resnet50' ? { layout } : {};
  return writeSafetensors(tensors, { format: 'pt', producer: 'eac-lab', arch, width: String(width), ...said, ...metadata });
}
