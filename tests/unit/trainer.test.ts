// The training loop: no tensor leak across steps, repeatable from the seed, the per-epoch
// figures, max-steps and cancellation, and the baseline method.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { setupBackend, type BackendName } from '../../src/cli/node-backends.ts';
import { tf } from '../../src/engine/tf.ts';
import { kernelsFor } from '../../src/engine/kernel-table.ts';
import { createModel, disposeModel } from '../../src/engine/resnet.ts';
import { Adam, ADAM_DEFAULTS } from '../../src/engine/optim.ts';
import { ImagePipeline, PIPELINE_DEFAULTS, planViews } from '../../src/engine/augment.ts';
import { trainStep } from '../../src/engine/step.ts';
import { gatherImages, train } from '../../src/engine/trainer.ts';
import type { TrainCheckpoint } from '../../src/engine/checkpoint.ts';
import { defaultTrainConfig, type TrainConfig } from '../../src/engine/config.ts';
import { Rng } from '../../src/engine/rng.ts';
import { generateDemoDataset } from '../../src/data/demo.ts';
import { withSymmetricNoise } from '../../src/data/noise.ts';

const backend = (process.env.EAC_TEST_BACKEND ?? 'cpu') as BackendName;
before(async () => {
  await setupBackend(backend);
});

// Run-logic tests are backend-independent: they run in the wasm suite only (several times faster
// than the cpu backend; on SwiftShader's emulated WebGPU they would only cost CI time).
const runLogic = { skip: backend !== 'wasm' ? 'backend-independent run logic (runs in the wasm suite)' : false };

const dataset = generateDemoDataset({ seed: 0, trainCount: 24, testCount: 10 });

function tinyConfig(over: Partial<TrainConfig> = {}): TrainConfig {
  return { ...defaultTrainConfig('resnet18'), width: 2, size: 32, batchSize: 8, epochs: 2, evalBatchSize: 10, ...over };
}

for (const arch of ['resnet18', 'resnet50'] as const) {
  test(`no tensor leak: tensor count and bytes stay flat across EAC steps (${arch}, ${backend})`, async () => {
    const model = createModel({ arch, width: 2, numClasses: 7 }, new Rng(0));
    const opt = new Adam(model.trainable, { ...ADAM_DEFAULTS, lr: 1e-3 }, kernelsFor(tf.getBackend()).adam);
    const pipe = new ImagePipeline({ ...PIPELINE_DEFAULTS, size: 40 });
    const rng = new Rng(1);
    const idx = Int32Array.from({ length: 6 }, (_, i) => i);
    const labels = Int32Array.from(idx, (i) => dataset.train.labels[i]);
    const readings: { tensors: number; bytes: number; gpuBytes: number | null }[] = [];
    for (let step = 0; step < 4; step++) {
      const plan = planViews(rng, gatherImages(dataset.train, idx), idx.length, 100, 100, pipe.cfg);
      const { x1, x2 } = pipe.buildViews(plan);
      await trainStep(model, opt, { x1, x2, labels }, 'eac', 5, kernelsFor(tf.getBackend()));
      tf.dispose([x1, x2!]);
      const m = tf.memory() as ReturnType<typeof tf.memory> & { numBytesInGPU?: number };
      // WebGPU also reports the bytes of its GPU buffers in use.
      readings.push({ tensors: m.numTensors, bytes: m.numBytes, gpuBytes: m.numBytesInGPU ?? null });
    }
    // After the first step (which creates the optimiser's lazily cached tensors), nothing grows.
    assert.deepEqual(readings.slice(1), [readings[1], readings[1], readings[1]], JSON.stringify(readings));
    if (backend === 'webgpu') assert.ok(readings[1].gpuBytes !== null && readings[1].gpuBytes > 0, 'WebGPU reports GPU bytes');
    opt.dispose();
    pipe.dispose();
    disposeModel(model);
    const after = tf.memory().numTensors;
    assert.ok(after < readings[0].tensors, `disposing everything frees the tensors (${after} left)`);
  });
}

