/**
 * Checks before anything changes: local ones on the artifact (before connecting) and one read-only
 * round trip per server (before the lock). Every failed check is one line naming the host, the check,
 * what was found, what is needed and how to fix it.
 */
import { lstatSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Settings } from '../config/settings.js';
import { checkPlatform, platformOverrides, platformRequirements } from '../preflight/platform.js';
import { DeployError } from '../errors.js';
import { preflightCommand } from '../remote/commands.js';
import type { Reporter } from '../report/reporter.js';
import type { RemoteSession } from '../ssh/session.js';
import { runRemote } from './hosts.js';

export type Severity = 'ok' | 'info' | 'warning' | 'error';

export interface CheckResult {
  /** Host label, or undefined for checks of the local artifact. */
  host?: string;
  id: string;
  severity: Severity;
  message: string;
}

export interface PhpRuntime {
  php: string;
  extensions: string[];
}

export interface ServerFacts {
  host: string;
  /** The live release and its manifest (when asked for: the migration guard needs it). */
  live?: string;
  liveManifest?: string;
  checks: CheckResult[];
  fpm?: PhpRuntime;
  cli?: PhpRuntime;
  /** What each existing shared path is on the server (following a symlink there): d, f or o(ther). */
  sharedTypes: Map<string, string>;
}

function parseRuntime(json: string | undefined): PhpRuntime | undefined {
  if (!json) return undefined;
  try {
    const v = JSON.parse(json) as { php?: unknown; extensions?: unknown };
    if (typeof v.php !== 'string' || !Array.isArray(v.extensions)) return undefined;
    return { php: v.php, extensions: v.extensions.map(String) };
  } catch {
    return undefined;
  }
}

/** One read-only round trip: tools, layout, permissions, disk, php-fpm and CLI platform, reload command. */
export async function checkServer(
  session: RemoteSession,
  settings: Settings,
  needBytes: number,
  reporter: Reporter,
  opts: { wantManifest?: boolean } = {},
): Promise<ServerFacts> {
  const out = await runRemote(session, preflightCommand(settings, needBytes, opts), reporter, { phase: 'preflight' });
  return {
    host: session.label,
    live: out.result('live'),
    liveManifest: out.manifest,
    checks: out.checks.map((c) => ({ host: session.label, id: c.id, severity: (c.severity as Severity) ?? 'info', message: c.message })),
    fpm: parseRuntime(out.result('fpm_platform')),
    cli: parseRuntime(out.result('cli_platform')),
    sharedTypes: new Map(
      out.all('shared_type').map((v) => {
        const [type = '', ...path] = v.split(' ');
        return [path.join(' '), type];
      }),
    ),
  };
}

const TYPE_NAME: Record<string, string> = { d: 'a directory', f: 'a file', l: 'a symlink', o: 'neither a file nor a directory' };

function localType(path: string): string | undefined {
  try {
    const st = lstatSync(path);
    return st.isDirectory() ? 'd' : st.isFile() ? 'f' : st.isSymbolicLink() ? 'l' : 'o';
  } catch {
    return undefined;
  }
}

/**
 * A shared path must be the same type everywhere: in shared/ on the server, in the source (which the
 * app was built and tested with) and as declared (a trailing / means a directory). A release never
 * gets a directory where it expects a file; nothing is replaced to make them agree.
 */
export function sharedTypeChecks(settings: Settings, facts: Pick<ServerFacts, 'host' | 'sharedTypes'>): CheckResult[] {
  const out: CheckResult[] = [];
  for (const raw of settings.shared) {
    const p = raw.replace(/\/+$/, '');
    const wantDir = raw.endsWith('/');
    const server = facts.sharedTypes.get(p);
    const local = localType(join(settings.source, p));
    const fail = (message: string): void => {
      out.push({ host: facts.host, id: 'shared-type', severity: 'error', message });
    };
    if (server && server !== 'd' && server !== 'f') {
      fail(`shared/${p} on the server is ${TYPE_NAME[server] ?? server}; make it a directory or a file`);
    } else if (server && local && local !== 'l' && local !== server) {
      fail(
        `${p} is ${TYPE_NAME[server]} in shared/ on the server but ${TYPE_NAME[local]} in the source; make them the same (move shared/${p} aside on the server, or fix the source)`,
      );
    } else if (wantDir && server === 'f') {
      fail(`shared '${raw}' is declared a directory (trailing /) but shared/${p} on the server is a file; move it aside or drop the /`);
    } else if (wantDir && local === 'f') {
      fail(`shared '${raw}' is declared a directory (trailing /) but ${p} in the source is a file; fix the source or drop the /`);
    }
  }
  return out;
}

/** Prints every check; errors become one line each. */
export function reportChecks(checks: readonly CheckResult[], reporter: Reporter): void {
  for (const c of checks) {
    const where = `${c.host ? `${c.host}: ` : ''}${c.id}`;
    if (c.severity === 'error') reporter.error(`${where}: ${c.message}`, { host: c.host, phase: 'preflight' });
    else if (c.severity === 'warning') reporter.warn(`${where}: ${c.message}`, { host: c.host, phase: 'preflight' });
    else reporter.info(`${where}: ${c.message}`);
  }
}

/** The error for failed checks: the first one, and how many more there are. */
export function checksError(checks: readonly CheckResult[], phase = 'preflight'): DeployError | undefined {
  const errors = checks.filter((c) => c.severity === 'error');
  const first = errors[0];
  if (!first) return undefined;
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more failed check${errors.length > 2 ? 's' : ''} above)` : '';
  return new DeployError(`${first.id}: ${first.message}${more}`, { host: first.host, phase });
}

/** composer.lock's platform requirements against the PHP of the php-fpm pool (and of the CLI, when hooks run php). */
export function platformChecks(settings: Settings, facts: ServerFacts): CheckResult[] {
  let lock: string;
  try {
    lock = readFileSync(join(settings.source, 'composer.lock'), 'utf8');
  } catch {
    return [];
  }
  const reqs = platformRequirements(lock);
  const overrides = platformOverrides(lock);
  const out: CheckResult[] = [];
  if (facts.fpm) {
    const where = `php-fpm pool at ${settings.fpmSocket}`;
    out.push(...checkPlatform(reqs, facts.fpm, where, { overrides }).map((c) => ({ ...c, host: facts.host })));
  }
  if (facts.cli) {
    out.push(...checkPlatform(reqs, facts.cli, 'php CLI (runs before-switch)', { overrides }).map((c) => ({ ...c, host: facts.host })));
  }
  return out;
}
