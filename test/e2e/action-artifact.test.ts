/**
 * The action keeps each deployed release's exact archive as a GitHub artifact (real @actions/artifact
 * client → local stand-in of the results service + REST API, backed by a real Azurite) and a rollback
 * to a release already pruned from the server restores it from there — on the real server stack.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { artifactName } from '../../src/artifact/store.js';
import { startFakeGitHub, type FakeGitHub } from '../artifact/fake-results-service.js';
import {
  ACTION_MAIN,
  actionInputs,
  appCopy,
  lastLine,
  newSite,
  readLog,
  runAction,
  served,
  serverState,
  setVersion,
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
    const r = await runAction(ACTION_MAIN, { ...actionInputs(site, appCopy((d) => setVersion(d, version))), ...extra }, {
      github: gh.runEnv(run),
      timeoutMs: 90_000,
    });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    return r;
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
    rmSync(join(site.deployPath, 'releases', ids.b!), { recursive: true, force: true });
    rmSync(join(site.deployPath, '.php-deploy/releases', ids.b!), { recursive: true, force: true });
    await gh.expire(artifactName(ids.b!));
    const before = serverState(site.deployPath);
    const run = gh.newRun();
    const r = await runAction(
      ACTION_MAIN,
      { ...actionInputs(site, '.'), command: 'rollback', 'deploy-id': ids.b!, 'github-token': gh.apiToken },
      { github: gh.runEnv(run), timeoutMs: 90_000 },
    );
    expect(r.code).toBe(1);
    const error = r.stdout.split('\n').filter((l) => l.startsWith('::error'));
    expect(error).toHaveLength(1);
    expect(lastLine(error.join('\n'))).toMatch(new RegExp(`the artifact ${artifactName(ids.b!)} expired on .*; deploy that version again instead`));
    expect(serverState(site.deployPath)).toEqual(before);
    expect(await served(site)).toBe(ids.a);
  });
});
