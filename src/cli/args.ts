// Command-line parsing helpers: every bad value becomes a one-line error naming the flag.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { readRegularFile } from './read-file.ts';
import { weightFileSizeRefusal } from '../weights/tensor.ts';
import { CONFIG_LIMITS } from '../engine/config.ts';

export class UsageError extends Error {}

export type Flags = Record<string, string | boolean | undefined>;

/** Flags and positional arguments; an unknown or malformed flag is a one-line UsageError. */
export function parseWithPositionals(
  argv: string[],
  options: NonNullable<ParseArgsConfig['options']>,
): { values: Flags; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({ args: attachNegativeValues(argv, options), options, strict: true, allowPositionals: true });
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

/** A token that reads as a negative number (`-1`, `-0.5`, `-1e-3`), not as a flag. */
const NEGATIVE = /^-(\d|\.\d)/;

/**
 * `--lr -1` as `--lr=-1`: parseArgs calls a value that starts with a dash "ambiguous", so the user
 * would never hear the flag's range; with the value attached, the range check answers instead.
 */
function attachNegativeValues(argv: readonly string[], options: NonNullable<ParseArgsConfig['options']>): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') return out.concat(argv.slice(i));
    const name = a.startsWith('--') ? a.slice(2) : null;
    const next = argv[i + 1];
    if (
      name !== null &&
      !name.includes('=') &&
      Object.hasOwn(options, name) &&
      options[name].type === 'string' &&
      next !== undefined &&
      NEGATIVE.test(next)
    ) {
      out.push(`${a}=${next}`);
      i++;
    } else out.push(a);
  }
  return out;
}

/** Plain decimal notation only: no hex, octal, binary, `Infinity`, separators or blanks (Number() takes them all). */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const INTEGER = /^[+-]?\d+$/;

/** The seeds a run accepts: the generator is seeded from 32 bits, so larger seeds would alias smaller ones. */
const SEED_MAX = 0xffffffff;

interface IntRange {
  min: number;
  max: number;
}

/** The ranges of the integer flags the commands share (the upper bounds keep a typo from asking for terabytes). */
const range = ([min, max]: readonly [number, number]) => ({ min, max });
export const RANGES = {
  width: range(CONFIG_LIMITS.width),
  size: range(CONFIG_LIMITS.size),
  batchSize: range(CONFIG_LIMITS.batchSize),
  epochs: range(CONFIG_LIMITS.epochs),
  steps: range(CONFIG_LIMITS.steps),
  seed: range(CONFIG_LIMITS.seed),
  demoCount: range(CONFIG_LIMITS.demoCount),
} as const satisfies Record<string, IntRange>;

const fmt = (x: number) => (x === SEED_MAX ? '4294967295 (2^32 - 1)' : String(x));

/** An integer flag in [min, max] (digits only), or the fallback when absent. */
export function int(values: Record<string, unknown>, flag: string, fallback: number, range: IntRange): number {
  const raw = values[flag];
  if (raw === undefined) return fallback;
  const what = range.max === Infinity ? `an integer ≥ ${range.min}` : `an integer in [${range.min}, ${fmt(range.max)}]`;
  const bad = () => new UsageError(`--${flag} must be ${what}, got ${quote(raw)}`);
  if (typeof raw !== 'string' || !INTEGER.test(raw)) throw bad();
  const v = Number(raw);
  if (!Number.isSafeInteger(v) || v < range.min || v > range.max) throw bad();
  return v === 0 ? 0 : v; // -0 is 0
}

/** A real-valued flag in plain decimal notation that passes `check` (described by `what`). */
export function num(
  values: Record<string, unknown>,
  flag: string,
  fallback: number,
  check?: (v: number) => boolean,
  what = 'a valid number',
): number {
  const raw = values[flag];
  if (raw === undefined) return fallback;
  const v = typeof raw === 'string' && DECIMAL.test(raw) ? Number(raw) : NaN;
  if (!Number.isFinite(v) || (check && !check(v))) throw new UsageError(`--${flag} must be ${what}, got ${quote(raw)}`);
  return v === 0 ? 0 : v;
}

/** A flag's value as typed, cut short: error messages quote at most ~100 characters of user input. */
function quote(raw: unknown): string {
  const s = String(raw);
  return JSON.stringify(s.length > 100 ? s.slice(0, 100) + '…' : s);
}

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
  return readRegularFile(file, {
    checkSize(size) {
      const why = weightFileSizeRefusal(size);
      if (why) throw new Error(why);
    },
    notRegular: (message) => new Error(message),
  });
}
