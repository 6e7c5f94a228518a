// Which backend the training worker runs on, and the move to the next one when a GPU backend
// turns out unable to run the engine (a shader that does not compile): chosen once when the
// worker starts, replaced only by a fallback. Backend selection itself (src/worker/backend.ts)
// is passed in, so this logic runs in Node tests with a fake.
import { BACKEND_ORDER, backendsAfter, type BackendAttempt, type BackendName } from '../protocol.ts';
import type { BackendSelection } from '../backend.ts';
import { errorKind, errorText } from './run-errors.ts';

export interface BackendChoiceDeps {
  select(order: readonly BackendName[], earlier: readonly BackendAttempt[]): Promise<BackendSelection>;
  /** A backend now runs: tell the page (and watch its GPU). */
  announce(sel: BackendSelection): void;
  /** None could start (or selection threw): tell the page why. */
  none(error: unknown): void;
}

export class BackendChoice {
  private current: Promise<BackendSelection | null>;

  constructor(private readonly deps: BackendChoiceDeps) {
    this.current = this.start(BACKEND_ORDER, []);
  }

  /** The backend in use (null: none could start). */
  get(): Promise<BackendSelection | null> {
    return this.current;
  }

  /**
   * Whether an error of a run on `sel` means the backend cannot run the engine rather than a
   * problem of the run: only GPU backends fail that way, and only with an error of no known kind.
   */
  isBackendFailure(sel: BackendSelection, e: unknown): boolean {
    return (sel.name === 'webgpu' || sel.name === 'webgl') && errorKind(e) === 'other';
  }

  /** Gives up on `sel` after it failed while training and moves to the next backend that starts. */
  fallBack(sel: BackendSelection, e: unknown): Promise<BackendSelection | null> {
    const detail = `failed while training (${errorText(e).split('\n')[0].slice(0, 200)})`;
    const earlier = [...sel.attempts.filter((a) => !a.ok), { name: sel.name, ok: false, detail }];
    this.current = this.start(backendsAfter(sel.name), earlier);
    return this.current;
  }

  private start(order: readonly BackendName[], earlier: readonly BackendAttempt[]): Promise<BackendSelection | null> {
    return this.deps.select(order, earlier).then(
      (sel) => {
        this.deps.announce(sel);
        return sel;
      },
      (e: unknown) => {
        this.deps.none(e);
        return null;
      },
    );
  }
}
