/**
 * Fault injection against the real stack: each fault on a fresh site (a copy of one deployed template),
 * with a load generator on the site the whole time, then ONE check of the invariants (FaultWatch.verify):
 * I1 current is a complete, checked release · I2 no partial/trash, failed releases only marked failed ·
 * I3 the lock is released · I4 the log records the fault · I5 every request answered 200 from one release ·
 * I6 a failed deploy exits 1 with one line naming the host, the phase and the cause.
 * This proves README's "What happens when something fails" table.
 *
 * Cases run three at a time (each on its own site; their load generators keep running through the
 * php-fpm reloads of the others, which must not cost a request either).
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parseSettings } from '../../src/config/settings.js';
import { abortCommand, beginCommand, uploadCommand, type DeployRef } from '../../src/remote/commands.js';
import {
  appCopy,
  breakHealth,
  breakHealthOutsideCheck,
  cli,
  deploy,
  FAST_FAIL,
  lastLine,
  lines,
  patchFile,
  readLog,
  served,
  serverState,
  setVersion,
  siteName,
  stack,
  stackArgs,
  tempDir,
  type RunResult,
  type Site,
} from './helpers.js';
import {
  addRandomFiles,
  cloneSite,
  closeAllRelays,
  deployTemplate,
  FaultWatch,
  fillDisk,
  hasOpenFileUnder,
  liveId,
  locked,
  mountTmpfs,
  partials,
  remoteFailure,
  remoteRunning,
  semaphore,
  sleep,
  sshRun,
  startCli,
  startLoad,
  startRelay,
  unmount,
  until,
  writeLock,
  type Relay,
} from './faults-helpers.js';

/** Bytes from the CLI to sshd after which an upload of the big app is surely under way (connect, preflight and begin send ~0.2 MB). */
const MID_UPLOAD = 3_000_000;

let tpl: { site: Site; id: string };

/** Cases in flight at once (each starts a CLI, a load generator and the server side). */
const slot = semaphore(3);
/** A concurrent case holding a slot while it runs. */
function fault(name: string, fn: () => Promise<void>): void {
  test(name, async () => {
    const release = await slot();
    try {
      await fn();
    } finally {
      release();
    }
  });
}

beforeAll(async () => {
  tpl = await deployTemplate('e2e-fault-tpl', appCopy((d) => setVersion(d, 'template')));
});

/** Flag files the cases' commands create in /tmp. */
const flags: string[] = [];
function flagFile(name: string): string {
  const f = `/tmp/pd-${name}-${randomBytes(4).toString('hex')}`;
  flags.push(f);
  return f;
}

// Relays of cases that failed half-way, and the flags.
afterAll(async () => {
  await closeAllRelays();
  for (const f of flags) rmSync(f, { recursive: true, force: true });
});

let n = 0;
/** A fresh site for one case: a copy of the template, `tpl.id` live. */
function freshSite(tag: string): Site {
  n += 1;
  return cloneSite(tpl.site, `e2e-f${n}-${tag}`);
}

/** The example app plus 20 MB of random files: an upload that takes a while. */
function bigApp(version = 'big'): string {
  return appCopy((d) => {
    setVersion(d, version);
    addRandomFiles(d, 20);
  });
}

/** stackArgs' flags pointing at a relay instead of sshd. */
function viaRelay(relay: Relay): { replace: Record<string, string> } {
  return { replace: { '--hosts': relay.host, '--known-hosts-file': relay.knownHostsFile } };
}

function expectDeployed(r: RunResult): string {
  expect(r.code, `exit code; stderr:\n${r.stderr}`).toBe(0);
  const id = /^deployed (\S+)/m.exec(r.stdout)?.[1];
  expect(id, r.stdout).toBeDefined();
  return id as string;
}

/** The next deploy removes what failed deploys left and serves; asserts it and returns its id. */
async function nextDeployCleansUp(site: Site, gone: string[]): Promise<string> {
  const r = await deploy(site, appCopy((d) => setVersion(d, 'next')));
  const id = expectDeployed(r);
  expect(await served(site)).toBe(id);
  const s = serverState(site.deployPath);
  for (const g of gone) {
    expect(s.releases).not.toContain(g);
    expect(s.meta.filter((m) => m.startsWith(`${g}/`))).toEqual([]);
  }
  expect(s.releases.filter((r) => r.endsWith('.partial') || r.startsWith('.trash-'))).toEqual([]);
  expect(s.lock).toBeNull();
  return id;
}

