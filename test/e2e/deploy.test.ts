/**
 * deploy / rollback / list / unlock with the built CLI against the local stack, checked the way a user
 * would: the page served, the files on the server, the exit code and the one-line message.
 */
import { chownSync, existsSync, lstatSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import {
  appCopy,
  breakHealth,
  breakHealthOutsideCheck,
  cli,
  deploy,
  deployUser,
  expectOk,
  FAST_FAIL,
  get,
  ID_RE,
  inode,
  lastLine,
  lines,
  newSite,
  page,
  readLog,
  served,
  serverState,
  setVersion,
  stack,
  stackArgs,
  unknownId,
  type Site,
} from './helpers.js';

describe('deploy, delta, list and rollback', () => {
  let site: Site;
  let id1 = '';
  let id2 = '';

  beforeAll(() => {
    site = newSite('e2e-deploy');
  });

  test('first deploy: the page names the new release, shared paths are links, migrations ran, the log says ok', async () => {
    const r = await deploy(site, appCopy((d) => setVersion(d, '1.0.0')), ['--release-version', '1.0.0']);
    expectOk(r);
    id1 = r.id;
    expect(id1).toMatch(ID_RE);
    expect(lines(r.stdout)[0]).toMatch(new RegExp(`^deployed ${id1} `));

    const p = await page(site);
    expect(p.status).toBe(200);
    expect(p.release).toBe(id1);
    expect(p.partA).toBe(id1);
    expect(p.partB).toBe(id1);
    expect(p.version).toBe('1.0.0');
    const health = await get(site, '/health');
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body)).toMatchObject({ status: 'ok', release: id1, version: '1.0.0' });

    expect(readlinkSync(join(site.deployPath, 'current'))).toBe(`releases/${id1}`);
    const rel = join(site.deployPath, 'releases', id1);
    for (const shared of ['.env', 'storage']) {
      expect(lstatSync(join(rel, shared)).isSymbolicLink(), `${shared} is a symlink`).toBe(true);
      expect(readlinkSync(join(rel, shared))).toBe(`../../shared/${shared}`);
    }
    expect(lstatSync(join(site.deployPath, 'shared/storage')).isDirectory()).toBe(true);
    // The shared .env written by new-site.sh is the one the release reads.
    expect(readFileSync(join(rel, '.env'), 'utf8')).toContain(`DB_NAME=site_${site.name.replace(/-/g, '_')}`);

    // before-switch ran the migrations: /health checks that none is pending; the log says what ran.
    expect(r.stderr).toMatch(/applied 0001_create_visits\.sql/);
    expect(JSON.parse(health.body).checks.migrations).toBe('ok');

    const log = readLog(site.deployPath);
    expect(log.at(-1)).toMatchObject({ event: 'deploy', result: 'ok', id: id1, version: '1.0.0', live: id1 });
    expect(serverState(site.deployPath).lock).toBeNull();
  });

  test('second deploy: serves the new version, keeps the previous release, hard-links unchanged files', async () => {
    const r = await deploy(site, appCopy((d) => setVersion(d, '2.0.0')), ['--release-version', '2.0.0']);
    expectOk(r);
    id2 = r.id;
    expect(id2).toMatch(ID_RE);
    expect(id2 > id1).toBe(true);
    expect(r.stdout).toContain(`previous release: ${id1}`);

    const p = await page(site);
    expect([p.release, p.partA, p.partB, p.version]).toEqual([id2, id2, id2, '2.0.0']);
    expect(existsSync(join(site.deployPath, 'releases', id1))).toBe(true);

    // The delta: only the changed file travelled, the rest came from the previous release.
    expect(r.stderr).toMatch(new RegExp(`sending 1 new or changed files .*\\d+ unchanged taken from ${id1}`));
    const old = join(site.deployPath, 'releases', id1);
    const now = join(site.deployPath, 'releases', id2);
    expect(inode(join(now, 'src/Kernel.php'))).toBe(inode(join(old, 'src/Kernel.php')));
    expect(inode(join(now, 'public/index.php'))).toBe(inode(join(old, 'public/index.php')));
    expect(inode(join(now, 'config/version.php'))).not.toBe(inode(join(old, 'config/version.php')));
    expect(readFileSync(join(now, 'config/version.php'), 'utf8')).toContain('"2.0.0"');
    expect(readFileSync(join(old, 'config/version.php'), 'utf8')).toContain('"1.0.0"');

    expect(readLog(site.deployPath).at(-1)).toMatchObject({ event: 'deploy', result: 'ok', id: id2, version: '2.0.0' });
  });

  test('list shows the releases, the live one marked', async () => {
    const r = await cli(['list', ...stackArgs(site)]);
    expectOk(r);
    const out = lines(r.stdout);
    expect(out[0]).toBe(stack.host);
    const live = out.find((l) => l.includes(id2));
    const prev = out.find((l) => l.includes(id1));
    expect(live).toMatch(new RegExp(`^\\s+\\* ${id2}\\s+2\\.0\\.0\\s.*\\slive$`));
    expect(prev).toMatch(new RegExp(`^\\s+ ${id1}\\s+1\\.0\\.0\\s.*\\sok$`));
    // Newest first.
    expect(out.indexOf(live as string)).toBeLessThan(out.indexOf(prev as string));
  });

  test('rollback without deploy-id serves the previous release', async () => {
    const r = await cli(['rollback', ...stackArgs(site)]);
    expectOk(r);
    expect(lines(r.stdout)[0]).toMatch(new RegExp(`^rolled back to ${id1} `));
    expect(await served(site)).toBe(id1);
    expect((await page(site)).version).toBe('1.0.0');
    expect(readlinkSync(join(site.deployPath, 'current'))).toBe(`releases/${id1}`);
    expect(existsSync(join(site.deployPath, 'releases', id2))).toBe(true);
    expect(readLog(site.deployPath).at(-1)).toMatchObject({ event: 'rollback', result: 'ok', id: id1, live: id1 });
    expect(serverState(site.deployPath).lock).toBeNull();
  });

  test('rollback --deploy-id serves that release, not the default one', async () => {
    const r3 = await deploy(site, appCopy((d) => setVersion(d, '3.0.0')), ['--release-version', '3.0.0']);
    expectOk(r3);
    expect(await served(site)).toBe(r3.id);
    // The default target would now be id2 (the newest release before the live one); ask for id1.
    const r = await cli(['rollback', '--deploy-id', id1, ...stackArgs(site)]);
    expectOk(r);
    expect(lines(r.stdout)[0]).toMatch(new RegExp(`^rolled back to ${id1} `));
    expect(await served(site)).toBe(id1);
  });

  test('rollback to an id that does not exist: exit 1, one line naming it, nothing changed', async () => {
    const before = serverState(site.deployPath);
    const missing = unknownId();
    const r = await cli(['rollback', '--deploy-id', missing, ...stackArgs(site)]);
    expect(r.code).toBe(1);
    const errors = lines(r.stderr).filter((l) => l.startsWith('php-deploy:'));
    expect(errors).toHaveLength(1);
    expect(lastLine(r.stderr)).toMatch(new RegExp(`^php-deploy: ${stack.host}: rollback: .*${missing}.* does not exist`));
    expect(r.stdout).toBe('');
    expect(serverState(site.deployPath)).toEqual(before);
    expect(await served(site)).toBe(id1);
  });
});

