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
export const MAX_JPEG_SCANS = 100;
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
  decode(data: BufferSource, preserveOrientation: boolean): { data: Uint8ClampedArray; width: number; height: number } | null;
}

let ready: Promise<DecoderModule> | null = null;
let decoder: DecoderModule | null = null;
/** libjpeg's messages (errors and warnings) printed during the current decode. */
let messages: string[] = [];

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
export function sniffFormat(b: Uint8Array): string | null {
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
 * Decodes a JPEG to RGB at its native size. Throws JpegError for an empty file, a file that is
 * not a JPEG, a truncated one (libjpeg would pad it with grey), one whose header claims more than
 * MAX_JPEG_SIDE² pixels or more than MAX_JPEG_SCANS scans (refused before decoding), a CMYK one
 * (libjpeg cannot make RGB of it), one with a corrupt data segment, or one libjpeg rejects.
 */
export function decodeJpeg(bytes: Uint8Array): DecodedImage {
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
    out = decoder.decode(bytes as Uint8Array<ArrayBuffer>, false);
  } catch {
    out = null;
  }
  const said = messages;
  messages = [];
  if (said.some((m) => /Premature end of JPEG file/i.test(m))) throw new JpegError('truncated');
  // A data segment cut short by a marker: libjpeg fills the rest of the image with grey.
  if (said.some((m) => /premature end of data segment/i.test(m))) throw new JpegError('corrupt JPEG: premature end of data segment');
  if (!out) throw new JpegError(said.length ? `corrupt JPEG: ${said[said.length - 1]}` : 'corrupt JPEG');
  const { width, height, data } = out;
  const rgb = new Uint8Array(width * height * 3);
  for (let i = 0, j = 0; j < rgb.length; i += 4, j += 3) {
    rgb[j] = data[i];
    rgb[j + 1] = data[i + 1];
    rgb[j + 2] = data[i + 2];
  }
  return { width, height, rgb };
}
