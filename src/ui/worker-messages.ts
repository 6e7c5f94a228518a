// The training worker's messages applied to the stores they concern: the current run
// (current-run-store.ts), the backend (backend-store.ts) and, for a resumed run, the settings form
// (settings-store.ts). Pure reduction over a view of the three, then one update per store that
// changed: a batch of step messages renders once.
import type { FromWorker } from '../worker/protocol.ts';
import { DEFAULT_SETTINGS, draftOf, settingsOfRun, type SettingsDraft } from './settings.ts';
import { isRunning, reduceRun, useRun, type RunState } from './current-run-store.ts';
import { useBackend, type BackendState } from './backend-store.ts';
import type { ProbeReport } from '../worker/protocol.ts';
import { useSettings } from './settings-store.ts';

/** What a worker message may change, across the stores. */
export interface MessageView {
  run: RunState;
  backend: BackendState;
  probe: ProbeReport | null;
  workerError: string | null;
  draft: SettingsDraft;
}

/** The fields a worker message changes (pure). */
function applyMessage(s: MessageView, msg: FromWorker): Partial<MessageView> {
  if (msg.type === 'backend') {
    return {
      backend: {
        status: 'ready',
        name: msg.name,
        adapter: msg.adapter,
        reason: msg.reason,
        attempts: msg.attempts,
        versions: msg.versions,
        memory: msg.memory,
      },
    };
  }
  if (msg.type === 'probe') return { probe: msg.report };
  if (msg.type === 'error' && msg.runId === null) {
    return { workerError: msg.message, backend: { ...s.backend, status: s.backend.status === 'pending' ? 'failed' : s.backend.status } };
  }
  const run = reduceRun(s.run, msg);
  if (run === s.run) return {};
  // A resumed run brings its settings from the run store: show them in the form.
  if (msg.type === 'started' && msg.resumedFrom > 0 && !s.run.settings) {
    const settings = settingsOfRun(msg.config, msg.data, Number(s.draft.attentionCount) || DEFAULT_SETTINGS.attentionCount);
    return { run: { ...run, settings }, draft: draftOf(settings) };
  }
  return { run };
}

/** The state after a worker message; the same object if nothing changed (no re-render). */
export function withMessage(s: MessageView, msg: FromWorker): MessageView {
  const patch = applyMessage(s, msg);
  return Object.keys(patch).length ? { ...s, ...patch } : s;
}

function currentView(): MessageView {
  const { backend, probe, workerError } = useBackend.getState();
  return { run: useRun.getState().run, backend, probe, workerError, draft: useSettings.getState().draft };
}

/** Applies worker messages (one or a batch) to the stores: one update per store that changed. */
export function receiveWorkerMessages(msgs: readonly FromWorker[]): void {
  const before = currentView();
  const after = msgs.reduce(withMessage, before);
  if (after === before) return;
  if (after.backend !== before.backend || after.probe !== before.probe || after.workerError !== before.workerError)
    useBackend.setState({ backend: after.backend, probe: after.probe, workerError: after.workerError });
  if (after.draft !== before.draft) useSettings.setState({ draft: after.draft });
  if (after.run !== before.run) useRun.setState({ run: after.run });
}

/** The worker could not load or crashed: the run (if any) fails, and a pending backend too. */
export function workerFailed(message: string): void {
  const { run } = useRun.getState();
  const { backend } = useBackend.getState();
  useBackend.setState({ workerError: message, backend: backend.status === 'pending' ? { ...backend, status: 'failed' } : backend });
  if (isRunning(run.status)) useRun.setState({ run: { ...run, status: 'error', error: message } });
}

/** Applies one worker message to the stores. */
export const receiveWorkerMessage = (msg: FromWorker): void => receiveWorkerMessages([msg]);
