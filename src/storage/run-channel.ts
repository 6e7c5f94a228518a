// Announcements about stored runs between every tab and worker of the lab's origin, over one
// BroadcastChannel ('eac-runs'): a run started, finished an epoch, ended, was deleted, renamed or
// imported. They carry keys only; listeners re-read the record from the run store
// (src/storage/run-store.ts), which stays the one source of truth (a lost message costs at most
// a poll interval). Works in a page and in a worker (no DOM).

const RUN_CHANNEL = 'eac-runs';

export type RunAnnouncement =
  | { type: 'run-started'; key: string }
  | { type: 'run-epoch'; key: string; epoch: number }
  | { type: 'run-done'; key: string; status: string }
  | { type: 'run-deleted'; key: string }
  | { type: 'run-renamed'; key: string; name: string }
  | { type: 'run-imported'; keys: string[] };

const TYPES = new Set<RunAnnouncement['type']>(['run-started', 'run-epoch', 'run-done', 'run-deleted', 'run-renamed', 'run-imported']);

/** Whether a message from the channel is one of ours (anything else on it is ignored). */
function isRunAnnouncement(m: unknown): m is RunAnnouncement {
  if (!m || typeof m !== 'object') return false;
  const a = m as { type?: unknown; key?: unknown; keys?: unknown };
  if (!TYPES.has(a.type as RunAnnouncement['type'])) return false;
  return a.type === 'run-imported' ? Array.isArray(a.keys) : typeof a.key === 'string';
}

const hasChannel = (): boolean => typeof globalThis.BroadcastChannel === 'function';

// One sender per context: BroadcastChannel delivers to every other channel object of the same
// name, including listeners in the same page, but never back to the sender.
let sender: BroadcastChannel | null = null;

/** Tells every other tab and worker. Never throws: announcing is best effort (polling backs it up). */
export function announceRun(msg: RunAnnouncement): void {
  if (!hasChannel()) return;
  try {
    sender ??= new BroadcastChannel(RUN_CHANNEL);
    sender.postMessage(msg);
  } catch (e) {
    console.warn('[eac] could not announce a run change', e);
  }
}

/** Calls `fn` for each announcement from other contexts; returns the function that stops listening. */
export function listenRuns(fn: (msg: RunAnnouncement) => void): () => void {
  if (!hasChannel()) return () => undefined;
  const ch = new BroadcastChannel(RUN_CHANNEL);
  ch.onmessage = (ev: MessageEvent) => {
    if (isRunAnnouncement(ev.data)) fn(ev.data);
  };
  return () => ch.close();
}

/** Closes this context's sender (tests; a page never needs to). */
export function closeRunChannel(): void {
  sender?.close();
  sender = null;
}
