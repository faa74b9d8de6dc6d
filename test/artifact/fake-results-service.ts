/**
 * A local stand-in for what `@actions/artifact` 6 talks to, so the REAL client can be tested:
 *
 * - the GitHub Actions results service (Twirp JSON, POST
 *   `/twirp/github.actions.results.api.v1.ArtifactService/{CreateArtifact,FinalizeArtifact,
 *   ListArtifacts,GetSignedArtifactURL,DeleteArtifact}`), authenticated by the runtime token: an
 *   unsigned JWT whose `scp` claim carries `Actions.Results:<runBackendId>:<jobBackendId>`;
 * - the REST endpoints used to find and fetch another run's artifacts:
 *   `GET /repos/{o}/{r}/actions/artifacts[?name]`, `GET /repos/{o}/{r}/actions/runs/{run}/artifacts[?name]`,
 *   `GET /repos/{o}/{r}/actions/artifacts/{id}`, `GET /repos/{o}/{r}/actions/artifacts/{id}/zip`
 *   (302 to a signed blob URL; 410 once expired) and `GET /repos/{o}/{r}/actions/runs/{run}`,
 *   authenticated by an API token;
 * - runs of pull requests from a fork (`newRun({ fork })`): they belong to the repository, so their
 *   artifacts are listed with its own, but their head repository is the fork — as GitHub reports it
 *   in an artifact's `workflow_run.head_repository_id` and a run's `head_repository`;
 * - the event payload (GITHUB_EVENT_PATH) with the repository's visibility;
 * - blob storage: signed URLs point at a real Azurite, so uploads and downloads go through the
 *   Azure SDK and plain HTTP exactly as against GitHub.
 *
 * One HTTP server on 127.0.0.1 serves both APIs: use its URL as ACTIONS_RESULTS_URL and GITHUB_API_URL.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { startAzurite, type Azurite } from './azurite.js';

const TWIRP_PREFIX = '/twirp/github.actions.results.api.v1.ArtifactService/';
const CONTAINER = 'actions-results';
const DAY = 86_400_000;

export interface FakeRun {
  /** The REST API's numeric run id (GITHUB_RUN_ID). */
  runId: number;
  /** The repository whose code the run ran: the repository itself, or a fork (pull request from it). */
  head: { id: number; fullName: string; fork: boolean };
  backendRunId: string;
  backendJobId: string;
  /** ACTIONS_RUNTIME_TOKEN for a job of this run. */
  runtimeToken: string;
}

export interface FakeArtifact {
  id: number;
  name: string;
  runId: number;
  backendRunId: string;
  backendJobId: string;
  blob: string;
  mimeType?: string;
  createdAt: Date;
  expiresAt: Date;
  finalized: boolean;
  deleted: boolean;
  /** Set by `expire()`; an artifact past `expiresAt` counts as expired too. */
  expired: boolean;
  size: number;
  /** `sha256:<hex>` as sent by FinalizeArtifact. */
  digest?: string;
}

export interface FakeGitHubOptions {
  owner?: string;
  repo?: string;
  /** The token the REST API accepts (like a GITHUB_TOKEN with actions:read). */
  apiToken?: string;
  /** Retention when CreateArtifact sends no expires_at (GitHub's default is 90 days). */
  defaultRetentionDays?: number;
  /** The repository's visibility in the event payload; `unknown`: the payload has no repository. Default private. */
  visibility?: 'public' | 'private' | 'internal' | 'unknown';
  /**
   * Whether an artifact's `workflow_run` carries `repository_id` and `head_repository_id` (as the
   * REST API does today); without them a client has to ask the run. Default true.
   */
  artifactRunRepositoryIds?: boolean;
}

export interface NewRunOptions {
  runId?: number;
  /** `owner/repo` of a fork: the run is a pull request from it. */
  fork?: string;
}

