// Node's side of the JPEG decoder: reads mozjpeg_dec.wasm from node_modules (no fetch of file: URLs).
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { initJpegDecoder, jpegDecoderReady } from './jpeg.ts';

export async function initJpegDecoderNode(): Promise<void> {
  if (jpegDecoderReady()) return;
  const file = createRequire(import.meta.url).resolve('@jsquash/jpeg/codec/dec/mozjpeg_dec.wasm');
  await initJpegDecoder(await WebAssembly.compile(await readFile(file)));
}
