// The run settings in the page's URL query, so that a link (or a QR code in a classroom) opens the
// lab with the same settings ready: only the fields that differ from DEFAULT_SETTINGS
// (?noise=0.3&method=baseline), the data (?data=<dataset cache key>&labels=<label file>; the demo
// when absent) and the pretrained weights (?weights=<weights cache key>; random init when absent).
// A URL without any of these leaves the browser's remembered data and weights choices alone. On
// load the form is filled from the URL (bad values are skipped and reported); every change of the
// form rewrites the URL with history.replaceState (no reload, no history entries). The backend
// (?backend=wasm; 'auto' when absent) is the user's choice of TensorFlow.js backend.
import { DEFAULT_SETTINGS, draftOf, FIELDS, parseSettings, type SettingKey, type SettingsDraft } from './settings.ts';
import { BACKEND_PREFERENCES, isBackendPreference, type BackendPreference } from '../worker/protocol.ts';

/** Query names: the settings' own names, except a shorter one for the noise rate. */
const PARAM_OF: Partial<Record<SettingKey, string>> = { noiseRate: 'noise' };
const paramOf = (k: SettingKey): string => PARAM_OF[k] ?? k;
const DATA = 'data';
const LABELS = 'labels';
const WEIGHTS = 'weights';
const BACKEND = 'backend';

/** The data part of a link: the demo, or a cached dataset by key (its name comes from the cache). */
export type UrlData = { kind: 'demo' } | { kind: 'cached'; key: string; labelFile: string | null };

export interface UrlState {
  draft: Partial<SettingsDraft>;
  data: UrlData;
  /** A weights cache key; null: random init. */
  weights: string | null;
  /** The backend to train on; 'auto' (absent from the URL): the probe's fastest. */
  backend?: BackendPreference;
}

interface DecodedUrlState extends UrlState {
  /** Whether the URL carries lab state at all (else the page keeps what this browser remembers). */
  present: boolean;
  /** Parameters that were skipped, with why. */
  problems: string[];
}

const DEFAULT_DRAFT = draftOf(DEFAULT_SETTINGS);

function sameValue(key: SettingKey, a: string, b: string): boolean {
  const spec = FIELDS.find((f) => f.key === key)!;
  if (spec.rule.kind === 'choice') return a === b;
  return a.trim() !== '' && Number(a) === Number(b);
}

/** Query parameters of a lab state (in FIELDS order; stable, so links compare as text). */
export function encodeUrlState(s: UrlState): URLSearchParams {
  const q = new URLSearchParams();
  for (const f of FIELDS) {
    const v = s.draft[f.key];
    if (v === undefined || sameValue(f.key, v, DEFAULT_DRAFT[f.key])) continue;
    q.set(paramOf(f.key), v.trim());
  }
  if (s.data.kind === 'cached') {
    q.set(DATA, s.data.key);
    if (s.data.labelFile) q.set(LABELS, s.data.labelFile);
  }
  if (s.weights) q.set(WEIGHTS, s.weights);
  if (s.backend && s.backend !== 'auto') q.set(BACKEND, s.backend);
  return q;
}

/** Reads a query string; other parameters (e.g. ?debug) are ignored. */
export function decodeUrlState(search: string): DecodedUrlState {
  const q = new URLSearchParams(search);
  const draft: Partial<SettingsDraft> = {};
  const problems: string[] = [];
  let present = false;
  // Each value is checked alone against the field's rule (the defaults stand in for the others).
  for (const f of FIELDS) {
    const v = q.get(paramOf(f.key));
    if (v === null) continue;
    present = true;
    const parsed = parseSettings({ ...DEFAULT_DRAFT, [f.key]: v.trim() });
    const err = parsed.errors?.[f.key];
    if (err) problems.push(`${paramOf(f.key)}=${v} (${f.label.toLowerCase()} must be ${err})`);
    else draft[f.key] = v.trim();
  }
  let data: UrlData = { kind: 'demo' };
  const dataKey = q.get(DATA);
  if (dataKey !== null) {
    present = true;
    if (dataKey !== '' && dataKey !== 'demo') data = { kind: 'cached', key: dataKey, labelFile: q.get(LABELS) || null };
  }
  const weights = q.get(WEIGHTS);
  if (weights !== null) present = true;
  const backend = parseBackendParam(q.get(BACKEND));
  if (backend.problem) problems.push(backend.problem);
  return { draft, data, weights: weights && weights !== 'none' ? weights : null, backend: backend.value, present, problems };
}

/** ?backend=: a backend's name or auto (any case); anything else is reported and read as auto. */
export function parseBackendParam(v: string | null): { value: BackendPreference; problem: string | null } {
  if (v === null || v.trim() === '') return { value: 'auto', problem: null };
  const name = v.trim().toLowerCase();
  if (isBackendPreference(name)) return { value: name, problem: null };
  return { value: 'auto', problem: `backend=${v} (backend must be one of ${BACKEND_PREFERENCES.join(', ')}; auto is used)` };
}

/** The page's URL with this lab state in its query (other parameters and the hash kept). */
export function urlWithState(href: string, s: UrlState): string {
  const url = new URL(href);
  const keep = new URLSearchParams();
  const ours = new Set<string>([...FIELDS.map((f) => paramOf(f.key)), DATA, LABELS, WEIGHTS, BACKEND]);
  for (const [k, v] of url.searchParams) if (!ours.has(k)) keep.append(k, v);
  for (const [k, v] of encodeUrlState(s)) keep.append(k, v);
  const query = keep.toString();
  url.search = query ? `?${query}` : '';
  return url.toString();
}
