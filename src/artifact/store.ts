/**
 * Keeps release archives as GitHub Actions artifacts (`php-deploy-<deployId>`), and fetches one
 * back — from this run or any other run of the repository — for a rollback to a release the
 * servers have already pruned. The only module that knows about GitHub artifacts.
 *
 * Upload goes through `@actions/artifact` (the results service: needs ACTIONS_RUNTIME_TOKEN and
 * ACTIONS_RESULTS_URL, which the runner gives to node actions only). Finding an artifact of
 * another run uses the REST API (GITHUB_API_URL) with a token that has `actions:read`; the
 * download itself is again `@actions/artifact` (REST redirect to a signed blob URL).
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DeployError } from '../errors.js';

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

export interface DownloadOptions {
  deployId: string;
  /**
   * A token with `actions:read` on `repository`. Without it only an artifact of the current run
   * can be found (through the runtime token).
   */
  token?: string;
  /** `owner/repo`; default GITHUB_REPOSITORY. */
  repository?: string;
  /** Look only in this workflow run; default: the newest unexpired artifact of that name in any run. */
  runId?: number;
  /** Directory to download into (made if missing); default a fresh temp dir. */
  destDir?: string;
}

export interface DownloadedArchive {
  /** The `.tar.gz` as uploaded. */
  path: string;
  /** The directory holding it (a temp dir unless `destDir` was given). */
  dir: string;
  artifact: { id: number; name: string; size: number; digest?: string; createdAt?: string; runId?: number };
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
  workflow_run?: { id?: number } | null;
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

/** Artifacts named `name` in the repository (or one run), all pages. */
async function listByName(owner: string, repo: string, name: string, token: string, runId?: number): Promise<RestArtifact[]> {
  const base = runId === undefined ? `/repos/${owner}/${repo}/actions/artifacts` : `/repos/${owner}/${repo}/actions/runs/${runId}/artifacts`;
  const out: RestArtifact[] = [];
  for (let page = 1; page <= 10; page++) {
    const q = new URLSearchParams({ name, per_page: '100', page: String(page) });
    const data = await restGet<{ total_count: number; artifacts: RestArtifact[] }>(`${base}?${q}`, token);
    // The name filter is exact on GitHub; filter again in case a server treats it loosely.
    out.push(...data.artifacts.filter((a) => a.name === name));
    if (data.artifacts.length < 100 || page * 100 >= data.total_count) break;
  }
  return out;
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

/**
 * Picks the newest unexpired artifact (by creation time, then id); throws the clear "expired"
 * error when only expired ones exist, or "not found" when there are none.
 */
export function pickArtifact(list: readonly RestArtifact[], name: string, where: string, now = Date.now()): RestArtifact {
  const newestFirst = [...list].sort((a, b) => {
    const ta = a.created_at ? Date.parse(a.created_at) : 0;
    const tb = b.created_at ? Date.parse(b.created_at) : 0;
    return tb - ta || b.id - a.id;
  });
  const live = newestFirst.find((a) => !isExpired(a, now));
  if (live) return live;
  if (newestFirst[0]) throw artifactError(expiredMessage(newestFirst[0]));
  throw artifactError(`no artifact ${name} in ${where}; it was not uploaded (artifact: false?) or was deleted`);
}

async function freshDir(destDir: string | undefined): Promise<string> {
  if (!destDir) return mkdtemp(join(tmpdir(), 'php-deploy-artifact-'));
  return destDir;
}

/** The single `.tar.gz` the artifact unzipped to. */
async function findArchive(dir: string, name: string): Promise<string> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.tar.gz'));
  if (files.length !== 1) {
    throw artifactError(`artifact ${name} holds ${files.length === 0 ? 'no' : files.length} .tar.gz file${files.length === 1 ? '' : 's'}; it was not made by php-deploy`);
  }
  return join(dir, files[0]!);
}

/**
 * Downloads the archive of `deployId`: from `runId` when given, else the newest unexpired
 * artifact of that name in any run of the repository (needs `token`); without a token, from the
 * current run only.
 */
export async function downloadReleaseArchive(opts: DownloadOptions): Promise<DownloadedArchive> {
  const name = artifactName(opts.deployId);
  if (isGhes(process.env)) throw artifactError('artifacts (v4 storage) are not available on GitHub Enterprise Server');
  if (!opts.token) return downloadFromThisRun(name, opts.destDir);

  const { owner, repo } = splitRepository(opts.repository);
  const where = opts.runId === undefined ? `${owner}/${repo}` : `run ${opts.runId} of ${owner}/${repo}`;
  let list: RestArtifact[];
  try {
    list = await listByName(owner, repo, name, opts.token, opts.runId);
  } catch (err) {
    // A run that does not exist (or is not visible) answers 404: the artifact is not found there.
    if (opts.runId !== undefined && (err as { status?: number }).status === 404) list = [];
    else throw err;
  }
  const chosen = pickArtifact(list, name, where);
  const expectedHash = normalizeDigest(chosen.digest);

  const dir = await freshDir(opts.destDir);
  try {
    const { DefaultArtifactClient } = await loadClient();
    let res;
    try {
      res = await new DefaultArtifactClient().downloadArtifact(chosen.id, {
        path: dir,
        expectedHash,
        findBy: { token: opts.token, repositoryOwner: owner, repositoryName: repo, workflowRunId: chosen.workflow_run?.id ?? opts.runId ?? 0 },
      });
    } catch (err) {
      const status = (err as { status?: number }).status;
      if (status === 410) throw artifactError(expiredMessage(chosen), err);
      if (status === 404) throw artifactError(`no artifact ${name} in ${where}; it was deleted`, err);
      throw artifactError(`cannot download artifact ${name} (id ${chosen.id}): ${firstLine(err)}`, err);
    }
    if (res.digestMismatch) {
      throw artifactError(`the downloaded artifact ${name} (id ${chosen.id}) does not match its digest ${expectedHash}; try again`);
    }
    return {
      path: await findArchive(dir, name),
      dir,
      artifact: {
        id: chosen.id,
        name,
        size: chosen.size_in_bytes,
        digest: expectedHash,
        createdAt: chosen.created_at ?? undefined,
        runId: chosen.workflow_run?.id ?? opts.runId,
      },
    };
  } catch (err) {
    if (!opts.destDir) await rm(dir, { recursive: true, force: true }).catch(() => {});
    throw err;
  }
}

/** Without a token: the artifact of this name uploaded earlier in the current run. */
async function downloadFromThisRun(name: string, destDir: string | undefined): Promise<DownloadedArchive> {
  if (!process.env.ACTIONS_RUNTIME_TOKEN || !process.env.ACTIONS_RESULTS_URL) {
    throw artifactError(`fetching artifact ${name} needs a GitHub token with actions:read (or the GitHub Actions runtime for an artifact of the current run)`);
  }
  const { DefaultArtifactClient, ArtifactNotFoundError } = await loadClient();
  const client = new DefaultArtifactClient();
  let found;
  try {
    found = (await client.getArtifact(name)).artifact;
  } catch (err) {
    if (err instanceof ArtifactNotFoundError) {
      throw artifactError(`no artifact ${name} in this run; to fetch one from another run pass a GitHub token with actions:read`, err);
    }
    throw artifactError(`cannot look up artifact ${name}: ${firstLine(err)}`, err);
  }
  const dir = await freshDir(destDir);
  try {
    const expectedHash = normalizeDigest(found.digest);
    let res;
    try {
      res = await client.downloadArtifact(found.id, { path: dir, expectedHash });
    } catch (err) {
      throw artifactError(`cannot download artifact ${name} (id ${found.id}): ${firstLine(err)}`, err);
    }
    if (res.digestMismatch) throw artifactError(`the downloaded artifact ${name} (id ${found.id}) does not match its digest ${expectedHash}; try again`);
    return {
      path: await findArchive(dir, name),
      dir,
      artifact: { id: found.id, name, size: found.size, digest: expectedHash, createdAt: found.createdAt?.toISOString() },
    };
  } catch (err) {
    if (!destDir) await rm(dir, { recursive: true, force: true }).catch(() => {});
    throw err;
  }
}

/** The archive's file name inside the artifact for a deploy: `php-deploy-<deployId>.tar.gz`. */
export function archiveFileName(deployId: string): string {
  return `${artifactName(deployId)}.tar.gz`;
}
