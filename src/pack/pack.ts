/**
 * The release archive: a gzip'd tar produced on the fly from the entries to send, ending with the
 * manifest as `.php-deploy-manifest`. Memory stays at a few MiB whatever the tree size: about
 * 1 MiB of entries is queued ahead of the consumer and files of 1 MiB or more are streamed.
 */
import { createHash } from 'node:crypto';
import { lstatSync, readlinkSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { addAbortSignal, Transform, type Readable, type TransformCallback } from 'node:stream';
import { createGzip, gzip } from 'node:zlib';
import tar, { type Header } from 'tar-stream';
import { asDeployError, DeployError } from '../errors.js';
import { closeFd, readChunks, readSmallOrOpenSync, yieldToLoop } from './fileio.js';
import { MANIFEST_NAME, sortEntries, SYMLINK_MODE, type ManifestEntry } from './manifest.js';
import { quotePath } from './scan.js';

type EntryHeader = Partial<Header> & { name: string };

/** An entry to pack; `archivePath` puts it elsewhere in the archive than its path in the source. */
export type PackEntry = ManifestEntry & { archivePath?: string };

export interface PackProgress {
  /** Files and symlinks written so far. */
  files: number;
  /** File content bytes written so far. */
  bytes: number;
}

export interface PackOptions {
  /** gzip level 1–9 (default 1: see DEFAULT_LEVEL). */
  level?: number;
  /** Called at most every 100 ms while packing, and once at the end with the totals. */
  onProgress?: (p: PackProgress) => void;
  /** Abort → the stream is destroyed with an AbortError. */
  signal?: AbortSignal;
  /**
   * Compress independent ~1 MiB gzip members on this many libuv threads at once and concatenate
   * them in order (one valid gzip stream; `tar -xzf -` and zlib read it). `true` = one per core,
   * 2–4 (libuv has 4 threads). Default off.
   */
  parallel?: boolean | number;
  /** Check each file's sha256 against the manifest while packing (default true). */
  verify?: boolean;
}

/** Level 1: on a 2-core runner gzip is the bottleneck; see the measurements in the report. */
export const DEFAULT_LEVEL = 1;
/** Chunks going into zlib are coalesced to this size. */
export const COALESCE_BYTES = 1024 * 1024;
/** Time the producer may hold the event loop (synchronous reads of small files) before yielding. */
const SLICE_MS = 8;
const PROGRESS_MS = 100;

function packError(message: string, cause?: unknown): DeployError {
  return new DeployError(message, { phase: 'pack', cause });
}

function changed(path: string, why: string): DeployError {
  return packError(`${quotePath(path)} changed while packing (${why}); do not modify the source during a deploy`);
}

function readError(path: string, err: unknown): DeployError {
  const code = (err as NodeJS.ErrnoException)?.code;
  if (code === 'ENOENT') return changed(path, 'it was deleted');
  if (code === 'ELOOP' || code === 'ENOTREG') return changed(path, 'it is no longer a regular file');
  const why = code === 'EACCES' || code === 'EPERM' ? 'permission denied' : ((err as Error)?.message ?? String(err));
  return packError(`cannot read ${quotePath(path)} while packing: ${why}${code ? ` (${code})` : ''}`, err);
}

/** Gathers small chunks into writes of about `size` bytes. */
export class Coalescer extends Transform {
  private parts: Buffer[] = [];
  private len = 0;

  constructor(private readonly size = COALESCE_BYTES) {
    super({ readableHighWaterMark: 2 * size, writableHighWaterMark: size });
  }

  private flushParts(): void {
    if (this.len === 0) return;
    const buf = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.len);
    this.parts = [];
    this.len = 0;
    this.push(buf);
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    if (this.len + chunk.length > this.size) this.flushParts();
    if (chunk.length >= this.size) this.push(chunk);
    else {
      this.parts.push(chunk);
      this.len += chunk.length;
    }
    cb();
  }

  override _flush(cb: TransformCallback): void {
    this.flushParts();
    cb();
  }
}

/**
 * gzip with several members compressed at once on libuv's thread pool, written in input order.
 * Input is coalesced into blocks of `blockSize`; each block becomes one gzip member.
 */
export class ParallelGzip extends Transform {
  private parts: Buffer[] = [];
  private len = 0;
  private readonly jobs: { done: boolean; out?: Buffer; err?: Error }[] = [];
  private waiting: (() => void) | undefined;

  constructor(
    private readonly level: number,
    private readonly maxJobs = 2,
    private readonly blockSize = COALESCE_BYTES,
  ) {
    super({ readableHighWaterMark: 2 * blockSize, writableHighWaterMark: blockSize });
  }

