/**
 * Keeps release archives as GitHub Actions artifacts (`php-deploy-<deployId>`), and fetches one
 * back for a rollback to a release the servers have already pruned — exactly the one the servers'
 * deploy log records (artifact id and digest), never "the newest of that name": a workflow run from
 * a fork's pull request can upload an artifact of any name. The only module that knows about GitHub
 * artifacts.
 *
 * Upload goes through `@actions/artifact` (the results service: needs ACTIONS_RUNTIME_TOKEN and
 * ACTIONS_RESULTS_URL, which the runner gives to node actions only). Checking the recorded artifact
 * (name, expiry, digest, which repository's run made it) uses the REST API (GITHUB_API_URL) with a
 * token that has `actions:read`; the download itself is again `@actions/artifact` (REST redirect to
 * a signed blob URL), kept as the zip it is until its digest has been checked.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DeployError } from '../errors.js';
import { listZip, openZipEntry, type ZipEntry } from './zip.js';

/** Prefix of every artifact name php-deploy creates. */
export const ARTIFACT_PREFIX = 'php-deploy-';

/** Characters the artifact service refuses in a name (see @actions/artifact's validation). */
const INVALID_NAME_CHARS = /[":<>|*?\r\n\\/]/;

export interface UploadedArtifact {
  id: number;
  name: string;
  /** Bytes stored (the zip the client wraps the archive in). */
  size: number;
  /** `sha256:<hex>` of the stored zip, the form the REST API and downloads use. */
  digest: string;
}

export interface UploadOptions {
  deployId: string;
  /** The `.tar.gz` to keep; it is zipped (stored, not recompressed) under its own file name. */
  archivePath: string;
  /** Days to keep it (capped by the repository's setting); default the repository's setting. */
  retentionDays?: number;
}

/** Where the archive of a release was kept, as the deploy log records it (what `keep` returned). */
export interface ArchiveRecord {
  artifactId: number;
  /** `sha256:<hex>` of the stored zip. */
  digest: string;
  /** The artifact's name, when recorded (always `php-deploy-<deployId>`). */
  name?: string;
  /** The workflow run that uploaded it, when recorded. */
  runId?: number;
}

export interface DownloadOptions {
  deployId: string;
  /** The archive recorded for that release in the servers' deploy log: only that one is downloaded. */
  record: ArchiveRecord;
  /** A token with `actions:read` on `repository`. */
  token?: string;
  /** `owner/repo`; default GITHUB_REPOSITORY. */
  repository?: string;
  /** Directory to download into (made if missing, must be empty); default a fresh temp dir. */
  destDir?: string;
}

export interface DownloadedArchive {
  /** The artifact's zip, exactly as stored; its sha256 matched the recorded digest. */
  zipPath: string;
  /** The `.tar.gz` inside the zip (read it with `openDownloadedArchive`). */
  entry: ZipEntry;
  /** The directory holding the zip (a temp dir unless `destDir` was given). */
  dir: string;
  artifact: { id: number; name: string; size: number; digest: string; createdAt?: string; runId?: number };
}

/** The artifact's metadata as the REST API lists it. */
export interface RestArtifact {
  id: number;
  name: string;
  size_in_bytes: number;
  expired: boolean;
  created_at: string | null;
  expires_at: string | null;
  digest?: string | null;
  workflow_run?: { id?: number; repository_id?: number; head_repository_id?: number } | null;
}

/** What the REST API says about a workflow run (the fields used here). */
interface RestRun {
  id: number;
  repository?: { id?: number; full_name?: string } | null;
  head_repository?: { id?: number; full_name?: string } | null;
}

function artifactError(message: string, cause?: unknown): DeployError {
  return new DeployError(message, { phase: 'artifact', cause });
}

/** The artifact name for a deploy: `php-deploy-<deployId>`. */
export function artifactName(deployId: string): string {
  if (!deployId || INVALID_NAME_CHARS.test(deployId) || deployId.length > 200) {
    throw artifactError(`cannot name an artifact after deploy id ${JSON.stringify(deployId)}`);
  }
  return `${ARTIFACT_PREFIX}${deployId}`;
}

/** Why artifacts cannot be uploaded here (not a GitHub Actions node/docker step), or undefined. */
export function runtimeProblem(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (!env.ACTIONS_RUNTIME_TOKEN || !env.ACTIONS_RESULTS_URL) {
    return 'artifact upload needs the GitHub Actions runtime; set artifact: false outside Actions';
  }
  if (isGhes(env)) {
    return 'artifacts (v4 storage) are not available on GitHub Enterprise Server; set artifact: false';
  }
  return undefined;
}

/** What @actions/artifact treats as GHES (and refuses). */
function isGhes(env: NodeJS.ProcessEnv): boolean {
  let host: string;
  try {
    host = new URL(env.GITHUB_SERVER_URL || 'https://github.com').hostname.toUpperCase();
  } catch {
    return false;
  }
  return host !== 'GITHUB.COM' && !host.endsWith('.GHE.COM') && !host.endsWith('.LOCALHOST');
}

/** `sha256:<hex>` from bare hex or an already prefixed digest. */
export function normalizeDigest(digest: string | undefined | null): string | undefined {
  if (!digest) return undefined;
  const hex = digest.startsWith('sha256:') ? digest.slice(7) : digest;
  return /^[0-9a-f]{64}$/i.test(hex) ? `sha256:${hex.toLowerCase()}` : undefined;
}

/** First line of an error's message, without the client's long advice. */
function firstLine(err: unknown): string {
  const m = err instanceof Error ? err.message : String(err);
  return m.split('\n')[0]!.trim();
}

type ArtifactModule = typeof import('@actions/artifact');
let artifactModule: Promise<ArtifactModule> | undefined;
/** Loaded on first use: the client pulls in the Azure SDK and Octokit, which a deploy without artifacts never needs. */
function loadClient(): Promise<ArtifactModule> {
  artifactModule ??= import('@actions/artifact');
  return artifactModule;
}

/** Zips and uploads `archivePath` as `php-deploy-<deployId>` to the current run. */
export async function uploadReleaseArchive(opts: UploadOptions): Promise<UploadedArtifact> {
  const name = artifactName(opts.deployId);
  const problem = runtimeProblem();
  if (problem) throw artifactError(problem);
  if (opts.retentionDays !== undefined && !(Number.isInteger(opts.retentionDays) && opts.retentionDays >= 1 && opts.retentionDays <= 400)) {
    throw artifactError(`artifact retention must be a whole number of days from 1 to 400, got ${opts.retentionDays}`);
  }
  const { DefaultArtifactClient } = await loadClient();
  let res;
  try {
    res = await new DefaultArtifactClient().uploadArtifact(name, [opts.archivePath], dirname(opts.archivePath), {
      retentionDays: opts.retentionDays,
      // The archive is gzip already: store it in the zip instead of compressing it again.
      compressionLevel: 0,
    });
  } catch (err) {
    const why = firstLine(err);
    if (/already exists/i.test(why) || /\(409\)/.test(why)) {
      throw artifactError(`cannot upload artifact ${name}: this run already has an artifact of that name`, err);
    }
    throw artifactError(`cannot upload artifact ${name}: ${why}`, err);
  }
  const digest = normalizeDigest(res.digest);
  if (res.id === undefined || !digest) throw artifactError(`cannot upload artifact ${name}: the service returned no id or digest`);
  return { id: res.id, name, size: res.size ?? 0, digest };
}

function splitRepository(repository: string | undefined): { owner: string; repo: string } {
  const full = repository ?? process.env.GITHUB_REPOSITORY ?? '';
  const m = /^([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+)$/.exec(full);
  if (!m) {
    throw artifactError(
      full ? `repository must be "owner/repo", got ${JSON.stringify(full)}` : 'no repository to look for artifacts in (set GITHUB_REPOSITORY or pass owner/repo)',
    );
  }
  return { owner: m[1]!, repo: m[2]! };
}

function apiBase(): string {
  return (process.env.GITHUB_API_URL || 'https://api.github.com').replace(/\/+$/, '');
}

/** GET on the REST API; retries network errors and 5xx twice. */
async function restGet<T>(path: string, token: string): Promise<T> {
  const url = `${apiBase()}${path}`;
  let lastWhy = '';
  for (let attempt = 1; attempt <= 3; attempt++) {
    let res: Response;
    try {
      res = await fetch(url, {
        headers: {
          accept: 'application/vnd.github+json',
          authorization: `Bearer ${token}`,
          'x-github-api-version': '2022-11-28',
          'user-agent': 'php-deploy',
        },
        signal: AbortSignal.timeout(30_000),
      });
    } catch (err) {
      lastWhy = firstLine((err as Error & { cause?: unknown }).cause ?? err);
      await new Promise((r) => setTimeout(r, 500 * attempt));
      continue;
    }
    if (res.ok) return (await res.json()) as T;
    let message = '';
    try {
      message = ((await res.json()) as { message?: string }).message ?? '';
    } catch {
      // not JSON
    }
    lastWhy = `HTTP ${res.status}${message ? ` ${message}` : ''}`;
    if (res.status === 401) throw artifactError(`the GitHub API refused the token (${lastWhy}); pass a valid token with actions:read`);
    if (res.status === 403 || res.status === 404) {
      // 404 is also what GitHub answers when the token may not see the repository.
      throw Object.assign(artifactError(`GitHub API ${path.split('?')[0]}: ${lastWhy} (does the token have actions:read on the repository?)`), {
        status: res.status,
      });
    }
    if (res.status < 500) throw artifactError(`GitHub API ${path.split('?')[0]}: ${lastWhy}`);
    await new Promise((r) => setTimeout(r, 500 * attempt));
  }
  throw artifactError(`GitHub API ${url.split('?')[0]} failed: ${lastWhy}`);
}

function isExpired(a: RestArtifact, now: number): boolean {
  return a.expired || (a.expires_at !== null && a.expires_at !== undefined && Date.parse(a.expires_at) <= now);
}

function formatDate(iso: string | null): string {
  const t = iso ? Date.parse(iso) : NaN;
  if (Number.isNaN(t)) return 'an unknown date';
  return new Date(t).toISOString().replace('T', ' ').replace(/:\d\d(\.\d+)?Z$/, ' UTC');
}

/** The one-line message for an expired artifact. */
export function expiredMessage(a: Pick<RestArtifact, 'name' | 'created_at' | 'expires_at'>): string {
  const created = a.created_at ? Date.parse(a.created_at) : NaN;
  const expires = a.expires_at ? Date.parse(a.expires_at) : NaN;
  const days = Math.round((expires - created) / 86_400_000);
  const retention = Number.isFinite(days) && days > 0 ? ` (retention ${days} day${days === 1 ? '' : 's'})` : '';
  return `the artifact ${a.name} expired on ${formatDate(a.expires_at)}${retention}; deploy that version again instead`;
}

/** The deploy log's facts about a kept archive (what `keep` returned) as an ArchiveRecord, or a refusal. */
export function parseArchiveRecord(deployId: string, facts: Readonly<Record<string, string | number>>): ArchiveRecord {
  const id = Number(facts.artifact_id);
  const digest = normalizeDigest(typeof facts.digest === 'string' ? facts.digest : undefined);
  if (!Number.isSafeInteger(id) || id <= 0 || !digest) {
    throw artifactError(
      `the deploy log's record of release ${deployId}'s archive has no valid artifact id and digest (${JSON.stringify(facts)}); deploy that version again instead`,
    );
  }
  const runId = Number(facts.run_id);
  return {
    artifactId: id,
    digest,
    name: typeof facts.artifact === 'string' && facts.artifact ? facts.artifact : undefined,
    runId: Number.isSafeInteger(runId) && runId > 0 ? runId : undefined,
  };
}

/**
 * Refuses an artifact made by a workflow run whose head repository is not the repository itself (a
 * pull request from a fork can upload an artifact of any name into the base repository's runs).
 * The artifact's `workflow_run` names both repositories; when it does not, the run is asked.
 */
async function checkOwnRun(a: RestArtifact, owner: string, repo: string, token: string): Promise<void> {
  const run = a.workflow_run ?? {};
  let repoId = run.repository_id;
  let headId = run.head_repository_id;
  let headName: string | undefined;
  if (typeof repoId !== 'number' || typeof headId !== 'number') {
    if (typeof run.id !== 'number') throw artifactError(`artifact ${a.name} (id ${a.id}) names no workflow run, so where it came from is unknown; refusing it`);
    let r: RestRun;
    try {
      r = await restGet<RestRun>(`/repos/${owner}/${repo}/actions/runs/${run.id}`, token);
    } catch (err) {
      throw artifactError(`cannot tell which repository's run made artifact ${a.name} (id ${a.id}): ${firstLine(err)}; refusing it`, err);
    }
    repoId = r.repository?.id;
    headId = r.head_repository?.id;
    headName = r.head_repository?.full_name;
  }
  if (typeof repoId !== 'number' || typeof headId !== 'number') {
    throw artifactError(`cannot tell which repository's run made artifact ${a.name} (id ${a.id}); refusing it`);
  }
  if (repoId !== headId) {
    throw artifactError(
      `artifact ${a.name} (id ${a.id}) was made by a workflow run from another repository (${headName ?? `a fork, repository id ${headId}`}), not by ${owner}/${repo}'s own runs; refusing it`,
    );
  }
}

/** Checks the REST API's view of the recorded artifact before anything is downloaded. */
async function checkRecorded(a: RestArtifact, opts: DownloadOptions, owner: string, repo: string, token: string): Promise<void> {
  const name = artifactName(opts.deployId);
  const { record } = opts;
  if (a.name !== name) {
    throw artifactError(`the deploy log records artifact id ${a.id} for release ${opts.deployId}, but that artifact is named ${JSON.stringify(a.name)}, not ${name}; refusing it`);
  }
  if (isExpired(a, Date.now())) throw artifactError(expiredMessage(a));
  const listed = normalizeDigest(a.digest);
  if (listed && listed !== record.digest) {
    throw artifactError(`GitHub lists artifact ${name} (id ${a.id}) with digest ${listed}, not ${record.digest} as the deploy log records; refusing it`);
  }
  if (record.runId !== undefined && a.workflow_run?.id !== undefined && a.workflow_run.id !== record.runId) {
    throw artifactError(`artifact ${name} (id ${a.id}) belongs to run ${a.workflow_run.id}, not run ${record.runId} as the deploy log records; refusing it`);
  }
  await checkOwnRun(a, owner, repo, token);
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path, { highWaterMark: 1024 * 1024 }), hash);
  return `sha256:${hash.digest('hex')}`;
}

