// The sweep file (src/engine/sweep/sweep-json.ts): a round trip keeps every state, and the strict
// reader refuses broken or hostile input with a one-line error; a run made elsewhere
// (src/engine/sweep/merge.ts, `eac train --out` JSON) joins its cell or is refused with the reason.
//
//   node --import tsx --test tests/unit/sweep-json.test.ts
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Rng } from '../../src/engine/rng.ts';
import {
  createSweep,
  importRun,
  parseSweepJson,
  reduceSweep,
  runFromTrainJson,
  sweepJsonText,
  sweepTable,
  SweepError,
  type SweepSpec,
  type SweepState,
} from '../../src/engine/sweep/index.ts';

const spec: SweepSpec = {
  methods: ['baseline', 'eac'],
  noiseRates: [0, 0.25],
  seeds: [0, 1],
  config: { arch: 'resnet18', width: 2, size: 32, batchSize: 8, epochs: 6 },
  data: { kind: 'demo', seed: 0, trainCount: 16, testCount: 8, noiseRate: 0, noiseSeed: 0 },
};
const summary = {
  testAccLast5: 0.5,
  finalTestAcc: 0.5,
  bestTestAcc: 0.625,
  epochs: 6,
  steps: 12,
  seconds: 3.5,
  stoppedBy: 'completed' as const,
};

/** A sweep with a cell in every state. */
function everyState(): SweepState {
  let s = createSweep(spec, { id: 'demo-sweep', name: 'Demo sweep, 2 × 2', createdAt: 1_700_000_000_000 });
  const ev = (e: Parameters<typeof reduceSweep>[1]) => (s = reduceSweep(s, e));
  ev({ type: 'start', cellId: 'baseline-noise0-seed0', runId: 'run-a', at: 1 });
  ev({ type: 'finish', cellId: 'baseline-noise0-seed0', summary, at: 2 });
  ev({ type: 'start', cellId: 'baseline-noise0.25-seed0', runId: 'run-b', at: 3 });
  ev({ type: 'checkpoint', cellId: 'baseline-noise0.25-seed0', step: 4, epoch: 2, at: 4 });
  ev({ type: 'progress', cellId: 'baseline-noise0.25-seed0', step: 5, totalSteps: 12, seconds: 1.25 });
  ev({ type: 'start', cellId: 'eac-noise0-seed0', runId: 'run-c', at: 5 });
  ev({ type: 'checkpoint', cellId: 'eac-noise0-seed0', step: 2, epoch: 1, at: 6 });
  ev({ type: 'interrupt', cellId: 'eac-noise0-seed0' });
  ev({ type: 'fail', cellId: 'eac-noise0.25-seed0', reason: 'dataset missing' });
  ev({ type: 'skip', cellId: 'baseline-noise0-seed1' });
  ev({ type: 'cancel', cellId: 'baseline-noise0.25-seed1' });
  ev({ type: 'pause' });
  return s;
}

test('round trip: every cell state, the order and the pause come back equal', () => {
  const s = everyState();
  const statuses = new Set(Object.values(s.cells).map((c) => c.status));
  assert.deepEqual([...statuses].sort(), ['cancelled', 'done', 'failed', 'pending', 'resumable', 'running', 'skipped']);
  const text = sweepJsonText(s);
  assert.deepEqual(parseSweepJson(text), s);
  assert.equal(sweepJsonText(parseSweepJson(text)), text);
  const withWeights = createSweep({ ...spec, weights: { key: '/data/resnet50_ft_weight.pkl', name: 'resnet50_ft_weight.pkl' } }, s);
  assert.deepEqual(parseSweepJson(sweepJsonText(withWeights)), withWeights);
  const moved = reduceSweep(s, { type: 'reorder', order: [...s.order].reverse() });
  assert.deepEqual(parseSweepJson(sweepJsonText(moved)).order, [...s.order].reverse());
});

test('a sweep with asymmetric noise keeps its kind; one without reads as symmetric (absent)', () => {
  const state = everyState();
  const asym = { ...state, spec: { ...state.spec, data: { ...state.spec.data, noiseKind: 'asymmetric' as const } } };
  assert.equal((parseSweepJson(sweepJsonText(asym)).spec.data as { noiseKind?: string }).noiseKind, 'asymmetric');
  assert.ok(!('noiseKind' in parseSweepJson(sweepJsonText(state)).spec.data));
});

