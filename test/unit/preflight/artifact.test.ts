import { afterEach, describe, expect, it } from 'vitest';
import { checkArtifact } from '../../../src/preflight/artifact.js';
import type { Check } from '../../../src/preflight/types.js';
import { cleanupTemp, entriesOf, makeTree, type Spec } from './helpers.js';

afterEach(cleanupTemp);

async function check(spec: Spec, shared: string[] = []): Promise<{ root: string; checks: Check[] }> {
  const root = makeTree(spec);
  return { root, checks: await checkArtifact(root, entriesOf(root), shared) };
}

const problems = (checks: Check[]): Check[] => checks.filter((c) => c.severity !== 'info');
const byId = (checks: Check[], id: string): Check[] => checks.filter((c) => c.id === id);

const pkg = (name: string, version: string, extra: object = {}) => ({ name, version, type: 'library', ...extra });

/** A Composer project whose vendor/ matches its lock. */
function composerProject(opts: { lock?: object[]; dev?: object[]; installed?: unknown; composer1?: boolean } = {}): Spec {
  const lock = opts.lock ?? [pkg('monolog/monolog', '3.6.0'), pkg('psr/log', '3.0.0')];
  const dev = opts.dev ?? [pkg('phpunit/phpunit', '11.1.3')];
  const installed = opts.installed ?? (opts.composer1 ? lock : { packages: lock, dev: false, 'dev-package-names': [] });
  return {
    'composer.json': { name: 'acme/app', require: { php: '^8.2' } },
    'composer.lock': { packages: lock, 'packages-dev': dev, platform: { php: '^8.2' } },
    'vendor/autoload.php': '<?php\n',
    'vendor/composer/installed.json': installed as object,
  };
}

describe('checkArtifact: symlinks', () => {
  it('refuses an absolute link into the build directory and offers the relative one', async () => {
    const root = makeTree({ artisan: '<?php', 'storage/app/public/.gitignore': '*\n' });
    makeTree({ 'public/storage': { symlink: `${root}/storage/app/public` } }, root);
    const checks = await checkArtifact(root, entriesOf(root), []);
    const [c] = byId(checks, 'symlink-absolute');
    expect(c).toMatchObject({ severity: 'error', path: 'public/storage' });
    expect(c!.message).toBe(
      `public/storage -> ${root}/storage/app/public is absolute: it would point into the build directory (${root}) on the server; make it relative (ln -sfn ../storage/app/public public/storage, or ln -sr) or create it on the server in before-switch (php artisan storage:link)`,
    );
  });

  it('refuses an absolute link into a CI runner workspace', async () => {
    const { checks } = await check({ artisan: '', 'public/storage': { symlink: '/home/runner/work/app/storage/app/public' } });
    expect(byId(checks, 'symlink-absolute')[0]!.message).toBe(
      'public/storage -> /home/runner/work/app/storage/app/public is absolute: it would point into the CI runner on the server; make it relative (ln -sr) or create it on the server in before-switch (php artisan storage:link)',
    );
  });

  it('refuses relative links that leave the release', async () => {
    const { checks } = await check({
      'public/uploads': { symlink: '../../shared/uploads' },
      'a/b/up': { symlink: '../../..' },
      'hop/x': { symlink: '../a' },
      'a/b/c': { dir: true },
      'via/escape': { symlink: '../esc/y' },
      esc: { symlink: '..' },
    });
    const paths = byId(checks, 'symlink-escapes').map((c) => c.path).sort();
    // esc -> .. escapes lexically; via/escape escapes through esc.
    expect(paths).toEqual(['a/b/up', 'esc', 'public/uploads', 'via/escape']);
    expect(checks.every((c) => c.severity !== 'error' || c.message.includes('leaves the release directory'))).toBe(true);
  });

  it('accepts fine relative links, including chains and links into shared paths', async () => {
    const { checks } = await check(
      {
        'storage/app/public/x.txt': 'x',
        'public/storage': { symlink: '../storage/app/public' },
        'public/media': { symlink: 'storage/x.txt' },
        'public/uploads': { symlink: '../uploads/images' },
        'bin/self': { symlink: '.' },
        'public/slash': { symlink: '../storage/app/public/' },
        'current.txt': { symlink: 'public/storage/x.txt' },
      },
      ['uploads/'],
    );
    expect(problems(checks)).toEqual([]);
  });

  it('warns about a relative link whose target is missing from the release', async () => {
    const { checks } = await check({ 'public/storage': { symlink: '../storage/app/public' }, 'storage/app/.gitkeep': '', 'l1': { symlink: 'l2' }, 'l2': { symlink: 'l1' } });
    const dangling = byId(checks, 'symlink-dangling');
    expect(dangling.map((c) => c.severity)).toEqual(['warning', 'warning', 'warning']);
    expect(dangling.find((c) => c.path === 'public/storage')!.message).toBe(
      'public/storage -> ../storage/app/public: storage/app/public is not in the release (missing or excluded), so the link would dangle on the server; ship the target, add it to shared, or create it in before-switch',
    );
    expect(dangling.find((c) => c.path === 'l1')!.message).toMatch(/loop/);
  });
});

