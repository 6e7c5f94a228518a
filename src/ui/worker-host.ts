// The page's hold on one Web Worker, shared by the training, ingest, weights and inspect clients: starts
// the worker on first use, forwards its messages, turns a crash or an unreadable message into one
// clear sentence (and keeps the browser from reporting the crash as an uncaught error), sends,
// terminates ("drop", the next send starts a fresh one), and terminates a worker that does not
// answer a stop or cancel within a grace period. The `new Worker(new URL(…), …)` expression stays
// in each client's `create` callback: Vite bundles a worker only where it sees it literally.

/** What the host uses of a Worker (a test passes a fake). */
export interface WorkerLike {
  onmessage: ((ev: MessageEvent) => unknown) | null;
  onerror: ((ev: ErrorEvent) => unknown) | null;
  onmessageerror: ((ev: MessageEvent) => unknown) | null;
  postMessage(message: unknown, transfer: Transferable[]): void;
  postMessage(message: unknown): void;
  terminate(): void;
}

interface WorkerHostOptions<FromWorker, W extends WorkerLike = Worker> {
  /** Creates the worker; called on first use and after each drop. */
  create: () => W;
  /** Names the worker in the messages: 'training' gives "the training worker failed: …". */
  label: string;
  onMessage: (msg: FromWorker) => void;
  /** The worker could not load or threw: `message` is ready to show. */
  onError: (message: string) => void;
  /** A message from the worker could not be deserialised: `message` is ready to show. */
  onMessageError: (message: string) => void;
  /** Terminate the worker (before onError) when it fails, so the next send starts a fresh one. */
  dropOnError?: boolean;
}

export class WorkerHost<ToWorker, FromWorker, W extends WorkerLike = Worker> {
  private worker: W | null = null;
  private killTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly opts: WorkerHostOptions<FromWorker, W>) {}

  /** The worker, started if there is none. Safe to call repeatedly. */
  ensure(): W {
    if (this.worker) return this.worker;
    const o = this.opts;
    const w = o.create();
    w.onmessage = (ev: MessageEvent<FromWorker>) => o.onMessage(ev.data);
    w.onerror = (ev: ErrorEvent) => {
      ev.preventDefault();
      if (o.dropOnError) this.drop();
      o.onError(`the ${o.label} worker failed: ${ev.message || 'could not load or crashed (see the console)'}`);
    };
    w.onmessageerror = () => o.onMessageError(`a message from the ${o.label} worker could not be read`);
    this.worker = w;
    return w;
  }

  send(msg: ToWorker, transfer?: Transferable[]): void {
    const w = this.ensure();
    if (transfer) w.postMessage(msg, transfer);
    else w.postMessage(msg);
  }

  /** Sends only to a worker already running (a cancel must not start one). */
  sendIfRunning(msg: ToWorker): void {
    this.worker?.postMessage(msg);
  }

  /** Terminates the worker (if any) and forgets a pending kill; the next send starts a fresh one. */
  drop(): void {
    this.cancelKill();
    this.worker?.terminate();
    this.worker = null;
  }

  /**
   * In `ms`, if `stillWaiting()` (the stop or cancel was not answered), drops the worker and calls
   * `onKilled`. Replaces a kill already pending.
   */
  killAfter(ms: number, stillWaiting: () => boolean, onKilled: () => void): void {
    this.cancelKill();
    this.killTimer = setTimeout(() => {
      this.killTimer = null;
      if (!stillWaiting()) return;
      this.drop();
      onKilled();
    }, ms);
  }

  /** The worker answered: no kill. */
  cancelKill(): void {
    if (this.killTimer !== null) clearTimeout(this.killTimer);
    this.killTimer = null;
  }
}
