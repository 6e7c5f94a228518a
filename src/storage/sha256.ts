// SHA-256 for cache keys, from hash-wasm (WebAssembly, the same digest in the browser, its workers
// and Node). Not crypto.subtle: it exists only in secure contexts (a lab served over plain http on
// a LAN address has none), cannot hash incrementally, and copies its input (a 165 MB weight file
// twice in memory, kept by Chromium until a garbage collection). The weights import hashes a file
// chunk by chunk while it reads it.
import { createSHA256 } from 'hash-wasm';

/** Incremental SHA-256: update() with the bytes in order, then hex() once. */
export interface Sha256 {
  update(data: Uint8Array): void;
  hex(): string;
}

export async function createSha256(): Promise<Sha256> {
  const h = await createSHA256();
  h.init();
  let done = false;
  return {
    update(data) {
      if (done) throw new Error('Sha256: update() after hex()');
      h.update(data);
    },
    hex() {
      done = true;
      return h.digest('hex');
    },
  };
}

export async function sha256Hex(data: Uint8Array): Promise<string> {
  const h = await createSha256();
  h.update(data);
  return h.hex();
}

export const sha256HexOfText = (text: string): Promise<string> => sha256Hex(new TextEncoder().encode(text));