export interface FakeGitHub {
  /** http://127.0.0.1:<port> — both ACTIONS_RESULTS_URL and GITHUB_API_URL. */
  url: string;
  owner: string;
  repo: string;
  apiToken: string;
  azurite: Azurite;
  /** The repository's numeric id. */
  repositoryId: number;
  /** A new workflow run (one job), with its runtime token; a number is its run id. */
  newRun(opts?: number | NewRunOptions): FakeRun;
  /** The environment a node action of `run` sees (for process.env). */
  runEnv(run: FakeRun): Record<string, string>;
  artifacts(): FakeArtifact[];
  /** Marks artifacts (by id, or every one with that name) expired, as if their retention ran out a minute ago; deletes their blobs. */
  expire(idOrName: number | string): Promise<void>;
  /** Replaces an artifact's stored bytes (with `data`, or another artifact's) behind the service's back; its recorded digest stays. */
  tamper(id: number, data: Buffer | { from: number }): Promise<void>;
  /** Rewrites the event payload runEnv points at with another visibility. */
  setVisibility(v: NonNullable<FakeGitHubOptions['visibility']>): void;
  /** Leaves `repository_id`/`head_repository_id` out of artifacts' `workflow_run` from now on (or puts them back). */
  omitRunRepositoryIds(omit: boolean): void;
  /** Every request: "METHOD /path" (query left out). */
  requests: string[];
  /** Requests the stand-in does not know (answered 404); a test should expect none. */
  unhandled: string[];
  stop(): Promise<void>;
}

function b64url(obj: unknown): string {
  return Buffer.from(JSON.stringify(obj)).toString('base64url');
}

/** An unsigned JWT shaped like the runner's ACTIONS_RUNTIME_TOKEN (the client only decodes it). */
export function fakeRuntimeToken(backendRunId: string, backendJobId: string): string {
  const now = Math.floor(Date.now() / 1000);
  const payload = {
    scp: `Actions.ExampleScope Actions.Results:${backendRunId}:${backendJobId}`,
    iss: 'https://token.actions.invalid',
    aud: 'vso:fake',
    nbf: now - 60,
    exp: now + 6 * 3600,
  };
  return `${b64url({ typ: 'JWT', alg: 'none' })}.${b64url(payload)}.`;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(`HTTP ${status}`);
  }
}

const TWIRP_STATUS: Record<string, number> = {
  invalid_argument: 400,
  unauthenticated: 401,
  permission_denied: 403,
  not_found: 404,
  already_exists: 409,
  failed_precondition: 412,
};
function twirpError(code: keyof typeof TWIRP_STATUS, msg: string): HttpError {
  return new HttpError(TWIRP_STATUS[code]!, { code, msg });
}
function restError(status: number, message: string): HttpError {
  return new HttpError(status, { message, documentation_url: 'https://docs.github.com/rest', status: String(status) });
}

