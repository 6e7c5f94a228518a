// The run settings (each explained in one line, official defaults one click away). Enter in a
// field starts a run; the run controls themselves are in the run bar (RunBar.tsx).
import { useState, type ChangeEvent, type FormEvent } from 'react';
import { isRunning, useRun } from '../current-run-store.ts';
import { useSettings } from '../settings-store.ts';
import { useControllers } from '../lab-context.tsx';
import { useData } from '../data-store.ts';
import { chosenLabelFile, FIELDS, PRESETS, type FieldSpec, type PresetName } from '../settings.ts';
import { useWeights } from '../weights-store.ts';
import { activePreset, weightsFor } from '../run/preset-match.ts';
import { coarseMapsWarning, mapSideFor } from '../../engine/coarse-maps.ts';

const PRESET_BUTTONS: { name: PresetName; label: string; title: string }[] = [
  { name: 'demo', label: 'Quick demo', title: 'a narrow ResNet-18 at 64 px: minutes, not hours' },
  {
    name: 'noise',
    label: 'EAC vs baseline',
    title:
      'the measured demo: at 20% noise EAC ends ~8 points above the baseline (ResNet-18 width 16, 48 px, 10 epochs); run it as EAC and as Baseline, then compare',
  },
  {
    name: 'official',
    label: 'Official recipe',
    title:
      'the official code’s recipe: ResNet-50, 224 px, 60 epochs, batch 32, λ 5; starts from imported ResNet-50 weights when there are some',
  },
];

const PRESET_LABEL = Object.fromEntries(PRESET_BUTTONS.map((b) => [b.name, b.label])) as Record<PresetName, string>;

/** Applies a preset and picks the weights it needs: the newest fitting import, or random init. Returns what it did to the weights. */
function applyPresetWithWeights(name: PresetName, applyPreset: (n: PresetName) => void): string | null {
  applyPreset(name);
  const { arch, width } = PRESETS[name];
  const weights = useWeights.getState();
  const current = weights.selectedRecord;
  if (current && current.arch === arch && current.width === width) return `Starts from the imported weights “${current.name}”.`;
  const fit = name === 'official' ? weightsFor(weights.records, arch, width) : null;
  if (fit) {
    weights.select(fit.key);
    return `Starts from the imported weights “${fit.name}” (ResNet-50 width 64).`;
  }
  if (current) {
    weights.select(null);
    return `Random init: the selected weights “${current.name}” do not fit this preset’s backbone.`;
  }
  return name === 'official'
    ? 'No imported ResNet-50 weights: the run starts from random init (import the official ones in step 2 to fine-tune as the paper does).'
    : null;
}

const GROUPS: { id: FieldSpec['group']; title: string }[] = [
  { id: 'model', title: 'Backbone' },
  { id: 'method', title: 'Method' },
  { id: 'noise', title: 'Label noise' },
  { id: 'training', title: 'Training' },
  { id: 'demo', title: 'Demo dataset' },
];

function Field({ spec, disabled, offBecause }: { spec: FieldSpec; disabled: boolean; offBecause?: string | null }) {
  const value = useSettings((s) => s.draft[spec.key]);
  const error = useSettings((s) => s.errors[spec.key]);
  const setDraft = useSettings((s) => s.setDraft);
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
  const value = useSettings((s) => s.attentionPick);
  const error = useSettings((s) => s.attentionPickError);
  const set = useSettings((s) => s.setAttentionPick);
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
  const { startRun } = useControllers().run;
  const status = useRun((s) => s.run.status);
  const applyPreset = useSettings((s) => s.applyPreset);
  const dataKind = useData((s) => s.selected.kind);
  const labelFile = useData((s) => chosenLabelFile(s.selected));
  const running = isRunning(status);
  const active = useSettings((s) => activePreset(s.draft));
  const size = useSettings((s) => Number(s.draft.size));
  const side = Number.isInteger(size) && size >= 32 ? mapSideFor(size) : null;
  const coarse = side !== null ? coarseMapsWarning(side, side) : null;
  const [applied, setApplied] = useState<{ name: PresetName; note: string | null } | null>(null);
  // The note on the weights holds while the form still matches the preset that wrote it.
  const presetNote = applied && applied.name === active ? applied.note : null;
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    startRun();
  };
  return (
    <form className="panel settings" onSubmit={onSubmit} aria-label="Run settings">
      <h2>3 · Run settings</h2>
      <div className="presets">
        <span className="muted">Presets:</span>
        {PRESET_BUTTONS.map((b) => (
          <button
            key={b.name}
            type="button"
            disabled={running}
            className={active === b.name ? 'preset-active' : ''}
            aria-pressed={active === b.name}
            onClick={() => setApplied({ name: b.name, note: applyPresetWithWeights(b.name, applyPreset) })}
            data-testid={`preset-${b.name}`}
            title={b.title}
          >
            {b.label}
          </button>
        ))}
      </div>
      <p className="muted preset-state" data-testid="preset-state" data-preset={active ?? 'custom'}>
        {active ? `Settings: the ${PRESET_LABEL[active]} preset.` : 'Settings: custom (edited).'}
        {presetNote ? <> {presetNote}</> : null}
      </p>
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
      {coarse ? (
        <p className="muted small att-coarse" data-testid="settings-coarse-maps">
          {coarse}
        </p>
      ) : null}
      <AttentionPick disabled={running} />
      <div className="actions">
        <button type="submit" data-testid="train-form" disabled={running} title="the same as Train in the run bar above">
          Train with these settings
        </button>
      </div>
    </form>
  );
}
