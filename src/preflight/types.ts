/**
 * The result of one local preflight check. Structurally a `CheckResult` of src/engine/preflight.ts
 * (without the host), so the engine can report these next to the server's checks.
 */
export type CheckSeverity = 'error' | 'warning' | 'info';

export interface Check {
  /** Stable id, e.g. 'symlink-absolute', 'platform-php', 'platform-ext'. */
  id: string;
  severity: CheckSeverity;
  /** One line: what was found, what is needed, how to fix it. */
  message: string;
  /** The release path the check is about, when there is one. */
  path?: string;
}
