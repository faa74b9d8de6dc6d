import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ACTION_AUTHOR, ACTION_DESCRIPTION, renderActionYml } from '../../src/config/action-yml.js';
import { envName, OPTIONS } from '../../src/config/options.js';
import { parseCli } from '../../src/cli/input-helper.js';
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
    const fromFlags = parseCli(['deploy', '--deploy-path', '/srv/a', '--shared', '.env', '--shared', 'storage'], env);
    expect(fromFlags.command).toBe('deploy');
    expect(fromFlags.raw['deploy-path']).toBe('/srv/a');
    expect(fromFlags.raw.shared).toBe('.env\nstorage');
  });

  it('reads secrets from files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pd-cli-'));
    writeFileSync(join(dir, 'key'), 'KEY TEXT\n');
    const a = parseCli(['deploy', '--ssh-key-file', join(dir, 'key')], {});
    expect(a.raw['ssh-key']).toBe('KEY TEXT\n');
    expect(() => parseCli(['deploy', '--known-hosts-file', join(dir, 'missing')], {})).toThrow(/known-hosts-file: cannot read .*ENOENT/);
  });

  it('refuses unknown flags and commands with one line', () => {
    expect(() => parseCli(['deploy', '--deploy-pth', '/x'], {})).toThrow(InputError);
    expect(() => parseCli(['ship'], {})).toThrow("command: 'ship' is not one of deploy, rollback, list, unlock");
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
