// A page that renders the lab's progress panel, charts and export panel from a synthetic store
// state (no worker, no TensorFlow.js), for looking at them and for tests/browser/charts.test.ts.
// Query: ?steps=N&epochs=E&method=eac|baseline&flipped=F&stream=1 (stream: the steps arrive in
// batches every 200 ms, as from the worker, and long tasks are recorded).
import { createRoot } from 'react-dom/client';
import { useRun, type RunState } from '../../src/ui/current-run-store.ts';
import { useBackend } from '../../src/ui/backend-store.ts';
import { createLab } from '../../src/ui/lab.ts';
import { LabProvider } from '../../src/ui/lab-context.tsx';
import { ProgressPanel } from '../../src/ui/components/ProgressPanel.tsx';
import { RunCharts } from '../../src/ui/components/RunCharts.tsx';
import { ExportPanel } from '../../src/ui/components/ExportPanel.tsx';
import type { TrainConfig } from '../../src/engine/config.ts';
import type { EpochMetrics, StepLog } from '../../src/engine/run-types.ts';
import '../../src/ui/styles.css';

export interface PreviewApi {
  ready: boolean;
  /** Appends `batches` batches of `perBatch` steps, one every `ms`, and resolves when done. */
  stream(batches: number, perBatch: number, ms: number): Promise<void>;
  longTasks: number[];
}

const q = new URLSearchParams(location.search);
const totalSteps = Number(q.get('steps') ?? 3000);
const epochs = Number(q.get('epochs') ?? 6);
const method = q.get('method') === 'baseline' ? 'baseline' : 'eac';
const flipped = Number(q.get('flipped') ?? 60);
const trainCount = 300;
const perEpoch = Math.max(1, Math.ceil(totalSteps / epochs));

// A deterministic generator, so screenshots do not change between runs.
let seed = 12345;
const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;

function stepAt(i: number): StepLog {
  const t = i / Math.max(1, totalSteps);
  const ce = 1.95 * Math.exp(-2.2 * t) + 0.15 + (rand() - 0.5) * 0.35 * Math.exp(-t);
  const consistency = 0.004 + 0.03 * Math.exp(-4 * t) + rand() * 0.006;
  const lam = method === 'eac' ? 5 : 0;
  return {
    step: i + 1,
    epoch: Math.floor(i / perEpoch) + 1,
    loss: ce + lam * consistency,
    ce,
    consistency: method === 'eac' ? consistency : 0,
  };
}

function epochAt(e: number, config: { lr: number; gamma: number }): EpochMetrics {
  const t = e / epochs;
  const testAcc = 0.35 + 0.4 * (1 - Math.exp(-3 * t));
  const noisyShare = flipped > 0 ? 0.05 + (method === 'eac' ? 0.08 : 0.55) * t * t : null;
  return {
    epoch: e,
    steps: e * perEpoch,
    loss: 1.9 * Math.exp(-2 * t) + 0.2,
    ce: 1.8 * Math.exp(-2 * t) + 0.15,
    consistency: 0.01,
    trainAccNoisy: 0.3 + 0.55 * t,
    trainAccClean: flipped > 0 ? 0.3 + 0.45 * t : 0.3 + 0.55 * t,
    memorisation: { flipped, predictedNoisy: noisyShare, predictedClean: flipped > 0 ? 0.2 + 0.5 * t : null },
    testAcc,
    test: { accuracy: testAcc, perClassAccuracy: [0.5, 0.2, null, 0.9, 0.6, 0.5, 0.7], confusion: [] },
    lr: config.lr * config.gamma ** (e - 1),
    seconds: 41.2,
    imagesPerSecond: 37.5,
  };
}

