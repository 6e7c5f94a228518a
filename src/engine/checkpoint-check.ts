// A training checkpoint held as plain data (the page's run store keeps it in IndexedDB as the
// trainer made it: Maps and typed arrays), read back as untrusted: every field by the run JSON's
// rules (src/engine/run-check.ts), every weight and moment finite, variances and second moments
// ≥ 0, every array the length the model needs. Any flaw is a one-line error naming the field.
// Pure: no DOM, no Node.
import { CHECKPOINT_VERSION, type EpochProgress, type TrainCheckpoint } from './checkpoint.ts';
import { CONFIG_LIMITS } from './limits.ts';
import { describeResNet, listParams } from './resnet-layout.ts';
import { classesOf } from './dataset.ts';
import { IMAGES_MAX, readClasses, readConfig, readEpochList, readStepLogs } from './run-check.ts';
import { arr, fail, int, num } from './sweep/validate.ts';

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A Float32Array of `n` values, all finite (and ≥ 0 where `negative` names what a negative one would be). */
function floats(v: unknown, where: string, n: number, negative: string | null): Float32Array {
  if (!(v instanceof Float32Array)) fail(where, 'expected a Float32Array');
  if (v.length !== n) fail(where, `${v.length} values, the model needs ${n}`);
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    if (!Number.isFinite(x)) fail(where, `holds a non-finite value (${x} at index ${i})`);
    if (negative && x < 0) fail(where, `holds ${negative} (${x} at index ${i})`);
  }
  return v;
}

function ints(v: unknown, where: string, max: number): Int32Array {
  if (!(v instanceof Int32Array)) fail(where, 'expected an Int32Array');
  if (v.length > max) fail(where, `${v.length} entries, more than ${max}`);
  return v;
}

function readPartial(v: unknown, where: string): EpochProgress | null {
  if (v === null || v === undefined) return null;
  if (!isObj(v)) fail(where, 'expected an object');
  const sum = (k: string) => num(v[k], `${where}.${k}`, (x) => x >= 0, 'a finite number ≥ 0');
  return {
    position: int(v.position, `${where}.position`, 0, CONFIG_LIMITS.steps[1]),
    loss: sum('loss'),
    ce: sum('ce'),
    consistency: sum('consistency'),
    seconds: sum('seconds'),
    order: ints(v.order, `${where}.order`, IMAGES_MAX),
    seenPreds: ints(v.seenPreds, `${where}.seenPreds`, IMAGES_MAX),
  };
}

export function readCheckpointState(v: unknown, where = 'checkpoint'): TrainCheckpoint {
  if (!isObj(v)) fail(where, 'expected an object');
  if (v.version !== 1 && v.version !== CHECKPOINT_VERSION) fail(`${where}.version`, `expected 1 or ${CHECKPOINT_VERSION}`);
  const config = readConfig(v.config, `${where}.config`);
  const classes = readClasses(v.classes, `${where}.classes`);
  const params = listParams(
    describeResNet({ arch: config.arch, layout: config.layout, width: config.width, numClasses: classesOf({ classes }).length }),
  );
  if (!(v.values instanceof Map)) fail(`${where}.values`, 'expected a Map');
  if (v.values.size !== params.length) fail(`${where}.values`, `${v.values.size} arrays, the model has ${params.length}`);
  const values = new Map<string, Float32Array>();
  for (const p of params)
    values.set(
      p.name,
      floats(
        v.values.get(p.name),
        `${where}.values.${p.name}`,
        p.shape.reduce((a, b) => a * b, 1),
        p.kind === 'bn.running_var' ? 'a negative running variance' : null,
      ),
    );
  const opt = v.optimizer;
  if (!isObj(opt)) fail(`${where}.optimizer`, 'expected an object');
  const trainable = params.filter((p) => p.trainable).map((p) => p.shape.reduce((a, b) => a * b, 1));
  const moments = (k: 'm' | 'v') => {
    const list = arr(opt[k], `${where}.optimizer.${k}`, trainable.length);
    if (list.length !== trainable.length)
      fail(`${where}.optimizer.${k}`, `${list.length} moments, the model ${trainable.length} trainable parameters`);
    return list.map((a, i) => floats(a, `${where}.optimizer.${k}[${i}]`, trainable[i], k === 'v' ? 'a negative second moment' : null));
  };
  const step = int(v.step, `${where}.step`, 0, CONFIG_LIMITS.steps[1]);
  const rng = v.rng;
  if (
    !isObj(rng) ||
    !Array.isArray(rng.words) ||
    rng.words.length !== 4 ||
    !rng.words.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffffffff) ||
    !(rng.spare === null || (typeof rng.spare === 'number' && Number.isFinite(rng.spare)))
  )
    fail(`${where}.rng`, 'a malformed random generator state');
  const epochs = readEpochList(v.epochs, `${where}.epochs`);
  const epoch = int(v.epoch, `${where}.epoch`, 0, CONFIG_LIMITS.epochs[1]);
  if (epochs.length !== epoch) fail(`${where}.epochs`, `metrics of ${epochs.length} epochs, but ${epoch} completed`);
  epochs.forEach((e, i) => e.epoch !== i + 1 && fail(`${where}.epochs[${i}].epoch`, `${e.epoch}, expected ${i + 1}`));
  const optStep = int(opt.step, `${where}.optimizer.step`, 0, CONFIG_LIMITS.steps[1]);
  if (optStep !== step) fail(`${where}.optimizer.step`, `${optStep} steps, the run ${step}`);
  return {
    version: v.version,
    config,
    ...(classes ? { classes } : {}),
    epoch,
    step,
    values,
    optimizer: { step: optStep, lr: num(opt.lr, `${where}.optimizer.lr`, (x) => x > 0, 'a number > 0'), m: moments('m'), v: moments('v') },
    rng: { words: rng.words as TrainCheckpoint['rng']['words'], spare: rng.spare as number | null },
    epochs,
    steps: readStepLogs(v.steps, `${where}.steps`),
    imagesSeen: int(v.imagesSeen, `${where}.imagesSeen`),
    seconds: num(v.seconds, `${where}.seconds`, (x) => x >= 0, 'a finite number ≥ 0'),
    partial: readPartial(v.partial, `${where}.partial`),
  };
}
