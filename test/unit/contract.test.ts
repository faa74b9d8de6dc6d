// The protocol contract (src/remote/contract.ts) against the joined remote script, both ways, and the
// command builders against the contract. The engine's result reads are checked by the compiler:
// RemoteOutput.result/all take only a declared ResultKey.
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as build from '../../src/remote/commands.js';
import { REMOTE_ARGS, REMOTE_COMMANDS, REMOTE_RESULTS } from '../../src/remote/contract.js';
import { REMOTE_MODULES, REMOTE_SCRIPT } from '../../src/remote/script.js';
import { settingsWith } from './settings-fixture.js';

const code = REMOTE_SCRIPT.split('\n').filter((l) => !/^\s*#/.test(l));

/** The body of a top-level function of the joined script. */
function body(name: string): string[] {
  const start = code.indexOf(`${name}() {`);
  expect(start, `function ${name} in the remote script`).toBeGreaterThan(-1);
  return code.slice(start + 1, code.indexOf('}', start));
}

const sorted = (xs: Iterable<string>): string[] => [...new Set(xs)].sort();

describe('remote modules', () => {
  it('joins every file of src/remote/modules, in name order, each with its purpose on the first line', () => {
    const files = readdirSync('src/remote/modules').sort();
    expect(REMOTE_MODULES.map(([name]) => name)).toEqual(files);
    for (const [name, text] of REMOTE_MODULES) {
      expect(text, name).toMatch(/^# \S.*\n# shellcheck shell=bash\n/);
      expect(text, name).toBe(readFileSync(`src/remote/modules/${name}`, 'utf8'));
    }
  });
});

describe('protocol contract', () => {
  const parseArgs = body('parse_args');
  const parsed = parseArgs.map((l) => /^\s+([a-z_]+)\) ([A-Z_]+)\+?=/.exec(l)).filter((m) => m !== null);

  it('every declared argument is parsed by parse_args, and every parsed one is declared', () => {
    expect(sorted(parsed.map((m) => m[1] as string))).toEqual(sorted(Object.keys(REMOTE_ARGS)));
  });

  it('every command declares only arguments of the table', () => {
    for (const [name, spec] of Object.entries(REMOTE_COMMANDS)) {
      for (const a of spec.args) expect(Object.keys(REMOTE_ARGS), `${name}: ${a}`).toContain(a);
    }
  });

  it('parse_args makes every variable it sets read-only', () => {
    const readonlyLine = parseArgs.join('\n').match(/readonly ((?:[A-Z_ ]|\\\n)+)/)?.[1] ?? '';
    const ro = readonlyLine.split(/[\s\\]+/).filter(Boolean);
    for (const m of parsed) expect(ro, `${m[1]} sets ${m[2]}`).toContain(m[2]);
  });

  it('every declared result is printed by the script, and every printed one is declared', () => {
    const printed = code.flatMap((l) => [...l.matchAll(/\bresult ([a-z_]+)\b/g)].map((m) => m[1] as string));
    expect(sorted(printed)).toEqual(sorted(Object.keys(REMOTE_RESULTS)));
    const declared = Object.values(REMOTE_COMMANDS).flatMap((c) => c.results);
    expect(sorted(declared)).toEqual(sorted(Object.keys(REMOTE_RESULTS)));
  });

  it('every declared command is dispatched by main, and every dispatched one is declared', () => {
    const patterns = body('main')
      .map((l) => /^\s+([a-z_][a-z_ |-]*)\)/.exec(l)?.[1])
      .filter((p): p is string => p !== undefined)
      .flatMap((p) => p.split('|').map((w) => w.trim()))
      .filter((w) => !w.startsWith('__'));
    expect(sorted(patterns)).toEqual(sorted(Object.keys(REMOTE_COMMANDS)));
  });

  it('every command builder, with every option set, uses only what its command declares', () => {
    const s = settingsWith({
      'before-switch': 'once: php artisan migrate\nphp bin/warm.php',
      'after-switch': 'echo done',
      'backup-command': 'mysqldump app > "$PHP_DEPLOY_BACKUP_DIR/db.sql"',
      'health-url': 'http://127.0.0.1:8080/health',
      'health-expect-release': 'true',
      'fpm-socket': '/run/php/php8.2-fpm.sock',
      'reload-command': 'sudo systemctl reload php8.2-fpm',
    });
    const ref = { deployPath: s.deployPath, deployId: '20261122T101530Z-a1b2c3d', token: 't1' };
    const lines: [string, string][] = [
      ['preflight', build.preflightCommand(s, 1000, { wantManifest: true })],
      ['inspect', build.inspectCommand(s)],
      ['begin', build.beginCommand(s, ref)],
      ['upload', build.uploadCommand(s, ref, '20261121T101530Z-a1b2c3d', 100)],
      ...(['activate', 'prepare', 'switch', 'finish'] as const).map((step): [string, string] => [
        step,
        build.activateCommand(s, ref, step, { once: true, backup: true }),
      ]),
      ['abort', build.abortCommand(s, ref, 'why')],
      ['note', build.noteCommand(ref, 'artifact', { artifact: 1 })],
      ['cancel', build.cancelCommand(ref, 'why')],
      ['rollback', build.rollbackCommand(s, 't1')],
      ['list', build.listCommand(s)],
      ['unlock', build.unlockCommand(s)],
    ];
    const prefix = `bash -c ${build.shellQuote(REMOTE_SCRIPT)} php-deploy `;
    for (const [name, line] of lines) {
      expect(line.startsWith(`${prefix}${name} `), name).toBe(true);
    }
    // The activation carries the backup and once-commands when asked to.
    expect(lines.find(([n]) => n === 'activate')?.[1]).toMatch(/'backup=mysqldump[^']*' backup_keep=5 'once=php artisan migrate'/);
  });
});
