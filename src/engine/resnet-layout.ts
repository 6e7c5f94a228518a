// The ResNets' layout as data, without TensorFlow.js: the architectures, which convs and
// BatchNorms with which shapes (engine layout, named by their PyTorch state_dict keys), and their
// initial values. The weights readers, the weights cache and the import worker need only this;
// resnet.ts builds and runs the models on it (and re-exports all of it).
import type { Rng } from './rng.ts';
import { NUM_CLASSES } from './dataset.ts';

export type Arch = 'resnet50' | 'resnet18';
export const ARCHS: readonly Arch[] = ['resnet50', 'resnet18'];

/**
 * Where a ResNet-50 bottleneck downsamples, and its stem's max-pool: `caffe`, the VGGFace2
 * resnet50_ft the official EAC code fine-tunes (stride on the first 1×1 conv; max-pool pad 0,
 * ceil mode); `torchvision`, torchvision's resnet50 ("ResNet v1.5": stride on the 3×3 conv;
 * max-pool pad 1, floor), which ImageNet weights were trained in. The parameters have the same
 * names and shapes in both. ResNet-18 has one layout (torchvision's BasicBlock) whatever this says.
 */
export type Layout = 'caffe' | 'torchvision';
export const LAYOUTS: readonly Layout[] = ['caffe', 'torchvision'];

export interface ModelConfig {
  arch: Arch;
  /** ResNet-50's layout (absent: caffe); ResNet-18 ignores it. */
  layout?: Layout;
  /** Width of the stem and of layer1 (64 in the real networks; a few channels for tests). */
  width: number;
  numClasses: number;
}

export function defaultModelConfig(arch: Arch, width = 64): ModelConfig {
  return { arch, width, numClasses: NUM_CLASSES };
}

export interface ConvSpec {
  name: string; // e.g. "layer1.0.conv1" (weight key = name + ".weight")
  k: number;
  stride: number;
  pad: number;
  cin: number;
  cout: number;
}

export interface BlockSpec {
  prefix: string; // "layer2.0"
  convs: { conv: ConvSpec; bn: string }[]; // main path, in order
  downsample: { conv: ConvSpec; bn: string } | null;
}

export interface ResNetSpec {
  config: ModelConfig;
  stem: ConvSpec;
  /** MaxPool after the stem: Caffe layout pads 0 with ceil mode, torchvision pads 1 floor mode. */
  pool: { k: number; stride: number; pad: number; ceil: boolean };
  blocks: BlockSpec[];
  featureChannels: number;
}

const BLOCKS: Record<Arch, number[]> = { resnet50: [3, 4, 6, 3], resnet18: [2, 2, 2, 2] };

/** The layer structure as data: which convs, with which strides, feeding which BatchNorms. */
export function describeResNet(config: ModelConfig): ResNetSpec {
  const w = config.width;
  const stem: ConvSpec = { name: 'conv1', k: 7, stride: 2, pad: 3, cin: 3, cout: w };
  const bottleneck = config.arch === 'resnet50';
  const torchvision = bottleneck && config.layout === 'torchvision';
  const expansion = bottleneck ? 4 : 1;
  const blocks: BlockSpec[] = [];
  let inplanes = w;
  BLOCKS[config.arch].forEach((count, li) => {
    const planes = w << li;
    for (let b = 0; b < count; b++) {
      const prefix = `layer${li + 1}.${b}`;
      const stride = b === 0 && li > 0 ? 2 : 1;
      const c = (i: number, k: number, s: number, cin: number, cout: number) => ({
        conv: { name: `${prefix}.conv${i}`, k, stride: s, pad: k === 3 ? 1 : 0, cin, cout },
        bn: `${prefix}.bn${i}`,
      });
      const convs = torchvision
        ? // torchvision's Bottleneck (ResNet v1.5): the stride sits on the 3×3 conv.
          [c(1, 1, 1, inplanes, planes), c(2, 3, stride, planes, planes), c(3, 1, 1, planes, planes * 4)]
        : bottleneck
          ? // Caffe layout: the stride sits on the FIRST 1×1 conv.
            [c(1, 1, stride, inplanes, planes), c(2, 3, 1, planes, planes), c(3, 1, 1, planes, planes * 4)]
          : // torchvision BasicBlock: the stride sits on the first 3×3 conv.
            [c(1, 3, stride, inplanes, planes), c(2, 3, 1, planes, planes)];
      const needsDown = stride !== 1 || inplanes !== planes * expansion;
      const downsample = needsDown
        ? {
            conv: { name: `${prefix}.downsample.0`, k: 1, stride, pad: 0, cin: inplanes, cout: planes * expansion },
            bn: `${prefix}.downsample.1`,
          }
        : null;
      blocks.push({ prefix, convs, downsample });
      inplanes = planes * expansion;
    }
  });
  const pool = bottleneck && !torchvision ? { k: 3, stride: 2, pad: 0, ceil: true } : { k: 3, stride: 2, pad: 1, ceil: false };
  return { config, stem, pool, blocks, featureChannels: inplanes };
}

