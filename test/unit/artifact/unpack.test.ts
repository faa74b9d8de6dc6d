/**
 * The safe unpacker: archives built entry by entry (tar-stream, as an attacker could) must never
 * write outside the target, and a good one comes out exactly as packed.
 */
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, test } from 'vitest';
import { extractArchive } from '../../../src/artifact/archive.js';
import { entryPath, symlinkEscapes, unpackRelease } from '../../../src/artifact/unpack.js';
import { DeployError } from '../../../src/errors.js';
import { MANIFEST_NAME } from '../../../src/pack/manifest.js';
import { cleanupTemp, tempDir, tgz, type TarEntry as Entry } from '../../artifact/helpers.js';

afterAll(() => cleanupTemp());

const manifest: Entry = { name: MANIFEST_NAME, body: '# php-deploy manifest v1\n' };

/** Unpacks into a fresh `target` inside a fresh parent; returns the error (or undefined) and both dirs. */
async function unpack(entries: Entry[]): Promise<{ error?: DeployError; parent: string; target: string }> {
  const parent = tempDir();
  const target = join(parent, 'target');
  mkdirSync(target);
  try {
    await unpackRelease(Readable.from(await tgz(entries)), target);
    return { parent, target };
  } catch (e) {
    expect(e).toBeInstanceOf(DeployError);
    return { error: e as DeployError, parent, target };
  }
}

/** Nothing but `target` was made in the parent, whatever happened. */
function onlyTarget(parent: string): void {
  expect(readdirSync(parent)).toEqual(['target']);
}

describe('unpackRelease', () => {
  test('a good archive: files, modes, nested dirs without their own entries, a link inside, ./ prefixes', async () => {
    const { error, target, parent } = await unpack([
      { name: './', type: 'directory' },
      { name: './public/', type: 'directory' },
      { name: 'public/index.php', body: '<?php echo 1;\n' },
      { name: 'bin/console', body: '#!/usr/bin/env php\n', mode: 0o4755 },
      { name: 'src/deep/Kernel.php', body: '<?php\n', mode: 0o600 },
      { name: 'config/current.php', type: 'symlink', linkname: '../src/deep/Kernel.php' },
      { name: 'public/storage', type: 'symlink', linkname: '../storage/app/public' }, // into a shared path: dangles here, inside
      manifest,
    ]);
    expect(error).toBeUndefined();
    onlyTarget(parent);
    expect(readFileSync(join(target, 'public/index.php'), 'utf8')).toBe('<?php echo 1;\n');
    expect(statSync(join(target, 'bin/console')).mode & 0o7777).toBe(0o755); // setuid dropped
    expect(statSync(join(target, 'src/deep/Kernel.php')).mode & 0o7777).toBe(0o644);
    expect(statSync(join(target, 'src/deep')).mode & 0o777).toBe(0o755);
    expect(readlinkSync(join(target, 'config/current.php'))).toBe('../src/deep/Kernel.php');
    expect(lstatSync(join(target, 'public/storage')).isSymbolicLink()).toBe(true);
    expect(existsSync(join(target, MANIFEST_NAME))).toBe(false);
  });

  test.each<[string, Entry[], RegExp]>([
    ['a ../ path', [{ name: '../evil.php', body: 'x' }], /entry "\.\.\/evil\.php" climbs out of the target with \.\./],
    ['a deeper .. path', [{ name: 'a/../../evil.php', body: 'x' }], /climbs out of the target/],
    ['an absolute path', [{ name: '/tmp/evil.php', body: 'x' }], /entry "\/tmp\/evil\.php" is an absolute path/],
    ['an absolute symlink', [{ name: 'etc', type: 'symlink', linkname: '/etc' }], /entry "etc" is a symlink to the absolute path "\/etc"/],
    ['a symlink pointing out', [{ name: 'up', type: 'symlink', linkname: '../..' }], /entry "up" is a symlink to "\.\.\/\.\.", outside the target/],
    ['a nested symlink pointing out', [{ name: 'a/b/up', type: 'symlink', linkname: '../../../x' }], /outside the target/],
    [
      'a symlink that leaves through another symlink',
      // a/s -> .. is the root (inside); a/t -> s/../.. goes above it — only visible by following a/s.
      [
        { name: 'a/s', type: 'symlink', linkname: '..' },
        { name: 'a/t', type: 'symlink', linkname: 's/../..' },
      ],
      /entry "a\/t" is a symlink to "s\/\.\.\/\.\.", which leaves the target through another symlink/,
    ],
    [
      'a file written through a symlink (even one pointing inside)',
      [
        { name: 'sub', type: 'directory' },
        { name: 'link', type: 'symlink', linkname: 'sub' },
        { name: 'link/evil.php', body: 'x' },
      ],
      /entry "link\/evil\.php" would be written through the symlink "link"/,
    ],
    [
      'a file written through a symlink pointing out, placed before the check could see it',
      [
        { name: 'sub/x', type: 'symlink', linkname: '../y' },
        { name: 'y', type: 'symlink', linkname: 'sub/..' },
        { name: 'sub/x/evil.php', body: 'x' },
      ],
      /would be written through the symlink "sub\/x"/,
    ],
    ['a file under a file', [{ name: 'f', body: 'x' }, { name: 'f/g', body: 'y' }], /entry "f\/g" would be written under the file "f"/],
    ['a hard link', [{ name: 'a', body: 'x' }, { name: 'b', type: 'link', linkname: 'a' }], /entry "b" is a hard link \(to "a"\)/],
    ['a hard link to a file outside', [{ name: 'passwd', type: 'link', linkname: '/etc/passwd' }], /is a hard link/],
    ['a fifo', [{ name: 'p', type: 'fifo' }], /entry "p" is a fifo; only directories, files and symlinks are allowed/],
    ['a device', [{ name: 'tty', type: 'character-device' }], /entry "tty" is a character-device/],
    ['a duplicate', [{ name: 'a', body: 'x' }, { name: 'a', body: 'y' }], /entry "a" appears twice/],
    ['a file replacing a symlink', [{ name: 'a', type: 'symlink', linkname: 'b' }, { name: 'a', body: 'y' }], /entry "a" appears twice/],
    ['a second manifest', [manifest, manifest], /appears twice/],
    ['an empty component', [{ name: 'a//b', body: 'x' }], /is not a canonical relative path/],
  ])('refuses %s, writes nothing outside', async (_what, entries, message) => {
    const { error, parent } = await unpack([...entries, manifest]);
    expect(error?.message).toMatch(message);
    expect(error?.message).toMatch(/^refusing the release archive: .*; nothing was restored$/);
    expect(error?.oneLine()).toMatch(/^artifact: refusing the release archive/);
    onlyTarget(parent);
  });

  test('damaged archives: not gzip, cut short, no manifest', async () => {
    const target = tempDir();
    const e1 = await unpackRelease(Readable.from(Buffer.from('not gzip')), target).catch((e: DeployError) => e);
    expect((e1 as DeployError).message).toBe('the release archive is damaged: it is not valid gzip');
    const good = await tgz([{ name: 'a', body: 'x'.repeat(100_000) }, manifest]);
    const e2 = await unpackRelease(Readable.from(good.subarray(0, good.length - 30)), tempDir()).catch((e: DeployError) => e);
    expect((e2 as DeployError).message).toMatch(/^the release archive is damaged: /);
    const e3 = await unpackRelease(Readable.from(await tgz([{ name: 'a', body: 'x' }])), tempDir()).catch((e: DeployError) => e);
    expect((e3 as DeployError).message).toBe(`the release archive has no ${MANIFEST_NAME}; it was not made by php-deploy`);
  });

  test('extractArchive removes what it wrote when it refuses', async () => {
    const dest = join(tempDir(), 'release');
    const e = await extractArchive(Readable.from(await tgz([{ name: 'a.php', body: 'x' }, { name: '../b.php', body: 'y' }, manifest])), dest).catch(
      (err: DeployError) => err,
    );
    expect((e as DeployError).message).toMatch(/climbs out of the target/);
    expect(readdirSync(dest)).toEqual([]);
  });
});

