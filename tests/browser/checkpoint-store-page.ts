// The checkpoint store page (tests/browser/checkpoint-store.html on the Vite dev server): saves a
// checkpoint of the architecture named in the URL (?arch=resnet50&width=64) through the run store,
// as the training worker does, loads it back, compares every array, and deletes the run. Results
// land on `window.__ckpt`.
import type { TrainCheckpoint } from '../../src/engine/checkpoint.ts';
import { defaultTrainConfig } from '../../src/engine/config.ts';
import { describeResNet, listParams, type Arch } from '../../src/engine/resnet-layout.ts';
import { checkpointBytes, deleteRun, loadCheckpoint, saveCheckpoint } from '../../src/storage/run-store.ts';
import type { RunRecord } from '../../src/storage/run-record.ts';

export interface CheckpointPageReport {
  done: true;
  error: string | null;
  bytes: number;
  /** Arrays that came back different (name), of all. */
  differ: string[];
  arrays: number;
}

declare global {
  interface Window {
    __ckpt?: CheckpointPageReport;
  }
}

const q = new URLSearchParams(self.location.search);
const arch = (q.get('arch') ?? 'resnet50') as Arch;
const width = Number(q.get('width') ?? 64);
const config = { ...defaultTrainConfig(arch), width, size: 224, epochs: 2 };
const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
// Distinct values per array, so that a part put back in the wrong place would show.
const fill = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => ((i * 7 + seed * 13) % 1000) / 1000);

async function main(): Promise<CheckpointPageReport> {
  const params = listParams(describeResNet({ arch, width, numClasses: 7 }));
  const trainable = params.filter((p) => p.trainable).map((p) => size(p.shape));
  const ckpt: TrainCheckpoint = {
    version: 2,
    config,
    epoch: 1,
    step: 10,
    values: new Map(params.map((p, i) => [p.name, fill(size(p.shape), i)])),
    optimizer: { step: 10, lr: 1e-4, m: trainable.map((n, i) => fill(n, i + 1000)), v: trainable.map((n, i) => fill(n, i + 2000)) },
    rng: { words: [1, 2, 3, 4], spare: null },
    epochs: [],
    steps: [],
    imagesSeen: 320,
    seconds: 1,
    partial: null,
  };
  ckpt.epoch = 0;
  const now = new Date().toISOString();
  const record: RunRecord = {
    key: 'big-ckpt',
    name: 'big checkpoint',
    createdAt: now,
    updatedAt: now,
    status: 'running',
    request: {
      config,
      data: { kind: 'demo', seed: 0, trainCount: 32, testCount: 16, noiseRate: 0, noiseSeed: 0 },
      weights: null,
      attention: { count: 4, seed: 0 },
    },
    epochs: [],
    checkpointEpoch: null,
    summary: null,
    error: null,
  } as unknown as RunRecord;
  await saveCheckpoint(record, ckpt, null);
  const back = await loadCheckpoint('big-ckpt');
  if (!back) throw new Error('the checkpoint did not come back');
  const differ: string[] = [];
  const same = (a: Float32Array, b: Float32Array | undefined) => !!b && a.length === b.length && a.every((x, i) => x === b[i]);
  for (const [k, v] of ckpt.values) if (!same(v, back.values.get(k))) differ.push(k);
  ckpt.optimizer.m.forEach((a, i) => same(a, back.optimizer.m[i]) || differ.push(`m[${i}]`));
  ckpt.optimizer.v.forEach((a, i) => same(a, back.optimizer.v[i]) || differ.push(`v[${i}]`));
  await deleteRun('big-ckpt');
  return { done: true, error: null, bytes: checkpointBytes(ckpt), differ, arrays: ckpt.values.size + 2 * trainable.length };
}

// In a worker (?worker=1), as the training worker saves its checkpoints; else on the page.
const inWorker = typeof document === 'undefined';
if (inWorker) {
  main()
    .then((r) => postMessage(r))
    .catch((e: unknown) => postMessage({ done: true, error: e instanceof Error ? e.message : String(e), bytes: 0, differ: [], arrays: 0 }));
} else {
  const status = document.getElementById('status')!;
  const report = (r: CheckpointPageReport) => {
    status.textContent = JSON.stringify(r);
    window.__ckpt = r;
  };
  if (q.get('worker') === '1') {
    const url = new URL('./checkpoint-store-page.ts', import.meta.url);
    url.search = location.search;
    const w = new Worker(url, { type: 'module' });
    w.onmessage = (ev: MessageEvent<CheckpointPageReport>) => report(ev.data);
    w.onerror = (ev) => report({ done: true, error: `worker: ${ev.message}`, bytes: 0, differ: [], arrays: 0 });
  } else
    main()
      .then(report)
      .catch((e: unknown) => report({ done: true, error: e instanceof Error ? e.message : String(e), bytes: 0, differ: [], arrays: 0 }));
}
