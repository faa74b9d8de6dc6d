/** `artifact: auto` keeps release archives only for private and internal repositories. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { utils } from 'ssh2';
import { describe, expect, test } from 'vitest';
import { autoSkipReason, githubArtifactStore, repositoryVisibility } from '../../src/action/artifact-store.js';
import { parseSettings } from '../../src/config/settings.js';
import { InputError } from '../../src/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'php-deploy-event-'));
function event(payload: unknown): string {
  const p = join(dir, `event-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(p, typeof payload === 'string' ? payload : JSON.stringify(payload));
  return p;
}

const keys = utils.generateKeyPairSync('ed25519');
const settings = (artifact: string, command = 'deploy') =>
  parseSettings(
    {
      command,
      hosts: 'deploy@web1',
      'ssh-key': keys.private,
      'known-hosts': `web1 ${utils.generateKeyPairSync('ed25519').public}`,
      'deploy-path': '/srv/app',
      source: dir,
      artifact,
    },
    { who: 'tester' },
  );
const runtime = { ACTIONS_RUNTIME_TOKEN: 'x.y.z', ACTIONS_RESULTS_URL: 'https://results.invalid/', GITHUB_REPOSITORY: 'acme/shop', GITHUB_RUN_ID: '7' };

describe('repositoryVisibility (from the event payload, no API call)', () => {
  test.each([
    [{ repository: { visibility: 'private', private: true } }, 'private'],
    [{ repository: { visibility: 'internal', private: true } }, 'internal'],
    [{ repository: { visibility: 'public', private: false } }, 'public'],
    [{ repository: { private: true } }, 'private'], // older payloads: only the flag
    [{ repository: { private: false } }, 'public'],
    [{ repository: {} }, undefined],
    [{ schedule: '0 * * * *' }, undefined],
    ['not json', undefined],
  ])('%j → %s', (payload, want) => {
    expect(repositoryVisibility({ GITHUB_EVENT_PATH: event(payload) })).toBe(want);
  });

  test('no payload, or a path that is not there', () => {
    expect(repositoryVisibility({})).toBeUndefined();
    expect(repositoryVisibility({ GITHUB_EVENT_PATH: join(dir, 'missing.json') })).toBeUndefined();
  });
});

describe('githubArtifactStore', () => {
  const pub = { ...runtime, GITHUB_EVENT_PATH: event({ repository: { visibility: 'public', private: false } }) };
  const priv = { ...runtime, GITHUB_EVENT_PATH: event({ repository: { visibility: 'private', private: true } }) };
  const unknown = { ...runtime, GITHUB_EVENT_PATH: event({}) };

  test('auto: keeps for private and internal; for public (or unknown) keeps none and says how to turn it on', () => {
    const p = githubArtifactStore(settings('auto'), priv);
    expect(p.store?.keep).toBeTypeOf('function');
    expect(p.notice).toBeUndefined();

    const q = githubArtifactStore(settings('auto'), pub);
    expect(q.store?.keep).toBeUndefined();
    expect(q.store?.fetch).toBeTypeOf('function'); // a release kept earlier (artifact: true) can still be restored
    expect(q.notice).toBe(
      'No archive of this release was kept (artifact: auto): the repository is public, so its artifacts are too: anyone signed in to GitHub could download the release, vendor/ included. A rollback to a release already pruned from the servers needs one; to keep it anyway, set `artifact: true`.',
    );
    expect(githubArtifactStore(settings('auto'), unknown).notice).toBe(autoSkipReason(undefined));
    expect(autoSkipReason(undefined)).toMatch(/does not say whether the repository is private, so php-deploy assumes it is public/);
  });

  test('true keeps whatever the visibility; false keeps and fetches nothing', () => {
    const t = githubArtifactStore(settings('true'), pub);
    expect(t.store?.keep).toBeTypeOf('function');
    expect(t.notice).toBeUndefined();
    expect(githubArtifactStore(settings('false'), priv)).toEqual({});
  });

  test('outside the Actions runtime: auto quietly keeps nothing, true is bad input', () => {
    expect(githubArtifactStore(settings('auto'), {})).toEqual({});
    expect(() => githubArtifactStore(settings('true'), {})).toThrow(InputError);
  });
});
