/**
 * Making an uploaded release live.
 *
 * One host: `activate`, one round trip (prepare, switch, finish on the server).
 * Several hosts, all-at-once: prepare on every host (once-commands on the first one, before the
 *   others); only when every host is ready, switch them all at the same moment; if any host fails its
 *   switch or its checks, every host is switched back; then finish everywhere.
 * Several hosts, rolling: batch by batch prepare, switch and finish; when a batch fails, the batches
 *   already switched are switched back (or kept, with rolling-failure: keep) and the rest is undone.
 */
import type { Settings } from '../config/settings.js';
import { asDeployError, DeployError } from '../errors.js';
import { abortCommand, activateCommand, rollbackCommand, type ActivationStep, type DeployRef } from '../remote/commands.js';
import type { Reporter } from '../report/reporter.js';
import type { RemoteSession } from '../ssh/session.js';
import { exitFacts, type ExitFacts } from '../remote/protocol.js';
import { runRemote } from './hosts.js';
import type { HostResult } from './types.js';

export interface ActiveHost {
  session: RemoteSession;
  result: HostResult;
  /** We hold this host's lock (it must be released by finish, abort or the remote script). */
  locked: boolean;
  /** The new release is live on this host (switch succeeded, finish not yet run). */
  switched?: boolean;
  /** finish ran: the release is completed and live here. */
  done?: boolean;
  switchAtMs?: number;
}

/** Runs fn over items with at most `limit` at once; rejects with the first error after all settle. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  let firstError: unknown;
  let failed = false;
  async function worker(): Promise<void> {
    while (next < items.length) {
      const i = next++;
      try {
        results[i] = await fn(items[i] as T, i);
      } catch (err) {
        if (!failed) {
          failed = true;
          firstError = err;
        }
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(Math.max(limit, 1), items.length) }, worker));
  if (failed) throw firstError;
  return results;
}

async function step(h: ActiveHost, s: Settings, ref: DeployRef, name: ActivationStep, reporter: Reporter, once = false, backup = false): Promise<void> {
  try {
    const out = await runRemote(h.session, activateCommand(s, ref, name, { once, backup }), reporter, {
      phase: name,
      onPhase: (p) => reporter.info(`${h.session.label}: ${p}`),
    });
    if (out.result('switch_at_ms')) h.switchAtMs = Number(out.result('switch_at_ms'));
    if (out.result('switch_ms')) h.result.switchMs = Number(out.result('switch_ms'));
    if (name === 'switch') h.switched = true;
    if (name === 'finish' || name === 'activate') {
      h.done = true;
      h.switched = true;
      h.result.ok = true;
      h.locked = false;
    }
    applyExit(h, exitFacts(out));
  } catch (err) {
    const e = asDeployError(err, h.session.label, name);
    if (e.details.rolledBack) h.result.rolledBack = true;
    h.result.error = e.oneLine();
    applyExit(h, e.details.exit);
    throw e;
  }
}

/**
 * What the server's exit path said it did. Without a word from it about the lock (the connection
 * dropped, the worker was killed, or it stopped before reaching the lock) the lock is taken as still
 * held, so the abort runs (or the post step, or the lease expires) rather than nothing.
 */
export function applyExit(h: ActiveHost, exit: ExitFacts | undefined): void {
  // 'none': the command never got as far as the lock (it may still be this deploy's, from begin).
  if (!exit?.lock || exit.lock === 'none') return;
  h.locked = exit.lock === 'held';
  if (exit.release !== undefined) h.done = exit.release === 'ok';
  if (exit.switchedBack !== undefined) h.result.rolledBack = true;
}

/** Undo on hosts that did not complete: switch back if live, remove the release, unlock. */
export async function undoHosts(hosts: ActiveHost[], s: Settings, ref: DeployRef, reason: string, reporter: Reporter): Promise<void> {
  await Promise.all(
    hosts
      .filter((h) => h.locked)
      .map(async (h) => {
        try {
          if (!h.session.isConnected) throw new DeployError('the connection was lost');
          const out = await runRemote(h.session, abortCommand(s, ref, reason), reporter, { phase: 'abort' });
          if (out.result('rolled_back') === 'true' || h.switched) h.result.rolledBack = true;
          h.locked = false;
        } catch (err) {
          reporter.warn(
            `${h.session.label}: could not reach the server to undo the deploy (${asDeployError(err).message}); the server undoes an interrupted upload by itself, otherwise its lock expires after ${s.lockTtlSec}s and the next deploy removes what is left`,
            { host: h.session.label, phase: 'abort' },
          );
        }
      }),
  );
}

