/**
 * Seeds for shared paths: a shared path (e.g. `storage`) belongs to the server and is never part of
 * a release, but the first time it is missing on a server its initial content comes from the source
 * (Laravel's storage/ skeleton), shipped under `.php-deploy-seed/<path>` and moved into shared/ there.
 *
 * A seed never carries a file the secret checks flag (a `.env` or key in the CI tree stays there), and
 * keeps each file's and directory's own permission bits (never wider than in the source).
 */
import { createHash } from 'node:crypto';
import { lstat, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { secretFindings } from '../preflight/artifact.js';
import type { Check } from '../preflight/types.js';
import type { PackEntry } from './pack.js';
import { scanTree } from './scan.js';

export const SEED_DIR = '.php-deploy-seed';

export interface Seeds {
  entries: PackEntry[];
  /** Files left out because a secret check flags them. */
  skipped: Check[];
}

/** Permission bits as in the source, without setuid/setgid/sticky. */
function ownMode(mode: number): number {
  return mode & 0o777;
}

export async function seedEntries(sourceDir: string, sharedPaths: readonly string[]): Promise<Seeds> {
  const out: PackEntry[] = [];
  for (const raw of sharedPaths) {
    const p = raw.replace(/\/+$/, '');
    const abs = join(sourceDir, p);
    const st = await lstat(abs).catch(() => undefined);
    if (!st) continue;
    if (st.isDirectory()) {
      out.push({ type: 'd', mode: ownMode(st.mode), size: 0, path: p, archivePath: `${SEED_DIR}/${p}` });
      const scan = await scanTree(abs, { exclude: [] });
      for (const e of scan.entries) {
        const mode = e.type === 'l' ? e.mode : ownMode((await lstat(join(abs, e.path))).mode);
        out.push({ ...e, mode, path: `${p}/${e.path}`, archivePath: `${SEED_DIR}/${p}/${e.path}` });
      }
    } else if (st.isFile()) {
      const data = await readFile(abs);
      const sha256 = createHash('sha256').update(data).digest('hex');
      out.push({ type: 'f', mode: ownMode(st.mode), size: data.length, sha256, path: p, archivePath: `${SEED_DIR}/${p}` });
    }
  }
  const skipped = await secretFindings(sourceDir, out);
  const flagged = new Set(skipped.map((c) => c.path));
  return { entries: out.filter((e) => !flagged.has(e.path)), skipped };
}
