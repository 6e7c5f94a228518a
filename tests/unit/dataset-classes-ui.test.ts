// The page naming a dataset's own classes (issue 25): the class palette past RAF-DB's seven, the
// run bar's class line, and the runs CSV's per-class columns for runs of one or several datasets.
//
//   node --import tsx --test tests/unit/dataset-classes-ui.test.ts
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classColor } from '../../src/ui/classroom/palette.ts';
import { classesText, labelsText } from '../../src/ui/run/labels-text.ts';
import { sharedClassNames } from '../../src/ui/compare/run-files.ts';
import { CLASS_NAMES } from '../../src/engine/dataset.ts';

const FASHION = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];

test("classColor: RAF-DB's seven colours as before; ten distinct for ten classes; 100 classes all coloured, neighbours apart", () => {
  assert.deepEqual(
    Array.from({ length: 7 }, (_, c) => classColor(c)),
    ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1'],
  );
  const ten = Array.from({ length: 10 }, (_, c) => classColor(c));
  assert.equal(new Set(ten).size, 10);
  const hundred = Array.from({ length: 100 }, (_, c) => classColor(c));
  assert.ok(hundred.every((c) => c !== '#999999'));
  for (let c = 1; c < 100; c++) assert.notEqual(hundred[c], hundred[c - 1]);
  assert.equal(classColor(-1), '#999999');
  assert.equal(classColor(Number.NaN), '#999999');
});

test("the run bar names a dataset's classes; RAF-DB and the demo read as before", () => {
  assert.equal(classesText(null), '');
  assert.equal(classesText(FASHION), ', 10 classes (T-shirt/top, Trouser, Pullover, …)');
  assert.equal(classesText(['a', 'b']), ', 2 classes (a, b)');
  const cached = { kind: 'cached', key: 'idx-1', name: 'Fashion-MNIST (250 images)', labelFile: null, noiseRate: 0, noiseSeed: 0 } as const;
  assert.equal(
    labelsText(cached, null, null, FASHION),
    'Fashion-MNIST (250 images), 10 classes (T-shirt/top, Trouser, Pullover, …), the clean labels',
  );
  assert.equal(labelsText({ ...cached, name: 'RAF-DB basic (15,339 images)' }), 'RAF-DB basic (15,339 images), the clean labels');
});

test("runs CSV per-class columns: shared names when every run has them; RAF-DB's when none names any; class k when they differ", () => {
  assert.deepEqual(sharedClassNames([{}, {}]), CLASS_NAMES);
  assert.deepEqual(sharedClassNames([]), CLASS_NAMES);
  assert.deepEqual(sharedClassNames([{ classes: FASHION }, { classes: [...FASHION] }]), FASHION);
  assert.deepEqual(
    sharedClassNames([{ classes: FASHION }, {}]),
    Array.from({ length: 10 }, (_, k) => `class ${k}`),
  );
});
