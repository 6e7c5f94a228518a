// The JPEG decode-identity page (tests/browser/jpeg.html on the Vite dev server): decodes each
// file named in the URL (?files=a.jpg,b.jpg from tests/fixtures/rafdb/jpeg/) three ways and leaves
// the RGB bytes (base64) on `window.__jpeg`: Chromium's own decoder (createImageBitmap, drawn on a
// canvas, getImageData), the lab's decoder (src/data/jpeg.ts, libjpeg-turbo in WebAssembly) on the
// page, and the same decoder in a module worker (this file, loaded as a worker).
import wasmUrl from '@jsquash/jpeg/codec/dec/mozjpeg_dec.wasm?url';
import { decodeJpeg, initJpegDecoder } from '../../src/data/jpeg.ts';

export interface JpegDecodeResult {
  name: string;
  width: number;
  height: number;
  /** base64 of height·width·3 RGB bytes. */
  chromium: string;
  chromiumSize: [number, number];
  wasmPage: string;
  wasmWorker: string;
}

export interface JpegPageReport {
  done: true;
  results: JpegDecodeResult[];
  error: string | null;
}

declare global {
  interface Window {
    __jpeg?: JpegPageReport;
  }
}

const b64 = (b: Uint8Array): string => {
  let s = '';
  for (let i = 0; i < b.length; i += 0x8000) s += String.fromCharCode(...b.subarray(i, i + 0x8000));
  return btoa(s);
};

async function fetchBytes(url: string): Promise<Uint8Array> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

async function initDecoder(): Promise<void> {
  await initJpegDecoder(await WebAssembly.compileStreaming(fetch(wasmUrl)));
}

async function decodeWithWasm(bytes: Uint8Array): Promise<{ width: number; height: number; rgb: Uint8Array }> {
  await initDecoder();
  return decodeJpeg(bytes);
}

async function decodeWithChromium(bytes: Uint8Array): Promise<{ width: number; height: number; rgb: Uint8Array }> {
  const bitmap = await createImageBitmap(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'image/jpeg' }), {
    colorSpaceConversion: 'none',
    premultiplyAlpha: 'none',
  });
  const { width, height } = bitmap;
  const canvas = new OffscreenCanvas(width, height);
  const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
  ctx.drawImage(bitmap, 0, 0);
  bitmap.close();
  const rgba = ctx.getImageData(0, 0, width, height).data;
  const rgb = new Uint8Array(width * height * 3);
  for (let i = 0, j = 0; j < rgb.length; i += 4, j += 3) {
    rgb[j] = rgba[i];
    rgb[j + 1] = rgba[i + 1];
    rgb[j + 2] = rgba[i + 2];
  }
  return { width, height, rgb };
}

const isWorker = typeof window === 'undefined';

if (isWorker) {
  // Worker side: decode what the page sends with the same decoder.
  self.onmessage = async (ev: MessageEvent<{ bytes: Uint8Array }[]>) => {
    try {
      const out = [];
      for (const { bytes } of ev.data) out.push(b64((await decodeWithWasm(bytes)).rgb));
      self.postMessage({ ok: true, out });
    } catch (e) {
      self.postMessage({ ok: false, error: (e as Error).message });
    }
  };
} else {
  const statusEl = document.getElementById('status')!;
  const say = (line: string): void => {
    statusEl.textContent += '\n' + line;
  };
  const main = async (): Promise<JpegPageReport> => {
    const files = (new URLSearchParams(location.search).get('files') ?? '').split(',').filter(Boolean);
    const all = await Promise.all(files.map((f) => fetchBytes(`/tests/fixtures/rafdb/jpeg/${f}`)));
    const worker = new Worker(new URL('./jpeg-page.ts', import.meta.url), { type: 'module' });
    const inWorker = await new Promise<string[]>((resolve, reject) => {
      worker.onmessage = (ev) => (ev.data.ok ? resolve(ev.data.out) : reject(new Error(`worker: ${ev.data.error}`)));
      worker.onerror = (ev) => reject(new Error(`worker: ${ev.message}`));
      worker.postMessage(all.map((bytes) => ({ bytes })));
    });
    worker.terminate();
    const results: JpegDecodeResult[] = [];
    for (let i = 0; i < files.length; i++) {
      const w = await decodeWithWasm(all[i]);
      const c = await decodeWithChromium(all[i]);
      results.push({
        name: files[i],
        width: w.width,
        height: w.height,
        chromium: b64(c.rgb),
        chromiumSize: [c.width, c.height],
        wasmPage: b64(w.rgb),
        wasmWorker: inWorker[i],
      });
      say(`${files[i]}: ${w.width}×${w.height}`);
    }
    return { done: true, results, error: null };
  };
  main()
    .then((r) => {
      window.__jpeg = r;
      say('done');
    })
    .catch((e) => {
      window.__jpeg = { done: true, results: [], error: (e as Error).stack ?? String(e) };
      say(`error: ${(e as Error).message}`);
    });
}