test(`a run is repeatable from its seed, and another seed differs (${backend})`, runLogic, async () => {
  const a = await train(dataset, tinyConfig({ seed: 3 }), { logSteps: true });
  const b = await train(dataset, tinyConfig({ seed: 3 }), { logSteps: true });
  const c = await train(dataset, tinyConfig({ seed: 4 }), { logSteps: true });
  assert.equal(a.steps.length, 6); // 24 images / batch 8 = 3 steps × 2 epochs
  assert.deepEqual(a.steps, b.steps);
  assert.deepEqual(
    a.epochs.map((e) => e.testAcc),
    b.epochs.map((e) => e.testAcc),
  );
  assert.notDeepEqual(
    a.steps.map((s) => s.loss),
    c.steps.map((s) => s.loss),
  );
});

test('per-epoch figures: loss parts, accuracies against noisy and clean labels, lr decay, last-5 mean', runLogic, async () => {
  const { dataset: noisy, report } = withSymmetricNoise(dataset, 0.5, 1);
  assert.ok(report.changed > 0);
  const r = await train(noisy, tinyConfig({ epochs: 3, gamma: 0.5, lr: 1e-3 }), { logSteps: true });
  assert.equal(r.epochs.length, 3);
  for (const e of r.epochs) {
    assert.ok(Number.isFinite(e.loss) && Number.isFinite(e.ce) && Number.isFinite(e.consistency));
    // loss = ce + λ·consistency holds for the epoch means too.
    assert.ok(Math.abs(e.loss - (e.ce + 5 * e.consistency)) < 1e-4 * (1 + e.loss));
    for (const acc of [e.trainAccNoisy, e.trainAccClean, e.testAcc]) assert.ok(acc >= 0 && acc <= 1);
    assert.equal(
      e.test.confusion.flat().reduce((x, y) => x + y, 0),
      dataset.test.labels.length,
    );
    assert.ok(e.memorisation.flipped > 0);
    assert.ok(e.seconds > 0 && e.imagesPerSecond > 0);
  }
  assert.deepEqual(
    r.epochs.map((e) => e.lr),
    [1e-3, 5e-4, 2.5e-4],
  );
  // The epoch loss is the mean of its steps' losses.
  const epoch1 = r.steps.filter((s) => s.epoch === 1).map((s) => s.loss);
  assert.ok(Math.abs(r.epochs[0].loss - epoch1.reduce((x, y) => x + y, 0) / epoch1.length) < 1e-6);
  assert.equal(r.summary.testAccLast5, r.epochs.reduce((s, e) => s + e.testAcc, 0) / 3);
  // With 50% flipped labels, accuracy against noisy and clean labels must differ somewhere.
  assert.ok(r.epochs.some((e) => e.trainAccNoisy !== e.trainAccClean));
});

test('max-steps stops mid-epoch and still evaluates; cancellation stops the run', runLogic, async () => {
  const r = await train(dataset, tinyConfig({ maxSteps: 4, epochs: 5 }), {});
  assert.equal(r.summary.steps, 4);
  assert.equal(r.summary.stoppedBy, 'max-steps');
  assert.deepEqual(
    r.epochs.map((e) => e.steps),
    [3, 1],
  );
  // Steps are pipelined: when step 2 is reported, step 3 is already queued, so the run stops
  // after it (the stop comes after the step in flight, never in the middle of one).
  const controller = new AbortController();
  const c = await train(dataset, tinyConfig({ epochs: 5 }), {
    signal: controller.signal,
    onStep: (p) => {
      if (p.step === 2) controller.abort();
    },
  });
  assert.equal(c.summary.steps, 3);
  assert.equal(c.summary.stoppedBy, 'cancelled');
  assert.equal(c.epochs.length, 0);
});

test('the baseline has no consistency term and one pass', runLogic, async () => {
  const r = await train(dataset, tinyConfig({ method: 'baseline', epochs: 1 }), { logSteps: true });
  assert.ok(r.steps.every((s) => s.consistency === 0 && s.loss === s.ce));
});

test(`a whole run frees every tensor it made (model, optimiser, pipeline) (${backend})`, async () => {
  const before = tf.memory().numTensors;
  await train(dataset, tinyConfig({ epochs: 1 }), {});
  assert.equal(tf.memory().numTensors, before);
});

