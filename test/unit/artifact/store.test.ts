import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import {
  archiveFileName,
  artifactName,
  downloadReleaseArchive,
  expiredMessage,
  normalizeDigest,
  parseArchiveRecord,
  runtimeProblem,
  uploadReleaseArchive,
} from '../../../src/artifact/store.js';
import { DeployError } from '../../../src/errors.js';
import { errorOf } from '../../artifact/helpers.js';

const HEX = 'ab'.repeat(32);

describe('names', () => {
  test('artifactName and archiveFileName', () => {
    expect(artifactName('20260105T101500Z-abc1234')).toBe('php-deploy-20260105T101500Z-abc1234');
    expect(archiveFileName('20260105T101500Z-abc1234')).toBe('php-deploy-20260105T101500Z-abc1234.tar.gz');
    for (const bad of ['', 'a/b', 'a:b', 'a\\b', 'a?b', 'a\nb', 'x'.repeat(201)]) {
      expect(() => artifactName(bad)).toThrow(DeployError);
    }
  });
});

describe('digests', () => {
  test('normalizeDigest accepts bare hex (upload) and sha256: (REST, download)', () => {
    expect(normalizeDigest(HEX)).toBe(`sha256:${HEX}`);
    expect(normalizeDigest(`sha256:${HEX.toUpperCase()}`)).toBe(`sha256:${HEX}`);
    expect(normalizeDigest(undefined)).toBeUndefined();
    expect(normalizeDigest(null)).toBeUndefined();
    expect(normalizeDigest('sha1:abc')).toBeUndefined();
  });
});

describe('expiry', () => {
  test('the message names the date and the retention', () => {
    expect(expiredMessage({ name: 'php-deploy-1', created_at: '2026-01-01T08:00:00Z', expires_at: '2026-01-08T08:00:00Z' })).toBe(
      'the artifact php-deploy-1 expired on 2026-01-08 08:00 UTC (retention 7 days); deploy that version again instead',
    );
    expect(expiredMessage({ name: 'php-deploy-1', created_at: '2026-01-01T08:00:00Z', expires_at: '2026-01-02T08:00:30.123Z' })).toBe(
      'the artifact php-deploy-1 expired on 2026-01-02 08:00 UTC (retention 1 day); deploy that version again instead',
    );
    expect(expiredMessage({ name: 'php-deploy-1', created_at: null, expires_at: '2026-01-02T08:00:00Z' })).toBe(
      'the artifact php-deploy-1 expired on 2026-01-02 08:00 UTC; deploy that version again instead',
    );
  });

});

describe('the deploy log record', () => {
  test('parseArchiveRecord takes what keep() returned; refuses a record without id or digest', () => {
    expect(parseArchiveRecord('d1', { artifact_id: 17, artifact: 'php-deploy-d1', digest: `sha256:${HEX}`, run_id: '4242' })).toEqual({
      artifactId: 17,
      digest: `sha256:${HEX}`,
      name: 'php-deploy-d1',
      runId: 4242,
    });
    expect(parseArchiveRecord('d1', { artifact_id: '17', digest: HEX, run_id: '' })).toEqual({ artifactId: 17, digest: `sha256:${HEX}`, name: undefined, runId: undefined });
    const bads: Record<string, string | number>[] = [{ digest: `sha256:${HEX}` }, { artifact_id: 17 }, { artifact_id: 'x', digest: HEX }, { artifact_id: -1, digest: HEX }, { artifact_id: 1, digest: 'md5:0' }];
    for (const bad of bads) {
      expect(() => parseArchiveRecord('d1', bad)).toThrow(/^the deploy log's record of release d1's archive has no valid artifact id and digest .*; deploy that version again instead$/);
    }
  });
});

describe('environment checks (no network)', () => {
  const KEYS = ['ACTIONS_RUNTIME_TOKEN', 'ACTIONS_RESULTS_URL', 'GITHUB_SERVER_URL', 'GITHUB_REPOSITORY', 'GITHUB_API_URL'];
  const saved: Record<string, string | undefined> = {};
  beforeEach(() => {
    for (const k of KEYS) {
      saved[k] = process.env[k];
      delete process.env[k];
    }
  });
  afterEach(() => {
    for (const k of KEYS) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  });

  test('runtimeProblem', () => {
    expect(runtimeProblem({})).toBe('artifact upload needs the GitHub Actions runtime; set artifact: false outside Actions');
    expect(runtimeProblem({ ACTIONS_RUNTIME_TOKEN: 't' })).toMatch(/needs the GitHub Actions runtime/);
    const rt = { ACTIONS_RUNTIME_TOKEN: 't', ACTIONS_RESULTS_URL: 'https://results.invalid/' };
    expect(runtimeProblem(rt)).toBeUndefined();
    expect(runtimeProblem({ ...rt, GITHUB_SERVER_URL: 'https://octo.ghe.com' })).toBeUndefined();
    expect(runtimeProblem({ ...rt, GITHUB_SERVER_URL: 'https://git.example.com' })).toMatch(/GitHub Enterprise Server/);
  });

  test('upload outside Actions, and a bad retention, fail before any request', async () => {
    const e = await errorOf(uploadReleaseArchive({ deployId: 'x', archivePath: '/nonexistent.tar.gz' }));
    expect(e.oneLine()).toBe('artifact: artifact upload needs the GitHub Actions runtime; set artifact: false outside Actions');
    process.env.ACTIONS_RUNTIME_TOKEN = 'x.y.z';
    process.env.ACTIONS_RESULTS_URL = 'http://127.0.0.1:9/';
    const r = await errorOf(uploadReleaseArchive({ deployId: 'x', archivePath: '/nonexistent.tar.gz', retentionDays: 0 }));
    expect(r.message).toBe('artifact retention must be a whole number of days from 1 to 400, got 0');
  });

  test('download: the repository must be known and well-formed; a token is needed', async () => {
    const record = { artifactId: 1, digest: `sha256:${HEX}` };
    const e1 = await errorOf(downloadReleaseArchive({ deployId: 'x', record, token: 't' }));
    expect(e1.message).toBe('no repository to look for artifacts in (set GITHUB_REPOSITORY or pass owner/repo)');
    const e2 = await errorOf(downloadReleaseArchive({ deployId: 'x', record, token: 't', repository: 'acme' }));
    expect(e2.message).toBe('repository must be "owner/repo", got "acme"');
    const e3 = await errorOf(downloadReleaseArchive({ deployId: 'x', record, repository: 'acme/shop' }));
    expect(e3.message).toBe('restoring release x from artifact php-deploy-x needs a GitHub token with actions:read on acme/shop (github-token)');
  });
});
