/**
 * Shared helpers for the end-to-end tests: they drive the built CLI (dist/cli.js) and action
 * (dist/index.js, dist/post.js) against the real local stack (test/stack/stack.sh) and look at what a
 * user would look at: exit codes, the one-line message, the page served, the files on the server.
 *
 * The stack is started (and dist/ built) once by test/e2e/global-setup.ts.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  cpSync,
  existsSync,
  lstatSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { readEnv } from '../stack/env.mjs';

// ---------------------------------------------------------------------------------------------
// Paths and the stack's facts
// ---------------------------------------------------------------------------------------------

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const EXAMPLE_APP = join(ROOT, 'examples/app');
export const CLI = join(ROOT, 'dist/cli.js');
export const ACTION_MAIN = join(ROOT, 'dist/index.js');
export const ACTION_POST = join(ROOT, 'dist/post.js');

/** The Node the action ships on (devDependency `node`, Node 24) when installed, else this one. */
export const NODE = existsSync(join(ROOT, 'node_modules/.bin/node')) ? join(ROOT, 'node_modules/.bin/node') : process.execPath;

let envCache: Record<string, string> | undefined;

/** `bash test/stack/stack.sh env` as a map (test/stack/env.mjs), read once. */
export function stackEnv(): Record<string, string> {
  envCache ??= readEnv('stack');
  return envCache;
}

/** `bash test/stack/hosts.sh <args>` (the namespace hosts; run under flock /tmp/php-deploy-netns.lock): its stdout. */
export function hostsSh(...args: string[]): string {
  return execFileSync('bash', [join(ROOT, 'test/stack/hosts.sh'), ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 180_000 });
}

/**
 * The namespace hosts up (idempotent; it also clears block and fill-disk faults a killed earlier run
 * left) and clean, with a fresh database `db` and a site on every host: their env (hosts.sh env).
 */
export function freshHosts(count: number, db: string): Record<string, string> {
  hostsSh('up', String(count));
  const env = readEnv('hosts');
  if (env.HOSTS_COUNT !== String(count)) throw new Error(`hosts.sh env says ${env.HOSTS_COUNT} hosts, not ${count}`);
  hostsSh('clean');
  execFileSync('mariadb', [`--defaults-file=${join(stack.dir, 'my.cnf')}`, '-e', `DROP DATABASE IF EXISTS \`${db}\``], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  hostsSh('new-site', db);
  return env;
}

function need(name: string): string {
  const v = stackEnv()[name];
  if (v === undefined || v === '') throw new Error(`stack.sh env does not print ${name}`);
  return v;
}

/** The facts of the local stack the tests use. */
export const stack = {
  get sshHost(): string {
    return need('STACK_SSH_HOST');
  },
  get sshPort(): number {
    return Number(need('STACK_SSH_PORT'));
  },
  get sshUser(): string {
    return need('STACK_SSH_USER');
  },
  /** `deploy@127.0.0.1:2222`: how the tool names the host in messages. */
  get host(): string {
    return `${need('STACK_SSH_USER')}@${need('STACK_SSH_HOST')}:${need('STACK_SSH_PORT')}`;
  },
  get key(): string {
    return need('STACK_SSH_KEY');
  },
  get keyPass(): string {
    return need('STACK_SSH_KEY_PASS');
  },
  get keyPassphrase(): string {
    return need('STACK_SSH_KEY_PASSPHRASE');
  },
  get knownHosts(): string {
    return need('STACK_KNOWN_HOSTS');
  },
  /** The stack's own directory (/opt/php-deploy-stack): keys, configs, MariaDB's my.cnf. */
  get dir(): string {
    return need('STACK_DIR');
  },
  get sites(): string {
    return need('STACK_SITES');
  },
  get fpmSocket(): string {
    return need('STACK_FPM_SOCKET');
  },
  get reloadCommand(): string {
    return need('STACK_RELOAD_COMMAND');
  },
  get httpPort(): number {
    return Number(need('STACK_HTTP_PORT'));
  },
};

// ---------------------------------------------------------------------------------------------
// Temporary directories (removed at process exit)
// ---------------------------------------------------------------------------------------------

const temps: string[] = [];
process.on('exit', () => {
  for (const t of temps) rmSync(t, { recursive: true, force: true });
});

export function tempDir(prefix = 'php-deploy-e2e-'): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  temps.push(d);
  return d;
}

// ---------------------------------------------------------------------------------------------
// Sites on the stack
// ---------------------------------------------------------------------------------------------

export interface Site {
  name: string;
  /** /home/deploy/sites/<name> */
  deployPath: string;
  /** http://<name>.localhost:8080 (served by the stack's nginx at 127.0.0.1) */
  url: string;
  healthUrl: string;
}

