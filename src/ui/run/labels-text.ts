// One line saying which labels a run trains on: the run bar shows it before and during a run, so a
// chosen label file is never mistaken for synthetic noise (issue 16). Pure.
import type { DataOptions } from '../../engine/run-request.ts';
import { countText } from '../../engine/format.ts';

const pctText = (x: number) => `${Math.round(x * 1000) / 10}%`;

/** ", 10 classes (T-shirt/top, Trouser, Pullover, …)" for a dataset that names its classes; '' for RAF-DB and the demo. */
export function classesText(classes: readonly string[] | null | undefined): string {
  if (!classes) return '';
  const shown = classes.slice(0, 3).join(', ');
  return `, ${countText(classes.length)} classes (${shown}${classes.length > 3 ? ', …' : ''})`;
}

export function labelsText(
  data: DataOptions,
  flipped: number | null = null,
  trainCount: number | null = null,
  classes: readonly string[] | null = null,
): string {
  const to = data.noiseKind === 'asymmetric' ? 'its fixed other class (asymmetric)' : 'another class';
  const noise =
    data.noiseRate > 0
      ? flipped !== null && trainCount
        ? `${flipped} of ${trainCount} labels flipped to ${to} (${pctText(flipped / trainCount)}; each flips with the ${pctText(data.noiseRate)} chance asked, seed ${data.noiseSeed})`
        : `each label flipped to ${to} with a ${pctText(data.noiseRate)} chance (seed ${data.noiseSeed})`
      : null;
  if (data.kind === 'demo')
    return `demo faces (${countText(data.trainCount)} train / ${countText(data.testCount)} test), ${noise ?? 'clean labels'}`;
  const labels = data.labelFile ? `labels of ${data.labelFile} as they are` : 'the clean labels';
  return `${data.name}${classesText(classes)}, ${labels}${noise ? ` + ${noise}` : ''}`;
}
