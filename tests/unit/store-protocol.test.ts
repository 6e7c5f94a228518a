// The lab's run, backend and settings stores (src/ui/worker-messages.ts writes them) as the
// worker's messages drive them, and the message protocol's
// shapes: a run's life (started → steps → epochs → attention → checkpoint → done), messages of
// other runs ignored, pause/holding, a resumed run's history, errors with their kind. That the
// messages the worker builds survive postMessage's structured clone is checked on a real run
// session's messages in train-worker.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { reduceRun, isRunning, type RunState, useRun } from '../../src/ui/current-run-store.ts';
import { useBackend } from '../../src/ui/backend-store.ts';
import { useSettings } from '../../src/ui/settings-store.ts';
import { receiveWorkerMessages, receiveWorkerMessage } from '../../src/ui/worker-messages.ts';
import type { FromWorker, StartedMessage } from '../../src/worker/protocol.ts';
import { defaultTrainConfig } from '../../src/engine/config.ts';
import type { EpochMetrics } from '../../src/engine/run-types.ts';
import { chosenLabelFile, DEFAULT_SETTINGS, dataOptionsOf, PRESETS, parseSettings, type PresetName } from '../../src/ui/settings.ts';
import { interruptedText, resumeLabel } from '../../src/ui/checkpoint-text.ts';

const config = { ...defaultTrainConfig('resnet18'), width: 4, size: 32, epochs: 3 };
const data = { kind: 'demo' as const, seed: 0, trainCount: 32, testCount: 16, noiseRate: 0.3, noiseSeed: 0 };

function started(runId: number, over: Partial<StartedMessage> = {}): StartedMessage {
  return {
    type: 'started',
    runId,
    config,
    data,
    weights: null,
    flippedLabels: 9,
    trainCount: 32,
    testCount: 16,
    runKey: 'k1',
    resumedFrom: 0,
    history: { epochs: [], steps: [] },
    labelsHash: 'abcd',
    ...over,
  };
}

const epoch = (n: number, testAcc = 0.5): EpochMetrics => ({
  epoch: n,
  steps: 2,
  loss: 1,
  ce: 0.9,
  consistency: 0.02,
  trainAccNoisy: 0.4,
  trainAccClean: 0.3,
  memorisation: { flipped: 9, predictedNoisy: 0.1, predictedClean: 0.2 },
  testAcc,
  test: { accuracy: testAcc, perClass: [], confusion: [] } as unknown as EpochMetrics['test'],
  lr: 1e-3,
  seconds: 1,
  imagesPerSecond: 32,
});

function fresh(id = 7): RunState {
  useRun.getState().beginRun(id, DEFAULT_SETTINGS, 'k1');
  return useRun.getState().run;
}

test('a run through its messages: steps, epochs, attention frames in epoch order, checkpoint, done', () => {
  const msgs: FromWorker[] = [
    started(7),
    {
      type: 'progress',
      runId: 7,
      phase: 'train',
      epoch: 1,
      epochs: 3,
      step: 1,
      stepInEpoch: 1,
      stepsPerEpoch: 2,
      totalSteps: 6,
      imagesPerSecond: 3,
      etaSeconds: 10,
    },
    {
      type: 'step',
      runId: 7,
      points: [
        { step: 1, epoch: 1, loss: 2, ce: 1.9, consistency: 0.02 },
        { step: 2, epoch: 1, loss: 1.8, ce: 1.7, consistency: 0.02 },
      ],
    },
    { type: 'attention-views', runId: 7, views: { size: 32, mapHeight: 1, mapWidth: 1, numClasses: 7, samples: [] } },
    { type: 'attention', runId: 7, frame: { epoch: 1, samples: [] } },
    { type: 'attention', runId: 7, frame: { epoch: 0, samples: [] } },
    { type: 'epoch', runId: 7, metrics: epoch(1) },
    { type: 'checkpoint', runId: 7, epoch: 1, step: 4, partial: false, bytes: 1000 },
    {
      type: 'done',
      runId: 7,
      summary: { testAccLast5: 0.5, finalTestAcc: 0.5, bestTestAcc: 0.5, epochs: 1, steps: 2, seconds: 3, stoppedBy: 'completed' },
    },
  ];
  let run = fresh();
  assert.equal(run.status, 'starting');
  for (const m of msgs) run = reduceRun(run, m);
  assert.equal(run.steps.length, 2);
  assert.deepEqual(
    run.epochs.map((e) => e.epoch),
    [1],
  );
  assert.deepEqual(
    run.attention.frames.map((f) => f.epoch),
    [0, 1],
  );
  assert.equal(run.checkpointEpoch, 1);
  assert.equal(run.status, 'done');
  assert.equal(run.runKey, 'k1');
  assert.equal(isRunning(run.status), false);
});

