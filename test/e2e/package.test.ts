/**
 * The npm package as `npx php-deploy` gets it: packed from this tree and installed offline into an
 * empty project. dist/ bundles every dependency, so installing pulls nothing else, and the installed
 * CLI answers --version, usage and help.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NODE, ROOT } from './helpers.js';

let dir = '';
let pkgDir = '';

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pd-package-'));
  const packed = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', dir], { cwd: ROOT, encoding: 'utf8' })) as {
    filename: string;
    files: { path: string }[];
  }[];
  const tarball = join(dir, packed[0]!.filename);
  pkgDir = join(dir, 'project');
  execFileSync('mkdir', ['-p', pkgDir]);
  writeFileSync(join(pkgDir, 'package.json'), '{"name":"consumer","version":"1.0.0","private":true}\n');
  execFileSync('npm', ['install', '--offline', '--no-audit', '--no-fund', tarball], { cwd: pkgDir, encoding: 'utf8', stdio: 'pipe' });
}, 120_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the npm package', () => {
  it('installs php-deploy alone, with its license and the notices of what it bundles', () => {
    expect(readdirSync(join(pkgDir, 'node_modules')).filter((f) => !f.startsWith('.'))).toEqual(['php-deploy']);
    const installed = readdirSync(join(pkgDir, 'node_modules/php-deploy'));
    expect(installed).toEqual(expect.arrayContaining(['LICENSE', 'action.yml', 'dist', 'package.json']));
    expect(readFileSync(join(pkgDir, 'node_modules/php-deploy/dist/THIRD_PARTY_NOTICES.txt'), 'utf8')).toMatch(/^ssh2 \d/m);
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies?: object };
    expect(pkg.dependencies ?? {}).toEqual({});
  });

  it('runs: --version, usage without a command (exit 2), help', () => {
    const bin = join(pkgDir, 'node_modules/.bin/php-deploy');
    const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    const v = spawnSync(NODE, [bin, '--version'], { encoding: 'utf8' });
    expect([v.status, v.stdout]).toEqual([0, `php-deploy ${version}\n`]);
    const bare = spawnSync(NODE, [bin], { encoding: 'utf8', env: { ...process.env, PHP_DEPLOY_HOSTS: 'deploy@example.com' } });
    expect(bare.status).toBe(2);
    expect(bare.stderr).toMatch(/^Usage: php-deploy <deploy\|rollback\|list\|unlock> \[options\]\nNo command given/);
    const help = spawnSync(NODE, [bin, 'deploy', '--help'], { encoding: 'utf8', env: { ...process.env, COLUMNS: '80' } });
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^Connection:$/m);
    for (const line of help.stdout.split('\n')) expect(line.length).toBeLessThanOrEqual(80);
  });
});
