// The camera view's pure parts (no DOM, no React): the guide box's crop, the one line a camera
// failure gets, a box dragged on the face turned into input pixels, the one-frame-in-flight gate
// and the frames/s meter. Kept here so Node tests them.
import type { Box } from '../../../engine/augment.ts';

/** Side of the guide box as a fraction of the frame's shorter side. */
export const GUIDE_FRACTION = 0.6;

export interface Crop {
  sx: number;
  sy: number;
  side: number;
}

/**
 * The square the person centres their face in: `fraction` of the shorter side, centred. The model
 * trained on aligned square crops (RAF-DB, the demo faces: face filling the square), so this square
 * is cropped and resized to the run's input size. An image file uses fraction 1 (its centre square).
 */
export function guideCrop(width: number, height: number, fraction = GUIDE_FRACTION): Crop {
  if (!(width > 0 && height > 0)) throw new Error(`the picture has no size (${width}×${height})`);
  const side = Math.max(1, Math.round(Math.min(width, height) * Math.min(1, Math.max(0.05, fraction))));
  return { sx: Math.round((width - side) / 2), sy: Math.round((height - side) / 2), side };
}

/** One clear line for a camera that could not start (getUserMedia's error, or no mediaDevices at all). */
export function cameraProblem(e: unknown): string {
  const name = (e as { name?: string } | null)?.name ?? '';
  const tail = 'Choose an image file instead.';
  switch (name) {
    case 'NotAllowedError':
    case 'SecurityError':
    case 'PermissionDeniedError':
      return `The camera was not allowed (the browser or its site settings said no). ${tail}`;
    case 'NotFoundError':
    case 'DevicesNotFoundError':
    case 'OverconstrainedError':
      return `No camera was found on this device. ${tail}`;
    case 'NotReadableError':
    case 'TrackStartError':
    case 'AbortError':
      return `The camera is busy (another app or tab is using it). Close that, then press Start camera, or: ${tail}`;
    case 'NoMediaDevices':
      return `This page cannot reach a camera (it needs https or localhost). ${tail}`;
    default:
      return `The camera could not start (${e instanceof Error ? e.message || name : String(e)}). ${tail}`;
  }
}

/**
 * A box dragged from (x0, y0) to (x1, y1) in CSS pixels on a `display`-wide picture of a
 * size×size image, in image pixels; null when it is too small to be meant (a click).
 */
export function dragToBox(x0: number, y0: number, x1: number, y1: number, display: number, size: number): Box | null {
  const s = size / display;
  const clamp = (v: number) => Math.max(0, Math.min(size, v * s));
  const left = Math.round(clamp(Math.min(x0, x1)));
  const top = Math.round(clamp(Math.min(y0, y1)));
  const right = Math.round(clamp(Math.max(x0, x1)));
  const bottom = Math.round(clamp(Math.max(y0, y1)));
  if (right - left < 2 || bottom - top < 2) return null;
  return { top, left, h: bottom - top, w: right - left };
}

/** At most one frame in flight: `tryStart` says whether a new one may go (else the frame is dropped). */
export class FrameGate {
  private busy = false;
  sent = 0;
  dropped = 0;
  tryStart(): boolean {
    if (this.busy) {
      this.dropped++;
      return false;
    }
    this.busy = true;
    this.sent++;
    return true;
  }
  finish(): void {
    this.busy = false;
  }
  get inFlight(): boolean {
    return this.busy;
  }
}

/** Frames per second over the frames finished in the last `windowMs`, and the mean latency of those. */
export class FpsMeter {
  private done: { t: number; latency: number }[] = [];
  constructor(private windowMs = 2000) {}
  add(t: number, latency: number): void {
    this.done.push({ t, latency });
    while (this.done.length && this.done[0].t < t - this.windowMs) this.done.shift();
  }
  /** frames/s (0 until two frames finished) and mean latency (ms) at time `t`. */
  read(t: number): { fps: number; latency: number } {
    const recent = this.done.filter((d) => d.t >= t - this.windowMs);
    if (recent.length < 2) return { fps: 0, latency: recent[0]?.latency ?? 0 };
    const span = recent[recent.length - 1].t - recent[0].t;
    const latency = recent.reduce((a, d) => a + d.latency, 0) / recent.length;
    return { fps: span > 0 ? ((recent.length - 1) * 1000) / span : 0, latency };
  }
  reset(): void {
    this.done = [];
  }
}

/** The erased value in bytes: erasing zeroes the normalised input, i.e. paints the ImageNet mean. */
export const ERASED_RGB = [124, 116, 104];

/** A copy of a size×size RGB image with `box` painted as the model sees it erased (for drawing and saving). */
export function eraseBytes(rgb: Uint8Array, size: number, box: Box | null): Uint8Array {
  if (!box) return rgb;
  const out = rgb.slice();
  for (let y = Math.max(0, box.top); y < Math.min(size, box.top + box.h); y++)
    for (let x = Math.max(0, box.left); x < Math.min(size, box.left + box.w); x++) out.set(ERASED_RGB, (y * size + x) * 3);
  return out;
}
