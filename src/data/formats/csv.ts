// CSV rows from a stream of bytes, in bounded memory: a line longer than `maxLineBytes` or with
// more than `maxFields` fields is refused (one line naming the file and line) as soon as it is
// seen, without reading the rest of the file; so is a file of more than `maxRows` rows. Quoted
// fields ("a,b", "say ""hi""") are understood within a line; a line break inside quotes is not.

export class CsvError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CsvError';
  }
}

export interface CsvLimits {
  maxLineBytes: number;
  maxFields: number;
  maxRows: number;
}

export interface CsvRow {
  /** 1-based line number. */
  line: number;
  fields: string[];
}

/** The fields of one line (no line break in it). */
export function splitCsvLine(text: string, maxFields: number, where: string): string[] {
  const out: string[] = [];
  let i = 0;
  for (;;) {
    if (out.length >= maxFields) throw new CsvError(`${where}: more than ${maxFields} fields`);
    if (text[i] === '"') {
      let v = '';
      i++;
      for (;;) {
        const q = text.indexOf('"', i);
        if (q < 0) throw new CsvError(`${where}: a quoted field does not end`);
        v += text.slice(i, q);
        if (text[q + 1] === '"') {
          v += '"';
          i = q + 2;
          continue;
        }
        i = q + 1;
        break;
      }
      out.push(v);
    } else {
      const c = text.indexOf(',', i);
      out.push(c < 0 ? text.slice(i) : text.slice(i, c));
      if (c < 0) return out;
      i = c + 1;
      continue;
    }
    if (i >= text.length) return out;
    if (text[i] !== ',') throw new CsvError(`${where}: text after a quoted field`);
    i++;
  }
}

/** The rows of a CSV given as chunks of bytes (UTF-8); blank lines are skipped. */
export async function* csvRows(chunks: AsyncIterable<Uint8Array>, limits: CsvLimits, file: string): AsyncIterable<CsvRow> {
  const decoder = new TextDecoder('utf-8');
  let pending = new Uint8Array(0);
  let line = 0;
  let rows = 0;
  const emit = (bytes: Uint8Array): CsvRow | null => {
    line++;
    let text = decoder.decode(bytes);
    if (text.endsWith('\r')) text = text.slice(0, -1);
    if (line === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    if (text.trim() === '') return null;
    if (++rows > limits.maxRows) throw new CsvError(`${file}: more than ${limits.maxRows} rows`);
    return { line, fields: splitCsvLine(text, limits.maxFields, `${file}:${line}`) };
  };
  const tooLong = () => new CsvError(`${file}:${line + 1}: a line longer than ${limits.maxLineBytes} bytes`);
  for await (const chunk of chunks) {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(10, start);
      if (nl < 0) break;
      const piece = chunk.subarray(start, nl);
      if (pending.length + piece.length > limits.maxLineBytes) throw tooLong();
      let bytes = piece;
      if (pending.length) {
        bytes = new Uint8Array(pending.length + piece.length);
        bytes.set(pending);
        bytes.set(piece, pending.length);
        pending = new Uint8Array(0);
      }
      const row = emit(bytes);
      if (row) yield row;
      start = nl + 1;
    }
    const rest = chunk.subarray(start);
    if (pending.length + rest.length > limits.maxLineBytes) throw tooLong();
    if (rest.length) {
      const joined = new Uint8Array(pending.length + rest.length);
      joined.set(pending);
      joined.set(rest, pending.length);
      pending = joined;
    }
  }
  if (pending.length) {
    const row = emit(pending);
    if (row) yield row;
  }
}
