/**
 * deploy, as a list of named phases over one DeployContext:
 *
 *   scan            hash the source tree into a manifest (nothing remote yet; bad files stop here)
 *   artifact-check  checks of the tree itself (symlinks, vendor vs composer.lock, secrets)
 *   connect         one SSH connection per host, host keys checked against known-hosts
 *   preflight       one read-only round trip per host (tools, layout, disk, fpm, platform, migrations)
 *   plan            dry run only: what would happen; nothing changes, and the deploy ends here
 *   lock            take the lease lock, clean leftovers, learn the live release and its manifest
 *   upload          stream manifest + tar.gz of new/changed files; the server hard-links the rest and verifies
 *   activate        on the server: link shared, before-switch, check through php-fpm, switch, reload,
 *                   check through the web server (switch back on failure), after-switch, prune
 *   artifact        keep the exact archive of the live release (when the front end gives a store)
 *
 * One failure handler (failDeploy) runs the remote `abort` on every host still locked, which leaves
 * `current` on a checked release, removes the new one and releases the lock.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { newDeployId, type Settings } from '../config/settings.js';
import { asDeployError, DeployError } from '../errors.js';
import { diffManifests, formatManifest, parseManifest, type ManifestEntry } from '../pack/manifest.js';
import { createPackStream } from '../pack/pack.js';
import { fanOut } from '../pack/fanout.js';
import { seedEntries } from '../pack/seed.js';
import { scanTree, type ScanResult } from '../pack/scan.js';
import { createReleaseArchive, removeTempDir, type ReleaseArchive } from '../artifact/archive.js';
import { beginCommand, cancelCommand, holdCommand, inspectCommand, noteCommand, uploadCommand, type DeployRef } from '../remote/commands.js';
import type { RemoteOutput } from '../remote/protocol.js';
import type { Reporter } from '../report/reporter.js';
import type { RemoteSession } from '../ssh/session.js';
import { loadPrivateKey } from '../ssh/key.js';
import { parseKnownHosts } from '../ssh/known-hosts.js';
import { connectAll, connectedMessage, runRemote, viaCacheOn } from './hosts.js';
import { activateHosts, mapLimit, undoHosts, type ActiveHost } from './activate.js';
import { holdLease, type LeaseHold } from './lease.js';
import { Phases } from './phases.js';
import { checkServer, checksError, platformChecks, reportChecks, sharedTypeChecks, type CheckResult } from './preflight.js';
import { checkArtifact } from '../preflight/artifact.js';
import { guardMigrations, releaseMigrations, type GuardResult } from './migration-guard.js';
import type { DeployPlan, EngineOptions, HostPlan, RunResult } from './types.js';

interface HostState extends ActiveHost {
  begin?: RemoteOutput;
  /** Renews this host's lease on the server from `begin` until the deploy is done with the host. */
  hold?: LeaseHold;
}

/** Everything the phases of one deploy share; each phase reads what earlier phases left here. */
interface DeployContext {
  readonly settings: Settings;
  readonly reporter: Reporter;
  readonly opts: EngineOptions;
  readonly phases: Phases;
  readonly started: number;
  readonly deployId: string;
  readonly ref: DeployRef;
  /** The first host's live manifest, when the preflight fetched it (the migration guard needs it). */
  liveManifest?: { id: string; text: string; sha256: string };
  /** The SSH connections, started before the scan (they need nothing from it). */
  connecting?: Promise<RemoteSession[]>;
  scan?: ScanResult;
  manifestText: string;
  checks: CheckResult[];
  hosts: HostState[];
  guard: GuardResult;
  archive?: Promise<ReleaseArchive>;
  artifact?: Record<string, string | number>;
  skewMs?: number;
}

/** Shared paths belong to the server: never shipped in a release. */
export function sharedExcludes(shared: readonly string[]): string[] {
  return shared.map((p) => `/${p.replace(/\/+$/, '')}`);
}

