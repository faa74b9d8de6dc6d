/**
 * Bad input and unreachable servers, through the built CLI: exit 2 for input errors (nothing touched),
 * exit 1 for connection problems; either way ONE line on stderr that names the input (or the host and
 * phase) and says what to do, and nothing on the server changes.
 */
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  appCopy,
  cli,
  deploy,
  lastLine,
  lines,
  newSite,
  served,
  serverState,
  setVersion,
  stack,
  stackArgs,
  tempDir,
  deployUser,
  type ServerState,
  type Site,
} from './helpers.js';
import { sshRun } from './faults-helpers.js';

let site: Site;
let app: string;
let live = '';
let silent: Server;
let silentPort = 0;
const sockets: Socket[] = [];
let otherKnownHosts = '';
let otherHostOnlyKnownHosts = '';
let serverFingerprint = '';
let dir = '';

beforeAll(async () => {
  site = newSite('e2e-bad');
  app = appCopy((d) => setVersion(d, 'bad-input-base'));
  const r = await deploy(site, app);
  expect(r.code, r.stderr).toBe(0);
  live = r.id;

  dir = tempDir('php-deploy-bad-');
  // A known_hosts that lists another key for the stack's host, and one that lists only another host.
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'not-the-server', '-f', join(dir, 'other')]);
  const otherKey = readFileSync(join(dir, 'other.pub'), 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');
  otherKnownHosts = join(dir, 'known_hosts_other_key');
  writeFileSync(otherKnownHosts, `[${stack.sshHost}]:${stack.sshPort} ${otherKey}\n`);
  otherHostOnlyKnownHosts = join(dir, 'known_hosts_other_host');
  writeFileSync(otherHostOnlyKnownHosts, `[web9.example.com]:22 ${otherKey}\n`);
  const realLine = lines(readFileSync(stack.knownHosts, 'utf8')).find((l) => l.trim() && !l.startsWith('#')) as string;
  const blob = Buffer.from(realLine.trim().split(/\s+/)[2] as string, 'base64');
  serverFingerprint = `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
  mkdirSync(join(dir, 'a-directory'));

  // Accepts TCP connections and never says a word.
  silent = createServer((s) => {
    sockets.push(s);
    s.on('error', () => {});
  });
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  silentPort = (silent.address() as { port: number }).port;
});

afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((r) => silent?.close(r));
});

/** The flags of stackArgs with some replaced (same flag name) or removed (value undefined). */
function argsWith(over: Record<string, string | undefined>): string[] {
  const base = stackArgs(site);
  const out: string[] = [];
  for (let i = 0; i < base.length; i += 2) {
    const flag = base[i] as string;
    if (flag in over) continue;
    out.push(flag, base[i + 1] as string);
  }
  for (const [flag, v] of Object.entries(over)) if (v !== undefined) out.push(flag, v);
  return out;
}

interface Case {
  name: string;
  args: () => string[];
  code: 1 | 2;
  /** The one line (after "php-deploy: "). */
  line: () => RegExp;
  /** Must fail within this long (wall time of the whole CLI run). */
  maxMs?: number;
  minMs?: number;
}

const deployWith = (over: Record<string, string | undefined>): string[] => ['deploy', '--source', app, ...argsWith(over)];
const H = (): string => stack.host.replace(/[.]/g, '\\.');

const cases: Case[] = [
  { name: 'missing hosts', args: () => deployWith({ '--hosts': undefined }), code: 2, line: () => /^hosts: missing; give one or more servers as user@host\[:port\]$/ },
  { name: 'hosts "deploy@"', args: () => deployWith({ '--hosts': 'deploy@' }), code: 2, line: () => /^hosts: bad entry "deploy@": no host; write each server as .*user@host:port/ },
  { name: 'hosts "host:99999"', args: () => deployWith({ '--hosts': 'host:99999' }), code: 2, line: () => /^hosts: bad entry "host:99999": port 99999 is out of range \(1-65535\); write each server as / },
  { name: 'hosts "a b"', args: () => deployWith({ '--hosts': 'a b' }), code: 2, line: () => /^hosts: bad entry "a b": it contains a space \(separate servers with commas or newlines\)/ },
  { name: 'relative deploy-path', args: () => deployWith({ '--deploy-path': 'sites/e2e-bad' }), code: 2, line: () => /^deploy-path: must be an absolute path such as \/var\/www\/app \(got 'sites\/e2e-bad'\)$/ },
  { name: 'deploy-path /', args: () => deployWith({ '--deploy-path': '/' }), code: 2, line: () => /^deploy-path: must not be \/ \(use a directory of its own, such as \/var\/www\/app\)$/ },
  { name: 'ssh-key-file that does not exist', args: () => deployWith({ '--ssh-key-file': join(dir, 'no-such-key') }), code: 2, line: () => /^ssh-key-file: cannot read \/.*no-such-key: no such file$/ },
  { name: 'ssh-key-file that is a directory', args: () => deployWith({ '--ssh-key-file': join(dir, 'a-directory') }), code: 2, line: () => /^ssh-key-file: cannot read \/.*a-directory: it is a directory, not a file$/ },
  {
    name: 'encrypted key, wrong passphrase',
    args: () => deployWith({ '--ssh-key-file': stack.keyPass, '--ssh-key-passphrase': 'wrong horse' }),
    code: 2,
    line: () => /^ssh-key-passphrase: wrong passphrase for ssh-key$/,
  },
  {
    name: 'encrypted key, no passphrase',
    args: () => deployWith({ '--ssh-key-file': stack.keyPass }),
    code: 2,
    line: () => /^ssh-key-passphrase: the ssh-key is encrypted; set ssh-key-passphrase$/,
  },
  {
    name: 'host key differs from the known-hosts entry',
    args: () => deployWith({ '--known-hosts-file': otherKnownHosts }),
    code: 1,
    line: () =>
      new RegExp(`^${H()}: connect: host key not trusted: 127\\.0\\.0\\.1:2222 offered ssh-ed25519 ${serverFingerprint.replace(/[+/]/g, '\\$&')}, which does not match the known-hosts entry .*ssh-keyscan -p 2222 127\\.0\\.0\\.1`),
  },
  {
    name: 'host not in known-hosts at all',
    args: () => deployWith({ '--known-hosts-file': otherHostOnlyKnownHosts }),
    code: 1,
    line: () =>
      new RegExp(`^${H()}: connect: host key not trusted: 127\\.0\\.0\\.1:2222 offered ssh-ed25519 ${serverFingerprint.replace(/[+/]/g, '\\$&')}, which is not in known-hosts; verify it and add the line from "ssh-keyscan -p 2222 127\\.0\\.0\\.1"$`),
  },
  {
    name: 'rollback to an unknown deploy-id',
    args: () => ['rollback', ...argsWith({ '--deploy-id': '20990101T000000Z-0000000' })],
    code: 1,
    line: () => new RegExp(`^${H()}: rollback: release 20990101T000000Z-0000000 does not exist on this server \\(see 'php-deploy list'\\)$`),
  },
  {
    name: 'deploy-id with /',
    args: () => ['rollback', ...argsWith({ '--deploy-id': '../../etc' })],
    code: 2,
    line: () => /^deploy-id: '\.\.\/\.\.\/etc' must be a release id as printed by a deploy or 'list' \(no '\/' or '\.\.'\)$/,
  },
  {
    name: 'deploy-id with ..',
    args: () => ['rollback', ...argsWith({ '--deploy-id': `${live}..x` })],
    code: 2,
    line: () => /^deploy-id: '.*\.\.x' must be a release id as printed by a deploy or 'list' \(no '\/' or '\.\.'\)$/,
  },
  // CLI ergonomics: the real CLI refuses before anything touches the server.
  {
    name: 'a single-value flag given twice',
    args: () => [...deployWith({}), '--deploy-path', '/home/deploy/sites/other'],
    code: 2,
    line: () => /^--deploy-path: given twice \('.*' and '\/home\/deploy\/sites\/other'\); give it once$/,
  },
  {
    name: 'a misspelt flag gets the nearest one',
    args: () => [...deployWith({}), '--healthurl', 'http://x/'],
    code: 2,
    line: () => /^arguments: unknown option --healthurl; did you mean --health-url\? \(see php-deploy --help\)$/,
  },
  {
    name: 'every missing input in one message',
    args: () => ['deploy', '--source', app],
    code: 2,
    line: () => /^arguments: missing --hosts, --ssh-key-file \(or --ssh-key\), --known-hosts-file \(or --known-hosts\), --deploy-path: each is required/,
  },
  {
    name: 'a misspelt command',
    args: () => ['deplyo', ...argsWith({})],
    code: 2,
    line: () => /^command: 'deplyo' is not one of deploy, rollback, list, unlock; did you mean deploy\?/,
  },
  {
    name: 'unreachable host (nothing listens) fails fast',
    args: () => deployWith({ '--hosts': 'deploy@127.0.0.1:2299' }),
    code: 1,
    line: () => /^deploy@127\.0\.0\.1:2299: connect: connection refused by 127\.0\.0\.1:2299; is sshd running there, and is the port right\?$/,
    maxMs: 3000,
  },
  {
    name: 'a host that accepts TCP and never speaks fails within ssh-timeout',
    args: () => [...deployWith({ '--hosts': `deploy@127.0.0.1:${silentPort}` }), '--ssh-timeout', '2'],
    code: 1,
    line: () =>
      new RegExp(`^deploy@127\\.0\\.0\\.1:${silentPort}: connect: no answer within 2s from 127\\.0\\.0\\.1:${silentPort}; check the host, the port and that SSH is reachable from here$`),
    minMs: 2000,
    maxMs: 2000 + 2500,
  },
];

describe('bad input and unreachable servers: one line, right exit code, nothing changed', () => {
  test.each(cases)('$name', async (c) => {
    const before: ServerState = serverState(site.deployPath);
    const r = await cli(c.args());
    const verdict = lastLine(r.stderr);
    expect(r.code, `stderr:\n${r.stderr}`).toBe(c.code);
    expect(r.stdout).toBe('');
    expect(verdict.startsWith('php-deploy: '), verdict).toBe(true);
    expect(verdict.slice('php-deploy: '.length)).toMatch(c.line());
    // Exactly one error line, and nothing else but progress lines before it (input errors: nothing at all).
    const others = lines(r.stderr).slice(0, -1);
    if (c.code === 2) expect(others).toEqual([]);
    for (const l of others) expect(l).toMatch(/^\[\s*\d+\.\ds\] (?!warning|error)/);
    if (c.maxMs !== undefined) expect(r.ms).toBeLessThan(c.maxMs);
    if (c.minMs !== undefined) expect(r.ms).toBeGreaterThanOrEqual(c.minMs);
    expect(serverState(site.deployPath)).toEqual(before);
    expect(await served(site)).toBe(live);
  });

  test('the encrypted key with the right passphrase deploys', async () => {
    const r = await cli(
      ['deploy', '--source', appCopy((d) => setVersion(d, 'with-passphrase')), ...argsWith({ '--ssh-key-file': stack.keyPass })],
      { env: { PHP_DEPLOY_SSH_KEY_PASSPHRASE: stack.keyPassphrase } },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toContain(stack.keyPassphrase);
    const id = /^deployed (\S+)/.exec(r.stdout)?.[1];
    expect(id).toBeDefined();
    expect(await served(site)).toBe(id);
    live = id as string;
  });
});

// ---------------------------------------------------------------------------------------------
// Shell metacharacters, newlines and '..' in every input whose value reaches a server (or ssh)
// ---------------------------------------------------------------------------------------------

/** Payloads that create /tmp/pd-pwned-<n> if anything ever runs them through a shell. */
const PAYLOADS: [label: string, make: (file: string) => string][] = [
  ['$(…)', (f) => `$(touch ${f})`],
  ['backticks', (f) => `\`touch ${f}\``],
  [';', (f) => `;touch ${f}`],
  ['|', (f) => `|touch ${f}`],
  ['&&', (f) => `&&touch ${f}`],
  ['single quotes', (f) => `'$(touch ${f})'`],
  ['double quotes', (f) => `"$(touch ${f})"`],
  ['newline', (f) => `\ntouch ${f}`],
  ['..', (f) => `/../../..${f}`],
];

