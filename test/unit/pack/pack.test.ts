import { appendFileSync, lstatSync, mkdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { gunzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { DeployError } from '../../../src/errors.js';
import { diffManifests, formatManifest, MANIFEST_NAME } from '../../../src/pack/manifest.js';
import { createPackStream, type PackOptions } from '../../../src/pack/pack.js';
import { scanTree } from '../../../src/pack/scan.js';
import { cleanupTemp, drain, execFileP, extractWithTar, makeTree, tempDir } from './helpers.js';

afterEach(cleanupTemp);

const longDir = 'vendor/' + 'really-long-package-name-'.repeat(5) + '/src/' + 'Deeply/Nested/Namespace/'.repeat(6);

function sampleTree(): string {
  return makeTree(tempDir(), {
    'index.php': '<?php require __DIR__."/vendor/autoload.php";\n',
    'bin/console': { content: '#!/usr/bin/env php\n<?php\n', mode: 0o700 },
    'config/app.php': { content: '<?php return [];\n', mode: 0o600 },
    'public/big.js': Buffer.alloc(2.5 * 1024 * 1024, 'abcdefgh'),
    'vendor/bin/phpunit': { symlink: '../phpunit/phpunit/phpunit' },
    'vendor/phpunit/phpunit/phpunit': { content: '#!/usr/bin/env php\n', mode: 0o755 },
    'storage/cache/.gitkeep': '',
    'storage/empty': { dir: true },
    [`${longDir}VeryLongClassNameThatPushesThePathPastTheUstarLimits.php`]: '<?php class X {}\n',
    'lang/日本語.php': '<?php return ["ja"];\n',
    'empty.txt': '',
    'exactly-1MiB.bin': Buffer.alloc(1024 * 1024, 'z'),
    'vendor/long-link': { symlink: `../${longDir}VeryLongClassNameThatPushesThePathPastTheUstarLimits.php` },
    '.git/HEAD': 'ref: refs/heads/main\n',
  });
}

async function scanned(dir: string) {
  const { entries } = await scanTree(dir, { exclude: [] });
  return { entries, text: formatManifest(entries) };
}

describe.each<[string, PackOptions]>([
  ['single gzip', {}],
  ['parallel gzip', { parallel: 2 }],
  ['level 6', { level: 6 }],
])('createPackStream (%s)', (_name, opts) => {
  it('extracts with GNU tar into the same tree, with normalized modes, symlinks and the manifest', async () => {
    const src = sampleTree();
    const { entries, text } = await scanned(src);
    const dest = join(tempDir(), 'release');
    const progress: { files: number; bytes: number }[] = [];
    await extractWithTar(createPackStream(src, entries, text, { ...opts, onProgress: (p) => progress.push(p) }), dest);

    for (const e of entries) {
      const a = join(dest, e.path);
      const st = lstatSync(a);
      if (e.type === 'd') expect(st.isDirectory(), e.path).toBe(true);
      if (e.type === 'l') expect(readlinkSync(a)).toBe(e.linkTarget);
      if (e.type === 'f') {
        expect(st.isFile(), e.path).toBe(true);
        expect(readFileSync(a).equals(readFileSync(join(src, e.path))), e.path).toBe(true);
      }
      if (e.type !== 'l') expect(st.mode & 0o7777, e.path).toBe(e.mode);
    }
    expect(statSync(join(dest, 'bin/console')).mode & 0o777).toBe(0o755);
    expect(statSync(join(dest, 'config/app.php')).mode & 0o777).toBe(0o644);
    expect(statSync(join(dest, 'storage/empty')).isDirectory()).toBe(true);
    expect(readFileSync(join(dest, MANIFEST_NAME), 'utf8')).toBe(text);
    expect(statSync(join(dest, MANIFEST_NAME)).mode & 0o777).toBe(0o644);
    expect(() => statSync(join(dest, '.git'))).toThrow();
    // Mtimes of files come from the source.
    expect(Math.floor(statSync(join(dest, 'index.php')).mtimeMs / 1000)).toBe(Math.floor(statSync(join(src, 'index.php')).mtimeMs / 1000));

    const last = progress.at(-1)!;
    const files = entries.filter((e) => e.type === 'f');
    expect(last.files).toBe(files.length + entries.filter((e) => e.type === 'l').length);
    expect(last.bytes).toBe(files.reduce((n, e) => n + e.size, 0));
  });

  it('writes entries in manifest order, owned by 0:0 with empty names, the manifest last', async () => {
    const src = sampleTree();
    const { entries, text } = await scanned(src);
    const dir = tempDir();
    const archive = join(dir, 'a.tar.gz');
    const chunks: Buffer[] = [];
    await pipeline(createPackStream(src, entries, text, opts), new Writable({ write: (c: Buffer, _e, cb) => (chunks.push(c), cb()) }));
    writeFileSync(archive, Buffer.concat(chunks));
    const { stdout } = await execFileP('tar', ['-tvzf', archive, '--numeric-owner'], { maxBuffer: 1 << 24 });
    const lines = stdout.trimEnd().split('\n');
    expect(lines.every((l) => / 0\/0 /.test(l))).toBe(true);
    const names = (await execFileP('tar', ['-tzf', archive])).stdout.trimEnd().split('\n').map((n) => n.replace(/\/$/, ''));
    expect(names).toEqual([...entries.map((e) => e.path), MANIFEST_NAME]);
    // Node's zlib reads it too (multi-member when parallel).
    expect(gunzipSync(Buffer.concat(chunks)).length % 512).toBe(0);
  });
});

describe('createPackStream', () => {
  it('packs a delta: only the entries to send, parent dirs created by tar', async () => {
    const src = sampleTree();
    const { entries: base } = await scanned(src);
    writeFileSync(join(src, 'config/app.php'), '<?php return ["debug" => false];\n');
    writeFileSync(join(src, 'storage/cache/new.php'), '<?php');
    const { entries, text } = await scanned(src);
    const { send } = diffManifests(entries, base);
    expect(send.map((e) => e.path)).toEqual(['config/app.php', 'storage/cache/new.php']);
    const dest = join(tempDir(), 'release');
    await extractWithTar(createPackStream(src, send, text), dest);
    const { stdout } = await execFileP('find', [dest, '-type', 'f', '-printf', '%P\n']);
    expect(stdout.trim().split('\n').sort()).toEqual([MANIFEST_NAME, 'config/app.php', 'storage/cache/new.php']);
    expect(readFileSync(join(dest, 'config/app.php'), 'utf8')).toContain('debug');
  });

  it('packs just the manifest when there is nothing to send', async () => {
    const dest = join(tempDir(), 'release');
    const text = formatManifest([]);
    await extractWithTar(createPackStream(tempDir(), [], text), dest);
    const { stdout } = await execFileP('find', [dest, '-mindepth', '1', '-printf', '%P\n']);
    expect(stdout).toBe(`${MANIFEST_NAME}\n`);
    expect(readFileSync(join(dest, MANIFEST_NAME), 'utf8')).toBe('# php-deploy manifest v1\n');
  });

  it('fails the stream when a file grew after the scan, naming it', async () => {
    const src = sampleTree();
    const { entries, text } = await scanned(src);
    const size = statSync(join(src, 'index.php')).size;
    appendFileSync(join(src, 'index.php'), '// more');
    const err = await drain(createPackStream(src, entries, text)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeployError);
    expect((err as DeployError).phase).toBe('pack');
    expect((err as DeployError).message).toContain(`"index.php" changed while packing (size ${size} → ${size + 7} bytes)`);
  });

  it('fails the stream when a large file grows while it is being packed', async () => {
    // Incompressible, and consumed slowly, so the file is still being read when it grows.
    const src = makeTree(tempDir(), { 'a.php': 'x', 'z/big.bin': randomBytes(16 * 1024 * 1024) });
    const { entries, text } = await scanned(src);
    let grown = false;
    const err = await pipeline(
      createPackStream(src, entries, text),
      new Writable({
        highWaterMark: 16 * 1024,
        write: (_c, _e, cb) => {
          if (!grown) {
            grown = true;
            appendFileSync(join(src, 'z/big.bin'), Buffer.alloc(10, 2));
          }
          setTimeout(cb, 1);
        },
      }),
    ).catch((e: unknown) => e);
    expect(grown).toBe(true);
    expect(err).toBeInstanceOf(DeployError);
    expect((err as Error).message).toMatch(/"z\/big.bin" changed while packing \(it grew past 16777216 bytes\)/);
  });

  it('fails the stream when content changed but the size did not, or a file vanished', async () => {
    const src = sampleTree();
    const { entries, text } = await scanned(src);
    writeFileSync(join(src, 'config/app.php'), '<?php return [1]\n'); // same size as before
    await expect(drain(createPackStream(src, entries, text))).rejects.toThrow(/"config\/app.php" changed while packing \(content differs from the scan\)/);

    const src2 = sampleTree();
    const s2 = await scanned(src2);
    rmSync(join(src2, 'lang/日本語.php'));
    await expect(drain(createPackStream(src2, s2.entries, s2.text))).rejects.toThrow(/"lang\/日本語.php" changed while packing \(it was deleted\)/);
  });

  it('aborts with an AbortError', async () => {
    const src = makeTree(tempDir(), { 'big.bin': Buffer.alloc(8 * 1024 * 1024, 7) });
    const { entries, text } = await scanned(src);
    const ac = new AbortController();
    const stream = createPackStream(src, entries, text, { signal: ac.signal });
    let n = 0;
    const err = await (async () => {
      for await (const c of stream) {
        n += (c as Buffer).length;
        if (n > 0) ac.abort();
      }
    })().catch((e: unknown) => e);
    expect((err as Error).name).toBe('AbortError');

    const pre = new AbortController();
    pre.abort();
    await expect(drain(createPackStream(src, entries, text, { signal: pre.signal }))).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('a consumer destroyed in the middle of a large file raises no unhandled error (upload cut or cancelled)', async () => {
    // As the deploy feeds an SSH channel: manifest, then the pack, through an async generator.
    const src = makeTree(tempDir(), { 'big.bin': randomBytes(8 * 1024 * 1024), 'x.php': 'x' });
    const { entries, text } = await scanned(src);
    const unhandled: unknown[] = [];
    const record = (e: unknown): void => void unhandled.push(e);
    process.on('uncaughtException', record);
    try {
      for (const parallel of [false, true]) {
        const pack = createPackStream(src, entries, text, { parallel, signal: new AbortController().signal });
        const stdin = Readable.from(
          (async function* () {
            yield Buffer.from('manifest');
            yield* pack;
          })(),
        );
        await new Promise<void>((resolve) => {
          let n = 0;
          stdin.on('data', (c: Buffer) => {
            n += c.length;
            if (n > 64 * 1024) stdin.destroy();
          });
          stdin.on('error', () => undefined);
          stdin.on('close', () => resolve());
        });
        await new Promise((r) => setTimeout(r, 100));
        expect(pack.destroyed).toBe(true);
      }
    } finally {
      process.off('uncaughtException', record);
    }
    expect(unhandled).toEqual([]);
  });

  it('stops reading when the consumer goes away', async () => {
    const src = makeTree(tempDir(), { 'big.bin': Buffer.alloc(8 * 1024 * 1024, 7), 'x.php': 'x' });
    const { entries, text } = await scanned(src);
    const stream = createPackStream(src, entries, text);
    const err = await pipeline(
      stream,
      new Writable({ write: (_c, _e, cb) => cb(new Error('ssh channel closed')) }),
    ).catch((e: unknown) => e);
    expect((err as Error).message).toBe('ssh channel closed');
    expect(stream.destroyed).toBe(true);
  });

  it('packs a ~50 MB tree with bounded memory', async () => {
    // 4 large files (streamed) and 1000 small ones (read whole): ~50 MB of source that gzip
    // halves, consumed by a slow reader, so only backpressure keeps memory down.
    const src = tempDir();
    // Hex text repeating only every 2 MiB: gzip (32 KiB window) cannot exploit the repeats.
    const pool = Buffer.from(randomBytes(1024 * 1024).toString('hex'));
    for (let i = 0; i < 4; i++) {
      writeFileSync(join(src, `big${i}.txt`), Buffer.concat([pool.subarray(i * 1000), pool, pool, pool, pool, pool.subarray(0, i * 1000)]));
    }
    const php = Buffer.from('<?php\nnamespace App;\nclass Foo { public function bar(): int { return 42; } }\n'.repeat(40));
    for (let d = 0; d < 10; d++) {
      mkdirSync(join(src, `vendor/pkg${d}`), { recursive: true });
      for (let f = 0; f < 100; f++) {
        const k = d * 100 + f;
        writeFileSync(join(src, `vendor/pkg${d}/F${f}.php`), Buffer.concat([php.subarray(0, 1000 + (k % 2000)), pool.subarray(k * 1500, k * 1500 + 7000)]));
      }
    }
    const scan = await scanTree(src, { exclude: [] });
    expect(scan.bytes).toBeGreaterThan(45_000_000);
    const text = formatManifest(scan.entries);

    (globalThis as { gc?: () => void }).gc?.();
    const before = process.memoryUsage().rss;
    let peak = before;
    const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
    const t0 = performance.now();
    let out = 0;
    try {
      await pipeline(
        createPackStream(src, scan.entries, text),
        new Writable({
          highWaterMark: 64 * 1024,
          write: (c: Buffer, _e, cb) => {
            out += c.length;
            peak = Math.max(peak, process.memoryUsage().rss);
            setTimeout(cb, 1);
          },
        }),
      );
    } finally {
      clearInterval(timer);
    }
    const secs = (performance.now() - t0) / 1000;
    const growth = peak - before;
    expect(out).toBeGreaterThan(0);
    expect(growth).toBeLessThan(scan.bytes * 0.4);
    expect(secs).toBeLessThan(10);
  });
});
