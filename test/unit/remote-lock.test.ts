/**
 * The lease lock of the real remote script, run locally with bash (no SSH involved): the text the
 * engine sends is executed exactly as sshd would run it.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { remoteCommand, type RemoteArg } from '../../src/remote/commands.js';
import type { RemoteCommandName } from '../../src/remote/contract.js';

function remote(command: RemoteCommandName, args: RemoteArg[]): { code: number; out: string } {
  const r = spawnSync('/bin/sh', ['-c', remoteCommand(command, args)], { encoding: 'utf8' });
  return { code: r.status ?? -1, out: r.stdout + r.stderr };
}

function newPath(): string {
  return join(mkdtempSync(join(tmpdir(), 'pd-lock-')), 'app');
}

describe('remote lease lock', () => {
  it('lets one deploy in and names the holder to the next', () => {
    const path = newPath();
    const first = remote('begin', [['path', path], ['id', 'd1'], ['token', 't1'], ['holder', 'alice via run 1']]);
    expect(first.code).toBe(0);
    const lock = readFileSync(join(path, '.php-deploy/lock'), 'utf8');
    expect(lock).toContain('token=t1');
    expect(lock).toContain('holder=alice via run 1');

    const second = remote('begin', [['path', path], ['id', 'd2'], ['token', 't2'], ['holder', 'bob']]);
    expect(second.code).toBe(1);
    expect(second.out).toMatch(/@@php-deploy fail lock deploy-path .* is locked: held by alice via run 1 \(deploy d1\)/);
    expect(readFileSync(join(path, '.php-deploy/lock'), 'utf8')).toContain('token=t1');
  });

  it('takes over an expired lease and logs the takeover', () => {
    const path = newPath();
    expect(remote('begin', [['path', path], ['id', 'd1'], ['token', 't1'], ['holder', 'dead run']]).code).toBe(0);
    const lockFile = join(path, '.php-deploy/lock');
    writeFileSync(lockFile, readFileSync(lockFile, 'utf8').replace(/expires=\d+/, 'expires=1'));
    const next = remote('begin', [['path', path], ['id', 'd2'], ['token', 't2'], ['holder', 'bob']]);
    expect(next.code).toBe(0);
    expect(next.out).toContain('taking over an expired lock: held by dead run');
    expect(readFileSync(lockFile, 'utf8')).toContain('token=t2');
    const log = readFileSync(join(path, '.php-deploy/log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(log.at(-1)).toMatchObject({ event: 'lock', result: 'takeover' });
  });

  it('waits for a live holder up to lock-timeout, then gets the lock when it is released', async () => {
    const path = newPath();
    expect(remote('begin', [['path', path], ['id', 'd1'], ['token', 't1']]).code).toBe(0);
    setTimeout(() => remote('release-lock', [['path', path], ['token', 't1']]), 1200);
    const { spawn } = await import('node:child_process');
    const waited = await new Promise<number>((resolve) => {
      const p = spawn('/bin/sh', ['-c', remoteCommand('begin', [['path', path], ['id', 'd2'], ['token', 't2'], ['wait', 10]])]);
      p.on('exit', (code) => resolve(code ?? -1));
    });
    expect(waited).toBe(0);
    expect(readFileSync(join(path, '.php-deploy/lock'), 'utf8')).toContain('token=t2');
  });

  it('unlock removes the lock and says who held it', () => {
    const path = newPath();
    remote('begin', [['path', path], ['id', 'd1'], ['token', 't1'], ['holder', 'carol@laptop']]);
    const r = remote('unlock', [['path', path]]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('removed the lock held by carol@laptop (deploy d1)');
    expect(existsSync(join(path, '.php-deploy/lock'))).toBe(false);
  });

  it('refuses a current that is a plain directory, changing nothing', () => {
    const path = newPath();
    spawnSync('mkdir', ['-p', join(path, 'current')]);
    const r = remote('begin', [['path', path], ['id', 'd1'], ['token', 't1']]);
    expect(r.code).toBe(1);
    expect(r.out).toContain('is a plain directory, not a symlink: php-deploy will not replace or remove it');
    expect(existsSync(join(path, '.php-deploy'))).toBe(false);
  });

  it('hold renews the lease while its stdin is open, ends at EOF without releasing the lock', async () => {
    const path = newPath();
    expect(remote('begin', [['path', path], ['id', 'd1'], ['token', 't1'], ['ttl', 3]]).out).toContain('@@php-deploy result exit_lock held');
    const lockFile = join(path, '.php-deploy/lock');
    const expires = (): number => Number(/expires=(\d+)/.exec(readFileSync(lockFile, 'utf8'))?.[1]);
    const { spawn } = await import('node:child_process');
    const hold = spawn('/bin/sh', ['-c', remoteCommand('hold', [['path', path], ['id', 'd1'], ['token', 't1'], ['ttl', 3]])], { stdio: ['pipe', 'pipe', 'pipe'] });
    const before = expires();
    await new Promise((r) => setTimeout(r, 2600));
    expect(expires()).toBeGreaterThan(before);
    const code = new Promise<number>((resolve) => hold.on('exit', (c) => resolve(c ?? -1)));
    hold.stdin.end();
    expect(await code).toBe(0);
    expect(readFileSync(lockFile, 'utf8')).toContain('token=t1');
  });

  it('hold stops, naming who took the lock and when, once it is not its own', async () => {
    const path = newPath();
    remote('begin', [['path', path], ['id', 'd1'], ['token', 't1'], ['ttl', 3]]);
    const lockFile = join(path, '.php-deploy/lock');
    const { spawn } = await import('node:child_process');
    const hold = spawn('/bin/sh', ['-c', remoteCommand('hold', [['path', path], ['id', 'd1'], ['token', 't1'], ['ttl', 3]])], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    hold.stdout.on('data', (d: Buffer) => (out += d.toString()));
    writeFileSync(lockFile, 'token=t2\nholder=bob@ci\nid=d2\nacquired=1796000000\nexpires=9999999999\n');
    const code = await new Promise<number>((resolve) => hold.on('exit', (c) => resolve(c ?? -1)));
    expect(code).toBe(1);
    expect(out).toContain('@@php-deploy fail lock lost the lock: taken over by bob@ci (deploy d2) at 2026-11-30T00:53:20Z');
    expect(readFileSync(lockFile, 'utf8')).toContain('token=t2');
  });

  it('hold never takes a lock nobody holds', async () => {
    const path = newPath();
    remote('begin', [['path', path], ['id', 'd1'], ['token', 't1'], ['ttl', 3]]);
    remote('release-lock', [['path', path], ['token', 't1']]);
    const r = spawnSync('/bin/sh', ['-c', remoteCommand('hold', [['path', path], ['id', 'd1'], ['token', 't1'], ['ttl', 3]])], { encoding: 'utf8', timeout: 5000, input: '' });
    // EOF at once: it ends without renewing (and so without writing a lock).
    expect(r.status).toBe(0);
    expect(existsSync(join(path, '.php-deploy/lock'))).toBe(false);
  });

  it('a failed upload ends through the exit path: partial removed, lock released, and it says so', () => {
    const path = newPath();
    remote('begin', [['path', path], ['id', 'd1'], ['token', 't1']]);
    const r = spawnSync('/bin/sh', ['-c', remoteCommand('upload', [['path', path], ['id', 'd1'], ['token', 't1'], ['manifest_bytes', 100]])], {
      encoding: 'utf8',
      input: '# php-deploy manifest v1\n',
    });
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/@@php-deploy result exit_release removed\n@@php-deploy result exit_lock released\n@@php-deploy fail upload the upload was cut off \(in the manifest\)\n$/);
    expect(existsSync(join(path, '.php-deploy/lock'))).toBe(false);
    expect(existsSync(join(path, 'releases/d1.partial'))).toBe(false);
    expect(existsSync(join(path, '.php-deploy/releases/d1'))).toBe(false);
  });

  it('an activation step after the lock was removed stops at once, saying who removed it', () => {
    const path = newPath();
    remote('begin', [['path', path], ['id', 'd1'], ['token', 't1']]);
    expect(remote('unlock', [['path', path], ['context', '{"by":"carol@laptop"}']]).code).toBe(0);
    const r = remote('prepare', [['path', path], ['id', 'd1'], ['token', 't1']]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/@@php-deploy fail start lost the lock: removed by 'php-deploy unlock' \(carol@laptop\) at \d{4}-\d\d-\d\dT[\d:]+Z/);
    expect(r.out).toContain('@@php-deploy result exit_lock lost');
  });
});