describe('failed deploys leave the live release serving', () => {
  let site: Site;
  let live = '';

  beforeAll(async () => {
    site = newSite('e2e-fail');
    const r = await deploy(site, appCopy((d) => setVersion(d, 'good')));
    expectOk(r);
    live = r.id;
  });

  test('pre-switch check fails: exit 1, one line, old release served, no trace of the new one, unlocked', async () => {
    const before = serverState(site.deployPath);
    const r = await deploy(site, appCopy(breakHealth), FAST_FAIL);
    expect(r.code).toBe(1);
    expect(lastLine(r.stderr)).toMatch(new RegExp(`^php-deploy: ${stack.host}: pre-switch-check: .*answered 503`));
    expect(r.stdout).toBe('');
    expect(await served(site)).toBe(live);

    const after = serverState(site.deployPath);
    expect(after.current).toBe(before.current);
    expect(after.releases).toEqual(before.releases); // no new release, no .partial, no trash
    expect(after.meta).toEqual(before.meta);
    expect(after.lock).toBeNull();
    const last = readLog(site.deployPath).at(-1);
    expect(last).toMatchObject({ event: 'deploy', result: 'failed', phase: 'pre-switch-check', live });
    expect(last?.id).not.toBe(live);
    expect(last?.reason).toMatch(/503/);
  });

  test('post-switch check fails (only through nginx): switched back, says so, logged, unlocked', async () => {
    const before = serverState(site.deployPath);
    const r = await deploy(site, appCopy(breakHealthOutsideCheck), FAST_FAIL);
    expect(r.code).toBe(1);
    const verdict = lastLine(r.stderr);
    expect(verdict).toMatch(new RegExp(`^php-deploy: ${stack.host}: post-switch-check: .*answered 503`));
    expect(verdict).toMatch(new RegExp(`switched back to ${live}`));
    expect(await served(site)).toBe(live);

    const after = serverState(site.deployPath);
    expect(after.current).toBe(`releases/${live}`);
    expect(after.lock).toBeNull();
    expect(after.releases.filter((n) => n.endsWith('.partial'))).toEqual([]);
    const last = readLog(site.deployPath).at(-1);
    expect(last).toMatchObject({ event: 'deploy', result: 'failed', phase: 'post-switch-check', live });
    expect(last?.reason).toMatch(/503/);
    expect(last?.reason).toMatch(new RegExp(`\\S; switched back to ${live}$`));
    // It was live for a moment, so it is kept until the next deploy (marked failed), never as a rollback target.
    const failedId = last?.id as string;
    expect(after.releases).toEqual([...before.releases, failedId].sort());
    const list = await cli(['list', ...stackArgs(site)]);
    expect(lines(list.stdout).find((l) => l.includes(failedId))).toMatch(/ failed$/);
    const rb = await cli(['rollback', '--deploy-id', failedId, ...stackArgs(site)]);
    expect(rb.code).toBe(1);
    expect(lastLine(rb.stderr)).toBe(`php-deploy: ${stack.host}: rollback: release ${failedId} never completed a deploy; refusing to make it live`);
    expect(await served(site)).toBe(live);
  });

  test('before-switch command fails: exit 1 naming before-switch, nothing changed for visitors', async () => {
    const before = serverState(site.deployPath);
    const r = await deploy(site, appCopy((d) => setVersion(d, 'never')), [], { beforeSwitch: ['false'] });
    expect(r.code).toBe(1);
    expect(lastLine(r.stderr)).toMatch(new RegExp(`^php-deploy: ${stack.host}: before-switch: before-switch command 1 failed: false$`));
    expect(await served(site)).toBe(live);
    const after = serverState(site.deployPath);
    expect(after.current).toBe(before.current);
    expect(after.lock).toBeNull();
    expect(after.releases.filter((n) => n.endsWith('.partial') || n.startsWith('.trash'))).toEqual([]);
    expect(readLog(site.deployPath).at(-1)).toMatchObject({ event: 'deploy', result: 'failed', phase: 'before-switch', live });
  });

  test('the next good deploy cleans up what failed deploys left, then serves', async () => {
    const r = await deploy(site, appCopy((d) => setVersion(d, 'good-2')));
    expectOk(r);
    expect(await served(site)).toBe(r.id);
    const after = serverState(site.deployPath);
    expect(after.releases).toEqual([live, r.id].sort());
    expect(after.meta.filter((m) => m.endsWith('/failed'))).toEqual([]);
  });
});

