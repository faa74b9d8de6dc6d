import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ACTION_AUTHOR, ACTION_DESCRIPTION, renderActionYml } from '../../src/config/action-yml.js';
import { envName, OPTIONS } from '../../src/config/options.js';
import { commandHelp, generalHelp, helpWidth, wrap } from '../../src/cli/help.js';
import { fileErrorWords, missingRequired, parseCli, suggestFlag } from '../../src/cli/input-helper.js';
import { VERSION } from '../../src/version.js';
import { InputError } from '../../src/errors.js';

describe('action.yml', () => {
  it('is the one rendered from the options table (run npm run bundle when this fails)', () => {
    expect(readFileSync(new URL('../../action.yml', import.meta.url), 'utf8')).toBe(renderActionYml());
  });
  it('fits the Marketplace: description under 125 characters, a real author', () => {
    expect(ACTION_DESCRIPTION.length).toBeLessThan(125);
    expect(ACTION_AUTHOR).toBe('php-deploy contributors');
    const yml = readFileSync(new URL('../../action.yml', import.meta.url), 'utf8');
    expect(yml).toContain(`description: ${JSON.stringify(ACTION_DESCRIPTION)}\n`);
  });
  it('runs on node24 with a post step', () => {
    const yml = readFileSync(new URL('../../action.yml', import.meta.url), 'utf8');
    expect(yml).toMatch(/runs:\n  using: node24\n  main: dist\/index.js\n  post: dist\/post.js/);
  });
});

