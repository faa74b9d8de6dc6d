/** The engine: knows nothing of GitHub or of command lines. Front ends build Settings and a Reporter. */
export { runDeploy } from './deploy.js';
export { runList, runRollback, runUnlock } from './manage.js';
export { abortDeploy } from './cleanup.js';
export type { ArchiveFacts, ArtifactStore, CleanupState, EngineOptions, HostListing, HostResult, RunResult } from './types.js';
