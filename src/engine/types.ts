import type { Command } from '../config/options.js';

export interface PhaseTiming {
  name: string;
  ms: number;
}

export interface HostResult {
  host: string;
  ok: boolean;
  deployId?: string;
  previousDeployId?: string;
  releasePath?: string;
  /** An automatic switch back happened on this host. */
  rolledBack: boolean;
  /** How long renaming the symlink took on the server. */
  switchMs?: number;
  /** Files and bytes sent (deploy). */
  sentFiles?: number;
  sentBytes?: number;
  /** Files taken from the previous release by hard link (deploy). */
  linkedFiles?: number;
  error?: string;
}

export interface RunResult {
  command: Command;
  deployId: string;
  previousDeployId: string;
  releasePath: string;
  version: string;
  rolledBack: boolean;
  durationMs: number;
  hosts: HostResult[];
  phases: PhaseTiming[];
  files?: number;
  bytes?: number;
}

export interface ReleaseInfo {
  id: string;
  status: string;
  version?: string;
  created?: string;
  live: boolean;
}

export interface HostListing {
  host: string;
  live: string;
  releases: ReleaseInfo[];
  lock?: string;
}

/** What a front end saves so that a later process (the action's post step) can undo a dead deploy. */
export interface CleanupState {
  deployPath: string;
  deployId: string;
  token: string;
  hosts: string[];
}

export interface EngineOptions {
  signal?: AbortSignal;
  /** Called just before the first server is locked. */
  onLockTaking?: (state: CleanupState) => void;
  /** Called once nothing is held on any server any more (success or handled failure). */
  onReleased?: () => void;
  now?: () => Date;
}
