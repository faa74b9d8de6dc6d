/**
 * How the engine talks to the user. The engine knows nothing of GitHub: the action implements this
 * with @actions/core (groups, annotations), the CLI with plain lines on stderr.
 */
export interface Reporter {
  info(message: string): void;
  warn(message: string, where?: { host?: string; phase?: string }): void;
  /** A failure line (the final one-line reason is printed by the front end). */
  error(message: string, where?: { host?: string; phase?: string }): void;
  /** A named phase starts; output until endPhase belongs to it. */
  startPhase(name: string): void;
  endPhase(): void;
  /** Hides a secret from logs (the action masks it; the CLI never prints it anyway). */
  mask(secret: string): void;
  /** Debug detail (each remote command and its timing): CLI --verbose, the action's step debug log. */
  debug?(message: string): void;
}

/** Collects everything; for tests and for callers that want silence. */
export class MemoryReporter implements Reporter {
  readonly lines: string[] = [];
  info(m: string): void {
    this.lines.push(m);
  }
  warn(m: string): void {
    this.lines.push(`warning: ${m}`);
  }
  error(m: string): void {
    this.lines.push(`error: ${m}`);
  }
  startPhase(name: string): void {
    this.lines.push(`== ${name}`);
  }
  endPhase(): void {}
  mask(): void {}
}