/**
 * The site name `name` gets on the stack: several work trees may run the same e2e file against the
 * one stack at once, and PHP_DEPLOY_TEST_SITE_PREFIX keeps their sites (and databases) apart.
 */
export function siteName(name: string): string {
  return `${process.env.PHP_DEPLOY_TEST_SITE_PREFIX ?? ''}${name}`;
}

/**
 * A fresh site: removes /home/deploy/sites/<name> and drops its database (site_<name>, '-' → '_'),
 * then runs test/stack/new-site.sh (shared/.env, an empty database).
 */
export function newSite(name: string): Site {
  name = siteName(name);
  const deployPath = join(stack.sites, name);
  rmSync(deployPath, { recursive: true, force: true });
  const db = `site_${name.replace(/-/g, '_')}`;
  execFileSync('mariadb', [`--defaults-file=${join(need('STACK_DIR'), 'my.cnf')}`, '-e', `DROP DATABASE IF EXISTS \`${db}\``], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  execFileSync('bash', [join(ROOT, 'test/stack/new-site.sh'), name], { stdio: ['ignore', 'ignore', 'pipe'] });
  const url = `http://${name}.localhost:${stack.httpPort}`;
  return { name, deployPath, url, healthUrl: `${url}/health` };
}

// ---------------------------------------------------------------------------------------------
// The example app, copied so that tests can change it
// ---------------------------------------------------------------------------------------------

/** Copies examples/app to a fresh temp dir (as a CI checkout would be: new mtimes), then lets mutate change it. */
export function appCopy(mutate?: (dir: string) => void): string {
  const dir = join(tempDir('php-deploy-app-'), 'app');
  cpSync(EXAMPLE_APP, dir, { recursive: true, preserveTimestamps: false });
  mutate?.(dir);
  return dir;
}

/** Replaces `search` in a file of the app, failing loudly when it is not there (the app changed). */
export function patchFile(dir: string, file: string, search: string, replacement: string): void {
  const path = join(dir, file);
  const text = readFileSync(path, 'utf8');
  if (!text.includes(search)) throw new Error(`patchFile: '${search}' not found in ${file}`);
  writeFileSync(path, text.replace(search, replacement));
}

/** Sets the version the app shows (config/version.php). */
export function setVersion(dir: string, version: string): void {
  writeFileSync(
    join(dir, 'config/version.php'),
    `<?php\n\ndeclare(strict_types=1);\n\n// Set by the e2e tests.\nreturn ${JSON.stringify(version).replace(/\$/g, '\\$')};\n`,
  );
}

const HEALTH_CALL = '[$status, $body] = Health::check();';

/** Makes GET /health answer 503 always. */
export function breakHealth(dir: string): void {
  patchFile(dir, 'src/Kernel.php', HEALTH_CALL, "[$status, $body] = [503, ['status' => 'error', 'reason' => 'broken on purpose by the e2e test']];");
}

/**
 * Makes GET /health answer 503 unless the request is php-deploy's pre-switch FastCGI check (which sets
 * PHP_DEPLOY_CHECK=pre-switch): the release passes its check before the switch and fails through nginx.
 */
export function breakHealthOutsideCheck(dir: string): void {
  patchFile(
    dir,
    'src/Kernel.php',
    HEALTH_CALL,
    "[$status, $body] = (($_SERVER['PHP_DEPLOY_CHECK'] ?? '') === 'pre-switch') ? Health::check() : [503, ['status' => 'error', 'reason' => 'fails only through the web server']];",
  );
}

// ---------------------------------------------------------------------------------------------
// Running the CLI and the action
// ---------------------------------------------------------------------------------------------

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Wall time of the process. */
  ms: number;
}

export interface RunOptions {
  /** Extra environment (on top of a clean copy of this process's). */
  env?: Record<string, string | undefined>;
  /** Written to stdin (then EOF). */
  input?: string;
  cwd?: string;
  /** Kill the process (SIGKILL) after this long; the test then fails on the exit code. */
  timeoutMs?: number;
  /** Called once the process is started (e.g. to kill it mid-way). */
  onSpawn?: (child: ChildProcess) => void;
}

/** This process's environment without anything that would change what php-deploy does (CI, inputs, state). */
export function cleanEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined) continue;
    if (/^(PHP_DEPLOY_|GITHUB_|INPUT_|STATE_|RUNNER_|ACTIONS_)/.test(k) || k === 'CI') continue;
    env[k] = v;
  }
  return env;
}

