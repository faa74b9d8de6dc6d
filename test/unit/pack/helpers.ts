import { execFile, spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';

export const execFileP = promisify(execFile);

const made: string[] = [];

/** A fresh temp directory, removed by cleanupTemp(). */
export function tempDir(prefix = 'php-deploy-pack-'): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  made.push(d);
  return d;
}

export function cleanupTemp(): void {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
}

export type TreeSpec = Record<string, string | Buffer | { content: string | Buffer; mode: number } | { symlink: string } | { dir: true }>;

/** Writes a tree: `path: content`, `{content, mode}`, `{symlink: target}` or `{dir: true}`. */
export function makeTree(root: string, spec: TreeSpec): string {
  for (const [rel, v] of Object.entries(spec)) {
    const abs = join(root, rel);
    mkdirSync(dirname(abs), { recursive: true });
    if (typeof v === 'string' || Buffer.isBuffer(v)) writeFileSync(abs, v);
    else if ('symlink' in v) symlinkSync(v.symlink, abs);
    else if ('dir' in v) mkdirSync(abs, { recursive: true });
    else {
      writeFileSync(abs, v.content);
      chmodSync(abs, v.mode);
    }
  }
  return root;
}

/** Pipes a pack stream into the real GNU `tar -xzpf - -C dest`; rejects on a stream or tar error. */
export async function extractWithTar(stream: Readable, dest: string): Promise<void> {
  mkdirSync(dest, { recursive: true });
  const tar = spawn('tar', ['-xzpf', '-', '-C', dest], { stdio: ['pipe', 'ignore', 'pipe'] });
  let stderr = '';
  tar.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number>((resolve) => tar.on('close', (code) => resolve(code ?? -1)));
  await pipeline(stream, tar.stdin);
  const code = await exited;
  if (code !== 0) throw new Error(`tar exited ${code}: ${stderr}`);
}

/** Consumes a stream, resolving with its byte count or rejecting with its error. */
export async function drain(stream: Readable): Promise<number> {
  let n = 0;
  for await (const chunk of stream) n += (chunk as Buffer).length;
  return n;
}