describe('checkArtifact: composer', () => {
  it('passes a vendor/ that matches composer.lock (Composer 2 format)', async () => {
    const { checks } = await check(composerProject());
    expect(problems(checks)).toEqual([]);
  });

  it('passes a vendor/ that matches composer.lock (Composer 1 plain array)', async () => {
    const { checks } = await check(composerProject({ composer1: true }));
    expect(problems(checks)).toEqual([]);
  });

  it('refuses composer.json without composer.lock', async () => {
    const { checks } = await check({ 'composer.json': { require: {} }, 'index.php': '' });
    expect(byId(checks, 'composer-lock-missing')[0]).toMatchObject({ severity: 'error' });
  });

  it('refuses a missing vendor/ when the lock lists packages', async () => {
    const spec = composerProject();
    delete spec['vendor/autoload.php'];
    delete spec['vendor/composer/installed.json'];
    const { checks } = await check(spec);
    expect(byId(checks, 'vendor-missing')[0]!.message).toBe(
      'vendor/ is not in the release but composer.lock lists 2 packages; run composer install --no-dev before deploying (and do not exclude vendor/)',
    );
  });

  it('accepts no vendor/ when the lock has no packages', async () => {
    const { checks } = await check({ 'composer.json': {}, 'composer.lock': { packages: [], 'packages-dev': [] } });
    expect(problems(checks)).toEqual([]);
  });

  it('names up to 3 differences between vendor/ and composer.lock', async () => {
    const lock = [pkg('a/one', '1.0.0'), pkg('monolog/monolog', '3.6.0'), pkg('psr/log', '3.0.0'), pkg('z/last', '2.0.0')];
    const installed = {
      packages: [pkg('monolog/monolog', '3.5.0'), pkg('psr/log', 'v3.0.0'), pkg('x/extra', '0.1.0'), pkg('z/last', '2.0.1')],
      dev: false,
    };
    const { checks } = await check(composerProject({ lock, installed }));
    const [c] = byId(checks, 'vendor-mismatch');
    expect(c!.message).toBe(
      'vendor/ does not match composer.lock: a/one missing from vendor, 1.0.0 in composer.lock; monolog/monolog 3.5.0 in vendor, 3.6.0 in composer.lock; x/extra 0.1.0 in vendor, not in composer.lock; and 1 more; run composer install --no-dev before deploying',
    );
  });

  it('finds a mismatch in the Composer 1 format too, and compares dev branches by reference', async () => {
    const lock = [pkg('acme/lib', 'dev-main', { source: { type: 'git', reference: 'aaaaaaa1111111' } })];
    const installed = [pkg('acme/lib', 'dev-main', { source: { type: 'git', reference: 'bbbbbbb2222222' } })];
    const { checks } = await check(composerProject({ lock, installed }));
    expect(byId(checks, 'vendor-mismatch')[0]!.message).toContain('acme/lib dev-main#bbbbbbb in vendor, dev-main#aaaaaaa in composer.lock');
  });

  it('includes packages-dev when installed.json says dev: true, and warns that dev packages ship', async () => {
    const lock = [pkg('psr/log', '3.0.0')];
    const dev = [pkg('phpunit/phpunit', '11.1.3')];
    const ok = await check(composerProject({ lock, dev, installed: { packages: [...lock, ...dev], dev: true, 'dev-package-names': ['phpunit/phpunit'] } }));
    expect(byId(ok.checks, 'vendor-mismatch')).toEqual([]);
    expect(byId(ok.checks, 'vendor-dev-packages')[0]).toMatchObject({ severity: 'warning' });
    expect(byId(ok.checks, 'vendor-dev-packages')[0]!.message).toContain('1 dev package');

    const missingDev = await check(composerProject({ lock, dev, installed: { packages: lock, dev: true } }));
    expect(byId(missingDev.checks, 'vendor-mismatch')[0]!.message).toContain('phpunit/phpunit missing from vendor, 11.1.3 in composer.lock');

    // Composer 1: dev is inferred from dev packages being present.
    const c1 = await check(composerProject({ lock, dev, installed: [...lock, ...dev] }));
    expect(byId(c1.checks, 'vendor-mismatch')).toEqual([]);
    expect(byId(c1.checks, 'vendor-dev-packages')).toHaveLength(1);
  });

  it('refuses a vendor/ without installed.json or autoload.php', async () => {
    const spec = composerProject();
    delete spec['vendor/composer/installed.json'];
    delete spec['vendor/autoload.php'];
    spec['vendor/monolog/monolog/src/Logger.php'] = '<?php';
    const { checks } = await check(spec);
    expect(byId(checks, 'vendor-incomplete').map((c) => c.path)).toEqual(['vendor/autoload.php', 'vendor/composer/installed.json']);
  });

  it('follows config.vendor-dir', async () => {
    const spec = composerProject();
    spec['composer.json'] = { config: { 'vendor-dir': 'lib/vendor' } };
    const { checks } = await check(spec);
    expect(byId(checks, 'vendor-missing')[0]!.message).toMatch(/^lib\/vendor\/ is not in the release/);
  });

  it('refuses a composer.lock that is not JSON', async () => {
    const { checks } = await check({ 'composer.json': {}, 'composer.lock': '{ nope' });
    expect(byId(checks, 'composer-lock-invalid')).toHaveLength(1);
  });
});

