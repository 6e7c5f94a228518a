// The messages between the page and the ingest worker (workers/ingest.worker.ts), which reads a
// RAF-DB folder (decoding every JPEG) and stores it in the dataset cache. Plain structured-
// cloneable objects tagged by `type`. The folder travels as FileSystemHandles or Files with
// relative paths (both cloneable); the reading happens in the worker.
import type { FolderSource } from '../data/browser-folder.ts';
import type { CachedDatasetInfo } from '../storage/dataset-cache.ts';
import type { Progress } from '../engine/progress.ts';

export type { FolderSource };

// page → worker

export interface IngestMessage {
  type: 'ingest';
  /** Chosen by the page; every answer about this ingest carries it. */
  id: number;
  source: FolderSource;
  /** FERPlus and AffectNet: their 7 basic expressions (contempt dropped, as the paper) rather than 8. */
  basicClasses?: boolean;
}

interface CancelIngestMessage {
  type: 'cancel';
  id: number;
}

export type ToIngestWorker = IngestMessage | CancelIngestMessage;

// worker → page

/**
 * listing: finding EmoLabel/ and Image/aligned/ and sizing the files (the cache key);
 * decoding: reading and decoding the JPEGs; storing: writing the dataset cache.
 */
export type IngestPhase = 'listing' | 'decoding' | 'storing';

/** Progress of a phase: files while listing, images while decoding, bytes while storing. */
interface IngestProgressMessage extends Progress {
  type: 'progress';
  id: number;
  phase: IngestPhase;
}

/** Seconds each phase took (0 for a phase that did not run). */
export interface IngestTimings {
  listing: number;
  /** Reading and decoding the images, each chunk's pixels written to the cache as it fills. */
  decoding: number;
  /** The rest of the cache's write: label texts, the index and the meta. */
  storing: number;
  total: number;
}

export interface IngestDoneMessage {
  type: 'done';
  id: number;
  key: string;
  /** True when the folder was already in the cache (nothing was decoded). */
  fromCache: boolean;
  info: CachedDatasetInfo;
  timings: IngestTimings;
}

interface IngestCancelledMessage {
  type: 'cancelled';
  id: number;
}

interface IngestErrorMessage {
  type: 'error';
  id: number;
  message: string;
  /** Set for a storage quota failure: what the dataset needs, and what the browser had free. */
  quota?: { neededBytes: number; availableBytes: number | null };
}

export type FromIngestWorker = IngestProgressMessage | IngestDoneMessage | IngestCancelledMessage | IngestErrorMessage;

/** Minimum time between two progress messages (ms). */
export const INGEST_PROGRESS_INTERVAL_MS = 200;
