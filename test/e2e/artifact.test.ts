/**
 * The release archive through the REAL @actions/artifact client, against a local stand-in for the
 * results service and REST API (test/artifact/fake-results-service.ts) backed by a real Azurite
 * blob server. Nothing leaves 127.0.0.1. Needs no server stack.
 */
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { archiveFileName, artifactName, downloadReleaseArchive, uploadReleaseArchive } from '../../src/artifact/store.js';
import { createReleaseArchive, extractArchive } from '../../src/artifact/archive.js';
import { DeployError } from '../../src/errors.js';
import { startFakeGitHub, type FakeGitHub, type FakeRun } from '../artifact/fake-results-service.js';
import { cleanupTemp, describeTree, manifestOf, sampleTree, tempDir, trackTemp } from '../artifact/helpers.js';

const ENV_KEYS = [
  'ACTIONS_RUNTIME_TOKEN',
  'ACTIONS_RESULTS_URL',
  'GITHUB_API_URL',
  'GITHUB_SERVER_URL',
  'GITHUB_REPOSITORY',
  'GITHUB_RUN_ID',
  'GITHUB_RETENTION_DAYS',
  'GITHUB_WORKSPACE',
];

describe('release archive as a GitHub artifact (real client, stand-in service, Azurite)', () => {
  let gh: FakeGitHub;
  const saved: Record<string, string | undefined> = {};

  const enterRun = (run: FakeRun): void => {
    for (const k of ENV_KEYS) delete process.env[k];
    Object.assign(process.env, gh.runEnv(run));
  };
  const errorOf = async (p: Promise<unknown>): Promise<DeployError> => {
    try {
      await p;
    } catch (e) {
      expect(e).toBeInstanceOf(DeployError);
      return e as DeployError;
    }
    throw new Error('expected a failure');
  };
  /** Packs the sample tree as deploy `deployId` would: the full release with its manifest. */
  const packRelease = async (deployId: string) => {
    const src = sampleTree(tempDir());
    const { entries, manifestText } = await manifestOf(src);
    const archive = await createReleaseArchive(src, entries, manifestText, { fileName: archiveFileName(deployId) });
    trackTemp(archive.dir);
    return { src, manifestText, archive };
  };

  beforeAll(async () => {
    for (const k of ENV_KEYS) saved[k] = process.env[k];
    gh = await startFakeGitHub({ owner: 'acme', repo: 'shop' });
  });
  afterAll(async () => {
    for (const k of ENV_KEYS) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
    await gh?.stop();
    cleanupTemp();
  });
  afterEach(() => {
    expect(gh.unhandled).toEqual([]);
  });

  test('upload in one run, download from another run by name, extract: identical tree', async () => {
    const deployId = '20260105T101500Z-abc1234';
    const runA = gh.newRun();
    enterRun(runA);
    const { src, manifestText, archive } = await packRelease(deployId);

    const up = await uploadReleaseArchive({ deployId, archivePath: archive.path, retentionDays: 7 });
    expect(up.name).toBe(`php-deploy-${deployId}`);
    expect(up.id).toBeGreaterThan(0);
    expect(up.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(up.size).toBeGreaterThan(archive.bytes); // the zip around the stored .tar.gz
    const stored = gh.artifacts().find((a) => a.id === up.id)!;
    expect(stored.digest).toBe(up.digest);
    expect(Math.round((stored.expiresAt.getTime() - stored.createdAt.getTime()) / 86_400_000)).toBe(7);

    // A later run (a rollback) finds it with a token, in any run of the repository.
    const runB = gh.newRun();
    enterRun(runB);
    const dest = tempDir();
    const down = await downloadReleaseArchive({ deployId, token: gh.apiToken, repository: 'acme/shop', destDir: dest });
    expect(down.artifact).toMatchObject({ id: up.id, name: up.name, digest: up.digest, runId: runA.runId });
    expect(down.path).toBe(`${dest}/${archiveFileName(deployId)}`);
    const bytes = readFileSync(down.path);
    expect(bytes.length).toBe(archive.bytes);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(archive.sha256);

    const out = await extractArchive(down.path);
    trackTemp(out.dir);
    expect(out.manifestText).toBe(manifestText);
    expect(describeTree(out.dir)).toEqual(describeTree(src));
    expect(statSync(`${out.dir}/bin/console`).mode & 0o777).toBe(0o755);

    // The same through the run id.
    const byRun = await downloadReleaseArchive({ deployId, token: gh.apiToken, repository: 'acme/shop', runId: runA.runId });
    trackTemp(byRun.dir);
    expect(createHash('sha256').update(readFileSync(byRun.path)).digest('hex')).toBe(archive.sha256);

    // And in the uploading run itself, without a token (runtime token only).
    enterRun(runA);
    const sameRun = await downloadReleaseArchive({ deployId });
    trackTemp(sameRun.dir);
    expect(createHash('sha256').update(readFileSync(sameRun.path)).digest('hex')).toBe(archive.sha256);

    const calls = new Set(gh.requests.map((r) => r.replace(/\/\d+(?=\/|$)/g, '/N')));
    expect([...calls].sort()).toEqual(
      [
        'GET /repos/acme/shop/actions/artifacts',
        'GET /repos/acme/shop/actions/artifacts/N/zip',
        'GET /repos/acme/shop/actions/runs/N/artifacts',
        'POST /twirp/github.actions.results.api.v1.ArtifactService/CreateArtifact',
        'POST /twirp/github.actions.results.api.v1.ArtifactService/FinalizeArtifact',
        'POST /twirp/github.actions.results.api.v1.ArtifactService/GetSignedArtifactURL',
        'POST /twirp/github.actions.results.api.v1.ArtifactService/ListArtifacts',
      ].sort(),
    );
  });

  test('the newest unexpired artifact of a name wins across runs', async () => {
    const deployId = '20260105T110000Z-def5678';
    const first = gh.newRun();
    enterRun(first);
    const a = await packRelease(deployId);
    const upA = await uploadReleaseArchive({ deployId, archivePath: a.archive.path });
    const second = gh.newRun();
    enterRun(second);
    const b = await packRelease(deployId);
    const upB = await uploadReleaseArchive({ deployId, archivePath: b.archive.path });
    expect(upB.id).toBeGreaterThan(upA.id);

    const third = gh.newRun();
    enterRun(third);
    const down = await downloadReleaseArchive({ deployId, token: gh.apiToken, repository: 'acme/shop' });
    trackTemp(down.dir);
    expect(down.artifact.id).toBe(upB.id);

    // Once the newest expired, the older one still serves.
    await gh.expire(upB.id);
    const older = await downloadReleaseArchive({ deployId, token: gh.apiToken, repository: 'acme/shop' });
    trackTemp(older.dir);
    expect(older.artifact.id).toBe(upA.id);
  });

  test('an expired artifact: the clear error, from any run and from its run', async () => {
    const deployId = '20260101T000000Z-0ld0001';
    const run = gh.newRun();
    enterRun(run);
    const { archive } = await packRelease(deployId);
    const up = await uploadReleaseArchive({ deployId, archivePath: archive.path, retentionDays: 3 });
    await gh.expire(up.id);
    const expiresAt = gh.artifacts().find((a) => a.id === up.id)!.expiresAt;

    enterRun(gh.newRun());
    const date = expiresAt.toISOString().slice(0, 16).replace('T', ' ');
    const want = `the artifact php-deploy-${deployId} expired on ${date} UTC (retention 3 days); deploy that version again instead`;
    const e1 = await errorOf(downloadReleaseArchive({ deployId, token: gh.apiToken, repository: 'acme/shop' }));
    expect(e1.message).toBe(want);
    expect(e1.oneLine()).toBe(`artifact: ${want}`);
    const e2 = await errorOf(downloadReleaseArchive({ deployId, token: gh.apiToken, repository: 'acme/shop', runId: run.runId }));
    expect(e2.message).toBe(want);
  });

  test('a missing artifact, a bad token, no token and no runtime: one-line errors', async () => {
    enterRun(gh.newRun());
    const name = artifactName('20990101T000000Z-nothere');
    const e1 = await errorOf(downloadReleaseArchive({ deployId: '20990101T000000Z-nothere', token: gh.apiToken }));
    expect(e1.message).toBe(`no artifact ${name} in acme/shop; it was not uploaded (artifact: false?) or was deleted`);
    const e2 = await errorOf(downloadReleaseArchive({ deployId: '20990101T000000Z-nothere', token: gh.apiToken, runId: 424242 }));
    expect(e2.message).toBe(`no artifact ${name} in run 424242 of acme/shop; it was not uploaded (artifact: false?) or was deleted`);
    const e3 = await errorOf(downloadReleaseArchive({ deployId: '20990101T000000Z-nothere', token: 'wrong' }));
    expect(e3.message).toMatch(/^the GitHub API refused the token \(HTTP 401 Bad credentials\)/);
    const e4 = await errorOf(downloadReleaseArchive({ deployId: '20990101T000000Z-nothere' }));
    expect(e4.message).toBe(`no artifact ${name} in this run; to fetch one from another run pass a GitHub token with actions:read`);
    for (const e of [e1, e2, e3, e4]) expect(e.oneLine()).not.toContain('\n');

    delete process.env.ACTIONS_RUNTIME_TOKEN;
    const e5 = await errorOf(uploadReleaseArchive({ deployId: 'x', archivePath: '/nonexistent.tar.gz' }));
    expect(e5.message).toBe('artifact upload needs the GitHub Actions runtime; set artifact: false outside Actions');
    const e6 = await errorOf(downloadReleaseArchive({ deployId: 'x' }));
    expect(e6.message).toMatch(/needs a GitHub token with actions:read/);
  });

  test('stored bytes that do not match the digest are refused', async () => {
    const run = gh.newRun();
    enterRun(run);
    const a = await packRelease('20260105T130000Z-aaa0001');
    const upA = await uploadReleaseArchive({ deployId: '20260105T130000Z-aaa0001', archivePath: a.archive.path });
    const b = await packRelease('20260105T130000Z-bbb0001');
    const upB = await uploadReleaseArchive({ deployId: '20260105T130000Z-bbb0001', archivePath: b.archive.path });
    await gh.tamper(upA.id, { from: upB.id });
    const dest = tempDir();
    const e = await errorOf(downloadReleaseArchive({ deployId: '20260105T130000Z-aaa0001', token: gh.apiToken, destDir: dest }));
    expect(e.message).toBe(
      `the downloaded artifact php-deploy-20260105T130000Z-aaa0001 (id ${upA.id}) does not match its digest ${upA.digest}; try again`,
    );
  });

  test('a second upload of the same name in one run is refused clearly', async () => {
    const deployId = '20260105T120000Z-dup0001';
    enterRun(gh.newRun());
    const { archive } = await packRelease(deployId);
    await uploadReleaseArchive({ deployId, archivePath: archive.path });
    const e = await errorOf(uploadReleaseArchive({ deployId, archivePath: archive.path }));
    expect(e.message).toBe(`cannot upload artifact php-deploy-${deployId}: this run already has an artifact of that name`);
  });
});
