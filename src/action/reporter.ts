import * as core from './runner.js';
import type { Reporter } from '../report/reporter.js';

/** Log groups per phase, annotations naming host and phase. */
export class ActionReporter implements Reporter {
  private open = false;
  info(m: string): void {
    core.info(m);
  }
  warn(m: string, where?: { host?: string; phase?: string }): void {
    core.warning(m, { title: title(where) });
  }
  error(m: string, where?: { host?: string; phase?: string }): void {
    core.error(m, { title: title(where) });
  }
  startPhase(name: string): void {
    if (this.open) core.endGroup();
    core.startGroup(name);
    this.open = true;
  }
  endPhase(): void {
    if (this.open) core.endGroup();
    this.open = false;
  }
  mask(secret: string): void {
    core.setSecret(secret);
  }
  /** Shown when the run has step debug logging on (ACTIONS_STEP_DEBUG or "Re-run with debug logging"). */
  debug(m: string): void {
    core.debug(m);
  }
}

function title(where?: { host?: string; phase?: string }): string | undefined {
  if (!where?.host && !where?.phase) return undefined;
  return `php-deploy${where.host ? ` ${where.host}` : ''}${where.phase ? ` (${where.phase})` : ''}`;
}
