/** Small tree helpers for the artifact tests. */
import { lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { formatManifest, type ManifestEntry } from '../../src/pack/manifest.js';
import { scanTree } from '../../src/pack/scan.js';
import { makeTree } from '../unit/pack/helpers.js';
import { expect } from 'vitest';
import { DeployError } from '../../src/errors.js';

const made: string[] = [];

/** A fresh temp directory, removed by cleanupTemp(). */
export function tempDir(prefix = 'php-deploy-artifact-test-'): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  made.push(d);
  return d;
}

/** Remembers a directory made elsewhere so cleanupTemp() removes it too. */
export function trackTemp(dir: string): string {
  made.push(dir);
  return dir;
}

export function cleanupTemp(): void {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
}

/** The DeployError `p` rejects with; fails the test when it resolves or rejects with anything else. */
export async function errorOf(p: Promise<unknown>): Promise<DeployError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(DeployError);
    return e as DeployError;
  }
  throw new Error('expected a failure');
}

// One tree writer for every test that builds a source tree.
export { makeTree, type TreeSpec } from '../unit/pack/helpers.js';

/** A small PHP-app-like tree: nested dirs, an empty dir, an executable, a symlink, a 2 MiB binary file, a non-ASCII name. */
export function sampleTree(root: string): string {
  const big = Buffer.alloc(2 * 1024 * 1024);
  for (let i = 0; i < big.length; i++) big[i] = (i * 2654435761) >>> 24;
  return makeTree(root, {
    'public/index.php': '<?php require __DIR__."/../vendor/autoload.php"; echo "hello";\n',
    'public/assets/app.css': 'body { color: #333 }\n',
    'src/Kernel.php': '<?php namespace App; final class Kernel {}\n',
    'vendor/autoload.php': '<?php // autoload\n',
    'bin/console': { content: '#!/usr/bin/env php\n<?php echo 1;\n', mode: 0o755 },
    'storage/cache': { dir: true },
    'config/current.php': { symlink: '../src/Kernel.php' },
    'data/blob.bin': big,
    'lang/résumé – ünïcode.txt': 'ok\n',
  });
}

/** All entries of a tree and its manifest text, as the engine computes them. */
export async function manifestOf(dir: string): Promise<{ entries: ManifestEntry[]; manifestText: string }> {
  const { entries } = await scanTree(dir, { exclude: [] });
  return { entries, manifestText: formatManifest(entries) };
}

/** A description of a tree (type, exec bit, content or link target per path) for equality checks. */
export function describeTree(root: string, rel = '', out: Record<string, string> = {}): Record<string, string> {
  for (const name of readdirSync(join(root, rel)).sort()) {
    const p = rel ? `${rel}/${name}` : name;
    const abs = join(root, p);
    const st = lstatSync(abs);
    if (st.isSymbolicLink()) out[p] = `l -> ${readlinkSync(abs)}`;
    else if (st.isDirectory()) {
      out[p] = 'd';
      describeTree(root, p, out);
    } else out[p] = `f ${st.mode & 0o111 ? 'x' : '-'} ${readFileSync(abs).toString('base64')}`;
  }
  return out;
}

export type TarEntry = {
  name: string;
  type?: 'file' | 'directory' | 'symlink' | 'link' | 'fifo' | 'character-device';
  body?: string;
  linkname?: string;
  mode?: number;
};

/** A .tar.gz (as a Buffer) holding exactly these entries, in this order — as an attacker could write one. */
export async function tgz(entries: TarEntry[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = new Promise<void>((resolve, reject) => {
    pack.on('data', (c) => chunks.push(c as Buffer));
    pack.on('end', () => resolve());
    pack.on('error', reject);
  });
  for (const e of entries) {
    const type = e.type ?? 'file';
    const header = { name: e.name, type, mode: e.mode ?? (type === 'directory' ? 0o755 : 0o644), linkname: e.linkname };
    await new Promise<void>((resolve, reject) => {
      if (type === 'file') pack.entry({ ...header, size: Buffer.byteLength(e.body ?? '') }, e.body ?? '', (err) => (err ? reject(err) : resolve()));
      else pack.entry({ ...header, size: 0 }, (err) => (err ? reject(err) : resolve())).end(Buffer.alloc(0));
    });
  }
  pack.finalize();
  await done;
  return gzipSync(Buffer.concat(chunks));
}