async function readBody(req: IncomingMessage): Promise<string> {
  const parts: Buffer[] = [];
  for await (const c of req) parts.push(c as Buffer);
  return Buffer.concat(parts).toString('utf8');
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

export async function startFakeGitHub(opts: FakeGitHubOptions = {}): Promise<FakeGitHub> {
  const owner = opts.owner ?? 'acme';
  const repo = opts.repo ?? 'shop';
  const apiToken = opts.apiToken ?? `ghs_fake${randomUUID().replace(/-/g, '')}`;
  const defaultRetentionDays = opts.defaultRetentionDays ?? 90;
  const repositoryId = 424_2001;
  const writeEvent = (visibility: NonNullable<FakeGitHubOptions['visibility']>): void => {
    const repoPayload =
      visibility === 'unknown'
        ? {}
        : { repository: { id: repositoryId, full_name: `${owner}/${repo}`, private: visibility !== 'public', visibility } };
    writeFileSync(eventPath, JSON.stringify({ ref: 'refs/heads/main', ...repoPayload }));
  };
  let withRunRepoIds = opts.artifactRunRepositoryIds ?? true;
  let nextForkId = 900_0001;
  const forkIds = new Map<string, number>();
  const eventDir = mkdtempSync(join(tmpdir(), 'php-deploy-fake-event-'));
  const eventPath = join(eventDir, 'event.json');
  writeEvent(opts.visibility ?? 'private');

  const azurite = await startAzurite();
  await azurite.createContainer(CONTAINER);

  const runs = new Map<number, FakeRun>();
  const runsByToken = new Map<string, FakeRun>();
  const artifacts: FakeArtifact[] = [];
  const requests: string[] = [];
  const unhandled: string[] = [];
  let nextRunId = 7000;
  let nextArtifactId = 1000;
  let url = '';

  const isExpired = (a: FakeArtifact): boolean => a.expired || a.expiresAt.getTime() <= Date.now();
  const visible = (a: FakeArtifact): boolean => a.finalized && !a.deleted;

  // ---- results service (Twirp) ----

  const runOf = (req: IncomingMessage, body: Record<string, unknown>): FakeRun => {
    const auth = req.headers.authorization ?? '';
    const token = /^Bearer (.+)$/i.exec(auth)?.[1];
    const run = token ? runsByToken.get(token) : undefined;
    if (!run) throw twirpError('unauthenticated', 'invalid or missing runtime token');
    if (body.workflow_run_backend_id !== run.backendRunId || body.workflow_job_run_backend_id !== run.backendJobId) {
      throw twirpError('permission_denied', 'backend ids do not match the runtime token');
    }
    return run;
  };
  const monolith = (a: FakeArtifact): Record<string, unknown> => ({
    workflow_run_backend_id: a.backendRunId,
    workflow_job_run_backend_id: a.backendJobId,
    database_id: String(a.id),
    name: a.name,
    size: String(a.size),
    created_at: a.createdAt.toISOString(),
    ...(a.digest ? { digest: a.digest } : {}),
  });

  const twirp: Record<string, (req: IncomingMessage, body: Record<string, unknown>) => Promise<unknown>> = {
    async CreateArtifact(req, body) {
      const run = runOf(req, body);
      const name = String(body.name ?? '');
      if (!name) throw twirpError('invalid_argument', 'name is required');
      if (body.version !== 7) throw twirpError('invalid_argument', `unsupported artifact version ${String(body.version)}`);
      if (artifacts.some((a) => a.backendRunId === run.backendRunId && a.name === name && !a.deleted)) {
        throw twirpError('already_exists', 'an artifact with this name already exists on the workflow run');
      }
      const createdAt = new Date();
      const expiresAt = typeof body.expires_at === 'string' ? new Date(body.expires_at) : new Date(createdAt.getTime() + defaultRetentionDays * DAY);
      if (Number.isNaN(expiresAt.getTime())) throw twirpError('invalid_argument', 'bad expires_at');
      const id = nextArtifactId++;
      const a: FakeArtifact = {
        id,
        name,
        runId: run.runId,
        backendRunId: run.backendRunId,
        backendJobId: run.backendJobId,
        blob: `${run.backendRunId}/${id}/${name}.zip`,
        mimeType: typeof body.mime_type === 'string' ? body.mime_type : undefined,
        createdAt,
        expiresAt,
        finalized: false,
        deleted: false,
        expired: false,
        size: 0,
      };
      artifacts.push(a);
      return { ok: true, signed_upload_url: azurite.signedUrl(CONTAINER, a.blob, 'cw') };
    },

    async FinalizeArtifact(req, body) {
      const run = runOf(req, body);
      const a = artifacts.find((x) => x.backendRunId === run.backendRunId && x.name === body.name && !x.finalized && !x.deleted);
      if (!a) throw twirpError('not_found', `no artifact ${String(body.name)} waiting to be finalized`);
      a.size = Number(body.size ?? 0);
      if (typeof body.hash === 'string') a.digest = body.hash;
      a.finalized = true;
      return { ok: true, artifact_id: String(a.id) };
    },

    async ListArtifacts(req, body) {
      const run = runOf(req, body);
      const list = artifacts.filter(
        (a) =>
          visible(a) &&
          !isExpired(a) &&
          a.backendRunId === run.backendRunId &&
          (typeof body.name_filter !== 'string' || a.name === body.name_filter) &&
          (typeof body.id_filter !== 'string' || String(a.id) === body.id_filter),
      );
      return { artifacts: list.map(monolith) };
    },

    async GetSignedArtifactURL(req, body) {
      const run = runOf(req, body);
      const a = artifacts.find((x) => visible(x) && x.backendRunId === run.backendRunId && x.name === body.name);
      if (!a || isExpired(a)) throw twirpError('not_found', `artifact ${String(body.name)} not found`);
      return { signed_url: azurite.signedUrl(CONTAINER, a.blob, 'r', 600) };
    },

    async DeleteArtifact(req, body) {
      const run = runOf(req, body);
      const a = artifacts.find((x) => visible(x) && x.backendRunId === run.backendRunId && x.name === body.name);
      if (!a) throw twirpError('not_found', `artifact ${String(body.name)} not found`);
      a.deleted = true;
      await azurite.deleteBlob(CONTAINER, a.blob);
      return { ok: true, artifact_id: String(a.id) };
    },
  };

  // ---- REST API ----

  const restArtifact = (a: FakeArtifact): Record<string, unknown> => ({
    id: a.id,
    node_id: Buffer.from(`Artifact${a.id}`).toString('base64'),
    name: a.name,
    size_in_bytes: a.size,
    url: `${url}/repos/${owner}/${repo}/actions/artifacts/${a.id}`,
    archive_download_url: `${url}/repos/${owner}/${repo}/actions/artifacts/${a.id}/zip`,
    expired: isExpired(a),
    created_at: a.createdAt.toISOString(),
    updated_at: a.createdAt.toISOString(),
    expires_at: a.expiresAt.toISOString(),
    digest: a.digest ?? null,
    workflow_run: {
      id: a.runId,
      ...(withRunRepoIds ? { repository_id: repositoryId, head_repository_id: runs.get(a.runId)?.head.id ?? repositoryId } : {}),
      head_branch: 'main',
      head_sha: '0'.repeat(40),
    },
  });

  const restRun = (run: FakeRun): Record<string, unknown> => ({
    id: run.runId,
    name: 'Deploy',
    event: run.head.fork ? 'pull_request' : 'push',
    repository: { id: repositoryId, full_name: `${owner}/${repo}`, fork: false },
    head_repository: { id: run.head.id, full_name: run.head.fullName, fork: run.head.fork },
  });

  const listing = (list: FakeArtifact[], q: URLSearchParams): unknown => {
    const name = q.get('name');
    const filtered = list.filter((a) => visible(a) && (name === null || a.name === name)).sort((x, y) => y.id - x.id);
    const perPage = Math.min(100, Math.max(1, Number(q.get('per_page') ?? 30) || 30));
    const page = Math.max(1, Number(q.get('page') ?? 1) || 1);
    return { total_count: filtered.length, artifacts: filtered.slice((page - 1) * perPage, page * perPage).map(restArtifact) };
  };

  const rest = async (req: IncomingMessage, res: ServerResponse, path: string, q: URLSearchParams): Promise<boolean> => {
    const m = /^\/repos\/([^/]+)\/([^/]+)\/actions\/(.+)$/.exec(path);
    if (!m || req.method !== 'GET') return false;
    const auth = req.headers.authorization ?? '';
    const token = /^(?:token|bearer) (.+)$/i.exec(auth)?.[1];
    if (token !== apiToken) throw restError(401, 'Bad credentials');
    if (m[1] !== owner || m[2] !== repo) throw restError(404, 'Not Found');
    const sub = m[3]!;
    let r: RegExpExecArray | null;
    if (sub === 'artifacts') {
      send(res, 200, listing(artifacts, q));
      return true;
    }
    if ((r = /^runs\/(\d+)$/.exec(sub))) {
      const run = runs.get(Number(r[1]));
      if (!run) throw restError(404, 'Not Found');
      send(res, 200, restRun(run));
      return true;
    }
    if ((r = /^runs\/(\d+)\/artifacts$/.exec(sub))) {
      const runId = Number(r[1]);
      if (!runs.has(runId)) throw restError(404, 'Not Found');
      send(res, 200, listing(artifacts.filter((a) => a.runId === runId), q));
      return true;
    }
    if ((r = /^artifacts\/(\d+)(?:\/([a-z]+))?$/.exec(sub))) {
      const a = artifacts.find((x) => x.id === Number(r![1]) && visible(x));
      if (!a) throw restError(404, 'Not Found');
      if (r[2] === undefined) {
        send(res, 200, restArtifact(a));
        return true;
      }
      if (r[2] !== 'zip') throw restError(400, `unsupported archive format ${r[2]}`);
      if (isExpired(a)) throw restError(410, 'Artifact has expired');
      send(res, 302, undefined, { location: azurite.signedUrl(CONTAINER, a.blob, 'r', 60) });
      return true;
    }
    return false;
  };

  const server: Server = createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://127.0.0.1');
    const line = `${req.method} ${u.pathname}`;
    requests.push(line);
    void (async () => {
      try {
        if (req.method === 'POST' && u.pathname.startsWith(TWIRP_PREFIX)) {
          const handler = twirp[u.pathname.slice(TWIRP_PREFIX.length)];
          if (!handler) throw twirpError('not_found', `no method ${u.pathname}`);
          if (!/application\/json/.test(req.headers['content-type'] ?? '')) throw twirpError('invalid_argument', 'expected application/json');
          let body: Record<string, unknown>;
          try {
            body = JSON.parse(await readBody(req)) as Record<string, unknown>;
          } catch {
            throw twirpError('invalid_argument', 'malformed JSON');
          }
          send(res, 200, await handler(req, body));
          return;
        }
        if (await rest(req, res, u.pathname, u.searchParams)) return;
        unhandled.push(line);
        throw restError(404, 'Not Found');
      } catch (err) {
        if (err instanceof HttpError) send(res, err.status, err.body);
        else send(res, 400, { code: 'invalid_argument', msg: String((err as Error)?.message ?? err) });
      }
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const addr = server.address();
  url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;

  return {
    url,
    owner,
    repo,
    apiToken,
    azurite,
    repositoryId,
    requests,
    unhandled,
    newRun(o) {
      const ro: NewRunOptions = typeof o === 'number' ? { runId: o } : (o ?? {});
      const id = ro.runId ?? nextRunId++;
      const backendRunId = randomUUID();
      const backendJobId = randomUUID();
      let head: FakeRun['head'] = { id: repositoryId, fullName: `${owner}/${repo}`, fork: false };
      if (ro.fork) {
        if (!forkIds.has(ro.fork)) forkIds.set(ro.fork, nextForkId++);
        head = { id: forkIds.get(ro.fork)!, fullName: ro.fork, fork: true };
      }
      const run: FakeRun = { runId: id, head, backendRunId, backendJobId, runtimeToken: fakeRuntimeToken(backendRunId, backendJobId) };
      runs.set(id, run);
      runsByToken.set(run.runtimeToken, run);
      return run;
    },
    runEnv(run) {
      return {
        ACTIONS_RUNTIME_TOKEN: run.runtimeToken,
        ACTIONS_RESULTS_URL: `${url}/`,
        GITHUB_API_URL: url,
        GITHUB_SERVER_URL: 'https://github.com',
        GITHUB_REPOSITORY: `${owner}/${repo}`,
        GITHUB_RUN_ID: String(run.runId),
        GITHUB_EVENT_PATH: eventPath,
        GITHUB_EVENT_NAME: run.head.fork ? 'pull_request' : 'push',
      };
    },
    artifacts: () => [...artifacts],
    setVisibility: writeEvent,
    omitRunRepositoryIds(omit) {
      withRunRepoIds = !omit;
    },
    async expire(idOrName) {
      const hit = artifacts.filter((a) => (typeof idOrName === 'number' ? a.id === idOrName : a.name === idOrName));
      if (hit.length === 0) throw new Error(`no artifact ${String(idOrName)} to expire`);
      for (const a of hit) {
        const retention = a.expiresAt.getTime() - a.createdAt.getTime();
        a.expiresAt = new Date(Date.now() - 60_000);
        a.createdAt = new Date(a.expiresAt.getTime() - retention);
        a.expired = true;
        await azurite.deleteBlob(CONTAINER, a.blob);
      }
    },
    async tamper(id, data) {
      const a = artifacts.find((x) => x.id === id);
      if (!a) throw new Error(`no artifact ${id} to tamper with`);
      let bytes: Buffer;
      if (Buffer.isBuffer(data)) bytes = data;
      else {
        const src = artifacts.find((x) => x.id === data.from);
        if (!src) throw new Error(`no artifact ${data.from} to copy from`);
        bytes = await azurite.readBlob(CONTAINER, src.blob);
      }
      await azurite.overwriteBlob(CONTAINER, a.blob, bytes);
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await azurite.stop();
      rmSync(eventDir, { recursive: true, force: true });
    },
  };
}
