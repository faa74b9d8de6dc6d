/**
 * The lease lock over a whole deploy, and the one exit path of the remote program (issue 13), against
 * the real stack with a load generator on each site, the invariants checked after every case
 * (FaultWatch.verify: live release complete and checked, nothing half-written, lock released, the log
 * says what happened, every request answered 200 from one release, a failure is one line naming host,
 * phase and cause):
 *
 *   - a lease shorter than a slow upload, a second deploy waiting with lock-timeout: it waits its turn;
 *   - two deploys started together, each with lock-timeout, over slow links: both end well, in turn;
 *   - the server's clock stepping past the TTL during a hook (libfaketime, server side only): the
 *     deploy that lost its lease stops before its switch, naming who took the lock and when;
 *   - the activation's renewer killed with SIGKILL during a hook longer than the TTL;
 *   - `unlock` during before-switch (alone, and with a deploy waiting to take the lock);
 *   - `set -e`/die inside prepare (a shared/ the deploy user cannot write) and on the way to the switch
 *     (the disk full when the activation writes its state).
 *
 * The lock-ttl minimum is 30 s, so the lease cases take a while; they run four at a time.
 */
import { chownSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { appCopy, cli, deploy, serverState, setVersion, siteName, stack, stackArgs, type RunResult, type Site } from './helpers.js';
import {
  addRandomFiles,
  cloneSite,
  closeAllRelays,
  deployTemplate,
  FaultWatch,
  mountTmpfs,
  partials,
  remotePids,
  semaphore,
  startCli,
  startFakeClockSshd,
  startRelay,
  unmount,
  until,
} from './faults-helpers.js';

/** The shortest lease lock-ttl allows. */
const TTL = ['--lock-ttl', '30'];
/** Uplink of the slow cases: 6 MB of incompressible files take ~40 s, longer than the lease. */
const SLOW_RATE = 160_000;
const SLOW_MB = 6;

let tpl: { site: Site; id: string };
const slot = semaphore(4);

/** A case holding a slot while it runs (they mostly wait, on the server or on a slow link). */
function leaseCase(name: string, fn: () => Promise<void>, timeoutMs = 300_000): void {
  test(
    name,
    async () => {
      const release = await slot();
      try {
        await fn();
      } finally {
        release();
      }
    },
    timeoutMs,
  );
}

beforeAll(async () => {
  tpl = await deployTemplate('e2e-lease-tpl', appCopy((d) => setVersion(d, 'template')));
});

afterAll(async () => {
  await closeAllRelays();
  for (const f of flags) rmSync(f, { force: true });
});

let n = 0;
function freshSite(tag: string): Site {
  n += 1;
  return cloneSite(tpl.site, `e2e-l${n}-${tag}`);
}

function slowApp(version: string): string {
  return appCopy((d) => {
    setVersion(d, version);
    addRandomFiles(d, SLOW_MB);
  });
}

function via(h: { host: string; knownHostsFile: string }): { replace: Record<string, string> } {
  return { replace: { '--hosts': h.host, '--known-hosts-file': h.knownHostsFile } };
}

function expectDeployed(r: RunResult): string {
  expect(r.code, `exit code; stderr:\n${r.stderr}`).toBe(0);
  const id = /^deployed (\S+)/m.exec(r.stdout)?.[1];
  expect(id, r.stdout).toBeDefined();
  return id as string;
}

/** The deploy events the log gained, as "<event> <id> <result>". */
function deployEvents(w: FaultWatch): string[] {
  return w
    .newLog()
    .filter((l) => l.event === 'deploy' || l.event === 'lock')
    .map((l) => `${l.event} ${l.id} ${l.result}`);
}

/** Nothing of a deploy keeps running on the server for this site: no renewer, no worker, no hold. */
async function nothingLeftRunning(site: Site): Promise<void> {
  await until(
    'the remote processes of the site to end',
    () => ['__renewer', '__worker', '__run', 'hold'].every((c) => remotePids(c, site.deployPath).length === 0),
    10_000,
    100,
  );
}

/** The deploy id in the site's lock file ('' when there is none). */
function lockId(site: Site): string {
  try {
    return /^id=(.*)$/m.exec(readFileSync(join(site.deployPath, '.php-deploy/lock'), 'utf8'))?.[1] ?? '';
  } catch {
    return '';
  }
}

const flags: string[] = [];

/** A before-switch command that waits until the test lets it go (go()), so a case controls the order. */
function gate(): { command: string; go(): void; started: RegExp } {
  const flag = `/tmp/pd-gate-${randomBytes(6).toString('hex')}`;
  flags.push(flag);
  return {
    command: `while [ ! -e ${flag} ]; do sleep 0.1; done`,
    go: () => writeFileSync(flag, ''),
    started: /before-switch\[2\]: while \[ ! -e /,
  };
}
const I = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe.concurrent('the lease covers the whole deploy', () => {
  leaseCase('a lease shorter than a slow upload: a deploy waiting with lock-timeout waits for it instead of taking the lock over', async () => {
    const site = freshSite('slow-upload');
    const relay = await startRelay({ rateBytesPerSec: SLOW_RATE });
    const w = await FaultWatch.start(site, { loadMs: 280_000 });
    const a = startCli(['deploy', '--source', slowApp('slow'), ...stackArgs(site, via(relay)), ...TTL]);
    await until('the slow upload to start', () => partials(site).some((p) => p.endsWith('.partial')), 60_000, 50);
    const b = await deploy(site, appCopy((d) => setVersion(d, 'waiter')), [...TTL, '--lock-timeout', '240']);
    const ra = await a.done;
    await relay.close();
    const idA = expectDeployed(ra);
    const idB = expectDeployed(b);
    // The upload outlasted the lease by far: only renewing during the upload kept the lock.
    expect(ra.ms).toBeGreaterThan(35_000);
    expect(b.stderr).toMatch(new RegExp(`waiting up to 240s for the lock, held by .* \\(deploy ${I(idA)}\\)`));
    expect(b.stdout).toContain(`previous release: ${idA}`);
    await w.verify({ live: idB, served: [tpl.id, idA, idB], log: { result: 'ok', id: idB, reason: /^$/ } });
    expect(deployEvents(w)).toEqual([`deploy ${idA} ok`, `deploy ${idB} ok`]);
    await nothingLeftRunning(site);
  });

  leaseCase('two deploys of one path started together over slow links, each with lock-timeout: both end well, one after the other', async () => {
    const site = freshSite('pair');
    const relays = [await startRelay({ rateBytesPerSec: SLOW_RATE }), await startRelay({ rateBytesPerSec: SLOW_RATE })];
    const w = await FaultWatch.start(site, { loadMs: 280_000 });
    const [a, b] = await Promise.all(
      relays.map((r, i) => cli(['deploy', '--source', slowApp(`pair-${i}`), ...stackArgs(site, via(r)), ...TTL, '--lock-timeout', '240'])),
    );
    for (const r of relays) await r.close();
    const idA = expectDeployed(a as RunResult);
    const idB = expectDeployed(b as RunResult);
    const [first, second] = w
      .newLog()
      .filter((l) => l.event === 'deploy')
      .map((l) => l.id);
    expect([first, second].sort()).toEqual([idA, idB].sort());
    const waiter = idA === second ? (a as RunResult) : (b as RunResult);
    expect(waiter.stderr).toMatch(new RegExp(`waiting up to 240s for the lock, held by .* \\(deploy ${I(first as string)}\\)`));
    expect(waiter.stdout).toContain(`previous release: ${first}`);
    await w.verify({ live: second as string, served: [tpl.id, first as string, second as string], log: { result: 'ok', id: second, reason: /^$/ } });
    expect(deployEvents(w)).toEqual([`deploy ${first} ok`, `deploy ${second} ok`]);
    await nothingLeftRunning(site);
  });

  leaseCase('the server clock steps past the TTL during a hook: the deploy that lost its lease stops before its switch, naming who took the lock and when', async () => {
    const site = freshSite('clock');
    const clock = await startFakeClockSshd();
    try {
      const w = await FaultWatch.start(site);
      const hook = gate();
      const a = startCli(['deploy', '--source', appCopy((d) => setVersion(d, 'clock-a')), ...stackArgs(site, { beforeSwitch: ['php bin/migrate.php', hook.command], ...via(clock) }), ...TTL]);
      await a.waitForStderr(hook.started);
      const held = lockId(site);
      const b = startCli(['deploy', '--source', appCopy((d) => setVersion(d, 'clock-b')), ...stackArgs(site, via(clock)), ...TTL, '--lock-timeout', '120']);
      await b.waitForStderr(/waiting up to 120s for the lock/);
      // A step of 100 s: every lease written before it has expired for everyone on the server.
      clock.step(100);
      await until('the waiting deploy to take the lock over', () => ![held, ''].includes(lockId(site)), 10_000, 50);
      hook.go();
      const [ra, rb] = await Promise.all([a.done, b.done]);
      const idB = expectDeployed(rb);
      const idA = w.newLog().find((l) => l.event === 'deploy' && l.id !== idB)?.id as string;
      expect(idA, JSON.stringify(w.newLog())).toBeDefined();
      expect(rb.stderr).toMatch(new RegExp(`taking over an expired lock: held by .* \\(deploy ${I(idA)}\\)`));
      // B took the lock while A's hooks ran, but left A's release alone until A stopped by itself.
      expect(rb.stderr).not.toMatch(new RegExp(`removing release ${I(idA)}`));
      await w.verify({
        live: idB,
        served: [tpl.id, idB],
        run: {
          result: ra,
          host: clock.host,
          phase: 'switch',
          cause: new RegExp(`^lost the lock before the switch: taken over by .* \\(deploy ${I(idB)}\\) at \\d{4}-\\d\\d-\\d\\dT[\\d:]+Z; nothing was switched`),
        },
        log: { result: 'failed', id: idA, phase: 'switch', reason: /^lost the lock before the switch: taken over by / },
      });
      expect(deployEvents(w)).toEqual([`lock ${idB} takeover`, `deploy ${idA} failed`, `deploy ${idB} ok`]);
      await nothingLeftRunning(site);
    } finally {
      await clock.close();
    }
  });

  leaseCase('the renewer is killed (SIGKILL) during a hook longer than the TTL: the deploy keeps its lease and ends well; a waiting deploy goes next', async () => {
    const site = freshSite('renewer-kill');
    const w = await FaultWatch.start(site, { loadMs: 200_000 });
    const a = startCli(['deploy', '--source', appCopy((d) => setVersion(d, 'long-hook')), ...stackArgs(site, { beforeSwitch: ['php bin/migrate.php', 'sleep 40'] }), ...TTL]);
    await a.waitForStderr(/before-switch\[2\]: sleep 40$/);
    const renewers = remotePids('__renewer', site.deployPath);
    expect(renewers, 'the activation runs one renewer').toHaveLength(1);
    process.kill(renewers[0] as number, 'SIGKILL');
    const b = await deploy(site, appCopy((d) => setVersion(d, 'next')), [...TTL, '--lock-timeout', '120']);
    const idA = expectDeployed(await a.done);
    const idB = expectDeployed(b);
    expect(b.stdout).toContain(`previous release: ${idA}`);
    await w.verify({ live: idB, served: [tpl.id, idA, idB], log: { result: 'ok', id: idB, reason: /^$/ } });
    expect(deployEvents(w)).toEqual([`deploy ${idA} ok`, `deploy ${idB} ok`]);
    await nothingLeftRunning(site);
  });

  leaseCase('unlock during before-switch: the activation stops before its switch, saying the lock was removed; nothing changed for visitors', async () => {
    const site = freshSite('unlock');
    const w = await FaultWatch.start(site);
    const hook = gate();
    const a = startCli(['deploy', '--source', appCopy((d) => setVersion(d, 'unlocked')), ...stackArgs(site, { beforeSwitch: ['php bin/migrate.php', hook.command] })]);
    await a.waitForStderr(hook.started);
    const u = await cli(['unlock', ...stackArgs(site)]);
    expect(u.code, u.stderr).toBe(0);
    expect(u.stderr).toMatch(/is still activating/);
    hook.go();
    const ra = await a.done;
    await w.verify({
      live: tpl.id,
      run: { result: ra, phase: 'switch', cause: /^lost the lock before the switch: removed by 'php-deploy unlock' \(.+\) at \d{4}-\d\d-\d\dT[\d:]+Z; nothing was switched/ },
      log: { result: 'failed', phase: 'switch', reason: /^lost the lock before the switch: removed by 'php-deploy unlock'/ },
    });
    expect(serverState(site.deployPath).releases).toEqual([tpl.id]);
    await nothingLeftRunning(site);
  });

  leaseCase('unlock during before-switch while another deploy waits: that one takes the lock but not the running release; the first stops before its switch', async () => {
    const site = freshSite('unlock-next');
    const w = await FaultWatch.start(site);
    const hook = gate();
    const a = startCli(['deploy', '--source', appCopy((d) => setVersion(d, 'unlocked')), ...stackArgs(site, { beforeSwitch: ['php bin/migrate.php', hook.command] })]);
    await a.waitForStderr(hook.started);
    const held = lockId(site);
    const b = startCli(['deploy', '--source', appCopy((d) => setVersion(d, 'after-unlock')), ...stackArgs(site), '--lock-timeout', '120']);
    await b.waitForStderr(/waiting up to 120s for the lock/);
    const u = await cli(['unlock', ...stackArgs(site)]);
    expect(u.code, u.stderr).toBe(0);
    await until('the waiting deploy to take the lock', () => ![held, ''].includes(lockId(site)), 10_000, 50);
    hook.go();
    const [ra, rb] = await Promise.all([a.done, b.done]);
    const idB = expectDeployed(rb);
    const idA = w.newLog().find((l) => l.event === 'deploy' && l.id !== idB)?.id as string;
    await w.verify({
      live: idB,
      served: [tpl.id, idB],
      run: { result: ra, phase: 'switch', cause: new RegExp(`^lost the lock before the switch: taken over by .* \\(deploy ${I(idB)}\\) at \\S+; nothing was switched`) },
      log: { result: 'failed', id: idA, phase: 'switch', reason: /^lost the lock before the switch: taken over by / },
    });
    expect(rb.stderr).not.toMatch(new RegExp(`removing release ${I(idA)}`));
    await nothingLeftRunning(site);
  });
});

describe.concurrent('one exit path for every way out of the remote program', () => {
  leaseCase('a file of the new release removed by hand during before-switch: it stops before its switch, naming what is missing', async () => {
    const site = freshSite('incomplete');
    const w = await FaultWatch.start(site);
    const hook = gate();
    const a = startCli(['deploy', '--source', appCopy((d) => setVersion(d, 'incomplete')), ...stackArgs(site, { beforeSwitch: ['php bin/migrate.php', hook.command] })]);
    await a.waitForStderr(hook.started);
    const id = lockId(site);
    rmSync(join(site.deployPath, 'releases', id, 'composer.json'));
    hook.go();
    const r = await a.done;
    await w.verify({
      live: tpl.id,
      run: { result: r, phase: 'switch', cause: new RegExp(`^release ${I(id)} is incomplete \\(missing: composer\\.json\\); nothing was switched$`) },
      log: { result: 'failed', id, phase: 'switch', reason: /is incomplete \(missing: composer\.json\)/ },
    });
    expect(serverState(site.deployPath).releases).toEqual([tpl.id]);
    await nothingLeftRunning(site);
  });

  leaseCase('set -e inside prepare: a shared/ the deploy user cannot write — release removed, lock released, renewer gone, one line', async () => {
    const site = freshSite('shared-ro');
    chownSync(join(site.deployPath, 'shared'), 0, 0);
    try {
      const w = await FaultWatch.start(site);
      const r = await deploy(site, appCopy((d) => setVersion(d, 'shared-ro')), ['--shared', 'uploads/']);
      await w.verify({
        live: tpl.id,
        run: { result: r, phase: 'link-shared', cause: /shared\/uploads.*Permission denied/ },
        log: { result: 'failed', phase: 'link-shared', reason: /shared\/uploads.*Permission denied/ },
      });
      expect(serverState(site.deployPath).releases).toEqual([tpl.id]);
      await nothingLeftRunning(site);
    } finally {
      rmSync(site.deployPath, { recursive: true, force: true });
    }
  });

  leaseCase('the disk fills up during before-switch: the state write before the switch fails, nothing goes live, the space is given back, one line', async () => {
    n += 1;
    const name = `e2e-l${n}-disk`;
    const path = join(stack.sites, siteName(name));
    rmSync(path, { recursive: true, force: true });
    mountTmpfs(path, 48);
    try {
      const site = cloneSite(tpl.site, name, { mounted: true });
      const w = await FaultWatch.start(site);
      // A cache warm-up that fills the disk (and does not notice).
      const fill = 'head -c 100M /dev/zero > warm-cache.bin || true';
      const r = await deploy(site, appCopy((d) => setVersion(d, 'disk-full')), [], { beforeSwitch: ['php bin/migrate.php', fill] });
      await w.verify({
        live: tpl.id,
        run: { result: r, phase: 'switch', cause: /No space left on device/ },
        log: { result: 'failed', phase: 'switch', reason: /No space left on device/ },
      });
      expect(serverState(site.deployPath).releases).toEqual([tpl.id]);
      await nothingLeftRunning(site);
    } finally {
      unmount(path);
    }
  });
});