  private dispatch(): void {
    if (this.len === 0) return;
    const block = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.len);
    this.parts = [];
    this.len = 0;
    const job: { done: boolean; out?: Buffer; err?: Error } = { done: false };
    this.jobs.push(job);
    gzip(block, { level: this.level, chunkSize: 256 * 1024 }, (err, out) => {
      job.done = true;
      if (err) job.err = err;
      else job.out = out;
      this.drainDone();
    });
  }

  private drainDone(): void {
    while (this.jobs.length > 0 && this.jobs[0]!.done) {
      const job = this.jobs.shift()!;
      if (job.err) {
        this.destroy(job.err);
        return;
      }
      this.push(job.out);
    }
    const w = this.waiting;
    if (w && this.jobs.length < this.maxJobs) {
      this.waiting = undefined;
      w();
    }
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.parts.push(chunk);
    this.len += chunk.length;
    if (this.len >= this.blockSize) this.dispatch();
    if (this.jobs.length < this.maxJobs) cb();
    else this.waiting = () => cb();
  }

  override _flush(cb: TransformCallback): void {
    this.dispatch();
    const check = (): void => {
      if (this.jobs.length === 0) cb();
      else this.waiting = check;
    };
    check();
  }
}

/**
 * Builds the gzip'd tar of `toSend` (written in manifest order) followed by `.php-deploy-manifest`
 * holding `manifestText`. Errors (a file that changed since the scan, an unreadable file, abort)
 * destroy the returned stream. Memory stays bounded: at most ~1 MiB of entries is queued ahead
 * of the consumer, and large files are streamed.
 */
