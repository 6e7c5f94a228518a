// JPEG decoding with libjpeg-turbo's decoder, the same bytes in Node and in the browser: MozJPEG's
// decoder (a libjpeg-turbo fork whose decompressor is libjpeg-turbo's: accurate integer IDCT,
// "fancy" upsampling), compiled to WebAssembly by Squoosh and shipped as `@jsquash/jpeg`.
// Chromium and OpenCV (the official code's reader) decode with libjpeg-turbo too.
//
// Initialise once with `initJpegDecoder(wasm)`, passing the compiled `mozjpeg_dec.wasm` (Node:
// `initJpegDecoderNode()` in jpeg-node.ts reads it from node_modules; the browser: fetch the
// `@jsquash/jpeg/codec/dec/mozjpeg_dec.wasm?url` asset and compile it), then `decodeJpeg` is
// synchronous.
import factory from '@jsquash/jpeg/codec/dec/mozjpeg_dec.js';
import { readJpegHeader, type JpegHeader } from './jpeg-header.ts';

/** Widest and tallest image decoded: RAF-DB's aligned images are 100×100; 4096² is 48 MiB of RGB. */
export const MAX_JPEG_SIDE = 4096;
/** A progressive JPEG has about 10 scans; each one is a pass over the whole image. */
const MAX_JPEG_SCANS = 100;
/** libjpeg prints only its first warning; errors come after. A few are kept. */
const MAX_MESSAGES = 16;

export interface DecodedImage {
  width: number;
  height: number;
  /** height·width·3 bytes, RGB, row-major. */
  rgb: Uint8Array;
}

/** A file that is not a usable JPEG; `reason` is one short phrase ("empty file", "truncated", …). */
export class JpegError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'JpegError';
  }
}

interface DecoderModule {
  decode(data: BufferSource, preserveOrientation: boolean): { data: Uint8Array | Uint8ClampedArray; width: number; height: number } | null;
}

/** An image as the decoder leaves it: RGBA, valid only until the next decode (see `decodeJpegRgba`). */
export interface DecodedRgba {
  width: number;
  height: number;
  /** height·width·4 bytes. */
  rgba: Uint8Array | Uint8ClampedArray;
}

let ready: Promise<DecoderModule> | null = null;
let decoder: DecoderModule | null = null;
/** libjpeg's messages (errors and warnings) printed during the current decode. */
let messages: string[] = [];
/** Whether a decode has succeeded yet: until then every decode runs with the heap-view stand-ins. */
let primed = false;

// The library's glue copies every decoded image out of the WebAssembly heap into a fresh
// Uint8ClampedArray and wraps it in an ImageData. Fresh memory costs more than the decode itself
// (in Chromium on the test VM: 0.2 of 0.4 ms per 100×100 image; Node: 0.09 of 0.23 ms). The glue
// looks both constructors up once, at its first successful decode (C++ thread_local statics), so
// that decode runs with stand-ins: one hands back the heap view it is given, the other a plain
// object. From then on a decode returns a view into the heap, valid until the next decode, which
// callers copy out of at once. Should a later version of the glue work differently, decodes just
// return copies again: only the speed depends on this.
function HeapView(view: Uint8Array): Uint8Array {
  return view;
}
class PlainImageData {
  constructor(
    readonly data: Uint8Array,
    readonly width: number,
    readonly height: number,
  ) {}
}

/** Runs the glue's decode; until one has succeeded, with the stand-ins in place (synchronously, so nothing else sees them). */
function callDecoder(m: DecoderModule, bytes: Uint8Array): ReturnType<DecoderModule['decode']> {
  if (primed) return m.decode(bytes as Uint8Array<ArrayBuffer>, false);
  const g = globalThis as unknown as Record<string, unknown>;
  const saved = { u8c: g.Uint8ClampedArray, imageData: g.ImageData };
  g.Uint8ClampedArray = HeapView;
  g.ImageData = PlainImageData;
  try {
    const out = m.decode(bytes as Uint8Array<ArrayBuffer>, false);
    if (out) primed = true;
    return out;
  } finally {
    g.Uint8ClampedArray = saved.u8c;
    if (saved.imageData === undefined) delete g.ImageData;
    else g.ImageData = saved.imageData;
  }
}

/**
 * Instantiates the decoder (idempotent: later calls return the first one's promise). `wasm` is the
 * compiled mozjpeg_dec.wasm, or its bytes; without it the Emscripten loader fetches the file next
 * to its own script (works where the bundler keeps that file's URL).
 */
export function initJpegDecoder(wasm?: WebAssembly.Module | BufferSource): Promise<void> {
  if (!ready) {
    const opts: Record<string, unknown> = {
      noInitialRun: true,
      print: (s: string) => void (messages.length < MAX_MESSAGES && messages.push(s)),
      printErr: (s: string) => void (messages.length < MAX_MESSAGES && messages.push(s)),
    };
    if (wasm) {
      opts.instantiateWasm = (imports: WebAssembly.Imports, done: (instance: WebAssembly.Instance, module: WebAssembly.Module) => void) => {
        const compiled = wasm instanceof WebAssembly.Module ? Promise.resolve(wasm) : WebAssembly.compile(wasm);
        compiled
          .then(async (module) => done(await WebAssembly.instantiate(module, imports), module))
          .catch((e) => {
            ready = null;
            throw e;
          });
        return {};
      };
    }
    const make = factory as unknown as (o: Record<string, unknown>) => Promise<DecoderModule>;
    ready = make(opts).then((m) => (decoder = m));
    ready.catch(() => {
      ready = null;
    });
  }
  return ready.then(() => undefined);
}

