/**
 * The action keeps each deployed release's exact archive as a GitHub artifact, and fetches it back
 * for a rollback to a release already pruned from the servers. The engine sees only ArtifactStore.
 */
import { removeTempDir } from '../artifact/archive.js';
import { downloadReleaseArchive, runtimeProblem, uploadReleaseArchive } from '../artifact/store.js';
import type { Settings } from '../config/settings.js';
import type { ArtifactStore } from '../engine/index.js';
import { InputError } from '../errors.js';

export function githubArtifactStore(settings: Settings, env: NodeJS.ProcessEnv): ArtifactStore | undefined {
  if (settings.artifact === 'false') return undefined;
  const problem = runtimeProblem(env);
  if (problem) {
    if (settings.artifact === 'true') throw new InputError('artifact', problem);
    return undefined;
  }
  return {
    async keep(deployId, archivePath) {
      const a = await uploadReleaseArchive({ deployId, archivePath, retentionDays: settings.artifactRetentionDays });
      return { artifact_id: a.id, artifact: a.name, digest: a.digest, run_id: env.GITHUB_RUN_ID ?? '' };
    },
    async fetch(deployId) {
      const d = await downloadReleaseArchive({ deployId, token: settings.githubToken, repository: env.GITHUB_REPOSITORY });
      return { path: d.path, cleanup: () => removeTempDir(d.dir) };
    },
  };
}
