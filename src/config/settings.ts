import { InputError } from '../errors.js';
import { DEFAULT_MIGRATION_GLOBS } from '../migrations/glob.js';
import { parseHosts, type HostTarget } from '../ssh/target.js';
import { COMMANDS, OPTIONS, type Command, type RawInputs } from './options.js';

/** Everything the engine needs, validated. Front ends build it with parseSettings. */
export interface Settings {
  command: Command;
  hosts: HostTarget[];
  ssh: {
    privateKey: string;
    passphrase?: string;
    knownHosts: string;
    timeoutMs: number;
    /** Jump hosts, in the order the connection goes through them (empty: connect directly). */
    proxyJump: HostTarget[];
  };
  deployPath: string;
  source: string;
  exclude: string[];
  version: string;
  gitSha: string;
  /** Rollback target; undefined = the release before the live one. */
  deployId?: string;
  /** Shared paths, each once; a trailing `/` (kept) says "a directory". Never nested in each other. */
  shared: string[];
  /** Shared paths (or paths inside them) the web server's user must be able to write. */
  writable: string[];
  /** How: `group` (chgrp to writableBy, g+rwX, setgid directories) or `acl` (setfacl for user writableBy). */
  writableMode: 'group' | 'acl';
  /** The web server's group (group) or user (acl). */
  writableBy?: string;
  beforeSwitch: string[];
  /** before-switch lines marked `once:` — run on the first host only (migrations). */
  onceCommands: string[];
  afterSwitch: string[];
  healthUrl?: string;
  healthTimeoutSec: number;
  fpmSocket?: string;
  /** Web root inside a release: a relative path, or '.' for the release root. */
  documentRoot: string;
  /** Script the web server falls back to (try_files … /index.php), relative to the document root. */
  frontController: string;
  reloadCommand?: string;
  /** After each switch, opcache_reset() through fpmSocket. */
  opcacheReset: boolean;
  keepReleases: number;
  lockTimeoutSec: number;
  lockTtlSec: number;
  dryRun: boolean;
  healthExpectRelease: boolean;
  strategy: 'all-at-once' | 'rolling';
  batchSize: number;
  rollingFailure: 'revert' | 'keep';
  maxParallel: number;
  migrations: 'forbid' | 'warn' | 'off';
  migrationsPath: string[];
  backupCommand?: string;
  backupKeep: number;
  artifact: 'auto' | 'true' | 'false';
  artifactRetentionDays?: number;
  githubToken?: string;
  /** Who deploys: a run URL or user@machine; recorded with the lock and in the deploy log. */
  who: string;
  /** Extra facts for the deploy log (run id, actor, …). */
  logContext: Record<string, string>;
}

/** Facts about where we run, used for defaults (tag, sha, who). */
export interface RunContext {
  tag?: string;
  sha?: string;
  who: string;
  logContext?: Record<string, string>;
}

export const DEPLOY_ID_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
const VERSION_RE = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$/;
const SAFE_PATH_CHARS_RE = /^[A-Za-z0-9._@+\/-]+$/;

function value(raw: RawInputs, name: string): string {
  const v = raw[name];
  if (v !== undefined && v !== '') return v;
  return OPTIONS.find((o) => o.name === name)?.default ?? '';
}

/** Lines or comma-separated entries, trimmed, blanks and `#` comments dropped. */
export function splitList(text: string, { commas = true } = {}): string[] {
  return text
    .split(commas ? /[\n,]/ : /\n/)
    .map((s) => s.trim())
    .filter((s) => s !== '' && !s.startsWith('#'));
}

function wholeNumber(raw: RawInputs, name: string, min: number, max: number): number {
  const text = value(raw, name).trim();
  if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) {
    throw new InputError(name, `must be a whole number from ${min} to ${max} (got '${text}')`);
  }
  return Number(text);
}

export function checkDeployPath(path: string): string {
  if (path === '') throw new InputError('deploy-path', 'missing; set it to an absolute path such as /var/www/app');
  if (!path.startsWith('/')) {
    throw new InputError('deploy-path', `must be an absolute path such as /var/www/app (got '${path}')`);
  }
  const normal = path.replace(/\/+$/, '').replace(/\/{2,}/g, '/');
  if (normal === '') throw new InputError('deploy-path', 'must not be / (use a directory of its own, such as /var/www/app)');
  if (normal.split('/').some((part) => part === '..' || part === '.')) {
    throw new InputError('deploy-path', `must not contain '.' or '..' segments (got '${path}')`);
  }
  if (!SAFE_PATH_CHARS_RE.test(normal)) {
    throw new InputError('deploy-path', `may contain only letters, digits and . _ @ + - / (got '${path}')`);
  }
  return normal;
}

