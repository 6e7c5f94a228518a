// The Sweep panel's typed lists (noise rates, seeds, more axes), read as the user writes them, and
// the form's fields of a sweep that runs (shown instead of the defaults while it does). Pure.
import { HYPER_AXES, type CellParams, type HyperAxis, type SweepAxes } from '../../engine/sweep/index.ts';
import type { Arch } from '../../engine/resnet-layout.ts';
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

/** The Sweep panel's optional axis lists, keyed as the spec's axes. */
export type AxisTexts = Partial<Record<HyperAxis, string>>;

const ARCH_WORDS: Record<string, Arch> = { resnet18: 'resnet18', 'resnet-18': 'resnet18', resnet50: 'resnet50', 'resnet-50': 'resnet50' };

/**
 * An axis list as typed ("1e-4, 2e-4"; "resnet18, resnet50"; "independent, mirrored"): its values,
 * or a one-line error. Empty: no list (the run setting above holds).
 */
export function parseAxisList(text: string, axis: HyperAxis): unknown[] | string {
  const parts = text.split(/[\s,;]+/).filter(Boolean);
  const out: unknown[] = [];
  for (const p of parts) {
    if (axis === 'arch') {
      const a = ARCH_WORDS[p.toLowerCase()];
      if (!a) return `backbones are resnet18 or resnet50, got ${p}`;
      out.push(a);
    } else if (axis === 'erasing') {
      if (p !== 'independent' && p !== 'mirrored') return `erasing is independent or mirrored, got ${p}`;
      out.push(p);
    } else {
      const v = Number(p);
      if (!Number.isFinite(v)) return `${p} is not a number`;
      if ((axis === 'width' || axis === 'batchSize') && !(Number.isInteger(v) && v > 0)) return `${p} is not a whole number above 0`;
      if (axis === 'lr' && !(v > 0)) return `a learning rate is above 0, got ${p}`;
      if (axis === 'lam' && !(v >= 0)) return `λ is 0 or more, got ${p}`;
      out.push(v);
    }
  }
  if (new Set(out).size !== out.length) return 'a value is listed twice';
  return out;
}

/**
 * The axes of the typed lists: a list of two values or more is an axis; one value replaces the
 * run setting (returned in `fixed`); an error names the list.
 */
export function axesFromTexts(texts: AxisTexts): { axes: SweepAxes; fixed: CellParams } | string {
  const axes: SweepAxes = {};
  const fixed: CellParams = {};
  for (const k of HYPER_AXES) {
    const v = parseAxisList(texts[k] ?? '', k);
    if (typeof v === 'string') return `${AXIS_NAMES[k]}: ${v}`;
    if (v.length > 1) (axes as Record<string, unknown[]>)[k] = v;
    else if (v.length === 1) (fixed as Record<string, unknown>)[k] = v[0];
  }
  return { axes, fixed };
}

export const AXIS_NAMES: Record<HyperAxis, string> = {
  lr: 'learning rates',
  lam: 'λ values',
  arch: 'backbones',
  width: 'widths',
  batchSize: 'batch sizes',
  erasing: 'erasing modes',
};

/** The Sweep form's fields as text. */
export interface SweepFormFields {
  methods: Method[];
  noise: string;
  seeds: string;
  name: string;
  axisTexts: AxisTexts;
}

/** The form's fields of a stored sweep: a running sweep shows its own axes, not the form's defaults (issue 23). */
export function formOfSweep(
  spec: { methods: readonly Method[]; noiseRates: readonly number[]; seeds: readonly number[]; axes?: SweepAxes },
  name: string,
): SweepFormFields {
  const axisTexts: AxisTexts = {};
  for (const [k, xs] of Object.entries(spec.axes ?? {}) as [HyperAxis, unknown[]][]) if (xs?.length) axisTexts[k] = xs.join(', ');
  return { methods: [...spec.methods], noise: spec.noiseRates.join(', '), seeds: spec.seeds.join(', '), name, axisTexts };
}
