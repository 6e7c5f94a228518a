// The lab's pure run-bar and naming logic (issue 16): why a Train click cannot start and its fix,
// which labels a run trains on, the active preset and the Official recipe's weights, distinct run
// names, the classroom's default run, the model download's name and the unlabelled-files line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dataProblem, memoryProblem, refusalProblem, settingsProblem, weightsProblem } from '../../src/ui/run/start-problem.ts';
import { estimateRun, PAPER_RECIPE, runFixes } from '../../src/engine/run-estimate.ts';
import { WASM_HEAP_BYTES } from '../../src/engine/memory-fit.ts';
import { labelsText } from '../../src/ui/run/labels-text.ts';
import { activePreset, weightsFor } from '../../src/ui/run/preset-match.ts';
import { distinctLabels, distinctNames } from '../../src/ui/run/run-names.ts';
import { defaultRun } from '../../src/ui/classroom/classroom-store.ts';
import { modelFileName } from '../../src/ui/export/run-export.ts';
import { unlabelledText } from '../../src/ui/components/unlabelled-text.ts';
import { coarseMapsWarning, mapSideFor } from '../../src/engine/coarse-maps.ts';
import { defaultEmbeddingCount, embeddingSeconds, ratesFromTraining } from '../../src/ui/classroom/embedding-estimate.ts';
import { dataOptionsOf, DEMO_SETTINGS, draftOf, OFFICIAL_SETTINGS, parseSettings, settingsOfRun } from '../../src/ui/settings.ts';
import { defaultTrainConfig } from '../../src/engine/config.ts';

test('weightsProblem: weights of another backbone or width refuse the run and offer theirs', () => {
  const w = { name: 'resnet50_ft_weight.pkl', arch: 'resnet50' as const, width: 64 };
  assert.equal(weightsProblem(null, { arch: 'resnet18', width: 8 }), null);
  assert.equal(weightsProblem(w, { arch: 'resnet50', width: 64 }), null);
  const p = weightsProblem(w, { arch: 'resnet18', width: 8 });
  assert.match(p?.message ?? '', /“resnet50_ft_weight\.pkl” are a ResNet-50 width 64; the settings ask for a ResNet-18 width 8/);
  assert.deepEqual(p?.fix, { kind: 'backbone', arch: 'resnet50', width: 64, layout: 'caffe', label: 'Switch to ResNet-50 width 64' });
  assert.equal(weightsProblem(w, { arch: 'resnet50', width: 32 })?.fix?.label, 'Switch to ResNet-50 width 64', 'width alone differs');
  // A ResNet-50's layout: the weights cache records it; the fix switches to it.
  const tv = { ...w, name: 'imagenet.pth', layout: 'resnet50-torchvision' };
  assert.equal(weightsProblem(tv, { arch: 'resnet50', width: 64, layout: 'torchvision' }), null);
  const l = weightsProblem(tv, { arch: 'resnet50', width: 64, layout: 'caffe' });
  assert.match(
    l?.message ?? '',
    /“imagenet\.pth” are a ResNet-50 width 64 in the torchvision layout; the settings ask for the caffe layout/,
  );
  assert.deepEqual(l?.fix, {
    kind: 'backbone',
    arch: 'resnet50',
    width: 64,
    layout: 'torchvision',
    label: 'Switch to the torchvision layout',
  });
  assert.equal(weightsProblem({ ...w, layout: 'resnet50-caffe' }, { arch: 'resnet50', width: 64, layout: 'caffe' }), null);
  assert.equal(weightsProblem(tv, { arch: 'resnet18', width: 8 })?.fix?.label, 'Switch to ResNet-50 width 64');
});

test('dataProblem: a chosen dataset gone from the cache offers the demo faces', () => {
  const sel = { kind: 'cached' as const, key: 'k1', name: 'RAF-DB basic', labelFile: null };
  assert.equal(dataProblem({ kind: 'demo' }, [], 'loading'), null);
  assert.equal(dataProblem(sel, [{ key: 'k1' }], 'ready'), null);
  const gone = dataProblem(sel, [{ key: 'k2' }], 'ready');
  assert.match(gone?.message ?? '', /“RAF-DB basic” is not in this browser’s cache/);
  assert.deepEqual(gone?.fix, { kind: 'demo-data', label: 'Use the demo faces' });
  assert.equal(dataProblem(sel, [], 'unavailable')?.fix?.kind, 'demo-data');
  assert.match(dataProblem(sel, [], 'loading')?.message ?? '', /still being looked up/);
});

