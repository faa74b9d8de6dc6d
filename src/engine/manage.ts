/**
 * rollback, list and unlock: one SSH connection and one remote command per host.
 */
import { randomUUID } from 'node:crypto';
import type { Settings } from '../config/settings.js';
import { asDeployError, DeployError } from '../errors.js';
import { listCommand, rollbackCommand, unlockCommand } from '../remote/commands.js';
import type { Reporter } from '../report/reporter.js';
import type { RemoteSession } from '../ssh/session.js';
import { connectAll, runRemote } from './hosts.js';
import { Phases } from './phases.js';
import { restoreFromArchive } from './restore.js';
import type { EngineOptions, HostListing, HostResult, RunResult } from './types.js';

async function withSessions<T>(
  settings: Settings,
  reporter: Reporter,
  phases: Phases,
  fn: (s: RemoteSession[]) => Promise<T>,
  opts: EngineOptions = {},
): Promise<T> {
  const connect = opts.connect ?? connectAll;
  const sessions = await phases.run('connect', () => connect(settings, reporter));
  try {
    return await fn(sessions);
  } finally {
    for (const s of sessions) s.close();
  }
}

/**
 * Rollback: one round trip per host. A release already pruned from the servers is restored from its
 * kept archive (when the front end provides an ArtifactStore) and deployed with the usual checks.
 */
export async function runRollback(settings: Settings, reporter: Reporter, opts: EngineOptions = {}): Promise<RunResult> {
  try {
    return await rollbackOnServers(settings, reporter, opts);
  } catch (err) {
    const e = asDeployError(err);
    const id = settings.deployId;
    if (!id || e.details.missingRelease !== id || !opts.artifacts) throw err;
    return restoreFromArchive(settings, reporter, opts, opts.artifacts, id);
  }
}

async function rollbackOnServers(settings: Settings, reporter: Reporter, opts: EngineOptions): Promise<RunResult> {
  const started = Date.now();
  const phases = new Phases(reporter);
  const token = `rollback.${randomUUID()}`;
  const hosts: HostResult[] = await withSessions(settings, reporter, phases, async (sessions) => {
    // Several hosts must agree on one target that every one of them has, completed.
    let target = settings.deployId;
    if (sessions.length > 1) {
      target = await phases.run('check', () => agreeOnTarget(sessions, settings, reporter));
    }
    const s = { ...settings, deployId: target };
    return phases.run('rollback', () =>
      Promise.all(
        sessions.map(async (session): Promise<HostResult> => {
          const out = await runRemote(session, rollbackCommand(s, token), reporter, {
            phase: 'rollback',
            onPhase: (name) => reporter.info(`${session.label}: ${name}`),
          });
          const target = out.result('target') ?? '';
          const switchMs = Number(out.result('switch_ms') ?? NaN);
          reporter.info(`${session.label}: live release is now ${target} (switch took ${switchMs} ms)`);
          return {
            host: session.label,
            ok: true,
            deployId: target,
            previousDeployId: out.result('previous') ?? '',
            releasePath: `${settings.deployPath}/releases/${target}`,
            rolledBack: out.result('rolled_back') === 'true',
            switchMs,
          };
        }),
      ),
    );
  }, opts);
  opts.onReleased?.();
  const first = hosts[0];
  return {
    command: 'rollback',
    deployId: first?.deployId ?? '',
    previousDeployId: first?.previousDeployId ?? '',
    releasePath: first?.releasePath ?? '',
    version: '',
    rolledBack: hosts.some((h) => h.rolledBack),
    durationMs: Date.now() - started,
    hosts,
    phases: phases.timings,
  };
}

/** The rollback target for several hosts: the one asked for, else the first host's previous release. */
async function agreeOnTarget(sessions: RemoteSession[], settings: Settings, reporter: Reporter): Promise<string> {
  const listings = await Promise.all(
    sessions.map(async (session) => ({ session, out: await runRemote(session, listCommand(settings), reporter, { phase: 'check' }) })),
  );
  let target = settings.deployId;
  if (!target) {
    const first = listings[0]!;
    const live = first.out.result('live') ?? '';
    const older = first.out.releases.filter((r) => r.status === 'ok' && r.id < live).map((r) => r.id).sort();
    target = older.at(-1);
    if (!target) throw new DeployError(`there is no completed release before ${live || 'the live one'} to roll back to`, { host: first.session.label, phase: 'check' });
  }
  const missing = listings.filter(({ out }) => !out.releases.some((r) => r.id === target && (r.status === 'ok' || r.status === 'live')));
  if (missing.length === listings.length && !listings.some(({ out }) => out.releases.some((r) => r.id === target))) {
    const e = new DeployError(`release ${target} does not exist on any host (see 'php-deploy list')`, { phase: 'check' });
    e.details.missingRelease = target;
    throw e;
  }
  if (missing.length > 0) {
    throw new DeployError(
      `release ${target} is missing or incomplete on ${missing.map((m) => m.session.label).join(', ')}; nothing was switched (see 'php-deploy list')`,
      { phase: 'check' },
    );
  }
  reporter.info(`rolling back ${sessions.length} hosts to ${target}`);
  return target;
}

export async function runList(settings: Settings, reporter: Reporter): Promise<HostListing[]> {
  const phases = new Phases(reporter);
  return withSessions(settings, reporter, phases, (sessions) =>
    phases.run('list', () =>
      Promise.all(
        sessions.map(async (session): Promise<HostListing> => {
          const out = await runRemote(session, listCommand(settings), reporter, { phase: 'list' });
          const live = out.result('live') ?? '';
          return {
            host: session.label,
            live,
            lock: out.lock,
            releases: out.releases.map((r) => ({
              id: r.id,
              status: r.status,
              version: r.meta.version,
              created: r.meta.created,
              live: r.id === live,
            })),
          };
        }),
      ),
    ),
  );
}

export async function runUnlock(settings: Settings, reporter: Reporter): Promise<{ host: string; removed?: string }[]> {
  const phases = new Phases(reporter);
  return withSessions(settings, reporter, phases, (sessions) =>
    phases.run('unlock', () =>
      Promise.all(
        sessions.map(async (session) => {
          try {
            const out = await runRemote(session, unlockCommand(settings), reporter, { phase: 'unlock' });
            return { host: session.label, removed: out.result('unlocked') };
          } catch (err) {
            throw asDeployError(err, session.label, 'unlock');
          }
        }),
      ),
    ),
  );
}
