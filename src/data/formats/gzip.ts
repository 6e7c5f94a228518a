// Gzip, bounded: a stranger's 30 kB file may claim (or inflate to) gigabytes, so the output is
// counted as it comes and the inflation stopped at the cap.
import { Gunzip } from 'fflate';
import { bytesText } from '../../engine/format.ts';

export const isGzip = (b: Uint8Array): boolean => b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;

/** The bytes, inflated where they are gzip; throws a one-line reason past `maxBytes` or on damage. */
export function gunzipBounded(bytes: Uint8Array, maxBytes: number): Uint8Array {
  if (!isGzip(bytes)) return bytes;
  const chunks: Uint8Array[] = [];
  let total = 0;
  let ended = false;
  const g = new Gunzip((chunk, final) => {
    total += chunk.length;
    if (total > maxBytes) throw new Error(`it inflates to more than ${bytesText(maxBytes, 'binary')}`);
    chunks.push(chunk);
    if (final) ended = true;
  });
  try {
    // In slices, so that the cap is met after at most one slice's inflation.
    const slice = 1 << 16;
    for (let i = 0; i < bytes.length; i += slice) g.push(bytes.subarray(i, i + slice), i + slice >= bytes.length);
  } catch (e) {
    const msg = (e as Error).message;
    throw new Error(msg.startsWith('it inflates') ? msg : `damaged gzip data (${msg})`);
  }
  if (!ended) throw new Error('the gzip data ends early');
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