/** Runs `node <script> ...args` and collects its output. */
export function runNode(script: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  const env = { ...cleanEnv() };
  for (const [k, v] of Object.entries(opts.env ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  const started = Date.now();
  return new Promise((resolvePromise, reject) => {
    const child = spawn(NODE, [script, ...args], { cwd: opts.cwd ?? ROOT, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = opts.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs) : undefined;
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code, signal, stdout, stderr, ms: Date.now() - started });
    });
    child.stdin.on('error', () => {});
    child.stdin.end(opts.input ?? '');
    opts.onSpawn?.(child);
  });
}

/** `php-deploy <args>` as a user runs it: node dist/cli.js. */
export function cli(args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return runNode(CLI, args, opts);
}

export interface StackArgsOptions {
  /** Replaces the standard before-switch ('php bin/migrate.php'); [] for none. */
  beforeSwitch?: string[];
  /** Leave out these flags (e.g. ['--hosts']) to test what happens without them. */
  omit?: string[];
  /** Give these flags another value (e.g. { '--hosts': 'deploy@127.0.0.1:2299' }). */
  replace?: Record<string, string>;
}

/**
 * The flags that deploy the example app to `site` on the stack (everything but the command and
 * --source): hosts, key, known_hosts, paths, both checks, reload, shared .env and storage, migrations.
 */
export function stackArgs(site: Site, opts: StackArgsOptions = {}): string[] {
  const pairs: [string, string][] = [
    ['--hosts', stack.host],
    ['--ssh-key-file', stack.key],
    ['--known-hosts-file', stack.knownHosts],
    ['--deploy-path', site.deployPath],
    ['--health-url', site.healthUrl],
    ['--fpm-socket', stack.fpmSocket],
    ['--reload-command', stack.reloadCommand],
    ['--shared', '.env'],
    ['--shared', 'storage'],
  ];
  for (const cmd of opts.beforeSwitch ?? ['php bin/migrate.php']) pairs.push(['--before-switch', cmd]);
  return pairs
    .filter(([flag]) => !opts.omit?.includes(flag))
    .map(([flag, v]): [string, string] => [flag, opts.replace?.[flag] ?? v])
    .flat();
}

/** Deploys `source` to `site` with the stack's flags plus `extra`; returns the result and the new deploy id. */
export async function deploy(site: Site, source: string, extra: string[] = [], opts: RunOptions & StackArgsOptions = {}): Promise<RunResult & { id: string }> {
  const r = await cli(['deploy', '--source', source, ...stackArgs(site, opts), ...extra], opts);
  return { ...r, id: deployedId(r.stdout) ?? '' };
}

/** The deploy id in the CLI's "deployed <id> …" / "rolled back to <id> …" line. */
export function deployedId(stdout: string): string | undefined {
  return /^(?:deployed|rolled back to) (\S+)/m.exec(stdout)?.[1];
}

/** Lines of a text, without the empty one after the final newline. */
export function lines(text: string): string[] {
  const l = text.split('\n');
  if (l.at(-1) === '') l.pop();
  return l;
}

/** The last line of stderr: the CLI's one-line verdict on failure. */
export function lastLine(text: string): string {
  return lines(text).at(-1) ?? '';
}

/** A deploy id as the tool makes it: UTC time, then 7 hex digits. */
export const ID_RE = /^\d{8}T\d{6}Z-[0-9a-f]{7}$/;

/** Failing checks retry for health-timeout seconds: keep that short where a failure is the point. */
export const FAST_FAIL = ['--health-timeout', '2'];

/** Exit code 0, showing stderr when not. */
export function expectOk(r: { code: number | null; stderr: string }): void {
  expect(r.code, `exit code; stderr:\n${r.stderr}`).toBe(0);
}

/** Parses a GITHUB_OUTPUT / GITHUB_STATE file (`name<<delimiter` blocks or `name=value` lines). */
export function parseCommandFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const l = text.split('\n');
  for (let i = 0; i < l.length; i++) {
    const line = l[i] ?? '';
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const [, name = '', delim] = heredoc;
      const value: string[] = [];
      for (i++; i < l.length && l[i] !== delim; i++) value.push(l[i] ?? '');
      out[name] = value.join('\n');
    } else if (line.includes('=')) {
      out[line.slice(0, line.indexOf('='))] = line.slice(line.indexOf('=') + 1);
    }
  }
  return out;
}

export interface ActionRun extends RunResult {
  /** GITHUB_OUTPUT, parsed. */
  outputs: Record<string, string>;
  /** GITHUB_STATE, parsed (what the post step gets as STATE_<name>). */
  state: Record<string, string>;
  /** GITHUB_STEP_SUMMARY. */
  summary: string;
  files: { output: string; state: string; summary: string };
}