const pwnedFiles = (): string[] => readdirSync('/tmp').filter((n) => n.startsWith('pd-pwned-'));

interface Injection {
  /** The input the one line must name. */
  input: string;
  /** The CLI arguments (and environment) with `value` in that input. */
  run: (value: string) => { args: string[]; env?: Record<string, string> };
  /** The valid value the payload is appended to. */
  base: () => string;
  /** Payloads taken as legitimately free text (never run; a dry run then succeeds). */
  accepts?: string[];
}

const dryRun = (over: Record<string, string | undefined>): string[] => ['deploy', '--source', app, '--dry-run', ...argsWith(over)];
const knownHostsLine = (): string => lines(readFileSync(stack.knownHosts, 'utf8')).find((l) => l.trim() && !l.startsWith('#')) as string;
const ALL_BUT_NEWLINE = PAYLOADS.map(([label]) => label).filter((l) => l !== 'newline');

const injections: Injection[] = [
  { input: 'deploy-path', base: () => site.deployPath, run: (v) => ({ args: dryRun({ '--deploy-path': v }) }) },
  { input: 'deploy-id', base: () => live, run: (v) => ({ args: ['rollback', ...argsWith({ '--deploy-id': v })] }) },
  { input: 'release-version', base: () => '1.0.0', run: (v) => ({ args: dryRun({ '--release-version': v }) }) },
  { input: 'shared', base: () => 'storage', run: (v) => ({ args: dryRun({ '--shared': v }) }) },
  { input: 'document-root', base: () => 'public', run: (v) => ({ args: dryRun({ '--document-root': v }) }) },
  { input: 'front-controller', base: () => 'index.php', run: (v) => ({ args: dryRun({ '--front-controller': v }) }) },
  // A URL path may hold '..' (the server normalises it); it only ever is one argument of curl.
  { input: 'health-url', base: () => site.healthUrl, run: (v) => ({ args: dryRun({ '--health-url': v }) }), accepts: ['..'] },
  { input: 'fpm-socket', base: () => stack.fpmSocket, run: (v) => ({ args: dryRun({ '--fpm-socket': v }) }) },
  { input: 'hosts', base: () => stack.host, run: (v) => ({ args: dryRun({ '--hosts': v }) }) },
  { input: 'ssh-user', base: () => stack.sshUser, run: (v) => ({ args: [...dryRun({ '--hosts': `${stack.sshHost}:${stack.sshPort}` }), '--ssh-user', v] }) },
  // gitignore patterns are free text, used only locally by the scan; '..' is refused.
  { input: 'exclude', base: () => 'no-such-dir', run: (v) => ({ args: [...dryRun({}), '--exclude', v] }), accepts: ALL_BUT_NEWLINE.filter((l) => l !== '..').concat('newline') },
  {
    input: 'known-hosts',
    base: () => knownHostsLine().split(/\s+/)[0] as string,
    run: (v) => ({ args: [...dryRun({ '--known-hosts-file': undefined }), '--known-hosts', knownHostsLine().replace(/^\S+/, () => v)] }),
  },
  {
    // The comment after the key is free text; a newline starts a new (bad) line.
    input: 'known-hosts',
    base: () => `${knownHostsLine()} comment`,
    run: (v) => ({ args: [...dryRun({ '--known-hosts-file': undefined }), '--known-hosts', v] }),
    accepts: ALL_BUT_NEWLINE,
  },
  {
    input: 'ssh-key',
    base: () => readFileSync(stack.key, 'utf8'),
    run: (v) => ({ args: dryRun({ '--ssh-key-file': undefined }), env: { PHP_DEPLOY_SSH_KEY: v } }),
  },
];

