// The run bar rendered with its real stores and a real lab (src/ui/lab.ts; no worker starts: the
// test never starts a run): what it says Train will use follows the settings draft and the
// dataset, and its buttons follow the current run.
//
//   node --import tsx --test tests/unit/components/run-bar.test.tsx
import './dom.ts';
import { test, afterEach, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { act, cleanup, render, screen } from '@testing-library/react';
import { RunBar } from '../../../src/ui/components/RunBar.tsx';
import { createLab, type Lab } from '../../../src/ui/lab.ts';
import { LabProvider } from '../../../src/ui/lab-context.tsx';
import { useSettings } from '../../../src/ui/settings-store.ts';
import { emptyRun, useRun } from '../../../src/ui/current-run-store.ts';
import { useData } from '../../../src/ui/data-store.ts';
import { DEFAULT_SETTINGS, draftOf, OFFICIAL_SETTINGS } from '../../../src/ui/settings.ts';
import { useBackend } from '../../../src/ui/backend-store.ts';
import { heavierThanStandIn } from '../../../src/ui/run/start-problem.ts';

let lab: Lab;
beforeEach(() => {
  useSettings.setState({ draft: draftOf(DEFAULT_SETTINGS), errors: {} });
  useBackend.setState({ backendPref: 'auto' });
  useRun.setState({ run: emptyRun() });
  lab = createLab();
  // After the lab: its data controller restores the selection the last test left in localStorage.
  useData.getState().select({ kind: 'demo' });
  render(
    <LabProvider lab={lab}>
      <RunBar />
    </LabProvider>,
  );
});
afterEach(() => {
  cleanup();
  lab.dispose();
});

const line = () => screen.getByTestId('runbar-labels').textContent ?? '';
const disabled = (id: string) => screen.getByTestId(id).hasAttribute('disabled');

test('the run bar says what Train will use, and follows the draft and the dataset', () => {
  assert.match(line(), /^Train will use demo faces/);
  assert.match(line(), / 20% chance/, "the default draft's noise rate");
  act(() => useSettings.getState().setDraft('noiseRate', '0.3'));
  assert.match(line(), / 30% chance/, 'the noise rate typed in the form shows at once');
  act(() => useData.getState().select({ kind: 'cached', key: 'raf-1', name: 'RAF-DB basic', labelFile: null }));
  assert.match(line(), /^Train will use RAF-DB basic/, 'the chosen dataset replaces the demo faces');
  act(() => useSettings.getState().setDraft('noiseRate', 'x'));
  assert.equal(screen.queryByTestId('runbar-labels'), null, 'an invalid draft: no claim about what Train will use');
});

test('Train while idle; Pause and Stop while a run trains, and the line says what it trains on', () => {
  assert.deepEqual([disabled('train'), disabled('pause'), disabled('stop')], [false, true, true]);
  assert.equal(screen.getByTestId('runbar-status').textContent, 'Not started');
  act(() => useRun.getState().beginRun(1, DEFAULT_SETTINGS, 'k1'));
  assert.deepEqual([disabled('train'), disabled('pause'), disabled('stop')], [true, false, false]);
  assert.equal(screen.getByTestId('runbar-status').textContent, 'Starting…');
  assert.match(line(), /^Trains on demo faces/);
  act(() => useRun.getState().markStopping());
  assert.deepEqual([disabled('train'), disabled('pause'), disabled('stop')], [true, true, true]);
});

test('WebGPU named on a software adapter: a run heavier than the stand-in is asked about once, with WebAssembly offered', () => {
  const adapter = 'google swiftshader (software fallback adapter)';
  act(() => {
    useBackend.setState({ backend: { ...useBackend.getState().backend, status: 'ready', name: 'webgpu', adapter }, backendPref: 'webgpu' });
    useSettings.setState({ draft: draftOf(OFFICIAL_SETTINGS) });
  });
  act(() => screen.getByTestId('train').click());
  assert.equal(screen.getByTestId('start-problem').querySelector('b')?.textContent, 'Software GPU:');
  assert.match(
    screen.getByTestId('start-problem-text').textContent ?? '',
    /^WebGPU here is google swiftshader .* ResNet-50 at 224 px, batch 32 /,
  );
  assert.deepEqual(
    screen.getAllByTestId('run-fix').map((b) => b.textContent),
    ['Train on WebAssembly instead', 'Train on the software GPU anyway'],
  );
  assert.equal(useRun.getState().run.status, 'idle', 'nothing started');
  // The same run on a real GPU is not asked about.
  assert.ok(!heavierThanStandIn({ arch: 'resnet18', width: 64, size: 96, batchSize: 8 }), 'the stand-in itself');
  assert.ok(heavierThanStandIn({ arch: 'resnet18', width: 64, size: 112, batchSize: 8 }));
  assert.ok(heavierThanStandIn({ arch: 'resnet50', width: 64, size: 96, batchSize: 8 }));
  // Small models at a larger batch are lighter than the stand-in (the lab's WebGPU tests train these).
  assert.ok(!heavierThanStandIn({ arch: 'resnet18', width: 4, size: 32, batchSize: 16 }));
  assert.ok(!heavierThanStandIn({ arch: 'resnet50', width: 8, size: 64, batchSize: 32 }));
});
