// The chosen dataset, remembered across visits in localStorage: read and written by the data
// controller (src/ui/data-client.ts), never by the store, so that a store holds state only.
import type { DataSelection } from './data-store.ts';

const SELECTION_KEY = 'eac-lab.data-selection';

/** The selection saved by an earlier visit (checked against the cache once it is listed). */
export function savedSelection(): DataSelection {
  try {
    const s = JSON.parse(globalThis.localStorage?.getItem(SELECTION_KEY) ?? 'null') as DataSelection | null;
    if (
      s &&
      s.kind === 'cached' &&
      typeof s.key === 'string' &&
      typeof s.name === 'string' &&
      (s.labelFile === null || typeof s.labelFile === 'string')
    )
      return s;
  } catch {
    // No storage (or a broken value): the demo.
  }
  return { kind: 'demo' };
}

export function saveSelection(s: DataSelection): void {
  try {
    globalThis.localStorage?.setItem(SELECTION_KEY, JSON.stringify(s));
  } catch {
    // Not saved: the next visit starts with the demo.
  }
}