/** Switch completed hosts back to the release they had before (rolling, rolling-failure: revert). */
async function revertDone(hosts: ActiveHost[], s: Settings, reporter: Reporter): Promise<void> {
  await Promise.all(
    hosts.map(async (h) => {
      const target = h.result.previousDeployId;
      if (!target) {
        reporter.warn(`${h.session.label}: no previous release to switch back to; the new release stays live here`);
        return;
      }
      try {
        await runRemote(h.session, rollbackCommand({ ...s, deployId: target }, `revert.${Date.now()}`), reporter, { phase: 'revert' });
        h.result.rolledBack = true;
        reporter.info(`${h.session.label}: switched back to ${target}`);
      } catch (err) {
        reporter.warn(`${h.session.label}: could not switch back to ${target}: ${asDeployError(err).message}`);
      }
    }),
  );
}

function reportSkew(hosts: ActiveHost[], reporter: Reporter): number | undefined {
  const at = hosts.map((h) => h.switchAtMs).filter((t): t is number => typeof t === 'number' && Number.isFinite(t));
  if (at.length < 2) return undefined;
  const skew = Math.max(...at) - Math.min(...at);
  reporter.info(`switched ${at.length} hosts within ${skew} ms`);
  return skew;
}

/** Prepare on every host: the once-commands run first, on the first host alone. */
async function prepareAll(hosts: ActiveHost[], s: Settings, ref: DeployRef, reporter: Reporter, withOnce: boolean, backup: boolean): Promise<void> {
  const [first, ...rest] = hosts;
  if (!first) return;
  if (withOnce && (s.onceCommands.length > 0 || (backup && s.backupCommand))) {
    await step(first, s, ref, 'prepare', reporter, true, backup);
    await mapLimit(rest, s.maxParallel, (h) => step(h, s, ref, 'prepare', reporter));
  } else {
    await mapLimit(hosts, s.maxParallel, (h) => step(h, s, ref, 'prepare', reporter));
  }
}

/** Prepare, switch together, finish — for one group of hosts. Undoes the group on failure. */
async function activateGroup(
  group: ActiveHost[],
  s: Settings,
  ref: DeployRef,
  reporter: Reporter,
  withOnce: boolean,
  backup = false,
): Promise<number | undefined> {
  try {
    await prepareAll(group, s, ref, reporter, withOnce, backup);
    // As close together as possible: every switch command is sent at once.
    await Promise.all(group.map((h) => step(h, s, ref, 'switch', reporter).catch((e: unknown) => Promise.reject(e))));
  } catch (err) {
    await undoHosts(group, s, ref, asDeployError(err).oneLine(), reporter);
    throw err;
  }
  const skew = reportSkew(group, reporter);
  await mapLimit(group, s.maxParallel, (h) => step(h, s, ref, 'finish', reporter));
  return skew;
}

export async function activateHosts(
  hosts: ActiveHost[],
  s: Settings,
  ref: DeployRef,
  reporter: Reporter,
  opts: { backup?: boolean } = {},
): Promise<{ skewMs?: number }> {
  const backup = opts.backup === true;
  if (hosts.length === 1 && hosts[0]) {
    await step(hosts[0], s, ref, 'activate', reporter, true, backup);
    return {};
  }
  if (s.strategy === 'all-at-once') {
    return { skewMs: await activateGroup(hosts, s, ref, reporter, true, backup) };
  }
  const done: ActiveHost[] = [];
  for (let i = 0; i < hosts.length; i += s.batchSize) {
    const batch = hosts.slice(i, i + s.batchSize);
    reporter.info(`batch ${i / s.batchSize + 1}: ${batch.map((h) => h.session.label).join(', ')}`);
    try {
      await activateGroup(batch, s, ref, reporter, i === 0, i === 0 && backup);
      done.push(...batch);
    } catch (err) {
      const rest = hosts.slice(i + s.batchSize);
      await undoHosts(rest, s, ref, `batch ${i / s.batchSize + 1} failed`, reporter);
      if (s.rollingFailure === 'revert' && done.length > 0) {
        reporter.warn(`switching the ${done.length} host(s) of earlier batches back (rolling-failure: revert)`);
        await revertDone(done, s, reporter);
      } else if (done.length > 0) {
        reporter.warn(`keeping the new release on ${done.map((h) => h.session.label).join(', ')} (rolling-failure: keep)`);
      }
      throw err;
    }
  }
  return {};
}
