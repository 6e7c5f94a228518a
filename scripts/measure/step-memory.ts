// Checks src/engine/memory-fit.ts (the lab's and the CLI's memory check): the wasm heap after one
// EAC training step (wasm memory only grows, so this is the step's peak, rounded up by the heap's
// growth steps), against the need the check computes, each shape in a fresh process. A ratio
// above 1 would let through a step that does not fit.
//   node --import tsx scripts/measure/step-memory.ts
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const shapes = [
  ['resnet18', 8, 64, 4],
  ['resnet18', 16, 96, 8],
  ['resnet18', 32, 128, 8],
  ['resnet50', 8, 96, 4],
  ['resnet50', 16, 128, 8],
  ['resnet50', 32, 160, 8],
] as const;

if (process.argv[2] === '--one') {
  const [arch, width, size, batchSize] = [process.argv[3] as 'resnet18' | 'resnet50', +process.argv[4], +process.argv[5], +process.argv[6]];
  const { setupBackend } = await import('../../src/cli/node-backends.ts');
  const { tf } = await import('../../src/engine/tf.ts');
  const { benchmarkSteps } = await import('../../src/engine/bench.ts');
  const { stepNeed } = await import('../../src/engine/memory-fit.ts');
  await setupBackend('wasm');
  const heap = () => (tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8.buffer.byteLength;
  const before = heap();
  await benchmarkSteps({ arch, width, size, batchSize, steps: 1, warmup: 0, method: 'eac' });
  const need = stepNeed({ arch, width, size, batchSize, method: 'eac' }, 'cpu').needBytes;
  console.log(
    JSON.stringify({
      arch,
      width,
      size,
      batchSize,
      heapBefore: before,
      heapAfter: heap(),
      needBytes: need,
      heapOverNeed: +(heap() / need).toFixed(3),
    }),
  );
} else {
  for (const s of shapes) {
    const r = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--one', ...s.map(String)], {
      encoding: 'utf8',
    });
    process.stdout.write(
      r.stdout
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .join('\n') + '\n',
    );
  }
}
