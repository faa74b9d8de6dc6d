import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DeployError } from '../../../src/errors.js';
import { checkPlatform, normalizeExtension, platformOverrides, platformRequirements, type Requirement } from '../../../src/preflight/platform.js';

const laravelLock = readFileSync(new URL('./fixtures/laravel-composer.lock', import.meta.url), 'utf8');

/** get_loaded_extensions() of a typical Debian php8.2-fpm with the usual Laravel packages, lowercased. */
const FPM_82 = [
  'core', 'date', 'libxml', 'openssl', 'pcre', 'sqlite3', 'zlib', 'ctype', 'curl', 'dom', 'fileinfo', 'filter', 'ftp', 'hash',
  'iconv', 'json', 'mbstring', 'spl', 'pdo', 'pdo_mysql', 'pdo_sqlite', 'session', 'posix', 'readline', 'reflection', 'standard',
  'simplexml', 'phar', 'tokenizer', 'xml', 'xmlreader', 'xmlwriter', 'mysqlnd', 'sodium', 'random', 'zend opcache',
];

describe('normalizeExtension', () => {
  it.each([
    ['ext-zend-opcache', 'zend opcache'],
    ['ext-opcache', 'Zend OPcache'],
    ['ext-pdo_mysql', 'pdo_mysql'],
    ['ext-pdo-mysql', 'PDO_MYSQL'],
    ['ext-mbstring', 'mbstring'],
    ['ext-SimpleXML', 'SimpleXML'],
  ])('%s is the same extension as %s', (a, b) => {
    expect(normalizeExtension(a)).toBe(normalizeExtension(b));
  });

  it('keeps different extensions apart', () => {
    expect(normalizeExtension('ext-pdo')).not.toBe(normalizeExtension('pdo_mysql'));
  });
});