describe('CLI arguments', () => {
  it('maps every input to --flag and PHP_DEPLOY_* with flags winning', () => {
    const env: NodeJS.ProcessEnv = {};
    for (const o of OPTIONS) env[envName(o.name)] = `env-${o.name}`;
    const fromEnv = parseCli(['list'], env);
    for (const o of OPTIONS) if (o.name !== 'command') expect(fromEnv.raw[o.name]).toBe(`env-${o.name}`);
    const fromFlags = parseCli(['deploy', '--deploy-path', '/srv/a', '--shared', '.env', '--shared=storage'], env);
    expect(fromFlags.command).toBe('deploy');
    expect(fromFlags.raw['deploy-path']).toBe('/srv/a');
    expect(fromFlags.raw.shared).toBe('.env\nstorage');
  });

  it('reads secrets from files, and says in plain words why a file cannot be read', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pd-cli-'));
    writeFileSync(join(dir, 'key'), 'KEY TEXT\n');
    const a = parseCli(['deploy', '--ssh-key-file', join(dir, 'key')], {});
    expect(a.raw['ssh-key']).toBe('KEY TEXT\n');
    expect(() => parseCli(['deploy', '--known-hosts-file', join(dir, 'missing')], {})).toThrow(
      `known-hosts-file: cannot read ${join(dir, 'missing')}: no such file`,
    );
    expect(() => parseCli(['deploy', '--known-hosts-file', dir], {})).toThrow(/: it is a directory, not a file$/);
    expect(() => parseCli(['deploy'], { PHP_DEPLOY_SSH_KEY_FILE: join(dir, 'nope') })).toThrow(/PHP_DEPLOY_SSH_KEY_FILE: cannot read .*: no such file$/);
    expect(fileErrorWords(Object.assign(new Error('x'), { code: 'EACCES' }))).toBe('permission denied');
  });

  it('refuses unknown flags with the nearest known one, and unknown commands', () => {
    expect(() => parseCli(['deploy', '--deploy-pth', '/x'], {})).toThrow('arguments: unknown option --deploy-pth; did you mean --deploy-path?');
    expect(() => parseCli(['deploy', '--known-host-file', 'x'], {})).toThrow(/did you mean --known-hosts-file\?/);
    expect(() => parseCli(['deploy', '--frobnicate'], {})).toThrow(/^arguments: unknown option --frobnicate \(see php-deploy --help\)$/);
    expect(() => parseCli(['ship'], {})).toThrow("command: 'ship' is not one of deploy, rollback, list, unlock");
    expect(() => parseCli(['deplyo'], {})).toThrow(/did you mean deploy\?/);
    expect(suggestFlag('--dryrun', ['--dry-run', '--json'])).toBe('--dry-run');
  });

  it('refuses a single-value flag given twice, but lets list flags repeat', () => {
    expect(() => parseCli(['deploy', '--deploy-path', '/a', '--deploy-path', '/b'], {})).toThrow(
      "--deploy-path: given twice ('/a' and '/b'); give it once",
    );
    expect(() => parseCli(['deploy', '--ssh-key', 'K', '--ssh-key-file', '/k'], {})).toThrow('given both as --ssh-key and --ssh-key-file');
    expect(() => parseCli(['deploy', '--dry-run', '--dry-run'], {})).toThrow(/--dry-run: given twice/);
    expect(parseCli(['deploy', '--hosts', 'a', '--hosts', 'b'], {}).raw.hosts).toBe('a\nb');
  });

  it('needs a value after a value flag', () => {
    expect(() => parseCli(['deploy', '--deploy-path'], {})).toThrow('--deploy-path: needs a value');
    expect(() => parseCli(['deploy', '--deploy-path', '--source', '.'], {})).toThrow('--deploy-path: needs a value (got the option --source)');
  });

  it('--version is the tool\'s version; the release label is --release-version (PHP_DEPLOY_VERSION still read)', () => {
    const a = parseCli(['--version'], {});
    expect(a.version).toBe(true);
    expect(a.command).toBeUndefined();
    expect(parseCli(['deploy', '--release-version', 'v2'], {}).raw['release-version']).toBe('v2');
    expect(parseCli(['deploy'], { PHP_DEPLOY_VERSION: 'v3' }).raw['release-version']).toBe('v3');
    expect(VERSION).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('has no default command: bare arguments leave it undefined (usage, exit 2), PHP_DEPLOY_COMMAND names one', () => {
    expect(parseCli([], { PHP_DEPLOY_HOSTS: 'a', PHP_DEPLOY_DEPLOY_PATH: '/x' }).command).toBeUndefined();
    expect(parseCli([], { PHP_DEPLOY_COMMAND: 'list' }).command).toBe('list');
  });

  it('lists every missing required input at once, as flags', () => {
    expect(missingRequired(parseCli(['deploy'], {}).raw)).toEqual(['--hosts', '--ssh-key-file (or --ssh-key)', '--known-hosts-file (or --known-hosts)', '--deploy-path']);
    expect(missingRequired(parseCli(['deploy', '--hosts', 'h', '--deploy-path', '/x'], { PHP_DEPLOY_SSH_KEY: 'k' }).raw)).toEqual([
      '--known-hosts-file (or --known-hosts)',
    ]);
  });
});

describe('CLI help', () => {
  const lines = (t: string): string[] => t.trimEnd().split('\n');

  it('is per command, grouped, and lists only what applies to the command and to the CLI', () => {
    const deploy = commandHelp('deploy', 100);
    for (const g of ['Connection:', 'Release:', 'Checks:', 'Many servers:', 'Safety:', 'Output:', 'Examples:']) expect(deploy).toContain(`\n${g}\n`);
    expect(deploy).toContain('--release-version <value>');
    expect(deploy).not.toMatch(/--github-token|--artifact|--command|github\.token|--deploy-id/);
    const rollback = commandHelp('rollback', 100);
    expect(rollback).toContain('--deploy-id <value>');
    expect(rollback).not.toMatch(/--source|--before-switch|--dry-run|--release-version|--strategy/);
    const list = commandHelp('list', 100);
    expect(list).not.toMatch(/--source|--deploy-id|--strategy/);
    expect(list).toContain('php-deploy list --hosts');
  });

  it('lists --ssh-key-file before --ssh-key', () => {
    const t = commandHelp('deploy', 100);
    expect(t.indexOf('--ssh-key-file <path>')).toBeGreaterThan(0);
    expect(t.indexOf('--ssh-key-file <path>')).toBeLessThan(t.indexOf('--ssh-key <text>'));
    expect(t).toMatch(/--ssh-key <text> +The same, as text \(visible in ps/);
  });

  it('wraps to the terminal width', () => {
    for (const width of [60, 80, 120]) {
      for (const text of [commandHelp('deploy', width), commandHelp('unlock', width), generalHelp(width)]) {
        for (const l of lines(text)) expect(l.length, l).toBeLessThanOrEqual(width);
      }
    }
    expect(helpWidth(200, {})).toBe(120);
    expect(helpWidth(undefined as unknown as number, { COLUMNS: '70' })).toBe(70);
    expect(helpWidth(undefined as unknown as number, {})).toBe(80);
    expect(wrap('aaa bbb ccc', 8, 2)).toEqual(['  aaa', '  bbb', '  ccc']);
  });

  it('general help names the commands and the way to per-command help', () => {
    const t = generalHelp(80);
    for (const c of ['deploy', 'rollback', 'list', 'unlock']) expect(t).toMatch(new RegExp(`^  ${c} +`, 'm'));
    expect(t).toContain("php-deploy <command> --help");
  });
});

describe('README', () => {
  it('documents every input and output in its tables', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    for (const o of OPTIONS) expect(readme, `input ${o.name}`).toContain(`| \`${o.name}\` |`);
    const yml = readFileSync(new URL('../../action.yml', import.meta.url), 'utf8');
    for (const name of yml.split('outputs:')[1]!.split('runs:')[0]!.matchAll(/^  ([a-z-]+):$/gm)) {
      expect(readme, `output ${name[1]}`).toContain(`| \`${name[1]}\` |`);
    }
  });
});