// The engine's defaults for ResNet-18, written out: importing engine/config.ts would pull TensorFlow.js into the page.
const config: TrainConfig = {
  arch: 'resnet18',
  width: 16,
  method,
  lam: 5,
  epochs,
  maxSteps: null,
  batchSize: 16,
  lr: 2e-4,
  weightDecay: 1e-4,
  gamma: 0.9,
  size: 64,
  seed: 0,
  augment: 'full',
  erasing: 'independent',
  shuffle: true,
  sampler: 'shuffle',
  layout: 'caffe',
  evalBatchSize: 64,
};
const started = {
  config,
  data: { kind: 'demo', seed: 0, trainCount, testCount: 100, noiseRate: flipped / trainCount, noiseSeed: 1 },
  flippedLabels: flipped,
  trainCount,
  testCount: 100,
  labelsHash: 'preview',
} as unknown as RunState['started'];

const stream = q.get('stream') === '1';
const shown = stream ? 0 : totalSteps;
const steps = Array.from({ length: shown }, (_, i) => stepAt(i));
const doneEpochs = Math.floor(shown / perEpoch);
const lastStep = steps[steps.length - 1];

// Spread over the store's initial state, so fields the preview does not know about keep their defaults.
const initial = useRun.getState();
useBackend.setState({
  backend: {
    ...useBackend.getState().backend,
    status: 'ready',
    name: 'webgpu',
    adapter: 'google swiftshader (software fallback adapter)',
    reason: 'WebGPU available.',
    attempts: [],
  },
});
useRun.setState({
  run: {
    ...initial.run,
    id: 1,
    status: 'training',
    settings: null,
    started,
    progress: {
      type: 'progress',
      runId: 1,
      phase: 'train',
      epoch: Math.min(epochs, lastStep?.epoch ?? 1),
      epochs,
      step: shown,
      stepInEpoch: shown - ((lastStep?.epoch ?? 1) - 1) * perEpoch,
      stepsPerEpoch: perEpoch,
      totalSteps: perEpoch * epochs,
      imagesPerSecond: 37.5,
      etaSeconds: 754,
      memory: { bytes: 187_654_321, tensors: 412, gpuBytes: null },
    } as RunState['progress'],
    steps,
    epochs: Array.from({ length: doneEpochs }, (_, i) => epochAt(i + 1, config)),
    summary: null,
    error: null,
    startedAt: Date.UTC(2024, 0, 2, 3, 4, 5),
  },
});

const longTasks: number[] = [];
try {
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) longTasks.push(e.duration);
  }).observe({ type: 'longtask', buffered: false });
} catch {
  // No Long Tasks API: nothing recorded.
}

// The page's lab (no worker starts: nothing here calls the run controller but its render clock).
const lab = createLab();
const { renderClock } = lab;

let next = shown;
const api: PreviewApi = {
  ready: false,
  longTasks,
  stream: (batches, perBatch, ms) =>
    new Promise<void>((resolve) => {
      let sent = 0;
      const timer = setInterval(() => {
        const points = Array.from({ length: perBatch }, () => stepAt(next++));
        useRun.setState((s) => {
          const allSteps = s.run.steps.concat(points);
          const ep = Math.floor(allSteps.length / perEpoch);
          const eps = ep > s.run.epochs.length ? s.run.epochs.concat([epochAt(ep, config)]) : s.run.epochs;
          return { run: { ...s.run, steps: allSteps, epochs: eps } };
        });
        // As the runner does with each step message: the render clock's tick and chart beat follow.
        renderClock.held();
        if (++sent >= batches) {
          clearInterval(timer);
          resolve();
        }
      }, ms);
    }),
};
(window as unknown as { __preview: PreviewApi }).__preview = api;

function Preview() {
  return (
    <div className="app">
      <main className="layout" style={{ gridTemplateColumns: 'minmax(0, 1fr)' }}>
        <div className="content">
          <ProgressPanel />
          <RunCharts />
          <ExportPanel />
        </div>
      </main>
    </div>
  );
}

const root = document.getElementById('root');
if (!root) throw new Error('no #root');
createRoot(root).render(
  <LabProvider lab={lab}>
    <Preview />
  </LabProvider>,
);
requestAnimationFrame(() => requestAnimationFrame(() => (api.ready = true)));
