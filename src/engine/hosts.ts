/**
 * The one place that talks to servers: connects to every host (validated key, known_hosts only) and
 * runs remote commands, turning the remote script's output into events and its failures into
 * one-line errors that name the host and the phase.
 */
import type { Readable } from 'node:stream';
import type { Settings } from '../config/settings.js';
import { asDeployError, DeployError } from '../errors.js';
import { RemoteOutput } from '../remote/protocol.js';
import type { Reporter } from '../report/reporter.js';
import { loadPrivateKey } from '../ssh/key.js';
import { parseKnownHosts } from '../ssh/known-hosts.js';
import { connectSsh, type RemoteSession } from '../ssh/session.js';

/** Connects to every host; `quiet` leaves reporting "connected" to the caller (a connect started early). */
export async function connectAll(settings: Settings, reporter: Reporter, signal?: AbortSignal, quiet = false): Promise<RemoteSession[]> {
  const key = loadPrivateKey(settings.ssh.privateKey, settings.ssh.passphrase);
  const knownHosts = parseKnownHosts(settings.ssh.knownHosts);
  const results = await Promise.allSettled(
    settings.hosts.map(async (target) => {
      const session = await connectSsh(target, {
        privateKey: key.keyText,
        passphrase: settings.ssh.passphrase,
        knownHosts,
        timeoutMs: settings.ssh.timeoutMs,
        signal,
      });
      if (!quiet) reporter.info(`${target.label}: connected`);
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

/** Runs one remote command; resolves with its output, rejects with a DeployError naming host and phase. */
export async function runRemote(session: RemoteSession, command: string, reporter: Reporter, opts: RunOptions): Promise<RemoteOutput> {
  const out = new RemoteOutput(
    (text) => reporter.info(`${session.label}: ${text}`),
    (name) => opts.onPhase?.(name),
  );
  let stderrTail = '';
  let result;
  try {
    result = await session.exec(command, {
      stdin: opts.stdin,
      signal: opts.signal,
      onStdoutLine: (line) => out.push(line),
      onStderrLine: (line) => {
        stderrTail = (stderrTail + line + ' ').slice(-400);
        reporter.info(`${session.label}: ${line}`);
      },
    });
  } catch (err) {
    throw asDeployError(err, session.label, out.phases.at(-1)?.name ?? opts.phase);
  }
  for (const w of out.all('warning')) reporter.warn(`${session.label}: ${w}`, { host: session.label, phase: opts.phase });
  if (result.code !== 0) {
    if (out.failure) {
      const e = new DeployError(out.failure.message, { host: session.label, phase: out.failure.phase || opts.phase });
      e.details.rolledBack = out.result('rolled_back') === 'true';
      e.details.missingRelease = out.result('missing');
      throw e;
    }
    const why =
      result.code === 127 || /bash: .*not found/.test(stderrTail)
        ? 'bash is not installed on the server (php-deploy needs bash, GNU coreutils, tar and gzip)'
        : `remote command exited with ${result.code ?? result.signal}${stderrTail ? `: ${stderrTail.trim()}` : ''}`;
    throw new DeployError(why, { host: session.label, phase: out.phases.at(-1)?.name ?? opts.phase });
  }
  return out;
}