test('a run resumed from an epoch checkpoint continues exactly as if uninterrupted (resume)', runLogic, async () => {
  const config = tinyConfig({ epochs: 2 });
  let straightValues: Map<string, Float32Array> | null = null;
  const checkpoints: TrainCheckpoint[] = [];
  const inspected: number[] = [];
  const straight = await train(dataset, config, {
    logSteps: true,
    // What a worker stores in IndexedDB is a structured clone.
    onCheckpoint: (c) => {
      checkpoints.push(structuredClone(c));
    },
    inspect: async (_m, _p, epoch) => {
      inspected.push(epoch);
    },
    keepModel: (v) => {
      straightValues = v;
    },
  });
  assert.deepEqual(
    checkpoints.map((c) => c.epoch),
    [1, 2],
  );
  assert.deepEqual(inspected, [0, 1, 2]);
  let resumedValues: Map<string, Float32Array> | null = null;
  let paused = 0;
  const resumed = await train(dataset, config, {
    logSteps: true,
    resume: checkpoints[0],
    keepModel: (v) => {
      resumedValues = v;
    },
    // A pause between steps changes nothing.
    gate: async () => {
      paused++;
      await new Promise((r) => setTimeout(r, 1));
    },
  });
  assert.ok(paused > 0);
  const strip = (e: { seconds: number; imagesPerSecond: number }) => ({ ...e, seconds: 0, imagesPerSecond: 0 });
  assert.deepEqual(resumed.epochs.map(strip), straight.epochs.map(strip));
  assert.deepEqual(resumed.steps, straight.steps);
  assert.equal(resumed.summary.steps, straight.summary.steps);
  for (const [k, v] of straightValues!) assert.deepEqual(resumedValues!.get(k), v, k);
  // A checkpoint of another configuration is refused with the reason.
  await assert.rejects(train(dataset, { ...config, lr: 1 }, { resume: checkpoints[0] }), /cannot resume: .*lr/);
});

test('a run checkpointed within an epoch, cancelled there and resumed, ends bit-identical to an uninterrupted run', runLogic, async () => {
  const config = tinyConfig({ epochs: 2 });
  const strip = (e: { seconds: number; imagesPerSecond: number }) => ({ ...e, seconds: 0, imagesPerSecond: 0 });
  let straightValues: Map<string, Float32Array> | null = null;
  const checkpoints: TrainCheckpoint[] = [];
  const straight = await train(dataset, config, {
    logSteps: true,
    checkpointEvery: { steps: 1 },
    onCheckpoint: (c) => {
      checkpoints.push(structuredClone(c));
    },
    keepModel: (v) => {
      straightValues = v;
    },
  });
  // 3 steps per epoch: two within-epoch checkpoints, then the epoch's own.
  assert.deepEqual(
    checkpoints.map((c) => [c.step, c.epoch, c.partial?.position ?? null]),
    [
      [1, 0, 1],
      [2, 0, 2],
      [3, 1, null],
      [4, 1, 1],
      [5, 1, 2],
      [6, 2, null],
    ],
  );
  assert.equal(straight.unfinishedEpoch, null);

  const finish = async (from: TrainCheckpoint) => {
    let values: Map<string, Float32Array> | null = null;
    const r = await train(dataset, config, {
      logSteps: true,
      resume: structuredClone(from),
      keepModel: (v) => {
        values = v;
      },
    });
    assert.deepEqual(r.epochs.map(strip), straight.epochs.map(strip), `epochs after resuming at step ${from.step}`);
    assert.deepEqual(r.steps, straight.steps);
    assert.equal(r.summary.steps, straight.summary.steps);
    for (const [k, v] of straightValues!) assert.deepEqual(values!.get(k), v, `${k} after resuming at step ${from.step}`);
  };
  for (const c of checkpoints.filter((c) => c.partial)) await finish(c);

  // Cancelled when step 4 is reported (within epoch 2), so after step 5, the step in flight: the
  // run reports the unfinished epoch and checkpoints where it stopped.
  const controller = new AbortController();
  const stopped: TrainCheckpoint[] = [];
  const cancelled = await train(dataset, config, {
    logSteps: true,
    signal: controller.signal,
    checkpointEvery: { seconds: 3600 },
    onCheckpoint: (c) => {
      stopped.push(structuredClone(c));
    },
    onStep: (p) => {
      if (p.step === 4) controller.abort();
    },
  });
  assert.equal(cancelled.summary.stoppedBy, 'cancelled');
  assert.equal(cancelled.summary.steps, 5);
  assert.deepEqual(cancelled.unfinishedEpoch && [cancelled.unfinishedEpoch.epoch, cancelled.unfinishedEpoch.steps], [2, 2]);
  assert.equal(cancelled.unfinishedEpoch!.loss, (straight.steps[3].loss + straight.steps[4].loss) / 2);
  const last = stopped[stopped.length - 1];
  assert.deepEqual([last.step, last.epoch, last.partial?.position], [5, 1, 2]);
  await finish(last);

  // A position that does not fit the training split is refused, not trained on.
  const bad = structuredClone(last);
  bad.partial!.order[0] = bad.partial!.order[1];
  await assert.rejects(train(dataset, config, { resume: bad }), /cannot resume: .*not a permutation/);
});