/** A path inside a release (shared paths, document-root). */
export function checkReleasePath(input: string, path: string): string {
  const p = path.replace(/\/+$/, '');
  if (p === '' || p.startsWith('/')) {
    throw new InputError(input, `'${path}' must be a path relative to the release root, such as storage or public/uploads`);
  }
  if (p.split('/').some((part) => part === '..' || part === '.' || part === '')) {
    throw new InputError(input, `'${path}' must not contain '.', '..' or empty segments`);
  }
  if (!SAFE_PATH_CHARS_RE.test(p)) {
    throw new InputError(input, `'${path}' may contain only letters, digits and . _ @ + - /`);
  }
  return p;
}

/** document-root: a path inside the release, or `.` (or `./`) when the web root is the release root. */
export function checkDocumentRoot(path: string): string {
  if (/^\.\/*$/.test(path)) return '.';
  return checkReleasePath('document-root', path.replace(/^(\.\/)+/, ''));
}

/** front-controller: a .php file inside the document root, e.g. index.php or app.php. */
export function checkFrontController(path: string): string {
  const p = checkReleasePath('front-controller', path.replace(/^\/+/, ''));
  if (!p.endsWith('.php')) {
    throw new InputError('front-controller', `'${path}' must be a .php file inside document-root, such as index.php or app.php`);
  }
  return p;
}

export function checkDeployId(id: string): string {
  if (id.includes('/') || id.includes('..')) {
    throw new InputError('deploy-id', `'${id}' must be a release id as printed by a deploy or 'list' (no '/' or '..')`);
  }
  if (!DEPLOY_ID_RE.test(id) || id.endsWith('.partial')) {
    throw new InputError('deploy-id', `'${id}' is not a release id; use one printed by a deploy or by 'php-deploy list'`);
  }
  return id;
}

export function checkVersion(version: string): string {
  if (!VERSION_RE.test(version)) {
    throw new InputError(
      'release-version',
      `'${version}' must be 1–64 letters, digits or . _ + - starting with a letter or digit (e.g. v1.4.2)`,
    );
  }
  return version;
}

/** A default version label from the tag or the sha, made safe. */
export function defaultVersion(ctx: RunContext): string {
  const raw = ctx.tag || (ctx.sha ? ctx.sha.slice(0, 7) : 'unversioned');
  const safe = raw.replace(/[^A-Za-z0-9._+-]/g, '-').replace(/^[^A-Za-z0-9]+/, '').slice(0, 64);
  return safe || 'unversioned';
}

function yesNo(raw: RawInputs, name: string): boolean {
  const text = value(raw, name).trim().toLowerCase();
  if (['true', 'yes', '1', 'on'].includes(text)) return true;
  if (['false', 'no', '0', 'off', ''].includes(text)) return false;
  throw new InputError(name, `must be true or false (got '${text}')`);
}

function checkHealthUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new InputError('health-url', `'${url}' is not a URL; use one the server can reach, e.g. http://127.0.0.1/health`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new InputError('health-url', `'${url}' must be an http:// or https:// URL`);
  }
  if (/[\s'"`$\\]/.test(url)) throw new InputError('health-url', `'${url}' contains spaces, quotes or shell characters`);
  return url;
}

function checkFpmSocket(socket: string): string {
  if (socket.startsWith('/') && socket.split('/').some((part) => part === '..' || part === '.')) {
    throw new InputError('fpm-socket', `'${socket}' must not contain '.' or '..' segments`);
  }
  if (/^\/[A-Za-z0-9._@+\/-]+$/.test(socket) || /^[A-Za-z0-9.-]+:\d{1,5}$/.test(socket) || /^\[[0-9a-fA-F:]+\]:\d{1,5}$/.test(socket)) {
    return socket;
  }
  throw new InputError('fpm-socket', `'${socket}' must be a unix socket path (/run/php/php8.2-fpm.sock) or host:port (127.0.0.1:9000)`);
}

function opcacheReset(raw: RawInputs): boolean {
  const on = yesNo(raw, 'opcache-reset');
  if (on && value(raw, 'fpm-socket').trim() === '') {
    throw new InputError('opcache-reset', 'needs fpm-socket: the reset is a request to that php-fpm pool');
  }
  return on;
}

function commandLines(raw: RawInputs, name: string): string[] {
  const lines = splitList(value(raw, name), { commas: false });
  for (const line of lines) {
    if (line.includes('\0')) throw new InputError(name, 'contains a NUL byte');
  }
  return lines;
}

/**
 * The `shared` input: paths relative to the release, each once (a trailing `/` is kept: it makes a
 * missing path a directory). One shared path inside another is refused: the inner one already lives
 * in shared/ under the outer one, and linking it would go through the outer link into shared/.
 */
export function sharedPaths(text: string): string[] {
  const byPath = new Map<string, string>();
  for (const raw of splitList(text)) {
    const p = checkReleasePath('shared', raw);
    const dir = /\/$/.test(raw);
    if (!byPath.has(p) || dir) byPath.set(p, dir ? `${p}/` : p);
  }
  const paths = [...byPath.keys()];
  for (const inner of paths) {
    const outer = paths.find((o) => o !== inner && inner.startsWith(`${o}/`));
    if (outer) {
      throw new InputError(
        'shared',
        `'${inner}' is inside '${outer}', which is shared already (everything under ${outer} lives in shared/${outer}); remove '${inner}' from shared`,
      );
    }
  }
  return [...byPath.values()];
}

const NAME_RE = /^[a-z_][a-z0-9_.-]{0,31}$/i;

/** `writable`, `writable-mode`, `writable-by`: only shared paths can be writable (releases are read-only). */
function writableSettings(raw: RawInputs, shared: readonly string[]): Pick<Settings, 'writable' | 'writableMode' | 'writableBy'> {
  const writableMode = oneOf(raw, 'writable-mode', ['group', 'acl'] as const);
  const by = value(raw, 'writable-by').trim();
  const roots = shared.map((p) => p.replace(/\/+$/, ''));
  const writable = [...new Set(splitList(value(raw, 'writable')).map((p) => checkReleasePath('writable', p)))];
  for (const p of writable) {
    if (!roots.some((r) => p === r || p.startsWith(`${r}/`))) {
      throw new InputError(
        'writable',
        `'${p}' is not a shared path: files of a release are read-only (they are shared with other releases by hard link), so only shared paths can be writable; add '${p}' to shared`,
      );
    }
  }
  if (by !== '' && !NAME_RE.test(by)) throw new InputError('writable-by', `'${by}' is not a user or group name (e.g. www-data)`);
  if (writable.length > 0 && by === '') {
    throw new InputError('writable-by', `missing: name the web server's ${writableMode === 'acl' ? 'user' : 'group'} (e.g. www-data) that must write ${writable.join(', ')}`);
  }
  return { writable, writableMode, writableBy: by || undefined };
}

function migrationGlobs(globs: string[]): string[] {
  for (const g of globs) {
    if (g.startsWith('/') || g.split('/').includes('..') || /[\\\s'"`$;|&]/.test(g)) {
      throw new InputError('migrations-path', `'${g}' must be a relative glob such as database/migrations/*.php`);
    }
  }
  return globs.length > 0 ? globs : [...DEFAULT_MIGRATION_GLOBS];
}

function oneOf<T extends string>(raw: RawInputs, name: string, allowed: readonly T[]): T {
  const text = value(raw, name).trim();
  if (!(allowed as readonly string[]).includes(text)) {
    throw new InputError(name, `'${text}' is not one of ${allowed.join(', ')}`);
  }
  return text as T;
}

/** The SSH inputs: the key and known_hosts are required (a host key is never trusted silently). */
function sshSettings(raw: RawInputs, sshUser: string | undefined): Settings['ssh'] {
  const privateKey = value(raw, 'ssh-key');
  if (privateKey.trim() === '') {
    throw new InputError('ssh-key', 'missing; pass the private key text (e.g. ${{ secrets.DEPLOY_KEY }}) or --ssh-key-file');
  }
  const knownHosts = value(raw, 'known-hosts');
  if (knownHosts.trim() === '') {
    throw new InputError(
      'known-hosts',
      'missing; a host key is never trusted silently. Add the output of `ssh-keyscan -p PORT HOST` after checking its fingerprint',
    );
  }
  return {
    privateKey,
    passphrase: value(raw, 'ssh-key-passphrase') || undefined,
    knownHosts,
    timeoutMs: wholeNumber(raw, 'ssh-timeout', 1, 600) * 1000,
    proxyJump: value(raw, 'ssh-proxy-jump').trim() ? parseHosts(value(raw, 'ssh-proxy-jump'), sshUser, 'ssh-proxy-jump') : [],
  };
}

export function parseSettings(raw: RawInputs, ctx: RunContext): Settings {
  const command = value(raw, 'command').trim() as Command;
  if (!COMMANDS.includes(command)) {
    throw new InputError('command', `'${command}' is not one of ${COMMANDS.join(', ')}`);
  }
  const missing = OPTIONS.filter((o) => o.required && value(raw, o.name).trim() === '').map((o) => o.name);
  if (missing.length > 1) {
    throw new InputError(missing.join(', '), 'missing; each of these inputs is required (see the inputs table in the README)');
  }
  const hostsText = value(raw, 'hosts');
  if (hostsText.trim() === '') throw new InputError('hosts', 'missing; give one or more servers as user@host[:port]');
  const sshUser = value(raw, 'ssh-user').trim() || undefined;
  const hosts = parseHosts(hostsText, sshUser);

  const ssh = sshSettings(raw, sshUser);

  const deployPath = checkDeployPath(value(raw, 'deploy-path').trim());
  const versionInput = value(raw, 'release-version').trim();
  const version = versionInput ? checkVersion(versionInput) : defaultVersion(ctx);
  const deployIdInput = value(raw, 'deploy-id').trim();
  const beforeLines = commandLines(raw, 'before-switch');
  const shared = sharedPaths(value(raw, 'shared'));
  const isOnce = (l: string): boolean => /^once:/i.test(l);
  const onceCommands = beforeLines.filter(isOnce).map((l) => l.replace(/^once:\s*/i, ''));
  if (onceCommands.some((c) => c === '')) throw new InputError('before-switch', "a line 'once:' needs a command after it");

  return {
    command,
    hosts,
    ssh,
    deployPath,
    source: value(raw, 'source').trim() || '.',
    exclude: splitList(value(raw, 'exclude'), { commas: false }),
    version,
    gitSha: /^[0-9a-f]{7,64}$/i.test(ctx.sha ?? '') ? (ctx.sha as string) : '',
    deployId: deployIdInput ? checkDeployId(deployIdInput) : undefined,
    shared,
    ...writableSettings(raw, shared),
    beforeSwitch: beforeLines.filter((l) => !isOnce(l)),
    onceCommands,
    afterSwitch: commandLines(raw, 'after-switch'),
    healthUrl: value(raw, 'health-url').trim() ? checkHealthUrl(value(raw, 'health-url').trim()) : undefined,
    healthTimeoutSec: wholeNumber(raw, 'health-timeout', 1, 600),
    fpmSocket: value(raw, 'fpm-socket').trim() ? checkFpmSocket(value(raw, 'fpm-socket').trim()) : undefined,
    documentRoot: checkDocumentRoot(value(raw, 'document-root').trim()),
    frontController: checkFrontController(value(raw, 'front-controller').trim()),
    reloadCommand: value(raw, 'reload-command').trim() || undefined,
    opcacheReset: opcacheReset(raw),
    keepReleases: wholeNumber(raw, 'keep-releases', 1, 1000),
    lockTimeoutSec: wholeNumber(raw, 'lock-timeout', 0, 3600),
    lockTtlSec: wholeNumber(raw, 'lock-ttl', 30, 86400),
    dryRun: yesNo(raw, 'dry-run'),
    strategy: oneOf(raw, 'strategy', ['all-at-once', 'rolling'] as const),
    batchSize: wholeNumber(raw, 'batch-size', 1, 1000),
    rollingFailure: oneOf(raw, 'rolling-failure', ['revert', 'keep'] as const),
    maxParallel: wholeNumber(raw, 'max-parallel', 1, 200),
    migrations: oneOf(raw, 'migrations', ['forbid', 'warn', 'off'] as const),
    migrationsPath: migrationGlobs(splitList(value(raw, 'migrations-path'), { commas: false })),
    backupCommand: value(raw, 'backup-command').trim() || undefined,
    backupKeep: wholeNumber(raw, 'backup-keep', 1, 1000),
    artifact: oneOf(raw, 'artifact', ['auto', 'true', 'false'] as const),
    artifactRetentionDays: value(raw, 'artifact-retention-days').trim() ? wholeNumber(raw, 'artifact-retention-days', 1, 400) : undefined,
    githubToken: value(raw, 'github-token').trim() && !value(raw, 'github-token').includes('${{') ? value(raw, 'github-token').trim() : undefined,
    healthExpectRelease: yesNo(raw, 'health-expect-release'),
    who: ctx.who,
    logContext: ctx.logContext ?? {},
  };
}

/** Deploy ids sort by time, are unique per second and commit, and are safe as path names. */
export function newDeployId(now: Date, sha: string, random: () => string): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');
  const suffix = /^[0-9a-f]{7,}$/i.test(sha) ? sha.slice(0, 7).toLowerCase() : random();
  return `${stamp}-${suffix}`;
}