describe('a stale lock: refused deploy, then unlock', () => {
  let site: Site;
  let live = '';

  beforeAll(async () => {
    site = newSite('e2e-lock');
    const r = await deploy(site, appCopy());
    expectOk(r);
    live = r.id;
  });

  test('a lock held by a dead deploy blocks deploys; unlock removes it and names the holder', async () => {
    const lock = join(site.deployPath, '.php-deploy/lock');
    const now = Math.floor(Date.now() / 1000);
    writeFileSync(lock, `token=dead.1234\nholder=ci-runner-7 via crashed job\nid=20240101T000000Z-dead000\nacquired=${now - 60}\nexpires=${now + 600}\n`);
    const { uid, gid } = deployUser();
    chownSync(lock, uid, gid);

    const refused = await deploy(site, appCopy((d) => setVersion(d, 'blocked')));
    expect(refused.code).toBe(1);
    expect(lastLine(refused.stderr)).toMatch(new RegExp(`^php-deploy: ${stack.host}: lock: .*locked: held by ci-runner-7 via crashed job .*php-deploy unlock`));
    expect(await served(site)).toBe(live);
    expect(readFileSync(lock, 'utf8')).toContain('token=dead.1234');

    const list = await cli(['list', ...stackArgs(site)]);
    expectOk(list);
    expect(lines(list.stdout)[0]).toMatch(/locked: held by ci-runner-7 via crashed job/);

    const r = await cli(['unlock', ...stackArgs(site)]);
    expectOk(r);
    expect(r.stdout).toMatch(new RegExp(`^${stack.host}: removed the lock held by ci-runner-7 via crashed job \\(deploy 20240101T000000Z-dead000\\)`));
    expect(existsSync(lock)).toBe(false);
    expect(readLog(site.deployPath).at(-1)).toMatchObject({ event: 'unlock', result: 'ok' });

    const again = await cli(['unlock', ...stackArgs(site)]);
    expectOk(again);
    expect(again.stdout).toBe(`${stack.host}: was not locked\n`);

    const ok = await deploy(site, appCopy((d) => setVersion(d, 'after-unlock')));
    expectOk(ok);
    expect(await served(site)).toBe(ok.id);
  });
});

