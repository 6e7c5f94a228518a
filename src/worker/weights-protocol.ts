// Messages between the page (src/ui/weights-client.ts) and the weights import worker
// (workers/weights.worker.ts). Plain structured-cloneable objects tagged by `type`; a File is
// cloneable (the worker reads it without the page copying it). Every answer carries the import's id.
import type { Arch } from '../engine/resnet.ts';
import type { KeyReport } from '../weights/keymap.ts';
import type { WeightsRecord } from '../storage/weights-records.ts';
import type { ImportErrorKind, ImportStage } from '../storage/import-stages.ts';
import type { ImportProgress } from '../storage/weights-import.ts';

// ---------------------------------------------------------------------------------------------
// page → worker

export interface ImportWeightsMessage {
  type: 'import';
  /** Chosen by the page; one import at a time. */
  id: number;
  file: File;
  /** Refuse a file that is not this architecture; null: take what the file holds. */
  arch: Arch | null;
}

/** Stops the import at the next chunk or stage; nothing is stored. */
interface CancelImportMessage {
  type: 'cancel';
  id: number;
}

export type ToWeightsWorker = ImportWeightsMessage | CancelImportMessage;

// ---------------------------------------------------------------------------------------------
// worker → page

/** Bytes read of the file while reading; past reading, the stage with no rate. */
interface ImportProgressMessage extends ImportProgress {
  type: 'progress';
  id: number;
}

interface ImportDoneMessage {
  type: 'done';
  id: number;
  record: WeightsRecord;
  /** true: the same file (by content hash) was already cached; nothing was parsed or written. */
  cached: boolean;
  /** The full key report of this import (null when it came from the cache). */
  report: KeyReport | null;
  /** Milliseconds per stage, and in all. */
  timings: Partial<Record<ImportStage, number>>;
  totalMs: number;
  /** The worker's peak JS heap as Chromium reports it (performance.memory), null elsewhere. */
  peakHeapBytes: number | null;
}

interface ImportCancelledMessage {
  type: 'cancelled';
  id: number;
}

interface ImportErrorMessage {
  type: 'error';
  id: number;
  kind: ImportErrorKind;
  /** Shown verbatim (the readers' own wording for refusals). */
  message: string;
}

export type FromWeightsWorker = ImportProgressMessage | ImportDoneMessage | ImportCancelledMessage | ImportErrorMessage;

/** Minimum time between two progress messages (ms). */
export const PROGRESS_INTERVAL_MS = 100;
