// The inspect worker: looks inside stored runs for the classroom view, beside (never inside) the
// training worker. It picks its own TensorFlow.js backend, loads a run's last checkpoint from the
// run store and the run's training data (the demo faces regenerated with the same options, or the
// dataset cache) and keeps a few of each, then answers walk-through requests (one sample's views,
// attention maps and consistency term) and feature requests (pooled features of many samples,
// then a seeded UMAP embedding, with progress and Cancel), and camera frames (a face crop and a
// hand-erased box: prediction, both maps and their consistency; nothing of a frame is kept). Talks only through
// src/worker/inspect-protocol.ts.
import { tf } from '../src/engine/tf.ts';
import { macrotask, NoBackendError, selectBackend, type BackendSelection } from '../src/worker/backend.ts';
import type { DataOptions } from '../src/engine/run-request.ts';
import {
  MAX_EMBED_SAMPLES,
  THUMB_SIZE,
  type FeaturesRequest,
  type FrameRequest,
  type FromInspect,
  type InspectPhase,
  type RunInfo,
  type ToInspect,
  type WalkthroughRequest,
} from '../src/worker/inspect-protocol.ts';
import { describeResNet, disposeModel, modelFromValues, type Model } from '../src/engine/resnet.ts';
import { ImagePipeline, PIPELINE_DEFAULTS } from '../src/engine/augment.ts';
import type { TrainConfig } from '../src/engine/config.ts';
import { computeWalkthrough } from '../src/engine/walkthrough.ts';
import { computeFaceFrame } from '../src/engine/face-frame.ts';
import { chooseSubset, embed2d, pooledFeatures, thumbnails } from '../src/engine/embedding.ts';
import { generateDemoDataset } from '../src/data/demo.ts';
import { withSymmetricNoise } from '../src/data/noise.ts';
import { classesOf, type Dataset } from '../src/engine/dataset.ts';
import { loadCachedDataset } from '../src/storage/dataset-cache.ts';
import { getRun, loadCheckpoint } from '../src/storage/run-store.ts';
import { progressSince, throttle, type RateStart } from '../src/engine/progress.ts';

interface WorkerScope {
  postMessage(message: FromInspect, transfer?: Transferable[]): void;
  onmessage: ((ev: MessageEvent<ToInspect>) => void) | null;
}
const scope = self as unknown as WorkerScope;
const post = (m: FromInspect, transfer: Transferable[] = []): void => scope.postMessage(m, transfer);

const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));
const PROGRESS_INTERVAL_MS = 200;

const backend: Promise<BackendSelection | null> = selectBackend().then(
  (sel) => {
    post({ type: 'backend', name: sel.name, reason: sel.reason });
    return sel;
  },
  (e) => {
    post({
      type: 'error',
      requestId: null,
      message: e instanceof NoBackendError ? e.message : `backend selection failed: ${errorText(e)}`,
    });
    return null;
  },
);

// ---------------------------------------------------------------------------------------------
// Datasets and models, kept between requests

const MAX_DATASETS = 2;
const MAX_MODELS = 3;

/**
 * Training data before label noise, by source (least recently used first). Runs that differ only
 * in their noise rate (the side-by-side's usual pair) share one copy of the images.
 */
const datasets = new Map<string, Promise<Dataset>>();

function baseKey(opts: DataOptions): string {
  return opts.kind === 'demo' ? `demo:${opts.seed}:${opts.trainCount}` : `cached:${opts.key}:${opts.labelFile ?? ''}`;
}

async function readBase(opts: DataOptions, progress: (done: number, total: number, detail: string) => void): Promise<Dataset> {
  if (opts.kind === 'demo') {
    const detail = `drawing the ${opts.trainCount} demo training faces of the run`;
    // The training split does not depend on the test split's size: skip drawing the test faces.
    return generateDemoDataset({ seed: opts.seed, trainCount: opts.trainCount, testCount: 0 }, (d, t) => progress(d, t, detail));
  }
  const detail = `reading ${opts.name} from the dataset cache`;
  return (await loadCachedDataset(opts.key, opts.labelFile, (p) => progress(p.done, p.total, detail))).dataset;
}

async function loadDataset(opts: DataOptions, progress: (done: number, total: number, detail: string) => void): Promise<Dataset> {
  const key = baseKey(opts);
  let p = datasets.get(key);
  if (p) datasets.delete(key);
  else {
    p = readBase(opts, progress);
    p.catch(() => datasets.delete(key));
  }
  datasets.set(key, p);
  while (datasets.size > MAX_DATASETS) datasets.delete(datasets.keys().next().value!);
  const base = await p;
  // The training worker's rule: seeded symmetric noise on top of the clean labels (labels only: cheap).
  return opts.noiseRate > 0 ? withSymmetricNoise(base, opts.noiseRate, opts.noiseSeed).dataset : base;
}

