/**
 * The action keeps each deployed release's exact archive as a GitHub artifact, and fetches exactly
 * the recorded one back for a rollback to a release already pruned from the servers. The engine
 * sees only ArtifactStore.
 *
 * `artifact: auto` keeps archives only for private and internal repositories: an artifact can be
 * downloaded by everyone who can read the repository, which for a public one is anyone signed in to
 * GitHub — and a release archive holds vendor/, paid Composer packages included. The visibility
 * comes from the event payload the runner writes for every job (GITHUB_EVENT_PATH,
 * `repository.visibility`, else `repository.private`): no API call, no extra permission. When the
 * payload does not say, nothing is kept (set `artifact: true`).
 */
import { readFileSync } from 'node:fs';
import { removeTempDir } from '../artifact/archive.js';
import { downloadReleaseArchive, openDownloadedArchive, parseArchiveRecord, runtimeProblem, uploadReleaseArchive } from '../artifact/store.js';
import type { Settings } from '../config/settings.js';
import type { ArtifactStore } from '../engine/index.js';
import { InputError } from '../errors.js';

export type Visibility = 'public' | 'private' | 'internal';

/** The repository's visibility as the workflow event's payload states it, or undefined. */
export function repositoryVisibility(env: NodeJS.ProcessEnv): Visibility | undefined {
  if (!env.GITHUB_EVENT_PATH) return undefined;
  let repo: { visibility?: unknown; private?: unknown } | undefined;
  try {
    repo = (JSON.parse(readFileSync(env.GITHUB_EVENT_PATH, 'utf8')) as { repository?: typeof repo }).repository;
  } catch {
    return undefined;
  }
  if (repo?.visibility === 'public' || repo?.visibility === 'private' || repo?.visibility === 'internal') return repo.visibility;
  if (typeof repo?.private === 'boolean') return repo.private ? 'private' : 'public';
  return undefined;
}

export interface GithubArtifacts {
  store?: ArtifactStore;
  /** Said in the log and the summary: why no archive is kept (public repository, `artifact: auto`). */
  notice?: string;
}

/** Why `artifact: auto` keeps no archive for this repository, or undefined when it keeps one. */
export function autoSkipReason(visibility: Visibility | undefined): string | undefined {
  if (visibility === 'private' || visibility === 'internal') return undefined;
  const why =
    visibility === 'public'
      ? 'the repository is public, so its artifacts are too: anyone signed in to GitHub could download the release, vendor/ included'
      : 'the workflow event does not say whether the repository is private, so php-deploy assumes it is public';
  return `No archive of this release was kept (artifact: auto): ${why}. A rollback to a release already pruned from the servers needs one; to keep it anyway, set \`artifact: true\`.`;
}

export function githubArtifactStore(settings: Settings, env: NodeJS.ProcessEnv): GithubArtifacts {
  if (settings.artifact === 'false') return {};
  const problem = runtimeProblem(env);
  if (problem) {
    if (settings.artifact === 'true') throw new InputError('artifact', problem);
    return {};
  }
  const store: ArtifactStore = {
    async fetch(deployId, facts) {
      const d = await downloadReleaseArchive({
        deployId,
        record: parseArchiveRecord(deployId, facts),
        token: settings.githubToken,
        repository: env.GITHUB_REPOSITORY,
      });
      return { open: () => openDownloadedArchive(d), cleanup: () => removeTempDir(d.dir) };
    },
  };
  const notice = settings.artifact === 'auto' ? autoSkipReason(repositoryVisibility(env)) : undefined;
  if (notice) return { store, notice };
  store.keep = async (deployId, archivePath) => {
    const a = await uploadReleaseArchive({ deployId, archivePath, retentionDays: settings.artifactRetentionDays });
    return { artifact_id: a.id, artifact: a.name, digest: a.digest, run_id: env.GITHUB_RUN_ID ?? '' };
  };
  return { store };
}
