/**
 * The remote script's state and output, run locally with bash exactly as sshd would run it: log lines
 * are valid JSON whatever a message holds, the state directory is the deploy user's alone, protocol
 * lines carry the command's nonce, and one shared path inside another is refused before anything changes.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { remoteCommand, type RemoteArg } from '../../src/remote/commands.js';
import type { RemoteCommandName } from '../../src/remote/contract.js';

function remote(command: RemoteCommandName, args: RemoteArg[], extra = ''): { code: number; out: string } {
  const r = spawnSync('/bin/sh', ['-c', `${remoteCommand(command, args)}${extra}`], { encoding: 'utf8' });
  return { code: r.status ?? -1, out: r.stdout + r.stderr };
}

function newPath(): string {
  return join(mkdtempSync(join(tmpdir(), 'pd-state-')), 'app');
}

describe('remote state and output', () => {
  it('every log line is JSON, whatever control characters or invalid UTF-8 a message holds', () => {
    const path = newPath();
    const holder = 'ci \u0001\u0002\u001b[31mred\u0007 \u007f tab\there';
    expect(remote('begin', [['path', path], ['id', 'd1'], ['token', 't1'], ['holder', holder]]).code).toBe(0);
    expect(remote('unlock', [['path', path]]).code).toBe(0);
    // A holder with a byte that is not UTF-8 (the shell passes it as it is).
    expect(remote('begin', [['path', path], ['id', 'd2'], ['token', 't2']], ` holder="bad$(printf '\\377')byte"`).code).toBe(0);
    expect(remote('unlock', [['path', path]]).code).toBe(0);
    const lines = readFileSync(join(path, '.php-deploy/log.jsonl'), 'utf8').trimEnd().split('\n');
    expect(lines.length).toBeGreaterThan(0);
    const parsed = lines.map((l) => JSON.parse(l) as { event: string; reason?: string });
    expect(parsed.find((l) => l.event === 'unlock')?.reason).toContain(holder);
    expect(parsed.at(-1)?.reason).toContain('badbyte');
  });

  it('the state directory is 0700, the log and the lock 0600', () => {
    const path = newPath();
    expect(remote('begin', [['path', path], ['id', 'd1'], ['token', 't1']]).code).toBe(0);
    const mode = (p: string): string => (statSync(join(path, '.php-deploy', p)).mode & 0o777).toString(8);
    expect(mode('')).toBe('700');
    expect(mode('log.jsonl')).toBe('600');
    expect(mode('lock')).toBe('600');
  });

  it('protocol lines carry the nonce of the command', () => {
    const path = newPath();
    const nonce = '0123456789abcdef0123456789abcdef';
    const r = remote('begin', [['path', path], ['id', 'd1'], ['token', 't1']], ` nonce=${nonce}`);
    expect(r.code).toBe(0);
    expect(r.out).toContain(`@@php-deploy:${nonce} phase lock`);
    expect(r.out).toContain(`@@php-deploy:${nonce} result live`);
    expect(r.out).not.toMatch(/^@@php-deploy /m);
  });

  it('one shared path inside another: refused before anything is created', () => {
    const path = newPath();
    const r = remote('begin', [['path', path], ['id', 'd1'], ['token', 't1'], ['shared', 'storage'], ['shared', 'storage/app/public']]);
    expect(r.code).toBe(1);
    expect(r.out).toContain("shared path 'storage/app/public' is inside 'storage', which is shared already");
    expect(existsSync(path)).toBe(false);
  });
});
