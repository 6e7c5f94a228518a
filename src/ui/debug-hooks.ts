// ?debug: what a test or a teacher needs to show recovery, a simulated GPU reset
// (window.eacDebug.loseDevice()). Only in the dev server and in test builds (`vite build --mode
// test`): main.tsx imports this file behind import.meta.env checks that a production build folds
// to false, so the production bundle has neither this file nor the hook.
import type { RunController } from './runner.ts';

export function installDebugHooks(run: Pick<RunController, 'loseDevice'>): void {
  if (new URLSearchParams(location.search).has('debug'))
    (window as unknown as { eacDebug: unknown }).eacDebug = { loseDevice: run.loseDevice };
}
