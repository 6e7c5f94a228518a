// The run settings form (zustand): the draft as typed, its errors, and the attention samples the
// user picked. Train parses the draft (settings.ts); a resumed run or a link writes it whole.
import { create } from 'zustand';
import {
  DEFAULT_SETTINGS,
  demoImagesPerSecond,
  draftOf,
  PRESETS,
  sizedDemoSettings,
  type PresetName,
  type SettingsDraft,
  type SettingsErrors,
} from './settings.ts';
import { useBackend } from './backend-store.ts';

export interface SettingsState {
  draft: SettingsDraft;
  errors: SettingsErrors;
  /** The attention samples the user typed (training image numbers); empty: drawn by the seed. */
  attentionPick: string;
  attentionPickError: string | null;
  setDraft: <K extends keyof SettingsDraft>(key: K, value: SettingsDraft[K]) => void;
  /** Replaces the whole draft (a resumed run's settings, the demo sized to the probe); keeps the errors. */
  replaceDraft: (draft: SettingsDraft) => void;
  setErrors: (errors: SettingsErrors) => void;
  setAttentionPick: (text: string) => void;
  setAttentionPickError: (error: string | null) => void;
  applyPreset: (name: PresetName) => void;
}

export const useSettings = create<SettingsState>()((set) => ({
  draft: draftOf(DEFAULT_SETTINGS),
  errors: {},
  attentionPick: '',
  attentionPickError: null,
  setDraft: (key, value) => set((s) => ({ draft: { ...s.draft, [key]: value }, errors: { ...s.errors, [key]: undefined } })),
  replaceDraft: (draft) => set({ draft }),
  setErrors: (errors) => set({ errors }),
  setAttentionPick: (attentionPick) => set({ attentionPick, attentionPickError: null }),
  setAttentionPickError: (attentionPickError) => set({ attentionPickError }),
  // The Quick demo is sized to the speed the last probe measured on its model (settings.ts).
  applyPreset: (name) =>
    set({
      draft: draftOf(name === 'demo' ? sizedDemoSettings(demoImagesPerSecond(useBackend.getState().probe)) : PRESETS[name]),
      errors: {},
    }),
}));
