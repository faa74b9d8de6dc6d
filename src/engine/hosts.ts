/**
 * The one place that talks to servers: connects to every host (validated key, known_hosts only) and
 * runs remote commands, turning the remote script's output into events and its failures into
 * one-line errors that name the host and the phase.
 */
import type { Readable } from 'node:stream';
import type { Settings } from '../config/settings.js';
import { asDeployError, DeployError } from '../errors.js';
import { exitFacts, newNonce, RemoteOutput } from '../remote/protocol.js';
import type { Reporter } from '../report/reporter.js';
import { loadPrivateKey } from '../ssh/key.js';
import { parseKnownHosts } from '../ssh/known-hosts.js';
import { connectThrough, type ExecResult, type RemoteSession } from '../ssh/session.js';
import { PROGRAM_MISSING, viaCache } from '../remote/delivery.js';

/**
 * A remote command as the debug log shows it: the remote script that travels with every command
 * (`bash -c '<script>' php-deploy <command> k=v…`) is replaced by its size, the rest kept as sent.
 */
export function describeCommand(command: string): string {
  const prefix = "bash -c '";
  if (!command.startsWith(prefix)) return command;
  let i = prefix.length;
  // A single-quoted word ends at a quote not followed by \'' (the quoting of a quote inside it).
  for (;;) {
    const q = command.indexOf("'", i);
    if (q === -1) return command;
    if (command.startsWith("'\\''", q)) {
      i = q + 4;
      continue;
    }
    const bytes = Buffer.byteLength(command.slice(prefix.length, q));
    return `bash -c <remote script, ${(bytes / 1024).toFixed(1)} KiB>${command.slice(q + 1)}`;
  }
}

/** "<host>: connected", naming the jump hosts it went through. */
export function connectedMessage(settings: Settings, label: string): string {
  const through = settings.ssh.proxyJump.map((j) => j.label).join(' → ');
  return `${label}: connected${through ? ` through ${through}` : ''}`;
}

/** Connects to every host; `quiet` leaves reporting "connected" to the caller (a connect started early). */
export async function connectAll(settings: Settings, reporter: Reporter, signal?: AbortSignal, quiet = false): Promise<RemoteSession[]> {
  const key = loadPrivateKey(settings.ssh.privateKey, settings.ssh.passphrase);
  const knownHosts = parseKnownHosts(settings.ssh.knownHosts);
  const results = await Promise.allSettled(
    settings.hosts.map(async (target) => {
      const t0 = Date.now();
      const session = await connectThrough(target, settings.ssh.proxyJump, {
        privateKey: key.keyText,
        passphrase: settings.ssh.passphrase,
        knownHosts,
        timeoutMs: settings.ssh.timeoutMs,
        signal,
      });
      if (!quiet) reporter.info(connectedMessage(settings, target.label));
      reporter.debug?.(`${target.label}: ssh connection (handshake, host key check, authentication) took ${Date.now() - t0} ms`);
      return session;
    }),
  );
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    for (const r of results) if (r.status === 'fulfilled') r.value.close();
    const i = results.indexOf(failed);
    throw asDeployError(failed.reason, settings.hosts[i]?.label, 'connect');
  }
  return results.map((r) => (r as PromiseFulfilledResult<RemoteSession>).value);
}

export interface RunOptions {
  stdin?: Readable;
  signal?: AbortSignal;
  /** Phase named in errors when the remote script does not name one. */
  phase: string;
  /** Called for each phase the remote script starts. */
  onPhase?: (name: string) => void;
}

/** Connections that have run the cached remote program (see remote/delivery.ts). */
const programCached = new WeakSet<RemoteSession>();

/**
 * The command through the cached program when this connection has run it already, else as it is: for
 * a command that cannot be sent twice and does not go through runRemote (the lease hold).
 */
export function viaCacheOn(session: RemoteSession, command: string): string {
  return (programCached.has(session) && viaCache(command)) || command;
}

/**
 * Runs one remote command; resolves with its output, rejects with a DeployError naming host and phase.
 * The remote program goes through the server's cache when it can (remote/delivery.ts): inline only
 * when the cache misses, or for a streamed stdin on a connection that has not used the cache yet.
 */
export async function runRemote(session: RemoteSession, command: string, reporter: Reporter, opts: RunOptions): Promise<RemoteOutput> {
  const cached = viaCache(command);
  if (cached && (opts.stdin === undefined || programCached.has(session))) {
    const first = await execRemote(session, cached, reporter, opts);
    const missed = first.result.code === PROGRAM_MISSING && first.lines === 0;
    if (!missed) {
      programCached.add(session);
      return checkResult(session, first, reporter, opts);
    }
  }
  return checkResult(session, await execRemote(session, command, reporter, opts), reporter, opts);
}

interface Executed {
  out: RemoteOutput;
  result: ExecResult;
  stderrTail: string;
  lines: number;
}

async function execRemote(session: RemoteSession, command: string, reporter: Reporter, opts: RunOptions): Promise<Executed> {
  // A new nonce for every command: only lines carrying it are the remote program's (see protocol.ts).
  const nonce = newNonce();
  const out = new RemoteOutput(
    (text) => reporter.info(`${session.label}: ${text}`),
    (name) => opts.onPhase?.(name),
    nonce,
  );
  let stderrTail = '';
  let lines = 0;
  const t0 = Date.now();
  reporter.debug?.(`${session.label}: $ ${describeCommand(command)}${opts.stdin ? ' < (archive stream)' : ''}`);
  try {
    const result = await session.exec(`${command} nonce=${nonce}`, {
      stdin: opts.stdin,
      signal: opts.signal,
      onStdoutLine: (line) => {
        lines++;
        out.push(line);
      },
      onStderrLine: (line) => {
        lines++;
        stderrTail = (stderrTail + line + ' ').slice(-400);
        reporter.info(`${session.label}: ${line}`);
      },
    });
    reporter.debug?.(`${session.label}: exit ${result.code ?? result.signal} after ${Date.now() - t0} ms (${opts.phase})`);
    return { out, result, stderrTail, lines };
  } catch (err) {
    reporter.debug?.(`${session.label}: command failed after ${Date.now() - t0} ms: ${err instanceof Error ? err.message : String(err)}`);
    throw asDeployError(err, session.label, out.phases.at(-1)?.name ?? opts.phase);
  }
}

function checkResult(session: RemoteSession, { out, result, stderrTail }: Executed, reporter: Reporter, opts: RunOptions): RemoteOutput {
  for (const w of out.all('warning')) reporter.warn(`${session.label}: ${w}`, { host: session.label, phase: opts.phase });
  if (result.code !== 0) {
    if (out.failure) {
      const e = new DeployError(out.failure.message, { host: session.label, phase: out.failure.phase || opts.phase });
      e.details.rolledBack = out.result('rolled_back') === 'true';
      e.details.missingRelease = out.result('missing');
      e.details.exit = exitFacts(out);
      throw e;
    }
    const why =
      result.code === 127 || /bash: .*not found/.test(stderrTail)
        ? 'bash is not installed on the server (php-deploy needs bash, GNU coreutils, tar and gzip)'
        : `remote command exited with ${result.code ?? result.signal}${stderrTail ? `: ${stderrTail.trim()}` : ''}`;
    const e = new DeployError(why, { host: session.label, phase: out.phases.at(-1)?.name ?? opts.phase });
    e.details.exit = exitFacts(out);
    throw e;
  }
  return out;
}
