// Loading a model from a weight file: a safetensors file (the lab's own exports, official EAC
// `features.…` keys, or a backbone state_dict), a torch.save zip archive or a pickle of numpy
// arrays. The file is read by read.ts, its keys mapped by keymap.ts.
import { readWeightFile, type WeightFormat } from './read.ts';
import { mapWeights, type KeyReport, type MapOptions } from './keymap.ts';
import type { Arch, ResNetSpec } from '../engine/resnet-layout.ts';

export { backboneKey } from './keymap.ts';

interface LoadedWeights {
  spec: ResNetSpec;
  /** Engine-layout values by backbone key. */
  values: Map<string, Float32Array>;
  format?: WeightFormat;
  report?: KeyReport;
}

/** Any supported weight file → engine values for the detected (or asked-for) architecture. */
export function loadWeights(bytes: Uint8Array, opts: MapOptions = {}): Required<LoadedWeights> {
  const file = readWeightFile(bytes, opts.fileName);
  // The file's tensors (views of `bytes` where they can be) are let go as they are converted.
  const { spec, values, report } = mapWeights(file.tensors, { ...layoutFromMetadata(file.metadata, opts), release: true });
  return { spec, values, report, format: file.format };
}

/**
 * A layout the file itself states (the lab's exports write `layout` in their safetensors
 * metadata, since both ResNet-50 layouts have the same keys and shapes), unless the caller says one.
 */
export function layoutFromMetadata(metadata: Record<string, string> | undefined, opts: MapOptions): MapOptions {
  const said = metadata?.layout;
  if (opts.layout || (said !== 'caffe' && said !== 'torchvision')) return opts;
  return { ...opts, layout: said, layoutReason: `the file's metadata says layout ${said}` };
}

/** The former safetensors-only entry point; now takes every supported format. */
export function loadSafetensorsWeights(bytes: Uint8Array, expectArch?: Arch): LoadedWeights {
  return loadWeights(bytes, { arch: expectArch });
}
