/**
 * The release archive through the REAL @actions/artifact client, against a local stand-in for the
 * results service and REST API (test/artifact/fake-results-service.ts) backed by a real Azurite
 * blob server. Nothing leaves 127.0.0.1. Needs no server stack.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import {
  archiveFileName,
  downloadReleaseArchive,
  openDownloadedArchive,
  parseArchiveRecord,
  uploadReleaseArchive,
  type ArchiveRecord,
  type UploadedArtifact,
} from '../../src/artifact/store.js';
import { createReleaseArchive, extractArchive } from '../../src/artifact/archive.js';
import { startFakeGitHub, type FakeGitHub, type FakeRun } from '../artifact/fake-results-service.js';
import { cleanupTemp, describeTree, errorOf, makeTree, manifestOf, sampleTree, tempDir, tgz, trackTemp } from '../artifact/helpers.js';
import { MANIFEST_NAME } from '../../src/pack/manifest.js';

const ENV_KEYS = [
  'ACTIONS_RUNTIME_TOKEN',
  'ACTIONS_RESULTS_URL',
  'GITHUB_API_URL',
  'GITHUB_SERVER_URL',
  'GITHUB_REPOSITORY',
  'GITHUB_RUN_ID',
  'GITHUB_RETENTION_DAYS',
  'GITHUB_WORKSPACE',
  'GITHUB_EVENT_PATH',
  'GITHUB_EVENT_NAME',
];

describe('release archive as a GitHub artifact (real client, stand-in service, Azurite)', () => {
  let gh: FakeGitHub;
  const saved: Record<string, string | undefined> = {};

  const enterRun = (run: FakeRun): void => {
    for (const k of ENV_KEYS) delete process.env[k];
    Object.assign(process.env, gh.runEnv(run));
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
    gh.omitRunRepositoryIds(false);
  });

  /** The record the action writes to the deploy log for an upload (what `keep` returns). */
  const recordOf = (up: UploadedArtifact, run: FakeRun): ArchiveRecord =>
    parseArchiveRecord(up.name.slice('php-deploy-'.length), { artifact_id: up.id, artifact: up.name, digest: up.digest, run_id: String(run.runId) });
  /** Downloads by record into a fresh dir, as a restore does. */
  const download = (deployId: string, record: ArchiveRecord, extra: { token?: string; destDir?: string } = {}) =>
    downloadReleaseArchive({ deployId, record, token: gh.apiToken, repository: 'acme/shop', ...extra });

  test('upload in one run; a later run downloads exactly the recorded artifact, checks it, unpacks it: identical tree', async () => {
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

    // A later run (a rollback) fetches it by the record, with a token.
    enterRun(gh.newRun());
    const dest = tempDir();
    gh.requests.length = 0;
    const down = await download(deployId, recordOf(up, runA), { destDir: dest });
    expect(down.artifact).toMatchObject({ id: up.id, name: up.name, digest: up.digest, runId: runA.runId });
    // Kept as the zip it is (nothing unpacked yet), the digest of exactly those bytes checked.
    expect(readdirSync(dest)).toHaveLength(1);
    expect(`sha256:${createHash('sha256').update(readFileSync(down.zipPath)).digest('hex')}`).toBe(up.digest);
    expect(down.entry).toMatchObject({ name: archiveFileName(deployId), size: archive.bytes });

    const out = await extractArchive(openDownloadedArchive(down));
    trackTemp(out.dir);
    expect(out.manifestText).toBe(manifestText);
    expect(describeTree(out.dir)).toEqual(describeTree(src));
    expect(statSync(`${out.dir}/bin/console`).mode & 0o777).toBe(0o755);

    const calls = new Set(gh.requests.map((r) => r.replace(/\/\d+(?=\/|$)/g, '/N')));
    expect([...calls].sort()).toEqual(['GET /repos/acme/shop/actions/artifacts/N', 'GET /repos/acme/shop/actions/artifacts/N/zip']);
  });

  test("a fork's artifact with the right name: never picked, and refused when a record names it", async () => {
    const deployId = '20260105T110000Z-def5678';
    const own = gh.newRun();
    enterRun(own);
    const a = await packRelease(deployId);
    const upOwn = await uploadReleaseArchive({ deployId, archivePath: a.archive.path });

    // A pull request from a fork runs in the repository and uploads a NEWER artifact of that name.
    const forkRun = gh.newRun({ fork: 'mallory/shop' });
    enterRun(forkRun);
    const evil = makeTree(tempDir(), { 'public/index.php': '<?php system($_GET["c"]);\n' });
    const evilManifest = await manifestOf(evil);
    const evilArchive = await createReleaseArchive(evil, evilManifest.entries, evilManifest.manifestText, { fileName: archiveFileName(deployId) });
    trackTemp(evilArchive.dir);
    const upFork = await uploadReleaseArchive({ deployId, archivePath: evilArchive.path });
    expect(upFork.id).toBeGreaterThan(upOwn.id);
    expect(upFork.name).toBe(upOwn.name);

    // The restore takes the recorded one, not the newest of that name.
    enterRun(gh.newRun());
    const down = await download(deployId, recordOf(upOwn, own));
    trackTemp(down.dir);
    expect(down.artifact.id).toBe(upOwn.id);

    // A record naming the fork's artifact (a forged or mistaken log line) is refused before any download.
    gh.requests.length = 0;
    const want = `artifact php-deploy-${deployId} (id ${upFork.id}) was made by a workflow run from another repository`;
    const e1 = await errorOf(download(deployId, recordOf(upFork, forkRun)));
    expect(e1.message).toMatch(new RegExp(`^${want.replace(/[()]/g, '\\$&')} \\(a fork, repository id \\d+\\), not by acme/shop's own runs; refusing it$`));
    expect(gh.requests.some((r) => r.endsWith('/zip'))).toBe(false);

    // The same when the artifact does not name the repositories and the run has to be asked.
    gh.omitRunRepositoryIds(true);
    const e2 = await errorOf(download(deployId, recordOf(upFork, forkRun)));
    expect(e2.message).toBe(`${want} (mallory/shop), not by acme/shop's own runs; refusing it`);
    expect(gh.requests).toContain(`GET /repos/acme/shop/actions/runs/${forkRun.runId}`);
    const ok = await download(deployId, recordOf(upOwn, own));
    trackTemp(ok.dir);
    expect(ok.artifact.id).toBe(upOwn.id);
  });

  test('stored bytes that do not match the recorded digest are refused before anything is unpacked', async () => {
    const run = gh.newRun();
    enterRun(run);
    const a = await packRelease('20260105T130000Z-aaa0001');
    const upA = await uploadReleaseArchive({ deployId: '20260105T130000Z-aaa0001', archivePath: a.archive.path });
    const b = await packRelease('20260105T130000Z-bbb0001');
    const upB = await uploadReleaseArchive({ deployId: '20260105T130000Z-bbb0001', archivePath: b.archive.path });
    await gh.tamper(upA.id, { from: upB.id });
    const dest = tempDir();
    const e = await errorOf(download('20260105T130000Z-aaa0001', recordOf(upA, run), { destDir: dest }));
    expect(e.message).toBe(
      `the downloaded artifact php-deploy-20260105T130000Z-aaa0001 (id ${upA.id}) has digest ${upB.digest}, not ${upA.digest} as the deploy log records; refusing to unpack it`,
    );

    // A record whose digest is not the one GitHub lists: refused before downloading.
    gh.requests.length = 0;
    const forged = { ...recordOf(upB, run), digest: upA.digest };
    const e2 = await errorOf(download('20260105T130000Z-bbb0001', forged));
    expect(e2.message).toBe(
      `GitHub lists artifact php-deploy-20260105T130000Z-bbb0001 (id ${upB.id}) with digest ${upB.digest}, not ${upA.digest} as the deploy log records; refusing it`,
    );
    expect(gh.requests.some((r) => r.endsWith('/zip'))).toBe(false);
  });

  test('an archive with an entry that escapes the target passes the digest check but is refused when unpacked', async () => {
    const deployId = '20260105T150000Z-esc0001';
    const run = gh.newRun();
    enterRun(run);
    // The repository's own run kept a crafted archive: the digest is right, the content is not.
    const dir = tempDir();
    const path = `${dir}/${archiveFileName(deployId)}`;
    writeFileSync(
      path,
      await tgz([
        { name: 'public/index.php', body: '<?php\n' },
        { name: 'public/up', type: 'symlink', linkname: '../..' },
        { name: MANIFEST_NAME, body: '# php-deploy manifest v1\n' },
      ]),
    );
    const up = await uploadReleaseArchive({ deployId, archivePath: path });
    const down = await download(deployId, recordOf(up, run));
    trackTemp(down.dir);
    const parent = tempDir();
    const e = await errorOf(extractArchive(openDownloadedArchive(down), `${parent}/release`));
    expect(e.message).toBe('refusing the release archive: entry "public/up" is a symlink to "../..", outside the target; nothing was restored');
    expect(readdirSync(parent)).toEqual(['release']);
    expect(readdirSync(`${parent}/release`)).toEqual([]);
  });

  test('a record naming another release\'s artifact, another run, or a deleted artifact: refused', async () => {
    const run = gh.newRun();
    enterRun(run);
    const a = await packRelease('20260105T140000Z-ccc0001');
    const up = await uploadReleaseArchive({ deployId: '20260105T140000Z-ccc0001', archivePath: a.archive.path });
    const e1 = await errorOf(download('20260105T140000Z-other01', recordOf(up, run)));
    expect(e1.message).toBe(
      `the deploy log records artifact id ${up.id} for release 20260105T140000Z-other01, but that artifact is named "${up.name}", not php-deploy-20260105T140000Z-other01; refusing it`,
    );
    const e2 = await errorOf(download('20260105T140000Z-ccc0001', { ...recordOf(up, run), runId: 99 }));
    expect(e2.message).toBe(`artifact ${up.name} (id ${up.id}) belongs to run ${run.runId}, not run 99 as the deploy log records; refusing it`);
    const e3 = await errorOf(download('20260105T140000Z-ccc0001', { ...recordOf(up, run), artifactId: 987654 }));
    expect(e3.message).toBe(
      `artifact ${up.name} (id 987654), which the deploy log records for release 20260105T140000Z-ccc0001, is not in acme/shop any more (deleted, or its run was); deploy that version again instead`,
    );
  });

  test('an expired artifact: the clear error', async () => {
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
    const e1 = await errorOf(download(deployId, recordOf(up, run)));
    expect(e1.message).toBe(want);
    expect(e1.oneLine()).toBe(`artifact: ${want}`);
  });

  test('a bad token, no token and no runtime: one-line errors', async () => {
    const run = gh.newRun();
    enterRun(run);
    const record = parseArchiveRecord('20990101T000000Z-nothere', { artifact_id: 5, digest: `sha256:${'0'.repeat(64)}` });
    const e3 = await errorOf(download('20990101T000000Z-nothere', record, { token: 'wrong' }));
    expect(e3.message).toMatch(/^the GitHub API refused the token \(HTTP 401 Bad credentials\)/);
    const e4 = await errorOf(downloadReleaseArchive({ deployId: '20990101T000000Z-nothere', record, repository: 'acme/shop' }));
    expect(e4.message).toBe('restoring release 20990101T000000Z-nothere from artifact php-deploy-20990101T000000Z-nothere needs a GitHub token with actions:read on acme/shop (github-token)');
    for (const e of [e3, e4]) expect(e.oneLine()).not.toContain('\n');

    delete process.env.ACTIONS_RUNTIME_TOKEN;
    const e5 = await errorOf(uploadReleaseArchive({ deployId: 'x', archivePath: '/nonexistent.tar.gz' }));
    expect(e5.message).toBe('artifact upload needs the GitHub Actions runtime; set artifact: false outside Actions');
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
