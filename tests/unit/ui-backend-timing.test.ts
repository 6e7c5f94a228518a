// The Backend panel's line on where a training step's time goes (steps/s, the JavaScript part),
// and how steps are taken: replayed from the step program, or through tfjs's ops and why.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { timingText } from '../../src/ui/components/BackendPanel.tsx';

test('the timing line splits a step into JavaScript and the device', () => {
  const [speed, how] = timingText({ stepsPerSecond: 2.5, stepMs: 400, javascriptMs: 7.25, how: 'replayed', notReplayed: null, gpu: true });
  assert.match(speed, /^2\.50 steps\/s · 400 ms a step: JavaScript 7\.3 ms, the device 393 ms/);
  assert.match(how, /^Steps are replayed from the step program/);
});

test('the timing line says why steps are not replayed', () => {
  const [speed, how] = timingText({
    stepsPerSecond: 12,
    stepMs: 83,
    javascriptMs: 80,
    how: 'ops',
    notReplayed: 'steps are replayed on WebGPU only (this is wasm)',
    gpu: false,
  });
  assert.equal(speed, '12.0 steps/s · 83 ms a step (this backend computes while JavaScript encodes the step: no split).');
  assert.equal(how, "Each step runs through TensorFlow.js's ops: steps are replayed on WebGPU only (this is wasm).");
});
