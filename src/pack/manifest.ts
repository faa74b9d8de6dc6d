/**
 * The release manifest: one line per directory, file and symlink of a release. The server's bash
 * script reads it with awk/cut, so the text format is fixed:
 *
 *   # php-deploy manifest v1
 *   <type>\t<mode>\t<size>\t<sha256>\t<path>[\t<linktarget>]
 *
 * type `d`/`f`/`l`; mode 4 octal digits; size in bytes (0 for d and l); sha256 64 lowercase hex for
 * `f`, `-` otherwise; path relative with `/`, no leading `./`; linktarget only for `l`. Lines are
 * sorted by path in byte order (`LC_ALL=C sort`), and the text ends with a newline.
 */
import { DeployError } from '../errors.js';

export const MANIFEST_HEADER = '# php-deploy manifest v1';
/** Name of the manifest inside a release directory (and the last entry of every pack). */
export const MANIFEST_NAME = '.php-deploy-manifest';

export type EntryType = 'd' | 'f' | 'l';

export interface ManifestEntry {
  type: EntryType;
  /** Normalized permission bits: 0o755 for directories, 0o755/0o644 for files, 0o777 for symlinks. */
  mode: number;
  /** Bytes; 0 for directories and symlinks. */
  size: number;
  /** 64 lowercase hex digits, files only. */
  sha256?: string;
  /** Relative path with `/` separators. */
  path: string;
  /** Symlinks only: the target exactly as stored in the link. */
  linkTarget?: string;
}

export const DIR_MODE = 0o755;
export const SYMLINK_MODE = 0o777;

/** The normalized mode of a regular file: 0755 if any execute bit is set, else 0644. */
export function normalizeFileMode(mode: number): number {
  return mode & 0o111 ? 0o755 : 0o644;
}

/** Compares two strings by their UTF-8 bytes, as `LC_ALL=C sort` does. */
export function compareBytes(a: string, b: string): number {
  // For code points below the surrogate range UTF-16 order equals UTF-8 byte order; only strings
  // holding surrogates or U+E000..U+FFFF need the byte comparison.
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    if (x < 0xd800 && y < 0xd800) return x - y;
    return Buffer.compare(Buffer.from(a.slice(i), 'utf8'), Buffer.from(b.slice(i), 'utf8'));
  }
  return a.length - b.length;
}

/** Entries sorted by path in byte order (a new array). */
export function sortEntries<T extends { path: string }>(entries: readonly T[]): T[] {
  return [...entries].sort((a, b) => compareBytes(a.path, b.path));
}

function octal4(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, '0');
}

const SHA256_RE = /^[0-9a-f]{64}$/;
const MODE_RE = /^[0-7]{4}$/;
const SIZE_RE = /^(0|[1-9][0-9]*)$/;
// A path is what we write: no control characters, no backslash, no empty, `.` or `..` segment.
const BAD_CHARS_RE = /[\p{Cc}\\]/u;

function badPath(path: string): string | undefined {
  if (path === '') return 'empty path';
  if (path.startsWith('/')) return 'absolute path';
  if (BAD_CHARS_RE.test(path)) return 'control character or backslash in path';
  for (const seg of path.split('/')) {
    if (seg === '' || seg === '.' || seg === '..') return `bad path segment ${JSON.stringify(seg)}`;
  }
  return undefined;
}

/** The manifest text for these entries (sorted here; ends with a newline). */
export function formatManifest(entries: readonly ManifestEntry[]): string {
  const lines = [MANIFEST_HEADER];
  for (const e of sortEntries(entries)) {
    const isFile = e.type === 'f';
    const fields = [e.type, octal4(e.mode), String(isFile ? e.size : 0), isFile ? (e.sha256 ?? '') : '-', e.path];
    // The server splits lines on newlines and fields on tabs: refuse anything that would break that.
    const why = badPath(e.path);
    if (why) throw new DeployError(`manifest: ${why}: ${JSON.stringify(e.path)}`, { phase: 'pack' });
    if (isFile && !SHA256_RE.test(e.sha256 ?? '')) {
      throw new DeployError(`manifest: file ${JSON.stringify(e.path)} has no valid sha256`, { phase: 'pack' });
    }
    if (e.type === 'l') {
      if (!e.linkTarget || /\p{Cc}/u.test(e.linkTarget)) {
        throw new DeployError(`manifest: symlink ${JSON.stringify(e.path)} has a bad target ${JSON.stringify(e.linkTarget ?? '')}`, { phase: 'pack' });
      }
      fields.push(e.linkTarget);
    }
    lines.push(fields.join('\t'));
  }
  return lines.join('\n') + '\n';
}

