/**
 * The migration guard, before anything changes on any server: the migrations this release adds
 * (those the live release does not have) are scanned for irreversible or backward-incompatible
 * changes, so that rolling back the code stays safe without rolling back the schema.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Settings } from '../config/settings.js';
import { parseManifest, type ManifestEntry } from '../pack/manifest.js';
import {
  DEFAULT_MIGRATION_GLOBS,
  describeDiscovery,
  discoverMigrations,
  guardError,
  guardVerdict,
  scanMigrationFiles,
  type Discovery,
} from '../migrations/index.js';
import type { Reporter } from '../report/reporter.js';

const discovered = new WeakMap<readonly ManifestEntry[], Discovery>();

/**
 * The release's migrations: where the project's configuration and the files themselves say they
 * are, or only the `migrations-path` globs when those were given (computed once per scan).
 */
export function releaseMigrations(settings: Settings, entries: readonly ManifestEntry[]): Discovery {
  let d = discovered.get(entries);
  if (d) return d;
  const globs = settings.migrationsPath;
  const isDefault = globs.length === DEFAULT_MIGRATION_GLOBS.length && globs.every((g, i) => g === DEFAULT_MIGRATION_GLOBS[i]);
  const read = (p: string): string | undefined => {
    try {
      return readFileSync(join(settings.source, p), 'utf8');
    } catch {
      return undefined;
    }
  };
  const paths = entries.filter((e) => e.type === 'f').map((e) => e.path.replace(/^(?:\.\/)+/, ''));
  d = discoverMigrations(paths, read, isDefault ? {} : { globs });
  discovered.set(entries, d);
  return d;
}

export interface GuardResult {
  /** Migration files this release adds (empty on a first deploy or when none are new). */
  added: string[];
  /** The guard refused the release (forbid, or the dry run's verdict). */
  refused: boolean;
}

export async function guardMigrations(
  settings: Settings,
  entries: readonly ManifestEntry[],
  live: { id: string; manifest?: string },
  reporter: Reporter,
): Promise<GuardResult> {
  const found = releaseMigrations(settings, entries);
  for (const line of describeDiscovery(found)) reporter.info(line);
  const files = found.files;
  if (files.length === 0) return { added: [], refused: false };
  if (!live.id) {
    reporter.info(`migrations: ${files.length} found; first deploy, so there is no release to stay compatible with`);
    return { added: files, refused: false };
  }
  if (!live.manifest) {
    reporter.warn(`migrations: the live release ${live.id} has no manifest (deployed by other means); its migrations are unknown, so none are checked`);
    return { added: [], refused: false };
  }
  const liveFiles = new Set(parseManifest(live.manifest).map((e) => e.path));
  const added = files.filter((f) => !liveFiles.has(f));
  if (added.length === 0) {
    reporter.info(`migrations: none new since ${live.id}`);
    return { added, refused: false };
  }
  reporter.info(`migrations: ${added.length} new since ${live.id}: ${added.join(', ')}`);
  if (settings.migrations === 'off') return { added, refused: false };
  const findings = await scanMigrationFiles(settings.source, files, {
    inRelease: (p) => !liveFiles.has(p),
    sequence: (p) => found.sequence.get(p) ?? '',
  });
  const verdict = guardVerdict(findings, settings.migrations);
  for (const line of verdict.lines) {
    if (verdict.refused) reporter.error(line, { phase: 'migration-guard' });
    else reporter.warn(line, { phase: 'migration-guard' });
  }
  for (const line of verdict.unknownLines) reporter.warn(line, { phase: 'migration-guard' });
  const err = guardError(verdict);
  if (err && !settings.dryRun) throw err.at(undefined, 'migration-guard');
  return { added, refused: verdict.refused };
}