describe('platformRequirements', () => {
  it('reads the root platform and package requires of a Laravel lock', () => {
    const reqs = platformRequirements(laravelLock);
    expect(reqs).toContainEqual({ name: 'php', constraint: '^8.2', from: 'composer.lock platform' });
    expect(reqs).toContainEqual({ name: 'ext-pdo', constraint: '*', from: 'composer.lock platform' });
    expect(reqs).toContainEqual({ name: 'php', constraint: '^8.2', from: 'laravel/framework' });
    expect(reqs).toContainEqual({ name: 'ext-openssl', constraint: '*', from: 'laravel/framework' });
    expect(reqs).toContainEqual({ name: 'ext-mbstring', constraint: '*', from: 'nunomaduro/termwind' });
    expect(reqs).toContainEqual({ name: 'php', constraint: '^7.2 || ^8.0', from: 'doctrine/inflector' });
    // lib-*, composer-* and package requirements are not platform requirements.
    expect(reqs.some((r) => /lib-|composer-|\//.test(r.name))).toBe(false);
    // symfony/polyfill-ctype provides ext-ctype, as Composer sees it.
    expect(reqs.some((r) => r.name === 'ext-ctype')).toBe(false);
    // Dev packages only on request.
    expect(reqs.some((r) => r.from === 'phpunit/phpunit')).toBe(false);
    expect(platformRequirements(laravelLock, { dev: true }).some((r) => r.name === 'ext-xmlwriter' && r.from === 'phpunit/phpunit')).toBe(true);
  });

  it('maps php-64bit to php and tolerates an empty platform written as []', () => {
    const lock = JSON.stringify({ packages: [{ name: 'a/b', require: { 'php-64bit': '>=8.1', 'ext-GMP': '*' } }], platform: [] });
    expect(platformRequirements(lock)).toEqual([
      { name: 'php', constraint: '>=8.1', from: 'a/b' },
      { name: 'ext-gmp', constraint: '*', from: 'a/b' },
    ]);
  });

  it('throws a DeployError for a broken lock', () => {
    expect(() => platformRequirements('{"packages": [')).toThrow(DeployError);
    expect(() => platformRequirements('[1]')).toThrow(/not a JSON object/);
  });

  it('reads platform-overrides', () => {
    expect(platformOverrides(JSON.stringify({ 'platform-overrides': { php: '8.2.0' } }))).toEqual({ php: '8.2.0' });
    expect(platformOverrides(laravelLock)).toEqual({});
  });
});

describe('checkPlatform', () => {
  const reqs = platformRequirements(laravelLock);

  it('passes a PHP 8.2 php-fpm with the usual extensions', () => {
    const checks = checkPlatform(reqs, { php: '8.2.36', extensions: FPM_82 }, 'php-fpm pool');
    expect(checks).toHaveLength(1);
    expect(checks[0]).toMatchObject({ id: 'platform-ok', severity: 'info' });
  });

  it('names the PHP version, the strictest requirer and the fix in one line', () => {
    const checks = checkPlatform(reqs, { php: '8.1.27', extensions: FPM_82 }, 'php-fpm pool');
    expect(checks).toHaveLength(1);
    const c = checks[0]!;
    expect(c).toMatchObject({ id: 'platform-php', severity: 'error' });
    expect(c.message).toMatch(/^php-fpm pool runs PHP 8\.1\.27 but composer\.lock requires php \^8\.2 \(from laravel\/framework and 2 more\); install PHP 8\.2 for the php-fpm pool or pin the platform/);
    expect(c.message).toContain('composer config platform.php 8.1.27');
    expect(c.message).not.toContain('\n');
  });

  it('picks the requirer that needs the highest PHP', () => {
    const r: Requirement[] = [
      { name: 'php', constraint: '^8.1', from: 'a/a' },
      { name: 'php', constraint: '>=8.3', from: 'b/b' },
      { name: 'php', constraint: '^8.2', from: 'c/c' },
    ];
    const [c] = checkPlatform(r, { php: '8.1.2-1ubuntu2.14', extensions: ['core'] }, 'php CLI');
    expect(c!.message).toMatch(/requires php >=8\.3 \(from b\/b and 1 more\); install PHP 8\.3 for the php CLI/);
  });

  it('suggests a lower PHP when the runtime is too new', () => {
    const r: Requirement[] = [
      { name: 'php', constraint: '>=7.4 <8.3', from: 'old/lib' },
      { name: 'php', constraint: '^8.0', from: 'composer.lock platform' },
    ];
    const [c] = checkPlatform(r, { php: '8.3.4', extensions: ['core'] }, 'php-fpm pool');
    expect(c!.message).toBe(
      'php-fpm pool runs PHP 8.3.4 but composer.lock requires php >=7.4 <8.3 (from old/lib); run the php-fpm pool on PHP 8.2 or update old/lib to a release that supports PHP 8.3 (composer update old/lib --with-all-dependencies)',
    );
  });

  it('says so when no PHP satisfies everything', () => {
    const r: Requirement[] = [
      { name: 'php', constraint: '^7.4', from: 'a/a' },
      { name: 'php', constraint: '^8.2', from: 'b/b' },
    ];
    const [c] = checkPlatform(r, { php: '8.2.1', extensions: ['core'] }, 'php CLI');
    expect(c!.message).toMatch(/no PHP version satisfies every php requirement in composer\.lock, e\.g\. php \^7\.4 \(from a\/a\)/);
  });

  it('reports each missing extension once, with its requirers and the package to install', () => {
    const ext = FPM_82.filter((e) => e !== 'mbstring' && e !== 'pdo' && e !== 'openssl');
    const checks = checkPlatform(reqs, { php: '8.2.36', extensions: ext }, 'php-fpm pool');
    expect(checks.map((c) => c.id)).toEqual(['platform-ext', 'platform-ext', 'platform-ext']);
    const msgs = checks.map((c) => c.message);
    expect(msgs).toContain('php-fpm pool lacks ext-pdo (required by composer.lock platform); install php8.2-common (or enable it: phpenmod pdo) and reload php-fpm');
    expect(msgs).toContain('php-fpm pool lacks ext-mbstring (required by laravel/framework, nunomaduro/termwind); install php8.2-mbstring (or enable it: phpenmod mbstring) and reload php-fpm');
    expect(msgs.find((m) => m.includes('ext-openssl'))).toMatch(/compiled into PHP/);
  });

  it('matches extension names across spellings and treats json/hash/random as always loaded', () => {
    const r: Requirement[] = [
      { name: 'ext-zend-opcache', constraint: '*', from: 'a/a' },
      { name: 'ext-pdo_mysql', constraint: '*', from: 'a/a' },
      { name: 'ext-json', constraint: '*', from: 'nesbot/carbon' },
      { name: 'ext-intl', constraint: '*', from: 'symfony/intl' },
    ];
    const checks = checkPlatform(r, { php: '8.2.36', extensions: ['Core', 'Zend OPcache', 'PDO_MYSQL'] }, 'php-fpm pool');
    expect(checks).toEqual([
      {
        id: 'platform-ext',
        severity: 'error',
        message: 'php-fpm pool lacks ext-intl (required by symfony/intl); install php8.2-intl (or enable it: phpenmod intl) and reload php-fpm',
      },
    ]);
    // Before PHP 8.0, json could be missing.
    expect(checkPlatform(r.slice(2, 3), { php: '7.4.33', extensions: ['core'] }, 'php CLI')[0]!.message).toBe(
      'php CLI lacks ext-json (required by nesbot/carbon); it is compiled into PHP, so this PHP build lacks it: use a PHP build with json enabled',
    );
  });

  it('maps packaged extensions to their Debian package', () => {
    const r: Requirement[] = [
      { name: 'ext-pdo_pgsql', constraint: '*', from: 'x/y' },
      { name: 'ext-dom', constraint: '*', from: 'x/y' },
      { name: 'ext-zend-opcache', constraint: '*', from: 'x/y' },
    ];
    const msgs = checkPlatform(r, { php: '8.3.1', extensions: ['core'] }, 'php CLI').map((c) => c.message);
    expect(msgs).toEqual([
      'php CLI lacks ext-pdo_pgsql (required by x/y); install php8.3-pgsql (or enable it: phpenmod pdo_pgsql)',
      'php CLI lacks ext-dom (required by x/y); install php8.3-xml (or enable it: phpenmod dom)',
      'php CLI lacks ext-zend-opcache (required by x/y); install php8.3-opcache (or enable it: phpenmod opcache)',
    ]);
  });

  it('reports platform-overrides as info and names them in the fix', () => {
    const lock = JSON.stringify({
      packages: [{ name: 'laravel/framework', require: { php: '^8.2' } }],
      platform: { php: '^8.1' },
      'platform-overrides': { php: '8.2.0' },
    });
    const checks = checkPlatform(platformRequirements(lock), { php: '8.1.27', extensions: ['core'] }, 'php-fpm pool', { overrides: platformOverrides(lock) });
    expect(checks[0]).toMatchObject({ id: 'platform-override', severity: 'info' });
    expect(checks[0]!.message).toContain('config.platform: php 8.2.0');
    expect(checks[1]!.message).toBe(
      "php-fpm pool runs PHP 8.1.27 but composer.lock requires php ^8.2 (from laravel/framework); install PHP 8.2 for the php-fpm pool or fix the pinned platform (composer.json config.platform.php is 8.2.0; set it to 8.1.27) and run composer update",
    );
  });

  it('warns about a constraint it cannot read instead of failing', () => {
    const checks = checkPlatform([{ name: 'php', constraint: '~>8.1', from: 'weird/pkg' }], { php: '8.2.0', extensions: ['core'] }, 'php CLI');
    expect(checks[0]).toMatchObject({ id: 'platform-constraint', severity: 'warning' });
    expect(checks[0]!.message).toContain('weird/pkg');
  });
});
