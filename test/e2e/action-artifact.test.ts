/**
 * The action keeps each deployed release's exact archive as a GitHub artifact (real @actions/artifact
 * client → local stand-in of the results service + REST API, backed by a real Azurite) and a rollback
 * to a release already pruned from the server restores exactly the archive the deploy log records —
 * on the real server stack. A fork's artifact, a tampered one, a release without a record and (with
 * artifact: auto) a public repository's releases are not restored.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { archiveFileName, artifactName, uploadReleaseArchive } from '../../src/artifact/store.js';
import { createReleaseArchive, removeTempDir } from '../../src/artifact/archive.js';
import { startFakeGitHub, type FakeGitHub, type FakeRun } from '../artifact/fake-results-service.js';
import { makeTree, manifestOf } from '../artifact/helpers.js';
import {
  ACTION_MAIN,
  actionInputs,
  appCopy,
  lastLine,
  newSite,
  page,
  readLog,
  runAction,
  served,
  serverState,
  setVersion,
  tempDir,
  type Site,
} from './helpers.js';

describe('GitHub artifact of each release', () => {
  let gh: FakeGitHub;
  let site: Site;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    gh = await startFakeGitHub({ owner: 'acme', repo: 'shop' });
    site = newSite('artifact');
  });
  afterAll(async () => {
    await gh?.stop();
  });

  async function deployVersion(version: string, extra: Record<string, string> = {}) {
    const run = gh.newRun();
    gh.setVisibility('private');
    const r = await runAction(ACTION_MAIN, { ...actionInputs(site, appCopy((d) => setVersion(d, version))), ...extra }, {
      github: gh.runEnv(run),
      timeoutMs: 90_000,
    });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    return r;
  }

  async function rollbackTo(id: string) {
    return runAction(
      ACTION_MAIN,
      { ...actionInputs(site, '.'), command: 'rollback', 'deploy-id': id, 'github-token': gh.apiToken },
      { github: gh.runEnv(gh.newRun()), timeoutMs: 90_000 },
    );
  }
  /** Prunes a release from the server by hand (as keep-releases would). */
  function prune(id: string): void {
    rmSync(join(site.deployPath, 'releases', id), { recursive: true, force: true });
    rmSync(join(site.deployPath, '.php-deploy/releases', id), { recursive: true, force: true });
  }
  /** The single ::error line of a failed action run. */
  function errorLine(r: { code: number | null; stdout: string }): string {
    expect(r.code).toBe(1);
    const error = r.stdout.split('\n').filter((l) => l.startsWith('::error'));
    expect(error).toHaveLength(1);
    return lastLine(error.join('\n'));
  }
  /** Uploads, from `run`, an archive of a tree of its own under the artifact name of release `id`. */
  async function uploadAs(run: FakeRun, id: string, files: Record<string, string>) {
    const saved = { ...process.env };
    Object.assign(process.env, gh.runEnv(run));
    try {
      const tree = makeTree(tempDir('php-deploy-fork-'), files);
      const m = await manifestOf(tree);
      const a = await createReleaseArchive(tree, m.entries, m.manifestText, { fileName: archiveFileName(id) });
      try {
        return await uploadReleaseArchive({ deployId: id, archivePath: a.path });
      } finally {
        await removeTempDir(a.dir);
        rmSync(tree, { recursive: true, force: true });
      }
    } finally {
      for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
      Object.assign(process.env, saved);
    }
  }

  test('a deploy keeps the exact archive and records the artifact in the server log', async () => {
    const r = await deployVersion('a');
    const id = r.outputs['deploy-id'] as string;
    ids.a = id;
    expect(r.outputs['artifact-id']).toMatch(/^\d+$/);
    const kept = gh.artifacts().find((a) => a.name === artifactName(id));
    expect(kept, JSON.stringify(gh.artifacts().map((a) => a.name))).toBeDefined();
    expect(String(kept?.id)).toBe(r.outputs['artifact-id']);
    expect(r.summary).toContain(`artifact \`${artifactName(id)}\``);
    const note = readLog(site.deployPath).find((l) => l.event === 'artifact' && l.id === id);
    expect(note).toMatchObject({ result: 'ok', artifact: artifactName(id), artifact_id: Number(r.outputs['artifact-id']) });
    expect(gh.unhandled).toEqual([]);
  });

  test('rollback to a release pruned from the server restores it from its artifact and serves it', async () => {
    ids.b = (await deployVersion('b')).outputs['deploy-id'] as string;
    // Make release a old enough to prune, then a deploy with keep-releases 1 prunes it.
    writeFileSync(join(site.deployPath, '.php-deploy/releases', ids.a!, 'retired'), '0\n');
    ids.c = (await deployVersion('c', { 'keep-releases': '1' })).outputs['deploy-id'] as string;
    expect(serverState(site.deployPath).releases).not.toContain(ids.a);

    const run = gh.newRun();
    const r = await runAction(
      ACTION_MAIN,
      { ...actionInputs(site, '.'), command: 'rollback', 'deploy-id': ids.a!, 'github-token': gh.apiToken },
      { github: gh.runEnv(run), timeoutMs: 90_000 },
    );
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain(`release ${ids.a} is no longer on the server; restoring it from its kept archive`);
    expect(r.outputs['deploy-id']).toBe(ids.a);
    expect(r.outputs['previous-deploy-id']).toBe(ids.c);
    expect(r.summary).toContain('restored from its kept archive');
    expect(await served(site)).toBe(ids.a);
    expect(serverState(site.deployPath).current).toBe(`releases/${ids.a}`);
  });

  test('an expired artifact: one clear line, nothing changed on the server', async () => {
    // Release b is pruned by hand and its artifact has expired.
    prune(ids.b!);
    await gh.expire(artifactName(ids.b!));
    const before = serverState(site.deployPath);
    const r = await rollbackTo(ids.b!);
    expect(errorLine(r)).toMatch(new RegExp(`the artifact ${artifactName(ids.b!)} expired on .*; deploy that version again instead`));
    expect(serverState(site.deployPath)).toEqual(before);
    expect(await served(site)).toBe(ids.a);
  });

  test("a fork's newer artifact with the release's name is never restored; a log line naming it is refused", async () => {
    // Release c (live before the rollback to a) is pruned; a pull request from a fork uploads an
    // artifact named after it, newer than the real one.
    prune(ids.c!);
    const forkRun = gh.newRun({ fork: 'mallory/shop' });
    const evil = await uploadAs(forkRun, ids.c!, { 'public/index.php': '<?php echo "pwned";\n' });
    const real = gh.artifacts().find((a) => a.name === artifactName(ids.c!) && a.id !== evil.id)!;
    expect(evil.id).toBeGreaterThan(real.id);

    // Point the deploy log's record at the fork's artifact (as a forged line would): refused, nothing changes.
    const logPath = join(site.deployPath, '.php-deploy/log.jsonl');
    const original = readFileSync(logPath, 'utf8');
    const forged = original
      .split('\n')
      .map((l) => (l.includes(`"event":"artifact","id":"${ids.c}"`) ? l.replace(/"artifact_id":\d+/, `"artifact_id":${evil.id}`).replace(/"digest":"[^"]*"/, `"digest":"${evil.digest}"`).replace(/"run_id":"\d+"/, `"run_id":"${forkRun.runId}"`) : l))
      .join('\n');
    expect(forged).not.toBe(original);
    writeFileSync(logPath, forged);
    const before = serverState(site.deployPath);
    const r1 = await rollbackTo(ids.c!);
    expect(errorLine(r1)).toMatch(
      new RegExp(`artifact ${artifactName(ids.c!)} \\(id ${evil.id}\\) was made by a workflow run from another repository \\(a fork, repository id \\d+\\), not by acme/shop's own runs; refusing it$`),
    );
    expect(serverState(site.deployPath)).toEqual(before);
    expect(await served(site)).toBe(ids.a);

    // With the true record the restore takes the recorded artifact, not the fork's newer one.
    writeFileSync(logPath, original);
    const r2 = await rollbackTo(ids.c!);
    expect(r2.code, r2.stdout + r2.stderr).toBe(0);
    expect(r2.stdout).toContain(`the deploy log records the archive of ${ids.c} as artifact_id=${real.id}`);
    expect(await served(site)).toBe(ids.c);
    expect((await page(site)).body).not.toContain('pwned');
  });

  test('an artifact whose stored bytes were replaced is refused before anything is unpacked', async () => {
    // Back to a (still on the server), then prune b's neighbour c again and swap its stored zip for a's.
    const back = await rollbackTo(ids.a!);
    expect(back.code, back.stdout).toBe(0);
    prune(ids.c!);
    const realC = gh.artifacts().filter((a) => a.name === artifactName(ids.c!)).sort((x, y) => x.id - y.id)[0]!;
    const realA = gh.artifacts().find((a) => a.name === artifactName(ids.a!))!;
    await gh.tamper(realC.id, { from: realA.id });
    const before = serverState(site.deployPath);
    const r = await rollbackTo(ids.c!);
    expect(errorLine(r)).toMatch(
      new RegExp(`the downloaded artifact ${artifactName(ids.c!)} \\(id ${realC.id}\\) has digest ${realA.digest}, not ${realC.digest} as the deploy log records; refusing to unpack it$`),
    );
    expect(serverState(site.deployPath)).toEqual(before);
    expect(await served(site)).toBe(ids.a);
  });

  test('a public repository keeps no archive by default, says so and how to turn it on; its release cannot be restored', async () => {
    gh.setVisibility('public');
    const before = gh.artifacts().length;
    const run = gh.newRun();
    const r = await runAction(ACTION_MAIN, actionInputs(site, appCopy((d) => setVersion(d, 'd'))), { github: gh.runEnv(run), timeoutMs: 90_000 });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const id = r.outputs['deploy-id'] as string;
    expect(gh.artifacts()).toHaveLength(before);
    expect(r.outputs['artifact-id']).toBeUndefined();
    expect(readLog(site.deployPath).filter((l) => l.event === 'artifact' && l.id === id)).toEqual([]);
    expect(r.summary).toContain('No archive of this release was kept (artifact: auto): the repository is public');
    expect(r.summary).toContain('set `artifact: true`');

    // Once pruned, it has no record: one line saying why and what to do.
    const back = await rollbackTo(ids.a!);
    expect(back.code, back.stdout).toBe(0);
    prune(id);
    const state = serverState(site.deployPath);
    const e = await rollbackTo(id);
    expect(errorLine(e)).toMatch(
      new RegExp(`release ${id} is no longer on the servers and no deploy log records a kept archive of it \\(.*artifact: auto from a public repository.*\\).*; deploy that version again instead$`),
    );
    expect(serverState(site.deployPath)).toEqual(state);

    // artifact: true keeps one anyway.
    const t = await runAction(ACTION_MAIN, { ...actionInputs(site, appCopy((d) => setVersion(d, 'e'))), artifact: 'true' }, { github: gh.runEnv(gh.newRun()), timeoutMs: 90_000 });
    expect(t.code, t.stdout + t.stderr).toBe(0);
    expect(t.outputs['artifact-id']).toMatch(/^\d+$/);
    expect(t.summary).not.toContain('No archive of this release was kept');
    expect(gh.unhandled).toEqual([]);
  });
});
