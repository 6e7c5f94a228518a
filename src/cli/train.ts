// `eac train`: a full training run, headless, on the same engine as the lab.
import { writeFileSync } from 'node:fs';
import { choice, num, parse, positiveInt, nonNegInt, readFileBytes } from './args.ts';
import { loadDataset } from './data.ts';
import { emitJson, formatSeconds, progress } from './output.ts';
import { BACKENDS, setupBackend } from './node-backends.ts';
import { defaultTrainConfig, type TrainConfig } from '../engine/config.ts';
import { ARCHS, modelFromValues, type Model } from '../engine/resnet.ts';
import { train } from '../engine/trainer.ts';
import { exportModelSafetensors } from '../weights/export.ts';
import { loadWeights } from '../weights/load.ts';
import { UsageError } from './args.ts';

export const TRAIN_HELP = `eac train [options]
  --demo | --data DIR        the built-in demo dataset, or a RAF-DB folder
  --labels FILE_OR_NAME      training label file (RAF-DB)
  --noise RATE               seeded symmetric label noise, e.g. 0.3
  --arch resnet18|resnet50   backbone (default resnet50)
  --width N                  backbone width (default 64, the real network)
  --weights FILE             pretrained weights (default: random init)
  --method eac|baseline      (default eac)
  --lam X                    consistency weight λ (default 5)
  --epochs N                 (default 60)
  --max-steps N              stop after N optimiser steps
  --batch-size N             (default 32)
  --lr X                     (default 1e-4; resnet18 2e-4)
  --weight-decay X           (default 1e-4)
  --gamma X                  ExponentialLR factor per epoch (default 0.9)
  --size N                   input size (default 224)
  --seed N                   (default 0)
  --augment full|none        none: no pixel noise, no erasing, view 2 = mirror of view 1
  --erasing independent|mirrored
  --no-shuffle
  --backend cpu|wasm|webgpu  (default wasm)
  --demo-train N --demo-test N   demo dataset size (default 3000 / 1000)
  --json                     print the result JSON on stdout
  --out FILE                 write the result JSON to FILE
  --save FILE                save the trained model as safetensors (PyTorch key names)
  --log-steps                include every step's loss in the JSON`;

