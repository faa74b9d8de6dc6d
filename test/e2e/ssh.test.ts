import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DeployError } from '../../src/errors.js';
import { loadPrivateKey } from '../../src/ssh/key.js';
import { fingerprint, parseKnownHosts } from '../../src/ssh/known-hosts.js';
import { connectSsh, type SshSession } from '../../src/ssh/session.js';
import { parseHosts, type HostTarget } from '../../src/ssh/target.js';
import { stack } from './helpers.js';

// Facts of the local stack (`stack.sh env`, through test/e2e/helpers.ts).
const HOST = stack.sshHost;
const PORT = stack.sshPort;
const USER = stack.sshUser;
const KEY = stack.key;
const KEY_PASS = stack.keyPass;
const KEY_PASSPHRASE = stack.keyPassphrase;
const KNOWN_HOSTS = stack.knownHosts;
const SSHD_PID = join(stack.dir, 'sshd.pid');

function stackProblem(): string | undefined {
  for (const f of [KEY, KEY_PASS, KNOWN_HOSTS, SSHD_PID]) if (!existsSync(f)) return `${f} is missing`;
  const pid = Number(readFileSync(SSHD_PID, 'utf8').trim());
  try {
    process.kill(pid, 0);
  } catch {
    return `sshd (pid ${pid}) is not running`;
  }
  return undefined;
}
const problem = stackProblem();
if (problem) console.warn(`test/e2e/ssh.test.ts skipped: the local stack is not up (${problem}); run "bash test/stack/stack.sh start"`);