/** The one file the client saved into `dir`. */
async function onlyFile(dir: string, name: string): Promise<string> {
  const files = await readdir(dir);
  if (files.length !== 1) throw artifactError(`the download of artifact ${name} left ${files.length} files instead of one`);
  return join(dir, files[0]!);
}

/** The single `.tar.gz` in the artifact's zip. */
async function archiveEntry(zipPath: string, name: string): Promise<ZipEntry> {
  const entries = (await listZip(zipPath)).filter((e) => e.name.endsWith('.tar.gz'));
  if (entries.length !== 1) {
    throw artifactError(`artifact ${name} holds ${entries.length === 0 ? 'no' : entries.length} .tar.gz file${entries.length === 1 ? '' : 's'}; it was not made by php-deploy`);
  }
  return entries[0]!;
}

/**
 * Downloads exactly the archive the deploy log records for `deployId` (by artifact id), after
 * checking with the REST API that it has the right name, is unexpired, carries the recorded digest
 * and was made by one of the repository's own runs (never a fork's); then checks the sha256 of the
 * bytes received against the recorded digest. Nothing is unpacked here: the zip is kept as it
 * came, and `openDownloadedArchive` streams the `.tar.gz` out of it.
 */
export async function downloadReleaseArchive(opts: DownloadOptions): Promise<DownloadedArchive> {
  const name = artifactName(opts.deployId);
  const { record } = opts;
  if (isGhes(process.env)) throw artifactError('artifacts (v4 storage) are not available on GitHub Enterprise Server');
  const { owner, repo } = splitRepository(opts.repository);
  if (!opts.token) {
    throw artifactError(`restoring release ${opts.deployId} from artifact ${name} needs a GitHub token with actions:read on ${owner}/${repo} (github-token)`);
  }
  const token = opts.token;
  let a: RestArtifact;
  try {
    a = await restGet<RestArtifact>(`/repos/${owner}/${repo}/actions/artifacts/${record.artifactId}`, token);
  } catch (err) {
    if ((err as { status?: number }).status === 404) {
      throw artifactError(`artifact ${name} (id ${record.artifactId}), which the deploy log records for release ${opts.deployId}, is not in ${owner}/${repo} any more (deleted, or its run was); deploy that version again instead`, err);
    }
    throw err;
  }
  await checkRecorded(a, opts, owner, repo, token);

  const dir = opts.destDir ?? (await mkdtemp(join(tmpdir(), 'php-deploy-artifact-')));
  try {
    await mkdir(dir, { recursive: true });
    if ((await readdir(dir)).length > 0) throw artifactError(`cannot download artifact ${name} into ${dir}: the directory is not empty`);
    const { DefaultArtifactClient } = await loadClient();
    let res;
    try {
      res = await new DefaultArtifactClient().downloadArtifact(a.id, {
        path: dir,
        expectedHash: record.digest,
        // Stored as it came: its digest is checked before anything is unpacked.
        skipDecompress: true,
        findBy: { token, repositoryOwner: owner, repositoryName: repo, workflowRunId: a.workflow_run?.id ?? 0 },
      });
    } catch (err) {
      const status = (err as { status?: number }).status;
      if (status === 410) throw artifactError(expiredMessage(a), err);
      if (status === 404) throw artifactError(`artifact ${name} (id ${a.id}) was deleted from ${owner}/${repo}; deploy that version again instead`, err);
      throw artifactError(`cannot download artifact ${name} (id ${a.id}): ${firstLine(err)}`, err);
    }
    const zipPath = await onlyFile(dir, name);
    const got = await sha256File(zipPath);
    if (got !== record.digest || res.digestMismatch) {
      throw artifactError(`the downloaded artifact ${name} (id ${a.id}) has digest ${got}, not ${record.digest} as the deploy log records; refusing to unpack it`);
    }
    return {
      zipPath,
      entry: await archiveEntry(zipPath, name),
      dir,
      artifact: { id: a.id, name, size: a.size_in_bytes, digest: record.digest, createdAt: a.created_at ?? undefined, runId: a.workflow_run?.id },
    };
  } catch (err) {
    if (!opts.destDir) await rm(dir, { recursive: true, force: true }).catch(() => {});
    throw err;
  }
}

/** The `.tar.gz` inside a downloaded (and digest-checked) artifact, as a stream. */
export function openDownloadedArchive(d: DownloadedArchive): Readable {
  return openZipEntry(d.zipPath, d.entry);
}

/** The archive's file name inside the artifact for a deploy: `php-deploy-<deployId>.tar.gz`. */
export function archiveFileName(deployId: string): string {
  return `${artifactName(deployId)}.tar.gz`;
}
