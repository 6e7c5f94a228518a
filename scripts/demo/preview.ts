// Writes a PNG contact sheet of the built-in demo dataset: one row per class (in class order:
// Surprise, Fear, Disgust, Happiness, Sadness, Anger, Neutral), a few train samples per row.
//
//   node --import tsx scripts/demo/preview.ts out.png [perClass=10] [seed=0] [zoom=1]
import { writeFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';
import { generateDemoDataset } from '../../src/data/demo.ts';
import { CLASS_NAMES, NUM_CLASSES } from '../../src/engine/dataset.ts';

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/** A minimal PNG encoder: 8-bit RGB, no interlace, filter 0 on every row. */
export function encodePng(rgb: Uint8Array, width: number, height: number): Uint8Array {
  const raw = new Uint8Array(height * (width * 3 + 1));
  for (let y = 0; y < height; y++) {
    raw[y * (width * 3 + 1)] = 0;
    raw.set(rgb.subarray(y * width * 3, (y + 1) * width * 3), y * (width * 3 + 1) + 1);
  }
  const ihdr = new Uint8Array(13);
  const v = new DataView(ihdr.buffer);
  v.setUint32(0, width);
  v.setUint32(4, height);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type RGB
  const parts = [
    new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', new Uint8Array(deflateSync(raw))),
    chunk('IEND', new Uint8Array(0)),
  ];
  const total = parts.reduce((n, p) => n + p.length, 0);
  const png = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    png.set(p, o);
    o += p.length;
  }
  return png;
}

function main(): void {
  const out = process.argv[2];
  if (!out) {
    console.error('usage: node --import tsx scripts/demo/preview.ts out.png [perClass=10] [seed=0] [zoom=1]');
    process.exit(2);
  }
  const perClass = Number(process.argv[3] ?? 10);
  const seed = Number(process.argv[4] ?? 0);
  const zoom = Math.max(1, Math.floor(Number(process.argv[5] ?? 1)));
  // Enough train samples that even the rarest class (Fear, ~2.3%) fills its row.
  const trainCount = Math.max(200, Math.ceil((perClass * 12271) / 281) + 20);
  const ds = generateDemoDataset({ seed, trainCount, testCount: 0 });
  const { width: w, height: h, images, labels } = ds.train;
  const gap = 2;
  const W = perClass * (w * zoom + gap) + gap;
  const H = NUM_CLASSES * (h * zoom + gap) + gap;
  const sheet = new Uint8Array(W * H * 3).fill(255);
  for (let c = 0; c < NUM_CLASSES; c++) {
    let col = 0;
    for (let i = 0; i < labels.length && col < perClass; i++) {
      if (labels[i] !== c) continue;
      const ox = gap + col * (w * zoom + gap);
      const oy = gap + c * (h * zoom + gap);
      for (let y = 0; y < h * zoom; y++) {
        for (let x = 0; x < w * zoom; x++) {
          const src = ((i * h + Math.floor(y / zoom)) * w + Math.floor(x / zoom)) * 3;
          const dst = ((oy + y) * W + ox + x) * 3;
          sheet[dst] = images[src];
          sheet[dst + 1] = images[src + 1];
          sheet[dst + 2] = images[src + 2];
        }
      }
      col++;
    }
  }
  writeFileSync(out, encodePng(sheet, W, H));
  console.log(`wrote ${out} (${W}x${H}); rows: ${CLASS_NAMES.join(', ')}`);
}

main();