export function jpegDecoderReady(): boolean {
  return decoder !== null;
}

const hex = (b: Uint8Array, n: number) => Array.from(b.subarray(0, n), (x) => '0x' + x.toString(16).padStart(2, '0')).join(' ');

/** What kind of file the bytes start like, for error messages. */
function sniffFormat(b: Uint8Array): string | null {
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg';
  if (b.length >= 8 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47) return 'png';
  if (b.length >= 6 && b[0] === 0x47 && b[1] === 0x49 && b[2] === 0x46) return 'gif';
  if (b.length >= 2 && b[0] === 0x42 && b[1] === 0x4d) return 'bmp';
  if (b.length >= 12 && b[0] === 0x52 && b[1] === 0x49 && b[2] === 0x46 && b[3] === 0x46 && b[8] === 0x57 && b[9] === 0x45) return 'webp';
  return null;
}

/** Refuses, from its header, a JPEG the lab will not decode (its cost, or its colours). */
function checkHeader(h: JpegHeader): void {
  if (h.components === 4) throw new JpegError(h.adobeTransform === 2 ? 'CMYK JPEG (YCCK), not supported' : 'CMYK JPEG, not supported');
  if (h.components !== 1 && h.components !== 3) throw new JpegError(`JPEG with ${h.components} colour components, not supported`);
  if (h.width === 0 || h.height === 0) throw new JpegError(`corrupt JPEG: its header says ${h.width}×${h.height}`);
  if (h.width > MAX_JPEG_SIDE || h.height > MAX_JPEG_SIDE) {
    throw new JpegError(
      `too large: ${h.width}×${h.height} pixels (the cap is ${MAX_JPEG_SIDE}×${MAX_JPEG_SIDE}; RAF-DB's aligned images are 100×100)`,
    );
  }
  if (h.scans > MAX_JPEG_SCANS) throw new JpegError(`corrupt JPEG: ${h.scans} scans (the cap is ${MAX_JPEG_SCANS})`);
}

/**
 * Decodes a JPEG at its native size, leaving RGBA where the decoder put it: the view is valid only
 * until the next decode in this thread, so copy out of it at once (`copyRgb`). Throws JpegError
 * for an empty file, a file that is not a JPEG, a truncated one (libjpeg would pad it with grey),
 * one whose header claims more than MAX_JPEG_SIDE² pixels or more than MAX_JPEG_SCANS scans
 * (refused before decoding), a CMYK one (libjpeg cannot make RGB of it), one with a corrupt data
 * segment, or one libjpeg rejects.
 */
export function decodeJpegRgba(bytes: Uint8Array): DecodedRgba {
  if (!decoder) throw new Error('the JPEG decoder is not initialised: await initJpegDecoder() first');
  if (bytes.length === 0) throw new JpegError('empty file');
  const kind = sniffFormat(bytes);
  if (kind !== 'jpeg')
    throw new JpegError(
      kind ? `not a JPEG (a ${kind.toUpperCase()} file)` : `not a JPEG (starts with ${hex(bytes, Math.min(4, bytes.length))})`,
    );
  const header = readJpegHeader(bytes);
  if (header) checkHeader(header);
  messages = [];
  let out: ReturnType<DecoderModule['decode']>;
  try {
    out = callDecoder(decoder, bytes);
  } catch {
    out = null;
  }
  const said = messages;
  messages = [];
  if (said.some((m) => /Premature end of JPEG file/i.test(m))) throw new JpegError('truncated');
  // A data segment cut short by a marker: libjpeg fills the rest of the image with grey.
  if (said.some((m) => /premature end of data segment/i.test(m))) throw new JpegError('corrupt JPEG: premature end of data segment');
  if (!out) throw new JpegError(said.length ? `corrupt JPEG: ${said[said.length - 1]}` : 'corrupt JPEG');
  return { width: out.width, height: out.height, rgba: out.data };
}

/** Writes the RGB of `rgba` (height·width·4 bytes) into `out` from `at` on. */
export function copyRgb(rgba: Uint8Array | Uint8ClampedArray, out: Uint8Array, at = 0): void {
  const n = rgba.length;
  if (at + (n / 4) * 3 > out.length) throw new RangeError(`copyRgb: ${(n / 4) * 3} bytes do not fit at ${at} of ${out.length}`);
  for (let i = 0, j = at; i < n; i += 4, j += 3) {
    out[j] = rgba[i];
    out[j + 1] = rgba[i + 1];
    out[j + 2] = rgba[i + 2];
  }
}

/** The RGB of a decoded image, in an array of its own. */
export function rgbOf(img: DecodedRgba): Uint8Array {
  const rgb = new Uint8Array(img.width * img.height * 3);
  copyRgb(img.rgba, rgb);
  return rgb;
}

/** Decodes a JPEG to RGB at its native size, in an array of its own; throws as decodeJpegRgba does. */
export function decodeJpeg(bytes: Uint8Array): DecodedImage {
  const img = decodeJpegRgba(bytes);
  return { width: img.width, height: img.height, rgb: rgbOf(img) };
}
