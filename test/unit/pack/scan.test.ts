import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DeployError, InputError } from '../../../src/errors.js';
import { formatManifest } from '../../../src/pack/manifest.js';
import { scanTree } from '../../../src/pack/scan.js';
import { cleanupTemp, makeTree, tempDir } from './helpers.js';

afterEach(cleanupTemp);

const sha = (s: string | Buffer) => createHash('sha256').update(s).digest('hex');

describe('scanTree', () => {
  it('records dirs, files (sha256, normalized modes) and symlinks as they are', async () => {
    const big = Buffer.alloc(3 * 1024 * 1024 + 17, 'x'); // streamed, not read whole
    const dir = makeTree(tempDir(), {
      'index.php': '<?php echo 1;',
      'bin/console': { content: '#!/usr/bin/env php\n', mode: 0o700 },
      'bin/group-exec': { content: 'x', mode: 0o610 },
      'config/secret.php': { content: '<?php', mode: 0o600 },
      'config/odd': { content: '', mode: 0o666 },
      'public/big.bin': big,
      'vendor/bin/phpunit': { symlink: '../phpunit/phpunit/phpunit' }, // dangling: recorded as is
      'current-abs': { symlink: '/etc/hostname' },
      'storage/empty': { dir: true },
    });
    const r = await scanTree(dir, { exclude: [] });
    expect(formatManifest(r.entries)).toBe(
      [
        '# php-deploy manifest v1',
        'd\t0755\t0\t-\tbin',
        `f\t0755\t19\t${sha('#!/usr/bin/env php\n')}\tbin/console`,
        `f\t0755\t1\t${sha('x')}\tbin/group-exec`,
        'd\t0755\t0\t-\tconfig',
        `f\t0644\t0\t${sha('')}\tconfig/odd`,
        `f\t0644\t5\t${sha('<?php')}\tconfig/secret.php`,
        'l\t0777\t0\t-\tcurrent-abs\t/etc/hostname',
        `f\t0644\t13\t${sha('<?php echo 1;')}\tindex.php`,
        'd\t0755\t0\t-\tpublic',
        `f\t0644\t${big.length}\t${sha(big)}\tpublic/big.bin`,
        'd\t0755\t0\t-\tstorage',
        'd\t0755\t0\t-\tstorage/empty',
        'd\t0755\t0\t-\tvendor',
        'd\t0755\t0\t-\tvendor/bin',
        'l\t0777\t0\t-\tvendor/bin/phpunit\t../phpunit/phpunit/phpunit',
        '',
      ].join('\n'),
    );
    expect(r.files).toBe(6);
    expect(r.bytes).toBe(13 + 19 + 1 + 5 + 0 + big.length);
  });

  it.each([
    ['newline', 'app/bad\nname.php', 'contains a newline', '"app/bad\\nname.php"'],
    ['tab', 'app/bad\tname.php', 'contains a tab', '"app/bad\\tname.php"'],
    ['backslash', 'app/bad\\name.php', 'contains a backslash', '"app/bad\\\\name.php"'],
    ['control character', 'app/bell\u0007.php', 'contains a control character', '"app/bell\\u0007.php"'],
  ])('refuses a name with a %s, naming the file escaped', async (_what, rel, why, quoted) => {
    const dir = makeTree(tempDir(), { 'ok.php': 'x', [rel]: 'x' });
    const err = await scanTree(dir, { exclude: [] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeployError);
    expect((err as DeployError).phase).toBe('scan');
    expect((err as DeployError).message).toContain(quoted);
    expect((err as DeployError).message).toContain(why);
    expect((err as DeployError).oneLine()).not.toMatch(/\n/);
    // Excluding it is the way out.
    await expect(scanTree(dir, { exclude: ['app/'] })).resolves.toMatchObject({ files: 1 });
  });

  it('refuses a directory name with a newline and a symlink target with one', async () => {
    const d1 = makeTree(tempDir(), { 'a\nb/x.php': 'x' });
    await expect(scanTree(d1, { exclude: [] })).rejects.toThrow(/"a\\nb": its name contains a newline/);
    const d2 = makeTree(tempDir(), { link: { symlink: 'x\ny' } });
    await expect(scanTree(d2, { exclude: [] })).rejects.toThrow(/symlink "link": its target "x\\ny" contains a newline/);
  });

  it('refuses FIFOs and sockets unless excluded', async () => {
    const dir = makeTree(tempDir(), { 'index.php': 'x', 'run/.keep': '' });
    execFileSync('mkfifo', [join(dir, 'run/queue.fifo')]);
    await expect(scanTree(dir, { exclude: [] })).rejects.toThrow(/"run\/queue.fifo": it is a FIFO; only files, directories and symlinks/);

    const dir2 = makeTree(tempDir(), { 'index.php': 'x' });
    const server = createServer();
    await new Promise<void>((r) => server.listen(join(dir2, 'php.sock'), r));
    try {
      await expect(scanTree(dir2, { exclude: [] })).rejects.toThrow(/"php.sock": it is a socket/);
      await expect(scanTree(dir2, { exclude: ['*.sock'] })).resolves.toMatchObject({ files: 1 });
    } finally {
      server.close();
    }
  });

  it('does not follow symlinks to directories', async () => {
    const dir = makeTree(tempDir(), { 'real/a.php': 'x', alias: { symlink: 'real' } });
    const r = await scanTree(dir, { exclude: [] });
    expect(r.entries.map((e) => `${e.type} ${e.path}`)).toEqual(['l alias', 'd real', 'f real/a.php']);
  });

  it('wants a readable directory as source', async () => {
    const base = tempDir();
    writeFileSync(join(base, 'file'), 'x');
    for (const p of [join(base, 'missing'), join(base, 'file')]) {
      const err = await scanTree(p, { exclude: [] }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InputError);
      expect((err as InputError).input).toBe('source');
      expect((err as InputError).message).toMatch(/must be a readable directory/);
    }
  });

  it.skipIf(process.getuid?.() === 0)('reports an unreadable subdirectory', async () => {
    const dir = makeTree(tempDir(), { 'locked/x': 'x' });
    chmodSync(join(dir, 'locked'), 0o000);
    try {
      await expect(scanTree(dir, { exclude: [] })).rejects.toThrow(/cannot read directory "locked": permission denied/);
    } finally {
      chmodSync(join(dir, 'locked'), 0o755);
    }
  });

  it('handles many files with bounded concurrency and byte-sorted output', async () => {
    const dir = tempDir();
    for (let d = 0; d < 20; d++) {
      mkdirSync(join(dir, `d${d}`));
      for (let f = 0; f < 50; f++) writeFileSync(join(dir, `d${d}`, `f${f}.php`), `<?php // ${d}/${f}`);
    }
    for (let i = 0; i < 3; i++) writeFileSync(join(dir, `big${i}.bin`), Buffer.alloc(1024 * 1024 + i, i));
    const r = await scanTree(dir, { exclude: [], concurrency: 2 });
    expect(r.files).toBe(1003);
    const paths = r.entries.map((e) => e.path);
    expect(paths).toEqual([...paths].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))));
  });
});