let pwn = 0;
const injectionCases = injections.flatMap((inj) =>
  PAYLOADS.map(([label, make]) => {
    pwn += 1;
    const file = `/tmp/pd-pwned-${pwn}`;
    return { name: `${inj.input} + ${label}${inj.accepts?.includes(label) ? ' (free text)' : ''}`, inj, label, file, make };
  }),
);

describe.concurrent('shell metacharacters, newlines and .. in inputs: refused (exit 2, one line naming the input) or inert', () => {
  beforeAll(() => {
    for (const f of pwnedFiles()) rmSync(join('/tmp', f), { force: true });
  });

  test.each(injectionCases)('$name', async ({ inj, label, file, make }) => {
    const before: ServerState = serverState(site.deployPath);
    const value = inj.base() + make(file);
    const { args, env } = inj.run(value);
    const r = await cli(args, { env });
    if (inj.accepts?.includes(label)) {
      // Taken as data: the dry run goes through every check without running it anywhere.
      expect(r.code, `stderr:\n${r.stderr}`).toBe(0);
      expect(lines(r.stderr).filter((l) => l.startsWith('php-deploy:'))).toEqual([]);
    } else {
      expect(r.code, `stderr:\n${r.stderr}`).toBe(2);
      expect(r.stdout).toBe('');
      expect(lines(r.stderr), 'exactly one line, naming the input').toEqual([expect.stringMatching(new RegExp(`^php-deploy: ${inj.input}: `))]);
    }
    expect(pwnedFiles()).toEqual([]);
    expect(serverState(site.deployPath)).toEqual(before);
  });
});