describe.skipIf(problem !== undefined)('ssh against the local sshd (test/stack)', () => {
  let target: HostTarget;
  let key: string;
  let knownHostsText: string;
  let serverKeyBlob: Buffer;
  let tmp: string;
  const sessions: SshSession[] = [];

  const connect = async (overrides: { knownHosts?: string; privateKey?: string; passphrase?: string; target?: HostTarget; timeoutMs?: number } = {}): Promise<SshSession> => {
    const s = await connectSsh(overrides.target ?? target, {
      privateKey: overrides.privateKey ?? key,
      passphrase: overrides.passphrase,
      knownHosts: parseKnownHosts(overrides.knownHosts ?? knownHostsText),
      timeoutMs: overrides.timeoutMs ?? 10_000,
    });
    sessions.push(s);
    return s;
  };
  const connectError = async (...args: Parameters<typeof connect>): Promise<DeployError> => {
    try {
      await connect(...args);
    } catch (e) {
      expect(e).toBeInstanceOf(DeployError);
      return e as DeployError;
    }
    throw new Error('expected the connection to fail');
  };

  beforeAll(() => {
    [target] = parseHosts(`${USER}@${HOST}:${PORT}`) as [HostTarget];
    key = loadPrivateKey(readFileSync(KEY, 'utf8')).keyText;
    knownHostsText = readFileSync(KNOWN_HOSTS, 'utf8');
    const line = knownHostsText.split('\n').find((l) => l.trim() && !l.startsWith('#'))!;
    serverKeyBlob = Buffer.from(line.trim().split(/\s+/)[2]!, 'base64');
    tmp = mkdtempSync(join(tmpdir(), 'ssh-e2e-'));
  });
  afterAll(async () => {
    await Promise.all(sessions.map((s) => s.close()));
    rmSync(tmp, { recursive: true, force: true });
  });

  test('connects and runs echo hi', async () => {
    const s = await connect();
    expect(s.isConnected).toBe(true);
    expect(s.label).toBe(`${USER}@${HOST}:${PORT}`);
    const r = await s.exec('echo hi');
    expect(r).toEqual({ code: 0, stdout: 'hi\n', stderr: '' });
    await s.close();
    expect(s.isConnected).toBe(false);
    await expect(s.exec('true')).rejects.toThrow(/not connected/);
  });

  test('exit codes, stderr and line callbacks', async () => {
    const s = await connect();
    expect((await s.exec('exit 3')).code).toBe(3);
    const out: string[] = [];
    const err: string[] = [];
    const r = await s.exec(`printf 'one\\r\\ntwo\\nthree'; echo oops >&2; exit 7`, {
      onStdoutLine: (l) => out.push(l),
      onStderrLine: (l) => err.push(l),
    });
    expect(r).toEqual({ code: 7, stdout: 'one\r\ntwo\nthree', stderr: 'oops\n' });
    expect(out).toEqual(['one', 'two', 'three']);
    expect(err).toEqual(['oops']);
  });

  test('a command killed by a signal reports it', async () => {
    const s = await connect();
    const r = await s.exec('kill -TERM $$');
    expect(r.code).toBeNull();
    expect(r.signal).toBe('SIGTERM');
  });

  test('the command gets EOF on stdin when none is given; a string stdin works', async () => {
    const s = await connect();
    expect((await s.exec('cat; echo done')).stdout).toBe('done\n');
    expect((await s.exec('cat', { stdin: 'hello\n' })).stdout).toBe('hello\n');
  });

  test('streams ~50 MB of stdin into sha256sum', async () => {
    const s = await connect();
    const block = randomBytes(1024 * 1024);
    const hash = createHash('sha256');
    let i = 0;
    const total = 50;
    const input = new Readable({
      read() {
        if (i === total) {
          this.push(null);
          return;
        }
        // Each block differs, so a dropped or repeated chunk changes the hash.
        const chunk = Buffer.concat([block, Buffer.from(String(i++))]);
        hash.update(chunk);
        this.push(chunk);
      },
    });
    const started = Date.now();
    const r = await s.exec('sha256sum', { stdin: input });
    expect(r.code).toBe(0);
    expect(r.stdout.split(' ')[0]).toBe(hash.digest('hex'));
    console.log(`50 MB through exec stdin in ${Date.now() - started} ms`);
  });

  test('a local stdin stream that errors mid-way rejects although the remote exits 0', async () => {
    const s = await connect();
    let sent = 0;
    const input = new Readable({
      read() {
        if (sent >= 5 * 1024 * 1024) {
          this.destroy(new Error('archive creation failed: disk on fire'));
          return;
        }
        sent += 256 * 1024;
        this.push(Buffer.alloc(256 * 1024, 1));
      },
    });
    await expect(s.exec('cat > /dev/null; exit 0', { stdin: input })).rejects.toThrow('archive creation failed: disk on fire');
    // The connection survives and is usable.
    expect((await s.exec('echo still here')).stdout).toBe('still here\n');
  });

  test('a remote that exits early while stdin is still streaming resolves with its exit code', async () => {
    const s = await connect();
    let n = 0;
    const input = new Readable({
      read() {
        if (n++ === 200) this.push(null);
        else this.push(Buffer.alloc(256 * 1024));
      },
    });
    const r = await s.exec('head -c 1000 > /dev/null; exit 4', { stdin: input });
    expect(r.code).toBe(4);
  });

  test('the passphrase-protected key works', async () => {
    const k = loadPrivateKey(readFileSync(KEY_PASS, 'utf8'), KEY_PASSPHRASE);
    const s = await connect({ privateKey: k.keyText, passphrase: KEY_PASSPHRASE });
    expect((await s.exec('whoami')).stdout).toBe(`${USER}\n`);
  });

  test('two concurrent execs share one connection', async () => {
    const s = await connect();
    const started = Date.now();
    const [a, b] = await Promise.all([s.exec('sleep 1; echo a'), s.exec('sleep 1; echo b')]);
    const took = Date.now() - started;
    expect(a.stdout).toBe('a\n');
    expect(b.stdout).toBe('b\n');
    expect(took).toBeLessThan(1900);
    // And many at once.
    const many = await Promise.all(Array.from({ length: 8 }, (_, i) => s.exec(`echo ${i}`)));
    expect(many.map((r) => r.stdout)).toEqual(Array.from({ length: 8 }, (_, i) => `${i}\n`));
  });

  test('abort closes the channel and rejects with the reason', async () => {
    const s = await connect();
    const ac = new AbortController();
    const reason = new DeployError('cancelled', { phase: 'upload' });
    setTimeout(() => ac.abort(reason), 200);
    const started = Date.now();
    await expect(s.exec('sleep 31.5', { signal: ac.signal })).rejects.toBe(reason);
    expect(Date.now() - started).toBeLessThan(2000);
    // The remote command was signalled, not left running.
    const left = await s.exec(`for i in 1 2 3 4 5 6 7 8 9 10; do pgrep -f 'sleep 3[1]\\.5' || exit 0; sleep 0.1; done; exit 1`);
    expect(left).toMatchObject({ code: 0, stdout: '' });
    await expect(s.exec('true', { signal: ac.signal })).rejects.toBe(reason);
    expect((await s.exec('echo ok')).stdout).toBe('ok\n');
  });

  test('an exec timeout rejects', async () => {
    const s = await connect();
    await expect(s.exec('sleep 30', { timeoutMs: 300 })).rejects.toThrow('ssh: the command did not finish within 0.3s');
  });

  test('a dropped connection rejects running commands', async () => {
    const s = await connect();
    const running = s.exec('sleep 8');
    // $PPID of the command's shell is this connection's sshd process (running as the deploy user).
    const killer = s.exec('kill -9 $PPID');
    await expect(running).rejects.toThrow(/connection was lost/);
    await killer.catch(() => undefined);
    expect(s.isConnected).toBe(false);
    const err = await running.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeployError);
    expect((err as DeployError).host).toBe(target.label);
  });

  test('a host key that does not match known_hosts is refused with its fingerprint', async () => {
    const other = join(tmp, 'other');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', other]);
    const [type, b64] = readFileSync(`${other}.pub`, 'utf8').split(' ');
    const e = await connectError({ knownHosts: `[${HOST}]:${PORT} ${type} ${b64}\n` });
    expect(e.phase).toBe('connect');
    expect(e.host).toBe(target.label);
    expect(e.message).toBe(
      `host key not trusted: ${HOST}:${PORT} offered ssh-ed25519 ${fingerprint(serverKeyBlob)}, which does not match the known-hosts entry — ` +
        `possible man-in-the-middle or a reinstalled server; if it was reinstalled, verify the new key and replace the line with one from "ssh-keyscan -p ${PORT} ${HOST}"`,
    );
    expect(e.oneLine()).toMatch(new RegExp(`^${USER}@${HOST}:${PORT}: connect: host key not trusted`));
  });

  test('a host key listed only for another host/port is refused', async () => {
    const fp = fingerprint(serverKeyBlob);
    const onlyPort22 = knownHostsText.replace(`[${HOST}]:${PORT}`, HOST);
    for (const kh of ['', `# nothing\n`, onlyPort22]) {
      const e = await connectError({ knownHosts: kh });
      expect(e.message).toBe(
        `host key not trusted: ${HOST}:${PORT} offered ssh-ed25519 ${fp}, which is not in known-hosts; verify it and add the line from "ssh-keyscan -p ${PORT} ${HOST}"`,
      );
    }
  });

  test('a revoked host key is refused even when listed', async () => {
    const line = knownHostsText.trim().split(/\s+/).slice(1).join(' ');
    const e = await connectError({ knownHosts: `${knownHostsText}\n@revoked * ${line}\n` });
    expect(e.message).toBe(`host key refused: ${HOST}:${PORT} offered ssh-ed25519 ${fingerprint(serverKeyBlob)}, which known-hosts marks @revoked`);
  });

  test('a @cert-authority line alone is explained', async () => {
    const line = knownHostsText.trim().split(/\s+/).slice(1).join(' ');
    const e = await connectError({ knownHosts: `@cert-authority * ${line}\n` });
    expect(e.message).toContain('which is not in known-hosts (known-hosts names it only in a @cert-authority line; host certificates are not supported');
  });

  test('known_hosts listing only a key type the server lacks', async () => {
    const other = join(tmp, 'rsa');
    execFileSync('ssh-keygen', ['-q', '-t', 'rsa', '-b', '2048', '-N', '', '-f', other]);
    const [type, b64] = readFileSync(`${other}.pub`, 'utf8').split(' ');
    const e = await connectError({ knownHosts: `[${HOST}]:${PORT} ${type} ${b64}\n` });
    expect(e.message).toBe(
      `host key not trusted: ${HOST}:${PORT} has no ssh-rsa host key, the type known-hosts lists for it; verify the server's key and add the line from "ssh-keyscan -p ${PORT} ${HOST}"`,
    );
  });

  test('a key the server does not accept', async () => {
    const other = join(tmp, 'stranger');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', other]);
    const e = await connectError({ privateKey: readFileSync(other, 'utf8') });
    expect(e.message).toBe(`the server refused the ssh-key for user ${USER}; add its public key to ~${USER}/.ssh/authorized_keys on the server`);
    const wrongUser = parseHosts(`nobody@${HOST}:${PORT}`)[0]!;
    const e2 = await connectError({ target: wrongUser });
    expect(e2.message).toContain('the server refused the ssh-key for user nobody');
    expect(e2.host).toBe(`nobody@${HOST}:${PORT}`);
  });

  test('a closed port is refused fast', async () => {
    const closed = parseHosts(`${USER}@127.0.0.1:2299`)[0]!;
    const started = Date.now();
    const e = await connectError({ target: closed, knownHosts: '' });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(e.message).toBe('connection refused by 127.0.0.1:2299; is sshd running there, and is the port right?');
    expect(e.oneLine()).toBe(`${USER}@127.0.0.1:2299: connect: connection refused by 127.0.0.1:2299; is sshd running there, and is the port right?`);
  });

  test('an unknown host name fails on DNS', async () => {
    const nowhere = parseHosts(`${USER}@no-such-host.invalid`)[0]!;
    const e = await connectError({ target: nowhere, knownHosts: '' });
    expect(e.message).toMatch(/^cannot resolve host name "no-such-host\.invalid" \(E[A-Z_]+\); check the spelling in hosts$/);
  });

  describe('a server that accepts and never speaks', () => {
    let server: Server;
    let port: number;
    const sockets: Socket[] = [];
    beforeAll(async () => {
      server = createServer((sock) => {
        sockets.push(sock);
        sock.on('error', () => {});
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      port = (server.address() as { port: number }).port;
    });
    afterAll(async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    });

    test('times out within timeoutMs + 1s', async () => {
      const silent = parseHosts(`${USER}@127.0.0.1:${port}`)[0]!;
      const started = Date.now();
      const e = await connectError({ target: silent, knownHosts: '', timeoutMs: 1500 });
      const took = Date.now() - started;
      expect(took).toBeGreaterThanOrEqual(1400);
      expect(took).toBeLessThan(2500);
      expect(e.message).toBe(`no answer within 1.5s from 127.0.0.1:${port}; check the host, the port and that SSH is reachable from here`);
      expect(e.phase).toBe('connect');
    });
  });
});
