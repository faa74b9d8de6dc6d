/**
 * Unpacks a release archive (gzip'd tar, as `createPackStream` makes it) with the project's own code
 * — tar-stream, no runner `tar` — so it works the same on Linux, macOS (bsdtar) and Windows runners.
 *
 * It writes only inside the target directory, which must be empty and is written by nothing else:
 * - names must be relative and canonical (no `..`, `.` or empty components, no leading `/`);
 * - only directories, regular files and symlinks; hard links, devices and fifos are refused;
 * - nothing is ever written through a symlink or a file: every parent of an entry is a directory this
 *   unpacker made (mkdir and open are exclusive, so a case-insensitive file system cannot alias one);
 * - a symlink must stay inside the target, followed through the archive's other symlinks the way the
 *   OS will follow it (absolute targets are refused);
 * - `.php-deploy-manifest` (php-deploy writes it last) is returned, not written.
 * On a refusal it throws; the caller removes the half-written target.
 */
import { createWriteStream } from 'node:fs';
import { chmod, mkdir, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import tar from 'tar-stream';
import { DeployError } from '../errors.js';
import { DIR_MODE, MANIFEST_NAME, normalizeFileMode } from '../pack/manifest.js';

/** A manifest bigger than this is not one php-deploy wrote (about 150 bytes a line). */
const MAX_MANIFEST_BYTES = 256 * 1024 * 1024;
/** Symlinks followed while resolving one link, as Linux's MAXSYMLINKS. */
const MAX_HOPS = 40;

type Kind = 'd' | 'f' | 'l';

function refuse(name: string, why: string): never {
  throw new DeployError(`refusing the release archive: entry ${JSON.stringify(name)} ${why}; nothing was restored`, { phase: 'artifact' });
}

/**
 * The entry's path relative to the target, or a refusal; `''` for the target itself (`./`, which
 * `tar -C dir .` writes). Directory names may end with one `/`; a leading `./` is dropped.
 */
export function entryPath(rawName: string, isDir: boolean): string {
  let name = isDir && rawName.endsWith('/') ? rawName.slice(0, -1) : rawName;
  while (name.startsWith('./')) name = name.slice(2);
  if (isDir && (name === '.' || (name === '' && rawName !== ''))) return '';
  if (name === '') refuse(rawName, 'has no name');
  if (name.includes('\0')) refuse(rawName, 'has a NUL byte in its name');
  if (name.startsWith('/')) refuse(rawName, 'is an absolute path');
  for (const part of name.split('/')) {
    if (part === '..') refuse(rawName, 'climbs out of the target with ..');
    if (part === '' || part === '.') refuse(rawName, 'is not a canonical relative path');
  }
  return name;
}

/**
 * Whether the symlink at `linkPath` with target `target`, followed through the other symlinks of
 * the tree (`links`: path → target) exactly as the OS would, ever leaves the tree's root.
 * A loop resolves to nothing (ELOOP) and does not count as leaving.
 */
export function symlinkEscapes(linkPath: string, target: string, links: ReadonlyMap<string, string>): boolean {
  let hops = 0;
  const walk = (start: string[], t: string): string[] | 'out' | 'loop' => {
    if (t.startsWith('/')) return 'out';
    let stack = start;
    for (const part of t.split('/')) {
      if (part === '' || part === '.') continue;
      if (part === '..') {
        if (stack.length === 0) return 'out';
        stack = stack.slice(0, -1);
        continue;
      }
      const next = [...stack, part];
      const linked = links.get(next.join('/'));
      if (linked === undefined) {
        stack = next;
        continue;
      }
      if (++hops > MAX_HOPS) return 'loop';
      const r = walk(stack, linked);
      if (r === 'out' || r === 'loop') return r;
      stack = r;
    }
    return stack;
  };
  const dir = linkPath.split('/').slice(0, -1);
  return walk(dir, target) === 'out';
}

async function readAll(stream: AsyncIterable<Buffer>, limit: number, name: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  let n = 0;
  for await (const chunk of stream) {
    n += chunk.length;
    if (n > limit) refuse(name, `is larger than ${limit} bytes`);
    parts.push(chunk);
  }
  return Buffer.concat(parts);
}

/** Writes entries into `root`, keeping track of what it made so nothing goes through a link. */
class TreeWriter {
  readonly kinds = new Map<string, Kind>();
  readonly links = new Map<string, string>();

  constructor(private readonly root: string) {}

  /** Makes the missing parents of `path` as directories; refuses a parent that is not a directory. */
  private async parents(path: string): Promise<void> {
    const parts = path.split('/');
    for (let i = 1; i < parts.length; i++) {
      const p = parts.slice(0, i).join('/');
      const kind = this.kinds.get(p);
      if (kind === 'd') continue;
      if (kind === 'l') refuse(path, `would be written through the symlink ${JSON.stringify(p)}`);
      if (kind === 'f') refuse(path, `would be written under the file ${JSON.stringify(p)}`);
      await this.mkdirExclusive(p, path);
    }
  }

  private async mkdirExclusive(p: string, entry: string): Promise<void> {
    try {
      await mkdir(join(this.root, p), { mode: DIR_MODE });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') refuse(entry, `clashes with another entry (${JSON.stringify(p)} already exists, e.g. on a case-insensitive file system)`);
      throw err;
    }
    await chmod(join(this.root, p), DIR_MODE);
    this.kinds.set(p, 'd');
  }

  private fresh(path: string): void {
    if (this.kinds.has(path)) refuse(path, 'appears twice');
  }

  async directory(path: string): Promise<void> {
    if (path === '' || this.kinds.get(path) === 'd') return;
    this.fresh(path);
    await this.parents(path);
    await this.mkdirExclusive(path, path);
  }

  async file(path: string, mode: number, data: AsyncIterable<Buffer>): Promise<void> {
    this.fresh(path);
    await this.parents(path);
    const abs = join(this.root, path);
    const m = normalizeFileMode(mode);
    try {
      await pipeline(data, createWriteStream(abs, { flags: 'wx', mode: m }));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') refuse(path, 'clashes with another entry (it already exists, e.g. on a case-insensitive file system)');
      throw err;
    }
    await chmod(abs, m);
    this.kinds.set(path, 'f');
  }

  async symlink(path: string, target: string): Promise<void> {
    this.fresh(path);
    if (!target) refuse(path, 'is a symlink without a target');
    if (target.includes('\0')) refuse(path, 'is a symlink with a NUL byte in its target');
    if (target.startsWith('/')) refuse(path, `is a symlink to the absolute path ${JSON.stringify(target)}`);
    // The cheap check now; the one through other links once every link is known.
    if (symlinkEscapes(path, target, new Map())) refuse(path, `is a symlink to ${JSON.stringify(target)}, outside the target`);
    await this.parents(path);
    try {
      await symlink(target, join(this.root, path));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') refuse(path, 'clashes with another entry (it already exists, e.g. on a case-insensitive file system)');
      throw err;
    }
    this.kinds.set(path, 'l');
    this.links.set(path, target);
  }

  /** Every symlink, followed through the others, stays inside. */
  checkLinks(): void {
    for (const [path, target] of this.links) {
      if (symlinkEscapes(path, target, this.links)) refuse(path, `is a symlink to ${JSON.stringify(target)}, which leaves the target through another symlink`);
    }
  }
}

/**
 * Unpacks the gzip'd tar `source` into `root` (an existing, empty directory) and returns the text of
 * its `.php-deploy-manifest`. Throws a DeployError for an entry it refuses or a damaged archive; what
 * it wrote stays for the caller to remove.
 */
export async function unpackRelease(source: Readable, root: string): Promise<{ manifestText: string }> {
  const writer = new TreeWriter(root);
  const extract = tar.extract();
  const feeding = pipeline(source, createGunzip(), extract).then(
    () => undefined,
    (err: unknown) => err,
  );
  let manifest: Buffer | undefined;
  try {
    for await (const entry of extract) {
      const h = entry.header;
      const data = entry as AsyncIterable<unknown> as AsyncIterable<Buffer>;
      const rawName = h.name;
      switch (h.type) {
        case 'directory':
          await writer.directory(entryPath(rawName, true));
          entry.resume();
          break;
        case 'file': {
          const path = entryPath(rawName, false);
          if (path === MANIFEST_NAME) {
            if (manifest !== undefined) refuse(rawName, 'appears twice');
            manifest = await readAll(data, MAX_MANIFEST_BYTES, rawName);
          }
          else await writer.file(path, h.mode ?? 0o644, data);
          break;
        }
        case 'symlink':
          await writer.symlink(entryPath(rawName, false), h.linkname ?? '');
          entry.resume();
          break;
        case 'link':
          refuse(rawName, `is a hard link (to ${JSON.stringify(h.linkname ?? '')}); php-deploy never writes one`);
          break;
        default:
          refuse(rawName, `is a ${h.type ?? 'entry of unknown type'}; only directories, files and symlinks are allowed`);
      }
    }
  } catch (err) {
    source.destroy();
    extract.destroy();
    await feeding;
    throw damaged(err);
  }
  const feedError = await feeding;
  if (feedError) throw damaged(feedError);
  writer.checkLinks();
  if (manifest === undefined) throw new DeployError(`the release archive has no ${MANIFEST_NAME}; it was not made by php-deploy`, { phase: 'artifact' });
  return { manifestText: manifest.toString('utf8') };
}

function damaged(err: unknown): DeployError {
  if (err instanceof DeployError) return err;
  const e = err as NodeJS.ErrnoException;
  const why = e?.code === 'Z_DATA_ERROR' || e?.code === 'Z_BUF_ERROR' ? 'it is not valid gzip' : (e?.message ?? String(err));
  return new DeployError(`the release archive is damaged: ${why}`, { phase: 'artifact', cause: err });
}
