// State of the feature picture: one embedding computation at a time (features, then UMAP, in the
// inspect worker), its progress and its result. Kept outside the panel, so switching views while
// it computes loses nothing. The embedding controller (embedding-controller.ts) starts and cancels
// the computation and writes here.
import { create } from 'zustand';
import type { Progress } from '../../engine/progress.ts';
import type { EmbeddingResult, InspectPhase } from '../../worker/inspect-protocol.ts';

export interface EmbeddingProgress extends Progress {
  phase: InspectPhase;
}

export interface EmbeddingState {
  status: 'idle' | 'running' | 'done' | 'cancelled' | 'error';
  runKey: string | null;
  /** The computation shown (a newer one replaces it); 0: none yet. */
  job: number;
  progress: EmbeddingProgress | null;
  result: EmbeddingResult | null;
  error: string | null;
}

export const useEmbedding = create<EmbeddingState>()(() => ({
  status: 'idle',
  runKey: null,
  job: 0,
  progress: null,
  result: null,
  error: null,
}));
