/**
 * deploy: scan → connect → lock → upload → activate, each a named phase.
 *
 *   scan      hash the source tree into a manifest (nothing remote yet; bad files stop here)
 *   connect   one SSH connection per host, host keys checked against known-hosts
 *   lock      take the lease lock, clean leftovers, learn the live release and its manifest
 *   upload    stream manifest + tar.gz of new/changed files; the server hard-links the rest and verifies
 *   activate  on the server, in one round trip: link shared, before-switch, check through php-fpm,
 *             switch, reload, check through the web server (switch back on failure), after-switch, prune
 *
 * Any failure after `lock` runs the remote `abort`, which leaves `current` on a checked release, removes
 * the new one and releases the lock.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { newDeployId, type Settings } from '../config/settings.js';
import { asDeployError, DeployError } from '../errors.js';
import { diffManifests, formatManifest, parseManifest, type ManifestEntry } from '../pack/manifest.js';
import { createPackStream } from '../pack/pack.js';
import { seedEntries } from '../pack/seed.js';
import { scanTree } from '../pack/scan.js';
import { createReleaseArchive, removeTempDir, type ReleaseArchive } from '../artifact/archive.js';
import { beginCommand, cancelCommand, inspectCommand, noteCommand, uploadCommand, type DeployRef } from '../remote/commands.js';
import type { RemoteOutput } from '../remote/protocol.js';
import type { Reporter } from '../report/reporter.js';
import { loadPrivateKey } from '../ssh/key.js';
import { parseKnownHosts } from '../ssh/known-hosts.js';
import type { SshSession } from '../ssh/session.js';
import { connectAll, runRemote } from './hosts.js';
import { activateHosts, mapLimit, undoHosts, type ActiveHost } from './activate.js';
import { Phases } from './phases.js';
import { checkServer, checksError, platformChecks, reportChecks, type CheckResult } from './preflight.js';
import { checkArtifact } from '../preflight/artifact.js';
import { guardMigrations, type GuardResult } from './migration-guard.js';
import { findMigrationFiles } from '../migrations/index.js';
import type { ArtifactStore, DeployPlan, EngineOptions, HostPlan, RunResult } from './types.js';

interface HostState extends ActiveHost {
  begin?: RemoteOutput;
}

/** Shared paths belong to the server: never shipped in a release. */
export function sharedExcludes(shared: readonly string[]): string[] {
  return shared.map((p) => `/${p.replace(/\/+$/, '')}`);
}