interface LoadedRun {
  runKey: string;
  epoch: number;
  config: TrainConfig;
  data: DataOptions;
  model: Model;
  pipeline: ImagePipeline;
  /** Requests using the model now: it is not disposed while > 0. */
  busy: number;
  stale: boolean;
}
const models = new Map<string, LoadedRun>();

function release(run: LoadedRun): void {
  run.busy--;
  if (run.stale && run.busy === 0) disposeRun(run);
}

function disposeRun(run: LoadedRun): void {
  disposeModel(run.model);
  run.pipeline.dispose();
}

function evict(run: LoadedRun): void {
  models.delete(run.runKey);
  run.stale = true;
  if (run.busy === 0) disposeRun(run);
}

/**
 * The run's model at its newest checkpoint (reloaded when the run has written a newer one since),
 * marked busy until `release`.
 */
async function acquireRun(runKey: string): Promise<LoadedRun> {
  const sel = await backend;
  if (!sel) throw new Error('no TensorFlow.js backend could start in the inspect worker');
  const record = await getRun(runKey);
  if (!record) throw new Error(`the run ${runKey} is not in the run store (deleted?)`);
  if (record.checkpointEpoch === null)
    throw new Error(`the run “${record.name}” has no checkpoint yet: one is written at the end of every epoch`);
  const have = models.get(runKey);
  if (have && have.epoch === record.checkpointEpoch) {
    models.delete(runKey);
    models.set(runKey, have); // most recently used last
    have.busy++;
    return have;
  }
  const ckpt = await loadCheckpoint(runKey);
  if (!ckpt) throw new Error(`the checkpoint of the run “${record.name}” is missing from storage`);
  const { arch, width, size } = ckpt.config;
  const model = modelFromValues(describeResNet({ arch, width, numClasses: classesOf(ckpt).length }), ckpt.values);
  const pipeline = new ImagePipeline({ ...PIPELINE_DEFAULTS, size, augment: ckpt.config.augment, erasing: ckpt.config.erasing });
  const run: LoadedRun = {
    runKey,
    epoch: ckpt.epoch,
    config: ckpt.config,
    data: record.request.data,
    model,
    pipeline,
    busy: 1,
    stale: false,
  };
  const old = models.get(runKey);
  if (old) evict(old);
  models.set(runKey, run);
  for (const r of [...models.values()]) if (models.size > MAX_MODELS && r !== run) evict(r);
  return run;
}

/** Posts a phase's progress; its rate and ETA leave the first batch (loading, compiling) out. */
function progressReporter(requestId: number, phase: InspectPhase) {
  const due = throttle(PROGRESS_INTERVAL_MS);
  let start: RateStart | null = null;
  return (done: number, total: number, detail: string): void => {
    const now = performance.now();
    if (done > 0) start ??= { done, atMs: now };
    if (due(done === 0 || done === total)) post({ type: 'progress', requestId, phase, ...progressSince(start, done, total, detail, now) });
  };
}

/** A loaded run and its training data. */
async function openRun(requestId: number, runKey: string): Promise<{ run: LoadedRun; dataset: Dataset }> {
  const run = await acquireRun(runKey);
  try {
    const dataset = await loadDataset(run.data, progressReporter(requestId, 'data'));
    return { run, dataset };
  } catch (e) {
    release(run);
    throw e;
  }
}

function runInfo(run: LoadedRun, dataset: Dataset): RunInfo {
  return {
    runKey: run.runKey,
    epoch: run.epoch,
    config: run.config,
    datasetName: dataset.name,
    labels: dataset.train.labels.slice(),
    cleanLabels: dataset.train.cleanLabels.slice(),
  };
}

// ---------------------------------------------------------------------------------------------
// Requests

async function open(requestId: number, runKey: string): Promise<void> {
  const { run, dataset } = await openRun(requestId, runKey);
  try {
    const info = runInfo(run, dataset);
    post({ type: 'opened', requestId, info }, [info.labels.buffer, info.cleanLabels.buffer]);
  } finally {
    release(run);
  }
}

async function walkthrough(msg: WalkthroughRequest): Promise<void> {
  const { run, dataset } = await openRun(msg.requestId, msg.runKey);
  try {
    const result = await computeWalkthrough(run.model, run.pipeline, dataset.train, msg.index, {
      seed: msg.seed,
      scale: msg.scale,
      erasing: run.config.erasing,
      augment: run.config.augment,
    });
    const buffers = [result.image, result.view1, result.view2, result.hm1, result.hm2, result.hm2Raw].map((a) => a.buffer as ArrayBuffer);
    post({ type: 'walkthrough', requestId: msg.requestId, runKey: msg.runKey, epoch: run.epoch, lam: run.config.lam, result }, buffers);
  } finally {
    release(run);
  }
}

