// One image file to RGB, whichever of the two formats the readers take it is: JPEG (libjpeg-turbo,
// src/data/jpeg.ts) or PNG (fast-png, src/data/png.ts), told apart by their first bytes. Both
// refuse a file over MAX_JPEG_SIDE a side from its header, before decoding.
import { decodeJpeg, JpegError, type DecodedImage } from './jpeg.ts';
import { decodePngRgb, isPng, PngError } from './png.ts';

/** Decodes a JPEG or PNG; throws JpegError or PngError (both with a `reason`) for anything else. */
export function decodeImageFile(bytes: Uint8Array): DecodedImage {
  return isPng(bytes) ? decodePngRgb(bytes) : decodeJpeg(bytes);
}

/** Whether `e` is a decoder's refusal of one file (skipped and reported, not fatal). */
export const isImageFileError = (e: unknown): e is JpegError | PngError => e instanceof JpegError || e instanceof PngError;
