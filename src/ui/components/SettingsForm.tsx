// The demo run's settings, the Train button and Stop.
import type { ChangeEvent, FormEvent } from 'react';
import { isRunning, useLab } from '../store.ts';
import { startRun, stopRun } from '../runner.ts';
import type { SettingsDraft } from '../settings.ts';

interface FieldProps {
  name: Exclude<keyof SettingsDraft, 'method'>;
  label: string;
  hint: string;
  step?: string;
  min?: number;
  max?: number;
  disabled: boolean;
}

function NumberField({ name, label, hint, step = '1', min, max, disabled }: FieldProps) {
  const value = useLab((s) => s.draft[name]);
  const error = useLab((s) => s.errors[name]);
  const setDraft = useLab((s) => s.setDraft);
  const id = `setting-${name}`;
  return (
    <div className={`field${error ? ' field-error' : ''}`}>
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        data-testid={id}
        type="number"
        inputMode="decimal"
        step={step}
        min={min}
        max={max}
        value={value}
        disabled={disabled}
        aria-invalid={!!error}
        aria-describedby={`${id}-hint`}
        onChange={(e: ChangeEvent<HTMLInputElement>) => setDraft(name, e.target.value)}
      />
      <small id={`${id}-hint`}>{error ?? hint}</small>
    </div>
  );
}

export function SettingsForm() {
  const status = useLab((s) => s.run.status);
  const method = useLab((s) => s.draft.method);
  const methodError = useLab((s) => s.errors.method);
  const setDraft = useLab((s) => s.setDraft);
  const backendStatus = useLab((s) => s.backend.status);
  const running = isRunning(status);
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    startRun();
  };
  return (
    <form className="panel settings" onSubmit={onSubmit} aria-label="Run settings">
      <h2>Demo run</h2>
      <p className="muted">ResNet-18 trained from scratch on generated cartoon faces (7 expressions), with seeded symmetric label noise.</p>
      <div className="fields">
        <NumberField name="noiseRate" label="Label noise rate" hint="share of training labels flipped" step="0.05" min={0} max={0.95} disabled={running} />
        <div className={`field${methodError ? ' field-error' : ''}`}>
          <label htmlFor="setting-method">Method</label>
          <select
            id="setting-method"
            data-testid="setting-method"
            value={method}
            disabled={running}
            onChange={(e: ChangeEvent<HTMLSelectElement>) => setDraft('method', e.target.value)}
          >
            <option value="eac">EAC</option>
            <option value="baseline">Baseline</option>
          </select>
          <small>{methodError ?? (method === 'baseline' ? 'cross-entropy only' : 'cross-entropy + λ·attention consistency')}</small>
        </div>
        <NumberField name="epochs" label="Epochs" hint="passes over the training set" min={1} disabled={running} />
        <NumberField name="width" label="Network width" hint="ResNet-18 base channels (64 = full)" min={1} max={64} disabled={running} />
        <NumberField name="size" label="Input size (px)" hint="square input, ≥ 32 (224 = paper)" min={32} max={224} disabled={running} />
        <NumberField name="batchSize" label="Batch size" hint="images per step" min={1} disabled={running} />
        <NumberField name="trainCount" label="Training images" hint="generated demo faces" min={8} disabled={running} />
        <NumberField name="testCount" label="Test images" hint="clean labels" min={1} disabled={running} />
      </div>
      <div className="actions">
        <button type="submit" className="primary" data-testid="train" disabled={running || backendStatus === 'failed'}>
          Train on the demo dataset
        </button>
        <button type="button" data-testid="stop" disabled={!running || status === 'stopping'} onClick={() => stopRun()}>
          {status === 'stopping' ? 'Stopping…' : 'Stop'}
        </button>
      </div>
    </form>
  );
}
