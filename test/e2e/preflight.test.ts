/**
 * Know before you touch: checks of the artifact and of the server refuse a deploy before anything
 * changes, a dry run prints the plan and leaves the server byte-for-byte unchanged, and a web server
 * that still serves the previous release after a switch is named ("one release late").
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  appCopy,
  cli,
  deploy,
  deployUser,
  get,
  lastLine,
  newSite,
  served,
  serverState,
  setVersion,
  stackArgs,
  type Site,
} from './helpers.js';

/** Every path under the deploy path with type, mode, size, mtime, link target and content hash. */
function fullListing(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      const st = lstatSync(p);
      const rel = p.slice(root.length);
      if (st.isSymbolicLink()) out.push(`l ${rel} -> ${readlinkSync(p)}`);
      else if (st.isDirectory()) {
        out.push(`d ${rel} ${st.mode.toString(8)} ${st.mtimeMs}`);
        walk(p);
      } else out.push(`f ${rel} ${st.mode.toString(8)} ${st.size} ${st.mtimeMs} ${createHash('sha256').update(readFileSync(p)).digest('hex')}`);
    }
  };
  out.push(`root ${lstatSync(root).mtimeMs}`);
  walk(root);
  return out;
}

function withPlatform(platform: Record<string, string>) {
  return (dir: string): void => {
    const lock = JSON.parse(readFileSync(join(dir, 'composer.lock'), 'utf8')) as Record<string, unknown>;
    lock.platform = platform;
    writeFileSync(join(dir, 'composer.lock'), JSON.stringify(lock, null, 4));
  };
}

