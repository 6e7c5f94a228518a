// Where the CLI's results go: JSON on stdout (--json) and/or a file (--out); progress on stderr.
import { writeFileSync } from 'node:fs';

export function emitJson(result: unknown, opts: { json: boolean; out?: string }): void {
  const text = JSON.stringify(result, null, 2) + '\n';
  if (opts.out) writeFileSync(opts.out, text);
  if (opts.json) process.stdout.write(text);
}

export function progress(line: string): void {
  process.stderr.write(line + '\n');
}

export function formatSeconds(s: number | null): string {
  if (s === null || !Number.isFinite(s)) return '?';
  if (s < 60) return `${s.toFixed(0)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.round((s % 3600) / 60)).padStart(2, '0')}m`;
}
