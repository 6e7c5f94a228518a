// The embedding controller: starts one embedding computation at a time in the inspect worker
// (a new one cancels the last), and writes its progress and result into the embedding store.
// Made once by createLab.
import { CancelledError, type InspectController } from './inspect-client.ts';
import { useEmbedding } from './embedding-store.ts';

/** The embedding controller's methods (one per lab: createLab). */
export type EmbeddingController = ReturnType<typeof createEmbeddingController>;

export function createEmbeddingController(inspect: Pick<InspectController, 'requestEmbedding'>) {
  const set = useEmbedding.setState;
  const get = useEmbedding.getState;
  let cancelJob: (() => void) | null = null;

  /** Stops the computation under way, if any (its promise then settles as cancelled). */
  function cancel(): void {
    cancelJob?.();
  }

  function compute(runKey: string, count: number, seed = 0): void {
    cancel();
    const job = get().job + 1;
    const request = inspect.requestEmbedding(runKey, count, seed, (p) => {
      if (get().job === job)
        set({
          progress: { phase: p.phase, done: p.done, total: p.total, perSecond: p.perSecond, etaSeconds: p.etaSeconds, detail: p.detail },
        });
    });
    cancelJob = request.cancel;
    set({ status: 'running', runKey, job, progress: null, error: null });
    const settle = () => {
      if (cancelJob === request.cancel) cancelJob = null;
    };
    request.done.then(
      (result) => {
        settle();
        if (get().job === job) set({ status: 'done', result, progress: null });
      },
      (e: unknown) => {
        settle();
        if (get().job !== job) return;
        if (e instanceof CancelledError) set({ status: 'cancelled', progress: null });
        else set({ status: 'error', error: e instanceof Error ? e.message : String(e), progress: null });
      },
    );
  }

  return { compute, cancel };
}