test('settingsProblem: the first invalid setting, how many more, and a fix that goes to it', () => {
  assert.equal(settingsProblem({}), null);
  const one = settingsProblem({ width: 'a whole number from 1 to 64' });
  assert.equal(one?.message, 'Network width must be a whole number from 1 to 64.');
  assert.deepEqual(one?.fix, { kind: 'field', key: 'width', label: 'Go to Network width' });
  const three = settingsProblem({ epochs: 'x', width: 'y', lr: 'z' });
  assert.match(three?.message ?? '', /^Network width must be y \(and 2 more settings\)\.$/, 'form order, not key order');
});

test('labelsText: a label file is named as trained on as it is; synthetic noise says so', () => {
  assert.equal(
    labelsText({ kind: 'demo', seed: 0, trainCount: 600, testCount: 200, noiseRate: 0.2, noiseSeed: 0 }),
    'demo faces (600 train / 200 test), each label flipped to another class with a 20% chance (seed 0)',
  );
  assert.equal(
    labelsText({ kind: 'demo', seed: 0, trainCount: 600, testCount: 200, noiseRate: 0.2, noiseSeed: 3 }, 118, 600),
    'demo faces (600 train / 200 test), 118 of 600 labels flipped to another class (19.7%; each flips with the 20% chance asked, seed 3)',
  );
  const raf = { kind: 'cached' as const, key: 'k', name: 'RAF-DB basic', labelFile: 'noise02.txt', noiseRate: 0, noiseSeed: 0 };
  assert.equal(labelsText(raf), 'RAF-DB basic, labels of noise02.txt as they are');
  assert.equal(labelsText({ ...raf, labelFile: null }), 'RAF-DB basic, the clean labels');
  assert.equal(
    labelsText({ ...raf, noiseRate: 0.1 }),
    'RAF-DB basic, labels of noise02.txt as they are + each label flipped to another class with a 10% chance (seed 0)',
  );
});

test('activePreset: the preset the form matches (numbers as numbers), null once edited', () => {
  assert.equal(activePreset(draftOf(DEMO_SETTINGS)), 'demo');
  assert.equal(activePreset(draftOf(OFFICIAL_SETTINGS)), 'official');
  assert.equal(activePreset({ ...draftOf(DEMO_SETTINGS), noiseRate: '0.20' }), 'demo', '"0.20" is 0.2');
  assert.equal(activePreset({ ...draftOf(DEMO_SETTINGS), epochs: '3' }), null);
  assert.equal(activePreset({ ...draftOf(DEMO_SETTINGS), epochs: '' }), null, 'an empty field is not 0');
  assert.ok(parseSettings(draftOf(OFFICIAL_SETTINGS)).settings, 'the presets themselves are valid');
});

test('weightsFor: the newest import of the backbone and width, or none', () => {
  const rec = (key: string, arch: 'resnet18' | 'resnet50', width: number, importedAt: string) => ({
    key,
    name: key,
    arch,
    width,
    importedAt,
  });
  const records = [
    rec('new50', 'resnet50', 64, '2026-02-01T00:00:00Z'),
    rec('old50', 'resnet50', 64, '2026-01-01T00:00:00Z'),
    rec('narrow', 'resnet50', 32, '2026-03-01T00:00:00Z'),
    rec('r18', 'resnet18', 64, '2026-04-01T00:00:00Z'),
  ];
  assert.equal(weightsFor(records, 'resnet50', 64)?.key, 'new50');
  assert.equal(weightsFor(records.slice(2), 'resnet50', 64), null);
  assert.equal(weightsFor([], 'resnet50', 64), null);
});

test('distinctNames: runs sharing a name get #2, #3 by start time; unique names are kept', () => {
  const runs = [
    { key: 'c', name: 'EAC resnet18 · demo', createdAt: '2026-01-03T00:00:00Z' },
    { key: 'a', name: 'EAC resnet18 · demo', createdAt: '2026-01-01T00:00:00Z' },
    { key: 'x', name: 'Baseline resnet18 · demo', createdAt: '2026-01-02T00:00:00Z' },
    { key: 'b', name: 'EAC resnet18 · demo', createdAt: '2026-01-02T00:00:00Z' },
  ];
  const names = distinctNames(runs);
  assert.deepEqual(
    runs.map((r) => names.get(r.key)),
    ['EAC resnet18 · demo #3', 'EAC resnet18 · demo', 'Baseline resnet18 · demo', 'EAC resnet18 · demo #2'],
  );
  assert.equal(new Set(names.values()).size, runs.length, 'every label differs');
  const byMethod = distinctLabels(runs, (r) => r.name.split(' ')[0]);
  assert.equal(byMethod.get('b'), 'EAC #2');
});

