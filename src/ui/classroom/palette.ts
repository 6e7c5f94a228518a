// One colour per expression class for the feature picture (Tableau 10's first seven: distinct on
// white, and distinct in the common colour-vision deficiencies for most pairs), in CLASS_NAMES order.
const CLASS_COLORS: readonly string[] = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1'];

export function classColor(cls: number): string {
  return CLASS_COLORS[cls] ?? '#999999';
}
