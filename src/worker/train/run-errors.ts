// Why a run failed, sorted by the error's class (the engine's TrainError, a GpuFault, the dataset
// cache's errors), and the sentence the page shows for it. Only the backends' own out-of-memory
// failures are recognised by their wording: tfjs throws plain Errors for them.
import { TrainError } from '../../engine/errors.ts';
import { DatasetCacheError } from '../../storage/datasets/errors.ts';
import type { ErrorKind } from '../protocol.ts';
import { GpuFault } from './gpu-faults.ts';

export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Out-of-memory as the backends word it (WASM aborts, WebGL/WebGPU allocation failures). */
export function isOutOfMemory(e: unknown): boolean {
  return /out of memory|Aborted\(\)|OOM|failed to allocate|allocation failed|exceeds the (max|maximum)/i.test(errorText(e));
}

export function errorKind(e: unknown): ErrorKind {
  if (e instanceof GpuFault || e instanceof TrainError) return e.kind;
  if (e instanceof DatasetCacheError) return 'data';
  if (isOutOfMemory(e)) return 'out-of-memory';
  return 'other';
}

/** The one-line message of a failed run, with the way out where there is one. */
export function failureMessage(e: unknown, kind: ErrorKind, lastGoodEpoch: number | null): string {
  let message = errorText(e);
  if (kind === 'out-of-memory' && !(e instanceof GpuFault) && !(e instanceof TrainError))
    message = `out of memory on this backend (${message.split('\n')[0].slice(0, 160)}): lower the batch size or the input size`;
  if (kind === 'nan' && lastGoodEpoch !== null) message += `; the last good checkpoint (epoch ${lastGoodEpoch}) is kept`;
  return message;
}
