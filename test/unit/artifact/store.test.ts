import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import {
  archiveFileName,
  artifactName,
  downloadReleaseArchive,
  expiredMessage,
  normalizeDigest,
  pickArtifact,
  runtimeProblem,
  uploadReleaseArchive,
  type RestArtifact,
} from '../../../src/artifact/store.js';
import { DeployError } from '../../../src/errors.js';

const HEX = 'ab'.repeat(32);
const NOW = Date.parse('2026-03-10T12:00:00Z');
const art = (id: number, created: string, expires: string, expired = false): RestArtifact => ({
  id,
  name: 'php-deploy-x',
  size_in_bytes: 10,
  expired,
  created_at: created,
  expires_at: expires,
  digest: `sha256:${HEX}`,
  workflow_run: { id: 1 },
});

async function errorOf(p: Promise<unknown>): Promise<DeployError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(DeployError);
    return e as DeployError;
  }
  throw new Error('expected a failure');
}

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

  test('pickArtifact: newest unexpired; the newest expired one explains; none → not found', () => {
    const old = art(1, '2026-03-01T00:00:00Z', '2026-04-01T00:00:00Z');
    const newer = art(2, '2026-03-05T00:00:00Z', '2026-04-05T00:00:00Z');
    const newestExpired = art(3, '2026-03-06T00:00:00Z', '2026-03-09T00:00:00Z'); // past, flag not yet set
    expect(pickArtifact([old, newer, newestExpired], 'php-deploy-x', 'acme/shop', NOW).id).toBe(2);
    expect(pickArtifact([old], 'php-deploy-x', 'acme/shop', NOW).id).toBe(1);
    // Same creation time: the higher id wins.
    expect(pickArtifact([art(5, '2026-03-05T00:00:00Z', '2026-04-05T00:00:00Z'), newer], 'php-deploy-x', 'w', NOW).id).toBe(5);

    const expiredOld = art(1, '2026-01-01T00:00:00Z', '2026-01-31T00:00:00Z', true);
    expect(() => pickArtifact([expiredOld, newestExpired], 'php-deploy-x', 'acme/shop', NOW)).toThrow(
      'the artifact php-deploy-x expired on 2026-03-09 00:00 UTC (retention 3 days); deploy that version again instead',
    );
    expect(() => pickArtifact([], 'php-deploy-x', 'acme/shop', NOW)).toThrow(
      'no artifact php-deploy-x in acme/shop; it was not uploaded (artifact: false?) or was deleted',
    );
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

  test('download: the repository must be known and well-formed; no token needs the runtime', async () => {
    const e1 = await errorOf(downloadReleaseArchive({ deployId: 'x', token: 't' }));
    expect(e1.message).toBe('no repository to look for artifacts in (set GITHUB_REPOSITORY or pass owner/repo)');
    const e2 = await errorOf(downloadReleaseArchive({ deployId: 'x', token: 't', repository: 'acme' }));
    expect(e2.message).toBe('repository must be "owner/repo", got "acme"');
    const e3 = await errorOf(downloadReleaseArchive({ deployId: 'x' }));
    expect(e3.message).toBe(
      'fetching artifact php-deploy-x needs a GitHub token with actions:read (or the GitHub Actions runtime for an artifact of the current run)',
    );
  });
});