export async function trainCommand(argv: string[]): Promise<number> {
  const v = parse(argv, {
    demo: { type: 'boolean' },
    data: { type: 'string' },
    labels: { type: 'string' },
    noise: { type: 'string' },
    arch: { type: 'string' },
    width: { type: 'string' },
    weights: { type: 'string' },
    method: { type: 'string' },
    lam: { type: 'string' },
    epochs: { type: 'string' },
    'max-steps': { type: 'string' },
    'batch-size': { type: 'string' },
    lr: { type: 'string' },
    'weight-decay': { type: 'string' },
    gamma: { type: 'string' },
    size: { type: 'string' },
    seed: { type: 'string' },
    augment: { type: 'string' },
    erasing: { type: 'string' },
    'no-shuffle': { type: 'boolean' },
    backend: { type: 'string' },
    'demo-train': { type: 'string' },
    'demo-test': { type: 'string' },
    json: { type: 'boolean' },
    out: { type: 'string' },
    save: { type: 'string' },
    'log-steps': { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (v.help) {
    process.stdout.write(TRAIN_HELP + '\n');
    return 0;
  }
  const arch = choice(v, 'arch', ARCHS, 'resnet50');
  const d = defaultTrainConfig(arch);
  const noiseRate = v.noise === undefined ? null : num(v, 'noise', 0, (x) => x >= 0 && x <= 1, 'a rate in [0, 1]');
  const config: TrainConfig = {
    ...d,
    width: num(v, 'width', d.width, positiveInt, 'a positive integer'),
    method: choice(v, 'method', ['eac', 'baseline'] as const, d.method),
    lam: num(v, 'lam', d.lam, (x) => x >= 0, 'a number ≥ 0'),
    epochs: num(v, 'epochs', d.epochs, positiveInt, 'a positive integer'),
    maxSteps: v['max-steps'] === undefined ? null : num(v, 'max-steps', 0, positiveInt, 'a positive integer'),
    batchSize: num(v, 'batch-size', d.batchSize, positiveInt, 'a positive integer'),
    lr: num(v, 'lr', d.lr, (x) => x > 0, 'a number > 0'),
    weightDecay: num(v, 'weight-decay', d.weightDecay, (x) => x >= 0, 'a number ≥ 0'),
    gamma: num(v, 'gamma', d.gamma, (x) => x > 0 && x <= 1, 'a number in (0, 1]'),
    size: num(v, 'size', d.size, (x) => Number.isInteger(x) && x >= 32, 'an integer ≥ 32'),
    seed: num(v, 'seed', d.seed, nonNegInt, 'a non-negative integer'),
    augment: choice(v, 'augment', ['full', 'none'] as const, d.augment),
    erasing: choice(v, 'erasing', ['independent', 'mirrored'] as const, d.erasing),
    shuffle: !v['no-shuffle'],
  };
  let loaded: ReturnType<typeof loadWeights> | undefined;
  if (v.weights !== undefined) {
    let bytes: Uint8Array;
    try {
      bytes = readFileBytes(v.weights as string);
    } catch (e) {
      throw new UsageError(`--weights: cannot read ${v.weights}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    const w = loadWeights(bytes, { arch: v.arch === undefined ? undefined : arch, fileName: v.weights as string, seed: config.seed });
    if (v.width !== undefined && w.spec.config.width !== config.width)
      throw new UsageError(`--width ${config.width}: the weights have width ${w.spec.config.width}`);
    config.arch = w.spec.config.arch;
    config.width = w.spec.config.width;
    if (v.lr === undefined) config.lr = defaultTrainConfig(config.arch).lr;
    progress(
      `weights: ${w.format}, ${w.report.arch} width ${config.width}, head ${w.report.head}${w.report.unexpected.length ? `, ${w.report.unexpected.length} unexpected keys ignored` : ''}`,
    );
    for (const n of w.report.notes) progress(`weights: ${n}`);
    loaded = w;
  }
  const backendName = choice(v, 'backend', BACKENDS, 'wasm');
  const { dataset, noise, source } = await loadDataset({
    demo: !!v.demo,
    dataDir: v.data as string | undefined,
    labels: v.labels as string | undefined,
    noise: noiseRate,
    seed: config.seed,
    demoTrain: v['demo-train'] === undefined ? undefined : num(v, 'demo-train', 0, positiveInt, 'a positive integer'),
    demoTest: v['demo-test'] === undefined ? undefined : num(v, 'demo-test', 0, positiveInt, 'a positive integer'),
  });
  const backend = await setupBackend(backendName);
  const model: Model | undefined = loaded && modelFromValues(loaded.spec, loaded.values);
  progress(
    `backend ${backend.backend}${backend.adapter ? ` (${backend.adapter})` : ''}; ${config.arch} width ${config.width} at ${config.size}px, ${config.method}, batch ${config.batchSize}`,
  );
  const controller = new AbortController();
  const onSigint = () => {
    progress('interrupted: finishing the current step, then stopping');
    controller.abort();
  };
  process.once('SIGINT', onSigint);
  let lastPrint = 0;
  let savedModel: Map<string, Float32Array> | null = null;
  const result = await train(dataset, config, {
    model,
    logSteps: !!v['log-steps'],
    signal: controller.signal,
    keepModel: v.save
      ? (values) => {
          savedModel = values;
        }
      : undefined,
    onStep: (p) => {
      const t = performance.now();
      if (t - lastPrint < 2000 && p.step !== p.totalSteps) return;
      lastPrint = t;
      progress(
        `epoch ${p.epoch}/${p.epochs} step ${p.stepInEpoch}/${p.stepsPerEpoch} loss ${p.last.loss.toFixed(4)} (ce ${p.last.ce.toFixed(4)}, cons ${p.last.consistency.toFixed(4)}) ${p.imagesPerSecond.toFixed(1)} img/s ETA ${formatSeconds(p.etaSeconds)}`,
      );
    },
    onEpoch: (e) =>
      progress(
        `epoch ${e.epoch}: loss ${e.loss.toFixed(4)} train acc ${(e.trainAccNoisy * 100).toFixed(2)}% (clean ${(e.trainAccClean * 100).toFixed(2)}%) test acc ${(e.testAcc * 100).toFixed(2)}% lr ${e.lr.toExponential(3)} ${e.seconds.toFixed(1)}s`,
      ),
  });
  process.off('SIGINT', onSigint);
  if (v.save && savedModel) {
    writeFileSync(
      v.save as string,
      exportModelSafetensors(config.arch, config.width, savedModel, { seed: String(config.seed), method: config.method }),
    );
    progress(`model saved to ${v.save}`);
  }
  const out = { ...result, data: source, noise, backend: backend.backend, adapter: backend.adapter };
  emitJson(out, { json: !!v.json, out: v.out as string | undefined });
  if (!v.json && !v.out)
    progress(
      `done: test accuracy (mean of last 5 epochs) ${result.summary.testAccLast5 === null ? 'n/a' : (result.summary.testAccLast5 * 100).toFixed(2) + '%'}`,
    );
  return 0;
}