test('the reader refuses broken and hostile input with one line naming the field', () => {
  const good = JSON.parse(sweepJsonText(everyState()));
  // biome-ignore lint/suspicious/noExplicitAny: a parsed sweep file, edited field by field into broken ones
  const cases: [string, (d: any) => unknown, RegExp][] = [
    ['not JSON', () => '{"format": "eac-sweep",', /not JSON/],
    ['another format', (d) => ({ ...d, format: 'eac-lab-run' }), /not a sweep/],
    ['a newer version', (d) => ({ ...d, version: 2 }), /sweep version 2 is not supported/],
    ['an extra field', (d) => ({ ...d, extra: 1 }), /unknown field "extra"/],
    ['a missing cell', (d) => ({ ...d, cells: { ...d.cells, 'eac-noise0-seed1': undefined } }), /cells: missing field eac-noise0-seed1/],
    ['a cell not in the grid', (d) => ({ ...d, cells: { ...d.cells, 'eac-noise0.5-seed0': { status: 'pending' } } }), /unknown field/],
    ['an order with a duplicate', (d) => ({ ...d, order: [...d.order.slice(1), d.order[1]] }), /listed twice/],
    ['an order missing a cell', (d) => ({ ...d, order: d.order.slice(1) }), /is missing/],
    ['a path in the id', (d) => ({ ...d, id: '../../etc' }), /sweep\.id: expected a valid name/],
    ['a huge method list', (d) => ({ ...d, spec: { ...d.spec, methods: Array(1e6).fill('eac') } }), /methods: at most 2 entries/],
    ['a noise rate of 1', (d) => ({ ...d, spec: { ...d.spec, noiseRates: [0, 1] } }), /noiseRates\[1\]: expected a rate in \[0, 1\)/],
    [
      'an unknown noise kind',
      (d) => ({ ...d, spec: { ...d.spec, data: { ...d.spec.data, noiseKind: 'sideways' } } }),
      /spec\.data\.noiseKind: expected one of/,
    ],
    [
      'a seed set in the shared config',
      (d) => ({ ...d, spec: { ...d.spec, config: { ...d.spec.config, seed: 3 } } }),
      /seed is one of the sweep's axes/,
    ],
    [
      'a bad learning rate',
      (d) => ({ ...d, spec: { ...d.spec, config: { ...d.spec.config, lr: -1 } } }),
      /spec\.config\.lr: expected a number > 0/,
    ],
    ['an unknown status', (d) => ({ ...d, cells: { ...d.cells, 'eac-noise0-seed1': { status: 'exploded' } } }), /status: expected one of/],
    [
      'a multi-line failure reason',
      (d) => ({ ...d, cells: { ...d.cells, 'eac-noise0.25-seed0': { status: 'failed', runId: null, reason: 'a\nb' } } }),
      /reason: expected a valid name/,
    ],
    [
      'an accuracy above 1',
      (d) => ({
        ...d,
        cells: { ...d.cells, 'baseline-noise0-seed0': { ...d.cells['baseline-noise0-seed0'], summary: { ...summary, testAccLast5: 7 } } },
      }),
      /summary\.testAccLast5: expected an accuracy in \[0, 1\]/,
    ],
    [
      'epochs 1e15 in the shared config',
      (d) => ({ ...d, spec: { ...d.spec, config: { ...d.spec.config, epochs: 1e15 } } }),
      /^sweep\.spec\.config\.epochs: expected an integer in \[1, 100000\]/,
    ],
    [
      'max steps 2^40 in the shared config',
      (d) => ({ ...d, spec: { ...d.spec, config: { ...d.spec.config, maxSteps: 2 ** 40 } } }),
      /^sweep\.spec\.config\.maxSteps: expected an integer in \[1, 2147483647\]/,
    ],
    [
      'a demo of 1e9 images',
      (d) => ({ ...d, spec: { ...d.spec, data: { ...d.spec.data, trainCount: 1e9 } } }),
      /^sweep\.spec\.data\.trainCount: expected an integer in \[1, 20000\]/,
    ],
    [
      'a checkpoint mark past the flags’ steps',
      (d) => {
        const id = Object.keys(d.cells).find((k) => d.cells[k].status === 'resumable')!;
        return { ...d, cells: { ...d.cells, [id]: { ...d.cells[id], checkpoint: { ...d.cells[id].checkpoint, step: 2 ** 40 } } } };
      },
      /\.checkpoint\.step: expected an integer in \[0, 2147483647\]/,
    ],
    [
      'a summary of 1e300 steps',
      (d) => {
        const id = Object.keys(d.cells).find((k) => d.cells[k].status === 'done')!;
        return { ...d, cells: { ...d.cells, [id]: { ...d.cells[id], summary: { ...d.cells[id].summary, steps: 1e300 } } } };
      },
      /\.summary\.steps: expected an integer in \[0, 2147483647\]/,
    ],
    ['an array', () => '[]', /expected an object, got an array/],
    ['a huge text', () => ' '.repeat((8 << 20) + 1), /more than a sweep can have/],
  ];
  for (const [what, make, why] of cases) {
    const made = make(structuredClone(good));
    const text = typeof made === 'string' ? made : JSON.stringify(made);
    assert.throws(
      () => parseSweepJson(text),
      (e: Error) => e instanceof SweepError && why.test(e.message) && !e.message.includes('\n'),
      what,
    );
  }
});

