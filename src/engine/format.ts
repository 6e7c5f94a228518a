// The one place numbers become text, for the page, the CLI, the workers and the engine's messages:
// bytes, counts, durations, dates and the article before a number. Pure; no DOM.

const DECIMAL = ['B', 'kB', 'MB', 'GB', 'TB'];
const BINARY = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

/**
 * Bytes as "400 B", "1.5 kB", "512 kB", "23.5 MB", "1.2 GB": powers of 1000 (as browsers report
 * downloads and storage), or with `'binary'` powers of 1024 ("4 MiB", "5.4 GiB": memory and caps).
 * One decimal ("187.7 MB"), none for a whole value ("16 MiB"); never "0 kB" for a small file. Not a
 * size (negative, NaN): "–".
 */
export function bytesText(bytes: number, units: 'decimal' | 'binary' = 'decimal'): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '–';
  const base = units === 'binary' ? 1024 : 1000;
  const names = units === 'binary' ? BINARY : DECIMAL;
  if (bytes < base) return `${Math.round(bytes)} B`;
  let v = bytes;
  let u = 0;
  while (v >= base && u < names.length - 1) {
    v /= base;
    u++;
  }
  // Rounding may carry into the next unit: 999.96 kB is "1 MB", not "1000.0 kB".
  if (Number(v.toFixed(1)) >= base && u < names.length - 1) {
    v /= base;
    u++;
  }
  return `${v.toFixed(1).replace(/\.0$/, '')} ${names[u]}`;
}

/** "120 MB / 460 MB": a part of a whole, both in bytes. */
export function bytesOfText(done: number, total: number, units: 'decimal' | 'binary' = 'decimal'): string {
  return `${bytesText(done, units)} / ${bytesText(total, units)}`;
}

/** A count with thousands separators: 12271 → "12,271". */
export function countText(n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '–';
}

/** "a" or "an" before a number as it is read aloud: "an 8,631-way head", "an 11", "a 7-way head". */
export function articleFor(n: number): 'a' | 'an' {
  const digits = String(Math.trunc(Math.abs(n)));
  if (digits.startsWith('8')) return 'an';
  // 11 and 18 are read "eleven", "eighteen"; so are 11,xxx and 18,xxx (and 11 million…) by their leading group.
  const group = digits.length % 3 === 0 ? digits.slice(0, 3) : digits.slice(0, digits.length % 3);
  return group === '11' || group === '18' ? 'an' : 'a';
}

/**
 * Seconds as the CLI prints them: "45s", "3m00s", "1h02m". Rounded once, at the smallest unit shown,
 * so a rounding carries ("179.6 s" is "3m00s", never "2m60s").
 */
export function clockText(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '?';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  const m = Math.round(s / 60);
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** A moment as the page shows every date: "2026-12-07 14:05" in the reader's time zone. */
export function dateText(at: Date | string | number): string {
  const d = at instanceof Date ? at : new Date(at);
  if (Number.isNaN(d.getTime())) return '–';
  const two = (x: number) => String(x).padStart(2, '0');
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}`;
}
