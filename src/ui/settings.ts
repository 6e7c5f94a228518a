// The demo run's settings as the form edits them (strings), and their conversion into the
// engine's TrainConfig and the worker's data options. Pure: no React, no worker.
// Only types come from the engine: the page itself never loads TensorFlow.js.
import type { Method } from '../engine/config.ts';
import type { ConfigRequest, DataOptions } from '../worker/protocol.ts';

export interface Settings {
  noiseRate: number;
  method: Method;
  epochs: number;
  width: number;
  size: number;
  batchSize: number;
  trainCount: number;
  testCount: number;
}

export type SettingsDraft = { [K in keyof Settings]: string };
export type SettingsErrors = Partial<Record<keyof Settings, string>>;

/** The first page's small demo run: ResNet-18 width 8 at 64 px, 600/200 images, 2 epochs, 20% noise. */
export const DEFAULT_SETTINGS: Settings = {
  noiseRate: 0.2,
  method: 'eac',
  epochs: 2,
  width: 8,
  size: 64,
  batchSize: 16,
  trainCount: 600,
  testCount: 200,
};

export function draftOf(s: Settings): SettingsDraft {
  return {
    noiseRate: String(s.noiseRate),
    method: s.method,
    epochs: String(s.epochs),
    width: String(s.width),
    size: String(s.size),
    batchSize: String(s.batchSize),
    trainCount: String(s.trainCount),
    testCount: String(s.testCount),
  };
}

interface IntRule {
  min: number;
  max: number;
}
const INT_RULES: Record<Exclude<keyof Settings, 'noiseRate' | 'method'>, IntRule> = {
  epochs: { min: 1, max: 500 },
  width: { min: 1, max: 64 },
  size: { min: 32, max: 224 },
  batchSize: { min: 1, max: 256 },
  trainCount: { min: 8, max: 20000 },
  testCount: { min: 1, max: 10000 },
};

/** Parses and checks the form; returns the settings, or a message per invalid field. */
export function parseSettings(d: SettingsDraft): { settings: Settings; errors: null } | { settings: null; errors: SettingsErrors } {
  const errors: SettingsErrors = {};
  const out: Partial<Settings> = {};
  const noise = Number(d.noiseRate.trim());
  if (d.noiseRate.trim() === '' || !Number.isFinite(noise) || noise < 0 || noise >= 1) errors.noiseRate = 'a rate from 0 to below 1, e.g. 0.2';
  else out.noiseRate = noise;
  if (d.method !== 'eac' && d.method !== 'baseline') errors.method = 'eac or baseline';
  else out.method = d.method;
  for (const [key, rule] of Object.entries(INT_RULES) as [keyof typeof INT_RULES, IntRule][]) {
    const text = d[key].trim();
    const v = Number(text);
    if (text === '' || !Number.isInteger(v) || v < rule.min || v > rule.max) errors[key] = `a whole number from ${rule.min} to ${rule.max}`;
    else out[key] = v;
  }
  if (Object.keys(errors).length > 0) return { settings: null, errors };
  return { settings: out as Settings, errors: null };
}

/** The seed of the run: the model, the data order and the label noise. */
export const DEMO_SEED = 0;

/** The configuration of a demo run: the official ResNet-18 recipe at the chosen scale. */
export function configRequestOf(s: Settings): ConfigRequest {
  return {
    arch: 'resnet18',
    seed: DEMO_SEED,
    width: s.width,
    size: s.size,
    batchSize: s.batchSize,
    epochs: s.epochs,
    method: s.method,
    evalBatchSize: 50,
  };
}

export function dataOptionsOf(s: Settings): DataOptions {
  return { kind: 'demo', seed: 0, trainCount: s.trainCount, testCount: s.testCount, noiseRate: s.noiseRate, noiseSeed: DEMO_SEED };
}