describe('preflight checks and dry run', () => {
  let site: Site;
  let live: string;

  beforeAll(async () => {
    site = newSite('preflight');
    const r = await deploy(site, appCopy((d) => setVersion(d, 'one')));
    expect(r.code, r.stderr).toBe(0);
    live = r.id;
  });

  test('a release that needs a newer PHP than php-fpm runs is refused before anything changes', async () => {
    const before = fullListing(site.deployPath);
    const r = await deploy(site, appCopy(withPlatform({ php: '>=9.1' })));
    expect(r.code).toBe(1);
    expect(lastLine(r.stderr)).toMatch(
      /^php-deploy: deploy@127\.0\.0\.1:2222: preflight: platform-php: php-fpm pool at \S+ runs PHP 8\.\d+\.\d+ but composer\.lock requires php >=9\.1/,
    );
    expect(fullListing(site.deployPath)).toEqual(before);
  });

  test('an extension missing from php-fpm is caught, with the package to install', async () => {
    const before = fullListing(site.deployPath);
    const r = await deploy(site, appCopy(withPlatform({ php: '>=8.1', 'ext-pdo': '*', 'ext-frobnicate': '*' })));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/platform-ext: php-fpm pool at \S+ lacks ext-frobnicate \(required by composer\.lock platform\); install php8\.\d-frobnicate/);
    expect(fullListing(site.deployPath)).toEqual(before);
  });

  test('an absolute symlink in the artifact is refused before connecting', async () => {
    const before = fullListing(site.deployPath);
    const r = await deploy(
      site,
      appCopy((d) => {
        mkdirSync(join(d, 'storage/app/public'), { recursive: true });
        symlinkSync(join(d, 'storage/app/public'), join(d, 'public/storage'));
      }),
    );
    expect(r.code).toBe(1);
    expect(lastLine(r.stderr)).toMatch(/^php-deploy: artifact-check: symlink-absolute: public\/storage -> \/\S+ is absolute/);
    expect(r.stderr).not.toContain('connected');
    expect(fullListing(site.deployPath)).toEqual(before);
  });

  describe('a nearly full filesystem as deploy path', () => {
    let small: Site;
    beforeAll(() => {
      execFileSync('bash', ['-c', 'umount /home/deploy/sites/preflight-small 2>/dev/null || true']);
      small = newSite('preflight-small');
      const { uid, gid } = deployUser();
      execFileSync('mount', ['-t', 'tmpfs', '-o', `size=1m,uid=${uid},gid=${gid},mode=755`, 'tmpfs', small.deployPath]);
      execFileSync('bash', ['test/stack/new-site.sh', 'preflight-small'], { stdio: 'ignore' });
    });
    afterAll(() => {
      execFileSync('umount', [small.deployPath]);
    });

    test('is refused up front, naming the free and the needed space', async () => {
      const before = fullListing(small.deployPath);
      const r = await deploy(small, appCopy());
      expect(r.code).toBe(1);
      expect(lastLine(r.stderr)).toMatch(
        /^php-deploy: deploy@127\.0\.0\.1:2222: preflight: disk: the filesystem of \S+ has \d+ MB free; the release needs \d+ MB/,
      );
      expect(fullListing(small.deployPath)).toEqual(before);
    });
  });

  test('dry run prints the plan and leaves the server byte-for-byte unchanged', async () => {
    const before = fullListing(site.deployPath);
    const r = await cli(['deploy', ...stackArgs(site), '--source', appCopy((d) => setVersion(d, 'two')), '--dry-run']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Dry run — nothing was changed on any server.');
    expect(r.stdout).toContain(`live release: ${live}`);
    expect(r.stdout).toMatch(/send 1 new or changed files \(0\.0 MB\); \d+ unchanged hard-linked from /);
    expect(r.stdout).toContain('before-switch: php bin/migrate.php');
    expect(r.stdout).toContain('verdict: the deploy would proceed');
    expect(fullListing(site.deployPath)).toEqual(before);

    const refused = await cli(['deploy', ...stackArgs(site), '--source', appCopy(withPlatform({ php: '>=9.1' })), '--dry-run']);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(/error: deploy@127\.0\.0\.1:2222: platform-php: /);
    expect(refused.stdout).toContain('verdict: the deploy would be REFUSED');
    expect(fullListing(site.deployPath)).toEqual(before);
  });

  describe('one release late: nginx with $document_root instead of $realpath_root', () => {
    // The stack's second server (port 8081) resolves `current` with $document_root: php-fpm's realpath
    // cache keeps answering from the previous release after the switch, until php-fpm reloads.
    let late: Site;
    const viaDocumentRoot = (s: Site): string => s.healthUrl.replace(':8080', ':8081');
    const lateArgs = (s: Site) => ({ replace: { '--health-url': viaDocumentRoot(s) }, omit: ['--reload-command'] });
    const warm = async (s: Site): Promise<void> => {
      for (let i = 0; i < 4; i++) {
        await Promise.all(Array.from({ length: 24 }, () => get(s.name, '/health', 8081)));
      }
    };

    beforeAll(async () => {
      late = newSite('preflight-late');
      const r = await deploy(late, appCopy((d) => setVersion(d, 'one')), [], lateArgs(late));
      expect(r.code, r.stderr).toBe(0);
    });

    test('is named with the fix', async () => {
      await warm(late);
      const previous = await served(late);
      const r = await deploy(late, appCopy((d) => setVersion(d, 'two')), [], lateArgs(late));
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(
        new RegExp(`warning: .*the web server still serves release ${previous} after the switch to ${r.id} \\(one release late\\): nginx must pass \\$realpath_root`),
      );
    });

    test('fails and switches back with health-expect-release', async () => {
      await warm(late);
      const previous = serverState(late.deployPath).current;
      const r = await deploy(late, appCopy((d) => setVersion(d, 'three')), ['--health-expect-release'], lateArgs(late));
      expect(r.code).toBe(1);
      expect(lastLine(r.stderr)).toMatch(/post-switch-check: the web server still serves release \S+ after the switch .*; switched back to /);
      expect(serverState(late.deployPath).current).toBe(previous);
    });
  });
});
