/**
 * Walks the source tree (never following symlinks), applies the excludes, hashes every regular
 * file and returns the manifest entries. Refuses what cannot be deployed safely.
 */
import { createHash } from 'node:crypto';
import type { Dirent } from 'node:fs';
import { lstatSync, readdirSync, readlinkSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { DeployError, InputError } from '../errors.js';
import { createExcludeFilter } from './excludes.js';
import { closeFd, readChunks, readSmallOrOpenSync, SMALL_FILE, yieldToLoop } from './fileio.js';
import { DIR_MODE, normalizeFileMode, sortEntries, SYMLINK_MODE, type ManifestEntry } from './manifest.js';

export interface ScanOptions {
  /** The user's `exclude` patterns (gitignore syntax, one per line or entry). */
  exclude: string[];
  /** Files hashed at once (default 16). */
  concurrency?: number;
}

export interface ScanResult {
  /** Sorted by path in byte order. */
  entries: ManifestEntry[];
  /** Regular files. */
  files: number;
  /** Bytes of the regular files. */
  bytes: number;
}

/** A path as it appears in messages: quoted, with control characters and backslashes escaped. */
export function quotePath(p: string): string {
  return JSON.stringify(p);
}

/** Why a name (or link target) cannot go into the manifest, or undefined. */
export function nameProblem(name: string): string | undefined {
  if (name.includes('\n')) return 'contains a newline';
  if (name.includes('\t')) return 'contains a tab';
  if (name.includes('\\')) return 'contains a backslash';
  if (/\p{Cc}/u.test(name)) return 'contains a control character';
  if (name.includes('\uFFFD')) return 'is not valid UTF-8';
  return undefined;
}

/** A file the scan refuses: the one line names the phase the user sees running, "scan". */
function packError(message: string, cause?: unknown): DeployError {
  return new DeployError(message, { phase: 'scan', cause });
}

function ioError(what: string, rel: string, err: unknown): DeployError {
  const e = err as NodeJS.ErrnoException;
  const code = e?.code;
  const why =
    code === 'EACCES' || code === 'EPERM' ? 'permission denied' :
    code === 'ENOENT' ? 'it disappeared while scanning' :
    code === 'ELOOP' || code === 'ENOTREG' ? 'it changed type while scanning' :
    (e?.message ?? String(err));
  return packError(`cannot ${what} ${quotePath(rel)}: ${why}${code ? ` (${code})` : ''}`, err);
}

type Kind = 'd' | 'f' | 'l' | 'socket' | 'FIFO' | 'block device' | 'character device' | 'unknown';

function kindOf(d: { isDirectory(): boolean; isFile(): boolean; isSymbolicLink(): boolean; isSocket(): boolean; isFIFO(): boolean; isBlockDevice(): boolean; isCharacterDevice(): boolean }): Kind {
  if (d.isFile()) return 'f';
  if (d.isDirectory()) return 'd';
  if (d.isSymbolicLink()) return 'l';
  if (d.isSocket()) return 'socket';
  if (d.isFIFO()) return 'FIFO';
  if (d.isBlockDevice()) return 'block device';
  if (d.isCharacterDevice()) return 'character device';
  return 'unknown';
}

/** sha256 of an open (large) file, streamed; closes it. */
async function hashOpenFile(fd: number): Promise<{ sha256: string; size: number }> {
  try {
    const hash = createHash('sha256');
    let size = 0;
    for await (const chunk of readChunks(fd)) {
      hash.update(chunk);
      size += chunk.length;
    }
    return { sha256: hash.digest('hex'), size };
  } finally {
    await closeFd(fd);
  }
}

async function checkSource(sourceDir: string): Promise<void> {
  const bad = (why: string) => new InputError('source', `${sourceDir} must be a readable directory (${why})`);
  let st;
  try {
    st = await stat(sourceDir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw bad(code === 'ENOENT' ? 'it does not exist' : `${code ?? String(err)}`);
  }
  if (!st.isDirectory()) throw bad('it is not a directory');
}

/** Time the walk may hold the event loop before yielding. */
const SLICE_MS = 8;

/**
 * Walks and hashes `sourceDir`. Directories and small files are read synchronously in slices of
 * a few ms (much faster than the thread pool for a cached tree of small files); files of 1 MiB
 * and more are streamed asynchronously, `concurrency` at a time.
 */
// long: one walk: short closures (addFile, hashLarge, readDir) and the loop share its state (the
// entries, the counters, the running hashes, the time slice); they are the walk, so they stay together.
export async function scanTree(sourceDir: string, opts: ScanOptions): Promise<ScanResult> {
  await checkSource(sourceDir);
  const isExcluded = await createExcludeFilter(sourceDir, opts.exclude ?? []);
  const concurrency = Math.max(1, opts.concurrency ?? 16);

  const entries: ManifestEntry[] = [];
  let files = 0;
  let bytes = 0;
  const addFile = (rel: string, mode: number, r: { sha256: string; size: number }): void => {
    entries.push({ type: 'f', mode: normalizeFileMode(mode), size: r.size, sha256: r.sha256, path: rel });
    files++;
    bytes += r.size;
  };

  // Large files: hashed asynchronously while the walk goes on.
  const running = new Set<Promise<void>>();
  let bigError: unknown;
  const hashLarge = async (rel: string, fd: number, mode: number): Promise<void> => {
    while (running.size >= concurrency) await Promise.race(running);
    const p = hashOpenFile(fd).then(
      (r) => addFile(rel, mode, r),
      (err: unknown) => {
        bigError ??= ioError('read', rel, err);
      },
    );
    running.add(p);
    void p.finally(() => running.delete(p));
  };

  const readDir = (rel: string): Dirent[] => {
    try {
      return readdirSync(rel === '' ? sourceDir : join(sourceDir, rel), { withFileTypes: true });
    } catch (err) {
      if (rel === '') {
        const code = (err as NodeJS.ErrnoException).code;
        throw new InputError('source', `${sourceDir} must be a readable directory (${code ?? String(err)})`);
      }
      throw ioError('read directory', rel, err);
    }
  };

  const stack: string[] = [''];
  // Small files are read into this one buffer and hashed at once (nothing of them is kept).
  const scratch = Buffer.allocUnsafe(SMALL_FILE + 1);
  let sliceStart = performance.now();
  try {
    while (stack.length > 0) {
      const rel = stack.pop()!;
      for (const d of readDir(rel)) {
        const name = d.name;
        const childRel = rel === '' ? name : `${rel}/${name}`;
        const abs = join(sourceDir, childRel);
        let kind = kindOf(d);
        if (kind === 'unknown') {
          // Some file systems do not report the type in readdir.
          try {
            kind = kindOf(lstatSync(abs));
          } catch (err) {
            throw ioError('stat', childRel, err);
          }
        }
        if (isExcluded(childRel, kind === 'd')) continue;
        const why = nameProblem(name);
        if (why) {
          throw packError(`cannot deploy ${quotePath(childRel)}: its name ${why}; rename it or exclude it`);
        }
        switch (kind) {
          case 'd':
            entries.push({ type: 'd', mode: DIR_MODE, size: 0, path: childRel });
            stack.push(childRel);
            break;
          case 'f': {
            let r;
            try {
              r = readSmallOrOpenSync(abs, scratch);
            } catch (err) {
              throw ioError('read', childRel, err);
            }
            if (r.buf) addFile(childRel, r.stat.mode, { sha256: createHash('sha256').update(r.buf).digest('hex'), size: r.buf.length });
            else await hashLarge(childRel, r.fd, r.stat.mode);
            break;
          }
          case 'l': {
            let target: string;
            try {
              target = readlinkSync(abs);
            } catch (err) {
              throw ioError('read symlink', childRel, err);
            }
            const bad = target === '' ? 'is empty' : nameProblem(target);
            if (bad) {
              throw packError(`cannot deploy symlink ${quotePath(childRel)}: its target ${quotePath(target)} ${bad}; fix it or exclude it`);
            }
            entries.push({ type: 'l', mode: SYMLINK_MODE, size: 0, path: childRel, linkTarget: target });
            break;
          }
          default:
            throw packError(
              `cannot deploy ${quotePath(childRel)}: it is a ${kind}; only files, directories and symlinks can be deployed — exclude it`,
            );
        }
        if (bigError) throw bigError;
        if (performance.now() - sliceStart > SLICE_MS) {
          await yieldToLoop();
          sliceStart = performance.now();
        }
      }
    }
  } finally {
    // Let large-file reads finish (and close their fds) even when the walk failed.
    await Promise.all(running);
  }
  if (bigError) throw bigError;

  return { entries: sortEntries(entries), files, bytes };
}
