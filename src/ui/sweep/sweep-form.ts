// The Sweep panel's typed lists (noise rates, seeds), read as the user writes them, and the form's
// fields of a sweep that runs (shown instead of the defaults while it does). Pure.
import type { Method } from '../../engine/config.ts';

/** "0, 0.1, 20%" → [0, 0.1, 0.2]; a one-line error for anything else. */
export function parseList(text: string, what: 'noise' | 'seed'): number[] | string {
  const parts = text.split(/[\s,;]+/).filter(Boolean);
  if (!parts.length) return what === 'noise' ? 'at least one noise rate' : 'at least one seed';
  const out: number[] = [];
  for (const p of parts) {
    const pctForm = p.endsWith('%');
    const v = Number(pctForm ? p.slice(0, -1) : p) / (pctForm ? 100 : 1);
    if (!Number.isFinite(v)) return `${p} is not a number`;
    if (what === 'noise' && !(v >= 0 && v < 1)) return `noise rates are from 0 to below 1 (or 0% to 99%), got ${p}`;
    if (what === 'seed' && !(Number.isInteger(v) && v >= 0 && v <= 0xffffffff)) return `seeds are whole numbers from 0, got ${p}`;
    out.push(Number(v.toFixed(6)));
  }
  return out;
}

/** The Sweep form's fields as text. */
export interface SweepFormFields {
  methods: Method[];
  noise: string;
  seeds: string;
  name: string;
}

/** The form's fields of a stored sweep: a running sweep shows its own axes, not the form's defaults (issue 23). */
export function formOfSweep(
  spec: { methods: readonly Method[]; noiseRates: readonly number[]; seeds: readonly number[] },
  name: string,
): SweepFormFields {
  return { methods: [...spec.methods], noise: spec.noiseRates.join(', '), seeds: spec.seeds.join(', '), name };
}
