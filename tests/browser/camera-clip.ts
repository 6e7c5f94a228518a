// The fake camera of the camera tests and benchmark: a Y4M clip Chromium plays as its camera
// (`--use-file-for-fake-video-capture`), made from a demo face. The face fills exactly the guide
// box (GUIDE_FRACTION of the shorter side, centred); everything outside it is magenta, so a crop
// in the wrong place shows magenta. Also the same face as a 100×100 BMP, for the image-file path.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { generateDemoDataset } from '../../src/data/demo.ts';

export const CLIP_W = 640;
export const CLIP_H = 480;
export const MAGENTA = [255, 0, 255];
/**
 * The guide box of a 640×480 frame (60% of the shorter side, centred), written out rather than
 * taken from the app's guideCrop: a broken crop in the app must not move the clip's face with it.
 */
export const FACE_BOX = { sx: 176, sy: 96, side: 288 };

/** BT.601 limited range, as Chromium's I420 → RGB conversion expects. */
function yuv(r: number, g: number, b: number): [number, number, number] {
  const [R, G, B] = [r / 255, g / 255, b / 255];
  return [
    Math.round(16 + 65.481 * R + 128.553 * G + 24.966 * B),
    Math.round(128 - 37.797 * R - 74.203 * G + 112 * B),
    Math.round(128 + 112 * R - 93.786 * G - 18.214 * B),
  ];
}

/** A frame (W×H×3 RGB) as an I420 Y4M file of `frames` identical frames at 10 frames/s. */
export function y4m(rgb: Uint8Array, w: number, h: number, frames = 2): Buffer {
  const Y = new Uint8Array(w * h);
  const U = new Uint8Array((w / 2) * (h / 2));
  const V = new Uint8Array((w / 2) * (h / 2));
  const us = new Float64Array(U.length);
  const vs = new Float64Array(V.length);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const i = (y * w + x) * 3;
      const [yy, u, v] = yuv(rgb[i], rgb[i + 1], rgb[i + 2]);
      Y[y * w + x] = yy;
      const c = (y >> 1) * (w / 2) + (x >> 1);
      us[c] += u / 4;
      vs[c] += v / 4;
    }
  for (let i = 0; i < U.length; i++) {
    U[i] = Math.round(us[i]);
    V[i] = Math.round(vs[i]);
  }
  const parts: Buffer[] = [Buffer.from(`YUV4MPEG2 W${w} H${h} F10:1 Ip A1:1 C420jpeg\n`)];
  for (let f = 0; f < frames; f++) parts.push(Buffer.from('FRAME\n'), Buffer.from(Y), Buffer.from(U), Buffer.from(V));
  return Buffer.concat(parts);
}

/** A 24-bit BMP (bottom-up rows, padded to 4 bytes): the browser reads it, no encoder needed. */
export function bmp(rgb: Uint8Array, w: number, h: number): Buffer {
  const row = Math.ceil((w * 3) / 4) * 4;
  const buf = Buffer.alloc(54 + row * h);
  buf.write('BM', 0);
  buf.writeUInt32LE(buf.length, 2);
  buf.writeUInt32LE(54, 10);
  buf.writeUInt32LE(40, 14);
  buf.writeInt32LE(w, 18);
  buf.writeInt32LE(h, 22);
  buf.writeUInt16LE(1, 26);
  buf.writeUInt16LE(24, 28);
  buf.writeUInt32LE(row * h, 34);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const s = (y * w + x) * 3;
      const d = 54 + (h - 1 - y) * row + x * 3;
      buf[d] = rgb[s + 2];
      buf[d + 1] = rgb[s + 1];
      buf[d + 2] = rgb[s];
    }
  return buf;
}

export interface FaceClip {
  y4m: string;
  bmp: string;
  /** The demo face (seed 0, training image `index`), 100×100 RGB. */
  face: Uint8Array;
}

/** Writes the clip and the BMP of demo training face `index` under `dir`. */
export function writeFaceClip(dir: string, index = 0): FaceClip {
  mkdirSync(dir, { recursive: true });
  const ds = generateDemoDataset({ seed: 0, trainCount: index + 1, testCount: 0 });
  const { width: fw, height: fh } = ds.train;
  const face = ds.train.images.slice(index * fw * fh * 3, (index + 1) * fw * fh * 3);
  const frame = new Uint8Array(CLIP_W * CLIP_H * 3);
  for (let i = 0; i < frame.length; i += 3) frame.set(MAGENTA, i);
  const c = FACE_BOX;
  for (let y = 0; y < c.side; y++)
    for (let x = 0; x < c.side; x++) {
      const s = (Math.floor((y * fh) / c.side) * fw + Math.floor((x * fw) / c.side)) * 3;
      frame.set(face.subarray(s, s + 3), ((c.sy + y) * CLIP_W + c.sx + x) * 3);
    }
  const files = { y4m: path.join(dir, 'face.y4m'), bmp: path.join(dir, 'face.bmp') };
  writeFileSync(files.y4m, y4m(frame, CLIP_W, CLIP_H));
  writeFileSync(files.bmp, bmp(face, fw, fh));
  return { ...files, face };
}