const trainOut = JSON.parse(readFileSync(new URL('../fixtures/runs/eac-train-out.json', import.meta.url), 'utf8'));

test('a run of `eac train --out` joins its cell by method, noise and seed', () => {
  const run = runFromTrainJson(trainOut);
  assert.deepEqual([run.config.method, run.noiseRate, run.config.seed], ['eac', 0.25, 0]);
  const s = importRun(createSweep(spec, { id: 's', name: 's', createdAt: 0 }), run, { runId: 'eac-train-out.json', at: 9 });
  const c = s.cells['eac-noise0.25-seed0'];
  assert.equal(c.status, 'done');
  assert.equal(c.status === 'done' && c.imported, true);
  assert.deepEqual(c.status === 'done' && c.summary, trainOut.summary);
  assert.deepEqual(sweepTable(s).rows[1].cells[1].values, [trainOut.summary.testAccLast5]);
  assert.throws(() => importRun(s, run, { runId: 'again', at: 10 }), /eac-noise0\.25-seed0 already has a result/);
});

test('a run of any folder dataset joins a --data sweep when its slice is the sweep’s', () => {
  const folder = {
    kind: 'folder' as const,
    dir: '/data/fashion',
    labelFile: null,
    trainCount: 16,
    testCount: 8,
    noiseRate: 0,
    noiseSeed: 0,
  };
  const s = createSweep({ ...spec, data: folder }, { id: 's', name: 's', createdAt: 0 });
  const idx = structuredClone(trainOut);
  idx.data.kind = 'idx';
  const joined = importRun(s, runFromTrainJson(idx), { runId: 'idx.json', at: 9 });
  assert.equal(joined.cells['eac-noise0.25-seed0'].status, 'done');
  idx.data.train = 32;
  assert.throws(
    () => importRun(s, runFromTrainJson(idx), { runId: 'x', at: 9 }),
    /the run trained on 32 images, the sweep on 16 \(--train-count\)/,
  );
  assert.throws(
    () => importRun(s, runFromTrainJson(trainOut), { runId: 'x', at: 9 }),
    /the run trained on demo, the sweep on a folder dataset/,
  );
});

test('a run that does not fit is refused with the reason', () => {
  // The shared settings in full, as `eac sweep` stores them: every field is then compared.
  const { method: _m, seed: _s, ...shared } = trainOut.config;
  const base = createSweep({ ...spec, config: shared }, { id: 's', name: 's', createdAt: 0 });
  // biome-ignore lint/suspicious/noExplicitAny: a parsed run file, edited field by field
  const tryRun = (edit: (d: any) => void) => {
    const d = structuredClone(trainOut);
    edit(d);
    return () => importRun(base, runFromTrainJson(d), { runId: 'x', at: 0 });
  };
  assert.throws(
    tryRun((d) => (d.config.lr = 1e-3)),
    (e: Error) => e instanceof SweepError && e.message === "the run's lr is 0.001, the sweep's 0.0002",
  );
  assert.throws(
    tryRun((d) => (d.config.batchSize = 4)),
    /^SweepError: the run's batchSize is 4, the sweep's 8$/,
  );
  assert.throws(
    tryRun((d) => (d.noise.rate = 0.3)),
    /^SweepError: the sweep has no cell EAC, noise 30%, seed 0$/,
  );
  assert.throws(
    tryRun((d) => (d.data.train = 32)),
    /the run's demo dataset has 32 train \/ 8 test images, the sweep's 16 \/ 8/,
  );
  assert.throws(
    tryRun((d) => (d.data.kind = 'raf-db')),
    /the run trained on a RAF-DB folder, the sweep on demo/,
  );
  assert.throws(
    tryRun((d) => (d.data.kind = 'idx')),
    /the run trained on a folder of format idx, the sweep on demo/,
  );
  assert.throws(
    tryRun((d) => (d.summary.testAccLast5 = 0.9)),
    /its summary \(0\.9\) is not the mean of its last 5 epochs \(0\.1\)/,
  );
  assert.throws(
    tryRun((d) => (d.summary.stoppedBy = 'cancelled')),
    /the run was cancelled before its end/,
  );
  assert.throws(() => runFromTrainJson({ ...trainOut, config: { ...trainOut.config, extra: 1 } }), /run\.config: unknown field "extra"/);
});

