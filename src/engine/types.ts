import type { Readable } from 'node:stream';
import type { Command } from '../config/options.js';
import type { Settings } from '../config/settings.js';
import type { Reporter } from '../report/reporter.js';
import type { RemoteSession } from '../ssh/session.js';

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
  /** Time between the first and the last host's switch (several hosts). */
  skewMs?: number;
  /** Facts about the kept archive (artifact id, name …), when one was kept. */
  artifact?: ArchiveFacts;
  /** The release was restored from its archive (rollback to a pruned release). */
  restored?: boolean;
  /** Only for a dry run: what would happen. */
  plan?: DeployPlan;
}

export interface HostPlan {
  host: string;
  live: string;
  /** The release the delta would start from (undefined: everything is sent). */
  base?: string;
  sendFiles: number;
  sendBytes: number;
  unchanged: number;
  removed: number;
  missingShared: string[];
  wouldPrune: string[];
  /** Set when another deploy holds the lock. */
  lock?: string;
}

export interface DeployPlan {
  deployId: string;
  version: string;
  hosts: HostPlan[];
  shared: string[];
  beforeSwitch: string[];
  afterSwitch: string[];
  reloadCommand?: string;
  healthUrl?: string;
  fpmSocket?: string;
  checks: { host?: string; id: string; severity: string; message: string }[];
  /** The real deploy would be refused (a failed check, or a lock held). */
  refused: boolean;
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

/** Facts about a kept archive (e.g. artifact id and digest), as `keep` returns them and the deploy log records them. */
export type ArchiveFacts = Record<string, string | number>;

/**
 * Where the exact archive of each release is kept (the action keeps it as a GitHub artifact); lets
 * a rollback reach a release already pruned from the servers. The engine knows only this interface:
 * it records what `keep` returns in every server's deploy log, and a restore hands exactly that
 * record back to `fetch`.
 */
export interface ArtifactStore {
  /** Keeps the archive of a release that went live; returns facts recorded in the deploy log. Absent: nothing is kept. */
  keep?(deployId: string, archivePath: string): Promise<ArchiveFacts>;
  /**
   * Fetches exactly the archive `record` (from the deploy log) names, checked against it before
   * anything is unpacked; `open` streams the `.tar.gz`.
   */
  fetch(deployId: string, record: ArchiveFacts): Promise<{ open(): Readable; cleanup(): Promise<void> }>;
}

export interface EngineOptions {
  /** Keep release archives here, and restore pruned releases from it. */
  artifacts?: ArtifactStore;
  /** Deploy under this id instead of a new one (restoring a release from its archive). */
  fixedDeployId?: string;
  signal?: AbortSignal;
  /** Called just before the first server is locked. */
  onLockTaking?: (state: CleanupState) => void;
  /** Called once nothing is held on any server any more (success or handled failure). */
  onReleased?: () => void;
  now?: () => Date;
  /** Opens one session per host (default: SSH with the settings' key and known-hosts; engine tests script one). */
  connect?: (settings: Settings, reporter: Reporter, signal?: AbortSignal, quiet?: boolean) => Promise<RemoteSession[]>;
}
