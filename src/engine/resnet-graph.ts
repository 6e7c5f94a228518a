// The one description of a ResNet pass: its layers in execution order, each reading and writing
// numbered activations. The evaluation forward (resnet.ts), the training pass and its backward
// (backprop/resnet.ts) and the memory plan (step-plan.ts) all walk this list; none of them knows
// what a block is. No TensorFlow.js.
import type { ConvSpec, ResNetSpec } from './resnet-layout.ts';

interface PoolSpec {
  k: number;
  stride: number;
  pad: number;
  ceil: boolean;
}

/**
 * conv → BatchNorm [+ residual] [→ ReLU]: reads activation `input` (and `residual`), writes
 * `output`. `inputGradient` is false where the input is the image.
 */
export interface ConvBnLayer {
  kind: 'conv-bn';
  conv: ConvSpec;
  bn: string;
  input: number;
  output: number;
  residual: number | null;
  relu: boolean;
  inputGradient: boolean;
  /** The activation that ends this layer's residual block (null for the stem, which is in none). */
  blockOutput: number | null;
}

interface MaxPoolLayer {
  kind: 'max-pool';
  pool: PoolSpec;
  input: number;
  output: number;
}

type PassLayer = ConvBnLayer | MaxPoolLayer;

export interface PassGraph {
  layers: PassLayer[];
  /** Activations 0 … count−1; 0 is the image. */
  count: number;
  /** The last feature map (what the head reads). */
  features: number;
}

/**
 * The layers of one pass. A residual block runs its shortcut (the downsample conv-BN) first, then
 * its main path, whose last unit adds the shortcut before its ReLU: so walked backwards, the main
 * path's gradient comes first and the shortcut's last, each layer's output gradient complete by
 * the time its own backward runs.
 */
export function resnetGraph(spec: ResNetSpec): PassGraph {
  const layers: PassLayer[] = [];
  let count = 1;
  const next = () => count++;
  const stemOut = next();
  layers.push({
    kind: 'conv-bn',
    conv: spec.stem,
    bn: 'bn1',
    input: 0,
    output: stemOut,
    residual: null,
    relu: true,
    inputGradient: false,
    blockOutput: null,
  });
  const pooled = next();
  layers.push({ kind: 'max-pool', pool: spec.pool, input: stemOut, output: pooled });
  let h = pooled;
  for (const block of spec.blocks) {
    const blockLayers: ConvBnLayer[] = [];
    let residual = h;
    if (block.downsample) {
      residual = next();
      const { conv, bn } = block.downsample;
      blockLayers.push({
        kind: 'conv-bn',
        conv,
        bn,
        input: h,
        output: residual,
        residual: null,
        relu: false,
        inputGradient: true,
        blockOutput: -1,
      });
    }
    let x = h;
    block.convs.forEach(({ conv, bn }, i) => {
      const last = i === block.convs.length - 1;
      const y = next();
      blockLayers.push({
        kind: 'conv-bn',
        conv,
        bn,
        input: x,
        output: y,
        residual: last ? residual : null,
        relu: true,
        inputGradient: true,
        blockOutput: -1,
      });
      x = y;
    });
    for (const l of blockLayers) l.blockOutput = x;
    layers.push(...blockLayers);
    h = x;
  }
  return { layers, count, features: h };
}

/** Whether the backward needs activation `a` (a ReLU's output: its mask and the next conv's input; the pool's). */
export function keptForBackward(graph: PassGraph, a: number): boolean {
  const producer = graph.layers.find((l) => l.output === a);
  return !!producer && (producer.kind === 'max-pool' || producer.relu);
}
