/**
 * scripts/release.mjs in a temporary clone of this repository: the tag layout it produces is what the
 * README's `uses: php-deploy/php-deploy@vN` line resolves, and it refuses a dirty tree or a stale dist/.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
let dir = '';

const git = (...args: string[]): string => execFileSync('git', ['-C', dir, ...args], { encoding: 'utf8' }).trim();
const release = (...args: string[]) =>
  spawnSync(process.execPath, ['scripts/release.mjs', ...args], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
const commitOf = (ref: string): string => git('rev-parse', `${ref}^{commit}`);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pd-release-'));
  execFileSync('git', ['clone', '-q', '--no-local', ROOT, dir]);
  for (const t of git('tag', '--list').split('\n').filter(Boolean)) git('tag', '-d', t);
  git('config', 'user.name', 'Release Test');
  git('config', 'user.email', 'release@example.invalid');
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  // What the lead does after merging: dist/ rebuilt and committed.
  execFileSync(process.execPath, ['scripts/bundle.mjs'], { cwd: dir });
  git('add', '-A', 'dist', 'action.yml');
  if (git('status', '--porcelain')) git('commit', '-q', '-m', 'Rebuild dist');
}, 120_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('scripts/release.mjs', () => {
  it('refuses a dirty tree and a bad version, changing nothing', () => {
    writeFileSync(join(dir, 'README.md'), `${readFileSync(join(dir, 'README.md'), 'utf8')}\nlocal edit\n`);
    const r = release('1.0.0');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^release: the work tree has uncommitted changes/);
    git('checkout', '--', 'README.md');
    expect(release('1.0').stderr).toMatch(/usage: node scripts\/release\.mjs X\.Y\.Z/);
    expect(git('tag', '--list')).toBe('');
  });

  it('refuses a stale dist/', () => {
    const cli = join(dir, 'dist/cli.js');
    const before = readFileSync(cli, 'utf8');
    writeFileSync(cli, `${before}// stale\n`);
    git('commit', '-q', '-am', 'stale dist');
    const r = release('1.0.0');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^release: dist\/ is not the bundle of the committed source/);
    expect(git('tag', '--list')).toBe('');
    git('reset', '-q', '--hard', 'HEAD~1');
  });

  it('tags vX.Y.Z, moves vX, writes the CHANGELOG entry, and the README pins what it published', () => {
    git('commit', '-q', '--allow-empty', '-m', 'A change users should read about');
    const r1 = release('1.0.0');
    expect(r1.status, r1.stderr).toBe(0);
    const head1 = git('rev-parse', 'HEAD');
    expect(commitOf('v1.0.0')).toBe(head1);
    expect(commitOf('v1')).toBe(head1);
    expect(git('cat-file', '-t', 'v1.0.0')).toBe('tag'); // annotated
    expect(git('log', '-1', '--format=%s')).toBe('Release v1.0.0');
    expect(git('status', '--porcelain')).toBe('');

    const at = (ref: string, path: string): string => git('show', `${ref}:${path}`);
    expect(JSON.parse(at('v1', 'package.json')).version).toBe('1.0.0');
    const uses = [...at('v1', 'README.md').matchAll(/uses: (php-deploy\/php-deploy@v\d[\w.]*)/g)].map((m) => m[1]);
    expect(uses.length).toBeGreaterThan(0);
    expect(new Set(uses)).toEqual(new Set(['php-deploy/php-deploy@v1']));
    expect(at('v1', 'examples/workflows/deploy.yml')).toContain('uses: php-deploy/php-deploy@v1\n');
    expect(at('v1', 'CHANGELOG.md')).toMatch(/^# Changelog\n[\s\S]*\n## v1\.0\.0 — \d{4}-\d{2}-\d{2}\n\n[\s\S]*- A change users should read about\n/);
    // The bundle in the tag is fresh and knows its version.
    const v = spawnSync(process.execPath, ['dist/cli.js', '--version'], { cwd: dir, encoding: 'utf8' });
    expect(v.stdout).toBe('php-deploy 1.0.0\n');
    expect(spawnSync(process.execPath, ['scripts/bundle.mjs', '--check'], { cwd: dir }).status).toBe(0);

    // A minor release moves v1; v1.0.0 stays where it was; the changelog keeps the earlier entry.
    git('commit', '-q', '--allow-empty', '-m', 'Second change');
    const r2 = release('1.1.0');
    expect(r2.status, r2.stderr).toBe(0);
    const head2 = git('rev-parse', 'HEAD');
    expect(commitOf('v1')).toBe(head2);
    expect(commitOf('v1.1.0')).toBe(head2);
    expect(commitOf('v1.0.0')).toBe(head1);
    const changelog = at('v1', 'CHANGELOG.md');
    expect(changelog.indexOf('## v1.1.0')).toBeLessThan(changelog.indexOf('## v1.0.0'));
    expect(changelog.match(/- Second change/g)).toHaveLength(1);
    expect(changelog.match(/- A change users should read about/g)).toHaveLength(1);

    // Going back or repeating a version is refused.
    expect(release('1.0.5').stderr).toMatch(/v1\.0\.5 is not higher than the last release v1\.1\.0/);
    expect(release('1.1.0').stderr).toMatch(/v1\.1\.0 already exists/);

    // A major release creates v2 and leaves v1 alone.
    const r3 = release('2.0.0');
    expect(r3.status, r3.stderr).toBe(0);
    expect(commitOf('v2')).toBe(git('rev-parse', 'HEAD'));
    expect(commitOf('v1')).toBe(head2);
    expect(at('v2', 'README.md')).toContain('uses: php-deploy/php-deploy@v2');
  }, 120_000);
});
