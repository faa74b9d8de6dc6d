/**
 * Bad input and unreachable servers, through the built CLI: exit 2 for input errors (nothing touched),
 * exit 1 for connection problems; either way ONE line on stderr that names the input (or the host and
 * phase) and says what to do, and nothing on the server changes.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
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
  type ServerState,
  type Site,
} from './helpers.js';

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
  { name: 'ssh-key-file that does not exist', args: () => deployWith({ '--ssh-key-file': join(dir, 'no-such-key') }), code: 2, line: () => /^ssh-key-file: cannot read \/.*no-such-key: ENOENT$/ },
  { name: 'ssh-key-file that is a directory', args: () => deployWith({ '--ssh-key-file': join(dir, 'a-directory') }), code: 2, line: () => /^ssh-key-file: cannot read \/.*a-directory: EISDIR$/ },
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
