// ResNet-50's two layouts (resnet-layout.ts) outside the numbers (tests/unit/golden.test.ts checks
// the torchvision layout against PyTorch): the graph is the Caffe one with each downsampling
// block's stride moved from its first 1×1 conv to its 3×3 and the stem's max-pool padded; the
// parameters are the same; the setting is read (old files: caffe), refused, passed by the CLI and
// the sweep; weights bring their layout (detected, said by a flag, or by the lab's own exports'
// metadata); a model of one layout does not train a run of the other.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setupBackend, type BackendName } from '../../src/cli/node-backends.ts';
import { describeResNet, listParams } from '../../src/engine/resnet-layout.ts';
import { createModel, disposeModel, readValues } from '../../src/engine/resnet.ts';
import { resnetGraph } from '../../src/engine/resnet-graph.ts';
import { defaultTrainConfig, validateTrainConfig } from '../../src/engine/config.ts';
import { readConfig } from '../../src/engine/run-check.ts';
import { checkpointMismatch, type TrainCheckpoint } from '../../src/engine/checkpoint.ts';
import { train } from '../../src/engine/trainer.ts';
import { Rng } from '../../src/engine/rng.ts';
import { generateDemoDataset } from '../../src/data/demo.ts';
import { configFromFlags } from '../../src/cli/train.ts';
import { newRunArgs } from '../../src/cli/sweep-plan.ts';
import { exportModelSafetensors } from '../../src/weights/export.ts';
import { loadWeights } from '../../src/weights/load.ts';
import { inspectWeights } from '../../src/weights/inspect.ts';

const backend = (process.env.EAC_TEST_BACKEND ?? 'cpu') as BackendName;
before(async () => {
  await setupBackend(backend);
});

test('the torchvision layout is the Caffe graph with the stride on the 3×3 conv and a padded max-pool', () => {
  const caffe = describeResNet({ arch: 'resnet50', width: 4, numClasses: 7 });
  const tv = describeResNet({ arch: 'resnet50', layout: 'torchvision', width: 4, numClasses: 7 });
  assert.deepEqual(listParams(tv), listParams(caffe), 'the same parameters, names and shapes');
  assert.deepEqual(caffe.pool, { k: 3, stride: 2, pad: 0, ceil: true });
  assert.deepEqual(tv.pool, { k: 3, stride: 2, pad: 1, ceil: false });
  let moved = 0;
  tv.blocks.forEach((b, i) => {
    const c = caffe.blocks[i];
    assert.deepEqual(b.downsample, c.downsample, `${b.prefix}: the shortcut is the same`);
    const s = c.convs[0].conv.stride;
    if (s === 2) moved++;
    // The Caffe block's stride, moved from conv1 (1×1) to conv2 (3×3); nothing else differs.
    assert.deepEqual(
      b.convs.map((x) => ({ ...x.conv, stride: 0 })),
      c.convs.map((x) => ({ ...x.conv, stride: 0 })),
    );
    assert.deepEqual(
      b.convs.map((x) => x.conv.stride),
      [1, s, 1],
      b.prefix,
    );
    assert.deepEqual(
      c.convs.map((x) => x.conv.stride),
      [s, 1, 1],
      c.prefix,
    );
  });
  assert.equal(moved, 3, 'layer2.0, layer3.0 and layer4.0 downsample');
  // The pass graph (what the step program replays) is built from the spec: its convs carry the strides.
  const strided = resnetGraph(tv)
    .layers.filter((l) => l.kind === 'conv-bn' && l.conv.stride === 2)
    .map((l) => (l.kind === 'conv-bn' ? l.conv.name : ''));
  assert.deepEqual(strided, [
    'conv1',
    'layer2.0.downsample.0',
    'layer2.0.conv2',
    'layer3.0.downsample.0',
    'layer3.0.conv2',
    'layer4.0.downsample.0',
    'layer4.0.conv2',
  ]);
  // ResNet-18 has one layout.
  assert.deepEqual(describeResNet({ arch: 'resnet18', layout: 'torchvision', width: 4, numClasses: 7 }), {
    ...describeResNet({ arch: 'resnet18', width: 4, numClasses: 7 }),
    config: { arch: 'resnet18', layout: 'torchvision', width: 4, numClasses: 7 },
  });
});

