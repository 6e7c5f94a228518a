// Command-line parsing helpers: every bad value becomes a one-line error naming the flag.
import { parseArgs, type ParseArgsConfig } from 'node:util';

export class UsageError extends Error {}

export function parse(argv: string[], options: NonNullable<ParseArgsConfig['options']>): Record<string, string | boolean | undefined> {
  try {
    const { values, positionals } = parseArgs({ args: argv, options, strict: true, allowPositionals: true });
    if (positionals.length) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
    return values as Record<string, string | boolean | undefined>;
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError((e as Error).message.split('\n')[0]);
  }
}

export function num(values: Record<string, unknown>, flag: string, fallback: number, check?: (v: number) => boolean, what = 'a valid number'): number {
  const raw = values[flag];
  if (raw === undefined) return fallback;
  const v = Number(raw);
  if (typeof raw !== 'string' || raw.trim() === '' || !Number.isFinite(v) || (check && !check(v))) throw new UsageError(`--${flag} must be ${what}, got ${JSON.stringify(raw)}`);
  return v;
}

export const positiveInt = (v: number) => Number.isInteger(v) && v >= 1;
export const nonNegInt = (v: number) => Number.isInteger(v) && v >= 0;

export function choice<T extends string>(values: Record<string, unknown>, flag: string, allowed: readonly T[], fallback: T): T {
  const raw = values[flag];
  if (raw === undefined) return fallback;
  if (!allowed.includes(raw as T)) throw new UsageError(`--${flag} must be one of ${allowed.join(', ')}, got ${JSON.stringify(raw)}`);
  return raw as T;
}
