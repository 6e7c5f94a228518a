// Which preset the form matches (the presets' buttons show it; an edited form is "custom"), and
// the imported weights the Official recipe starts from. Pure.
import type { Arch } from '../../engine/resnet.ts';
import { FIELDS, PRESETS, type PresetName, type SettingsDraft } from '../settings.ts';

/** The preset whose every setting the draft has (numbers compared as numbers: "0.20" is 0.2); null: custom. */
export function activePreset(draft: SettingsDraft, presets: Record<PresetName, object> = PRESETS): PresetName | null {
  for (const name of Object.keys(presets) as PresetName[]) {
    const p = presets[name] as Record<string, unknown>;
    const same = FIELDS.every((f) => {
      const text = draft[f.key].trim();
      return f.rule.kind === 'choice' ? text === p[f.key] : text !== '' && Number(text) === p[f.key];
    });
    if (same) return name;
  }
  return null;
}

interface WeightsLike {
  key: string;
  name: string;
  arch: Arch;
  width: number;
  importedAt: string;
}

/** The newest imported weights that fit a backbone and width (the Official recipe: ResNet-50 width 64); null: none. */
export function weightsFor<T extends WeightsLike>(records: readonly T[], arch: Arch, width: number): T | null {
  let best: T | null = null;
  for (const r of records) if (r.arch === arch && r.width === width && (!best || r.importedAt > best.importedAt)) best = r;
  return best;
}