export interface ParamInfo {
  name: string;
  /** Engine layout: conv HWIO, fc.weight [in, out], vectors as is. */
  shape: number[];
  kind: 'conv' | 'bn.weight' | 'bn.bias' | 'bn.running_mean' | 'bn.running_var' | 'fc.weight' | 'fc.bias';
  trainable: boolean;
  /** For the head: its input width (nn.Linear's init bound is 1/sqrt(fan_in) for weight AND bias). */
  fanIn?: number;
}

/** Every parameter and buffer, in PyTorch's state_dict order. */
export function listParams(spec: ResNetSpec): ParamInfo[] {
  const out: ParamInfo[] = [];
  const conv = (c: ConvSpec) => out.push({ name: `${c.name}.weight`, shape: [c.k, c.k, c.cin, c.cout], kind: 'conv', trainable: true });
  const bn = (name: string, ch: number) => {
    out.push({ name: `${name}.weight`, shape: [ch], kind: 'bn.weight', trainable: true });
    out.push({ name: `${name}.bias`, shape: [ch], kind: 'bn.bias', trainable: true });
    out.push({ name: `${name}.running_mean`, shape: [ch], kind: 'bn.running_mean', trainable: false });
    out.push({ name: `${name}.running_var`, shape: [ch], kind: 'bn.running_var', trainable: false });
  };
  conv(spec.stem);
  bn('bn1', spec.stem.cout);
  for (const b of spec.blocks) {
    for (const { conv: c, bn: n } of b.convs) {
      conv(c);
      bn(n, c.cout);
    }
    if (b.downsample) {
      conv(b.downsample.conv);
      bn(b.downsample.bn, b.downsample.conv.cout);
    }
  }
  const fanIn = spec.featureChannels;
  out.push({ name: 'fc.weight', shape: [fanIn, spec.config.numClasses], kind: 'fc.weight', trainable: true, fanIn });
  out.push({ name: 'fc.bias', shape: [spec.config.numClasses], kind: 'fc.bias', trainable: true, fanIn });
  return out;
}

/**
 * Weights for a dataset of `numClasses` classes: the backbone as given, the head kept where it
 * already has that many outputs, else drawn afresh (nn.Linear's init) for the new classes.
 */
export function withClassHead(
  spec: ResNetSpec,
  values: Map<string, Float32Array>,
  numClasses: number,
  rng: Rng,
): { spec: ResNetSpec; values: Map<string, Float32Array>; headRedrawn: boolean } {
  if (spec.config.numClasses === numClasses) return { spec, values, headRedrawn: false };
  const next = describeResNet({ ...spec.config, numClasses });
  const out = new Map(values);
  for (const p of listParams(next)) if (p.kind === 'fc.weight' || p.kind === 'fc.bias') out.set(p.name, initialValue(p, rng));
  return { spec: next, values: out, headRedrawn: true };
}

/** Initial values as the official code draws them (the backbone's own init, nn.Linear's head). */
export function initialValue(p: ParamInfo, rng: Rng): Float32Array {
  const size = p.shape.reduce((a, b) => a * b, 1);
  const v = new Float32Array(size);
  switch (p.kind) {
    case 'conv': {
      // normal(0, sqrt(2 / (k·k·out_channels))), as both the Caffe ResNet and torchvision do.
      const [k, , , cout] = p.shape;
      rng.fillNormal(v, Math.sqrt(2 / (k * k * cout)));
      break;
    }
    case 'bn.weight':
    case 'bn.running_var':
      v.fill(1);
      break;
    case 'bn.bias':
    case 'bn.running_mean':
      break;
    case 'fc.weight':
    case 'fc.bias': {
      // nn.Linear's default init: weight and bias uniform in ±1/sqrt(fan_in).
      const bound = 1 / Math.sqrt(p.fanIn ?? p.shape[0]);
      for (let i = 0; i < v.length; i++) v[i] = rng.uniformRange(-bound, bound);
      break;
    }
  }
  return v;
}
