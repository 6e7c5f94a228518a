// State of the feature picture: one embedding computation at a time (features, then UMAP, in the
// inspect worker), its progress and its result. Kept outside the panel, so switching views while
// it computes loses nothing.
import { create } from 'zustand';
import type { Progress } from '../../engine/progress.ts';
import type { EmbeddingResult, InspectPhase } from '../../worker/inspect-protocol.ts';
import { CancelledError, requestEmbedding } from './inspect-client.ts';

export interface EmbeddingProgress extends Progress {
  phase: InspectPhase;
}

export interface EmbeddingState {
  status: 'idle' | 'running' | 'done' | 'cancelled' | 'error';
  runKey: string | null;
  progress: EmbeddingProgress | null;
  result: EmbeddingResult | null;
  error: string | null;
  cancel: (() => void) | null;
  compute(runKey: string, count: number, seed?: number): void;
}

export const useEmbedding = create<EmbeddingState>()((set, get) => ({
  status: 'idle',
  runKey: null,
  progress: null,
  result: null,
  error: null,
  cancel: null,
  compute(runKey, count, seed = 0) {
    get().cancel?.();
    const job = requestEmbedding(runKey, count, seed, (p) => {
      if (get().cancel === job.cancel)
        set({
          progress: { phase: p.phase, done: p.done, total: p.total, perSecond: p.perSecond, etaSeconds: p.etaSeconds, detail: p.detail },
        });
    });
    set({ status: 'running', runKey, progress: null, error: null, cancel: job.cancel });
    job.done.then(
      (result) => {
        if (get().cancel === job.cancel) set({ status: 'done', result, progress: null, cancel: null });
      },
      (e: unknown) => {
        if (get().cancel !== job.cancel) return;
        if (e instanceof CancelledError) set({ status: 'cancelled', progress: null, cancel: null });
        else set({ status: 'error', error: e instanceof Error ? e.message : String(e), progress: null, cancel: null });
      },
    );
  },
}));