function formatMB(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

export async function runDeploy(settings: Settings, reporter: Reporter, opts: EngineOptions = {}): Promise<RunResult> {
  const ctx = newContext(settings, reporter, opts);
  // A bad key, passphrase or known-hosts is bad input (exit 2): say so before the scan, which can take a while.
  loadPrivateKey(settings.ssh.privateKey, settings.ssh.passphrase);
  parseKnownHosts(settings.ssh.knownHosts);

  // The SSH handshakes need nothing from the scan: they run while the tree is hashed.
  const connect = opts.connect ?? connectAll;
  ctx.connecting = connect(settings, reporter, opts.signal, true);
  ctx.connecting.catch(() => undefined);
  try {
    await phase(ctx, 'scan', scanSource);
    await phase(ctx, 'artifact-check', checkTree);
    await phase(ctx, 'connect', connectHosts);
    await phase(ctx, 'preflight', preflightHosts);
  } catch (err) {
    closeSessions(ctx);
    // Connections that came up after a failed scan or check.
    if (ctx.hosts.length === 0) void ctx.connecting.then((ss) => ss.forEach((s) => void s.close())).catch(() => undefined);
    throw err;
  }
  return settings.dryRun ? dryRun(ctx) : changeServers(ctx);
}

function newContext(settings: Settings, reporter: Reporter, opts: EngineOptions): DeployContext {
  const now = opts.now?.() ?? new Date();
  const deployId = opts.fixedDeployId ?? newDeployId(now, settings.gitSha, () => randomBytes(4).toString('hex').slice(0, 7));
  return {
    settings,
    reporter,
    opts,
    phases: new Phases(reporter),
    started: Date.now(),
    deployId,
    ref: { deployPath: settings.deployPath, deployId, token: `${deployId}.${randomUUID()}` },
    manifestText: '',
    checks: [],
    hosts: [],
    guard: { added: [], refused: false },
  };
}

/** Runs one named phase, then stops if the deploy was cancelled meanwhile ("<phase>: cancelled by SIGINT"). */
async function phase(ctx: DeployContext, name: string, fn: (ctx: DeployContext) => Promise<void>): Promise<void> {
  await ctx.phases.run(name, () => fn(ctx));
  const signal = ctx.opts.signal;
  if (!signal?.aborted) return;
  const reason = signal.reason instanceof Error ? signal.reason.message : 'cancelled';
  throw new DeployError(reason, { phase: name });
}

/** Lock, upload, activate, keep the archive; any failure goes through failDeploy. */
async function changeServers(ctx: DeployContext): Promise<RunResult> {
  try {
    await phase(ctx, 'lock', lockHosts);
    await phase(ctx, 'upload', uploadRelease);
    // From here on the server finishes what it started even if we are cancelled or die, so the
    // activation runs to its end (a cancel only asks the servers to stop before their switch).
    await ctx.phases.run('activate', () => activateRelease(ctx));
    if (ctx.archive && ctx.opts.artifacts?.keep) await ctx.phases.run('artifact', () => keepArchive(ctx));
  } catch (err) {
    throw await failDeploy(ctx, err);
  } finally {
    if (ctx.archive) void ctx.archive.then((a) => removeTempDir(a.dir)).catch(() => undefined);
    await Promise.all(ctx.hosts.map((h) => h.hold?.stop()));
    closeSessions(ctx);
    // Only when nothing is held any more: otherwise the action's post step must try again.
    if (ctx.hosts.every((h) => !h.locked)) ctx.opts.onReleased?.();
  }
  const first = ctx.hosts[0]?.result;
  return deployResult(ctx, {
    previousDeployId: first?.previousDeployId ?? '',
    releasePath: first?.releasePath,
    rolledBack: ctx.hosts.some((h) => h.result.rolledBack),
    skewMs: ctx.skewMs,
    artifact: ctx.artifact,
  });
}

function closeSessions(ctx: DeployContext): void {
  for (const h of ctx.hosts) void h.session.close();
}

function deployResult(ctx: DeployContext, facts: Partial<RunResult>): RunResult {
  return {
    command: 'deploy',
    deployId: ctx.deployId,
    previousDeployId: '',
    version: ctx.settings.version,
    rolledBack: false,
    hosts: ctx.hosts.map((h) => h.result),
    phases: ctx.phases.timings,
    files: ctx.scan?.files,
    bytes: ctx.scan?.bytes,
    ...facts,
    releasePath: facts.releasePath ?? `${ctx.settings.deployPath}/releases/${ctx.deployId}`,
    durationMs: Date.now() - ctx.started,
  };
}

// ---------------------------------------------------------------------------------------------
// The phases, in order
// ---------------------------------------------------------------------------------------------

async function scanSource(ctx: DeployContext): Promise<void> {
  const { settings, reporter } = ctx;
  const s = await scanTree(settings.source, { exclude: [...settings.exclude, ...sharedExcludes(settings.shared)] });
  reporter.info(`${s.files} files, ${formatMB(s.bytes)} in ${settings.source}`);
  ctx.scan = s;
  ctx.manifestText = formatManifest(s.entries);
}

/** Checks of the artifact itself, before any connection (a dry run reports them and goes on). */
async function checkTree(ctx: DeployContext): Promise<void> {
  const local = (await checkArtifact(ctx.settings.source, entries(ctx), ctx.settings.shared)).map((c) => ({ ...c }));
  reportChecks(local, ctx.reporter);
  ctx.checks.push(...local);
  const failed = checksError(local, 'artifact-check');
  if (failed && !ctx.settings.dryRun) throw failed;
}

async function connectHosts(ctx: DeployContext): Promise<void> {
  const sessions = await (ctx.connecting ?? Promise.resolve([]));
  for (const s of sessions) ctx.reporter.info(connectedMessage(ctx.settings, s.label));
  ctx.hosts = sessions.map((session) => ({
    session,
    locked: false,
    result: { host: session.label, ok: false, rolledBack: false, deployId: ctx.deployId },
  }));
}

/** Read-only checks of every server before anything changes (and before the lock). */
async function preflightHosts(ctx: DeployContext): Promise<void> {
  const { settings, reporter } = ctx;
  // The live manifest is needed only to find the migrations this release adds.
  const hasMigrations = releaseMigrations(settings, entries(ctx)).files.length > 0;
  const facts = await mapLimit(
    ctx.hosts.map((h) => h.session),
    settings.maxParallel,
    (s, i) => checkServer(s, settings, ctx.scan?.bytes ?? 0, reporter, { wantManifest: i === 0 && hasMigrations }),
  );
  const serverChecks = facts.flatMap((f) => [...f.checks, ...platformChecks(settings, f), ...sharedTypeChecks(settings, f)]);
  reportChecks(serverChecks, reporter);
  ctx.checks.push(...serverChecks);
  const failed = checksError(serverChecks);
  if (failed && !settings.dryRun) throw failed;
  // The migrations this release adds, checked against the live release (first host's).
  const first = facts[0];
  ctx.guard = await guardMigrations(settings, entries(ctx), { id: first?.live ?? '', manifest: first?.liveManifest }, reporter);
  // The live manifest came with the preflight: the lock step then need not send it again.
  if (first?.live && first.liveManifest) ctx.liveManifest = { id: first.live, text: first.liveManifest, sha256: createHash('sha256').update(first.liveManifest).digest('hex') };
  if (ctx.guard.refused) ctx.checks.push({ id: 'migration-guard', severity: 'error', message: 'destructive migrations (see above)' });
}

/** The dry run's own path: one more read-only round trip per host, then the plan. Changes nothing. */
async function dryRun(ctx: DeployContext): Promise<RunResult> {
  try {
    const plan = await ctx.phases.run('plan', () => planDeploy(ctx));
    return deployResult(ctx, { previousDeployId: plan.hosts[0]?.live ?? '', plan });
  } finally {
    closeSessions(ctx);
  }
}

async function lockHosts(ctx: DeployContext): Promise<void> {
  const { settings, reporter, ref, opts } = ctx;
  opts.onLockTaking?.({ deployPath: settings.deployPath, deployId: ctx.deployId, token: ref.token, hosts: settings.hosts.map((h) => h.label) });
  await mapLimit(ctx.hosts, settings.maxParallel, async (h, i) => {
    const have = i === 0 ? ctx.liveManifest : undefined;
    // Cancelled while waiting for the lock: the server stops waiting; had it just taken the lock,
    // the abort (run for locked hosts) releases it.
    h.begin = await runRemote(h.session, beginCommand(settings, ref, have?.sha256), reporter, { phase: 'lock', signal: opts.signal }).catch((err: unknown) => {
      if (opts.signal?.aborted) h.locked = true;
      throw err;
    });
    if (have && h.begin.result('manifest_same') === '1' && h.begin.result('base') === have.id) h.begin.manifest = have.text;
    h.locked = true;
    h.hold = holdLease(h.session, viaCacheOn(h.session, holdCommand(settings, ref)), reporter);
    h.result.previousDeployId = h.begin.result('live') || undefined;
  });
}

async function uploadRelease(ctx: DeployContext): Promise<void> {
  await uploadAll(ctx);
  // The exact archive of the release is built while the servers activate it (off the critical path)
  // and kept only once it is live.
  if (ctx.opts.artifacts?.keep) {
    ctx.archive = createReleaseArchive(ctx.settings.source, entries(ctx), ctx.manifestText, { fileName: `php-deploy-${ctx.deployId}.tar.gz` });
    ctx.archive.catch(() => undefined);
  }
}

/** A cancel during activation asks each server to stop before its switch; after the switch the server
 *  finishes its checks (or switches back) whatever we do. */
async function activateRelease(ctx: DeployContext): Promise<void> {
  const { opts } = ctx;
  const onCancel = (): void => {
    const reason = String((opts.signal?.reason as Error | undefined)?.message ?? 'cancelled');
    for (const h of ctx.hosts) {
      if (h.session.isConnected) void h.session.exec(cancelCommand(ctx.ref, reason)).catch(() => undefined);
    }
  };
  opts.signal?.addEventListener('abort', onCancel, { once: true });
  try {
    const activation = await activateHosts(ctx.hosts, ctx.settings, ctx.ref, ctx.reporter, { backup: ctx.guard.added.length > 0 });
    ctx.skewMs = activation.skewMs;
  } finally {
    opts.signal?.removeEventListener('abort', onCancel);
  }
}

/** The one failure handler after the lock: undo every host still locked, and say what each host did. */
async function failDeploy(ctx: DeployContext, err: unknown): Promise<DeployError> {
  const { hosts } = ctx;
  const failure = asDeployError(err);
  failure.details = {
    ...failure.details,
    deployId: ctx.deployId,
    previousDeployId: hosts[0]?.result.previousDeployId,
    rolledBack: hosts.some((h) => h.result.rolledBack),
  };
  await undoHosts(hosts, ctx.settings, ctx.ref, failure.oneLine(), ctx.reporter);
  for (const h of hosts) {
    // A host that completed and kept the new release (rolling-failure: keep) stays ok in its result.
    h.result.ok = h.result.ok && h.done === true && !h.result.rolledBack;
    if (h.result.error === undefined && failure.host === h.session.label) h.result.error = failure.oneLine();
  }
  // After the undo: it may have switched hosts back too.
  failure.details.rolledBack = hosts.some((h) => h.result.rolledBack);
  failure.details.hosts = hosts.map((h) => h.result);
  return failure;
}

function entries(ctx: DeployContext): ManifestEntry[] {
  return ctx.scan?.entries ?? [];
}

/** Keeps the archive of the live release; a failure here is a warning: the deploy itself succeeded. */
async function keepArchive(ctx: DeployContext): Promise<void> {
  const { reporter, settings, deployId } = ctx;
  const store = ctx.opts.artifacts;
  if (!store?.keep || !ctx.archive) return;
  try {
    const a = await ctx.archive;
    const facts = await store.keep(deployId, a.path);
    reporter.info(`kept the release archive (${(a.bytes / 1e6).toFixed(1)} MB): ${Object.entries(facts).map(([k, v]) => `${k}=${v}`).join(' ')}`);
    await Promise.all(
      ctx.hosts.map((h) =>
        runRemote(h.session, noteCommand({ deployPath: settings.deployPath, deployId }, 'artifact', facts), reporter, { phase: 'artifact' }).catch(
          (err: unknown) => reporter.warn(`${h.session.label}: could not record the artifact in the deploy log: ${asDeployError(err).message}`),
        ),
      ),
    );
    ctx.artifact = facts;
  } catch (err) {
    reporter.warn(`the release is live, but its archive was not kept: ${asDeployError(err).message}`, { phase: 'artifact' });
  }
}

/** Dry run: what the deploy would do on each host, from one read-only round trip. Changes nothing. */
async function planDeploy(ctx: DeployContext): Promise<DeployPlan> {
  const { settings, reporter, deployId, checks } = ctx;
  const planned: HostPlan[] = await Promise.all(
    ctx.hosts.map(async (h): Promise<HostPlan> => {
      const out = await runRemote(h.session, inspectCommand(settings), reporter, { phase: 'plan' });
      let base: ManifestEntry[] | undefined;
      if (out.result('base') && out.manifest) base = parseManifest(out.manifest);
      const diff = diffManifests(entries(ctx), base);
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

/**
 * Files of a release are stored read-only on the server (write bits off; the manifest keeps the
 * source's mode): unchanged files are hard links shared with other releases, so a write in place
 * would change them all. See "On the server" in the README.
 */
export function readOnly<T extends ManifestEntry>(e: T): T {
  return e.type === 'f' ? { ...e, mode: e.mode & 0o555 } : e;
}

/** What one host needs: the same plan on several hosts means the same bytes on their stdin. */
interface UploadPlan {
  h: HostState;
  baseId?: string;
  diff: ReturnType<typeof diffManifests>;
  seeds: Awaited<ReturnType<typeof seedEntries>>;
  /** Hosts with equal keys get one archive, packed and compressed once (see fanOut). */
  key: string;
}

async function planUpload(ctx: DeployContext, h: HostState): Promise<UploadPlan> {
  const { settings, reporter } = ctx;
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
  const diff = diffManifests(entries(ctx), base);
  // Progress counts files and symlinks (directories are not "sent" as content).
  const sendFiles = diff.send.filter((e) => e.type !== 'd').length;
  reporter.info(
    base
      ? `${label}: sending ${sendFiles} new or changed files (${formatMB(diff.sendBytes)}), ${diff.unchanged} unchanged taken from ${baseId}, ${diff.removed} removed`
      : `${label}: sending all ${sendFiles} files (${formatMB(diff.sendBytes)})`,
  );
  const missing = h.begin?.all('missing_shared') ?? [];
  const seeds = await seedEntries(settings.source, missing);
  for (const c of seeds.skipped) {
    reporter.warn(`${label}: not seeding ${c.path} into shared/ from the source: the secret check ${c.id} flags it; put it on the server yourself (shared/${c.path})`);
  }
  if (seeds.entries.length > 0) reporter.info(`${label}: seeding new shared paths from the source: ${missing.join(', ')}`);
  const manifestKey = base ? createHash('sha256').update(h.begin?.manifest ?? '').digest('hex') : '';
  return { h, baseId: base ? baseId : undefined, diff, seeds, key: [base ? baseId : '', manifestKey, ...missing].join('\n') };
}

/**
 * Uploads to every host. Hosts that need the same archive (the same base release, the same shared
 * paths to seed: the usual case) share one pack stream — packed and compressed once, fanned out to
 * each host's channel — at most max-parallel hosts at a time.
 */
async function uploadAll(ctx: DeployContext): Promise<void> {
  const max = ctx.settings.maxParallel;
  const plans = await Promise.all(ctx.hosts.map((h) => planUpload(ctx, h)));
  const groups = new Map<string, UploadPlan[]>();
  for (const p of plans) groups.set(p.key, [...(groups.get(p.key) ?? []), p]);
  const units: UploadPlan[][] = [];
  for (const g of groups.values()) for (let i = 0; i < g.length; i += max) units.push(g.slice(i, i + max));
  const largest = Math.max(1, ...units.map((u) => u.length));
  await mapLimit(units, Math.max(1, Math.floor(max / largest)), (unit) => uploadUnit(ctx, unit));
}

async function uploadUnit(ctx: DeployContext, unit: UploadPlan[]): Promise<void> {
  const { settings, ref, reporter } = ctx;
  const signal = ctx.opts.signal;
  const { diff, seeds, baseId } = unit[0]!;
  const sendFiles = diff.send.filter((e) => e.type !== 'd').length;
  const labels = unit.map((p) => p.h.session.label).join(', ');
  // The manifest travels gzip'd (a sha256 per file: ~2.6× smaller).
  const manifest = gzipSync(ctx.manifestText, { level: 6 });
  let lastReport = 0;
  let ended = false;
  const pack = createPackStream(settings.source, [...diff.send.map(readOnly), ...seeds.entries], '', {
    signal,
    parallel: true,
    onProgress: (p) => {
      const t = Date.now();
      // The pack stream may still report after the upload failed: nothing after the verdict.
      if (ended || (t - lastReport < 2000 && p.files < sendFiles)) return;
      lastReport = t;
      reporter.info(`${labels}: upload ${Math.min(p.files, sendFiles)}/${sendFiles} files, ${formatMB(p.bytes)}/${formatMB(diff.sendBytes)}`);
    },
  });
  // The manifest, then the archive. A failure of the archive (a file changed while packing) fails every
  // host of the unit; once no host reads any more, the pack stops at once (not after its next MiB).
  const source = new PassThrough({ highWaterMark: 1024 * 1024 });
  source.write(manifest);
  pack.on('error', (err) => source.destroy(err));
  source.on('close', () => pack.destroy());
  pack.pipe(source);
  const copies = fanOut(source, unit.length);
  try {
    await mapLimit(unit, unit.length, async (p, i) => {
      let out: RemoteOutput;
      try {
        out = await runRemote(p.h.session, uploadCommand(settings, ref, baseId, manifest.length), reporter, {
          phase: 'upload',
          stdin: copies[i],
          signal,
        });
      } catch (err) {
        const e = asDeployError(err);
        // The server's exit path released the lock (or found it taken): no abort needed for this host.
        if (e.details.exit?.lock === 'released' || e.details.exit?.lock === 'lost') p.h.locked = false;
        throw e;
      }
      p.h.result.releasePath = out.result('release_path');
      p.h.result.sentFiles = sendFiles;
      p.h.result.sentBytes = diff.sendBytes;
      p.h.result.linkedFiles = diff.unchanged;
    });
  } finally {
    // The pack stream may still report after the upload failed: nothing after the verdict.
    ended = true;
  }
}