/** The bitmap's pixels at size×size, RGB (drawn scaled when the page sent another size). */
function bitmapRgb(bitmap: ImageBitmap, size: number): Uint8Array {
  const canvas = new OffscreenCanvas(size, size);
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  if (!ctx) throw new Error('the inspect worker has no 2-D canvas to read the camera frame');
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(bitmap, 0, 0, size, size);
  const rgba = ctx.getImageData(0, 0, size, size).data;
  const rgb = new Uint8Array(size * size * 3);
  for (let i = 0, j = 0; i < rgba.length; i += 4, j += 3) {
    rgb[j] = rgba[i];
    rgb[j + 1] = rgba[i + 1];
    rgb[j + 2] = rgba[i + 2];
  }
  return rgb;
}

/** A camera frame: never stored, dropped with the request's tensors once answered. */
async function frame(msg: FrameRequest): Promise<void> {
  const t0 = performance.now();
  try {
    const run = await acquireRun(msg.runKey);
    try {
      const size = run.config.size;
      const crop = bitmapRgb(msg.bitmap, size);
      const result = await computeFaceFrame(run.model, run.pipeline, crop, size, size, msg.box);
      const buffers = [crop, result.probs, result.probsMirror, result.hm1, result.hm2].map((a) => a.buffer as ArrayBuffer);
      post(
        { type: 'frame', requestId: msg.requestId, runKey: msg.runKey, epoch: run.epoch, result, crop, workerMs: performance.now() - t0 },
        buffers,
      );
    } finally {
      release(run);
    }
  } finally {
    msg.bitmap.close();
  }
}

const controllers = new Map<number, AbortController>();

async function features(msg: FeaturesRequest): Promise<void> {
  const { requestId } = msg;
  const controller = new AbortController();
  controllers.set(requestId, controller);
  const { signal } = controller;
  try {
    const { run, dataset } = await openRun(requestId, msg.runKey);
    try {
      signal.throwIfAborted();
      const split = dataset.train;
      const count = Math.min(MAX_EMBED_SAMPLES, Math.max(1, Math.floor(msg.count)));
      const indices = chooseSubset(split.labels.length, count, msg.seed);
      const t0 = performance.now();
      const report = progressReporter(requestId, 'features');
      const detail = `pooled features of ${indices.length} training images (epoch ${run.epoch} checkpoint, ${tf.getBackend()})`;
      const { features: feats, dim } = await pooledFeatures(run.model, run.pipeline, split, indices, {
        batchSize: Math.min(32, run.config.evalBatchSize),
        signal,
        onProgress: (d, t) => report(d, t, detail),
      });
      const t1 = performance.now();
      // UMAP first finds every point's nearest neighbours (seconds for 2,000 points, one blocking
      // call), then lays the points out epoch by epoch; the epoch rate is timed from the layout's start.
      progressReporter(requestId, 'umap')(0, 0, `UMAP: finding the nearest neighbours of ${indices.length} images (${dim} features each)`);
      let layoutReport: ReturnType<typeof progressReporter> | null = null;
      const { coords } = await embed2d(feats, indices.length, dim, {
        seed: msg.seed,
        signal,
        yieldFn: macrotask,
        onProgress: (d, t) => (layoutReport ??= progressReporter(requestId, 'umap'))(d, t, `UMAP layout of ${indices.length} points`),
      });
      const t2 = performance.now();
      const labels = Int32Array.from(indices, (i) => split.labels[i]);
      const cleanLabels = Int32Array.from(indices, (i) => split.cleanLabels[i]);
      const thumbs = thumbnails(split, indices, THUMB_SIZE);
      post(
        {
          type: 'features',
          requestId,
          result: {
            runKey: msg.runKey,
            epoch: run.epoch,
            indices,
            coords,
            labels,
            cleanLabels,
            thumbs,
            thumbSize: THUMB_SIZE,
            featureDim: dim,
            seconds: { features: (t1 - t0) / 1000, umap: (t2 - t1) / 1000 },
          },
        },
        [indices.buffer, coords.buffer, labels.buffer, cleanLabels.buffer, thumbs.buffer],
      );
    } finally {
      release(run);
    }
  } catch (e) {
    if (signal.aborted) post({ type: 'cancelled', requestId });
    else throw e;
  } finally {
    controllers.delete(requestId);
  }
}

scope.onmessage = (ev: MessageEvent<ToInspect>) => {
  const msg = ev.data;
  if (msg.type === 'cancel') {
    controllers.get(msg.requestId)?.abort();
    return;
  }
  const work =
    msg.type === 'open'
      ? open(msg.requestId, msg.runKey)
      : msg.type === 'walkthrough'
        ? walkthrough(msg)
        : msg.type === 'frame'
          ? frame(msg)
          : features(msg);
  work.catch((e: unknown) => post({ type: 'error', requestId: msg.requestId, message: errorText(e) }));
};