test('messages about another run are ignored; the backend message updates the backend only', () => {
  const run = fresh(8);
  assert.equal(reduceRun(run, { type: 'step', runId: 99, points: [{ step: 1, epoch: 1, loss: 1, ce: 1, consistency: 0 }] }), run);
  assert.equal(reduceRun(run, { type: 'epoch', runId: 7, metrics: epoch(1) }), run);
  receiveWorkerMessage({
    type: 'backend',
    name: 'wasm',
    adapter: null,
    reason: 'WebGPU unavailable: x. Using WebAssembly',
    attempts: [],
    versions: { tfjs: '4.22.0' },
    memory: null,
  });
  assert.equal(useBackend.getState().backend.name, 'wasm');
  assert.equal(useBackend.getState().backend.versions.tfjs, '4.22.0');
  assert.equal(useRun.getState().run, run);
});

test('pause: paused at once on the page, holding once the worker waits; a step ends holding', () => {
  fresh(9);
  useRun.getState().markPaused(true);
  assert.deepEqual([useRun.getState().run.paused, useRun.getState().run.holding], [true, false]);
  receiveWorkerMessage({ type: 'paused', runId: 9, paused: true, holding: true });
  assert.equal(useRun.getState().run.holding, true);
  receiveWorkerMessage({ type: 'paused', runId: 9, paused: false, holding: false });
  assert.deepEqual([useRun.getState().run.paused, useRun.getState().run.holding], [false, false]);
});

test('a resumed run starts from its stored history, and the form shows its settings', () => {
  useRun.getState().beginRun(10, null, 'k2');
  receiveWorkerMessage(
    started(10, {
      runKey: 'k2',
      resumedFrom: 2,
      history: { epochs: [epoch(1), epoch(2)], steps: [{ step: 1, epoch: 1, loss: 1, ce: 1, consistency: 0 }] },
    }),
  );
  const s = { run: useRun.getState().run, draft: useSettings.getState().draft };
  assert.deepEqual(
    s.run.epochs.map((e) => e.epoch),
    [1, 2],
  );
  assert.equal(s.run.steps.length, 1);
  assert.equal(s.run.checkpointEpoch, 2);
  assert.equal(s.draft.width, '4');
  assert.equal(s.draft.size, '32');
  assert.equal(s.draft.noiseRate, '0.3');
});

test('errors carry their kind and the last good checkpoint', () => {
  let run = reduceRun(fresh(11), started(11));
  run = reduceRun(run, { type: 'checkpoint', runId: 11, epoch: 2, step: 9, partial: true, bytes: 1 });
  run = reduceRun(run, {
    type: 'error',
    runId: 11,
    message: 'the loss became NaN at step 5 (epoch 3); lower the learning rate; the last good checkpoint (epoch 2) is kept',
    kind: 'nan',
    checkpointEpoch: 2,
  });
  assert.equal(run.status, 'error');
  assert.equal(run.errorKind, 'nan');
  assert.equal(run.checkpointEpoch, 2);
  assert.deepEqual([run.checkpointStep, run.checkpointPartial], [9, true], 'a checkpoint within epoch 3, at step 9');
  assert.equal(resumeLabel(run.checkpointEpoch!, run.checkpointStep, run.checkpointPartial), 'Resume from step 9 (epoch 3)');
  assert.equal(resumeLabel(2, 8, false), 'Resume from epoch 2');
  assert.equal(resumeLabel(2, undefined, undefined), 'Resume from epoch 2', 'a record of an older version');
  // The resume offer counts epochs as its button does (issue 23: "epoch 0 of 2" beside "(epoch 1)").
  assert.equal(interruptedText(0, 2, 324, true), 'was interrupted in epoch 1 of 2, at step 324');
  assert.match(resumeLabel(0, 324, true), /\(epoch 1\)$/);
  assert.equal(interruptedText(1, 2, 8, false), 'was interrupted after epoch 1 of 2');
  assert.match(run.error ?? '', /last good checkpoint \(epoch 2\)/);
});

test('attention samples picked by the user: numbers or names, 1-based, deduplicated; bad input explained', async () => {
  const { parseAttentionPick, attentionOptionsOf } = await import('../../src/ui/settings.ts');
  assert.deepEqual(parseAttentionPick(''), { indices: null, error: null });
  assert.deepEqual(parseAttentionPick('5, 12 40,5 train_00003.jpg').indices, [2, 4, 11, 39]);
  assert.match(parseAttentionPick('0, x').error ?? '', /from 1/);
  assert.deepEqual(attentionOptionsOf(DEFAULT_SETTINGS, [2, 4]), { count: 2, seed: DEFAULT_SETTINGS.seed, indices: [2, 4] });
  assert.deepEqual(attentionOptionsOf(DEFAULT_SETTINGS), { count: DEFAULT_SETTINGS.attentionCount, seed: DEFAULT_SETTINGS.seed });
});

