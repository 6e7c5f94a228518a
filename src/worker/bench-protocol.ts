// Messages between the benchmark page (src/bench/main.ts) and its worker (workers/bench.worker.ts).
import type { BenchOptions, BenchResult, StepCost } from '../engine/bench.ts';
import type { BackendName } from './protocol.ts';

export interface BenchRequest extends BenchOptions {
  backend: BackendName;
}

export type BenchReply =
  | { type: 'backend'; name: string; adapter: string | null; reason: string }
  | { type: 'step'; index: number; warmup: boolean; ms: number; loss: number; cost: StepCost }
  | { type: 'done'; result: BenchResult & { backend: string; adapter: string | null; userAgent: string } }
  | { type: 'error'; message: string };