export interface ActionOptions extends RunOptions {
  /** GITHUB_* variables (defaults: a push of a random sha to acme/shop, run 4242). */
  github?: Record<string, string>;
  /** Saved state from the main step, passed as STATE_<name> (for the post step). */
  state?: Record<string, string>;
}

let defaultsCache: Record<string, string> | undefined;

/** The inputs' defaults from action.yml: the runner passes them as INPUT_<NAME> when a workflow leaves them out. */
export function actionDefaults(): Record<string, string> {
  if (defaultsCache) return defaultsCache;
  const out: Record<string, string> = {};
  let section = '';
  let input = '';
  for (const line of lines(readFileSync(join(ROOT, 'action.yml'), 'utf8'))) {
    const top = /^([a-z]+):/.exec(line);
    if (top) {
      section = top[1] as string;
      continue;
    }
    if (section !== 'inputs') continue;
    const name = /^  ([A-Za-z0-9_-]+):\s*$/.exec(line);
    if (name) input = name[1] as string;
    const def = /^    default:\s*(.*)$/.exec(line);
    if (def && input) {
      const raw = (def[1] as string).trim();
      out[input] = raw.startsWith('"') ? (JSON.parse(raw) as string) : raw.replace(/^'(.*)'$/, '$1');
    }
  }
  defaultsCache = out;
  return out;
}

/** The environment GitHub gives a node action: INPUT_<NAME> (upper-case, hyphens kept), GITHUB_*, STATE_*. */
export function actionEnv(inputs: Record<string, string>, opts: ActionOptions, files: ActionRun['files']): Record<string, string> {
  const env: Record<string, string> = {
    GITHUB_ACTIONS: 'true',
    CI: 'true',
    GITHUB_OUTPUT: files.output,
    GITHUB_STATE: files.state,
    GITHUB_STEP_SUMMARY: files.summary,
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_REPOSITORY: 'acme/shop',
    GITHUB_ACTOR: 'octocat',
    GITHUB_RUN_ID: '4242',
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_SHA: randomBytes(20).toString('hex'),
    GITHUB_REF_TYPE: 'branch',
    GITHUB_REF_NAME: 'main',
    RUNNER_TEMP: dirname(files.output),
    ...opts.github,
  };
  for (const [name, value] of Object.entries({ ...actionDefaults(), ...inputs })) env[`INPUT_${name.toUpperCase()}`] = value;
  for (const [name, value] of Object.entries(opts.state ?? {})) env[`STATE_${name}`] = value;
  return env;
}

/** Runs dist/index.js (or dist/post.js) as the GitHub runner would. */
export async function runAction(script: string, inputs: Record<string, string>, opts: ActionOptions = {}): Promise<ActionRun> {
  const dir = tempDir('php-deploy-action-');
  const files = { output: join(dir, 'output'), state: join(dir, 'state'), summary: join(dir, 'summary') };
  for (const f of Object.values(files)) writeFileSync(f, '');
  const r = await runNode(script, [], { ...opts, env: { ...actionEnv(inputs, opts, files), ...opts.env } });
  return {
    ...r,
    outputs: parseCommandFile(readFileSync(files.output, 'utf8')),
    state: parseCommandFile(readFileSync(files.state, 'utf8')),
    summary: readFileSync(files.summary, 'utf8'),
    files,
  };
}

/** The action inputs that deploy the example app to `site` (same as stackArgs, key and known_hosts as text). */
export function actionInputs(site: Site, source: string): Record<string, string> {
  return {
    hosts: stack.host,
    'ssh-key': readFileSync(stack.key, 'utf8'),
    'known-hosts': readFileSync(stack.knownHosts, 'utf8'),
    'deploy-path': site.deployPath,
    source,
    'health-url': site.healthUrl,
    'fpm-socket': stack.fpmSocket,
    'reload-command': stack.reloadCommand,
    shared: '.env\nstorage',
    'before-switch': 'php bin/migrate.php',
  };
}

// ---------------------------------------------------------------------------------------------
// HTTP through the stack's nginx
// ---------------------------------------------------------------------------------------------

export interface HttpResponse {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

/** GET http://127.0.0.1:8080<path> with Host <site>.localhost. */
export function get(site: Site | string, path = '/', port = stack.httpPort): Promise<HttpResponse> {
  const name = typeof site === 'string' ? site : site.name;
  return new Promise((resolvePromise, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, method: 'GET', headers: { Host: `${name}.localhost` }, timeout: 10_000 },
      (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (d: string) => (body += d));
        res.on('end', () => resolvePromise({ status: res.statusCode ?? 0, body, headers: res.headers }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`GET ${path} on ${name}.localhost timed out`)));
    req.on('error', reject);
    req.end();
  });
}

