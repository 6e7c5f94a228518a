// Benchmark worker: selects the requested tfjs backend (as the lab's worker does) and times
// training steps with the engine's benchmarkSteps.
import { benchmarkSteps } from '../src/engine/bench.ts';
import { selectBackend } from '../src/worker/backend.ts';
import type { BenchReply, BenchRequest } from '../src/worker/bench-protocol.ts';

const post = (m: BenchReply) => (self as unknown as Worker).postMessage(m);

self.onmessage = async (e: MessageEvent<BenchRequest>) => {
  const req = e.data;
  try {
    const sel = await selectBackend([req.backend]);
    post({ type: 'backend', name: sel.name, adapter: sel.adapter, reason: sel.reason });
    const result = await benchmarkSteps(req, (index, warmup, ms, loss, cost) => post({ type: 'step', index, warmup, ms, loss, cost }));
    post({ type: 'done', result: { ...result, backend: sel.name, adapter: sel.adapter, userAgent: navigator.userAgent } });
  } catch (err) {
    post({ type: 'error', message: err instanceof Error ? err.message : String(err) });
  }
};
