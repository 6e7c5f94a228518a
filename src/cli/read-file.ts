// Reading a file named on the command line: regular files only, and only up to a size, so that
// /dev/zero or a FIFO (which would grow without end or block forever) is refused at once.
import { closeSync, constants, fstatSync, openSync, readSync, statSync, type Stats } from 'node:fs';

/** What a path that is not a regular file is, for the error. */
function kindOf(st: Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  return 'not a plain file';
}

/**
 * The bytes of a regular file as a Uint8Array over a buffer of exactly its size (its readers keep
 * views of it). `refuseSize` says why a size is too large (null: fine). Errors are one line.
 */
export function readRegularFile(file: string, refuseSize: (size: number) => string | null): Uint8Array {
  // stat before open: opening a FIFO for reading blocks until a writer comes.
  const check = (st: Stats) => {
    if (!st.isFile()) throw new Error(`not a regular file (${kindOf(st)})`);
    const why = refuseSize(st.size);
    if (why) throw new Error(why);
  };
  check(statSync(file));
  // O_NONBLOCK: should the path be swapped for a FIFO between stat and open, open does not block.
  const fd = openSync(file, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  try {
    const st = fstatSync(fd);
    check(st);
    const buf = Buffer.allocUnsafeSlow(st.size);
    let got = 0;
    while (got < st.size) {
      const k = readSync(fd, buf, got, st.size - got, got);
      if (k === 0) break;
      got += k;
    }
    if (got !== st.size) throw new Error(`the file shrank while it was read (${got} of ${st.size} bytes)`);
    return new Uint8Array(buf.buffer, buf.byteOffset, got);
  } finally {
    closeSync(fd);
  }
}
