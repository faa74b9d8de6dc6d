/**
 * The migration guard, before anything changes on any server: the migrations this release adds
 * (those the live release does not have) are scanned for irreversible or backward-incompatible
 * changes, so that rolling back the code stays safe without rolling back the schema.
 */
import type { Settings } from '../config/settings.js';
import { parseManifest, type ManifestEntry } from '../pack/manifest.js';
import { findMigrationFiles, guardError, guardVerdict, scanMigrationFiles } from '../migrations/index.js';
import type { Reporter } from '../report/reporter.js';

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
  const files = findMigrationFiles(entries, settings.migrationsPath);
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
  const findings = await scanMigrationFiles(settings.source, files, { inRelease: (p) => !liveFiles.has(p) });
  const verdict = guardVerdict(findings, settings.migrations);
  for (const line of verdict.lines) {
    if (verdict.refused) reporter.error(line, { phase: 'migration-guard' });
    else reporter.warn(line, { phase: 'migration-guard' });
  }
  const err = guardError(verdict);
  if (err && !settings.dryRun) throw err.at(undefined, 'migration-guard');
  return { added, refused: verdict.refused };
}
