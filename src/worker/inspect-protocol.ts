// Messages between the page and the inspect worker (workers/inspect.worker.ts), which looks inside
// a stored run's model for the classroom view: the "attention erasing explained" walk-through of
// one sample and the 2-D embedding of pooled features. Plain structured-cloneable objects tagged
// by `type`; every request carries a `requestId` chosen by the page, and every answer echoes it.
import type { TrainConfig } from '../engine/config.ts';
import type { Walkthrough } from '../engine/walkthrough.ts';
import type { FaceFrame } from '../engine/face-frame.ts';
import type { Box } from '../engine/augment.ts';
import type { BackendName } from './protocol.ts';
import type { Progress } from '../engine/progress.ts';

// ---------------------------------------------------------------------------------------------
// page → worker

/** Loads a stored run's checkpoint and dataset (cached in the worker) and describes them. */
interface OpenRequest {
  type: 'open';
  requestId: number;
  runKey: string;
}

/** The walk-through of training sample `index` under the run's model at its checkpoint. */
export interface WalkthroughRequest {
  type: 'walkthrough';
  requestId: number;
  runKey: string;
  index: number;
  /** Seed of the erasing draw (re-roll = a new seed). */
  seed: number;
  /** Erased area range as fractions of the image (the recipe: [0.02, 0.25]). */
  scale: [number, number];
}

/** Pooled features of up to `count` training samples, then their UMAP embedding. */
export interface FeaturesRequest {
  type: 'features';
  requestId: number;
  runKey: string;
  /** How many training samples (a seeded subset when the split is larger). */
  count: number;
  /** Seed of the subset and of UMAP. */
  seed: number;
}

/** Stops a features request between two batches or UMAP epochs. */
interface CancelRequest {
  type: 'cancel';
  requestId: number;
}

/**
 * One camera frame (or still) of the camera view: the face crop as an ImageBitmap (transferred,
 * closed by the worker; resized to the run's input size if it is not already) and the box erased
 * by hand, in input pixels. The page keeps at most one in flight.
 */
export interface FrameRequest {
  type: 'frame';
  requestId: number;
  runKey: string;
  bitmap: ImageBitmap;
  box: Box | null;
}

export type ToInspect = OpenRequest | WalkthroughRequest | FeaturesRequest | CancelRequest | FrameRequest;

// ---------------------------------------------------------------------------------------------
// worker → page

/** Which backend the worker runs on (it picks its own, as the training worker does). */
interface InspectBackendMessage {
  type: 'backend';
  name: BackendName;
  reason: string;
}

/** What the page needs to pick samples of an opened run. */
export interface RunInfo {
  runKey: string;
  /** The checkpoint's epoch (the model the answers use). */
  epoch: number;
  config: TrainConfig;
  datasetName: string;
  /** Training labels (possibly noisy) and clean labels of the whole training split. */
  labels: Int32Array;
  cleanLabels: Int32Array;
}

interface OpenedMessage {
  type: 'opened';
  requestId: number;
  info: RunInfo;
}

interface WalkthroughMessage {
  type: 'walkthrough';
  requestId: number;
  runKey: string;
  epoch: number;
  /** λ of the run (the weight of the consistency term in its loss). */
  lam: number;
  result: Walkthrough;
}

export interface FrameMessage {
  type: 'frame';
  requestId: number;
  runKey: string;
  epoch: number;
  result: FaceFrame;
  /** size×size×3 RGB: the face as the model saw it (before erasing), to draw and to save. */
  crop: Uint8Array;
  /** Time in the worker (ms): reading the bitmap, then the model. */
  workerMs: number;
}

export type InspectPhase = 'data' | 'features' | 'umap';

/** Progress of a request; `perSecond` counts images for features, epochs for UMAP. */
export interface InspectProgressMessage extends Progress {
  type: 'progress';
  requestId: number;
  phase: InspectPhase;
}

/** Side of the thumbnails sent with an embedding (pixels). */
export const THUMB_SIZE = 48;

export interface EmbeddingResult {
  runKey: string;
  epoch: number;
  /** Indices in the training split, ascending. */
  indices: Int32Array;
  /** N×2 coordinates, row-major. */
  coords: Float32Array;
  /** Training (possibly noisy) labels and true labels of those samples. */
  labels: Int32Array;
  cleanLabels: Int32Array;
  /** N·THUMB_SIZE²·3 RGB thumbnails, for hovering. */
  thumbs: Uint8Array;
  thumbSize: number;
  featureDim: number;
  seconds: { features: number; umap: number };
}

interface FeaturesMessage {
  type: 'features';
  requestId: number;
  result: EmbeddingResult;
}

interface InspectErrorMessage {
  type: 'error';
  requestId: number | null;
  message: string;
}

interface CancelledMessage {
  type: 'cancelled';
  requestId: number;
}

export type FromInspect =
  | InspectBackendMessage
  | OpenedMessage
  | WalkthroughMessage
  | InspectProgressMessage
  | FeaturesMessage
  | InspectErrorMessage
  | CancelledMessage
  | FrameMessage;

/** Most samples a features request may ask for (UMAP in a worker stays interactive up to here). */
export const MAX_EMBED_SAMPLES = 2000;
