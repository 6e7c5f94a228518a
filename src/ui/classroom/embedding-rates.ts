// The last feature picture's measured rates on this machine (localStorage), for the next estimate.
import type { EmbeddingRates } from './embedding-estimate.ts';

const KEY = 'eac-lab.embedding-rates';

export function savedRates(): EmbeddingRates | null {
  try {
    const r = JSON.parse(globalThis.localStorage?.getItem(KEY) ?? 'null') as EmbeddingRates | null;
    return r && [r.featureSecondsPerImage, r.pixels, r.umapSecondsPerImage].every((x) => typeof x === 'number' && x > 0) ? r : null;
  } catch {
    return null;
  }
}

export function saveRates(n: number, size: number, seconds: { features: number; umap: number }): void {
  if (n <= 0 || size <= 0 || !(seconds.features > 0)) return;
  const rates: EmbeddingRates = {
    featureSecondsPerImage: seconds.features / n,
    pixels: size * size,
    umapSecondsPerImage: Math.max(seconds.umap / n, 1e-5),
  };
  try {
    globalThis.localStorage?.setItem(KEY, JSON.stringify(rates));
  } catch {
    // Not kept: the next estimate comes from the run's training speed.
  }
}
