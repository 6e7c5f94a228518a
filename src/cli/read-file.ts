// Reading files named on the command line or found in a stranger's folder: regular files only,
// and only up to a size, so that /dev/zero or a FIFO (which would grow without end or block
// forever) is refused at once. One set of rules for weight files, checkpoints and dataset folders;
// each caller brings its own size rule and error class.
import { closeSync, constants, fstatSync, lstatSync, openSync, readSync, statSync, type Stats } from 'node:fs';
import { open, stat } from 'node:fs/promises';

interface RegularFileRules {
  /** Throws (the caller's own error) when a regular file of `size` bytes is refused. */
  checkSize(size: number): void;
  /** The caller's error for a path that is not a regular file. */
  notRegular(message: string): Error;
  /** Refuse a symbolic link (files of a folder we wrote are never links: one could lead out of it). */
  noLinks?: boolean;
}

/** What a path that is not a regular file is, for the error. */
export function fileKind(st: Stats): string {
  if (st.isDirectory()) return 'a folder';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  if (st.isSymbolicLink()) return 'a symbolic link';
  return 'not a plain file';
}

function check(st: Stats, rules: RegularFileRules): void {
  if (!st.isFile()) throw rules.notRegular(`not a regular file (${fileKind(st)})`);
  rules.checkSize(st.size);
}

// Both readers stat before opening (opening a FIFO for reading blocks until a writer comes), open
// with O_NONBLOCK (should the path be swapped for a FIFO in between), check the open file again,
// and read into a buffer of exactly its size, refusing a file that grew or shrank meanwhile.
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);
const changed = (got: number, size: number) => `the file changed size while it was read (${got} bytes, ${size} expected)`;

/** The bytes of a regular file as a Uint8Array over a buffer of exactly its size (readers keep views of it). */
export function readRegularFile(file: string, rules: RegularFileRules): Uint8Array {
  check(rules.noLinks ? lstatSync(file) : statSync(file), rules);
  const fd = openSync(file, OPEN_FLAGS | (rules.noLinks ? (constants.O_NOFOLLOW ?? 0) : 0));
  try {
    const st = fstatSync(fd);
    check(st, rules);
    const { size } = st;
    const buf = Buffer.allocUnsafeSlow(size + 1);
    let got = 0;
    for (let k = 1; k > 0 && got <= size; got += k) k = readSync(fd, buf, got, size + 1 - got, got);
    if (got !== size) throw rules.notRegular(changed(got, size));
    return new Uint8Array(buf.buffer, buf.byteOffset, got);
  } finally {
    closeSync(fd);
  }
}

/** readRegularFile without blocking the event loop (a dataset folder's thousands of images). */
export async function readRegularFileAsync(file: string, rules: RegularFileRules): Promise<Uint8Array> {
  check(await stat(file), rules);
  const fh = await open(file, OPEN_FLAGS);
  try {
    const st = await fh.stat();
    check(st, rules);
    const buf = new Uint8Array(st.size + 1);
    let got = 0;
    for (let k = 1; k > 0 && got <= st.size; got += k) k = (await fh.read(buf, got, buf.length - got, null)).bytesRead;
    if (got !== st.size) throw rules.notRegular(changed(got, st.size));
    return buf.subarray(0, got);
  } finally {
    await fh.close();
  }
}

/** A regular file in chunks of at most `chunkBytes` (each a fresh buffer), checked as readRegularFileAsync checks it; reads no further than its size at open. */
export async function* streamRegularFile(file: string, chunkBytes: number, rules: RegularFileRules): AsyncIterable<Uint8Array> {
  check(await stat(file), rules);
  const fh = await open(file, OPEN_FLAGS);
  try {
    const st = await fh.stat();
    check(st, rules);
    for (let at = 0; at < st.size; ) {
      const buf = new Uint8Array(Math.min(chunkBytes, st.size - at));
      const { bytesRead } = await fh.read(buf, 0, buf.length, at);
      if (bytesRead === 0) throw rules.notRegular(changed(at, st.size));
      at += bytesRead;
      yield buf.subarray(0, bytesRead);
    }
  } finally {
    await fh.close();
  }
}
