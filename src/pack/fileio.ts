/**
 * Reading regular files without following symlinks, shared by the scan and the pack.
 * Uses the callback fs API: on 10k small files it is 2–3× faster than FileHandle promises.
 */
import fs, { constants, type Stats } from 'node:fs';

/** Files below this size are read whole with one read call; larger ones in chunks of this size. */
export const SMALL_FILE = 1024 * 1024;

// O_NOFOLLOW: a file swapped for a symlink is refused (ELOOP) instead of followed.
// O_NONBLOCK: a file swapped for a FIFO cannot hang the open; fstat then tells it apart.
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0);

function notRegular(): NodeJS.ErrnoException {
  const e = new Error('not a regular file') as NodeJS.ErrnoException;
  e.code = 'ENOTREG';
  return e;
}

export function closeFd(fd: number): Promise<void> {
  return new Promise((resolve) => fs.close(fd, () => resolve()));
}

function readAt(fd: number, buf: Buffer, off: number, len: number, pos: number): Promise<number> {
  return new Promise((resolve, reject) => fs.read(fd, buf, off, len, pos, (err, n) => (err ? reject(err) : resolve(n))));
}

export type SmallOrOpen = { stat: Stats; buf: Buffer; fd?: undefined } | { stat: Stats; fd: number; buf?: undefined };

/**
 * Opens and fstat()s a regular file (not through a symlink), synchronously. A file under
 * SMALL_FILE is read whole right away — up to `size + 1` bytes, so growth since the fstat shows —
 * and closed: `buf` is exactly what it held. A larger one comes back open (`fd`) for the caller
 * to stream (readChunks) and close.
 *
 * Synchronous on purpose: for a tree of small, cached files (a CI workspace) it is 3–4× faster
 * than going through libuv's thread pool, whose hand-offs cost more than the syscalls themselves.
 * Callers yield to the event loop between batches.
 *
 * With `scratch` (at least SMALL_FILE + 1 bytes), a small file is read into it and `buf` is a view of
 * it, valid only until the next call: the scan hashes 10k files without allocating 10k buffers (the
 * garbage, not the live data, is what set the process's peak memory).
 */
export function readSmallOrOpenSync(abs: string, scratch?: Buffer): SmallOrOpen {
  const fd = fs.openSync(abs, OPEN_FLAGS);
  let keepOpen = false;
  try {
    const stat = fs.fstatSync(fd);
    if (!stat.isFile()) throw notRegular();
    const expected = stat.size;
    if (expected >= SMALL_FILE) {
      keepOpen = true;
      return { stat, fd };
    }
    let buf = scratch && scratch.length > expected ? scratch : Buffer.allocUnsafe(expected + 1);
    let total = 0;
    for (;;) {
      if (total === buf.length) {
        const bigger = Buffer.allocUnsafe(buf.length * 2);
        buf.copy(bigger, 0, 0, total);
        buf = bigger;
      }
      const want = buf.length - total;
      const n = fs.readSync(fd, buf, total, want, total);
      total += n;
      // A short read of a regular file means end of file: saves the read that would return 0.
      if (n === 0 || (n < want && total === expected)) break;
    }
    return { stat, buf: buf.subarray(0, total) };
  } finally {
    if (!keepOpen) fs.closeSync(fd);
  }
}

/** Resolves on the next turn of the event loop (after pending I/O callbacks). */
export function yieldToLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Yields an open file from the start in chunks (fresh buffers, safe to keep). */
export async function* readChunks(fd: number, chunkSize = SMALL_FILE): AsyncGenerator<Buffer> {
  let pos = 0;
  for (;;) {
    const buf = Buffer.allocUnsafe(chunkSize);
    const n = await readAt(fd, buf, 0, chunkSize, pos);
    if (n === 0) return;
    pos += n;
    yield n === chunkSize ? buf : buf.subarray(0, n);
  }
}
