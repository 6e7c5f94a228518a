// ResNet-50 in the Caffe/VGGFace2 layout (the backbone of the official EAC code) and ResNet-18 in
// torchvision's layout, NHWC, with parameters named by their PyTorch state_dict keys so that
// weight files, golden fixtures and exports map one to one.
import { tf, type Tensor, type Tensor2D, type Tensor4D, type Variable } from './tf.ts';
import { batchNorm, globalAvgPool, linear, maxPool, updateRunningStats, type BatchNormParams, type BatchStats } from './layers.ts';
import { describeResNet, initialValue, listParams, type ConvSpec, type ModelConfig, type ResNetSpec } from './resnet-layout.ts';
import type { Rng } from './rng.ts';
import type { Kernels } from './kernel-table.ts';
import { resnetGraph } from './resnet-graph.ts';

export { ARCHS, defaultModelConfig, describeResNet, initialValue, listParams } from './resnet-layout.ts';
export type { Arch, BlockSpec, ConvSpec, ModelConfig, ParamInfo, ResNetSpec } from './resnet-layout.ts';

export interface Model {
  spec: ResNetSpec;
  /** All parameters and buffers by PyTorch key; buffers are non-trainable variables. */
  vars: Map<string, Variable>;
  /** Trainable variables in state_dict order (the optimiser's parameter list). */
  trainable: Variable[];
  trainableNames: string[];
}

/** A model with freshly initialised parameters, drawn from `rng` in state_dict order. */
export function createModel(config: ModelConfig, rng: Rng): Model {
  const spec = describeResNet(config);
  const values = new Map<string, Float32Array>();
  for (const p of listParams(spec)) values.set(p.name, initialValue(p, rng));
  return modelFromValues(spec, values);
}

/** Builds a model from engine-layout values (missing keys are an error). */
export function modelFromValues(spec: ResNetSpec, values: Map<string, Float32Array>): Model {
  const vars = new Map<string, Variable>();
  const trainable: Variable[] = [];
  const trainableNames: string[] = [];
  for (const p of listParams(spec)) {
    const data = values.get(p.name);
    if (!data) throw new Error(`missing parameter ${p.name}`);
    const expected = p.shape.reduce((a, b) => a * b, 1);
    if (data.length !== expected)
      throw new Error(`parameter ${p.name}: ${data.length} values, expected ${expected} (shape ${p.shape.join('×')})`);
    const initial = tf.tensor(data, p.shape, 'float32');
    const v = tf.variable(initial, p.trainable, `${p.name}#${uniqueId++}`);
    initial.dispose(); // the variable keeps its own reference to the data
    vars.set(p.name, v);
    if (p.trainable) {
      trainable.push(v);
      trainableNames.push(p.name);
    }
  }
  return { spec, vars, trainable, trainableNames };
}
let uniqueId = 0;

export function disposeModel(model: Model): void {
  for (const v of model.vars.values()) v.dispose();
  model.vars.clear();
}

/** Reads every parameter and buffer back (engine layout). */
export async function readValues(model: Model): Promise<Map<string, Float32Array>> {
  const out = new Map<string, Float32Array>();
  for (const [name, v] of model.vars) out.set(name, (await v.data()) as Float32Array);
  return out;
}

/** A BatchNorm layer's parameters and running statistics, by the layer's name. */
export function bnParams(model: Model, name: string): BatchNormParams {
  const get = (k: string) => {
    const v = model.vars.get(`${name}.${k}`);
    if (!v) throw new Error(`missing ${name}.${k}`);
    return v;
  };
  return { gamma: get('weight'), beta: get('bias'), runningMean: get('running_mean'), runningVar: get('running_var') };
}

interface ForwardOutput {
  /** The last feature map F (N×h×w×C), before pooling. */
  features: Tensor4D;
  /** Global average pool of F (N×C). */
  pooled: Tensor2D;
  logits: Tensor2D;
}

/** One convolution of the forward: x, its weight, its spec, and whether x needs a gradient (not the image). */
export type ConvFn = (x: Tensor4D, w: Tensor4D, c: ConvSpec, inputGradient: boolean) => Tensor4D;

/** tfjs's Conv2D with PyTorch's symmetric padding: the forward of evaluation, which takes no gradient. */
const plainConv: ConvFn = (x, w, c) =>
  tf.conv2d(
    x,
    w,
    c.stride,
    c.pad === 0
      ? 'valid'
      : [
          [0, 0],
          [c.pad, c.pad],
          [c.pad, c.pad],
          [0, 0],
        ],
  );

/**
 * One forward pass. In training mode BatchNorm uses batch statistics and appends them to `record`
 * (apply them afterwards with `applyBatchStats`, in pass order, as PyTorch updates them). Training
 * steps run the explicit passes of backprop/resnet.ts; a tape over this forward (the tests'
 * reference) passes a `conv` with a gradient on every backend (conv.ts's conv2d).
 */
export function forward(
  model: Model,
  x: Tensor4D,
  training: boolean,
  record: BatchStats[] | null = null,
  conv: ConvFn = plainConv,
): ForwardOutput {
  const graph = resnetGraph(model.spec);
  const acts: Tensor4D[] = [x];
  for (const l of graph.layers) {
    const input = acts[l.input];
    if (l.kind === 'max-pool') {
      acts[l.output] = maxPool(input, l.pool.k, l.pool.stride, l.pool.pad, l.pool.ceil);
      continue;
    }
    const w = model.vars.get(`${l.conv.name}.weight`) as unknown as Tensor4D;
    let y = batchNorm(conv(input, w, l.conv, l.inputGradient), bnParams(model, l.bn), training, record, l.bn);
    if (l.residual !== null) y = tf.add(y, acts[l.residual]) as Tensor4D;
    acts[l.output] = l.relu ? (tf.relu(y) as Tensor4D) : y;
  }
  const h = acts[graph.features];
  const pooled = globalAvgPool(h);
  const logits = linear(pooled, model.vars.get('fc.weight') as unknown as Tensor2D, model.vars.get('fc.bias') as Tensor);
  return { features: h, pooled, logits };
}

/** Applies recorded training-mode batch statistics to the running averages, then frees them. */
export function applyBatchStats(model: Model, record: BatchStats[], impl: Kernels['runningStats']): void {
  // Per layer, its batches in record order (pass 1, then pass 2): one update call per layer.
  const byLayer = new Map<string, BatchStats[]>();
  for (const s of record) {
    const list = byLayer.get(s.name);
    if (list) list.push(s);
    else byLayer.set(s.name, [s]);
  }
  for (const [name, list] of byLayer) {
    updateRunningStats(bnParams(model, name), list, impl);
    for (const s of list) tf.dispose([s.mean, s.variance]);
  }
  record.length = 0;
}
