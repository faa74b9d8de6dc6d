/**
 * Reads the one file inside an artifact's zip (the service wraps every upload in a zip), so the
 * download can be checked against its digest BEFORE anything is unpacked, and the archive inside is
 * then streamed straight into the safe unpacker. Reads the central directory (zip64 included);
 * stored and deflated entries; nothing is written to disk.
 */
import { open } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { createInflateRaw } from 'node:zlib';
import { DeployError } from '../errors.js';

const EOCD_SIG = 0x06054b50;
const ZIP64_LOCATOR_SIG = 0x07064b50;
const ZIP64_EOCD_SIG = 0x06064b50;
const CENTRAL_SIG = 0x02014b50;
const LOCAL_SIG = 0x04034b50;
const MAX_COMMENT = 0xffff;

export interface ZipEntry {
  name: string;
  /** 0 stored, 8 deflated. */
  method: number;
  compressedSize: number;
  size: number;
  /** Where the entry's data starts in the file. */
  dataOffset: number;
}

function zipError(message: string): DeployError {
  return new DeployError(`the artifact's zip is damaged: ${message}`, { phase: 'artifact' });
}

async function readAt(fd: Awaited<ReturnType<typeof open>>, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.alloc(length);
  const { bytesRead } = await fd.read(buf, 0, length, position);
  if (bytesRead !== length) throw zipError('it ends early');
  return buf;
}

function u64(buf: Buffer, at: number): number {
  const v = buf.readBigUInt64LE(at);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw zipError('a size is out of range');
  return Number(v);
}

/** The central directory's offset, size and entry count, from the (zip64) end record. */
async function centralDirectory(fd: Awaited<ReturnType<typeof open>>, fileSize: number): Promise<{ offset: number; size: number; count: number }> {
  const tailLen = Math.min(fileSize, 22 + MAX_COMMENT);
  const tail = await readAt(fd, fileSize - tailLen, tailLen);
  let at = -1;
  for (let i = tail.length - 22; i >= 0; i--) {
    if (tail.readUInt32LE(i) === EOCD_SIG) {
      at = i;
      break;
    }
  }
  if (at < 0) throw zipError('it has no end of central directory (not a zip)');
  let count = tail.readUInt16LE(at + 10);
  let size = tail.readUInt32LE(at + 12);
  let offset = tail.readUInt32LE(at + 16);
  if (count === 0xffff || size === 0xffffffff || offset === 0xffffffff) {
    const eocdPos = fileSize - tailLen + at;
    if (eocdPos < 20) throw zipError('its zip64 locator is missing');
    const loc = await readAt(fd, eocdPos - 20, 20);
    if (loc.readUInt32LE(0) !== ZIP64_LOCATOR_SIG) throw zipError('its zip64 locator is missing');
    const rec = await readAt(fd, u64(loc, 8), 56);
    if (rec.readUInt32LE(0) !== ZIP64_EOCD_SIG) throw zipError('its zip64 end record is missing');
    count = u64(rec, 32);
    size = u64(rec, 40);
    offset = u64(rec, 48);
  }
  if (offset + size > fileSize) throw zipError('its central directory lies beyond the end of the file');
  return { offset, size, count };
}

/** The file entries of the zip at `path` (directory entries left out). */
export async function listZip(path: string): Promise<ZipEntry[]> {
  const fd = await open(path, 'r');
  try {
    const fileSize = (await fd.stat()).size;
    const cd = await centralDirectory(fd, fileSize);
    if (cd.size > 64 * 1024 * 1024) throw zipError('its central directory is implausibly large');
    const dir = await readAt(fd, cd.offset, cd.size);
    const out: ZipEntry[] = [];
    let p = 0;
    for (let i = 0; i < cd.count; i++) {
      if (p + 46 > dir.length || dir.readUInt32LE(p) !== CENTRAL_SIG) throw zipError('its central directory is cut short');
      const flags = dir.readUInt16LE(p + 8);
      const method = dir.readUInt16LE(p + 10);
      let compressedSize = dir.readUInt32LE(p + 20);
      let size = dir.readUInt32LE(p + 24);
      const nameLen = dir.readUInt16LE(p + 28);
      const extraLen = dir.readUInt16LE(p + 30);
      const commentLen = dir.readUInt16LE(p + 32);
      let localOffset = dir.readUInt32LE(p + 42);
      const name = dir.toString('utf8', p + 46, p + 46 + nameLen);
      // zip64: the fields that overflowed are in the 0x0001 extra field, in this order.
      const extra = dir.subarray(p + 46 + nameLen, p + 46 + nameLen + extraLen);
      for (let e = 0; e + 4 <= extra.length; ) {
        const id = extra.readUInt16LE(e);
        const len = extra.readUInt16LE(e + 2);
        if (id === 0x0001) {
          let q = e + 4;
          if (size === 0xffffffff) (size = u64(extra, q)), (q += 8);
          if (compressedSize === 0xffffffff) (compressedSize = u64(extra, q)), (q += 8);
          if (localOffset === 0xffffffff) localOffset = u64(extra, q);
        }
        e += 4 + len;
      }
      p += 46 + nameLen + extraLen + commentLen;
      if (name.endsWith('/')) continue;
      if (flags & 0x1) throw zipError(`${JSON.stringify(name)} is encrypted`);
      if (method !== 0 && method !== 8) throw zipError(`${JSON.stringify(name)} uses compression method ${method}`);
      const local = await readAt(fd, localOffset, 30);
      if (local.readUInt32LE(0) !== LOCAL_SIG) throw zipError(`the local header of ${JSON.stringify(name)} is missing`);
      const dataOffset = localOffset + 30 + local.readUInt16LE(26) + local.readUInt16LE(28);
      if (dataOffset + compressedSize > fileSize) throw zipError(`${JSON.stringify(name)} lies beyond the end of the file`);
      out.push({ name, method, compressedSize, size, dataOffset });
    }
    return out;
  } finally {
    await fd.close();
  }
}

/** Passes bytes through; fails unless exactly `expected` went by. */
class ExactLength extends Transform {
  private seen = 0;
  constructor(
    private readonly expected: number,
    private readonly name: string,
  ) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.seen += chunk.length;
    if (this.seen > this.expected) return cb(zipError(`${JSON.stringify(this.name)} holds more than its ${this.expected} bytes`));
    cb(null, chunk);
  }
  override _flush(cb: TransformCallback): void {
    cb(this.seen === this.expected ? null : zipError(`${JSON.stringify(this.name)} holds ${this.seen} bytes, not ${this.expected}`));
  }
}

/** A stream of the uncompressed content of `entry` in the zip at `path`. */
export function openZipEntry(path: string, entry: ZipEntry): Readable {
  const check = new ExactLength(entry.size, entry.name);
  if (entry.compressedSize === 0) {
    check.end();
    return check;
  }
  const raw = createReadStream(path, { start: entry.dataOffset, end: entry.dataOffset + entry.compressedSize - 1, highWaterMark: 1024 * 1024 });
  const forward = (err: Error): void => {
    check.destroy(err);
  };
  if (entry.method === 0) {
    raw.on('error', forward).pipe(check);
  } else {
    const inflate = createInflateRaw();
    raw.on('error', forward).pipe(inflate.on('error', (err) => forward(zipError(`${JSON.stringify(entry.name)} does not inflate: ${err.message}`)))).pipe(check);
  }
  check.on('close', () => raw.destroy());
  return check;
}
