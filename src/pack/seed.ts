/**
 * Seeds for shared paths: a shared path (e.g. `storage`) belongs to the server and is never part of
 * a release, but the first time it is missing on a server its initial content comes from the source
 * (Laravel's storage/ skeleton), shipped under `.php-deploy-seed/<path>` and moved into shared/ there.
 */
import { createHash } from 'node:crypto';
import { lstat, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { normalizeFileMode } from './manifest.js';
import type { PackEntry } from './pack.js';
import { scanTree } from './scan.js';

export const SEED_DIR = '.php-deploy-seed';

export async function seedEntries(sourceDir: string, sharedPaths: readonly string[]): Promise<PackEntry[]> {
  const out: PackEntry[] = [];
  for (const p of sharedPaths) {
    const abs = join(sourceDir, p);
    const st = await lstat(abs).catch(() => undefined);
    if (!st) continue;
    if (st.isDirectory()) {
      out.push({ type: 'd', mode: 0o755, size: 0, path: p, archivePath: `${SEED_DIR}/${p}` });
      const scan = await scanTree(abs, { exclude: [] });
      for (const e of scan.entries) out.push({ ...e, path: `${p}/${e.path}`, archivePath: `${SEED_DIR}/${p}/${e.path}` });
    } else if (st.isFile()) {
      const data = await readFile(abs);
      const sha256 = createHash('sha256').update(data).digest('hex');
      out.push({ type: 'f', mode: normalizeFileMode(st.mode), size: data.length, sha256, path: p, archivePath: `${SEED_DIR}/${p}` });
    }
  }
  return out;
}
