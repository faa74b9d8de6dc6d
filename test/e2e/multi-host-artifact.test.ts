/**
 * Restoring a pruned release on several real hosts (test/stack/hosts.sh, 2 hosts; run under
 * `flock /tmp/php-deploy-netns.lock`): the action reads the archive record from every host's deploy
 * log and refuses when the hosts disagree, changing nothing; when they agree it restores that archive
 * on every host. GitHub is the local stand-in (real @actions/artifact client, Azurite).
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { artifactName } from '../../src/artifact/store.js';
import { startFakeGitHub, type FakeGitHub } from '../artifact/fake-results-service.js';
import { ACTION_MAIN, appCopy, freshHosts, hostsSh, lastLine, readLog, runAction, serverState, setVersion, stack } from './helpers.js';

const N = 2;
const DB = 'e2e_multi_artifact';

describe('restore on several hosts', () => {
  let E: Record<string, string> = {};
  let gh: FakeGitHub;
  const root = (i: number): string => E[`HOST${i}_ROOT`] as string;
  const label = (i: number): string => `deploy@${E[`HOST${i}_ADDR`]}:22`;
  const ids: Record<string, string> = {};

  const inputs = (): Record<string, string> => ({
    hosts: E.HOSTS_LIST as string,
    'ssh-key': readFileSync(E.HOSTS_SSH_KEY as string, 'utf8'),
    'known-hosts': readFileSync(E.HOSTS_KNOWN_HOSTS as string, 'utf8'),
    'deploy-path': E.HOSTS_DEPLOY_PATH as string,
    'health-url': E.HOSTS_HEALTH_URL as string,
    'fpm-socket': E.HOSTS_FPM_SOCKET as string,
    'reload-command': E.HOSTS_RELOAD_COMMAND as string,
    shared: '.env\nstorage',
    'before-switch': 'once: php bin/migrate.php',
    'ssh-timeout': '5',
  });
  const deployVersion = async (version: string): Promise<string> => {
    const r = await runAction(ACTION_MAIN, { ...inputs(), source: appCopy((d) => setVersion(d, version)) }, { github: gh.runEnv(gh.newRun()), timeoutMs: 110_000 });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    return r.outputs['deploy-id'] as string;
  };
  const rollbackTo = (id: string) =>
    runAction(ACTION_MAIN, { ...inputs(), source: '.', command: 'rollback', 'deploy-id': id, 'github-token': gh.apiToken }, { github: gh.runEnv(gh.newRun()), timeoutMs: 110_000 });
  const current = (i: number): string => (serverState(root(i)).current ?? '').replace(/^releases\//, '');

  beforeAll(async () => {
    E = freshHosts(N, DB);
    gh = await startFakeGitHub({ owner: 'acme', repo: 'shop' });
  }, 240_000);

  afterAll(async () => {
    await gh?.stop();
    if (!process.env.PHP_DEPLOY_KEEP_HOSTS) hostsSh('down');
  });

  test('hosts whose deploy logs record different archives: refused, nothing changes on either host', async () => {
    ids.a = await deployVersion('a');
    ids.b = await deployVersion('b');
    for (const i of [1, 2]) {
      expect(readLog(root(i)).filter((l) => l.event === 'artifact' && l.id === ids.a)).toHaveLength(1);
      // Prune release a by hand, as keep-releases would.
      rmSync(join(root(i), 'releases', ids.a), { recursive: true, force: true });
      rmSync(join(root(i), '.php-deploy/releases', ids.a), { recursive: true, force: true });
    }
    const artA = gh.artifacts().find((x) => x.name === artifactName(ids.a!))!;
    const artB = gh.artifacts().find((x) => x.name === artifactName(ids.b!))!;

    // Host 2's record of a names b's artifact.
    const log2 = join(root(2), '.php-deploy/log.jsonl');
    const original = readFileSync(log2, 'utf8');
    writeFileSync(
      log2,
      original
        .split('\n')
        .map((l) => (l.includes(`"event":"artifact","id":"${ids.a}"`) ? l.replace(`"artifact_id":${artA.id}`, `"artifact_id":${artB.id}`).replace(artA.digest!, artB.digest!) : l))
        .join('\n'),
    );
    const before = [serverState(root(1)), serverState(root(2))];
    const r = await rollbackTo(ids.a);
    expect(r.code).toBe(1);
    const error = r.stdout.split('\n').filter((l) => l.startsWith('::error'));
    expect(error).toHaveLength(1);
    expect(lastLine(error.join('\n'))).toContain(
      `the deploy logs record different archives for release ${ids.a} (${label(1)}: artifact_id=${artA.id} artifact=${artA.name} digest=${artA.digest} `,
    );
    expect(lastLine(error.join('\n'))).toContain(`; ${label(2)}: artifact_id=${artB.id} artifact=${artA.name} digest=${artB.digest} `);
    expect([serverState(root(1)), serverState(root(2))]).toEqual(before);
    expect([current(1), current(2)]).toEqual([ids.b, ids.b]);
    // Nothing was downloaded.
    expect(gh.requests.filter((q) => q.endsWith('/zip'))).toEqual([]);
    writeFileSync(log2, original);
  });

  test('hosts that agree: the recorded archive is restored on every host', async () => {
    const r = await rollbackTo(ids.a!);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.outputs['deploy-id']).toBe(ids.a);
    expect([current(1), current(2)]).toEqual([ids.a, ids.a]);
    expect(gh.unhandled).toEqual([]);
  });
});