test('every number of a run JSON is range-checked by its flag’s rules, the field named in one line', () => {
  // biome-ignore lint/suspicious/noExplicitAny: a parsed run file, edited field by field
  const cases: [string, (d: any) => void, RegExp][] = [
    ['epochs 1e15', (d) => (d.config.epochs = 1e15), /^run\.config\.epochs: expected an integer in \[1, 100000\], got 1000000000000000$/],
    ['max steps 2^40', (d) => (d.config.maxSteps = 2 ** 40), /^run\.config\.maxSteps: expected an integer in \[1, 2147483647\]/],
    ['width 0', (d) => (d.config.width = 0), /^run\.config\.width: expected an integer in \[1, 1024\]/],
    ['seed 2^32', (d) => (d.config.seed = 2 ** 32), /^run\.config\.seed: expected an integer in \[0, 4294967295\]/],
    [
      'a test accuracy of 1.5',
      (d) => (d.epochs[2].testAcc = 1.5),
      /^run\.epochs\[2\]\.testAcc: expected an accuracy in \[0, 1\], got 1\.5$/,
    ],
    ['a negative loss', (d) => (d.epochs[0].loss = -3), /^run\.epochs\[0\]\.loss: expected a finite loss ≥ 0, got -3$/],
    ['a loss as text', (d) => (d.epochs[0].ce = 'NaN'), /^run\.epochs\[0\]\.ce: expected a finite loss ≥ 0, got "NaN"$/],
    ['a train accuracy of −0.1', (d) => (d.epochs[1].trainAccNoisy = -0.1), /^run\.epochs\[1\]\.trainAccNoisy: expected an accuracy/],
    ['a missing field', (d) => delete d.epochs[1].consistency, /^run\.epochs\[1\]: missing field consistency$/],
    ['epoch 2.5', (d) => (d.epochs[1].epoch = 2.5), /^run\.epochs\[1\]\.epoch: expected an integer in \[1, 100000\]/],
    ['epochs out of order', (d) => (d.epochs[1].epoch = 1), /^run\.epochs\[1\]\.epoch: epoch 1 after epoch 1$/],
    ['1e6 per-class entries', (d) => (d.epochs[0].test.perClassAccuracy = Array(1e6).fill(0)), /perClassAccuracy: at most 1000 entries/],
    [
      'a confusion count of −1',
      (d) => (d.epochs[0].test.confusion[3][3] = -1),
      /^run\.epochs\[0\]\.test\.confusion\[3\]\[3\]: expected an integer/,
    ],
    [
      'a memorisation share of 2',
      (d) => (d.epochs[0].memorisation.predictedNoisy = 2),
      /memorisation\.predictedNoisy: expected an accuracy/,
    ],
    ['flipped −1', (d) => (d.epochs[0].memorisation.flipped = -1), /memorisation\.flipped: expected an integer/],
    ['a negative learning rate', (d) => (d.epochs[0].lr = -1), /^run\.epochs\[0\]\.lr: expected a finite number ≥ 0/],
    ['negative seconds', (d) => (d.epochs[0].seconds = -1), /^run\.epochs\[0\]\.seconds/],
    ['images per second ∞ (a huge literal)', (d) => (d.epochs[0].imagesPerSecond = '1e999'), /imagesPerSecond/],
    ['summary steps 1e300', (d) => (d.summary.steps = 1e300), /^run\.summary\.steps: expected an integer in \[0, 2147483647\]/],
    ['summary epochs ≠ epochs', (d) => (d.summary.epochs = 5), /^run\.summary\.epochs: 5, but the run lists 6 evaluated epochs$/],
    ['a demo of 1e9 images', (d) => (d.data.train = 1e9), /^run\.data\.train: expected an integer in \[1, 20000\]/],
    ['a demo of −5 test images', (d) => (d.data.test = -5), /^run\.data\.test: expected an integer in \[1, 20000\]/],
    ['noise rate 3', (d) => (d.noise.rate = 3), /^run\.noise\.rate: expected a rate in \[0, 1\], got 3$/],
    ['noise seed −1', (d) => (d.noise.seed = -1), /^run\.noise\.seed: expected an integer/],
    ['a noise transition of 1e6 rows', (d) => (d.noise.transition = Array(1e6).fill([])), /^run\.noise\.transition: at most 1000 entries/],
    [
      'a step log entry with a NaN loss',
      (d) => (d.steps = [{ step: 1, epoch: 1, loss: null, ce: 0, consistency: 0 }]),
      /^run\.steps\[0\]\.loss/,
    ],
    ['an unfinished epoch of −2 steps', (d) => (d.unfinishedEpoch = { ...d.epochs[0], steps: -2 }), /^run\.unfinishedEpoch\.steps/],
    ['a backend of 1e6 characters', (d) => (d.backend = 'x'.repeat(1e6)), /^run\.backend: expected a string of at most 400 characters/],
  ];
  assert.doesNotThrow(() => runFromTrainJson(structuredClone(trainOut)));
  for (const [what, edit, why] of cases) {
    const d = structuredClone(trainOut);
    edit(d);
    // As read from a file: through JSON text (a literal 1e999 is Infinity).
    const doc = JSON.parse(JSON.stringify(d).replace('"1e999"', '1e999'));
    assert.throws(
      () => runFromTrainJson(doc),
      (e: Error) => e instanceof SweepError && why.test(e.message) && !e.message.includes('\n'),
      what,
    );
  }
});