describe('checkArtifact: files that should never ship', () => {
  it('refuses .env and secret .env.* files unless shared, and leaves templates alone', async () => {
    const spec: Spec = {
      '.env': 'APP_KEY=base64:secret\n',
      '.env.production': 'DB_PASSWORD=x\n',
      '.env.example': 'APP_KEY=\n',
      '.env.dist': '',
      '.env.testing': 'DB_PASSWORD=test\n',
      'config/app.php': '<?php',
    };
    const { checks } = await check(spec);
    const env = byId(checks, 'secret-env');
    expect(env.filter((c) => c.severity === 'error').map((c) => c.path)).toEqual(['.env', '.env.production']);
    expect(env.filter((c) => c.severity === 'warning').map((c) => c.path)).toEqual(['.env.testing']);
    expect(env[0]!.message).toBe(
      ".env would ship with the release: it holds this environment's settings and secrets and would override the server's; add .env to shared (and keep it in shared/ on the server) or exclude it",
    );

    const shared = await check(spec, ['.env', '.env.production']);
    expect(byId(shared.checks, 'secret-env').map((c) => c.path)).toEqual(['.env.testing']);
  });

  it("follows Symfony's dotenv conventions", async () => {
    const spec = composerProject({ lock: [pkg('symfony/dotenv', 'v7.1.0')] });
    Object.assign(spec, { '.env': 'APP_ENV=prod\n', '.env.prod': 'X=1\n', '.env.local': 'APP_SECRET=s\n', '.env.prod.local': 'DB=x\n', '.env.local.php': '<?php return [];' });
    const { checks } = await check(spec);
    expect(byId(checks, 'secret-env').map((c) => c.path)).toEqual(['.env.local', '.env.prod.local']);
  });

  it('refuses auth.json and credential files; warns about private keys by name or content', async () => {
    const { checks } = await check({
      'auth.json': '{"github-oauth": {"github.com": "ghp_x"}}',
      'lang/en/auth.json': '{"failed": "These credentials do not match our records."}',
      'deploy/auth.json': '{"http-basic": {"repo.example.com": {"username": "u", "password": "p"}}}',
      '.git-credentials': 'https://u:p@github.com\n',
      'keys/id_ed25519': 'whatever',
      'storage/oauth-private.key': '-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----\n',
      'storage/oauth-public.key': '-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----\n',
      'certs/server.pem': '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
      'certs/server-key.pem': '-----BEGIN EC PRIVATE KEY-----\nMHc\n-----END EC PRIVATE KEY-----\n',
      '.npmrc': '//registry.npmjs.org/:_authToken=npm_x\n',
      'vendor/acme/lib/tests/fixtures/id_rsa': 'key',
      'vendor/acme/lib/.env': 'X=1',
      'node_modules/pkg/test/key.pem': '-----BEGIN PRIVATE KEY-----\n',
    });
    const found = problems(checks).map((c) => `${c.severity} ${c.id} ${c.path}`).sort();
    expect(found).toEqual([
      'error secret-auth-json auth.json',
      'error secret-auth-json deploy/auth.json',
      'error secret-git-credentials .git-credentials',
      'warning secret-npmrc .npmrc',
      'warning secret-private-key certs/server-key.pem',
      'warning secret-private-key keys/id_ed25519',
      'warning secret-private-key storage/oauth-private.key',
    ]);
  });
});

describe('checkArtifact: totals', () => {
  it('reports files, bytes and the 3 largest files as info', async () => {
    const { checks } = await check({ 'a.txt': 'x'.repeat(10), 'b/big.bin': 'y'.repeat(3000), 'c.txt': 'z'.repeat(200), 'd.txt': '', 'e': { symlink: 'a.txt' } });
    const [t] = byId(checks, 'artifact-totals');
    expect(t).toMatchObject({ severity: 'info' });
    expect(t!.message).toBe('release holds 4 files (3.1 KiB), 1 directory, 1 symlink; largest: b/big.bin (2.9 KiB), c.txt (200 B), a.txt (10 B)');
  });

  it('every message is one line', async () => {
    const { checks } = await check({ '.env': 'x', 'l': { symlink: '/etc/passwd' }, 'composer.json': {} });
    for (const c of checks) expect(c.message).not.toMatch(/\n/);
  });
});
