import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { activateCommand, remoteCommand, REMOTE_SCRIPT, shellQuote } from '../../src/remote/commands.js';
import { settingsWith } from './settings-fixture.js';

const NASTY = [
  "it's",
  'a b',
  '$(touch PWNED)',
  '`touch PWNED`',
  '; touch PWNED',
  '"double" and \\back',
  'line1\nline2',
  '*',
  '--flag',
  '',
  "'; touch PWNED; echo '",
];

/** Runs a command line the way sshd does: the login shell gets it as one string. */
function viaShell(commandLine: string, cwd: string): string {
  return execFileSync('/bin/sh', ['-c', commandLine], { cwd, encoding: 'utf8' });
}

describe('shellQuote', () => {
  it.each(NASTY)('passes %j through a real shell as one word, running nothing', (value) => {
    const dir = mkdtempSync(join(tmpdir(), 'pd-quote-'));
    const out = viaShell(`printf '%s\\0' ${shellQuote(value)}`, dir);
    expect(out).toBe(`${value}\0`);
    expect(existsSync(join(dir, 'PWNED'))).toBe(false);
  });
});

describe('remoteCommand', () => {
  it('hands every key=value to the script as exactly one argument', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pd-cmd-'));
    const script = 'printf "%s\\0" "$0" "$@"';
    const cmd = remoteCommand('activate', [
      ['path', '/srv/app'],
      ['holder', NASTY.join(' | ')],
      ['before', 'php artisan migrate --force && echo "done $HOME"'],
      ['version', ''],
    ], script);
    const args = viaShell(cmd, dir).split('\0').slice(0, -1);
    expect(args).toEqual([
      'php-deploy',
      'activate',
      'path=/srv/app',
      `holder=${NASTY.join(' | ')}`,
      'before=php artisan migrate --force && echo "done $HOME"',
    ]);
    expect(existsSync(join(dir, 'PWNED'))).toBe(false);
  });

  it('refuses an argument the command does not take (src/remote/contract.ts)', () => {
    expect(() => remoteCommand('list', [['path', '/srv/app'], ['token', 't1']])).toThrow(/list takes no argument token/);
  });

  it('builds the activation with every setting the server needs', () => {
    const s = settingsWith({
      'before-switch': 'php bin/migrate.php',
      'health-url': 'http://127.0.0.1:8080/health?full=1',
      'fpm-socket': '/run/php/php8.2-fpm.sock',
      'reload-command': 'sudo systemctl reload php8.2-fpm',
    });
    const cmd = activateCommand(s, { deployPath: s.deployPath, deployId: '20261122T101530Z-a1b2c3d', token: 't1' });
    expect(cmd.startsWith(`bash -c ${shellQuote(REMOTE_SCRIPT)} php-deploy activate `)).toBe(true);
    const tail = cmd.slice(`bash -c ${shellQuote(REMOTE_SCRIPT)} `.length);
    expect(tail).toContain('path=/srv/app');
    expect(tail).toContain('id=20261122T101530Z-a1b2c3d');
    expect(tail).toContain('shared=.env shared=storage');
    expect(tail).toContain("'before=php bin/migrate.php'");
    expect(tail).toContain("'fpm_uri=/health?full=1'");
    expect(tail).toContain('fpm_host=127.0.0.1:8080');
    expect(tail).toContain("'reload=sudo systemctl reload php8.2-fpm'");
    expect(tail).toContain('keep=5');
  });
});
