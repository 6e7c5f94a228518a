// Units the progress and export panels print. Pure.

/** Bytes as "400 B", "1.5 kB", "512 kB", "23.4 MB", "1.20 GB" (powers of 1000, as browsers report downloads); never "0 kB" for a small file. */
export function bytesText(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '–';
  if (bytes < 1e3) return `${Math.round(bytes)} B`;
  if (bytes < 1e4) return `${(bytes / 1e3).toFixed(1)} kB`;
  if (bytes < 1e6) return `${Math.round(bytes / 1e3)} kB`;
  if (bytes < 1e9) return `${(bytes / 1e6).toFixed(1)} MB`;
  return `${(bytes / 1e9).toFixed(2)} GB`;
}
