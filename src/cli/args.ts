// Command-line parsing helpers: every bad value becomes a one-line error naming the flag.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { readRegularFile } from './read-file.ts';
import { weightFileSizeRefusal } from '../weights/tensor.ts';

export class UsageError extends Error {}

export type Flags = Record<string, string | boolean | undefined>;

/** Flags and positional arguments; an unknown or malformed flag is a one-line UsageError. */
export function parseWithPositionals(
  argv: string[],
  options: NonNullable<ParseArgsConfig['options']>,
): { values: Flags; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({ args: argv, options, strict: true, allowPositionals: true });
    return { values: values as Flags, positionals };
  } catch (e) {
    throw new UsageError((e as Error).message.split('\n')[0]);
  }
}

/** Flags only: any positional argument is a UsageError. */
export function parse(argv: string[], options: NonNullable<ParseArgsConfig['options']>): Flags {
  const { values, positionals } = parseWithPositionals(argv, options);
  if (positionals.length) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
  return values;
}

export function num(
  values: Record<string, unknown>,
  flag: string,
  fallback: number,
  check?: (v: number) => boolean,
  what = 'a valid number',
): number {
  const raw = values[flag];
  if (raw === undefined) return fallback;
  const v = Number(raw);
  if (typeof raw !== 'string' || raw.trim() === '' || !Number.isFinite(v) || (check && !check(v)))
    throw new UsageError(`--${flag} must be ${what}, got ${JSON.stringify(raw)}`);
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

/**
 * A weight file's bytes, in a buffer of their own (the weights readers keep views of them): a
 * regular file no larger than a weight file may be; anything else is a one-line error.
 */
export function readFileBytes(file: string): Uint8Array {
  return readRegularFile(file, weightFileSizeRefusal);
}
