// How long a feature picture will take, said before it is computed, and how many images to offer
// by default so it stays short on a slow machine (issue 16: 1,000 images took ~12 minutes on a
// software GPU with no warning). Pure; the rates come from the last computation on this machine
// (embedding-rates.ts) or, before any, from the run's own training speed.

export interface EmbeddingRates {
  /** Seconds per image for the features (one forward pass), at `pixels` input pixels. */
  featureSecondsPerImage: number;
  pixels: number;
  /** UMAP seconds per image (it grows a little faster than linearly; fine at these sizes). */
  umapSecondsPerImage: number;
}

/**
 * A training step costs about six forward passes per image (two views, each forward and
 * backward); the features are one forward pass. UMAP's own cost, never measured yet, is taken as
 * 5 ms per image (its 200–500 epochs over 15 neighbours each, in JavaScript).
 */
const FORWARDS_PER_TRAINING_IMAGE = 6;
const DEFAULT_UMAP_SECONDS_PER_IMAGE = 0.005;

/** Rates from a finished run's summary (images/s of training), or null when it has none. */
export function ratesFromTraining(
  summary: { steps: number; seconds: number } | null,
  batchSize: number,
  size: number,
): EmbeddingRates | null {
  if (!summary || summary.steps <= 0 || summary.seconds <= 0) return null;
  const trainSecondsPerImage = summary.seconds / (summary.steps * batchSize);
  return {
    featureSecondsPerImage: trainSecondsPerImage / FORWARDS_PER_TRAINING_IMAGE,
    pixels: size * size,
    umapSecondsPerImage: DEFAULT_UMAP_SECONDS_PER_IMAGE,
  };
}

/** Estimated seconds for `n` images at input `size` (features scale with the pixel count). */
export function embeddingSeconds(n: number, size: number, rates: EmbeddingRates): number {
  return n * (rates.featureSecondsPerImage * ((size * size) / rates.pixels) + rates.umapSecondsPerImage);
}

/** The default image count: `wanted`, or fewer (in hundreds, at least 200) so it takes about `budgetSeconds`. */
export function defaultEmbeddingCount(wanted: number, size: number, rates: EmbeddingRates | null, budgetSeconds = 90): number {
  if (!rates) return wanted;
  const perImage = embeddingSeconds(1, size, rates);
  if (perImage * wanted <= budgetSeconds) return wanted;
  return Math.min(wanted, Math.max(200, Math.floor(budgetSeconds / perImage / 100) * 100));
}

/**
 * What the panel says before a computation: the images it will really use (fewer than typed when
 * the run has fewer) and how long they take, measured on this machine by the last computation, or
 * only guessed from the run's training speed before any (start-up not included: said so).
 */
export function embeddingEstimateText(
  used: number,
  typed: number,
  seconds: number | null,
  measured: boolean,
  fmt: (s: number) => string = (s) => `${Math.round(s)} s`,
): string {
  const capped = typed > used ? `${used} images (all the run has): ` : '';
  if (seconds === null) return `${capped}the first computation measures how long it takes here`;
  return measured
    ? `${capped}takes about ${fmt(seconds)} on this machine (measured)`
    : `${capped}at least ${fmt(seconds)} plus start-up, guessed from the run's training speed; the first computation measures it`;
}
