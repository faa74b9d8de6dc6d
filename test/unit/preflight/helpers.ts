import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { ManifestEntry } from '../../../src/pack/manifest.js';

const made: string[] = [];

export function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'php-deploy-preflight-'));
  made.push(d);
  return d;
}

export function cleanupTemp(): void {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
}

export type Spec = Record<string, string | object | { symlink: string } | { dir: true }>;

/** Writes `path: text`, `path: <object as JSON>`, `{symlink}` or `{dir: true}` under a new temp dir. */
export function makeTree(spec: Spec, root = tempDir()): string {
  for (const [rel, v] of Object.entries(spec)) {
    const abs = join(root, rel);
    mkdirSync(dirname(abs), { recursive: true });
    if (typeof v === 'string') writeFileSync(abs, v);
    else if ('symlink' in v) symlinkSync((v as { symlink: string }).symlink, abs);
    else if ('dir' in v) mkdirSync(abs, { recursive: true });
    else writeFileSync(abs, JSON.stringify(v, null, 2));
  }
  return root;
}

/** The manifest entries of a tree, as the scan produces them (no excludes). */
export function entriesOf(root: string): ManifestEntry[] {
  const out: ManifestEntry[] = [];
  const walk = (rel: string): void => {
    for (const name of readdirSync(rel === '' ? root : join(root, rel))) {
      const p = rel === '' ? name : `${rel}/${name}`;
      const st = lstatSync(join(root, p));
      if (st.isSymbolicLink()) out.push({ type: 'l', mode: 0o777, size: 0, path: p, linkTarget: readlinkSync(join(root, p)) });
      else if (st.isDirectory()) {
        out.push({ type: 'd', mode: 0o755, size: 0, path: p });
        walk(p);
      } else {
        const buf = readFileSync(join(root, p));
        out.push({ type: 'f', mode: 0o644, size: buf.length, sha256: createHash('sha256').update(buf).digest('hex'), path: p });
      }
    }
  };
  walk('');
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