// long: short closures (fail, report, addEntry, pace, packLargeFile, produce) over one stream's state
// (the tar packer, the output, the queue, the progress); they are the stream, so they stay together.
export function createPackStream(
  sourceDir: string,
  toSend: readonly PackEntry[],
  manifestText: string,
  opts: PackOptions = {},
): Readable {
  const level = opts.level ?? DEFAULT_LEVEL;
  if (!Number.isInteger(level) || level < 0 || level > 9) {
    throw new RangeError(`gzip level must be an integer 0-9, got ${level}`);
  }
  const verify = opts.verify ?? true;
  const parallel =
    opts.parallel === true ? Math.max(2, Math.min(4, availableParallelism())) : typeof opts.parallel === 'number' && opts.parallel > 1 ? opts.parallel : 0;

  const pack = tar.pack({ highWaterMark: COALESCE_BYTES });
  let out: Transform;
  let stopped = false;
  const fail = (err: unknown): void => {
    if (stopped) return;
    stopped = true;
    const e = err instanceof Error && err.name === 'AbortError' ? err : asDeployError(err, undefined, 'pack');
    out.destroy(e);
    pack.destroy();
  };
  if (parallel) {
    out = new ParallelGzip(level, parallel);
    pack.pipe(out);
  } else {
    out = createGzip({ level, chunkSize: 64 * 1024 });
    const coalescer = new Coalescer();
    pack.pipe(coalescer).pipe(out);
    coalescer.on('error', (err) => fail(err));
    out.on('close', () => coalescer.destroy());
  }
  pack.on('error', (err: Error) => fail(err));
  out.on('close', () => {
    stopped = true;
    pack.destroy();
  });
  if (opts.signal) addAbortSignal(opts.signal, out);

  // Progress, throttled.
  const progress: PackProgress = { files: 0, bytes: 0 };
  let lastReport = 0;
  const report = (final = false): void => {
    if (!opts.onProgress) return;
    const now = Date.now();
    if (!final && now - lastReport < PROGRESS_MS) return;
    lastReport = now;
    opts.onProgress({ ...progress });
  };

  // Entries are queued without waiting for each one; `lastDone` settles when the latest queued
  // entry is written (tar-stream writes them in order), which bounds what is queued.
  let lastDone: Promise<void> = Promise.resolve();
  let queued = 0;
  let sliceStart = performance.now();
  const addEntry = (header: EntryHeader, buf?: Buffer): void => {
    lastDone = new Promise<void>((resolve) => {
      const cb = (err?: Error | null): void => {
        if (err) fail(err);
        resolve();
      };
      try {
        // An entry destroyed with the pack (abort, lost connection) reports through cb; without a
        // listener its 'error' event would crash the process.
        (buf ? pack.entry(header, buf, cb) : pack.entry(header, cb)).on('error', () => {});
      } catch (err) {
        cb(err as Error);
      }
    });
    queued += 512 + (buf?.length ?? 0);
  };
  /** Waits for the consumer when enough is queued, and yields the event loop every few ms. */
  const pace = async (): Promise<void> => {
    if (queued >= COALESCE_BYTES) {
      queued = 0;
      await lastDone;
      sliceStart = performance.now();
    } else if (performance.now() - sliceStart > SLICE_MS) {
      await yieldToLoop();
      sliceStart = performance.now();
    }
  };

  const baseHeader = { uid: 0, gid: 0, uname: '', gname: '' };

  const checkContent = (e: ManifestEntry, size: number, sha: string | undefined): void => {
    if (size !== e.size) throw changed(e.path, `size ${e.size} → ${size} bytes`);
    if (sha !== undefined && e.sha256 !== undefined && sha !== e.sha256) throw changed(e.path, 'content differs from the scan');
  };

  const packLargeFile = async (e: PackEntry, fd: number, mtime: Date): Promise<void> => {
    try {
      await lastDone;
      queued = 0;
      if (stopped) return;
      const hash = verify ? createHash('sha256') : undefined;
      let sink!: ReturnType<typeof pack.entry>;
      const finished = new Promise<void>((resolve, reject) => {
        sink = pack.entry({ ...baseHeader, name: e.archivePath ?? e.path, type: 'file', mode: e.mode, size: e.size, mtime }, (err) =>
          err ? reject(err) : resolve(),
        );
      });
      sink.on('error', () => {}); // reported through the entry callback (see addEntry)
      finished.catch(() => {});
      let written = 0;
      try {
        for await (const chunk of readChunks(fd)) {
          if (stopped) return;
          if (written + chunk.length > e.size) throw changed(e.path, `it grew past ${e.size} bytes`);
          hash?.update(chunk);
          written += chunk.length;
          progress.bytes += chunk.length;
          if (!sink.write(chunk)) {
            await new Promise<void>((resolve) => {
              const go = (): void => {
                sink.off('drain', go);
                sink.off('close', go);
                resolve();
              };
              sink.on('drain', go);
              sink.on('close', go);
            });
          }
          report();
        }
      } catch (err) {
        throw err instanceof DeployError ? err : readError(e.path, err);
      }
      if (stopped) return;
      checkContent(e, written, hash?.digest('hex'));
      sink.end(undefined);
      await finished;
      sliceStart = performance.now();
    } finally {
      await closeFd(fd);
    }
  };

  const produce = async (): Promise<void> => {
    const now = new Date();
    for (const e of sortEntries(toSend)) {
      if (stopped) return;
      const abs = join(sourceDir, e.path);
      if (e.type === 'd') {
        addEntry({ ...baseHeader, name: e.archivePath ?? e.path, type: 'directory', mode: e.mode, mtime: now });
      } else if (e.type === 'l') {
        let target: string;
        let mtime: Date;
        try {
          const st = lstatSync(abs);
          if (!st.isSymbolicLink()) throw changed(e.path, 'it is no longer a symlink');
          mtime = st.mtime;
          target = readlinkSync(abs);
        } catch (err) {
          throw err instanceof DeployError ? err : readError(e.path, err);
        }
        if (target !== e.linkTarget) throw changed(e.path, 'its link target differs from the scan');
        addEntry({ ...baseHeader, name: e.archivePath ?? e.path, type: 'symlink', linkname: target, mode: SYMLINK_MODE, mtime });
        progress.files++;
      } else {
        let r;
        try {
          r = readSmallOrOpenSync(abs);
        } catch (err) {
          throw readError(e.path, err);
        }
        if (r.fd !== undefined) {
          if (r.stat.size !== e.size) {
            await closeFd(r.fd);
            throw changed(e.path, `size ${e.size} → ${r.stat.size} bytes`);
          }
          await packLargeFile(e, r.fd, r.stat.mtime);
        } else {
          const sha = verify ? createHash('sha256').update(r.buf).digest('hex') : undefined;
          checkContent(e, r.buf.length, sha);
          addEntry({ ...baseHeader, name: e.archivePath ?? e.path, type: 'file', mode: e.mode, size: e.size, mtime: r.stat.mtime }, r.buf);
          progress.bytes += e.size;
        }
        progress.files++;
      }
      report();
      await pace();
    }
    if (stopped) return;
    const manifest = Buffer.from(manifestText, 'utf8');
    addEntry({ ...baseHeader, name: MANIFEST_NAME, type: 'file', mode: 0o644, size: manifest.length, mtime: new Date() }, manifest);
    pack.finalize();
    await lastDone;
    if (!stopped) report(true);
  };

  if (opts.signal?.aborted) stopped = true;
  else produce().catch(fail);

  return out;
}