test('a checkpoint asked for (the page is hidden) comes after the current step, whatever the cadence', runLogic, async () => {
  const config = tinyConfig({ epochs: 2 });
  const at: [number, number | null][] = [];
  let asks = 0;
  await train(dataset, config, {
    checkpointEvery: { seconds: 3600 },
    // Asked once, when step 4 is reported (within epoch 2): the next due check, after step 5 is encoded, takes it.
    checkpointAsked: () => {
      const asked = asks === 1;
      if (asked) asks = 2;
      return asked;
    },
    onStep: (p) => {
      if (p.step === 4 && asks === 0) asks = 1;
    },
    onCheckpoint: (c) => {
      at.push([c.step, c.partial?.position ?? null]);
    },
  });
  // The epochs' own checkpoints (steps 3 and 6), and the one asked for, within epoch 2.
  assert.deepEqual(at, [
    [3, null],
    [5, 2],
    [6, null],
  ]);
});

test('pipelined steps (each read one step late) give the run of one step at a time, and stop at the NaN step', runLogic, async () => {
  // The same run, pipelined (the default) and step by step: identical steps, epochs and weights.
  const kept: Map<string, Float32Array>[] = [];
  const piped = await train(dataset, tinyConfig({ seed: 5 }), { logSteps: true, keepModel: (v) => void kept.push(v) });
  const stepwise = await train(dataset, tinyConfig({ seed: 5 }), { logSteps: true, pipelined: false, keepModel: (v) => void kept.push(v) });
  assert.deepEqual(piped.steps, stepwise.steps);
  assert.deepEqual(
    piped.epochs,
    stepwise.epochs.map((e, i) => ({ ...e, seconds: piped.epochs[i].seconds, imagesPerSecond: piped.epochs[i].imagesPerSecond })),
  );
  for (const [name, v] of kept[0]) assert.deepEqual(v, kept[1].get(name), name);

  // A learning rate that makes the weights overflow (Adam steps by about lr): both stop
  // at the same step, having reported the
  // steps before it and no step after it, though the pipelined run had queued the next one.
  const blowUp = tinyConfig({ seed: 5, lr: 1e38, epochs: 3 });
  const stop = async (pipelined: boolean) => {
    const seen: number[] = [];
    const err = await train(dataset, blowUp, { pipelined, onStep: (p) => void seen.push(p.step) }).then(
      () => null,
      (e: Error) => e,
    );
    return { message: err?.message ?? 'no error', seen };
  };
  const [a, b] = [await stop(true), await stop(false)];
  assert.match(a.message, /^the loss became (NaN|-?Infinity) at step (\d+)/);
  assert.deepEqual(a, b);
  const nanStep = Number(/at step (\d+)/.exec(a.message)![1]);
  assert.deepEqual(
    a.seen,
    Array.from({ length: nanStep - 1 }, (_, i) => i + 1),
  );
});
