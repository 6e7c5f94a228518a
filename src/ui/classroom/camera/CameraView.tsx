// The classroom's camera: a stored run's model on a live face. The person centres their face in
// the guide box; the box is cropped square and resized to the run's input size (as the training
// faces were cropped), sent to the inspect worker as a transferred ImageBitmap, one frame at a
// time (frames that arrive meanwhile are dropped, not queued), and the answer is drawn: the
// predicted expression and its probabilities, the class attention map of the face, that of its
// mirror image mirrored back, their difference and the consistency EAC's loss penalises. Drag a
// box over the face to erase it by hand; freeze a frame, save it as a PNG with its maps, or add it
// to the side-by-side to compare runs on the same face. Frames stay in this page: nothing is
// stored unless saved. A denied, missing or busy camera gets one line, and an image file works
// instead; a lost camera is retried, a stuck or crashed worker restarted.
import { useCallback, useEffect, useMemo, useRef, useState, type PointerEvent as ReactPointerEvent } from 'react';
import type { Box } from '../../../engine/augment.ts';
import { classesOf } from '../../../engine/dataset.ts';
import type { FrameMessage } from '../../../worker/inspect-protocol.ts';
import { ImageCanvas } from '../ImageCanvas.tsx';
import { formatNumber, mapLayers } from '../overlays.ts';
import { RunPicker, runLabel } from '../RunPicker.tsx';
import { useClassroom } from '../classroom-store.ts';
import { useControllers } from '../../lab-context.tsx';
import { cameraProblem, dragToBox, eraseBytes, FpsMeter, FrameGate, guideCrop } from './camera-logic.ts';
import { rgbToRgba } from '../../attention/colormap.ts';

const rgbToImageData = (rgb: Uint8Array, size: number) => new ImageData(rgbToRgba(rgb), size, size);

const DISPLAY = 170;
/** A frame unanswered this long (the first one loads the model) means the worker is stuck. */
const FRAME_TIMEOUT_MS = 60_000;
const CAMERA_RETRY_MS = 3000;

type CamState = 'off' | 'starting' | 'live' | 'lost';

interface Shown {
  msg: FrameMessage;
  /** When the frame was taken (page clock), for the latency frame → maps drawn. */
  t0: number;
  runLabel: string;
  /** The run's classes (RAF-DB's seven for a face model; a run of another dataset names its own). */
  classes: readonly string[];
}

interface Card extends Shown {
  id: number;
}

function timeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout>;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error('timeout')), ms);
    }),
  ]);
}

const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** The four pictures of an answer: the face with its erased box, both maps on it, their difference. */
function FramePictures({ shown, prefix, display }: { shown: Shown; prefix: string; display: number }) {
  const { msg } = shown;
  const r = msg.result;
  const layers = useMemo(() => mapLayers(r.hm1, r.hm2, r.mapHeight, r.mapWidth, r.numClasses, r.pred), [r]);
  const face = useMemo(() => eraseBytes(msg.crop, r.size, r.box), [msg.crop, r.size, r.box]);
  return (
    <>
      <ImageCanvas
        rgb={face}
        size={r.size}
        overlay={layers.map1}
        box={r.box}
        display={display}
        caption={`the face: ${shown.classes[r.pred]}’s map`}
        testId={`${prefix}-map1`}
      />
      <ImageCanvas
        rgb={face}
        size={r.size}
        overlay={layers.map2}
        box={r.box}
        display={display}
        caption="its mirror image’s map, mirrored back"
        testId={`${prefix}-map2`}
      />
      <ImageCanvas
        rgb={null}
        size={r.size}
        overlay={layers.diff}
        display={display}
        caption={`difference (±${formatNumber(layers.maxAbsDiff)})`}
        testId={`${prefix}-diff`}
      />
    </>
  );
}

function Probabilities({ msg, classes }: { msg: FrameMessage; classes: readonly string[] }) {
  const { probs, pred } = msg.result;
  return (
    <div className="cam-probs" data-testid="cam-probs" data-probs={JSON.stringify([...probs].map((p) => Number(p.toFixed(4))))}>
      {classes.map((name, k) => (
        <div key={name} className={`cam-prob ${k === pred ? 'top' : ''}`}>
          <span className="cam-prob-name">{name}</span>
          <span className="cam-prob-bar">
            <span style={{ width: `${Math.round(probs[k] * 100)}%` }} />
          </span>
          <span className="cam-prob-value">{Math.round(probs[k] * 100)}%</span>
        </div>
      ))}
    </div>
  );
}