describe.concurrent('faults', () => {
  // ---------------------------------------------------------------------------------------------
  // Upload faults
  // ---------------------------------------------------------------------------------------------

  describe('upload faults', () => {
    fault('SSH connection cut mid-upload: the server removes the partial and unlocks by itself; the next deploy succeeds', async () => {
      const site = freshSite('cut');
      const relay = await startRelay({ cutAfterBytes: MID_UPLOAD });
      const w = await FaultWatch.start(site);
      const r = await deploy(site, bigApp(), [], viaRelay(relay));
      await relay.close();
      expect(relay.upBytes).toBeGreaterThanOrEqual(MID_UPLOAD);
      // The client cannot reach the server any more: the server must notice the cut and clean up itself.
      await until('the server to clean up after the cut', () => partials(site).length === 0 && !locked(site));
      await w.verify({
        live: tpl.id,
        run: { result: r, host: relay.host, phase: 'upload', cause: /^ssh: the connection was lost/ },
        log: { result: 'failed', phase: 'upload', reason: /^upload did not complete: the upload was cut off or corrupted/ },
      });
      await nextDeployCleansUp(site, []);
    });

    // One site, one case after the other: each checks the site is exactly as before.
    describe.sequential('a truncated or corrupted archive sent straight to the remote upload command', () => {
      let site: Site;
      let manifest: Buffer;
      let tarball: Buffer;

      beforeAll(() => {
        site = freshSite('archive');
        // A tiny release, its manifest in the format the server reads, and its tar (as GNU tar writes it).
        const dir = join(tempDir('php-deploy-archive-'), 'rel');
        mkdirSync(join(dir, 'public'), { recursive: true, mode: 0o755 });
        const blob = randomBytes(256 * 1024);
        const index = Buffer.from('<?php echo "hello";\n');
        // Files travel read-only, as the engine sends them (the manifest keeps the source's 0644).
        writeFileSync(join(dir, 'data.bin'), blob, { mode: 0o444 });
        writeFileSync(join(dir, 'public/index.php'), index, { mode: 0o444 });
        const sha = (b: Buffer): string => execFileSync('sha256sum', { input: b, encoding: 'utf8' }).split(' ')[0] as string;
        // As the engine sends it: gzip'd.
        manifest = gzipSync(
          [
            '# php-deploy manifest v1',
            `f\t0644\t${blob.length}\t${sha(blob)}\tdata.bin`,
            'd\t0755\t0\t-\tpublic',
            `f\t0644\t${index.length}\t${sha(index)}\tpublic/index.php`,
          ].join('\n') + '\n',
        );
        // data.bin first: its content starts right after its 512-byte header.
        tarball = execFileSync('tar', ['-cf', '-', '--owner=0', '--group=0', '-C', dir, 'data.bin', 'public'], { maxBuffer: 64 << 20 });
      });

      const settings = (s: Site) =>
        parseSettings(
          { command: 'deploy', hosts: stack.host, 'ssh-key': readFileSync(stack.key, 'utf8'), 'known-hosts': readFileSync(stack.knownHosts, 'utf8'), 'deploy-path': s.deployPath },
          { who: 'faults-test@e2e', sha: undefined, tag: undefined },
        );
      const newRef = (s: Site): DeployRef => {
        const id = `20990101T000000Z-${randomBytes(4).toString('hex').slice(0, 7)}`;
        return { deployPath: s.deployPath, deployId: id, token: `${id}.${randomBytes(8).toString('hex')}` };
      };
      /** begin (takes the lock), then upload with this stdin. */
      async function beginAndUpload(stdin: Buffer, manifestBytes = manifest.length): Promise<{ ref: DeployRef; code: number | null; stdout: string }> {
        const s = settings(site);
        const ref = newRef(site);
        const begin = await sshRun(beginCommand(s, ref));
        expect(begin.code, begin.stdout + begin.stderr).toBe(0);
        expect(serverState(site.deployPath).lock).toContain(`token=${ref.token}`);
        const up = await sshRun(uploadCommand(s, ref, undefined, manifestBytes), stdin);
        return { ref, code: up.code, stdout: up.stdout };
      }

      fault('control: the intact archive is accepted and verified (then aborted)', async () => {
        const { ref, code, stdout } = await beginAndUpload(Buffer.concat([manifest, gzipSync(tarball)]));
        expect(code, stdout).toBe(0);
        expect(stdout).toMatch(new RegExp(`release ${ref.deployId} verified: 2 files`));
        const abort = await sshRun(abortCommand(settings(site), ref, 'test done'));
        expect(abort.code, abort.stdout + abort.stderr).toBe(0);
        expect(serverState(site.deployPath).releases).toEqual([tpl.id]);
      });

      const flip = (buf: Buffer, at: number, len: number): Buffer => {
        const b = Buffer.from(buf);
        for (let i = at; i < at + len; i++) b[i] = (b[i] as number) ^ 0xff;
        return b;
      };
      const variants: { name: string; stdin: () => Buffer; phase: string; text: RegExp; manifestBytes?: () => number }[] = [
        {
          name: 'gzip stream truncated',
          stdin: () => {
            const gz = gzipSync(tarball);
            return Buffer.concat([manifest, gz.subarray(0, gz.length >> 1)]);
          },
          phase: 'upload',
          text: /^the upload was cut off or corrupted \(tar: .*(unexpected end of file|Unexpected EOF)/,
        },
        {
          name: 'gzip stream corrupted',
          stdin: () => {
            const gz = gzipSync(tarball);
            return Buffer.concat([manifest, flip(gz, gz.length >> 1, 64)]);
          },
          phase: 'upload',
          text: /^the upload was cut off or corrupted \(tar: /,
        },
        {
          name: 'valid gzip whose file content differs from the manifest',
          stdin: () => Buffer.concat([manifest, gzipSync(flip(tarball, 512 + 1000, 1))]),
          phase: 'verify',
          text: /^checksum mismatch after upload: data\.bin: FAILED/,
        },
        {
          name: 'stream cut off inside the manifest',
          stdin: () => manifest.subarray(0, 40),
          phase: 'upload',
          text: /^the upload was cut off \(in the manifest\)$/,
        },
      ];

      test.each(variants)('$name: refused, partial removed, lock released by the server, logged', async (v) => {
        const w = await FaultWatch.start(site);
        const { ref, code, stdout } = await beginAndUpload(v.stdin());
        expect(code, stdout).toBe(1);
        const failure = remoteFailure(stdout);
        expect(failure?.phase).toBe(v.phase);
        expect(failure?.text).toMatch(v.text);
        // No abort from a client: the server cleaned up by itself.
        await w.verify({
          live: tpl.id,
          log: { result: 'failed', phase: v.phase, id: ref.deployId, reason: /^upload did not complete: / },
        });
        expect(w.newLog().find((l) => l.id === ref.deployId)?.reason).toContain((failure?.text ?? '').slice(0, 40));
      });
    });

    describe('disk full', () => {
      /** Runs fn on a fresh site whose deploy path is a tmpfs of `mb` MB (unmounted afterwards). */
      async function onTmpfs(tag: string, mb: number, fn: (site: Site) => Promise<void>): Promise<void> {
        n += 1;
        const name = `e2e-f${n}-${tag}`;
        const path = join(stack.sites, siteName(name));
        rmSync(path, { recursive: true, force: true });
        mountTmpfs(path, mb);
        try {
          await fn(cloneSite(tpl.site, name, { mounted: true }));
        } finally {
          unmount(path);
        }
      }

      fault('a release that does not fit: preflight refuses it before anything changes', () =>
        onTmpfs('disk-pre', 16, async (site) => {
          const w = await FaultWatch.start(site);
          const r = await deploy(site, bigApp());
          await w.verify({
            live: tpl.id,
            run: { result: r, phase: 'preflight', cause: /disk: the filesystem of .* has \d+ MB free; the release needs \d+ MB/ },
          });
          // Read-only and before the lock: nothing at all changed, nothing logged.
          expect(serverState(site.deployPath)).toEqual(w.before);
        }),
      );

      fault('the disk fills up during the upload: refused, partial removed, unlocked, logged', () =>
        onTmpfs('disk-up', 48, async (site) => {
          const relay = await startRelay({ stallAfterBytes: MID_UPLOAD });
          const w = await FaultWatch.start(site);
          const run = startCli(['deploy', '--source', bigApp(), ...stackArgs(site, viaRelay(relay))]);
          await relay.stalled;
          await until('the partial release', () => partials(site).some((p) => p.endsWith('.partial')));
          const filler = fillDisk(site.deployPath);
          relay.resume();
          const r = await run.done;
          await relay.close();
          rmSync(filler);
          await w.verify({
            live: tpl.id,
            run: { result: r, host: relay.host, phase: 'upload', cause: /No space left on device/ },
            log: { result: 'failed', phase: 'upload', reason: /^upload did not complete: .*No space left on device/ },
          });
        }),
      );
    });
  });

  // ---------------------------------------------------------------------------------------------
  // Activation faults
  // ---------------------------------------------------------------------------------------------

  describe('activation faults', () => {
    fault('before-switch command fails: release removed, unlocked, logged, nothing changed for visitors', async () => {
      const site = freshSite('before');
      const w = await FaultWatch.start(site);
      const r = await deploy(site, appCopy((d) => setVersion(d, 'never')), [], { beforeSwitch: ['php bin/migrate.php', 'false'] });
      await w.verify({
        live: tpl.id,
        run: { result: r, phase: 'before-switch', cause: /^before-switch command 2 failed: false$/ },
        log: { result: 'failed', phase: 'before-switch', reason: /^before-switch command 2 failed: false$/ },
      });
      expect(serverState(site.deployPath).releases).toEqual([tpl.id]);
    });

    fault('pre-switch check through php-fpm fails: release removed, unlocked, logged', async () => {
      const site = freshSite('pre');
      const w = await FaultWatch.start(site);
      const r = await deploy(site, appCopy(breakHealth), ['--health-timeout', '1']);
      await w.verify({
        live: tpl.id,
        run: { result: r, phase: 'pre-switch-check', cause: /^pre-switch check via php-fpm .* answered 503/ },
        log: { result: 'failed', phase: 'pre-switch-check', reason: /answered 503/ },
      });
      expect(serverState(site.deployPath).releases).toEqual([tpl.id]);
    });

    fault('post-switch check fails: switched back, failed release kept marked failed, the next deploy removes it', async () => {
      const site = freshSite('post');
      const w = await FaultWatch.start(site);
      const r = await deploy(site, appCopy(breakHealthOutsideCheck), FAST_FAIL);
      const failedId = readLog(site.deployPath).at(-1)?.id as string;
      const { faultedId } = await w.verify({
        live: tpl.id,
        served: [tpl.id, failedId],
        failedKept: [failedId],
        run: { result: r, phase: 'post-switch-check', cause: new RegExp(`answered 503 .*; switched back to ${tpl.id}$`) },
        log: { result: 'failed', phase: 'post-switch-check', reason: new RegExp(`answered 503 .*; switched back to ${tpl.id}$`) },
      });
      expect(faultedId).toBe(failedId);
      await nextDeployCleansUp(site, [failedId]);
    });

    fault('reload-command fails (first call only): switched back and reloaded again, previous release live', async () => {
      const site = freshSite('reload1');
      const flag = flagFile('reload-once');
      const reload = `if test -e ${flag}; then ${stack.reloadCommand}; else touch ${flag}; echo 'reload refused on purpose' >&2; exit 3; fi`;
      const w = await FaultWatch.start(site);
      const r = await deploy(site, appCopy((d) => setVersion(d, 'reload-fails')), [], { replace: { '--reload-command': reload } });
      const failedId = readLog(site.deployPath).at(-1)?.id as string;
      await w.verify({
        live: tpl.id,
        served: [tpl.id, failedId],
        failedKept: [failedId],
        run: { result: r, phase: 'reload', cause: new RegExp(`^reload-command failed: .*; switched back to ${tpl.id}$`) },
        log: { result: 'failed', phase: 'reload', reason: new RegExp(`^reload-command failed: .*; switched back to ${tpl.id}$`) },
      });
      // The second reload (after switching back) ran and succeeded.
      expect(r.stderr).toMatch(/reload refused on purpose[\s\S]*switching back[\s\S]*php-fpm reloaded/);
      expect(r.stderr).not.toMatch(/reload after switching back failed/);
      await nextDeployCleansUp(site, [failedId]);
    });

    fault("reload-command 'false' (always fails): switched back, the previous release stays live", async () => {
      const site = freshSite('reload-false');
      const w = await FaultWatch.start(site);
      const r = await deploy(site, appCopy((d) => setVersion(d, 'reload-false')), [], { replace: { '--reload-command': 'false' } });
      const failedId = readLog(site.deployPath).at(-1)?.id as string;
      await w.verify({
        live: tpl.id,
        served: [tpl.id, failedId],
        failedKept: [failedId],
        run: { result: r, phase: 'reload', cause: new RegExp(`^reload-command failed: false; switched back to ${tpl.id}$`) },
        log: { result: 'failed', phase: 'reload', reason: /^reload-command failed: false/ },
      });
      expect(r.stderr).toMatch(/warning: reload after switching back failed/);
    });

    fault('after-switch command fails: reported failed, the new release stays live (it passed its checks)', async () => {
      const site = freshSite('after');
      const w = await FaultWatch.start(site);
      const r = await deploy(site, appCopy((d) => setVersion(d, 'after-fails')), ['--after-switch', 'false']);
      const newId = readLog(site.deployPath).find((l) => l.event === 'deploy' && l.result === 'ok' && l.id !== tpl.id)?.id as string;
      expect(newId, r.stderr).toBeDefined();
      await w.verify({
        live: newId,
        run: { result: r, phase: 'after-switch', cause: new RegExp(`^after-switch command 1 failed: false \\(release ${newId} is live and healthy`) },
        log: { event: 'after-switch', result: 'failed', phase: 'after-switch', id: newId, reason: /^after-switch command 1 failed: false$/ },
      });
      expect(w.newLog().map((l) => `${l.event} ${l.result}`)).toEqual(['deploy ok', 'after-switch failed']);
    });
  });

  // ---------------------------------------------------------------------------------------------
  // Cancellation: SIGINT and SIGTERM in every phase
  // ---------------------------------------------------------------------------------------------

  describe('cancellation (SIGINT, SIGTERM) in each phase', () => {
    let scanApp = '';
    beforeAll(() => {
      // A tree whose scan takes a while: a 512 MB (sparse) file to hash.
      scanApp = appCopy((d) => execFileSync('truncate', ['-s', '512M', join(d, 'huge.bin')]));
    });

    for (const sig of ['SIGINT', 'SIGTERM'] as const) {
      describe(sig, () => {
        const cancelled = new RegExp(`^cancelled by ${sig}$`);

        fault('during the scan: stops before connecting; nothing changed', async () => {
          const site = freshSite('sig-scan');
          const w = await FaultWatch.start(site);
          const run = startCli(['deploy', '--source', scanApp, ...stackArgs(site)]);
          await until('the scan to read the source', () => hasOpenFileUnder(run.child.pid as number, scanApp));
          run.child.kill(sig);
          const r = await run.done;
          await w.verify({ live: tpl.id, run: { result: r, host: '', phase: 'scan', cause: cancelled } });
          expect(r.stderr).not.toMatch(/connected/);
          expect(serverState(site.deployPath)).toEqual(w.before);
        });

        fault('during connect: stops at once; nothing changed', async () => {
          const site = freshSite('sig-connect');
          // A relay that swallows everything: the SSH handshake never completes.
          const relay = await startRelay({ stallAfterBytes: 0 });
          const w = await FaultWatch.start(site);
          const run = startCli(['deploy', '--source', appCopy(), ...stackArgs(site, viaRelay(relay)), '--ssh-timeout', '30']);
          await relay.stalled;
          // The handshake starts while the tree is scanned; cancel once the local checks are done.
          await run.waitForStderr(/artifact-check: artifact-totals: /);
          run.child.kill(sig);
          const r = await run.done;
          await relay.close();
          expect(r.ms).toBeLessThan(10_000);
          await w.verify({ live: tpl.id, run: { result: r, host: relay.host, phase: 'connect', cause: cancelled } });
          expect(serverState(site.deployPath)).toEqual(w.before);
        });

        fault('while waiting for the lock: stops waiting, takes no lock later; nothing changed', async () => {
          const site = freshSite('sig-lock');
          const now = Math.floor(Date.now() / 1000);
          const other = { token: 'other.1', holder: 'another deploy', id: '20240101T000000Z-other00', acquired: now, expires: now + 600 };
          writeLock(site, other);
          const w = await FaultWatch.start(site);
          const run = startCli(['deploy', '--source', appCopy(), ...stackArgs(site), '--lock-timeout', '60']);
          await until('the server to wait for the lock', () => remoteRunning('begin', site.deployPath));
          await sleep(300);
          run.child.kill(sig);
          const r = await run.done;
          expect(r.ms).toBeLessThan(20_000);
          // The server stops waiting too: it must not take the lock once the other deploy lets go.
          await until('the remote begin to stop', () => !remoteRunning('begin', site.deployPath), 5000);
          await w.verify({ live: tpl.id, lock: 'any', run: { result: r, phase: 'lock', cause: cancelled } });
          expect(serverState(site.deployPath)).toEqual(w.before);
        });

        fault('during the upload: the partial is removed and the lock released', async () => {
          const site = freshSite('sig-upload');
          const relay = await startRelay({ stallAfterBytes: MID_UPLOAD });
          const w = await FaultWatch.start(site);
          const run = startCli(['deploy', '--source', bigApp(), ...stackArgs(site, viaRelay(relay))]);
          await relay.stalled;
          await until('the partial release', () => partials(site).some((p) => p.endsWith('.partial')));
          run.child.kill(sig);
          await sleep(50);
          relay.resume();
          const r = await run.done;
          await relay.close();
          const { faultedId } = await w.verify({
            live: tpl.id,
            run: { result: r, host: relay.host, phase: 'upload', cause: cancelled },
            log: { result: 'failed', phase: 'upload', reason: /^upload did not complete/ },
          });
          // The client ran abort as well (whichever of the two got there first cleaned up).
          expect(r.stderr).toMatch(new RegExp(`: abort of ${faultedId}: .*; live: ${tpl.id}$`, 'm'));
        });

        fault('during activation, before the switch (slow before-switch): the server stops before its switch', async () => {
          const site = freshSite('sig-before');
          const w = await FaultWatch.start(site);
          const run = startCli(['deploy', '--source', appCopy((d) => setVersion(d, 'cancelled')), ...stackArgs(site, { beforeSwitch: ['php bin/migrate.php', 'sleep 2'] })]);
          await run.waitForStderr(/before-switch\[2\]: sleep 2$/);
          run.child.kill(sig);
          const r = await run.done;
          await w.verify({
            live: tpl.id,
            run: { result: r, phase: 'before-switch', cause: new RegExp(`^cancelled before the switch \\(cancelled by ${sig}\\)$`) },
            log: { result: 'failed', phase: 'before-switch', reason: /^cancelled before the switch/ },
          });
          expect(serverState(site.deployPath).releases).toEqual([tpl.id]);
        });

        fault('after the switch, during a slow but passing post-switch check: the new release stays', async () => {
          const site = freshSite('sig-post-ok');
          // The first /health through nginx (the post-switch check) takes 2 s; later ones are quick.
          const flag = flagFile('slow-once');
          const slow = appCopy((d) => {
            setVersion(d, 'slow-ok');
            patchFile(d, 'src/Kernel.php', '[$status, $body] = Health::check();', `if (($_SERVER['PHP_DEPLOY_CHECK'] ?? '') !== 'pre-switch' && @mkdir('${flag}')) { sleep(2); }\n        [$status, $body] = Health::check();`);
          });
          const w = await FaultWatch.start(site);
          const run = startCli(['deploy', '--source', slow, ...stackArgs(site)]);
          await run.waitForStderr(/: post-switch-check$/);
          run.child.kill(sig);
          const r = await run.done;
          const id = expectDeployed(r);
          expect(r.stderr).toContain(`warning: ${sig}: cancelling`);
          await w.verify({ live: id, log: { result: 'ok', id, reason: /^$/ } });
        });

        fault('after the switch, during a failing post-switch check: switched back', async () => {
          const site = freshSite('sig-post-bad');
          const bad = appCopy((d) => {
            breakHealthOutsideCheck(d);
            patchFile(d, 'src/Kernel.php', 'public static function handle(string $method, string $uri): void\n    {', "public static function handle(string $method, string $uri): void\n    {\n        if (str_starts_with($uri, '/health') && ($_SERVER['PHP_DEPLOY_CHECK'] ?? '') !== 'pre-switch') { usleep(500000); }");
          });
          const w = await FaultWatch.start(site);
          const run = startCli(['deploy', '--source', bad, ...stackArgs(site), ...FAST_FAIL]);
          await run.waitForStderr(/: post-switch-check$/);
          run.child.kill(sig);
          const r = await run.done;
          const failedId = readLog(site.deployPath).at(-1)?.id as string;
          await w.verify({
            live: tpl.id,
            served: [tpl.id, failedId],
            failedKept: [failedId],
            run: { result: r, phase: 'post-switch-check', cause: new RegExp(`answered 503 .*; switched back to ${tpl.id}$`) },
            log: { result: 'failed', phase: 'post-switch-check', reason: /answered 503/ },
          });
        });

        fault('after the switch, during a slow after-switch: the new release stays', async () => {
          const site = freshSite('sig-after');
          const w = await FaultWatch.start(site);
          const run = startCli(['deploy', '--source', appCopy((d) => setVersion(d, 'slow-after')), ...stackArgs(site), '--after-switch', 'sleep 2']);
          await run.waitForStderr(/after-switch\[1\]: sleep 2$/);
          run.child.kill(sig);
          const r = await run.done;
          const id = expectDeployed(r);
          await w.verify({ live: id, log: { result: 'ok', id, reason: /^$/ } });
        });
      });
    }
  });

  // ---------------------------------------------------------------------------------------------
  // Killed deploys, concurrent deploys, locks
  // ---------------------------------------------------------------------------------------------

  describe('killed and concurrent deploys, stale locks', () => {
    fault('SIGKILL mid-rollback, after the switch: the server still reloads, checks and unlocks', async () => {
      const site = freshSite('kill-rb');
      expectDeployed(await deploy(site, appCopy((d) => setVersion(d, 'rb-kill'))));
      const w = await FaultWatch.start(site);
      // A reload that takes a while, so the client is killed between the switch and the check.
      const slow = `sleep 2 && ${stack.reloadCommand}`;
      const run = startCli(['rollback', ...stackArgs(site, { replace: { '--reload-command': slow } })]);
      await until('the switch back to the template release', () => serverState(site.deployPath).current === `releases/${tpl.id}`, 20_000);
      run.child.kill('SIGKILL');
      const killed = await run.done;
      expect(killed.signal).toBe('SIGKILL');
      await until('the rollback to finish on the server', () => !locked(site), 20_000);
      await w.verify({ live: tpl.id, log: { event: 'rollback', result: 'ok', id: tpl.id, reason: /^$/ } });
      expect(await served(site)).toBe(tpl.id);
    });

    fault('SIGKILL mid-upload: the server cleans up; the next deploy succeeds without waiting', async () => {
      const site = freshSite('kill');
      const relay = await startRelay({ stallAfterBytes: MID_UPLOAD });
      const w = await FaultWatch.start(site);
      const run = startCli(['deploy', '--source', bigApp(), ...stackArgs(site, viaRelay(relay))]);
      await relay.stalled;
      await until('the partial release', () => partials(site).some((p) => p.endsWith('.partial')));
      run.child.kill('SIGKILL');
      const killed = await run.done;
      await relay.close();
      expect(killed.signal).toBe('SIGKILL');
      await until('the server to clean up after the killed client', () => partials(site).length === 0 && !locked(site));
      await w.verify({ live: tpl.id, log: { result: 'failed', phase: 'upload', reason: /^upload did not complete/ } });

      const next = await deploy(site, appCopy((d) => setVersion(d, 'after-kill')));
      const id = expectDeployed(next);
      expect(lines(next.stdout)).toEqual([expect.stringMatching(new RegExp(`^deployed ${id} \\(unversioned\\) on 1 host\\(s\\) in [\\d.]+ s$`)), `previous release: ${tpl.id}`]);
      // Nothing was left for it to take over or remove.
      expect(next.stderr).not.toMatch(/taking over|removing leftover|removing release|warning/);
      expect(await served(site)).toBe(id);
    });

    fault('two deploys at once: exactly one wins, the other fails naming the lock holder', async () => {
      const site = freshSite('race');
      const w = await FaultWatch.start(site);
      const args = (v: string): string[] => ['deploy', '--source', appCopy((d) => setVersion(d, v)), ...stackArgs(site, { beforeSwitch: ['php bin/migrate.php', 'sleep 2'] })];
      const [a, b] = await Promise.all([cli(args('racer-a')), cli(args('racer-b'))]);
      const winner = a.code === 0 ? a : b;
      const loser = a.code === 0 ? b : a;
      const id = expectDeployed(winner);
      await w.verify({
        live: id,
        run: {
          result: loser,
          phase: 'lock',
          cause: new RegExp(`^deploy-path ${site.deployPath} is locked: held by \\S+ \\(deploy ${id}\\) for \\d+s, lease expires in \\d+s\\. Wait for it \\(lock-timeout\\)`),
        },
        log: { result: 'ok', id, reason: /^$/ },
      });
      expect(w.newLog().filter((l) => l.event === 'deploy').map((l) => `${l.id} ${l.result}`)).toEqual([`${id} ok`]);
    });

    fault('two deploys at once with --lock-timeout: the second waits, then succeeds', async () => {
      const site = freshSite('queue');
      const w = await FaultWatch.start(site);
      const args = (v: string): string[] => ['deploy', '--source', appCopy((d) => setVersion(d, v)), ...stackArgs(site, { beforeSwitch: ['php bin/migrate.php', 'sleep 1'] }), '--lock-timeout', '60'];
      const [a, b] = await Promise.all([cli(args('queued-a')), cli(args('queued-b'))]);
      expectDeployed(a);
      expectDeployed(b);
      // Which one went first shows in the log; the other one's previous release is that one.
      const [first, second] = readLog(site.deployPath).filter((l) => l.event === 'deploy' && l.id !== tpl.id).map((l) => l.id) as [string, string];
      const waiter = expectDeployed(a) === second ? a : b;
      expect(waiter.stdout).toContain(`previous release: ${first}`);
      // It said what it was waiting for.
      expect(waiter.stderr).toMatch(new RegExp(`waiting up to 60s for the lock, held by \\S+ \\(deploy ${first}\\)`));
      await w.verify({ live: second, served: [tpl.id, first, second], log: { result: 'ok', id: second, reason: /^$/ } });
      expect(w.newLog().filter((l) => l.event === 'deploy').map((l) => `${l.id} ${l.result}`)).toEqual([`${first} ok`, `${second} ok`]);
    });

    fault('a lock held by a live deploy: waits lock-timeout, then fails naming the holder; nothing changed', async () => {
      const site = freshSite('held');
      const now = Math.floor(Date.now() / 1000);
      writeLock(site, { token: 'live.7', holder: 'ci-runner-3 (still running)', id: '20240101T000000Z-busy000', acquired: now, expires: now + 600 });
      const w = await FaultWatch.start(site);
      const r = await deploy(site, appCopy((d) => setVersion(d, 'blocked')), ['--lock-timeout', '2']);
      expect(r.stderr).toMatch(/waiting up to 2s for the lock, held by ci-runner-3 \(still running\) \(deploy 20240101T000000Z-busy000\)/);
      await w.verify({
        live: tpl.id,
        lock: 'any',
        run: { result: r, phase: 'lock', cause: /^deploy-path \S+ is locked: held by ci-runner-3 \(still running\) \(deploy 20240101T000000Z-busy000\) for \d+s, lease expires in \d+s/ },
      });
      expect(serverState(site.deployPath)).toEqual(w.before);
    });

    fault('a stale lock whose lease expired: the next deploy takes it over and the log records the takeover', async () => {
      const site = freshSite('stale');
      const now = Math.floor(Date.now() / 1000);
      writeLock(site, { token: 'dead.42', holder: 'ci-runner-9 (job killed)', id: '20240101T000000Z-dead000', acquired: now - 900, expires: now - 600 });
      const w = await FaultWatch.start(site);
      const r = await deploy(site, appCopy((d) => setVersion(d, 'after-takeover')));
      const id = expectDeployed(r);
      expect(r.stderr).toMatch(/taking over an expired lock: held by ci-runner-9 \(job killed\) \(deploy 20240101T000000Z-dead000\)/);
      await w.verify({ live: id, log: { event: 'lock', result: 'takeover', id, reason: /^expired lock held by ci-runner-9 \(job killed\) \(deploy 20240101T000000Z-dead000\)/ } });
      expect(w.newLog().map((l) => `${l.event} ${l.result}`)).toEqual(['lock takeover', 'deploy ok']);
    });
  });

  // ---------------------------------------------------------------------------------------------
  // Damage done by hand
  // ---------------------------------------------------------------------------------------------

  describe('damage done by hand', () => {
    fault('the scan fails (a file name with a newline): stops before connecting, nothing changed', async () => {
      const site = freshSite('scan-fail');
      const w = await FaultWatch.start(site);
      const r = await deploy(site, appCopy((d) => writeFileSync(join(d, 'public', 'bad\nname.php'), '<?php\n')));
      await w.verify({ live: tpl.id, run: { result: r, host: '', phase: 'scan', cause: /"public\/bad\\nname\.php".*newline/ } });
      expect(r.stderr).not.toMatch(/connected/);
      expect(serverState(site.deployPath)).toEqual(w.before);
    });

    fault('current is a plain directory (a site deployed by other means): refused with instructions, nothing changed', async () => {
      const site = freshSite('plain-dir');
      // The live release copied into place as a plain directory: the site still serves it.
      rmSync(join(site.deployPath, 'current'));
      execFileSync('cp', ['-a', join(site.deployPath, 'releases', tpl.id), join(site.deployPath, 'current')]);
      expect(await served(site)).toBe('current');
      const before = serverState(site.deployPath);
      const load = startLoad(site);
      const r = await deploy(site, appCopy((d) => setVersion(d, 'refused')));
      const report = await load.stop();
      expect(r.code, r.stderr).toBe(1);
      expect(lines(r.stderr).filter((l) => l.startsWith('php-deploy:'))).toEqual([lastLine(r.stderr)]);
      expect(lastLine(r.stderr)).toMatch(
        new RegExp(`^php-deploy: ${stack.host}: preflight: layout: ${site.deployPath}/current is a plain directory, not a symlink: php-deploy will not replace or remove it\\. Make it a release first \\(mkdir -p .*releases/initial`),
      );
      expect(serverState(site.deployPath)).toEqual(before);
      expect(report.failures).toEqual([]);
      expect(Object.keys(report.releases)).toEqual(['current']);
    });

    fault('rollback to a release deleted by hand: refused with a clear line, nothing changed', async () => {
      const site = freshSite('deleted');
      const id = expectDeployed(await deploy(site, appCopy((d) => setVersion(d, 'second'))));
      rmSync(join(site.deployPath, 'releases', tpl.id), { recursive: true, force: true });
      const w = await FaultWatch.start(site);
      const named = await cli(['rollback', '--deploy-id', tpl.id, ...stackArgs(site)]);
      const previous = await cli(['rollback', ...stackArgs(site)]);
      await w.verify({
        live: id,
        orphanMeta: [tpl.id],
        run: { result: named, phase: 'rollback', cause: new RegExp(`^release ${tpl.id} does not exist on this server \\(see 'php-deploy list'\\)$`) },
      });
      const verdict = lastLine(previous.stderr);
      expect(previous.code).toBe(1);
      expect(verdict).toBe(`php-deploy: ${stack.host}: rollback: there is no completed release before ${id} to roll back to`);
      expect(serverState(site.deployPath)).toEqual(w.before);
    });

    fault('current removed by hand: a rollback says what it makes live; the next deploy succeeds and serves', async () => {
      const site = freshSite('nocurrent');
      const second = expectDeployed(await deploy(site, appCopy((d) => setVersion(d, 'second'))));
      rmSync(join(site.deployPath, 'current'));
      expect((await served(site)).startsWith('HTTP 404')).toBe(true);

      const w1 = await FaultWatch.start(site, { load: false });
      const rb = await cli(['rollback', ...stackArgs(site)]);
      expect(rb.code, rb.stderr).toBe(0);
      expect(lines(rb.stdout)).toEqual([expect.stringMatching(new RegExp(`^rolled back to ${second} on 1 host\\(s\\)`))]);
      expect(rb.stderr).toContain(`current -> releases/${second} (was nothing)`);
      await w1.verify({ live: second, noLoad: true, log: { event: 'rollback', result: 'ok', id: second, reason: /^$/ } });

      rmSync(join(site.deployPath, 'current'));
      const w2 = await FaultWatch.start(site, { load: false });
      const r = await deploy(site, appCopy((d) => setVersion(d, 'third')));
      const third = expectDeployed(r);
      expect(r.stderr).toContain(`current -> releases/${third} (was nothing)`);
      await w2.verify({ live: third, noLoad: true, log: { result: 'ok', id: third, reason: /^$/ } });
      expect(serverState(site.deployPath).releases).toEqual([tpl.id, second, third].sort());
      expect(liveId(site)).toBe(third);
      expect(existsSync(join(site.deployPath, 'releases', tpl.id))).toBe(true);
    });
  });
});
