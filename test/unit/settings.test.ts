import { describe, expect, it } from 'vitest';
import { defaultVersion, newDeployId, parseSettings, type RunContext } from '../../src/config/settings.js';
import { InputError } from '../../src/errors.js';

const ctx: RunContext = { sha: '0123456789abcdef0123456789abcdef01234567', tag: 'v1.2.3', who: 'tester@box' };
const base = {
  hosts: 'deploy@example.com:2222',
  'ssh-key': '-----BEGIN OPENSSH PRIVATE KEY-----\nx\n-----END OPENSSH PRIVATE KEY-----\n',
  'known-hosts': '[example.com]:2222 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
  'deploy-path': '/var/www/app',
};

function error(raw: Record<string, string>): string {
  try {
    parseSettings({ ...base, ...raw }, ctx);
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    return (err as InputError).oneLine();
  }
  throw new Error('expected an InputError');
}

describe('parseSettings', () => {
  it('applies the documented defaults', () => {
    const s = parseSettings(base, ctx);
    expect(s.command).toBe('deploy');
    expect(s.hosts).toEqual([{ user: 'deploy', host: 'example.com', port: 2222, label: 'deploy@example.com:2222' }]);
    expect(s.source).toBe('.');
    expect(s.version).toBe('v1.2.3');
    expect(s.gitSha).toBe(ctx.sha);
    expect(s.documentRoot).toBe('public');
    expect(s.frontController).toBe('index.php');
    expect(s.keepReleases).toBe(5);
    expect(s.healthTimeoutSec).toBe(20);
    expect(s.ssh.timeoutMs).toBe(20_000);
    expect(s.lockTimeoutSec).toBe(0);
    expect(s.deployId).toBeUndefined();
  });

  it('splits lists: shared by line or comma, commands by line only', () => {
    const s = parseSettings(
      { ...base, shared: '.env, storage\npublic/uploads/\n', 'before-switch': 'php artisan migrate --force\n\nphp artisan config:cache, route:cache' },
      ctx,
    );
    expect(s.shared).toEqual(['.env', 'storage', 'public/uploads/']);
    expect(s.beforeSwitch).toEqual(['php artisan migrate --force', 'php artisan config:cache, route:cache']);
  });

  it('shared: each path once, a trailing / kept; siblings that share a prefix are not nested', () => {
    const s = parseSettings({ ...base, shared: 'storage\nstorage/\nstorage-old\n.env\n.env' }, ctx);
    expect(s.shared).toEqual(['storage/', 'storage-old', '.env']);
  });

  it('writable: shared paths or paths inside them, for a group (default) or an ACL user', () => {
    const s = parseSettings({ ...base, shared: 'storage\npublic/uploads', writable: 'storage/app, public/uploads', 'writable-by': 'www-data' }, ctx);
    expect(s).toMatchObject({ writable: ['storage/app', 'public/uploads'], writableMode: 'group', writableBy: 'www-data' });
    const a = parseSettings({ ...base, shared: 'storage', writable: 'storage', 'writable-mode': 'acl', 'writable-by': 'nginx' }, ctx);
    expect(a).toMatchObject({ writableMode: 'acl', writableBy: 'nginx' });
    expect(parseSettings(base, ctx).writable).toEqual([]);
  });

  it('takes the release root as document-root, and another front controller', () => {
    for (const root of ['.', './', './/']) expect(parseSettings({ ...base, 'document-root': root }, ctx).documentRoot).toBe('.');
    expect(parseSettings({ ...base, 'document-root': './web/' }, ctx).documentRoot).toBe('web');
    expect(parseSettings({ ...base, 'document-root': 'public/' }, ctx).documentRoot).toBe('public');
    expect(parseSettings({ ...base, 'front-controller': 'app.php' }, ctx).frontController).toBe('app.php');
    expect(parseSettings({ ...base, 'front-controller': '/web/app.php' }, ctx).frontController).toBe('web/app.php');
  });

  it('normalises the deploy path', () => {
    expect(parseSettings({ ...base, 'deploy-path': '/var//www/app/' }, ctx).deployPath).toBe('/var/www/app');
  });

  it.each([
    [{ command: 'ship' }, "command: 'ship' is not one of deploy, rollback, list, unlock"],
    [{ hosts: '' }, 'hosts: missing'],
    [{ 'ssh-key': '' }, 'ssh-key: missing'],
    [{ 'known-hosts': ' ' }, 'known-hosts: missing; a host key is never trusted silently'],
    [{ 'deploy-path': 'var/www' }, "deploy-path: must be an absolute path such as /var/www/app (got 'var/www')"],
    [{ 'deploy-path': '/' }, 'deploy-path: must not be /'],
    [{ 'deploy-path': '/var/www/../etc' }, "deploy-path: must not contain '.' or '..' segments"],
    [{ 'deploy-path': '/var/www/$(reboot)' }, 'deploy-path: may contain only letters, digits'],
    [{ 'deploy-path': '/var/www app' }, 'deploy-path: may contain only letters, digits'],
    [{ 'release-version': 'v1;rm -rf /' }, "release-version: 'v1;rm -rf /' must be 1–64 letters"],
    [{ 'release-version': 'release/1.0' }, 'release-version:'],
    [{ 'deploy-id': '../../etc' }, "deploy-id: '../../etc' must be a release id as printed by a deploy or 'list' (no '/' or '..')"],
    [{ 'deploy-id': 'a/b' }, 'deploy-id:'],
    [{ 'deploy-id': 'x y' }, "deploy-id: 'x y' is not a release id"],
    [{ 'deploy-id': 'abc.partial' }, 'deploy-id:'],
    [{ shared: '/etc/passwd' }, "shared: '/etc/passwd' must be a path relative to the release root"],
    [{ shared: 'storage/../../x' }, "shared: 'storage/../../x' must not contain"],
    [{ shared: 'up$(id)' }, 'shared: '],
    [{ shared: 'storage\nstorage/app/public' }, "shared: 'storage/app/public' is inside 'storage', which is shared already"],
    [{ shared: 'storage/app/public, storage/' }, "shared: 'storage/app/public' is inside 'storage', which is shared already"],
    [{ shared: 'storage', writable: 'public/uploads', 'writable-by': 'www-data' }, "writable: 'public/uploads' is not a shared path"],
    [{ shared: 'storage', writable: 'storage' }, "writable-by: missing: name the web server's group"],
    [{ shared: 'storage', writable: 'storage', 'writable-by': 'www data' }, "writable-by: 'www data' is not a user or group name"],
    [{ shared: 'storage', writable: 'storage', 'writable-by': 'www-data', 'writable-mode': 'chmod' }, "writable-mode: 'chmod' is not one of group, acl"],
    [{ 'document-root': '../public' }, 'document-root:'],
    [{ 'document-root': './../public' }, "document-root: '../public' must not contain '.', '..' or empty segments"],
    [{ 'document-root': '/var/www' }, 'document-root: '],
    [{ 'front-controller': 'index.html' }, "front-controller: 'index.html' must be a .php file inside document-root"],
    [{ 'front-controller': '../index.php' }, 'front-controller: '],
    [{ 'front-controller': 'x;id.php' }, 'front-controller: '],
    [{ 'health-url': 'localhost/health' }, "health-url: 'localhost/health' is not a URL"],
    [{ 'health-url': 'ftp://x/' }, 'health-url: '],
    [{ 'fpm-socket': 'php-fpm.sock' }, "fpm-socket: 'php-fpm.sock' must be a unix socket path"],
    [{ 'fpm-socket': '/run/php/../../tmp/x.sock' }, "fpm-socket: '/run/php/../../tmp/x.sock' must not contain '.' or '..' segments"],
    [{ 'keep-releases': '0' }, "keep-releases: must be a whole number from 1 to 1000 (got '0')"],
    [{ 'health-timeout': 'soon' }, 'health-timeout: must be a whole number'],
    [{ 'ssh-timeout': '-1' }, 'ssh-timeout: must be a whole number'],
    [{ hosts: 'example.com' }, 'hosts:'],
    [{ 'opcache-reset': 'true' }, 'opcache-reset: needs fpm-socket'],
    [{ 'ssh-proxy-jump': 'bastion:0' }, 'ssh-proxy-jump: bad entry "bastion:0"'],
  ])('refuses %o with one line naming the input', (raw, expected) => {
    const line = error(raw as Record<string, string>);
    expect(line).toContain(expected);
    expect(line).not.toContain('\n');
  });

  it('names every missing required input in one message', () => {
    expect(error({ hosts: '', 'ssh-key': '', 'deploy-path': '' })).toBe(
      'hosts, ssh-key, deploy-path: missing; each of these inputs is required (see the inputs table in the README)',
    );
  });
});

describe('versions and deploy ids', () => {
  it('derives a safe default version from the tag, else the short sha', () => {
    expect(defaultVersion({ who: 'x', tag: 'release/2.0' })).toBe('release-2.0');
    expect(defaultVersion({ who: 'x', sha: 'abcdef0123456' })).toBe('abcdef0');
    expect(defaultVersion({ who: 'x' })).toBe('unversioned');
  });

  it('makes ids that sort by time and are safe path names', () => {
    const a = newDeployId(new Date('2026-11-22T10:15:30.123Z'), 'a1b2c3d4e5', () => 'zzzzzzz');
    const b = newDeployId(new Date('2026-11-22T10:15:31.000Z'), '', () => '0f0f0f0');
    expect(a).toBe('20261122T101530Z-a1b2c3d');
    expect(b).toBe('20261122T101531Z-0f0f0f0');
    expect([b, a].sort()).toEqual([a, b]);
  });
});