test('random damage to a real sweep.json and a real run JSON: read or refused in one line, never a crash', () => {
  const rng = new Rng(7);
  const junk = [null, -1, 0, 0.5, 1e308, 2 ** 53, Number.NaN, 'x\u001b]0;owned\u0007\n', [], {}, [[[[]]]], true];
  const counts = { sweepRead: 0, sweepRefused: 0, runRead: 0, runRefused: 0 };
  const check = (read: () => unknown, ok: 'sweepRead' | 'runRead', refused: 'sweepRefused' | 'runRefused') => {
    try {
      read();
      counts[ok]++;
    } catch (e) {
      assert.ok(e instanceof SweepError, `not a SweepError: ${(e as Error).stack}`);
      assert.ok(!/[\u0000-\u001f\u007f-\u009f]/.test(e.message), `control characters in ${JSON.stringify(e.message)}`);
      counts[refused]++;
    }
  };
  /** Every path to a value in a parsed document. */
  const paths = (v: unknown, at: (string | number)[] = [], out: (string | number)[][] = []) => {
    if (at.length) out.push(at);
    if (v && typeof v === 'object')
      for (const k of Object.keys(v)) paths((v as Record<string, unknown>)[k], [...at, Array.isArray(v) ? Number(k) : k], out);
    return out;
  };
  const setAt = (doc: unknown, p: (string | number)[], value: unknown) => {
    let o = doc as Record<string | number, unknown>;
    for (const k of p.slice(0, -1)) o = o[k] as Record<string | number, unknown>;
    o[p[p.length - 1]] = value;
  };
  const sweepText = sweepJsonText(everyState());
  const runText = JSON.stringify(trainOut);
  for (const [text, parse, ok, refused] of [
    [sweepText, (t: string) => parseSweepJson(t), 'sweepRead', 'sweepRefused'],
    [runText, (t: string) => runFromTrainJson(JSON.parse(t)), 'runRead', 'runRefused'],
  ] as const) {
    const all = paths(JSON.parse(text));
    for (let i = 0; i < 300; i++) {
      // A flipped byte (that may leave JSON, for the run file: that is the parser's, not ours).
      const b = text.split('');
      b[rng.int(0, b.length - 1)] = String.fromCharCode(rng.int(32, 126));
      const flipped = b.join('');
      let valid = true;
      try {
        JSON.parse(flipped);
      } catch {
        valid = false;
      }
      if (valid || text === sweepText) check(() => parse(flipped), ok, refused);
      // A field set to junk, through the JSON text as a file would carry it.
      const doc = JSON.parse(text);
      setAt(doc, all[rng.int(0, all.length - 1)], structuredClone(junk[rng.int(0, junk.length - 1)]));
      check(() => parse(JSON.stringify(doc)), ok, refused);
    }
  }
  console.log(
    `# sweep.json: ${counts.sweepRead} read, ${counts.sweepRefused} refused; run JSON: ${counts.runRead} read, ${counts.runRefused} refused`,
  );
  assert.ok(counts.sweepRefused > 200 && counts.runRefused > 200);
});
