// The page's side of the inspect worker (workers/inspect.worker.ts), held by a WorkerHost (started
// on first use): turns its answers into promises, one per request, with progress callbacks and
// Cancel. The classroom and embedding controllers call these; components never touch the worker.
// Importing this file starts nothing: createInspectController makes the host.
import type {
  EmbeddingResult,
  FrameMessage,
  FromInspect,
  InspectProgressMessage,
  RunInfo,
  ToInspect,
} from '../../worker/inspect-protocol.ts';
import type { BackendName } from '../../worker/protocol.ts';
import type { Walkthrough } from '../../engine/walkthrough.ts';
import type { Box } from '../../engine/augment.ts';
import { WorkerHost } from '../worker-host.ts';

export class CancelledError extends Error {
  constructor() {
    super('cancelled');
    this.name = 'CancelledError';
  }
}

interface Pending {
  resolve: (m: FromInspect) => void;
  reject: (e: Error) => void;
  onProgress?: (p: InspectProgressMessage) => void;
}

type Request = ToInspect extends infer T ? (T extends { requestId: number } ? Omit<T, 'requestId'> : never) : never;

export interface WalkthroughAnswer {
  runKey: string;
  epoch: number;
  lam: number;
  result: Walkthrough;
}

/** The worker's backend, or why none could start. */
export type InspectBackendInfo = { name: BackendName; reason: string } | { error: string };

/** The inspect controller's methods (one per lab: createLab). */
export type InspectController = ReturnType<typeof createInspectController>;

export function createInspectController() {
  let nextId = 1;
  const pending = new Map<number, Pending>();
  const backendListeners = new Set<(b: InspectBackendInfo) => void>();
  let backendInfo: InspectBackendInfo | null = null;

  function failAll(message: string): void {
    for (const p of pending.values()) p.reject(new Error(message));
    pending.clear();
  }

  function onMessage(msg: FromInspect): void {
    if (msg.type === 'backend' || (msg.type === 'error' && msg.requestId === null)) {
      backendInfo = msg.type === 'backend' ? { name: msg.name, reason: msg.reason } : { error: msg.message };
      for (const l of backendListeners) l(backendInfo);
      return;
    }
    if (msg.requestId === null) return;
    const p = pending.get(msg.requestId);
    if (!p) return; // an answer to a request the page gave up on
    if (msg.type === 'progress') {
      p.onProgress?.(msg);
      return;
    }
    pending.delete(msg.requestId);
    if (msg.type === 'error') p.reject(new Error(msg.message));
    else if (msg.type === 'cancelled') p.reject(new CancelledError());
    else p.resolve(msg);
  }

  // A crash rejects every pending request and drops the worker: the next request starts a fresh one.
  const host = new WorkerHost<ToInspect, FromInspect>({
    create: () => new Worker(new URL('../../../workers/inspect.worker.ts', import.meta.url), { type: 'module', name: 'eac-inspect' }),
    label: 'inspect',
    onMessage,
    onError: failAll,
    onMessageError: failAll,
    dropOnError: true,
  });

  /** Listens for the worker's backend (called at once if already known). */
  function onBackend(l: (b: InspectBackendInfo) => void): () => void {
    backendListeners.add(l);
    if (backendInfo) l(backendInfo);
    return () => backendListeners.delete(l);
  }

  function request(
    body: Exclude<Request, { type: 'cancel' }>,
    onProgress?: (p: InspectProgressMessage) => void,
    transfer?: Transferable[],
  ): { id: number; done: Promise<FromInspect> } {
    const id = nextId++;
    const done = new Promise<FromInspect>((resolve, reject) => pending.set(id, { resolve, reject, onProgress }));
    host.send({ ...body, requestId: id } as ToInspect, transfer);
    return { id, done };
  }

  async function openRun(runKey: string, onProgress?: (p: InspectProgressMessage) => void): Promise<RunInfo> {
    const m = await request({ type: 'open', runKey }, onProgress).done;
    if (m.type !== 'opened') throw new Error(`unexpected answer ${m.type}`);
    return m.info;
  }

  async function requestWalkthrough(
    runKey: string,
    index: number,
    seed: number,
    scale: [number, number],
    onProgress?: (p: InspectProgressMessage) => void,
  ): Promise<WalkthroughAnswer> {
    const m = await request({ type: 'walkthrough', runKey, index, seed, scale }, onProgress).done;
    if (m.type !== 'walkthrough') throw new Error(`unexpected answer ${m.type}`);
    return { runKey: m.runKey, epoch: m.epoch, lam: m.lam, result: m.result };
  }

  /** Starts a features request; `cancel` stops it (the promise then rejects with CancelledError). */
  function requestEmbedding(
    runKey: string,
    count: number,
    seed: number,
    onProgress: (p: InspectProgressMessage) => void,
  ): { done: Promise<EmbeddingResult>; cancel: () => void } {
    const { id, done } = request({ type: 'features', runKey, count, seed }, onProgress);
    return {
      done: done.then((m) => {
        if (m.type !== 'features') throw new Error(`unexpected answer ${m.type}`);
        return m.result;
      }),
      cancel: () => host.sendIfRunning({ type: 'cancel', requestId: id }),
    };
  }

  /**
   * Sends one face crop (transferred: the page's bitmap is gone afterwards) with the hand-erased box;
   * the answer is the prediction, both maps and their consistency. The caller keeps one in flight.
   */
  async function requestFrame(runKey: string, bitmap: ImageBitmap, box: Box | null): Promise<FrameMessage> {
    const m = await request({ type: 'frame', runKey, bitmap, box }, undefined, [bitmap]).done;
    if (m.type !== 'frame') throw new Error(`unexpected answer ${m.type}`);
    return m;
  }

  /** Ends the inspect worker (a frame it never answered): pending requests fail, the next request starts a fresh one. */
  function restartInspect(reason: string): void {
    host.drop();
    failAll(reason);
  }

  return {
    onBackend,
    openRun,
    requestWalkthrough,
    requestEmbedding,
    requestFrame,
    restartInspect,
    dispose(): void {
      restartInspect('the lab was closed');
    },
  };
}
