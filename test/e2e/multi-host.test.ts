/**
 * Several hosts: deploy, failures, rollback, rolling strategy and list across three real test hosts
 * (test/stack/hosts.sh: network namespaces 10.237.0.11–13, each with its own sshd, php-fpm, nginx and
 * /srv/app), checked the way a user would: the page each host serves, the files on each host, the exit
 * code, the one-line message and the --json result.
 *
 * The cases run in order and build on each other (the live release of one is the "before" of the next).
 */
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { appCopy, cli, expectOk, FAST_FAIL, freshHosts, hostsSh, ID_RE, lastLine, lines, pageFacts, patchFile, readLog, serverState, setVersion, stack, type RunResult, type ServerState } from './helpers.js';

const N = 3;
const DB = 'e2e_multi_host';

let E: Record<string, string> = {};
const idx = [1, 2, 3] as const;
type Idx = (typeof idx)[number];
const addr = (i: Idx): string => E[`HOST${i}_ADDR`] as string;
const root = (i: Idx): string => E[`HOST${i}_ROOT`] as string;
/** How the tool names host i in messages and results. */
const label = (i: Idx): string => `deploy@${addr(i)}:22`;
const state = (i: Idx): ServerState => serverState(root(i));
const states = (): ServerState[] => idx.map(state);
const live = (i: Idx): string => (state(i).current ?? '').replace(/^releases\//, '');

/** The connection flags for all three hosts, the checks, shared paths; migrations once. */
function hostArgs(extra: string[] = [], beforeSwitch: string[] = ['once: php bin/migrate.php']): string[] {
  return [
    '--hosts',
    E.HOSTS_LIST as string,
    '--ssh-key-file',
    E.HOSTS_SSH_KEY as string,
    '--known-hosts-file',
    E.HOSTS_KNOWN_HOSTS as string,
    '--deploy-path',
    E.HOSTS_DEPLOY_PATH as string,
    '--health-url',
    E.HOSTS_HEALTH_URL as string,
    '--fpm-socket',
    E.HOSTS_FPM_SOCKET as string,
    '--reload-command',
    E.HOSTS_RELOAD_COMMAND as string,
    '--shared',
    '.env',
    '--shared',
    'storage',
    '--ssh-timeout',
    '5',
    ...beforeSwitch.flatMap((c) => ['--before-switch', c]),
    ...extra,
  ];
}

async function deployAll(source: string, extra: string[] = [], beforeSwitch?: string[]): Promise<RunResult> {
  return cli(['deploy', '--source', source, '--json', ...hostArgs(extra, beforeSwitch)], { timeoutMs: 110_000 });
}

interface JsonResult {
  command: string;
  deployId: string;
  previousDeployId: string;
  rolledBack: boolean;
  skewMs?: number;
  /** A failure (exit 1) with --json: ok false, the one line, where it happened. */
  ok?: boolean;
  error?: string;
  host?: string;
  phase?: string;
  hosts: { host: string; ok: boolean; rolledBack: boolean; deployId?: string; previousDeployId?: string; error?: string }[];
}

function json(r: RunResult): JsonResult {
  try {
    return JSON.parse(r.stdout) as JsonResult;
  } catch {
    throw new Error(`stdout is not JSON (exit ${r.code}):\n${r.stdout}\nstderr:\n${r.stderr}`);
  }
}

/** The one php-deploy: verdict line, and that it is the only one. */
function verdict(r: RunResult): string {
  expect(lines(r.stderr).filter((l) => l.startsWith('php-deploy:')), r.stderr).toHaveLength(1);
  return lastLine(r.stderr);
}

interface HostPage {
  status: number;
  release?: string;
  partA?: string;
  partB?: string;
  version?: string;
  servedBy?: string;
}

/** GET http://10.237.0.1i/<path> straight from this machine (nginx of host i). */
function hostGet(i: Idx, path = '/'): Promise<{ status: number; body: string; servedBy?: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: addr(i), port: 80, path, method: 'GET', headers: { Host: 'app.example' }, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, servedBy: res.headers['x-test-host'] as string | undefined }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${path} on ${addr(i)} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

async function hostPage(i: Idx): Promise<HostPage> {
  const r = await hostGet(i);
  return { status: r.status, servedBy: r.servedBy, ...pageFacts(r.body) };
}

/** The release host i serves (one release for the whole page), or a description of what is wrong. */
async function servedBy(i: Idx): Promise<string> {
  const p = await hostPage(i);
  expect(p.servedBy, `answer from host${i}'s nginx`).toBe(`host${i}`);
  if (p.status !== 200) return `HTTP ${p.status}`;
  if (p.release && p.release === p.partA && p.release === p.partB) return p.release;
  return `mixed: release=${p.release} part-a=${p.partA} part-b=${p.partB}`;
}

const servedAll = (): Promise<string[]> => Promise.all(idx.map(servedBy));

/** State that a refused or undone deploy must leave exactly as it was (the log grows, nothing else). */
function withoutLog(s: ServerState): Omit<ServerState, 'logLines'> {
  const { logLines: _ignored, ...rest } = s;
  return rest;
}

/** A copy of the example app whose /health answers 503 when storage/<flag> exists (storage is shared). */
function appFailingOn(flag: string, where: 'everywhere' | 'outside-check', version: string): string {
  return appCopy((d) => {
    setVersion(d, version);
    const cond =
      where === 'everywhere'
        ? `is_file(Release::root() . '/storage/${flag}')`
        : `is_file(Release::root() . '/storage/${flag}') && (($_SERVER['PHP_DEPLOY_CHECK'] ?? '') !== 'pre-switch')`;
    patchFile(
      d,
      'src/Kernel.php',
      '[$status, $body] = Health::check();',
      `[$status, $body] = ${cond} ? [503, ['status' => 'error', 'reason' => 'storage/${flag} exists on this host']] : Health::check();`,
    );
  });
}

/** Creates shared/storage/<flag> on host i only (readable by the pool). */
function setFlag(i: Idx, flag: string): string {
  const dir = join(root(i), 'shared/storage');
  mkdirSync(dir, { recursive: true });
  const f = join(dir, flag);
  writeFileSync(f, 'fail\n', { mode: 0o644 });
  return f;
}

describe('several hosts (test/stack/hosts.sh, 3 hosts)', () => {
  let id1 = '';
  let id2 = '';

  beforeAll(() => {
    E = freshHosts(N, DB);
  });

  afterAll(() => {
    // Leave nothing blocked or filled; stop the hosts unless asked to keep them (PHP_DEPLOY_KEEP_HOSTS=1).
    for (const i of idx) {
      try {
        hostsSh('unblock', String(i));
        hostsSh('unfill-disk', String(i));
      } catch {
        /* hosts already down */
      }
    }
    if (!process.env.PHP_DEPLOY_KEEP_HOSTS) hostsSh('down');
  });

  test('all-at-once: every host serves the same new release, switched within a small skew; once: ran on one host, before-switch on all', async () => {
    const marks = [
      'once: touch "$PHP_DEPLOY_SHARED/once-$PHP_DEPLOY_ID-$(hostname)"',
      'once: php bin/migrate.php',
      'touch "$PHP_DEPLOY_SHARED/before-$PHP_DEPLOY_ID-$(hostname)"',
    ];
    const r1 = await deployAll(appCopy((d) => setVersion(d, '1.0.0')), ['--release-version', '1.0.0'], marks);
    expectOk(r1);
    const j1 = json(r1);
    id1 = j1.deployId;
    expect(id1).toMatch(ID_RE);
    expect(j1.hosts.map((h) => [h.host, h.ok, h.deployId, h.rolledBack])).toEqual(idx.map((i) => [label(i), true, id1, false]));
    expect(await servedAll()).toEqual([id1, id1, id1]);

    // A second deploy (a delta everywhere), the one whose switch is measured.
    const r2 = await deployAll(appCopy((d) => setVersion(d, '2.0.0')), ['--release-version', '2.0.0'], marks);
    expectOk(r2);
    const j2 = json(r2);
    id2 = j2.deployId;
    expect(id2).toMatch(ID_RE);
    expect(id2).not.toBe(id1);
    expect(j2.previousDeployId).toBe(id1);
    expect(j2.rolledBack).toBe(false);
    expect(j2.hosts.map((h) => [h.host, h.ok, h.deployId, h.previousDeployId, h.rolledBack])).toEqual(idx.map((i) => [label(i), true, id2, id1, false]));
    for (const i of idx) expect(r2.stderr).toMatch(new RegExp(`${label(i)}: sending 1 new or changed files .* unchanged taken from ${id1}`));

    // Every host's nginx serves the new release, whole pages from it, version 2.0.0.
    expect(await servedAll()).toEqual([id2, id2, id2]);
    for (const i of idx) expect((await hostPage(i)).version).toBe('2.0.0');
    for (const i of idx) {
      expect(state(i).current).toBe(`releases/${id2}`);
      expect(state(i).releases).toEqual([id1, id2]);
      expect(state(i).lock).toBeNull();
      expect(readLog(root(i)).at(-1)).toMatchObject({ event: 'deploy', result: 'ok', id: id2, live: id2 });
    }

    // The skew: the one line on stderr, the same number in the JSON, small.
    const skew = /switched 3 hosts within (\d+) ms/.exec(r2.stderr);
    expect(skew, r2.stderr).not.toBeNull();
    const skewMs = Number(skew?.[1]);
    expect(j2.skewMs).toBe(skewMs);
    expect(skewMs).toBeLessThan(1000);

    // once: exactly one host (the first), every deploy; before-switch: every host.
    for (const id of [id1, id2]) {
      const once = idx.flatMap((i) => readdirSync(join(root(i), 'shared')).filter((n) => n.startsWith(`once-${id}-`)).map((n) => `host${i}:${n}`));
      expect(once).toEqual([`host1:once-${id}-host1`]);
      for (const i of idx) expect(existsSync(join(root(i), 'shared', `before-${id}-host${i}`)), `before-switch on host${i}`).toBe(true);
    }
  });

  test('one host unreachable: refused at connect naming it, nothing changes on any host, no lock anywhere', async () => {
    const before = states();
    hostsSh('block', '2');
    let r: RunResult;
    try {
      r = await deployAll(appCopy((d) => setVersion(d, 'never')));
    } finally {
      hostsSh('unblock', '2');
    }
    expect(r.code).toBe(1);
    const line = verdict(r);
    expect(line).toMatch(new RegExp(`^php-deploy: ${label(2)}: connect: `));
    expect(json(r)).toMatchObject({ ok: false, host: label(2), phase: 'connect', error: line.replace(/^php-deploy: /, ''), rolledBack: false });
    // Not a single remote command ran: even the logs are unchanged.
    expect(states()).toEqual(before);
    for (const s of states()) expect(s.lock).toBeNull();
    expect(await servedAll()).toEqual([id2, id2, id2]);
  });

  test("one host's pre-switch check fails: nothing goes live anywhere, every prepared release is removed, locks released", async () => {
    const flag = setFlag(3, 'fail-all');
    try {
      const before = states();
      const r = await deployAll(appFailingOn('fail-all', 'everywhere', 'pre-fails'), FAST_FAIL);
      expect(r.code).toBe(1);
      expect(verdict(r)).toMatch(new RegExp(`^php-deploy: ${label(3)}: pre-switch-check: .*answered 503.*storage/fail-all exists`));
      const j = json(r);
      expect(j.rolledBack).toBe(false);
      const failedId = j.deployId;
      expect(failedId).toMatch(ID_RE);
      expect(j.hosts.every((h) => !h.ok)).toBe(true);

      expect(await servedAll()).toEqual([id2, id2, id2]);
      const after = states();
      for (const i of idx) {
        // No new release, no .partial, no trash, no meta, no lock: only the log grew.
        expect(withoutLog(after[i - 1] as ServerState), `host${i}`).toEqual(withoutLog(before[i - 1] as ServerState));
        expect(after[i - 1]?.lock).toBeNull();
        expect(existsSync(join(root(i), 'releases', failedId))).toBe(false);
      }
      expect(readLog(root(3)).at(-1)).toMatchObject({ event: 'deploy', result: 'failed', id: failedId, phase: 'pre-switch-check', live: id2 });
      for (const i of [1, 2] as const) expect(readLog(root(i)).at(-1)).toMatchObject({ event: 'deploy', result: 'aborted', id: failedId, live: id2 });
    } finally {
      rmSync(flag, { force: true });
    }
  });

  test("one host's post-switch check fails (through nginx only): every host is switched back, the output says so, rolledBack in the JSON", async () => {
    const flag = setFlag(2, 'fail-web');
    try {
      const r = await deployAll(appFailingOn('fail-web', 'outside-check', 'post-fails'), FAST_FAIL);
      expect(r.code).toBe(1);
      const line = verdict(r);
      expect(line).toMatch(new RegExp(`^php-deploy: ${label(2)}: post-switch-check: .*answered 503.*switched back to ${id2}$`));
      const j = json(r);
      const failedId = j.deployId;
      expect(failedId).toMatch(ID_RE);
      expect(j.rolledBack).toBe(true);
      expect(j.previousDeployId).toBe(id2);
      expect(j.hosts.map((h) => [h.host, h.ok, h.rolledBack])).toEqual(idx.map((i) => [label(i), false, true]));

      // It did go live everywhere (all switched together), and every host says it switched back.
      for (const i of idx) {
        expect(r.stderr).toMatch(new RegExp(`${label(i)}: current -> releases/${failedId}`));
        expect(r.stderr).toMatch(new RegExp(`${label(i)}: .*switch(ing|ed) back to ${id2}`));
      }
      expect(await servedAll()).toEqual([id2, id2, id2]);
      for (const i of idx) {
        const s = state(i);
        expect(s.current).toBe(`releases/${id2}`);
        expect(s.lock).toBeNull();
        // Live for a moment: kept marked failed until the next deploy, never a rollback target.
        expect(s.meta).toContain(`${failedId}/failed`);
        expect(s.meta).not.toContain(`${failedId}/ok`);
        expect(readLog(root(i)).at(-1)).toMatchObject({ id: failedId, live: id2 });
      }
    } finally {
      rmSync(flag, { force: true });
    }
  });

  test("one host's disk is full: refused before anything is written, nothing changes anywhere", async () => {
    hostsSh('fill-disk', '1');
    try {
      const before = states();
      const r = await deployAll(appCopy((d) => setVersion(d, 'no-room')));
      expect(r.code).toBe(1);
      const line = verdict(r);
      expect(line).toMatch(new RegExp(`^php-deploy: ${label(1)}: preflight: disk: the filesystem of /srv/app has \\d+ MB free; the release needs \\d+ MB`));
      expect(json(r)).toMatchObject({ ok: false, host: label(1), phase: 'preflight', rolledBack: false });
      expect(states()).toEqual(before);
      expect(await servedAll()).toEqual([id2, id2, id2]);
    } finally {
      hostsSh('unfill-disk', '1');
    }
  });

  test('rollback across all hosts serves the previous release everywhere; a target missing on one host is refused naming it', async () => {
    const r = await cli(['rollback', '--json', ...hostArgs()]);
    expectOk(r);
    const j = json(r);
    expect(j.deployId).toBe(id1);
    expect(j.hosts.map((h) => [h.host, h.ok, h.deployId, h.previousDeployId])).toEqual(idx.map((i) => [label(i), true, id1, id2]));
    expect(await servedAll()).toEqual([id1, id1, id1]);
    for (const i of idx) {
      expect(state(i).current).toBe(`releases/${id1}`);
      expect(state(i).lock).toBeNull();
      expect(readLog(root(i)).at(-1)).toMatchObject({ event: 'rollback', result: 'ok', id: id1, live: id1 });
    }

    // id2 deleted by hand on host 2 only: a rollback to it must not switch any host.
    rmSync(join(root(2), 'releases', id2), { recursive: true, force: true });
    rmSync(join(root(2), '.php-deploy/releases', id2), { recursive: true, force: true });
    const before = states();
    const refused = await cli(['rollback', '--deploy-id', id2, '--json', ...hostArgs()]);
    expect(refused.code).toBe(1);
    const line = verdict(refused);
    expect(line).toMatch(new RegExp(`release ${id2} is missing or incomplete on ${label(2)}; nothing was switched`));
    expect(line).not.toContain(label(1));
    expect(line).not.toContain(label(3));
    expect(states()).toEqual(before);
    expect(await servedAll()).toEqual([id1, id1, id1]);
  });

  test('rolling, batch size 1, the second batch fails: the first batch is switched back (revert), the third never switched', async () => {
    // Live: id1 on every host. Host 2's new release fails its pre-switch check.
    const flag = setFlag(2, 'fail-rolling');
    try {
      const r = await deployAll(appFailingOn('fail-rolling', 'everywhere', 'rolling-revert'), ['--strategy', 'rolling', '--batch-size', '1', ...FAST_FAIL]);
      expect(r.code).toBe(1);
      expect(verdict(r)).toMatch(new RegExp(`^php-deploy: ${label(2)}: pre-switch-check: .*answered 503`));
      const j = json(r);
      const newId = j.deployId;
      expect(j.rolledBack).toBe(true);
      // Batch 1 went live, then back; batch 3 never switched.
      expect(r.stderr).toMatch(new RegExp(`${label(1)}: current -> releases/${newId}`));
      expect(r.stderr).toMatch(/switching the 1 host\(s\) of earlier batches back \(rolling-failure: revert\)/);
      expect(r.stderr).toMatch(new RegExp(`${label(1)}: switched back to ${id1}`));
      expect(r.stderr).not.toMatch(new RegExp(`${label(3)}: current -> `));
      expect(j.hosts.map((h) => [h.host, h.rolledBack])).toEqual([
        [label(1), true],
        [label(2), false],
        [label(3), false],
      ]);

      expect(await servedAll()).toEqual([id1, id1, id1]);
      for (const i of idx) expect(state(i).lock).toBeNull();
      expect(readLog(root(1)).at(-1)).toMatchObject({ event: 'rollback', result: 'ok', id: id1, live: id1 });
      expect(existsSync(join(root(2), 'releases', newId))).toBe(false);
      // Host 3 got the upload but never went live: the release is removed again.
      expect(existsSync(join(root(3), 'releases', newId))).toBe(false);
      expect(readLog(root(3)).some((l) => l.id === newId && l.event === 'deploy' && l.result === 'ok')).toBe(false);
    } finally {
      rmSync(flag, { force: true });
    }
  });

  let kept = '';
  test('rolling with --rolling-failure keep: the first batch keeps the new release, the rest stay on the old one', async () => {
    const flag = setFlag(2, 'fail-rolling');
    try {
      const r = await deployAll(appFailingOn('fail-rolling', 'everywhere', 'rolling-keep'), [
        '--strategy',
        'rolling',
        '--batch-size',
        '1',
        '--rolling-failure',
        'keep',
        ...FAST_FAIL,
      ]);
      expect(r.code).toBe(1);
      expect(verdict(r)).toMatch(new RegExp(`^php-deploy: ${label(2)}: pre-switch-check: .*answered 503`));
      const j = json(r);
      kept = j.deployId;
      expect(j.rolledBack).toBe(false);
      expect(r.stderr).toMatch(new RegExp(`keeping the new release on ${label(1)} \\(rolling-failure: keep\\)`));
      expect(j.hosts.map((h) => [h.host, h.ok])).toEqual([
        [label(1), true],
        [label(2), false],
        [label(3), false],
      ]);
      expect(await servedAll()).toEqual([kept, id1, id1]);
      expect(live(1)).toBe(kept);
      expect(readLog(root(1)).at(-1)).toMatchObject({ event: 'deploy', result: 'ok', id: kept, live: kept });
      for (const i of [2, 3] as const) {
        expect(live(i)).toBe(id1);
        expect(existsSync(join(root(i), 'releases', kept))).toBe(false);
      }
      for (const i of idx) expect(state(i).lock).toBeNull();
    } finally {
      rmSync(flag, { force: true });
    }
  });

  test("list across hosts shows each host's own releases", async () => {
    const r = await cli(['list', '--json', ...hostArgs()]);
    expectOk(r);
    const listing = JSON.parse(r.stdout) as { host: string; live: string; releases: { id: string; status: string; live: boolean }[] }[];
    expect(listing.map((l) => l.host)).toEqual(idx.map(label));
    for (const i of idx) {
      const l = listing[i - 1];
      expect(l?.live).toBe(live(i));
      // Exactly the release directories on that host.
      expect(l?.releases.map((x) => x.id).sort()).toEqual(state(i).releases.filter((n) => !n.startsWith('.')));
      expect(l?.releases.filter((x) => x.live).map((x) => x.id)).toEqual([live(i)]);
    }
    // Host 1 has the kept release live; host 2 lost id2 (deleted by hand); host 3 still has it.
    expect(listing[0]?.releases.find((x) => x.id === kept)?.status).toBe('live');
    expect(listing[1]?.releases.some((x) => x.id === id2)).toBe(false);
    expect(listing[2]?.releases.find((x) => x.id === id2)?.status).toBe('ok');

    // The text listing: one block per host, in order, the live release starred.
    const text = await cli(['list', ...hostArgs()]);
    expectOk(text);
    const out = lines(text.stdout);
    const heads = idx.map((i) => out.indexOf(label(i)));
    expect(heads.every((h) => h >= 0)).toBe(true);
    expect([...heads].sort((a, b) => a - b)).toEqual(heads);
    const block = (i: Idx): string[] => out.slice(heads[i - 1], i < N ? heads[i] : undefined);
    expect(block(1).find((l) => l.includes(kept))).toMatch(/^\s+\* .* live$/);
    expect(block(2).some((l) => l.includes(id2))).toBe(false);
    expect(block(3).find((l) => l.includes(id1))).toMatch(/^\s+\* .* live$/);
  });
});
