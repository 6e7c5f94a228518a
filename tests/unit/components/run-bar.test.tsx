// The run bar rendered with its real stores and a real lab (src/ui/lab.ts; no worker starts: the
// test never presses Train): what it says Train will use follows the settings draft and the
// dataset, and Train is offered while no run trains.
//
//   node --import tsx --test tests/unit/components/run-bar.test.tsx
import './dom.ts';
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { act, cleanup, render, screen } from '@testing-library/react';
import { RunBar } from '../../../src/ui/components/RunBar.tsx';
import { createLab } from '../../../src/ui/lab.ts';
import { LabProvider } from '../../../src/ui/lab-context.tsx';
import { useSettings } from '../../../src/ui/settings-store.ts';
import { useData } from '../../../src/ui/data-store.ts';

afterEach(cleanup);

function renderRunBar() {
  const lab = createLab();
  const view = render(
    <LabProvider lab={lab}>
      <RunBar />
    </LabProvider>,
  );
  return { lab, view };
}

test('the run bar says what Train will use, and follows the draft and the dataset', () => {
  const { lab } = renderRunBar();
  const line = () => screen.getByTestId('runbar-labels').textContent ?? '';
  assert.match(line(), /^Train will use /);
  assert.match(line(), /demo faces/);
  act(() => useSettings.getState().setDraft('noiseRate', '0.3'));
  assert.match(line(), /30% /, 'the noise rate typed in the form shows at once');
  act(() => useData.getState().select({ kind: 'cached', key: 'raf-1', name: 'RAF-DB basic', labelFile: null }));
  assert.match(line(), /RAF-DB basic/, 'the chosen dataset replaces the demo faces');
  assert.equal(screen.getByTestId('train').hasAttribute('disabled'), false);
  lab.dispose();
});