describe('entryPath and symlinkEscapes', () => {
  test('entryPath', () => {
    expect(entryPath('a/b.php', false)).toBe('a/b.php');
    expect(entryPath('./a/b/', true)).toBe('a/b');
    expect(entryPath('./', true)).toBe('');
    expect(() => entryPath('a/./b', false)).toThrow(/not a canonical relative path/);
    expect(() => entryPath('', false)).toThrow(/has no name/);
    expect(() => entryPath('a\0b', false)).toThrow(/NUL byte/);
    expect(() => entryPath('a/b/', false)).toThrow(/not a canonical relative path/); // a file named with a trailing slash
  });

  test('symlinkEscapes follows other links as the OS does', () => {
    const none = new Map<string, string>();
    expect(symlinkEscapes('config/current.php', '../src/Kernel.php', none)).toBe(false);
    expect(symlinkEscapes('a', '.', none)).toBe(false);
    expect(symlinkEscapes('a', '..', none)).toBe(true);
    expect(symlinkEscapes('x/y/z', '../../..', none)).toBe(true);
    expect(symlinkEscapes('x/y/z', '../../w/../v', none)).toBe(false);
    expect(symlinkEscapes('a', '/etc', none)).toBe(true);
    // deep -> x/y (inside): deep/../.. is x/.. = the root, inside; deep/../../.. leaves.
    const links = new Map([['deep', 'x/y']]);
    expect(symlinkEscapes('l', 'deep/../..', links)).toBe(false);
    expect(symlinkEscapes('l', 'deep/../../..', links)).toBe(true);
    // A loop resolves to nothing: not an escape.
    const loop = new Map([
      ['p', 'q'],
      ['q', 'p'],
    ]);
    expect(symlinkEscapes('r', 'p/x', loop)).toBe(false);
  });
});
