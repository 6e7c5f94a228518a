// Distinct names for runs that share one (the worker names a run by its method, backbone and
// dataset, so two runs of the same setup would read alike in the runs list, the compare legend and
// the classroom's model list). Pure.

interface Named {
  key: string;
  createdAt: string;
}

/**
 * Each run's label, with " #2", " #3"… after the second and later runs (by start time) of a label
 * that several runs share; the first keeps its label as it is.
 */
export function distinctLabels<T extends Named>(runs: readonly T[], labelOf: (r: T) => string): Map<string, string> {
  const groups = new Map<string, T[]>();
  for (const r of runs) {
    const label = labelOf(r);
    const g = groups.get(label);
    if (g) g.push(r);
    else groups.set(label, [r]);
  }
  const out = new Map<string, string>();
  for (const [label, g] of groups) {
    const byStart = [...g].sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.key.localeCompare(b.key));
    byStart.forEach((r, i) => out.set(r.key, i === 0 ? label : `${label} #${i + 1}`));
  }
  return out;
}

/** distinctLabels of the runs' own names. */
export function distinctNames<T extends Named & { name: string }>(runs: readonly T[]): Map<string, string> {
  return distinctLabels(runs, (r) => r.name);
}