describe('free text runs exactly as written, and nothing else ran anywhere', () => {
  test('before-switch, after-switch and reload-command run as the deploy user, as written; inert free text deploys', async () => {
    const tag = randomBytes(4).toString('hex');
    const out = (k: string): string => `/tmp/pd-free-${tag}-${k}`;
    const beforeSwitch = [
      'php bin/migrate.php',
      `printf '%s|%s|%s\\n' "$(id -un)" "$(basename "$PWD")" \`echo tick\` >> ${out('before')}`,
      `echo 'a;b|c&&d' "it's" > ${out('quotes')}; echo "\\$HOME stays literal: "'$(nothing)' >> ${out('quotes')}`,
    ];
    const r = await cli([
      'deploy',
      '--source',
      appCopy((d) => setVersion(d, 'free-text')),
      ...argsWith({
        '--health-url': `${site.healthUrl}?probe=a;b|c&&d`,
        '--reload-command': `${stack.reloadCommand} && echo "reload;$(id -un)" >> ${out('reload')}`,
        '--known-hosts-file': undefined,
      }),
      '--known-hosts',
      `${knownHostsLine()} $(touch /tmp/pd-pwned-kh);x|y`,
      ...beforeSwitch.flatMap((c) => ['--before-switch', c]),
      '--after-switch',
      `x=$(printf '%s' "$PHP_DEPLOY_ID"); echo "after:$x" >> ${out('after')}`,
      ...PAYLOADS.filter(([l]) => l !== '..').flatMap(([, make]) => ['--exclude', `no-such-dir${make('/tmp/pd-pwned-exclude')}`]),
    ]);
    expect(r.code, `stderr:\n${r.stderr}`).toBe(0);
    const id = /^deployed (\S+)/.exec(r.stdout)?.[1] as string;
    expect(await served(site)).toBe(id);
    live = id;
    // Each ran once, as written, as the deploy user, in the new release.
    expect(readFileSync(out('before'), 'utf8')).toBe(`${stack.sshUser}|${id}|tick\n`);
    expect(readFileSync(out('quotes'), 'utf8')).toBe("a;b|c&&d it's\n$HOME stays literal: $(nothing)\n");
    expect(readFileSync(out('after'), 'utf8')).toBe(`after:${id}\n`);
    expect(readFileSync(out('reload'), 'utf8')).toBe(`reload;${stack.sshUser}\n`);
    const { uid } = deployUser();
    for (const k of ['before', 'quotes', 'after', 'reload']) {
      expect(statSync(out(k)).uid).toBe(uid);
      rmSync(out(k));
    }
  });

  test('no /tmp/pd-pwned-* file exists, neither here nor as the deploy user sees it on the server', async () => {
    expect(pwnedFiles()).toEqual([]);
    const seen = await sshRun("ls -d /tmp/pd-pwned-* 2>/dev/null; echo \"home: $(ls -d ~/pd-pwned-* 2>/dev/null | wc -l)\"");
    expect(seen.code, seen.stderr).toBe(0);
    expect(seen.stdout).toBe('home: 0\n');
  });
});