test('receiveAll: a batch of messages gives the same state as one by one, in one store update', () => {
  const batch: FromWorker[] = [
    started(7),
    {
      type: 'progress',
      runId: 7,
      phase: 'train',
      epoch: 1,
      epochs: 3,
      step: 1,
      stepInEpoch: 1,
      stepsPerEpoch: 2,
      totalSteps: 6,
      imagesPerSecond: 3,
      etaSeconds: 10,
    },
    { type: 'step', runId: 7, points: [{ step: 1, epoch: 1, loss: 2, ce: 1.9, consistency: 0.02 }] },
    { type: 'step', runId: 8, points: [{ step: 9, epoch: 1, loss: 9, ce: 9, consistency: 9 }] },
    { type: 'step', runId: 7, points: [{ step: 2, epoch: 1, loss: 1.8, ce: 1.7, consistency: 0.02 }] },
    {
      type: 'progress',
      runId: 7,
      phase: 'train',
      epoch: 1,
      epochs: 3,
      step: 2,
      stepInEpoch: 2,
      stepsPerEpoch: 2,
      totalSteps: 6,
      imagesPerSecond: 4,
      etaSeconds: 8,
    },
  ];
  fresh();
  for (const m of batch) receiveWorkerMessage(m);
  const oneByOne = useRun.getState().run;

  fresh();
  let updates = 0;
  const stop = useRun.subscribe(() => updates++);
  receiveWorkerMessages(batch);
  stop();
  const batched = useRun.getState().run;
  assert.equal(updates, 1);
  assert.deepEqual({ ...batched, startedAt: 0 }, { ...oneByOne, startedAt: 0 });
  assert.deepEqual(
    batched.steps.map((p) => p.step),
    [1, 2],
  );
  assert.equal(batched.progress?.phase === 'train' ? batched.progress.step : null, 2);
  assert.equal(batched.status, 'training');

  // A batch that changes nothing notifies nobody.
  updates = 0;
  const stop2 = useRun.subscribe(() => updates++);
  receiveWorkerMessages([{ type: 'step', runId: 99, points: [] }]);
  stop2();
  assert.equal(updates, 0);
});

test('every preset fills the form with settings that pass its own checks', () => {
  for (const name of Object.keys(PRESETS) as PresetName[]) {
    useSettings.getState().applyPreset(name);
    const parsed = parseSettings(useSettings.getState().draft);
    assert.deepEqual(parsed.errors, null, `preset ${name}`);
    assert.deepEqual(parsed.settings, PRESETS[name], `preset ${name}`);
  }
  // The measured EAC-vs-baseline demo (docs/demo-dataset.md) is noisy, with λ 1.
  assert.equal(PRESETS.noise.noiseRate, 0.2);
  assert.equal(PRESETS.noise.lam, 1);
});

test("a new run's started message keeps the empty step and epoch arrays (no chart redraws for nothing); a restart with steps replaces them", () => {
  const run = fresh();
  const afterStart = reduceRun(run, started(7));
  assert.equal(afterStart.steps, run.steps, 'the same empty array');
  assert.equal(afterStart.epochs, run.epochs);
  const stepped = reduceRun(afterStart, { type: 'step', runId: 7, points: [{ step: 1, epoch: 1, loss: 2, ce: 1.9, consistency: 0.02 }] });
  // Restarted on another backend: starts over from the (empty) history.
  const restarted = reduceRun(stepped, started(7));
  assert.deepEqual(restarted.steps, []);
});

test('a chosen label file is trained on as it is: no synthetic noise is laid over it', () => {
  const s = { ...DEFAULT_SETTINGS, noiseRate: 0.2, noiseSeed: 3 };
  const file = { kind: 'cached', key: 'k', name: 'RAF-DB basic', labelFile: 'noise02.txt' } as const;
  assert.deepEqual(dataOptionsOf(s, file), {
    kind: 'cached',
    key: 'k',
    name: 'RAF-DB basic',
    labelFile: 'noise02.txt',
    noiseRate: 0,
    noiseSeed: 3,
  });
  assert.equal(chosenLabelFile(file), 'noise02.txt');
  assert.equal(dataOptionsOf(s, { ...file, labelFile: null }).noiseRate, 0.2, 'clean labels: the synthetic rate applies');
  assert.equal(dataOptionsOf(s).noiseRate, 0.2, 'demo faces: the synthetic rate applies');
  assert.equal(chosenLabelFile({ kind: 'demo' }), null);
});
