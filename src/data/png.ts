// PNG decoding (fast-png, pure JS: the same bytes in Node and in the browser) to 8-bit RGB, with the
// JPEG decoder's caps: the size is read from IHDR and refused before a byte is inflated, and the
// image data is inflated once, bounded, to check that it holds no more than its declared size says
// (a 4 MiB zlib bomb would otherwise inflate to gigabytes). Grey, grey+alpha, palette, RGB and RGBA,
// 1- to 16-bit, become RGB: alpha is dropped (Pillow's convert('RGB')), 16-bit keeps its high byte.
import { Unzlib } from 'fflate';
import { convertIndexedToRgb, decode } from 'fast-png';
import { MAX_JPEG_SIDE, type DecodedImage } from './jpeg.ts';

/** A file that is not a usable PNG; `reason` is one short phrase. */
export class PngError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'PngError';
  }
}

export const isPng = (b: Uint8Array): boolean =>
  b.length >= 8 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47 && b[4] === 0x0d && b[5] === 0x0a;

/** Channels per colour type (0 grey, 2 RGB, 3 palette, 4 grey+alpha, 6 RGBA). */
const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

export interface PngHeader {
  width: number;
  height: number;
  depth: number;
  colorType: number;
  interlaced: boolean;
  /** Bytes of all IDAT chunks together. */
  idatBytes: number;
}

/** Reads IHDR and sums the IDAT chunks' lengths (no inflating); throws PngError for a damaged or refused header. */
export function readPngHeader(b: Uint8Array): PngHeader {
  if (!isPng(b)) throw new PngError('not a PNG');
  if (b.length < 33) throw new PngError('truncated PNG (no IHDR)');
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const type = String.fromCharCode(b[12], b[13], b[14], b[15]);
  if (type !== 'IHDR' || v.getUint32(8) !== 13) throw new PngError('corrupt PNG: its first chunk is not IHDR');
  const width = v.getUint32(16);
  const height = v.getUint32(20);
  const depth = b[24];
  const colorType = b[25];
  if (width === 0 || height === 0) throw new PngError(`corrupt PNG: its header says ${width}×${height}`);
  if (width > MAX_JPEG_SIDE || height > MAX_JPEG_SIDE)
    throw new PngError(`too large: ${width}×${height} pixels (the cap is ${MAX_JPEG_SIDE}×${MAX_JPEG_SIDE})`);
  if (!(colorType in CHANNELS)) throw new PngError(`corrupt PNG: colour type ${colorType}`);
  const depths = colorType === 0 ? [1, 2, 4, 8, 16] : colorType === 3 ? [1, 2, 4, 8] : [8, 16];
  if (!depths.includes(depth)) throw new PngError(`corrupt PNG: bit depth ${depth} with colour type ${colorType}`);
  let idatBytes = 0;
  for (let at = 8; at + 12 <= b.length; ) {
    const len = v.getUint32(at);
    const t = String.fromCharCode(b[at + 4], b[at + 5], b[at + 6], b[at + 7]);
    if (at + 12 + len > b.length) throw new PngError(`truncated PNG (its ${t} chunk claims ${len} bytes past the end)`);
    if (t === 'IDAT') idatBytes += len;
    if (t === 'IEND') break;
    at += 12 + len;
  }
  if (idatBytes === 0) throw new PngError('truncated PNG (no image data)');
  return { width, height, depth, colorType, interlaced: b[28] === 1, idatBytes };
}

/** The most bytes a PNG of this header inflates to (rows of filter byte + pixels; Adam7's passes add at most 2 bytes a row each). */
export function inflatedBytesMax(h: PngHeader): number {
  const row = 1 + Math.ceil((h.width * CHANNELS[h.colorType] * h.depth) / 8);
  return h.height * row + (h.interlaced ? 14 * h.height + 64 : 0);
}

/** Inflates the IDAT stream counting, and stops past `max` bytes; throws PngError when it holds more. */
function checkInflatedSize(b: Uint8Array, max: number): void {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let total = 0;
  const z = new Unzlib((chunk) => {
    total += chunk.length;
    if (total > max) throw new PngError(`corrupt PNG: its image data inflates past the ${max} bytes its header declares`);
  });
  try {
    for (let at = 8; at + 12 <= b.length; ) {
      const len = v.getUint32(at);
      const t = String.fromCharCode(b[at + 4], b[at + 5], b[at + 6], b[at + 7]);
      if (t === 'IEND') break;
      if (t === 'IDAT') for (let i = 0; i < len; i += 1 << 16) z.push(b.subarray(at + 8 + i, at + 8 + Math.min(len, i + (1 << 16))));
      at += 12 + len;
    }
  } catch (e) {
    if (e instanceof PngError) throw e;
    throw new PngError(`corrupt PNG: damaged image data (${(e as Error).message})`);
  }
}

/** Samples of one channel layout as 8-bit values: 16-bit keeps the high byte, 1/2/4-bit grey is unpacked and scaled. */
function to8Bit(data: Uint8Array | Uint8ClampedArray | Uint16Array, depth: number, width: number, height: number, channels: number) {
  if (depth === 16) {
    const out = new Uint8Array(data.length);
    for (let i = 0; i < data.length; i++) out[i] = data[i] >> 8;
    return out;
  }
  if (depth === 8) return data as Uint8Array;
  // Packed grey: rows of ceil(width·depth/8) bytes, high bits first.
  const out = new Uint8Array(width * height * channels);
  const rowBytes = Math.ceil((width * depth) / 8);
  const maxV = (1 << depth) - 1;
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const bit = x * depth;
      const byte = data[y * rowBytes + (bit >> 3)];
      const val = (byte >> (8 - depth - (bit & 7))) & maxV;
      out[y * width + x] = Math.round((val * 255) / maxV);
    }
  return out;
}

/**
 * Decodes a PNG to RGB. Throws PngError for one that is not a PNG, is truncated or damaged, claims
 * more than MAX_JPEG_SIDE pixels a side (refused from IHDR before decoding), or whose image data
 * inflates past what its header declares.
 */
export function decodePngRgb(bytes: Uint8Array): DecodedImage {
  const h = readPngHeader(bytes);
  checkInflatedSize(bytes, inflatedBytesMax(h));
  let png: ReturnType<typeof decode>;
  try {
    png = decode(bytes, { checkCrc: false });
  } catch (e) {
    throw new PngError(`corrupt PNG: ${(e as Error).message}`);
  }
  const { width, height } = png;
  const n = width * height;
  let samples: Uint8Array | Uint8ClampedArray;
  let channels: number;
  if (png.palette) {
    samples = convertIndexedToRgb(png);
    channels = samples.length / n;
  } else {
    channels = png.channels;
    samples = to8Bit(png.data, png.depth, width, height, channels);
  }
  if (samples.length < n * channels) throw new PngError('truncated PNG (fewer pixels than its header says)');
  const rgb = new Uint8Array(n * 3);
  if (channels >= 3) {
    for (let i = 0; i < n; i++) {
      rgb[3 * i] = samples[channels * i];
      rgb[3 * i + 1] = samples[channels * i + 1];
      rgb[3 * i + 2] = samples[channels * i + 2];
    }
  } else {
    for (let i = 0; i < n; i++) rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = samples[channels * i];
  }
  return { width, height, rgb };
}
