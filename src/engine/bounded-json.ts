// JSON from files we wrote but anyone may have edited (checkpoint headers, run JSON, sweep files):
// before JSON.parse builds anything, one pass over the bytes bounds the nesting depth and the
// number of objects and arrays, so that 40 MB of `{}` or 20 MB of `[` is refused in milliseconds
// instead of costing seconds and gigabytes.

interface JsonBounds {
  maxDepth: number;
  /** Objects and arrays in the whole text. */
  maxContainers: number;
}

/** Bounds for the run and sweep files we write: they nest a few levels, with an object per step. */
export const RUN_FILE_BOUNDS: JsonBounds = { maxDepth: 32, maxContainers: 2_000_000 };

/** Why the JSON text (UTF-8 bytes, or a string) exceeds the bounds (null: within them; it may still not be JSON). */
export function jsonBoundsExceeded(text: Uint8Array | string, b: JsonBounds): string | null {
  let depth = 0;
  let containers = 0;
  let inString = false;
  const bytes = typeof text === 'string' ? null : text;
  const n = bytes ? bytes.length : (text as string).length;
  for (let i = 0; i < n; i++) {
    // The structural characters are ASCII: code units of a string compare as bytes do.
    const c = bytes ? bytes[i] : (text as string).charCodeAt(i);
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

/**
 * Text from a file with its control characters (C0, DEL, C1) escaped as \uXXXX: a path in a file
 * may hold ESC or BEL, and a message quoting it must not drive a terminal.
 */
export function escapeControls(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * JSON.parse's complaint without the text it quotes (a file linked to /etc/passwd must not show its
 * first bytes), cut to one short line.
 */
export function jsonErrorText(e: unknown): string {
  const m = String(e instanceof Error ? e.message : e).split('\n')[0];
  // Everything from the first quote to the last is the file's text, whatever quotes it holds.
  return m
    .replace(/".*"(?:\.\.\.)?/, '…')
    .replace(/'[^']*'/g, '…')
    .slice(0, 200);
}

/** JSON.parse of text within the bounds; throws `fail(reason)` otherwise. */
export function parseBoundedJson(text: string, b: JsonBounds, fail: (why: string) => Error): unknown {
  const over = jsonBoundsExceeded(text, b);
  if (over) throw fail(over);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw fail(`not JSON (${jsonErrorText(e)})`);
  }
}
