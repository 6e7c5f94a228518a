// The settings form rendered with its real stores and a real lab (src/ui/lab.ts): typing writes
// the settings store, a value out of range is refused at Train with the reason under the field
// (and no run starts), a preset fills the form, and a noise file switches the noise rate off.
//
//   node --import tsx --test tests/unit/components/settings-form.test.tsx
import './dom.ts';
import { test, afterEach, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { act, cleanup, fireEvent, render, screen } from '@testing-library/react';
import { SettingsForm } from '../../../src/ui/components/SettingsForm.tsx';
import { createLab, type Lab } from '../../../src/ui/lab.ts';
import { LabProvider } from '../../../src/ui/lab-context.tsx';
import { useSettings } from '../../../src/ui/settings-store.ts';
import { useRun } from '../../../src/ui/current-run-store.ts';
import { useData } from '../../../src/ui/data-store.ts';
import { useStartProblem } from '../../../src/ui/run/start-problem-store.ts';
import { DEFAULT_SETTINGS, draftOf, PRESETS } from '../../../src/ui/settings.ts';

let lab: Lab;
beforeEach(() => {
  useSettings.setState({ draft: draftOf(DEFAULT_SETTINGS), errors: {} });
  lab = createLab();
  useData.getState().select({ kind: 'demo' });
  render(
    <LabProvider lab={lab}>
      <SettingsForm />
    </LabProvider>,
  );
});
afterEach(() => {
  cleanup();
  lab.dispose();
});

const noiseField = () => screen.getByTestId('setting-noiseRate') as HTMLInputElement;

test('typing a noise rate writes it to the settings store, and the field shows it', () => {
  fireEvent.change(noiseField(), { target: { value: '0.25' } });
  assert.equal(useSettings.getState().draft.noiseRate, '0.25');
  assert.equal(noiseField().value, '0.25');
  assert.equal(screen.getByTestId('preset-state').dataset.preset, 'custom', 'an edited form is no preset');
});

test('a noise rate out of range is refused at Train: the reason under the field, no run started', () => {
  fireEvent.change(noiseField(), { target: { value: '1.5' } });
  // happy-dom does not submit a form on a click of its submit button: submit it as the click would.
  fireEvent.submit(screen.getByRole('form', { name: 'Run settings' }));
  assert.equal(noiseField().getAttribute('aria-invalid'), 'true');
  assert.equal(document.getElementById('setting-noiseRate-hint')?.textContent, 'a number from 0 to below 1');
  assert.ok(useSettings.getState().errors.noiseRate, 'the store holds the error');
  assert.match(useStartProblem.getState().problem?.message ?? '', /noise/i, 'the run bar is told why');
  assert.equal(useRun.getState().run.status, 'idle', 'no run started');
  // Typing again clears the field's error.
  fireEvent.change(noiseField(), { target: { value: '0.2' } });
  assert.equal(noiseField().getAttribute('aria-invalid'), 'false');
});

test('a preset fills the form; a noise file switches the noise rate off', () => {
  fireEvent.click(screen.getByTestId('preset-official'));
  assert.equal(useSettings.getState().draft.width, String(PRESETS.official.width));
  assert.equal((screen.getByTestId('setting-width') as HTMLInputElement).value, String(PRESETS.official.width));
  assert.equal(screen.getByTestId('preset-state').dataset.preset, 'official');
  act(() => useData.getState().select({ kind: 'cached', key: 'raf', name: 'RAF-DB', labelFile: 'noise02.txt' }));
  assert.equal(noiseField().disabled, true);
  assert.match(screen.getByText(/off: the run trains on/).textContent ?? '', /noise02\.txt/);
});
