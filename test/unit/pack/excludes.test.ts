import { afterEach, describe, expect, it } from 'vitest';
import { InputError } from '../../../src/errors.js';
import { createExcludeFilter, patternProblem, splitPatterns } from '../../../src/pack/excludes.js';
import { scanTree } from '../../../src/pack/scan.js';
import { cleanupTemp, makeTree, tempDir } from './helpers.js';

afterEach(cleanupTemp);

async function shipped(spec: Parameters<typeof makeTree>[1], exclude: string[]): Promise<string[]> {
  const dir = makeTree(tempDir(), spec);
  const { entries } = await scanTree(dir, { exclude });
  return entries.map((e) => e.path);
}

describe('exclude filter', () => {
  it('always excludes .git at any depth and the manifest name at the root', async () => {
    const paths = await shipped(
      {
        '.git/HEAD': 'ref: refs/heads/main\n',
        '.git/objects/ab/cd': 'x',
        'vendor/acme/lib/.git': 'gitdir: ../../.git/modules/lib\n', // a submodule's .git file
        'vendor/acme/lib/src/A.php': '<?php',
        '.php-deploy-manifest': 'stale',
        'sub/.php-deploy-manifest': 'a normal file below the root',
        'index.php': '<?php',
      },
      ['!.git', '!.php-deploy-manifest'],
    );
    expect(paths).toEqual(['index.php', 'sub', 'sub/.php-deploy-manifest', 'vendor', 'vendor/acme', 'vendor/acme/lib', 'vendor/acme/lib/src', 'vendor/acme/lib/src/A.php']);
  });

  it('reads .deployignore from the source root', async () => {
    const paths = await shipped(
      {
        '.deployignore': '# comment\n\ntests/\n*.md\n/node_modules\n',
        'tests/ATest.php': '<?php',
        'README.md': '# hi',
        'docs/guide.md': 'x',
        'node_modules/x/index.js': 'x',
        'vendor/node_modules/keep.js': 'x', // `/node_modules` is anchored to the root
        'src/App.php': '<?php',
      },
      [],
    );
    expect(paths).toEqual(['.deployignore', 'docs', 'src', 'src/App.php', 'vendor', 'vendor/node_modules', 'vendor/node_modules/keep.js']);
  });

  it('applies input patterns (one per line or entry, blank and # lines skipped), negation and dir-only patterns', async () => {
    const paths = await shipped(
      {
        'storage/logs/app.log': 'x',
        'storage/logs/keep.log': 'x',
        'cache/data.bin': 'x', // directory: excluded by `cache/`
        'src/cache': 'a file named cache is not a directory',
        'var/tmp/x': 'x',
        'public/index.php': '<?php',
      },
      ['*.log\n  # a comment\n\n!keep.log', 'cache/', '  var/tmp  '],
    );
    expect(paths).toEqual(['public', 'public/index.php', 'src', 'src/cache', 'storage', 'storage/logs', 'storage/logs/keep.log', 'var']);
  });

  it('is case-sensitive like the Linux server', async () => {
    const paths = await shipped({ 'Cache/x': 'x', 'cache/y': 'y' }, ['cache/']);
    expect(paths).toEqual(['Cache', 'Cache/x']);
  });

  it('tests directories with the dir flag', async () => {
    const f = await createExcludeFilter(tempDir(), ['build/']);
    expect(f('build', true)).toBe(true);
    expect(f('build', false)).toBe(false);
    expect(f('build/x.php', false)).toBe(true);
    expect(f('a/.git/config', false)).toBe(true);
    expect(f('', true)).toBe(false);
  });

  it.each([
    ['foo\\', 'lone backslash'],
    ['src/[abc', 'closing'],
    ['../secrets', '".."'],
    ['./vendor', '"."'],
    ['!', 'matches nothing'],
    ['a\u0001b', 'control character'],
  ])('rejects the invalid pattern %j as an InputError for exclude', async (pattern, why) => {
    const err = await createExcludeFilter(tempDir(), ['ok/', pattern]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).input).toBe('exclude');
    expect((err as InputError).message).toContain(JSON.stringify(pattern));
    expect((err as InputError).message).toContain(why);
  });

  it('names the .deployignore line of an invalid pattern', async () => {
    const dir = makeTree(tempDir(), { '.deployignore': 'ok\n[oops\n' });
    await expect(createExcludeFilter(dir, [])).rejects.toThrow(/exclude: \.deployignore line 2: pattern "\[oops" is invalid/);
  });

  it('accepts escaped and valid bracket patterns', () => {
    for (const p of ['foo\\\\', '\\[literal', '[abc].php', '[!a]*', '[]]x', '**/cache/**', '\\#file', '/root-only']) {
      expect(patternProblem(p), p).toBeUndefined();
    }
    expect(splitPatterns(['a\r\nb', '', '# c', ' d '])).toEqual(['a', 'b', 'd']);
  });
});
