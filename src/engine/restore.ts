/**
 * Restoring a release already pruned from the servers: read which archive every server's deploy
 * log records for it (refuse when none does, or when they disagree), have the ArtifactStore fetch
 * exactly that one (it checks it before anything is unpacked), unpack it safely and deploy it again
 * under its own id with the usual checks.
 */
import type { Settings } from '../config/settings.js';
import { DeployError } from '../errors.js';
import { recordsCommand } from '../remote/commands.js';
import type { Reporter } from '../report/reporter.js';
import { extractArchive, removeTempDir } from '../artifact/archive.js';
import { connectAll, runRemote } from './hosts.js';
import { Phases } from './phases.js';
import type { ArchiveFacts, ArtifactStore, EngineOptions, RunResult } from './types.js';

/** The deploy-log event that records where a release's archive is kept. */
export const ARCHIVE_EVENT = 'artifact';

/** Fields every deploy-log line has; the rest of an `artifact` line is what `keep` returned. */
const LOG_FIELDS = new Set(['time', 'event', 'id', 'result', 'live', 'phase', 'reason']);

/** The archive facts in a host's deploy-log lines for release `deployId` (duplicates merged). */
export function parseArchiveRecords(lines: readonly string[], deployId: string): ArchiveFacts[] {
  const seen = new Map<string, ArchiveFacts>();
  for (const line of lines) {
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch {
      continue;
    }
    if (typeof v !== 'object' || v === null || Array.isArray(v)) continue;
    const o = v as Record<string, unknown>;
    if (o.event !== ARCHIVE_EVENT || o.id !== deployId || o.result !== 'ok') continue;
    const facts: ArchiveFacts = {};
    for (const [k, val] of Object.entries(o)) {
      if (!LOG_FIELDS.has(k) && (typeof val === 'string' || typeof val === 'number')) facts[k] = val;
    }
    seen.set(factsKey(facts), facts);
  }
  return [...seen.values()];
}

function factsKey(f: ArchiveFacts): string {
  return JSON.stringify(Object.keys(f).sort().map((k) => [k, f[k]]));
}

function describeFacts(f: ArchiveFacts): string {
  return Object.entries(f)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
}

/**
 * The one record all hosts agree on. Refuses when no host has one, or when two records differ
 * (between hosts or on one host). A host without any record does not veto the others' (it may
 * have joined after that deploy, or the note failed there, which the deploy warned about); it is
 * named in `missingOn`.
 */
export function agreeOnRecord(perHost: readonly { host: string; records: ArchiveFacts[] }[], deployId: string): { record: ArchiveFacts; missingOn: string[] } {
  const distinct = new Map<string, { facts: ArchiveFacts; hosts: string[] }>();
  for (const h of perHost) {
    for (const f of h.records) {
      const k = factsKey(f);
      const d = distinct.get(k) ?? { facts: f, hosts: [] };
      d.hosts.push(h.host);
      distinct.set(k, d);
    }
  }
  if (distinct.size === 0) {
    throw new DeployError(
      `release ${deployId} is no longer on the servers and no deploy log records a kept archive of it (it was deployed with artifact: false, or with artifact: auto from a public repository, or its upload failed), so there is nothing to restore; deploy that version again instead`,
      { phase: 'restore' },
    );
  }
  if (distinct.size > 1) {
    const which = [...distinct.values()].map((d) => `${d.hosts.join(', ')}: ${describeFacts(d.facts)}`).join('; ');
    throw new DeployError(
      `the deploy logs record different archives for release ${deployId} (${which}); nothing was restored — check the servers' .php-deploy/log.jsonl, or deploy that version again instead`,
      { phase: 'restore' },
    );
  }
  const only = [...distinct.values()][0]!;
  return { record: only.facts, missingOn: perHost.filter((h) => h.records.length === 0).map((h) => h.host) };
}

/** Reads every host's record of the archive of `deployId` and returns the one they agree on. */
async function recordedArchive(settings: Settings, reporter: Reporter, opts: EngineOptions, deployId: string): Promise<ArchiveFacts> {
  const phases = new Phases(reporter);
  const connect = opts.connect ?? connectAll;
  const sessions = await phases.run('connect', () => connect(settings, reporter, opts.signal));
  let perHost;
  try {
    perHost = await phases.run('check', () =>
      Promise.all(
        sessions.map(async (session) => {
          const out = await runRemote(session, recordsCommand({ deployPath: settings.deployPath, deployId }, ARCHIVE_EVENT), reporter, { phase: 'restore' });
          return { host: session.label, records: parseArchiveRecords(out.all('record'), deployId) };
        }),
      ),
    );
  } finally {
    for (const s of sessions) s.close();
  }
  const { record, missingOn } = agreeOnRecord(perHost, deployId);
  for (const host of missingOn) reporter.warn(`${host}: its deploy log has no record of release ${deployId}'s archive; using the one the other hosts record`);
  reporter.info(`the deploy log records the archive of ${deployId} as ${describeFacts(record)}`);
  return record;
}

export async function restoreFromArchive(settings: Settings, reporter: Reporter, opts: EngineOptions, store: ArtifactStore, id: string): Promise<RunResult> {
  reporter.info(`release ${id} is no longer on the server; restoring it from its kept archive`);
  const record = await recordedArchive(settings, reporter, opts, id);
  const fetched = await store.fetch(id, record);
  try {
    const extracted = await extractArchive(fetched.open());
    try {
      const { runDeploy } = await import('./deploy.js');
      const result = await runDeploy(
        { ...settings, command: 'deploy', source: extracted.dir, version: 'restored', dryRun: false, onceCommands: [] },
        reporter,
        { ...opts, fixedDeployId: id, artifacts: undefined },
      );
      return { ...result, command: 'rollback', restored: true };
    } finally {
      await removeTempDir(extracted.dir);
    }
  } finally {
    await fetched.cleanup();
  }
}
