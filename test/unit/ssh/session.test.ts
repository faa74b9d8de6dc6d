// SshSession and connectSsh against an in-process ssh2 server (no system sshd needed): host key
// algorithm selection with several host keys, dropped connections, output caps.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DeployError } from '../../../src/errors.js';
import { fingerprint, parseKnownHosts } from '../../../src/ssh/known-hosts.js';
import { OUTPUT_CAP, connectSsh, hostKeyAlgorithms, type SshSession } from '../../../src/ssh/session.js';
import { parseHosts } from '../../../src/ssh/target.js';

type Handler = (command: string, stream: ssh2.ServerChannel, client: ssh2.Connection) => void;

let dir: string;
const hostKeys: Record<'ed' | 'rsa' | 'ecdsa', { priv: string; line: string; blob: Buffer }> = {} as never;
let clientKey: string;
let server: ssh2.Server;
let port: number;
const negotiated: string[] = [];
let onExec: Handler = () => {};
const sessions: SshSession[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'session-test-'));
  const gen = (name: string, args: string[]): { priv: string; line: string; blob: Buffer } => {
    const file = join(dir, name);
    execFileSync('ssh-keygen', ['-q', ...args, '-N', '', '-C', 'test', '-f', file]);
    const [type, b64] = readFileSync(`${file}.pub`, 'utf8').split(' ');
    return { priv: readFileSync(file, 'utf8'), line: `${type} ${b64}`, blob: Buffer.from(b64!, 'base64') };
  };
  hostKeys.ed = gen('host_ed', ['-t', 'ed25519']);
  hostKeys.rsa = gen('host_rsa', ['-t', 'rsa', '-b', '2048']);
  hostKeys.ecdsa = gen('host_ecdsa', ['-t', 'ecdsa', '-b', '256']);
  clientKey = gen('client', ['-t', 'ed25519']).priv;

  server = new ssh2.Server({ hostKeys: [hostKeys.ed.priv, hostKeys.rsa.priv, hostKeys.ecdsa.priv] }, (client) => {
    client.on('error', () => {});
    client.on('handshake', (n) => negotiated.push(n.serverHostKey));
    client.on('authentication', (ctx) => (ctx.method === 'publickey' ? ctx.accept() : ctx.reject(['publickey'])));
    client.on('ready', () => {
      client.on('session', (accept) => {
        const session = accept();
        session.on('exec', (acceptExec, _reject, info) => onExec(info.command, acceptExec(), client));
      });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as { port: number }).port;
});

afterAll(async () => {
  await Promise.all(sessions.map((s) => s.close()));
  await new Promise((r) => server.close(r));
  rmSync(dir, { recursive: true, force: true });
});

async function connect(knownHostsKeys: string[]): Promise<SshSession> {
  const target = parseHosts(`deploy@127.0.0.1:${port}`)[0]!;
  const s = await connectSsh(target, {
    privateKey: clientKey,
    knownHosts: parseKnownHosts(knownHostsKeys.map((k) => `[127.0.0.1]:${port} ${k}`).join('\n')),
    timeoutMs: 5000,
  });
  sessions.push(s);
  return s;
}

describe('host key algorithm selection', () => {
  test('hostKeyAlgorithms maps known_hosts key types', () => {
    expect(hostKeyAlgorithms(['ssh-rsa'])).toEqual(['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa']);
    expect(hostKeyAlgorithms(['ssh-rsa', 'ssh-ed25519'])).toEqual(['ssh-ed25519', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa']);
    expect(hostKeyAlgorithms(['ecdsa-sha2-nistp384'])).toEqual(['ecdsa-sha2-nistp384']);
    expect(hostKeyAlgorithms([])).toBeUndefined();
    expect(hostKeyAlgorithms(['ssh-dss'])).toBeUndefined();
  });

  test.each([
    [['rsa'], 'rsa-sha2-512'],
    [['ecdsa'], 'ecdsa-sha2-nistp256'],
    [['ed'], 'ssh-ed25519'],
    [['rsa', 'ecdsa'], 'ecdsa-sha2-nistp256'],
  ] as const)('a server with several host keys presents the trusted one (%j)', async (listed, expected) => {
    onExec = (_c, stream) => {
      stream.write('ok\n');
      stream.exit(0);
      stream.end();
    };
    negotiated.length = 0;
    const s = await connect(listed.map((k) => hostKeys[k].line));
    expect(negotiated).toEqual([expected]);
    expect((await s.exec('x')).stdout).toBe('ok\n');
    await s.close();
  });

  test('mismatch names the offered key', async () => {
    const target = parseHosts(`deploy@127.0.0.1:${port}`)[0]!;
    const err = await connectSsh(target, {
      privateKey: clientKey,
      // Lists an ed25519 key that is not the server's.
      knownHosts: parseKnownHosts(`[127.0.0.1]:${port} ${hostKeys.ed.line.split(' ')[0]} ${Buffer.concat([hostKeys.ed.blob.subarray(0, -1), Buffer.from([hostKeys.ed.blob.at(-1)! ^ 1])]).toString('base64')}`),
      timeoutMs: 5000,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeployError);
    expect((err as DeployError).message).toContain(`offered ssh-ed25519 ${fingerprint(hostKeys.ed.blob)}, which does not match the known-hosts entry`);
  });
});

describe('exec', () => {
  test('a connection dropped by the server rejects running commands', async () => {
    onExec = (command, stream, client) => {
      if (command === 'hang') {
        stream.write('partial\n');
        setTimeout(() => client.end(), 100);
      }
    };
    const s = await connect([hostKeys.ed.line]);
    const err = await s.exec('hang').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeployError);
    expect((err as DeployError).message).toMatch(/^ssh: the connection was lost.* while a command was running$/);
    expect(s.isConnected).toBe(false);
  });

  test('a channel closed without an exit status gives code null', async () => {
    onExec = (_c, stream) => {
      stream.write('x');
      stream.end();
    };
    const s = await connect([hostKeys.ed.line]);
    expect(await s.exec('x')).toEqual({ code: null, stdout: 'x', stderr: '' });
  });

  test('output beyond the cap keeps the tail; long lines are split for callbacks', async () => {
    const chunk = Buffer.alloc(1024 * 1024, 'a');
    onExec = (_c, stream) => {
      // (stderr first: the ssh2 test server may drop stderr queued behind a full window at end())
      stream.stderr.write('e'.repeat(100));
      for (let i = 0; i < 5; i++) stream.write(chunk);
      stream.write('\nTHE END\n');
      stream.exit(0);
      stream.end();
    };
    const s = await connect([hostKeys.ed.line]);
    const lines: string[] = [];
    const r = await s.exec('x', { onStdoutLine: (l) => lines.push(l) });
    expect(r.code).toBe(0);
    expect(r.truncated).toBe(true);
    expect(r.stdout.length).toBe(OUTPUT_CAP);
    expect(r.stdout.endsWith('a\nTHE END\n')).toBe(true);
    expect(r.stderr).toBe('e'.repeat(100));
    expect(lines.at(-1)).toBe('THE END');
    expect(lines.slice(0, -1).join('').length).toBe(5 * 1024 * 1024);
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(64 * 1024);
  });

  test('multi-byte characters split across chunks stay intact in lines', async () => {
    onExec = (_c, stream) => {
      const text = Buffer.from('héllo wörld ✓\nzwei\n');
      for (let i = 0; i < text.length; i++) stream.write(text.subarray(i, i + 1));
      stream.exit(0);
      stream.end();
    };
    const s = await connect([hostKeys.ed.line]);
    const lines: string[] = [];
    const r = await s.exec('x', { onStdoutLine: (l) => lines.push(l) });
    expect(lines).toEqual(['héllo wörld ✓', 'zwei']);
    expect(r.stdout).toBe('héllo wörld ✓\nzwei\n');
  });
});
