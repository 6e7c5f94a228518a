// Runs one cell of `eac sweep`: `eac train`'s own command, in this process (--jobs 1) or in a
// child process (--jobs N), watched through the same hooks: each step's progress, each
// checkpoint written, and how the run ended.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { trainCommand, type TrainHooks } from './train.ts';
import type { TrainProgress } from '../engine/run-types.ts';

export interface StepInfo {
  epoch: number;
  epochs: number;
  stepInEpoch: number;
  stepsPerEpoch: number;
  step: number;
  totalSteps: number;
  loss: number;
  /** The run's training time so far, over every attempt. */
  seconds: number | null;
}

export interface CellWatch {
  onStep(s: StepInfo): void;
  onCheckpoint(c: { step: number; epoch: number }): void;
}

/** How a cell's run ended: finished (its JSON is written), stopped by a signal (resumable), or failed. */
export type CellEnd = { kind: 'finished' } | { kind: 'interrupted' } | { kind: 'failed'; reason: string };

/**
 * The run's elapsed time, which the trainer's ETA is made from (elapsed / step × steps left):
 * it includes the time before a resume, which a clock started here would miss.
 */
export function stepInfo(p: TrainProgress, last: number | null): StepInfo {
  const left = p.totalSteps - p.step;
  return {
    epoch: p.epoch,
    epochs: p.epochs,
    stepInEpoch: p.stepInEpoch,
    stepsPerEpoch: p.stepsPerEpoch,
    step: p.step,
    totalSteps: p.totalSteps,
    loss: p.last.loss,
    seconds: p.etaSeconds !== null && left > 0 ? (p.etaSeconds * p.step) / left : last,
  };
}

function watchHooks(watch: CellWatch, signal: AbortSignal): TrainHooks {
  let seconds: number | null = null;
  return {
    signal,
    onStep: (p) => {
      const s = stepInfo(p, seconds);
      seconds = s.seconds;
      watch.onStep(s);
    },
    onCheckpoint: (c) => watch.onCheckpoint(c),
  };
}

const firstLine = (e: unknown) => String((e as Error)?.message ?? e).split('\n')[0];

export async function runCellHere(args: string[], signal: AbortSignal, watch: CellWatch): Promise<CellEnd> {
  try {
    const code = await trainCommand(args, watchHooks(watch, signal));
    return code === 0
      ? { kind: 'finished' }
      : code === 130
        ? { kind: 'interrupted' }
        : { kind: 'failed', reason: `eac train exited with ${code}` };
  } catch (e) {
    // Ctrl-C during the data or backend setup is an interruption, not the cell's failure.
    return signal.aborted ? { kind: 'interrupted' } : { kind: 'failed', reason: firstLine(e) };
  }
}

/** Messages a child sends its sweep over the IPC channel. */
export type ChildMessage = ({ t: 'step' } & StepInfo) | { t: 'checkpoint'; step: number; epoch: number };

const BIN = fileURLToPath(new URL('../../bin/eac.js', import.meta.url));

/** The child's side: `eac sweep --child TRAIN_ARGS...` runs the cell and reports over IPC. */
export async function childMain(args: string[]): Promise<number> {
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  // The sweep that started it died (killed, its machine lost): stop as on Ctrl-C, keeping the
  // checkpoint, so that the process taking the cell over never races a run nobody watches.
  process.on('disconnect', stop);
  let lastSent = 0;
  const send = (m: ChildMessage) => process.connected && process.send?.(m);
  try {
    return await trainCommand(
      args,
      watchHooks(
        {
          onStep: (s) => {
            const t = performance.now();
            if (t - lastSent < 500 && s.step !== s.totalSteps) return;
            lastSent = t;
            send({ t: 'step', ...s });
          },
          onCheckpoint: (c) => send({ t: 'checkpoint', ...c }),
        },
        controller.signal,
      ),
    );
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    process.off('disconnect', stop);
  }
}

/** A cell in a child process; its stderr lines come through `line` (prefixed by the caller). */
export function runCellInChild(args: string[], signal: AbortSignal, watch: CellWatch, line: (l: string) => void): Promise<CellEnd> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, 'sweep', '--child', ...args], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    let reason: string | null = null;
    let buf = '';
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => {
      buf += chunk;
      const lines = buf.split('\n');
      buf = lines.pop()!;
      for (const l of lines) {
        const m = /^eac sweep: error: (.*)$/.exec(l);
        if (m) reason = m[1];
        line(l);
      }
    });
    child.on('message', (m: ChildMessage) => {
      if (m?.t === 'step') watch.onStep(m);
      else if (m?.t === 'checkpoint') watch.onCheckpoint(m);
    });
    const onAbort = () => child.kill('SIGINT');
    signal.addEventListener('abort', onAbort, { once: true });
    child.on('error', (e) => {
      signal.removeEventListener('abort', onAbort);
      resolve({ kind: 'failed', reason: `cannot start a child process: ${firstLine(e)}` });
    });
    child.on('close', (code, sig) => {
      signal.removeEventListener('abort', onAbort);
      if (buf) line(buf);
      if (code === 0) resolve({ kind: 'finished' });
      else if (code === 130 || sig === 'SIGINT' || sig === 'SIGTERM' || (signal.aborted && code !== 1 && code !== 2))
        resolve({ kind: 'interrupted' });
      else resolve({ kind: 'failed', reason: reason ?? `the cell's process exited with ${sig ?? code}` });
    });
  });
}
