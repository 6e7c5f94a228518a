// One colour per class for the feature picture: Tableau 10 (distinct on white, and distinct in the
// common colour-vision deficiencies for most pairs), whose first seven are RAF-DB's classes in
// CLASS_NAMES order as before; past ten, hues a golden angle apart (a dataset of many classes).
const CLASS_COLORS: readonly string[] = [
  '#4e79a7',
  '#f28e2b',
  '#e15759',
  '#76b7b2',
  '#59a14f',
  '#edc948',
  '#b07aa1',
  '#ff9da7',
  '#9c755f',
  '#bab0ac',
];

export function classColor(cls: number): string {
  if (!(Number.isInteger(cls) && cls >= 0)) return '#999999';
  return CLASS_COLORS[cls] ?? `hsl(${Math.round((cls * 137.508) % 360)}, 55%, ${cls % 2 ? 42 : 55}%)`;
}
