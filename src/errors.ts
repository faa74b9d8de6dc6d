/**
 * Every failure the user sees is one line: "<host>: <phase>: <cause>" for work on a server,
 * "<input>: <what is wrong and what to do>" for bad input.
 */
import type { HostResult } from './engine/types.js';
import type { ExitFacts } from './remote/protocol.js';

export class DeployError extends Error {
  readonly host?: string;
  readonly phase?: string;
  /** Facts known at the time of failure (e.g. that a switch back happened), for outputs and summaries. */
  details: {
    rolledBack?: boolean;
    deployId?: string;
    previousDeployId?: string;
    missingRelease?: string;
    /** Per-host results of a deploy that failed (what each host did, which were switched back). */
    hosts?: HostResult[];
    /** What the remote command's exit path did (lock, release, renewer, switch back), when it said. */
    exit?: ExitFacts;
  } = {};

  constructor(message: string, opts: { host?: string; phase?: string; cause?: unknown } = {}) {
    super(message, { cause: opts.cause });
    this.name = 'DeployError';
    this.host = opts.host;
    this.phase = opts.phase;
  }

  /** The one line printed for this failure. */
  oneLine(): string {
    const where = [this.host, this.phase].filter(Boolean).join(': ');
    return ((where ? `${where}: ` : '') + this.message.replace(/\s*\n\s*/g, ' ')).trim();
  }

  /** The same error, placed at a host and phase unless it already names them. */
  at(host: string | undefined, phase: string | undefined): DeployError {
    if ((this.host ?? host) === this.host && (this.phase ?? phase) === this.phase) return this;
    const e = new DeployError(this.message, { host: this.host ?? host, phase: this.phase ?? phase, cause: this.cause });
    e.details = this.details;
    return e;
  }
}

/** A bad input value: names the input, says what to do. Raised before anything touches a server. */
export class InputError extends DeployError {
  readonly input: string;

  constructor(input: string, message: string) {
    super(`${input}: ${message}`);
    this.name = 'InputError';
    this.input = input;
  }

  /** Bad input is never placed at a host or phase: it names the input, and stays an InputError (exit 2). */
  override at(): DeployError {
    return this;
  }
}

/** Wraps anything thrown into a DeployError placed at host and phase. */
export function asDeployError(err: unknown, host?: string, phase?: string): DeployError {
  if (err instanceof DeployError) return err.at(host, phase);
  const message = err instanceof Error ? err.message : String(err);
  return new DeployError(message, { host, phase, cause: err });
}