test('the setting: defaults, old files, refusals, checkpoints, the CLI flag and the sweep', () => {
  assert.equal(defaultTrainConfig().layout, 'caffe');
  const { layout: _, ...old } = defaultTrainConfig();
  assert.equal(readConfig(old, 'run.config').layout, 'caffe', 'a run file from before the setting reads as caffe');
  assert.equal(readConfig({ ...old, layout: 'torchvision' }, 'run.config').layout, 'torchvision');
  assert.throws(() => readConfig({ ...old, layout: 'v1.5' }, 'run.config'), /run\.config\.layout: expected one of caffe, torchvision/);
  assert.throws(() => validateTrainConfig({ ...defaultTrainConfig(), layout: 'keras' as never }), /layout must be caffe or torchvision/);
  const ckpt = { version: 2, config: old, epoch: 1 } as unknown as TrainCheckpoint;
  assert.equal(checkpointMismatch(ckpt, defaultTrainConfig()), null, 'an old checkpoint resumes a Caffe-layout run');
  assert.match(checkpointMismatch(ckpt, { ...defaultTrainConfig(), layout: 'torchvision' }) ?? '', /another layout/);
  assert.equal(configFromFlags({ layout: 'torchvision' }).layout, 'torchvision');
  assert.throws(() => configFromFlags({ layout: 'keras' }), /--layout must be one of caffe, torchvision, got "keras"/);
  const args = newRunArgs(
    {
      methods: ['eac'],
      noiseRates: [0],
      seeds: [0],
      config: { arch: 'resnet50', layout: 'torchvision' },
      data: { kind: 'demo', seed: 0, trainCount: 16, testCount: 8, noiseRate: 0, noiseSeed: 0 },
      weights: null,
    },
    { id: 'eac-n0-s0', method: 'eac', noiseRate: 0, seed: 0 } as never,
    '/tmp/sweep',
    { backend: 'wasm', logSteps: false, every: [] },
  );
  assert.equal(args[args.indexOf('--layout') + 1], 'torchvision');
});

const fixture = () => new Uint8Array(readFileSync(new URL('../fixtures/weights/resnet50_caffe_w2_h10_p4.pkl', import.meta.url)));

test("weights bring their layout: detected, said by the caller, or by the lab's export metadata", async () => {
  // Nothing in a plain state_dict says Caffe: taken as torchvision's (ImageNet weights); a caller may say caffe.
  assert.equal(loadWeights(fixture(), { fileName: 'backbone.pkl' }).spec.config.layout, 'torchvision');
  assert.equal(loadWeights(fixture(), { fileName: 'backbone.pkl', layout: 'caffe' }).spec.config.layout, 'caffe');
  assert.equal(loadWeights(fixture(), { fileName: 'resnet50_ft_weight.pkl' }).spec.config.layout, 'caffe');
  // The lab's export writes official keys (which alone would read as Caffe) and its layout.
  const model = createModel({ arch: 'resnet50', layout: 'torchvision', width: 2, numClasses: 7 }, new Rng(1));
  const values = await readValues(model);
  disposeModel(model);
  for (const layout of ['torchvision', 'caffe'] as const) {
    const bytes = exportModelSafetensors('resnet50', 2, values, {}, layout);
    const back = loadWeights(bytes, { fileName: 'eac-run.safetensors' });
    assert.equal(back.spec.config.layout, layout);
    assert.equal(back.report.archReason, `the file's metadata says layout ${layout}`);
    assert.equal(inspectWeights(bytes).arch, layout === 'torchvision' ? 'resnet50-torchvision' : 'resnet50-caffe');
    // A caller's word still wins over the metadata.
    const other = layout === 'caffe' ? 'torchvision' : 'caffe';
    assert.equal(loadWeights(bytes, { layout: other }).spec.config.layout, other);
  }
});

test('a model of one layout does not train a run of the other', async () => {
  const dataset = generateDemoDataset({ seed: 0, trainCount: 4, testCount: 2 });
  const model = createModel({ arch: 'resnet50', layout: 'torchvision', width: 2, numClasses: 7 }, new Rng(0));
  try {
    const config = { ...defaultTrainConfig('resnet50'), width: 2, size: 32, epochs: 1, batchSize: 4 };
    await assert.rejects(
      train(dataset, config, { model }),
      /the weights are a ResNet-50 in the torchvision layout, the run asks for the caffe layout \(set it to torchvision\)/,
    );
  } finally {
    disposeModel(model);
  }
});

test("eac train --weights trains in the weights' layout, --layout overrides it, --save writes it", { timeout: 240_000 }, async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'eac-layout-'));
  const weights = path.join(dir, 'backbone.pkl');
  writeFileSync(weights, fixture());
  const run = (...extra: string[]) => {
    const out = path.join(dir, `run${extra.length}.json`);
    const save = path.join(dir, `model${extra.length}.safetensors`);
    const r = spawnSync(
      process.execPath,
      [
        new URL('../../bin/eac.js', import.meta.url).pathname,
        'train',
        '--demo',
        '--demo-train',
        '8',
        '--demo-test',
        '4',
        '--weights',
        weights,
        '--size',
        '32',
        '--epochs',
        '1',
        '--batch-size',
        '8',
        '--backend',
        'cpu',
        '--out',
        out,
        '--save',
        save,
        ...extra,
      ],
      { encoding: 'utf8' },
    );
    assert.equal(r.status, 0, r.stderr);
    return {
      stderr: r.stderr,
      config: JSON.parse(readFileSync(out, 'utf8')).config,
      saved: loadWeights(new Uint8Array(readFileSync(save))),
    };
  };
  const detected = run();
  assert.equal(detected.config.layout, 'torchvision');
  assert.match(detected.stderr, /taken as torchvision's layout/);
  assert.equal(detected.saved.spec.config.layout, 'torchvision', 'the saved model says its layout');
  const said = run('--layout', 'caffe');
  assert.equal(said.config.layout, 'caffe');
  assert.equal(said.saved.spec.config.layout, 'caffe');
});
