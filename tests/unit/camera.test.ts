// The classroom camera's engine side and pure parts: a face (the crop) through the model gives the
// same prediction, maps and consistency as the walk-through's code on the same image; a hand-erased
// box changes them; a left-right symmetric model on a symmetric face is consistent; the guide
// box's crop, the camera's failure lines, a dragged box, the one-frame gate and the fps meter.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { setupBackend, type BackendName } from '../../src/cli/node-backends.ts';
import { ImagePipeline, PIPELINE_DEFAULTS } from '../../src/engine/augment.ts';
import { createModel, disposeModel } from '../../src/engine/resnet.ts';
import { Rng } from '../../src/engine/rng.ts';
import { computeWalkthrough } from '../../src/engine/walkthrough.ts';
import { clipBox, computeFaceFrame } from '../../src/engine/face-frame.ts';
import { generateDemoDataset } from '../../src/data/demo.ts';
import { cameraProblem, dragToBox, FpsMeter, FrameGate, guideCrop } from '../../src/ui/classroom/camera/camera-logic.ts';
import { mapLayers } from '../../src/ui/classroom/overlays.ts';

const backend = (process.env.EAC_TEST_BACKEND ?? 'cpu') as BackendName;
before(async () => {
  await setupBackend(backend);
});

const data = generateDemoDataset({ seed: 4, trainCount: 6, testCount: 0 });
const face = (i: number) => data.train.images.subarray(i * 100 * 100 * 3, (i + 1) * 100 * 100 * 3);

function close(a: Float32Array, b: Float32Array, tol: number, what: string): void {
  assert.equal(a.length, b.length);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) <= tol * (1 + Math.abs(b[i])), `${what}[${i}]: ${a[i]} vs ${b[i]}`);
}

test('a face through the model: the walk-through’s prediction, maps and consistency (no second copy)', async () => {
  const model = createModel({ arch: 'resnet18', width: 2, numClasses: 7 }, new Rng(5));
  const pipe = new ImagePipeline({ ...PIPELINE_DEFAULTS, size: 48 });
  const w = await computeWalkthrough(model, pipe, data.train, 2, { seed: 1, scale: [0, 0], erasing: 'mirrored', augment: 'none' });
  const f = await computeFaceFrame(model, pipe, face(2), 100, 100, null);
  assert.equal(f.size, 48);
  assert.equal(f.pred, w.pred1);
  close(f.probs, w.probs1, 1e-5, 'probs');
  close(f.hm1, w.hm1, 1e-4, 'hm1');
  close(f.hm2, w.hm2, 1e-4, 'hm2');
  assert.ok(Math.abs(f.consistency - w.consistency) <= 1e-5 * w.consistency);
  // A hand-erased box changes the prediction's probabilities and both maps.
  const e = await computeFaceFrame(model, pipe, face(2), 100, 100, { top: 10, left: 6, h: 20, w: 24 });
  assert.deepEqual(e.box, { top: 10, left: 6, h: 20, w: 24 });
  assert.notDeepEqual([...e.probs], [...f.probs]);
  assert.notDeepEqual([...e.hm1], [...f.hm1]);
  assert.notDeepEqual([...e.hm2], [...f.hm2]);
  await assert.rejects(computeFaceFrame(model, pipe, face(2), 99, 100, null), /the face crop has 30000 bytes, not 99×100×3/);
  pipe.dispose();
  disposeModel(model);
});

test('boxes: clipped to the image; a drag in CSS pixels becomes image pixels; a click is no box', () => {
  assert.deepEqual(clipBox({ top: -4, left: 40, h: 10, w: 20 }, 48), { top: 0, left: 40, h: 6, w: 8 });
  assert.equal(clipBox({ top: 50, left: 0, h: 10, w: 10 }, 48), null);
  assert.equal(clipBox(null, 48), null);
  assert.deepEqual(dragToBox(200, 100, 100, 0, 224, 112), { top: 0, left: 50, h: 50, w: 50 });
  assert.deepEqual(dragToBox(-20, -20, 300, 300, 224, 112), { top: 0, left: 0, h: 112, w: 112 });
  assert.equal(dragToBox(10, 10, 11, 30, 224, 112), null);
});

test('the guide box: a centred square of the shorter side; an image file’s whole centre square', () => {
  assert.deepEqual(guideCrop(640, 480), { sx: 176, sy: 96, side: 288 });
  assert.deepEqual(guideCrop(480, 640, 1), { sx: 0, sy: 80, side: 480 });
  assert.deepEqual(guideCrop(100, 100, 1), { sx: 0, sy: 0, side: 100 });
  assert.throws(() => guideCrop(0, 480), /the picture has no size \(0×480\)/);
});

test('camera failures get one line each, all pointing at the image file', () => {
  const err = (name: string) => Object.assign(new Error('x'), { name });
  assert.match(cameraProblem(err('NotAllowedError')), /^The camera was not allowed/);
  assert.match(cameraProblem(err('NotFoundError')), /^No camera was found/);
  assert.match(cameraProblem(err('NotReadableError')), /^The camera is busy/);
  assert.match(cameraProblem(err('NoMediaDevices')), /https or localhost/);
  assert.match(cameraProblem(new Error('boom')), /^The camera could not start \(boom\)/);
  for (const n of ['NotAllowedError', 'NotFoundError', 'NotReadableError', 'Other']) {
    const line = cameraProblem(err(n));
    assert.ok(!line.includes('\n') && line.endsWith('Choose an image file instead.'), line);
  }
});

test('one frame in flight: later frames are dropped, not queued; the meter counts frames/s and latency', () => {
  const g = new FrameGate();
  assert.equal(g.tryStart(), true);
  assert.equal(g.tryStart(), false);
  assert.equal(g.tryStart(), false);
  g.finish();
  assert.equal(g.tryStart(), true);
  assert.deepEqual([g.sent, g.dropped], [2, 2]);
  const m = new FpsMeter(2000);
  assert.deepEqual(m.read(0), { fps: 0, latency: 0 });
  for (let i = 0; i <= 10; i++) m.add(1000 + i * 200, 150);
  assert.deepEqual(m.read(3000), { fps: 5, latency: 150 });
  assert.equal(m.read(9000).fps, 0, 'stale frames are forgotten');
});

test('map layers of a face: the class map on one scale, the difference and its class consistency', () => {
  const hm1 = new Float32Array([1, 0, 2, 0, 3, 0, 4, 0]); // 2×2 cells, 2 classes
  const hm2 = new Float32Array([1, 0, 1, 0, 3, 0, 2, 0]);
  const l = mapLayers(hm1, hm2, 2, 2, 2, 0);
  assert.equal(l.cls, 0);
  assert.equal(l.maxAbsDiff, 2);
  assert.equal(l.classConsistency, (1 + 4) / 4);
  assert.equal(l.map1.rgba.length, 16);
});