describe('keep-releases', () => {
  test('after 4 deploys with --keep-releases 2 only the live and the previous release remain', async () => {
    const site = newSite('e2e-keep');
    const ids: string[] = [];
    for (let i = 1; i <= 4; i++) {
      // Releases switched away from less than a minute ago are kept a while for requests still running on
      // them; these deploys are seconds apart, so make the earlier ones look older, as real deploys are.
      const meta = join(site.deployPath, '.php-deploy/releases');
      if (existsSync(meta)) {
        for (const id of readdirSync(meta)) {
          const retired = join(meta, id, 'retired');
          if (existsSync(retired)) writeFileSync(retired, `${Math.floor(Date.now() / 1000) - 3600}\n`);
        }
      }
      const r = await deploy(site, appCopy((d) => setVersion(d, `k${i}`)), ['--keep-releases', '2']);
      expectOk(r);
      ids.push(r.id);
    }
    const [, , prev, live] = ids as [string, string, string, string];
    expect(await served(site)).toBe(live);
    const s = serverState(site.deployPath);
    expect(s.releases).toEqual([prev, live]);
    expect(s.meta.map((m) => m.split('/')[0]).filter((v, i, a) => a.indexOf(v) === i)).toEqual([prev, live]);
    expect(s.stateExtra).toEqual([]);
    expect(s.lock).toBeNull();
  });
});

describe('the same tree deployed again', () => {
  test('sends nothing, builds the release from hard links only, and serves it', async () => {
    const site = newSite('e2e-same');
    const source = appCopy((d) => setVersion(d, '1.0.0'));
    const first = await deploy(site, source);
    expectOk(first);
    const again = await deploy(site, source);
    expectOk(again);
    expect(again.stderr).toMatch(new RegExp(`sending 0 new or changed files .*\\d+ unchanged taken from ${first.id}`));
    const p = await page(site);
    expect([p.release, p.partA, p.partB]).toEqual([again.id, again.id, again.id]);
    const old = join(site.deployPath, 'releases', first.id);
    const now = join(site.deployPath, 'releases', again.id);
    expect(inode(join(now, 'config/version.php'))).toBe(inode(join(old, 'config/version.php')));
  });
});
