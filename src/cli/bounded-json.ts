// JSON from files we wrote but anyone may have edited (checkpoint headers, run JSON, sweep files):
// before JSON.parse builds anything, one pass over the bytes bounds the nesting depth and the
// number of objects and arrays, so that 40 MB of `{}` or 20 MB of `[` is refused in milliseconds
// instead of costing seconds and gigabytes.

export interface JsonBounds {
  maxDepth: number;
  /** Objects and arrays in the whole text. */
  maxContainers: number;
}

/** Why the JSON text in `bytes` exceeds the bounds (null: within them; it may still not be JSON). */
export function jsonBoundsExceeded(bytes: Uint8Array, b: JsonBounds): string | null {
  let depth = 0;
  let containers = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i];
    if (inString) {
      if (c === 0x5c)
        i++; // a backslash escapes the next byte
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > b.maxDepth) return `it nests deeper than ${b.maxDepth} levels`;
      if (++containers > b.maxContainers) return `it holds more than ${b.maxContainers} objects and arrays`;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return null;
}

/** JSON.parse of UTF-8 bytes within the bounds; throws `fail(reason)` otherwise. */
export function parseBoundedJson(bytes: Uint8Array, b: JsonBounds, fail: (why: string) => Error): unknown {
  const over = jsonBoundsExceeded(bytes, b);
  if (over) throw fail(over);
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (e) {
    throw fail(`it is not JSON (${String((e as Error).message).slice(0, 200)})`);
  }
}
