/**
 * The release archive kept as a GitHub artifact: the gzip'd tar of the FULL release (every entry
 * of the manifest, not just a delta), ending with `.php-deploy-manifest`, exactly as
 * `createPackStream` produces it. Written to a temp file so it can be uploaded; unpacked with the
 * project's own safe unpacker (./unpack.ts, no runner `tar`) when a rollback needs a release no
 * server still has.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { lstat, mkdir, mkdtemp, readdir, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DeployError } from '../errors.js';
import { MANIFEST_NAME, parseManifest, type ManifestEntry } from '../pack/manifest.js';
import { createPackStream, type PackOptions } from '../pack/pack.js';
import { unpackRelease } from './unpack.js';

export interface ReleaseArchive {
  /** The `.tar.gz` file. */
  path: string;
  /** The temp directory holding only that file; remove it with `removeTempDir` when done. */
  dir: string;
  /** Size of the `.tar.gz` in bytes. */
  bytes: number;
  /** sha256 of the `.tar.gz`, 64 lowercase hex digits. */
  sha256: string;
}

export interface CreateArchiveOptions extends PackOptions {
  /** File name of the archive (default `release.tar.gz`); it is the name inside the artifact's zip. */
  fileName?: string;
  /** Where the temp directory is made (default the OS temp dir). */
  tmpRoot?: string;
}

export interface ExtractedArchive {
  /** The release tree, without `.php-deploy-manifest`. */
  dir: string;
  /** The text of `.php-deploy-manifest` found in the archive. */
  manifestText: string;
  /** The manifest, parsed. */
  entries: ManifestEntry[];
}

export interface ExtractOptions {
  /** Check that the tree holds exactly what the manifest lists, with matching sizes, modes and sha256 (default true). */
  verify?: boolean;
}

function artifactError(message: string, cause?: unknown): DeployError {
  return new DeployError(message, { phase: 'artifact', cause });
}

const FILE_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** Counts and hashes what passes through. */
class Tap extends Transform {
  bytes = 0;
  readonly hash = createHash('sha256');

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.bytes += chunk.length;
    this.hash.update(chunk);
    cb(null, chunk);
  }
}

/**
 * Packs the full release (`entries` must be ALL entries of the manifest) into a fresh temp
 * directory as `<fileName>`. On failure the temp directory is removed.
 */
export async function createReleaseArchive(
  sourceDir: string,
  entries: readonly ManifestEntry[],
  manifestText: string,
  opts: CreateArchiveOptions = {},
): Promise<ReleaseArchive> {
  const { fileName = 'release.tar.gz', tmpRoot = tmpdir(), ...packOpts } = opts;
  if (!FILE_NAME_RE.test(fileName)) throw new RangeError(`bad archive file name ${JSON.stringify(fileName)}`);
  const dir = await mkdtemp(join(tmpRoot, 'php-deploy-archive-'));
  const path = join(dir, fileName);
  try {
    const tap = new Tap();
    await pipeline(createPackStream(sourceDir, entries, manifestText, packOpts), tap, createWriteStream(path, { flags: 'wx' }));
    return { path, dir, bytes: tap.bytes, sha256: tap.hash.digest('hex') };
  } catch (err) {
    await removeTempDir(dir);
    if (err instanceof DeployError || (err instanceof Error && err.name === 'AbortError')) throw err;
    throw artifactError(`cannot write the release archive: ${(err as Error)?.message ?? String(err)}`, err);
  }
}

/** Removes a temp directory made here (never throws). */
export async function removeTempDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true }).catch(() => {});
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path, { highWaterMark: 1024 * 1024 }), hash);
  return hash.digest('hex');
}

/** Every path under `dir` (relative, `/`-separated), not following symlinks. */
async function listTree(dir: string, rel = '', out: string[] = []): Promise<string[]> {
  for (const d of await readdir(join(dir, rel), { withFileTypes: true })) {
    const p = rel ? `${rel}/${d.name}` : d.name;
    out.push(p);
    if (d.isDirectory()) await listTree(dir, p, out);
  }
  return out;
}

/** Throws unless `dir` holds exactly the manifest's entries with their type, mode, size, sha256 and link target. */
export async function verifyTree(dir: string, entries: readonly ManifestEntry[]): Promise<void> {
  const bad = (path: string, why: string): never => {
    throw artifactError(`the release archive does not match its manifest: ${JSON.stringify(path)} ${why}`);
  };
  const listed = new Set<string>();
  for (const e of entries) {
    listed.add(e.path);
    const abs = join(dir, e.path);
    const st = await lstat(abs).catch(() => undefined);
    if (!st) bad(e.path, 'is missing');
    else if (e.type === 'd') {
      if (!st.isDirectory()) bad(e.path, 'is not a directory');
    } else if (e.type === 'l') {
      if (!st.isSymbolicLink()) bad(e.path, 'is not a symlink');
      else if ((await readlink(abs)) !== e.linkTarget) bad(e.path, 'has another link target');
    } else {
      if (!st.isFile()) bad(e.path, 'is not a regular file');
      else if (st.size !== e.size) bad(e.path, `has ${st.size} bytes, not ${e.size}`);
      else if ((st.mode & 0o111 ? 0o755 : 0o644) !== e.mode) bad(e.path, `has mode ${(st.mode & 0o777).toString(8)}, not ${e.mode.toString(8)}`);
      else if ((await sha256File(abs)) !== e.sha256) bad(e.path, 'has other content');
    }
  }
  for (const p of await listTree(dir)) if (!listed.has(p)) bad(p, 'is not in the manifest');
}

/**
 * Unpacks a release archive (a `.tar.gz` file, or a stream of one) into a fresh directory (`destDir`,
 * which must not exist or be empty, else a new temp dir), refusing any entry that would land outside
 * it; takes `.php-deploy-manifest` out and by default checks the tree against it. On failure a
 * directory made here is removed.
 */
export async function extractArchive(archive: string | Readable, destDir?: string, opts: ExtractOptions = {}): Promise<ExtractedArchive> {
  let dir: string;
  if (destDir) {
    await mkdir(destDir, { recursive: true });
    if ((await readdir(destDir)).length > 0) throw artifactError(`cannot extract the release archive into ${destDir}: the directory is not empty`);
    dir = destDir;
  } else {
    dir = await mkdtemp(join(tmpdir(), 'php-deploy-release-'));
  }
  try {
    const source = typeof archive === 'string' ? createReadStream(archive, { highWaterMark: 1024 * 1024 }) : archive;
    const { manifestText } = await unpackRelease(source, dir);
    let entries: ManifestEntry[];
    try {
      entries = parseManifest(manifestText);
    } catch (err) {
      throw artifactError(`the release archive's ${MANIFEST_NAME} is damaged: ${(err as Error).message}`, err);
    }
    if (opts.verify ?? true) await verifyTree(dir, entries);
    return { dir, manifestText, entries };
  } catch (err) {
    await rm(dir, { recursive: true, force: true }).catch(() => {});
    if (destDir) await mkdir(destDir, { recursive: true }).catch(() => {});
    throw err;
  }
}
