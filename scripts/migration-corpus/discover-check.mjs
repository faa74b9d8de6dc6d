#!/usr/bin/env node
/**
 * Runs migration discovery on whole repositories (git directories, e.g. bare mirrors) and prints
 * where it found migrations and what it skipped — the check that real layouts are found.
 *
 *   node scripts/migration-corpus/discover-check.mjs <git-dir>...
 */
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const out = mkdtempSync(join(tmpdir(), 'mg-discover-'));
await build({ entryPoints: [join(root, 'src/migrations/index.ts')], bundle: true, platform: 'node', format: 'esm', outfile: join(out, 'm.mjs'), logLevel: 'warning' });
const { discoverMigrations, describeDiscovery } = await import(pathToFileURL(join(out, 'm.mjs')).href);
rmSync(out, { recursive: true, force: true });

for (const gitDir of process.argv.slice(2)) {
  const git = (...a) => execFileSync('git', ['--git-dir', gitDir, ...a], { encoding: 'utf8', maxBuffer: 1 << 30 });
  const paths = git('ls-tree', '-r', '--name-only', 'HEAD').split('\n').filter(Boolean);
  const read = (p) => {
    try {
      return git('show', `HEAD:${p}`);
    } catch {
      return undefined;
    }
  };
  const t0 = Date.now();
  const d = discoverMigrations(paths, read);
  console.log(`== ${gitDir} (${paths.length} files, ${d.files.length} migrations, ${Date.now() - t0} ms)`);
  for (const line of describeDiscovery(d)) console.log(`   ${line}`);
}
