// The stages of a weights import and the kinds of failure it reports: shared by the import
// pipeline (weights-import.ts), the weights worker's protocol and the page. Plain data, no imports.

/** read: the file, in chunks; hash: SHA-256; lookup: the cache; parse: the file format; map: keys to the engine; store: IndexedDB. */
export type ImportStage = 'read' | 'hash' | 'lookup' | 'parse' | 'map' | 'store';

export const STAGE_LABELS: Record<ImportStage, string> = {
  read: 'Reading the file',
  hash: 'Hashing (SHA-256)',
  lookup: 'Looking in the cache',
  parse: 'Parsing the weights',
  map: 'Matching keys to the model',
  store: 'Storing in the browser cache',
};

/**
 * refused: the file was read and refused (unreadable format, a forbidden pickle global, keys that
 * do not fit); quota: not enough storage; read: the file could not be read; storage: another
 * IndexedDB failure; memory: not enough memory; internal: a bug.
 */
export type ImportErrorKind = 'refused' | 'quota' | 'read' | 'storage' | 'memory' | 'internal';