test('defaultRun: the classroom opens on the newest EAC run, not a newer baseline', () => {
  const run = (key: string, method: string) => ({ key, request: { config: { method } } });
  assert.equal(defaultRun([run('b2', 'baseline'), run('e1', 'eac'), run('e0', 'eac')])?.key, 'e1');
  assert.equal(defaultRun([run('b2', 'baseline'), run('b1', 'baseline')])?.key, 'b2', 'no EAC run: the newest');
  assert.equal(defaultRun([]), null);
});

test('modelFileName: the model download is named like the run’s CSVs, with its epoch', () => {
  const createdAt = new Date(2026, 0, 2, 3, 4, 5).toISOString();
  const r = { request: { config: { arch: 'resnet18' as const, method: 'eac' as const, seed: 7 } }, createdAt };
  assert.equal(modelFileName(r, 3), 'eac-resnet18-eac-seed7-20260102-030405-epoch3.safetensors');
  assert.equal(modelFileName(r, null), 'eac-resnet18-eac-seed7-20260102-030405.safetensors');
});

test('unlabelledText: a sentence, singular or plural, listing the files shown', () => {
  assert.equal(
    unlabelledText(1, ['train_09999_aligned.jpg']),
    '1 image file in Image/aligned/ is not named in any label file, so it is ignored: train_09999_aligned.jpg.',
  );
  assert.equal(
    unlabelledText(3, ['a.jpg', 'b.jpg']),
    '3 image files in Image/aligned/ are not named in any label file, so they are ignored: a.jpg, b.jpg and 1 more.',
  );
  assert.equal(unlabelledText(1200), '1,200 image files in Image/aligned/ are not named in any label file, so they are ignored.');
});

test('coarseMapsWarning: 1×1 maps at 32 px are named; 3×3 and up are fine', () => {
  assert.deepEqual([32, 48, 64, 96, 224].map(mapSideFor), [1, 2, 2, 3, 7]);
  assert.match(coarseMapsWarning(1, 1) ?? '', /are 1×1, a single cell/);
  assert.match(coarseMapsWarning(2, 2) ?? '', /are 2×2, only a few cells/);
  assert.equal(coarseMapsWarning(3, 3), null);
});

test('embedding estimate: from the run’s training speed, scaled by pixels; fewer images by default when slow', () => {
  // 100 steps of batch 16 in 800 s: 0.5 s per training image → features at 1/12 s per image at 64 px.
  const rates = ratesFromTraining({ steps: 100, seconds: 800 }, 16, 64);
  assert.ok(rates);
  assert.ok(Math.abs(rates.featureSecondsPerImage - 0.5 / 6) < 1e-12);
  assert.ok(Math.abs(embeddingSeconds(1000, 64, rates) - 1000 * (0.5 / 6 + 0.005)) < 1e-9);
  assert.ok(Math.abs(embeddingSeconds(100, 128, rates) - 100 * (4 * (0.5 / 6) + 0.005)) < 1e-9, 'four times the pixels');
  assert.equal(ratesFromTraining(null, 16, 64), null);
  assert.equal(ratesFromTraining({ steps: 0, seconds: 0 }, 16, 64), null);
  assert.equal(defaultEmbeddingCount(1000, 64, null), 1000, 'no estimate: the usual 1,000');
  assert.equal(defaultEmbeddingCount(1000, 64, rates, 90), 1000, '~88 s for 1,000 fits 90 s');
  assert.equal(defaultEmbeddingCount(1000, 64, rates, 60), 600, '60 s: 600 images (in hundreds, rounded down)');
  assert.equal(defaultEmbeddingCount(1000, 64, rates, 5), 200, 'never fewer than 200');
  const fast = { featureSecondsPerImage: 0.001, pixels: 64 * 64, umapSecondsPerImage: 0.001 };
  assert.equal(defaultEmbeddingCount(1000, 64, fast, 90), 1000);
  assert.equal(defaultEmbeddingCount(1000, 64, { ...fast, featureSecondsPerImage: 0.15 }, 90), 500);
});

