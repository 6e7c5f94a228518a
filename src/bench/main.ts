// The benchmark page: reads its parameters from the URL, runs `benchmarkSteps` in a worker and
// shows (and exposes on window.__benchResult, for scripts/bench/browser.ts) the result.
import type { BenchRequest, BenchReply } from '../worker/bench-protocol.ts';
import type { StepCost } from '../engine/bench.ts';
import { bytesText } from '../engine/format.ts';

const params = new URLSearchParams(location.search);
const num = (k: string, d: number) => (params.has(k) ? Number(params.get(k)) : d);
const request: BenchRequest = {
  arch: params.get('arch') === 'resnet50' ? 'resnet50' : 'resnet18',
  width: num('width', 64),
  size: num('size', params.get('arch') === 'resnet50' ? 224 : 112),
  batchSize: num('batch', 8),
  steps: num('steps', 3),
  warmup: num('warmup', 1),
  method: params.get('method') === 'baseline' ? 'baseline' : 'eac',
  backend: (params.get('backend') as BenchRequest['backend']) ?? 'webgpu',
  // replay=0: every WebGPU step through tfjs's ops (the step program's baseline).
  replay: params.get('replay') !== '0',
  // recompute=1: EAC's pass 1 recomputed (about half the memory, a sixth more work).
  recomputePass1: params.get('recompute') === '1',
};

/** JavaScript time and what the step asked of WebGPU: the step program's figures. */
function describeCost(c: StepCost): string {
  const g = c.gpu;
  const parts = [`${c.replayed ? 'replayed, ' : ''}JavaScript ${c.encodeMs.toFixed(1)} ms`];
  if (c.dispatches !== null) parts.push(`${c.dispatches} dispatches`);
  if (g)
    parts.push(
      `${g.passes} passes, ${g.submits} submits, ${g.bindGroups} bind groups, ${g.pipelines} pipelines, ${g.uniformWrites} uniform writes`,
    );
  if (c.deviceBytes !== null) parts.push(`device buffers ${bytesText(c.deviceBytes, 'binary')}`);
  return parts.join(', ');
}

const log = document.getElementById('log')!;
const lines: string[] = [`request: ${JSON.stringify(request)}`];
const show = (line: string) => {
  lines.push(line);
  log.textContent = lines.join('\n');
};
log.textContent = lines.join('\n');

const worker = new Worker(new URL('../../workers/bench.worker.ts', import.meta.url), { type: 'module' });
worker.onmessage = (e: MessageEvent<BenchReply>) => {
  const m = e.data;
  if (m.type === 'backend') show(`backend: ${m.name}${m.adapter ? ` (${m.adapter})` : ''}: ${m.reason}`);
  else if (m.type === 'step')
    show(`${m.warmup ? 'warm-up' : 'step'} ${m.index}: ${m.ms.toFixed(1)} ms, ${describeCost(m.cost)} (loss ${m.loss.toFixed(4)})`);
  else if (m.type === 'done') {
    show(
      `median ${m.result.msPerStep.toFixed(1)} ms/step, ${m.result.imagesPerSecond.toFixed(2)} images/s; ${describeCost(m.result.median)}`,
    );
    const p = m.result.program;
    show(
      p.plannedBytes !== null
        ? `step program: ${p.replayed} replayed, ${p.opSteps} through tfjs; plan ${bytesText(p.plannedBytes, 'binary')} in ${p.buffers} buffers (live peak ${bytesText(p.liveBytes ?? 0, 'binary')})`
        : `step program: not replayed (${p.notReplayed ?? 'the third step is the first replayed'})`,
    );
    (window as unknown as { __benchResult: unknown }).__benchResult = m.result;
  } else {
    show(`error: ${m.message}`);
    (window as unknown as { __benchResult: unknown }).__benchResult = { error: m.message };
  }
};
worker.postMessage(request);
