// What a JPEG says about itself before it is decoded: the frame header's size and colour
// components, the Adobe marker's colour transform, and the number of scans. A 3 KB file can
// claim 16000×16000 (the decoder would then allocate and pad 768 MB of grey) or hold thousands of
// progressive scans, each a pass over the whole image; the decoder (jpeg.ts) refuses such files
// from this header instead. One linear walk of the marker chain, no allocation.

export interface JpegHeader {
  width: number;
  height: number;
  /** 1 grey, 3 YCbCr (or RGB), 4 CMYK / YCCK. */
  components: number;
  /** The Adobe APP14 marker's transform byte (0 none, 1 YCbCr, 2 YCCK); null without the marker. */
  adobeTransform: number | null;
  /** Start-of-scan markers: 1 for a baseline image, ~10 for a progressive one. */
  scans: number;
}

/** SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC). */
const isFrameMarker = (m: number) => m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;
/** Markers without a length: RST0..7 and TEM. */
const isStandalone = (m: number) => (m >= 0xd0 && m <= 0xd7) || m === 0x01;

/** Skips a scan's entropy-coded data: up to the next marker that is not a stuffed 0xFF00 or an RSTn. */
function skipEntropyData(b: Uint8Array, i: number): number {
  const n = b.length;
  while (i < n) {
    if (b[i] !== 0xff) {
      i++;
      continue;
    }
    const next = b[i + 1];
    if (next === 0x00 || (next >= 0xd0 && next <= 0xd7)) i += 2;
    else if (next === 0xff) i += 1;
    else return i;
  }
  return n;
}

/**
 * Reads the header of a JPEG (bytes starting FF D8). Null when no frame header is found (a
 * truncated or broken file: the decoder says what is wrong with it).
 */
export function readJpegHeader(b: Uint8Array): JpegHeader | null {
  const n = b.length;
  let frame: { width: number; height: number; components: number } | null = null;
  let adobeTransform: number | null = null;
  let scans = 0;
  let i = 2;
  while (i < n) {
    if (b[i] !== 0xff) break;
    while (i < n && b[i] === 0xff) i++;
    if (i >= n) break;
    const m = b[i++];
    if (m === 0xd9) break;
    if (isStandalone(m)) continue;
    if (i + 2 > n) break;
    const len = (b[i] << 8) | b[i + 1];
    if (len < 2) break;
    const seg = i + 2;
    if (isFrameMarker(m) && frame === null && seg + 6 <= n) {
      frame = { height: (b[seg + 1] << 8) | b[seg + 2], width: (b[seg + 3] << 8) | b[seg + 4], components: b[seg + 5] };
    }
    if (
      m === 0xee &&
      len >= 14 &&
      seg + 12 <= n &&
      b[seg] === 0x41 &&
      b[seg + 1] === 0x64 &&
      b[seg + 2] === 0x6f &&
      b[seg + 3] === 0x62 &&
      b[seg + 4] === 0x65
    ) {
      adobeTransform = b[seg + 11];
    }
    i += len;
    if (m === 0xda) {
      scans++;
      i = skipEntropyData(b, i);
    }
  }
  return frame ? { ...frame, adobeTransform, scans } : null;
}
