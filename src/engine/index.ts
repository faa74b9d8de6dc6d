/** The engine: knows nothing of GitHub or of command lines. Front ends build Settings and a Reporter. */
import type { runDeploy as RunDeploy } from './deploy.js';

/**
 * A deploy: its code (packing, the migration guard, the preflight checks) is loaded when a deploy
 * starts, so that a rollback, list or unlock never parses it.
 */
export async function runDeploy(...args: Parameters<typeof RunDeploy>): ReturnType<typeof RunDeploy> {
  const { runDeploy: run } = await import('./deploy.js');
  return run(...args);
}
export { runList, runRollback, runUnlock } from './manage.js';
export { abortDeploy } from './cleanup.js';
export type { ArchiveFacts, ArtifactStore, CleanupState, EngineOptions, HostListing, HostResult, RunResult } from './types.js';