test('refusalProblem: how Auto chose, the run as asked at the measured speed, fixes that say what they change, a GPU', () => {
  const speed = {
    shape: { arch: 'resnet18' as const, width: 64, size: 96, batchSize: 8, method: 'eac' as const },
    imagesPerSecond: 1.5,
    warmupMs: 9000,
  };
  const wasm = { what: "the wasm backend's 4 GiB heap", totalBytes: WASM_HEAP_BYTES, maxBufferBytes: null, device: 'cpu' as const };
  const fixes = runFixes(PAPER_RECIPE, { trainCount: 3000, demo: true }, wasm, speed);
  const p = refusalProblem(
    {
      reason: 'Auto found no fast backend that can hold this run: ….',
      backend: 'wasm',
      speed,
      asked: estimateRun(PAPER_RECIPE, 3000, speed),
      trainCount: 3000,
      fixes,
    },
    (arch) => arch === 'resnet18',
  );
  assert.equal(p.title, 'Not started:');
  assert.equal(p.fix, null);
  assert.match(
    p.message,
    /^Auto found no fast backend that can hold this run: …\. Measured here: WebAssembly \(WASM\) trains a ResNet-18 at 96 px at 1\.5 images\/s, so the run as asked \(3000 training images\) would take about \d+ h \d+ min per epoch, \d+ h \d+ min in all, were it to fit\.$/,
  );
  assert.equal(p.fixes?.length, fixes.length);
  for (const [i, f] of (p.fixes ?? []).entries()) {
    assert.equal(f.kind, 'run');
    if (f.kind !== 'run') continue;
    assert.equal(f.label, `Train ${fixes[i].label}`);
    assert.equal(f.backend, 'wasm', 'trains where it was estimated, without a second probe');
    assert.deepEqual(f.changes, fixes[i].changes);
    assert.match(f.differs, /^differs from the paper: /);
    // ResNet-18 fixes train from random init here (no ResNet-18 weights); ResNet-50 ones keep theirs.
    assert.equal(f.differs.includes('weights (random init)'), fixes[i].shape.arch === 'resnet18', f.differs);
    assert.match(f.estimate, /^about .+ per epoch, .+ in all$/);
  }
  assert.match(p.notes?.join(' ') ?? '', /Or use a GPU: .*choose WebGPU under Train on/);
});

test('memoryProblem: the batch that fits is a button that trains', () => {
  const p = memoryProblem('a training step … needs about 7.1 GiB …: batch 17 fits', 17);
  assert.deepEqual(p.fix, { kind: 'batch', batchSize: 17, label: 'Train with batch size 17' });
  assert.equal(memoryProblem('not even batch 1 fits', null).fix, null);
});

test('asymmetric noise: the form asks for it, the request carries it (symmetric stays absent), the run bar says it, a run gives it back', () => {
  const asym = { ...DEMO_SETTINGS, noiseKind: 'asymmetric' as const, noiseRate: 0.3 };
  const demo = dataOptionsOf(asym);
  assert.equal(demo.noiseKind, 'asymmetric');
  assert.ok(!('noiseKind' in dataOptionsOf(DEMO_SETTINGS)), 'symmetric: requests read as before');
  const cached = { kind: 'cached' as const, key: 'k', name: 'Fashion-MNIST', labelFile: null };
  assert.equal(dataOptionsOf(asym, cached).noiseKind, 'asymmetric');
  assert.ok(!('noiseKind' in dataOptionsOf(asym, { ...cached, labelFile: 'noise02.txt' })), 'a label file is trained on as it is');
  assert.equal(
    labelsText(demo, 180, 600),
    `demo faces (${DEMO_SETTINGS.trainCount} train / ${DEMO_SETTINGS.testCount} test), 180 of 600 labels flipped to its fixed other class (asymmetric) (30%; each flips with the 30% chance asked, seed 0)`,
  );
  assert.equal(settingsOfRun(defaultTrainConfig('resnet18'), demo, 4).noiseKind, 'asymmetric');
  assert.equal(settingsOfRun(defaultTrainConfig('resnet18'), dataOptionsOf(DEMO_SETTINGS), 4).noiseKind, 'symmetric');
  const parsed = parseSettings({ ...draftOf(DEMO_SETTINGS), noiseKind: 'sideways' });
  assert.ok(parsed.errors?.noiseKind, 'an unknown kind is refused by the form');
});
