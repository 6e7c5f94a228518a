// The run settings (each explained in one line, official defaults one click away) and the run
// controls: Train, Pause / Continue, Stop.
import type { ChangeEvent, FormEvent } from 'react';
import { isRunning, useLab } from '../store.ts';
import { setPaused, startRun, stopRun } from '../runner.ts';
import { useData } from '../data-store.ts';
import { chosenLabelFile, FIELDS, type FieldSpec } from '../settings.ts';

const GROUPS: { id: FieldSpec['group']; title: string }[] = [
  { id: 'model', title: 'Backbone' },
  { id: 'method', title: 'Method' },
  { id: 'noise', title: 'Label noise' },
  { id: 'training', title: 'Training' },
  { id: 'demo', title: 'Demo dataset' },
];

function Field({ spec, disabled, offBecause }: { spec: FieldSpec; disabled: boolean; offBecause?: string | null }) {
  const value = useLab((s) => s.draft[spec.key]);
  const error = useLab((s) => s.errors[spec.key]);
  const setDraft = useLab((s) => s.setDraft);
  const id = `setting-${spec.key}`;
  const onChange = (e: ChangeEvent<HTMLInputElement | HTMLSelectElement>) => setDraft(spec.key, e.target.value);
  const { rule } = spec;
  return (
    <div className={`field${error ? ' field-error' : ''}`}>
      <label htmlFor={id}>{spec.label}</label>
      {rule.kind === 'choice' ? (
        <select id={id} data-testid={id} value={value} disabled={disabled} onChange={onChange} aria-describedby={`${id}-hint`}>
          {rule.options.map(([v, l]) => (
            <option key={v} value={v}>
              {l}
            </option>
          ))}
        </select>
      ) : (
        <input
          id={id}
          data-testid={id}
          type="number"
          inputMode="decimal"
          step={spec.step ?? '1'}
          min={rule.min}
          max={rule.max}
          value={offBecause ? 0 : value}
          disabled={disabled || !!offBecause}
          aria-invalid={!!error}
          aria-describedby={`${id}-hint`}
          onChange={onChange}
        />
      )}
      <small id={`${id}-hint`}>{offBecause ?? error ?? spec.hint}</small>
    </div>
  );
}

function AttentionPick({ disabled }: { disabled: boolean }) {
  const value = useLab((s) => s.attentionPick);
  const error = useLab((s) => s.attentionPickError);
  const set = useLab((s) => s.setAttentionPick);
  return (
    <div className={`field attention-pick${error ? ' field-error' : ''}`}>
      <label htmlFor="setting-attention-pick">Attention samples (optional)</label>
      <input
        id="setting-attention-pick"
        data-testid="setting-attention-pick"
        type="text"
        placeholder="drawn by the seed, or e.g. 5, 12, 40"
        value={value}
        disabled={disabled}
        onChange={(e: ChangeEvent<HTMLInputElement>) => set(e.target.value)}
      />
      <small>{error ?? 'training image numbers (train_00005 is 5) to follow in the attention panel'}</small>
    </div>
  );
}

export function SettingsForm() {
  const status = useLab((s) => s.run.status);
  const paused = useLab((s) => s.run.paused);
  const backendStatus = useLab((s) => s.backend.status);
  const applyPreset = useLab((s) => s.applyPreset);
  const dataKind = useData((s) => s.selected.kind);
  const labelFile = useData((s) => chosenLabelFile(s.selected));
  const running = isRunning(status);
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    startRun();
  };
  return (
    <form className="panel settings" onSubmit={onSubmit} aria-label="Run settings">
      <h2>3 · Run settings</h2>
      <div className="presets">
        <span className="muted">Presets:</span>
        <button
          type="button"
          disabled={running}
          onClick={() => applyPreset('demo')}
          data-testid="preset-demo"
          title="a narrow ResNet-18 at 64 px: minutes, not hours"
        >
          Quick demo
        </button>
        <button
          type="button"
          disabled={running}
          onClick={() => applyPreset('noise')}
          data-testid="preset-noise"
          title="the measured demo: at 20% noise EAC ends ~8 points above the baseline (ResNet-18 width 16, 48 px, 10 epochs); run it as EAC and as Baseline, then compare"
        >
          EAC vs baseline
        </button>
        <button
          type="button"
          disabled={running}
          onClick={() => applyPreset('official')}
          data-testid="preset-official"
          title="the official code's recipe: ResNet-50, 224 px, 60 epochs, batch 32, λ 5"
        >
          Official recipe
        </button>
      </div>
      {GROUPS.filter((g) => g.id !== 'demo' || dataKind === 'demo').map((g) => (
        <fieldset key={g.id} className="group">
          <legend>{g.title}</legend>
          <div className="fields">
            {FIELDS.filter((f) => f.group === g.id).map((f) => (
              <Field
                key={f.key}
                spec={f}
                disabled={running}
                offBecause={f.key === 'noiseRate' && labelFile ? `off: the run trains on ${labelFile} as it is` : null}
              />
            ))}
          </div>
        </fieldset>
      ))}
      <AttentionPick disabled={running} />
      <div className="actions">
        <button type="submit" className="primary" data-testid="train" disabled={running || backendStatus === 'failed'}>
          Train
        </button>
        <button type="button" data-testid="pause" disabled={!running || status === 'stopping'} onClick={() => setPaused(!paused)}>
          {paused ? 'Continue' : 'Pause'}
        </button>
        <button type="button" data-testid="stop" disabled={!running || status === 'stopping'} onClick={() => stopRun()}>
          {status === 'stopping' ? 'Stopping…' : 'Stop'}
        </button>
      </div>
    </form>
  );
}