export interface Page {
  status: number;
  /** release=… in the page (the release of src/Release.php), and of each part. */
  release?: string;
  partA?: string;
  partB?: string;
  version?: string;
  body: string;
}

/** What the example app's front page says: which release (and part) served it, and the version. */
export function pageFacts(body: string): Pick<Page, 'release' | 'partA' | 'partB' | 'version'> {
  const pick = (re: RegExp): string | undefined => re.exec(body)?.[1];
  return {
    release: pick(/class="release">release=([^<]*)</),
    partA: pick(/part-a release=([^<]*)</),
    partB: pick(/part-b release=([^<]*)</),
    version: pick(/class="version">version=([^<]*)</),
  };
}

/** GET / and read which release served it. */
export async function page(site: Site): Promise<Page> {
  const r = await get(site, '/');
  return { status: r.status, body: r.body, ...pageFacts(r.body) };
}

/** Asserts-free summary of who serves the site: the release id when /, part-a and part-b agree, else a description. */
export async function served(site: Site): Promise<string> {
  const p = await page(site);
  if (p.status !== 200) return `HTTP ${p.status}`;
  if (p.release && p.release === p.partA && p.release === p.partB) return p.release;
  return `mixed: release=${p.release} part-a=${p.partA} part-b=${p.partB}`;
}

// ---------------------------------------------------------------------------------------------
// What is on the server
// ---------------------------------------------------------------------------------------------

export interface ServerState {
  /** Target of `current` (e.g. releases/<id>), or null. */
  current: string | null;
  /** Entries of releases/ (release dirs, .partial, .trash-*), sorted. */
  releases: string[];
  /** Files under .php-deploy/releases/ (e.g. <id>/ok), sorted. */
  meta: string[];
  /** Content of .php-deploy/lock, or null. */
  lock: string | null;
  /** Other entries of .php-deploy/ (seed, …) except lock, log.jsonl, runs and the flock files. */
  stateExtra: string[];
  /** Entries of shared/, sorted. */
  shared: string[];
  /** Number of lines in .php-deploy/log.jsonl. */
  logLines: number;
}

function list(dir: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch {
    return [];
  }
}

function walk(dir: string, base = dir): string[] {
  const out: string[] = [];
  for (const name of list(dir)) {
    const p = join(dir, name);
    let st;
    try {
      st = lstatSync(p);
    } catch {
      continue; // removed by the server while we looked (a test polling a deploy in progress)
    }
    if (st.isDirectory()) out.push(...walk(p, base));
    else out.push(relative(base, p));
  }
  return out.sort();
}

function readOrNull(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

/** A snapshot of everything on the server a deploy may change (not run logs, not the lock mutex). */
export function serverState(deployPath: string): ServerState {
  let current: string | null = null;
  try {
    current = readlinkSync(join(deployPath, 'current'));
  } catch {
    current = null;
  }
  const state = join(deployPath, '.php-deploy');
  const log = readOrNull(join(state, 'log.jsonl'));
  return {
    current,
    releases: list(join(deployPath, 'releases')),
    meta: walk(join(state, 'releases')),
    lock: readOrNull(join(state, 'lock')),
    stateExtra: list(state).filter((n) => !['lock', 'lock.mutex', 'activation.lock', 'log.jsonl', 'runs', 'releases'].includes(n)),
    shared: list(join(deployPath, 'shared')),
    logLines: log === null ? 0 : lines(log).length,
  };
}

export interface LogLine {
  time: string;
  event: string;
  id: string;
  result: string;
  reason?: string;
  phase?: string;
  live?: string;
  version?: string;
  [key: string]: unknown;
}

/** .php-deploy/log.jsonl, parsed. */
export function readLog(deployPath: string): LogLine[] {
  const text = readOrNull(join(deployPath, '.php-deploy/log.jsonl')) ?? '';
  return lines(text)
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as LogLine);
}

/** Inode of a file (same inode = hard link). */
export function inode(path: string): number {
  return statSync(path).ino;
}

/** uid/gid of the stack's deploy user (for files the tests write on its behalf). */
export function deployUser(): { uid: number; gid: number } {
  const uid = Number(execFileSync('id', ['-u', stack.sshUser], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', stack.sshUser], { encoding: 'utf8' }).trim());
  return { uid, gid };
}

/** A well-formed deploy id that does not exist anywhere. */
export function unknownId(): string {
  return `20990101T000000Z-${randomBytes(4).toString('hex').slice(0, 7)}`;
}
