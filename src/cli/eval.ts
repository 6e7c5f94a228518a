// `eac eval`: test-split accuracy, per-class accuracy, confusion matrix and per-sample logits.
import { layoutFromMetadata } from '../weights/load.ts';
import { choice, int, parse, RANGES, readFileBytes, UsageError } from './args.ts';
import { loadDataset } from './data.ts';
import { classCountFlag, ferPlusClassesFlag } from './dataset.ts';
import { checkWritable, emitJson, progress } from './output.ts';
import { BACKENDS, setupBackend } from './node-backends.ts';
import { ARCHS, disposeModel, modelFromValues } from '../engine/resnet.ts';
import { ImagePipeline, PIPELINE_DEFAULTS } from '../engine/augment.ts';
import { predict, report } from '../engine/evaluate.ts';
import { evalProgressReporter } from './eval-progress.ts';
import { readWeightFile } from '../weights/read.ts';
import { analyseWeights, mapWeights } from '../weights/keymap.ts';
import { classesOf, NUM_CLASSES } from '../engine/dataset.ts';

export const EVAL_HELP = `eac eval (--demo | --data DIR) --weights FILE [--arch resnet18|resnet50] [--size N]
         [--batch-size N] [--backend cpu|wasm|webgpu] [--json] [--out FILE]
         [--ferplus-classes 8|7] [--affectnet-classes 8|7]
  FERPlus and AffectNet are read with 7 classes where the model's head has 7 outputs, unless the
  flag says otherwise`;

export async function evalCommand(argv: string[]): Promise<number> {
  const v = parse(argv, {
    demo: { type: 'boolean' },
    data: { type: 'string' },
    weights: { type: 'string' },
    arch: { type: 'string' },
    size: { type: 'string' },
    'batch-size': { type: 'string' },
    backend: { type: 'string' },
    'demo-train': { type: 'string' },
    'demo-test': { type: 'string' },
    'ferplus-classes': { type: 'string' },
    'affectnet-classes': { type: 'string' },
    json: { type: 'boolean' },
    out: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (v.help) {
    process.stdout.write(EVAL_HELP + '\n');
    return 0;
  }
  if (!v.weights) throw new UsageError('--weights FILE is required');
  if (v.out) checkWritable('out', v.out as string);
  const arch = v.arch === undefined ? undefined : choice(v, 'arch', ARCHS, 'resnet50');
  const size = int(v, 'size', 224, RANGES.size);
  const batchSize = int(v, 'batch-size', 64, RANGES.batchSize);
  let bytes: Uint8Array;
  try {
    bytes = readFileBytes(v.weights as string);
  } catch (e) {
    throw new UsageError(`--weights: cannot read ${v.weights}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  // The weights are read and checked before the dataset: a broken file is refused at once. The
  // model's head says how many classes it has (RAF-DB's 7 where it has none).
  const file = readWeightFile(bytes);
  const said = layoutFromMetadata(file.metadata, { arch });
  const headClasses = analyseWeights(file.tensors, said).headClasses;
  const weights = mapWeights(file.tensors, { ...said, numClasses: headClasses ?? NUM_CLASSES, release: true });
  const { dataset } = await loadDataset({
    demo: !!v.demo,
    dataDir: v.data as string | undefined,
    noise: null,
    seed: 0,
    demoTrain: v['demo-train'] === undefined ? 1 : int(v, 'demo-train', 0, RANGES.demoCount),
    demoTest: v['demo-test'] === undefined ? undefined : int(v, 'demo-test', 0, RANGES.demoCount),
    // A 7-output head was trained on the 7 basic expressions: read FERPlus and AffectNet so.
    ferPlusClasses: ferPlusClassesFlag(v['ferplus-classes'] as string | undefined) ?? (headClasses === 7 ? 7 : undefined),
    affectNetClasses:
      classCountFlag(v['affectnet-classes'] as string | undefined, '--affectnet-classes', "AffectNet's") ??
      (headClasses === 7 ? 7 : undefined),
  });
  const classes = classesOf(dataset);
  // A head of another size (or none) would be drawn at random: its accuracy would mean nothing.
  if (weights.report.head !== 'loaded' || weights.spec.config.numClasses !== classes.length)
    throw new UsageError(
      `--weights: the model's head does not have the dataset's ${classes.length} classes (${weights.report.headClasses ?? 'no'} outputs): train on this dataset first`,
    );
  const backend = await setupBackend(choice(v, 'backend', BACKENDS, 'wasm'));
  progress(
    `eval: ${weights.spec.config.arch} width ${weights.spec.config.width} at ${size}px on ${dataset.test.labels.length} test images, backend ${backend.backend}`,
  );
  const model = modelFromValues(weights.spec, weights.values);
  const pipeline = new ImagePipeline({ ...PIPELINE_DEFAULTS, size });
  const p = await predict(model, pipeline, dataset.test, batchSize, undefined, evalProgressReporter(progress));
  pipeline.dispose();
  disposeModel(model);
  const r = report(p.preds, dataset.test.cleanLabels, p.numClasses);
  const samples = dataset.test.names.map((name, i) => ({
    name,
    label: dataset.test.cleanLabels[i],
    pred: p.preds[i],
    logits: Array.from(p.logits.subarray(i * p.numClasses, (i + 1) * p.numClasses)),
  }));
  emitJson(
    { classes, accuracy: r.accuracy, perClassAccuracy: r.perClassAccuracy, confusion: r.confusion, samples },
    { json: !!v.json, out: v.out as string | undefined },
  );
  progress(`test accuracy ${(r.accuracy * 100).toFixed(2)}%`);
  return 0;
}
