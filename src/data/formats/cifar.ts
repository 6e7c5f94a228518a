// CIFAR-10 and CIFAR-100, binary version: records of label byte(s) then 3,072 pixel bytes, the
// 32×32 red plane, then green, then blue. CIFAR-10 has one label byte, CIFAR-100 two (coarse, fine).

export const CIFAR_SIDE = 32;
const PIXELS = CIFAR_SIDE * CIFAR_SIDE * 3;

export const CIFAR10_CLASSES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];

/** Records of a CIFAR batch: labels (the fine ones for CIFAR-100) and HWC RGB pixels. */
export function parseCifarBatch(b: Uint8Array, labelBytes: 1 | 2, numClasses: number): { labels: Int32Array; rgb: Uint8Array } {
  const rec = labelBytes + PIXELS;
  if (b.length === 0 || b.length % rec !== 0) throw new Error(`${b.length} bytes is not a whole number of ${rec}-byte CIFAR records`);
  const n = b.length / rec;
  const labels = new Int32Array(n);
  const rgb = new Uint8Array(n * PIXELS);
  const plane = CIFAR_SIDE * CIFAR_SIDE;
  for (let i = 0; i < n; i++) {
    const at = i * rec;
    const label = b[at + labelBytes - 1];
    if (label >= numClasses) throw new Error(`record ${i} has label ${label}, not a class in [0, ${numClasses - 1}]`);
    labels[i] = label;
    const px = at + labelBytes;
    const out = i * PIXELS;
    for (let p = 0; p < plane; p++) {
      rgb[out + 3 * p] = b[px + p];
      rgb[out + 3 * p + 1] = b[px + plane + p];
      rgb[out + 3 * p + 2] = b[px + 2 * plane + p];
    }
  }
  return { labels, rgb };
}

/** Class names from a names file (batches.meta.txt, fine_label_names.txt): one per non-empty line. */
export function parseNamesFile(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
}
