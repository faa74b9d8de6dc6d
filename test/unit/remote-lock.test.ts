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
});