/** Parses manifest text; throws DeployError naming the first malformed line. */
export function parseManifest(text: string): ManifestEntry[] {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const fail = (lineNo: number, why: string): never => {
    throw new DeployError(`manifest line ${lineNo}: ${why}`);
  };
  if (lines[0] !== MANIFEST_HEADER) {
    fail(1, `expected ${JSON.stringify(MANIFEST_HEADER)}, found ${JSON.stringify((lines[0] ?? '').slice(0, 60))}`);
  }
  const entries: ManifestEntry[] = [];
  const seen = new Set<string>();
  for (let i = 1; i < lines.length; i++) {
    const lineNo = i + 1;
    const f = (lines[i] as string).split('\t');
    const [type, mode, size, sha, path] = f;
    if (type !== 'd' && type !== 'f' && type !== 'l') fail(lineNo, `unknown type ${JSON.stringify(type ?? '')}`);
    const want = type === 'l' ? 6 : 5;
    if (f.length !== want) fail(lineNo, `expected ${want} tab-separated fields for type ${type}, found ${f.length}`);
    if (!MODE_RE.test(mode!)) fail(lineNo, `bad mode ${JSON.stringify(mode)}`);
    if (!SIZE_RE.test(size!)) fail(lineNo, `bad size ${JSON.stringify(size)}`);
    if (type === 'f' ? !SHA256_RE.test(sha!) : sha !== '-') fail(lineNo, `bad sha256 ${JSON.stringify(sha)}`);
    if (type !== 'f' && size !== '0') fail(lineNo, `size must be 0 for type ${type}`);
    const why = badPath(path!);
    if (why) fail(lineNo, `${why}: ${JSON.stringify(path)}`);
    if (seen.has(path!)) fail(lineNo, `duplicate path ${JSON.stringify(path)}`);
    seen.add(path!);
    const entry: ManifestEntry = { type: type as EntryType, mode: parseInt(mode!, 8), size: Number(size), path: path! };
    if (type === 'f') entry.sha256 = sha;
    if (type === 'l') {
      const target = f[5]!;
      if (target === '' || /\p{Cc}/u.test(target)) fail(lineNo, `bad link target ${JSON.stringify(target)}`);
      entry.linkTarget = target;
    }
    entries.push(entry);
  }
  return entries;
}

export interface ManifestDiff {
  /** Files and symlinks that are new or differ (content, mode, link target, type); everything when there is no base. */
  send: ManifestEntry[];
  /** Files and symlinks the server can take from the base release. */
  unchanged: number;
  /** Bytes of the unchanged files. */
  unchangedBytes: number;
  /** Files and symlinks of the base that are gone from the local tree (or became a directory). */
  removed: number;
  /** Bytes of the files in `send`. */
  sendBytes: number;
}

/**
 * What the delta must send, given the local manifest and the base (previous release's) manifest.
 * Directories are never sent against a base: the server creates them from the manifest.
 */
export function diffManifests(local: readonly ManifestEntry[], base: readonly ManifestEntry[] | undefined): ManifestDiff {
  if (base === undefined) {
    const send = sortEntries(local);
    const sendBytes = send.reduce((n, e) => n + (e.type === 'f' ? e.size : 0), 0);
    return { send, unchanged: 0, unchangedBytes: 0, removed: 0, sendBytes };
  }
  const byPath = new Map<string, ManifestEntry>();
  for (const e of base) if (e.type !== 'd') byPath.set(e.path, e);
  const send: ManifestEntry[] = [];
  let unchanged = 0;
  let unchangedBytes = 0;
  let sendBytes = 0;
  let kept = 0;
  for (const e of sortEntries(local)) {
    if (e.type === 'd') continue;
    const b = byPath.get(e.path);
    if (b) kept++;
    const same =
      b !== undefined &&
      b.type === e.type &&
      b.mode === e.mode &&
      (e.type === 'f' ? b.sha256 === e.sha256 && b.size === e.size : b.linkTarget === e.linkTarget);
    if (same) {
      unchanged++;
      if (e.type === 'f') unchangedBytes += e.size;
    } else {
      send.push(e);
      if (e.type === 'f') sendBytes += e.size;
    }
  }
  return { send, unchanged, unchangedBytes, removed: byPath.size - kept, sendBytes };
}