/** Draws the view's pictures and numbers into one PNG and downloads it (the only way a frame leaves the page). */
async function savePng(root: HTMLElement, shown: Shown): Promise<void> {
  const canvases = ['cam-face', 'cam-map1', 'cam-map2', 'cam-diff']
    .map((id) => root.querySelector<HTMLCanvasElement>(`canvas[data-testid="${id}"]`))
    .filter((c): c is HTMLCanvasElement => c !== null);
  const side = 280;
  const pad = 12;
  const out = document.createElement('canvas');
  out.width = pad + canvases.length * (side + pad);
  out.height = side + 2 * pad + 56;
  const ctx = out.getContext('2d')!;
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, out.width, out.height);
  canvases.forEach((c, i) => ctx.drawImage(c, pad + i * (side + pad), pad, side, side));
  const r = shown.msg.result;
  ctx.fillStyle = '#111';
  ctx.font = '18px sans-serif';
  ctx.fillText(
    `${shown.classes[r.pred]} ${Math.round(r.probs[r.pred] * 100)}% · consistency ${formatNumber(r.consistency)} · ${shown.runLabel}`,
    pad,
    side + pad + 28,
  );
  ctx.font = '14px sans-serif';
  ctx.fillText('face with its map · mirror image’s map mirrored back · difference — EAC lab classroom camera', pad, side + pad + 50);
  const blob = await new Promise<Blob | null>((resolve) => out.toBlob(resolve, 'image/png'));
  if (!blob) throw new Error('the browser could not make the PNG');
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = `eac-camera-${shown.classes[r.pred].toLowerCase().replace(/[^a-z0-9]+/g, '-')}-${new Date().toISOString().replace(/[:.]/g, '-')}.png`;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function CameraView() {
  const { requestFrame, restartInspect } = useControllers().inspect;
  const runKey = useClassroom((s) => s.a.runKey);
  const runs = useClassroom((s) => s.runs);
  const rec = runs.find((r) => r.key === runKey) ?? null;
  const size = rec?.request.config.size ?? 112;
  const label = rec ? runLabel(rec) : '';

  const videoRef = useRef<HTMLVideoElement>(null);
  const streamRef = useRef<MediaStream | null>(null);
  const rootRef = useRef<HTMLDivElement>(null);
  const gate = useRef(new FrameGate()).current;
  const meter = useRef(new FpsMeter()).current;
  const [cam, setCam] = useState<CamState>('off');
  const [camLine, setCamLine] = useState<string | null>(null);
  const [workerLine, setWorkerLine] = useState<string | null>(null);
  /** A still face (a frozen frame or an image file's crop) at the run's size; null: the live camera. */
  const [still, setStill] = useState<{ rgb: Uint8Array; size: number; from: string } | null>(null);
  const [box, setBox] = useState<Box | null>(null);
  const [shown, setShown] = useState<Shown | null>(null);
  const [stats, setStats] = useState({ fps: 0, latency: 0, dropped: 0, frames: 0 });
  const [cards, setCards] = useState<Card[]>([]);
  const [guide, setGuide] = useState<{ left: number; top: number; side: number } | null>(null);
  const [drag, setDrag] = useState<{ x0: number; y0: number; x1: number; y1: number } | null>(null);

  // Read by the frame loop without restarting it.
  const classes = useMemo(() => classesOf(rec ?? {}), [rec]);
  const live = useRef({ runKey, size, box, label, classes });
  live.current = { runKey, size, box, label, classes };

  const stopStream = useCallback(() => {
    for (const t of streamRef.current?.getTracks() ?? []) t.stop();
    streamRef.current = null;
    if (videoRef.current) videoRef.current.srcObject = null;
  }, []);

  const startCamera = useCallback(
    async (retry = false) => {
      if (!navigator.mediaDevices?.getUserMedia) {
        setCamLine(cameraProblem({ name: 'NoMediaDevices' }));
        return;
      }
      if (!retry) setCam('starting');
      try {
        const stream = await navigator.mediaDevices.getUserMedia({
          video: { width: { ideal: 640 }, height: { ideal: 480 } },
          audio: false,
        });
        stopStream();
        streamRef.current = stream;
        const video = videoRef.current!;
        video.srcObject = stream;
        await video.play();
        for (const t of stream.getVideoTracks()) t.addEventListener('ended', () => setCam('lost'), { once: true });
        setCam('live');
        setCamLine(null);
        setStill(null);
        meter.reset();
      } catch (e) {
        if (retry) return; // still lost: the timer tries again
        setCam('off');
        setCamLine(cameraProblem(e));
      }
    },
    [stopStream, meter],
  );

  // A lost camera (unplugged, taken by another app): one line, and a new try every few seconds.
  useEffect(() => {
    if (cam !== 'lost') return;
    stopStream();
    setCamLine('The camera stopped (unplugged, or taken by another app): trying again every 3 s. An image file works meanwhile.');
    const timer = setInterval(() => void startCamera(true), CAMERA_RETRY_MS);
    return () => clearInterval(timer);
  }, [cam, startCamera, stopStream]);

  // Leaving the view turns the camera off.
  useEffect(() => stopStream, [stopStream]);

  /** Sends one face to the worker (the gate is already taken) and shows its answer. */
  const evaluate = useCallback(
    async (bitmap: () => Promise<ImageBitmap>, t0: number) => {
      const { runKey: key, box: b, label: l, classes: names } = live.current;
      try {
        if (!key) return;
        const msg = await timeout(requestFrame(key, await bitmap(), b), FRAME_TIMEOUT_MS);
        if (live.current.runKey !== key) return;
        setShown({ msg, t0, runLabel: l, classes: names });
        setWorkerLine(null);
      } catch (e) {
        const text = errorText(e);
        if (text === 'timeout') {
          restartInspect('the inspect worker did not answer');
          setWorkerLine('The model’s worker stopped answering: it was restarted.');
        } else setWorkerLine(`The model could not run: ${text}`);
        await new Promise((r) => setTimeout(r, 1000)); // a failing worker is not hammered
      } finally {
        gate.finish();
      }
    },
    [gate, restartInspect, requestFrame],
  );

  // The live loop: every new camera frame, if none is in flight, crop the guide box and send it.
  useEffect(() => {
    if (cam !== 'live' || still || !runKey) return;
    const video = videoRef.current!;
    let stopped = false;
    let handle = 0;
    const next = () => {
      if (stopped) return;
      if ('requestVideoFrameCallback' in video) handle = video.requestVideoFrameCallback(onFrame);
      else handle = requestAnimationFrame(onFrame);
    };
    const onFrame = () => {
      next();
      if (video.readyState < 2 || !video.videoWidth || !gate.tryStart()) return;
      const t0 = performance.now();
      const c = guideCrop(video.videoWidth, video.videoHeight);
      // The guide box only: the worker resizes it to the run's input size, off this thread.
      void evaluate(() => createImageBitmap(video, c.sx, c.sy, c.side, c.side), t0);
    };
    next();
    return () => {
      stopped = true;
      if ('cancelVideoFrameCallback' in video) video.cancelVideoFrameCallback(handle);
      cancelAnimationFrame(handle);
    };
  }, [cam, still, runKey, gate, evaluate]);

  // A still face: evaluated again when the erased box or the run changes (latest settings win).
  const stillDirty = useRef(false);
  const stillRef = useRef(still);
  stillRef.current = still;
  const runStill = useCallback(() => {
    const st = stillRef.current;
    if (!st) return;
    if (!gate.tryStart()) {
      stillDirty.current = true;
      return;
    }
    stillDirty.current = false;
    void evaluate(() => createImageBitmap(rgbToImageData(st.rgb, st.size)), performance.now()).then(() => {
      if (stillDirty.current) runStill();
    });
  }, [gate, evaluate]);
  // biome-ignore lint/correctness/useExhaustiveDependencies: a new erased box re-evaluates the still (read through `live`)
  useEffect(() => {
    if (still && runKey) runStill();
  }, [still, box, runKey, runStill]);

  // Frames/s and latency (frame taken → maps drawn: this effect runs after the pictures' effects).
  useEffect(() => {
    if (!shown) return;
    const now = performance.now();
    meter.add(now, now - shown.t0);
    const { fps, latency } = meter.read(now);
    setStats((st) => ({ fps, latency, dropped: gate.dropped, frames: st.frames + 1 }));
  }, [shown, meter, gate]);

  // The guide box's place on the video, once its size is known.
  const onVideoSize = () => {
    const v = videoRef.current!;
    const c = guideCrop(v.videoWidth, v.videoHeight);
    setGuide({ left: c.sx / v.videoWidth, top: c.sy / v.videoHeight, side: c.side / v.videoWidth });
  };

  const freeze = () => {
    if (!shown) return;
    setStill({ rgb: shown.msg.crop, size: shown.msg.result.size, from: 'frozen frame' });
  };
  const resume = () => {
    setStill(null);
    meter.reset();
  };

  const onFile = async (file: File | undefined) => {
    if (!file) return;
    try {
      const img = await createImageBitmap(file);
      const c = guideCrop(img.width, img.height, 1);
      const canvas = new OffscreenCanvas(size, size);
      const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
      ctx.drawImage(img, c.sx, c.sy, c.side, c.side, 0, 0, size, size);
      img.close();
      const rgba = ctx.getImageData(0, 0, size, size).data;
      const rgb = new Uint8Array(size * size * 3);
      for (let i = 0, j = 0; i < rgba.length; i += 4, j += 3) rgb.set(rgba.subarray(i, i + 3), j);
      setStill({ rgb, size, from: file.name });
      setWorkerLine(null);
    } catch {
      setWorkerLine(`“${file.name}” is not an image this browser can read (PNG, JPEG, WebP).`);
    }
  };

  const pointer = (e: ReactPointerEvent<HTMLDivElement>) => {
    const r = e.currentTarget.getBoundingClientRect();
    return { x: e.clientX - r.left, y: e.clientY - r.top };
  };

  const r = shown?.msg.result;
  const dragBox = drag ? dragToBox(drag.x0, drag.y0, drag.x1, drag.y1, DISPLAY, r?.size ?? size) : null;
  const faceRgb = useMemo(() => (shown ? eraseBytes(shown.msg.crop, shown.msg.result.size, shown.msg.result.box) : null), [shown]);

  return (
    <div className="cam" ref={rootRef} data-testid="camera-view">
      <div className="cr-bar">
        <RunPicker />
        {cam === 'live' ? (
          <button
            type="button"
            onClick={() => {
              stopStream();
              setCam('off');
            }}
            data-testid="cam-stop"
          >
            Stop camera
          </button>
        ) : (
          <button type="button" onClick={() => void startCamera()} disabled={cam === 'starting'} data-testid="cam-start">
            {cam === 'starting' ? 'Starting…' : 'Start camera'}
          </button>
        )}
        <label className="cam-file">
          or an image file <input type="file" accept="image/*" onChange={(e) => void onFile(e.target.files?.[0])} data-testid="cam-file" />
        </label>
        {still && cam === 'live' ? (
          <button type="button" onClick={resume} data-testid="cam-resume">
            Resume live
          </button>
        ) : (
          <button type="button" onClick={freeze} disabled={!shown || cam !== 'live'} data-testid="cam-freeze">
            Freeze
          </button>
        )}
        <button type="button" onClick={() => setBox(null)} disabled={!box} data-testid="cam-clear-box">
          Clear the erased box
        </button>
        <button
          type="button"
          onClick={() => shown && rootRef.current && void savePng(rootRef.current, shown).catch((e) => setWorkerLine(errorText(e)))}
          disabled={!shown || !still}
          data-testid="cam-save"
        >
          Save PNG
        </button>
        <button
          type="button"
          onClick={() => shown && setCards((c) => [...c, { ...shown, id: Date.now() + c.length }])}
          disabled={!shown || !still}
          data-testid="cam-add"
        >
          Add to side by side
        </button>
      </div>
      {camLine ? (
        <p className="cr-error" data-testid="cam-problem">
          {camLine}
        </p>
      ) : null}
      {workerLine ? (
        <p className="cr-error" data-testid="cam-worker-problem">
          {workerLine}
        </p>
      ) : null}
      <div className="cam-stage">
        <figure className="cam-video-box" hidden={cam !== 'live'}>
          <div className="cam-video-wrap">
            <video ref={videoRef} muted playsInline onLoadedMetadata={onVideoSize} data-testid="cam-video" />
            {guide ? (
              <div
                className="cam-guide"
                data-testid="cam-guide"
                style={{ left: `${guide.left * 100}%`, top: `${guide.top * 100}%`, width: `${guide.side * 100}%`, aspectRatio: '1' }}
              />
            ) : null}
          </div>
          <figcaption>{still ? 'paused: the frozen face is shown' : 'centre your face in the box'}</figcaption>
        </figure>
        <div
          className="cam-eraser"
          onPointerDown={(e) => {
            if (!shown) return;
            e.currentTarget.setPointerCapture(e.pointerId);
            const p = pointer(e);
            setDrag({ x0: p.x, y0: p.y, x1: p.x, y1: p.y });
          }}
          onPointerMove={(e) => {
            if (!drag) return;
            const p = pointer(e);
            setDrag({ ...drag, x1: p.x, y1: p.y });
          }}
          onPointerUp={() => {
            if (drag && dragBox) setBox(dragBox);
            setDrag(null);
          }}
          data-testid="cam-eraser"
        >
          <ImageCanvas
            rgb={faceRgb}
            size={r?.size ?? size}
            box={dragBox ?? r?.box}
            display={DISPLAY}
            caption={still ? `${still.from}: drag to erase a patch` : 'the crop the model sees: drag to erase a patch'}
            testId="cam-face"
          />
        </div>
        {shown ? <FramePictures shown={shown} prefix="cam" display={DISPLAY} /> : null}
      </div>
      {!runKey ? <p className="cr-empty">Train a run first: the camera shows a stored run’s model.</p> : null}
      {cam !== 'live' && !still && !camLine && runKey ? (
        <p className="muted">
          Press Start camera (the picture stays in this page: nothing is sent or stored unless you save it), or choose an image file.
        </p>
      ) : null}
      {shown && r ? (
        <div className="cam-numbers">
          <div className="cam-pred" data-testid="cam-pred" data-class={shown.classes[r.pred]}>
            predicted <b>{shown.classes[r.pred]}</b> ({Math.round(r.probs[r.pred] * 100)}%)
          </div>
          <Probabilities msg={shown.msg} classes={shown.classes} />
          <div className="cr-sbs-loss" data-testid="cam-consistency" data-value={r.consistency}>
            consistency <b>{formatNumber(r.consistency)}</b>{' '}
            <span className="muted">(mean squared difference of the two maps: the term EAC’s loss penalises)</span>
          </div>
          <div
            className="muted"
            data-testid="cam-fps"
            data-fps={stats.fps.toFixed(2)}
            data-latency={stats.latency.toFixed(0)}
            data-frames={stats.frames}
          >
            {still ? 'still' : `${stats.fps.toFixed(1)} frames/s`} · {Math.round(stats.latency)} ms frame → maps · {stats.dropped} camera
            frames dropped · epoch {shown.msg.epoch} model
          </div>
        </div>
      ) : null}
      {cards.length ? (
        <div className="cam-cards" data-testid="cam-cards">
          <h3>Side by side</h3>
          <div className="cam-cards-grid">
            {cards.map((c, i) => (
              <div key={c.id} className="cr-sbs-row cam-card" data-testid={`cam-card-${i}`}>
                <div className="cr-sbs-head">
                  <span>{c.runLabel}</span>
                  <button type="button" onClick={() => setCards((cs) => cs.filter((x) => x.id !== c.id))}>
                    remove
                  </button>
                </div>
                <div className="cr-sbs-pictures">
                  <FramePictures shown={c} prefix={`cam-card-${i}`} display={120} />
                  <div className="cr-sbs-numbers">
                    <div>
                      predicts <b>{c.classes[c.msg.result.pred]}</b> ({Math.round(c.msg.result.probs[c.msg.result.pred] * 100)}%)
                    </div>
                    <div className="cr-sbs-loss">
                      consistency <b>{formatNumber(c.msg.result.consistency)}</b>
                    </div>
                  </div>
                </div>
              </div>
            ))}
          </div>
          <p className="muted">To compare two runs on the same face: freeze, add, choose the other model above, add again.</p>
        </div>
      ) : null}
    </div>
  );
}