function formatMB(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

export async function runDeploy(settings: Settings, reporter: Reporter, opts: EngineOptions = {}): Promise<RunResult> {
  const started = Date.now();
  const phases = new Phases(reporter);
  const now = opts.now?.() ?? new Date();
  const deployId = opts.fixedDeployId ?? newDeployId(now, settings.gitSha, () => randomBytes(4).toString('hex').slice(0, 7));
  const ref: DeployRef = { deployPath: settings.deployPath, deployId, token: `${deployId}.${randomUUID()}` };
  /** Stops between phases once cancelled: "<phase>: cancelled by SIGINT". */
  const checkCancel = (phase: string): void => {
    if (!opts.signal?.aborted) return;
    const reason = opts.signal.reason instanceof Error ? opts.signal.reason.message : 'cancelled';
    throw new DeployError(reason, { phase });
  };

  // A bad key, passphrase or known-hosts is bad input (exit 2): say so before the scan, which can take a while.
  loadPrivateKey(settings.ssh.privateKey, settings.ssh.passphrase);
  parseKnownHosts(settings.ssh.knownHosts);

  const scan = await phases.run('scan', async () => {
    const s = await scanTree(settings.source, { exclude: [...settings.exclude, ...sharedExcludes(settings.shared)] });
    reporter.info(`${s.files} files, ${formatMB(s.bytes)} in ${settings.source}`);
    return s;
  });
  const manifestText = formatManifest(scan.entries);
  checkCancel('scan');

  // Checks of the artifact itself, before any connection.
  const runResult = (facts: Partial<RunResult>): RunResult => ({
    command: 'deploy',
    deployId,
    previousDeployId: '',
    version: settings.version,
    rolledBack: false,
    hosts: hosts.map((h) => h.result),
    phases: phases.timings,
    files: scan.files,
    bytes: scan.bytes,
    ...facts,
    releasePath: facts.releasePath ?? `${settings.deployPath}/releases/${deployId}`,
    durationMs: Date.now() - started,
  });

  const checks: CheckResult[] = await phases.run('artifact-check', async () => {
    const local = (await checkArtifact(settings.source, scan.entries, settings.shared)).map((c) => ({ ...c }));
    reportChecks(local, reporter);
    const failed = checksError(local, 'artifact-check');
    if (failed && !settings.dryRun) throw failed;
    return local;
  });

  let skewMs: number | undefined;
  let guard: GuardResult = { added: [], refused: false };
  let archive: Promise<ReleaseArchive> | undefined;
  let artifact: Record<string, string | number> | undefined;
  const sessions = await phases.run('connect', () => connectAll(settings, reporter, opts.signal));
  const hosts: HostState[] = sessions.map((session) => ({
    session,
    locked: false,
    result: { host: session.label, ok: false, rolledBack: false, deployId },
  }));

  // Read-only checks of every server before anything changes (and before the lock).
  try {
    await phases.run('preflight', async () => {
      // The live manifest is needed only to find the migrations this release adds.
      const hasMigrations = findMigrationFiles(scan.entries, settings.migrationsPath).length > 0;
      const facts = await mapLimit(sessions, settings.maxParallel, (s, i) =>
        checkServer(s, settings, scan.bytes, reporter, { wantManifest: i === 0 && hasMigrations }),
      );
      const serverChecks = facts.flatMap((f) => [...f.checks, ...platformChecks(settings, f)]);
      reportChecks(serverChecks, reporter);
      checks.push(...serverChecks);
      const failed = checksError(serverChecks);
      if (failed && !settings.dryRun) throw failed;
      // The migrations this release adds, checked against the live release (first host's).
      const first = facts[0];
      guard = await guardMigrations(settings, scan.entries, { id: first?.live ?? '', manifest: first?.liveManifest }, reporter);
      if (guard.refused) checks.push({ id: 'migration-guard', severity: 'error', message: 'destructive migrations (see above)' });
    });
    if (settings.dryRun) {
      const plan = await phases.run('plan', () => planDeploy(hosts, settings, deployId, scan.entries, checks, reporter));
      return runResult({ previousDeployId: plan.hosts[0]?.live ?? '', plan });
    }
  } catch (err) {
    for (const h of hosts) h.session.close();
    throw err;
  } finally {
    if (settings.dryRun) for (const h of hosts) h.session.close();
  }

  try {
    checkCancel('preflight');
    opts.onLockTaking?.({ deployPath: settings.deployPath, deployId, token: ref.token, hosts: settings.hosts.map((h) => h.label) });
    await phases.run('lock', () =>
      mapLimit(hosts, settings.maxParallel, async (h) => {
          // Cancelled while waiting for the lock: the server stops waiting; had it just taken the lock,
          // the abort below (run for locked hosts) releases it.
          h.begin = await runRemote(h.session, beginCommand(settings, ref), reporter, { phase: 'lock', signal: opts.signal }).catch((err: unknown) => {
            if (opts.signal?.aborted) h.locked = true;
            throw err;
          });
          h.locked = true;
          h.result.previousDeployId = h.begin.result('live') || undefined;
        }),
    );
    checkCancel('lock');

    await phases.run('upload', () =>
      mapLimit(hosts, settings.maxParallel, (h) => upload(h, settings, ref, scan.entries, manifestText, reporter, opts.signal)),
    );
    checkCancel('upload');

    // From here on the server finishes what it started even if we are cancelled or die.
    // The exact archive of the release is built while the servers activate it (off the critical path)
    // and kept only once it is live.
    archive = opts.artifacts
      ? createReleaseArchive(settings.source, scan.entries, manifestText, { fileName: `php-deploy-${deployId}.tar.gz` })
      : undefined;
    archive?.catch(() => undefined);

    // A cancel during activation asks each server to stop before its switch; after the switch the
    // server finishes its checks (or switches back) whatever we do.
    const onCancel = (): void => {
      const reason = String((opts.signal?.reason as Error | undefined)?.message ?? 'cancelled');
      for (const h of hosts) {
        if (h.session.isConnected) void h.session.exec(cancelCommand(ref, reason)).catch(() => undefined);
      }
    };
    opts.signal?.addEventListener('abort', onCancel, { once: true });
    const activation = await phases
      .run('activate', () => activateHosts(hosts, settings, ref, reporter, { backup: guard.added.length > 0 }))
      .finally(() => opts.signal?.removeEventListener('abort', onCancel));
    skewMs = activation.skewMs;
    if (archive && opts.artifacts) {
      const store = opts.artifacts;
      const built = archive;
      artifact = await phases.run('artifact', () => keepArchive(store, built, hosts, settings, deployId, reporter));
    }
  } catch (err) {
    const failure = asDeployError(err);
    failure.details = {
      ...failure.details,
      deployId,
      previousDeployId: hosts[0]?.result.previousDeployId,
      rolledBack: hosts.some((h) => h.result.rolledBack),
    };
    await undoHosts(hosts, settings, ref, failure.oneLine(), reporter);
    for (const h of hosts) {
      // A host that completed and kept the new release (rolling-failure: keep) stays ok in its result.
      h.result.ok = h.result.ok && h.done === true && !h.result.rolledBack;
      if (h.result.error === undefined && failure.host === h.session.label) h.result.error = failure.oneLine();
    }
    // After the undo: it may have switched hosts back too.
    failure.details.rolledBack = hosts.some((h) => h.result.rolledBack);
    failure.details.hosts = hosts.map((h) => h.result);
    throw failure;
  } finally {
    if (archive) void archive.then((a) => removeTempDir(a.dir)).catch(() => undefined);
    for (const h of hosts) h.session.close();
    // Only when nothing is held any more: otherwise the action's post step must try again.
    if (hosts.every((h) => !h.locked)) opts.onReleased?.();
  }

  const first = hosts[0]?.result;
  return runResult({
    previousDeployId: first?.previousDeployId ?? '',
    releasePath: first?.releasePath,
    rolledBack: hosts.some((h) => h.result.rolledBack),
    skewMs,
    artifact,
  });
}

/** Keeps the archive of the live release; a failure here is a warning: the deploy itself succeeded. */
async function keepArchive(
  store: ArtifactStore,
  archive: Promise<ReleaseArchive>,
  hosts: HostState[],
  settings: Settings,
  deployId: string,
  reporter: Reporter,
): Promise<Record<string, string | number> | undefined> {
  try {
    const a = await archive;
    const facts = await store.keep(deployId, a.path);
    reporter.info(`kept the release archive (${(a.bytes / 1e6).toFixed(1)} MB): ${Object.entries(facts).map(([k, v]) => `${k}=${v}`).join(' ')}`);
    await Promise.all(
      hosts.map((h) =>
        runRemote(h.session, noteCommand({ deployPath: settings.deployPath, deployId }, 'artifact', facts), reporter, { phase: 'artifact' }).catch(
          (err: unknown) => reporter.warn(`${h.session.label}: could not record the artifact in the deploy log: ${asDeployError(err).message}`),
        ),
      ),
    );
    return facts;
  } catch (err) {
    reporter.warn(`the release is live, but its archive was not kept: ${asDeployError(err).message}`, { phase: 'artifact' });
    return undefined;
  }
}

/** Dry run: what the deploy would do on each host, from one read-only round trip. Changes nothing. */
async function planDeploy(
  hosts: HostState[],
  settings: Settings,
  deployId: string,
  entries: ManifestEntry[],
  checks: CheckResult[],
  reporter: Reporter,
): Promise<DeployPlan> {
  const planned: HostPlan[] = await Promise.all(
    hosts.map(async (h): Promise<HostPlan> => {
      const out = await runRemote(h.session, inspectCommand(settings), reporter, { phase: 'plan' });
      let base: ManifestEntry[] | undefined;
      if (out.result('base') && out.manifest) base = parseManifest(out.manifest);
      const diff = diffManifests(entries, base);
      return {
        host: h.session.label,
        live: out.result('live') ?? '',
        base: base ? out.result('base') : undefined,
        sendFiles: diff.send.filter((e) => e.type !== 'd').length,
        sendBytes: diff.sendBytes,
        unchanged: diff.unchanged,
        removed: diff.removed,
        missingShared: out.all('missing_shared'),
        wouldPrune: out.all('would_prune'),
        lock: out.lock,
      };
    }),
  );
  const refused = checks.some((c) => c.severity === 'error') || planned.some((p) => p.lock !== undefined);
  return {
    deployId,
    version: settings.version,
    hosts: planned,
    shared: settings.shared,
    beforeSwitch: settings.beforeSwitch,
    afterSwitch: settings.afterSwitch,
    reloadCommand: settings.reloadCommand,
    healthUrl: settings.healthUrl,
    fpmSocket: settings.fpmSocket,
    checks,
    refused,
  };
}

async function upload(
  h: HostState,
  settings: Settings,
  ref: DeployRef,
  entries: ManifestEntry[],
  manifestText: string,
  reporter: Reporter,
  signal: AbortSignal | undefined,
): Promise<void> {
  const label = h.session.label;
  const baseId = h.begin?.result('base') || undefined;
  let base: ManifestEntry[] | undefined;
  if (baseId && h.begin?.manifest) {
    try {
      base = parseManifest(h.begin.manifest);
    } catch {
      reporter.warn(`${label}: the live release's manifest is unreadable; sending everything`);
    }
  }
  const diff = diffManifests(entries, base);
  // Progress counts files and symlinks (directories are not "sent" as content).
  const sendFiles = diff.send.filter((e) => e.type !== 'd').length;
  reporter.info(
    base
      ? `${label}: sending ${sendFiles} new or changed files (${formatMB(diff.sendBytes)}), ${diff.unchanged} unchanged taken from ${baseId}, ${diff.removed} removed`
      : `${label}: sending all ${sendFiles} files (${formatMB(diff.sendBytes)})`,
  );
  const seeds = await seedEntries(settings.source, h.begin?.all('missing_shared') ?? []);
  if (seeds.length > 0) reporter.info(`${label}: seeding new shared paths from the source: ${h.begin?.all('missing_shared').join(', ')}`);
  const manifest = Buffer.from(manifestText);
  let lastReport = 0;
  const pack = createPackStream(settings.source, [...diff.send, ...seeds], '', {
    signal,
    parallel: true,
    onProgress: (p) => {
      const t = Date.now();
      if (t - lastReport < 2000 && p.files < sendFiles) return;
      lastReport = t;
      reporter.info(`${label}: upload ${Math.min(p.files, sendFiles)}/${sendFiles} files, ${formatMB(p.bytes)}/${formatMB(diff.sendBytes)}`);
    },
  });
  const stdin = Readable.from(
    (async function* () {
      yield manifest;
      yield* pack;
    })(),
  );
  const out = await runRemote(h.session, uploadCommand(settings, ref, base ? baseId : undefined, manifest.length), reporter, {
    phase: 'upload',
    stdin,
    signal,
  });
  h.result.releasePath = out.result('release_path');
  h.result.sentFiles = sendFiles;
  h.result.sentBytes = diff.sendBytes;
  h.result.linkedFiles = diff.unchanged;
}
